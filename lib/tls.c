/* tls.c - not yet written */
