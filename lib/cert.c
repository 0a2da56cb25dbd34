/* cert.c - not yet written */
