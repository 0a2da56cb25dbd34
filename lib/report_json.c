/* report_json.c - not yet written */
