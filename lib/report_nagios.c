/*
 * report_nagios.c - monitoring-plugin output (Nagios, Icinga, Sensu, Checkmk): one status
 * line with performance data, then the warning and critical findings as long output.
 * The exit code is the plugin's state; the caller returns it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include "escape.h"
#include "report_verdict.h"

/* put_clean - escaped text with '|' replaced: a pipe would start the performance data. */
static void put_clean(FILE *f, const char *s)
{
	char *e = escape_text(s, strlen(s));

	for (char *p = e; p && *p; p++)
		if (*p == '|')
			*p = '/';
	fputs(e ? e : "?", f);
	free(e);
}

char *mailtls_report_nagios(const struct mailtls_result *res)
{
	char *buf = NULL, verdict[1024];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	report_verdict(res, verdict, sizeof(verdict));
	fputs("MAILTLS ", f);
	put_clean(f, verdict);
	/* Performance data (plugin guidelines): label=value[UOM];warn;crit;min;max */
	fputs(" |", f);
	if (res->have_session)
		fprintf(f, " time=%.3fs;;;0", res->session.elapsed_ms / 1000.0);
	if (res->chain_len > 0)
		fprintf(f, " days_left=%ld;;;", res->chain[0].days_left);
	fputc('\n', f);
	for (size_t i = 0; i < res->findings.n; i++) {
		const struct mailtls_finding *fi = &res->findings.v[i];

		if (fi->severity < MAILTLS_SEV_WARNING)
			continue;
		fprintf(f, "%s %s: ", fi->severity == MAILTLS_SEV_CRITICAL ? "CRITICAL" : "WARNING",
			fi->id);
		put_clean(f, fi->message);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
