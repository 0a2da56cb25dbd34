/* x509info.c - not yet written */
