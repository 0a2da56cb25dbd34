/* reply.c - not yet written */
