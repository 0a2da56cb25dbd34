/* verify.c - not yet written */
