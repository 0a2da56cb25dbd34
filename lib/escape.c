/* escape.c - not yet written */
