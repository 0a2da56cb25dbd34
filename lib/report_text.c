/* report_text.c - not yet written */
