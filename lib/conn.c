/* conn.c - not yet written */
