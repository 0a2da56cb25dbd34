/* dialog.c - not yet written */
