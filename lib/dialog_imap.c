/* dialog_imap.c - not yet written */
