/* check.c - not yet written */
