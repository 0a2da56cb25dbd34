/*
 * report_textutil.c - escaped strings, severity labels and colours, finding lines: the
 * pieces report_text.c and report_domain.c share.
 */
#include <stdlib.h>
#include <string.h>
#include <mailtls/mailtls.h>
#include <mailtls/dnsfacts.h>
#include "escape.h"
#include "report_textutil.h"

void report_put(FILE *f, const char *s)
{
	char *e;

	if (s == NULL) {
		fputs("-", f);
		return;
	}
	e = escape_text(s, strlen(s));
	fputs(e ? e : "?", f);
	free(e);
}

const char *report_sev_color(enum mailtls_severity s)
{
	switch (s) {
	case MAILTLS_SEV_OK: return "\033[32m";
	case MAILTLS_SEV_INFO: return "\033[36m";
	case MAILTLS_SEV_WARNING: return "\033[33m";
	case MAILTLS_SEV_CRITICAL: return "\033[1;31m";
	}
	return "";
}

const char *report_sev_label(enum mailtls_severity s)
{
	switch (s) {
	case MAILTLS_SEV_OK: return "OK";
	case MAILTLS_SEV_INFO: return "INFO";
	case MAILTLS_SEV_WARNING: return "WARNING";
	case MAILTLS_SEV_CRITICAL: return "CRITICAL";
	}
	return "?";
}

const char *report_exit_color(enum mailtls_exit code)
{
	return report_sev_color(code == MAILTLS_EXIT_OK ? MAILTLS_SEV_OK :
				code == MAILTLS_EXIT_WARNING ? MAILTLS_SEV_WARNING :
				MAILTLS_SEV_CRITICAL);
}

void report_finding(FILE *f, const struct mailtls_finding *fi, bool color, const char *indent)
{
	fprintf(f, "%s%s%-8s%s %s: ", indent, color ? report_sev_color(fi->severity) : "",
		report_sev_label(fi->severity), color ? REPORT_C_RESET : "", fi->id);
	report_put(f, fi->message);
	fputc('\n', f);
	if (fi->severity >= MAILTLS_SEV_WARNING && fi->remedy[0])
		fprintf(f, "%s         remedy: %s\n", indent, fi->remedy);
}

void report_findings_about(FILE *f, const struct mailtls_findings *fs, const char *host,
			  const char *addr, bool color, const char *indent)
{
	report_findings_where(f, fs, host, addr, NULL, color, indent);
}

void report_findings_where(FILE *f, const struct mailtls_findings *fs, const char *host,
			   const char *addr, bool (*keep)(const struct mailtls_finding *fi),
			   bool color, const char *indent)
{
	for (size_t i = 0; i < fs->n; i++) {
		const struct mailtls_finding *fi = &fs->v[i];
		const char *fh = fi->subject.host, *fa = fi->subject.addr;

		if (keep != NULL && !keep(fi))
			continue;

		if (host != fs->v[i].subject.host
		    && (host == NULL || fh == NULL || strcmp(host, fh) != 0))
			continue;
		if (addr != fa && (addr == NULL || fa == NULL || strcmp(addr, fa) != 0))
			continue;
		report_finding(f, fi, color, indent);
	}
}

/* report_lookup_text - "secure", "bogus (reason)", "no answer (why)", "NXDOMAIN (secure)". */
void report_lookup_text(FILE *f, const struct mailtls_dns_lookup *l)
{
	if (!l->asked) {
		fputs("not asked", f);
		return;
	}
	if (l->nxdomain)
		fputs("NXDOMAIN, ", f);
	else if (l->nodata)
		fputs("no records, ", f);
	fputs(mailtls_dns_status_name(l->status), f);
	if (l->status == MAILTLS_DNS_BOGUS && l->why_bogus) {
		fputs(" (", f);
		report_put(f, l->why_bogus);
		fputc(')', f);
	} else if (l->status == MAILTLS_DNS_NOANSWER && l->why) {
		fputs(" (", f);
		report_put(f, l->why);
		fputc(')', f);
	}
	if (l->canonical) {
		fputs(", via CNAME to ", f);
		report_put(f, l->canonical);
	}
}
