/* dialog_smtp.c - not yet written */
