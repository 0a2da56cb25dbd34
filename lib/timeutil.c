/* timeutil.c - not yet written */
