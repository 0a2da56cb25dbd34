/* names.c - not yet written */
