/* dns.c - not yet written */
