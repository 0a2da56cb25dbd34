/* dialog_pop3.c - not yet written */
