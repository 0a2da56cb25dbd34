/*
 * mailtls.c - the command line: parse arguments, call the library, print the report on
 * stdout and errors on stderr, exit with the monitoring-plugin code (0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN). Includes only the public headers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <mailtls/mailtls.h>
#include "names.h"
#include "opts.h"
#include "scan.h"

static const char usage_main[] =
	"usage: mailtls COMMAND [OPTIONS]\n"
	"\n"
	"Check TLS on mail servers the way a strict, standards-exact client does.\n"
	"\n"
	"commands:\n"
	"  check PROTOCOL HOST[:PORT]   connect to one server, run STARTTLS or implicit TLS, verify\n"
	"  cert FILE --name NAME...     verify certificate files offline for the given names\n"
	"  scan PROTOCOL [FILE|-]       check every HOST[:PORT] of a file, one JSON line each\n"
	"  scan --domains [FILE|-]      evaluate every DOMAIN of a file, one JSON line each\n"
	"  domain DOMAIN                every MX of a domain: DNSSEC, DANE, STARTTLS, certificate,\n"
	"                               and what each kind of sender does\n"
	"  names DOMAIN [--cert FILE]   the names each MX host's certificate must cover, and\n"
	"                               whether the served certificates (or FILE) cover them\n"
	"  tlsa CERT [--host NAME]      the DANE TLSA records to publish for a certificate;\n"
	"     [--domain DOMAIN]         with --domain, the safe rollover plan for its MX hosts\n"
	"  help [COMMAND]               show help for a command\n"
	"\n"
	"options: --help, --version. Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
	"See mailtls(1) and 'mailtls help check'.\n";

static const char usage_check[] =
	"usage: mailtls check PROTOCOL HOST[:PORT] [OPTIONS]\n"
	"\n"
	"PROTOCOL (one of; default port in brackets):\n"
	"  --smtp [25]  --submission [587]  --smtps [465]  --lmtp [24]\n"
	"  --imap [143] --imaps [993]       --pop3 [110]   --pop3s [995]\n"
	"HOST is a name, an IPv4 address or an IPv6 address (in brackets with a port: [::1]:25).\n"
	"\n"
	"options:\n"
	"  --name NAME       reference identity to verify (repeatable; default: HOST if a name)\n"
	"  --ehlo NAME       EHLO/LHLO name (default: the client's address literal)\n"
	"  --timeout S       seconds allowed for each network step (default 10)\n"
	"  --deadline S      seconds allowed for the whole check (default 3 x --timeout)\n"
	"  --ca-file F       trust anchors in PEM (default: the system trust store)\n"
	"  --ca-path D       directory of hashed trust anchors\n"
	"  --at TIME         validate as of TIME (2027-01-31T12:00:00Z or @EPOCH)\n"
	"  --warn-days N     warn when the certificate expires within N days (default 21)\n"
	"  --transcript      show the dialogue as S:/C: lines\n"
	"  --injection       test for STARTTLS command injection (CVE-2011-0411): send a\n"
	"                    harmless NOOP (CAPA) with STARTTLS; off by default\n"
	"  --survey          after the check, find every TLS version, cipher suite (and the\n"
	"                    server's order), group and certificate key type it accepts\n"
	"  --per-address N   with --survey: handshakes at once to the server (default 2)\n"
	"  --profile F       also try the sender profile in file F (repeatable; see\n"
	"                    profiles/README.md); the built-in profiles are tried with\n"
	"                    --survey, or when the check's own handshake fails\n"
	"  --no-profiles     try no sender profile\n"
	"  --ocsp            also ask the OCSP responder the certificate names (its AIA) over\n"
	"                    HTTP; off by default (tells the CA which certificate is checked)\n"
	"  --format F        text (default), json, or nagios (monitoring plugin)\n"
	"  --resolver A[@P]  DNS resolver to ask (default: /etc/resolv.conf)\n"
	"  --trust-anchor F  DNSSEC trust anchor, DS or DNSKEY records in zone format\n"
	"                    (default: /usr/share/dns/root.key if present, else none)\n"
	"  -4, -6            use IPv4 or IPv6 only\n";

static const char usage_domain[] =
	"usage: mailtls domain DOMAIN [OPTIONS]\n"
	"\n"
	"Asks the MX records of DOMAIN (DNSSEC-validated), every A and AAAA of every MX host and\n"
	"their TLSA records (RFC 7672), checks every address on port 25, and says for each sender\n"
	"level whether mail goes out authenticated, encrypted only, in plaintext, or is deferred.\n"
	"Also reads the domain's MTA-STS policy (RFC 8461: the _mta-sts TXT record, the policy\n"
	"fetched over HTTPS from mta-sts.DOMAIN) and its TLS-RPT record (RFC 8460).\n"
	"\n"
	"options:\n"
	"  --level L         the sender level that sets the exit code: may, encrypt, dane (default),\n"
	"                    mta-sts (MTA-STS without DANE), verify (the MX host name in the\n"
	"                    certificate), secure (the domain)\n"
	"  --no-mta-sts      do not look at MTA-STS and TLS-RPT\n"
	"  --survey          survey every MX address's TLS (as check --survey)\n"
	"  --profile F, --no-profiles  sender profiles, as for check\n"
	"  --resolver A[@P]  DNS resolver to ask (default: /etc/resolv.conf)\n"
	"  --trust-anchor F  DNSSEC trust anchor, DS or DNSKEY records in zone format\n"
	"                    (default: /usr/share/dns/root.key if present, else none)\n"
	"  --ca-file F       trust anchors in PEM for the verify, mta-sts and secure levels and\n"
	"                    the MTA-STS policy host (default: the system trust store)\n"
	"  --ca-path D       directory of hashed trust anchors\n"
	"  --timeout S       seconds for each network step, DNS question and policy fetch\n"
	"                    (default 10)\n"
	"  --deadline S      seconds for each address check (default 3 x --timeout)\n"
	"  --ehlo NAME       EHLO name (default: the client's address literal)\n"
	"  --at TIME         validate as of TIME (2027-01-31T12:00:00Z or @EPOCH)\n"
	"  --warn-days N     warn when a certificate expires within N days (default 21)\n"
	"  --transcript      show each dialogue as S:/C: lines\n"
	"  --format F        text (default), json, or postfix (the smtp_tls_policy_maps entry\n"
	"                    for DOMAIN, after a comment saying why)\n"
	"  -4, -6            check IPv4 or IPv6 addresses only\n";

static const char usage_scan[] =
	"usage: mailtls scan PROTOCOL [FILE|-] [OPTIONS]\n"
	"       mailtls scan --domains [FILE|-] [OPTIONS]\n"
	"\n"
	"Check every target of FILE (default: standard input) in one process: one HOST[:PORT]\n"
	"per line ([v6]:port too; blank lines and # comments skipped). Writes one JSON object\n"
	"per line (the schema of check --format json plus \"input\" and \"line\"), in the order\n"
	"checks complete. Exit code: the worst over all targets.\n"
	"\n"
	"PROTOCOL and the options of check apply to every target (--name, --ehlo, --timeout,\n"
	"--deadline, --ca-file, --ca-path, --at, --warn-days, --transcript, --injection,\n"
	"--ocsp, --resolver, --trust-anchor, -4, -6).\n"
	"\n"
	"--domains: each line is one DOMAIN, evaluated as 'mailtls domain' does (every MX host,\n"
	"DNSSEC, DANE, STARTTLS); its line is the domain's JSON object plus \"input\" and \"line\".\n"
	"No PROTOCOL or --name then; --level L (default dane) sets each domain's exit code. At most\n"
	"--concurrency / 4 domains are evaluated at once.\n"
	"\n"
	"options:\n"
	"  --concurrency N   checks at work at once (default 256)\n"
	"  --per-address N   connections at once to one IP address (default 2)\n"
	"  --rate N          new connections per second (default: no limit)\n"
	"  --output F        write the JSON Lines to F (default: standard output)\n"
	"  --resume F        skip the inputs an earlier output F already answered\n"
	"  --shard K/N       check only shard K of N (1 <= K <= N; a stable hash of each line)\n"
	"  --quiet           no progress line on a terminal\n"
	"  --summary         print survey figures on standard error at the end\n"
	"  --summary-json F  write the same figures as one JSON object to F\n"
	"SIGINT or SIGTERM: checks at work finish and are written, then exit 3; a second one\n"
	"exits at once.\n";

static const char usage_cert[] =
	"usage: mailtls cert FILE [--chain FILE] --name NAME... [OPTIONS]\n"
	"\n"
	"Verify a certificate (PEM, leaf first; more certificates in FILE are its chain) as a\n"
	"strict client would when a server presents it, for every --name given.\n"
	"\n"
	"options:\n"
	"  --name NAME       reference identity (repeatable, at least one)\n"
	"  --chain FILE      intermediate certificates in PEM\n"
	"  --ca-file F       trust anchors in PEM (default: the system trust store)\n"
	"  --ca-path D       directory of hashed trust anchors\n"
	"  --at TIME         validate as of TIME (2027-01-31T12:00:00Z or @EPOCH)\n"
	"  --warn-days N     warn when the certificate expires within N days (default 21)\n"
	"  --format F        text (default), json, or nagios (monitoring plugin)\n";

static const char usage_names[] =
	"usage: mailtls names DOMAIN [--cert FILE [--chain FILE]] [OPTIONS]\n"
	"\n"
	"For each MX host of DOMAIN, the names its certificate must cover and whether the\n"
	"certificate each address serves covers them and chains to a trusted anchor; where the\n"
	"host has DNSSEC-secure usable TLSA records, whether they match. One line per MX host:\n"
	"  mx1.example.org  needs mx1.example.org  served: covered (trusted)\n"
	"With --cert, whether that file (not deployed yet) would serve every MX host:\n"
	"  ...  file: not covered (names: a.example.org; trusted)\n"
	"Exit code: 0 every MX host covered (and DANE matches where it applies), 2 some host not\n"
	"covered, 3 could not check. With --cert the file decides it.\n"
	"\n"
	"options:\n"
	"  --cert FILE       a certificate not deployed yet (PEM, leaf first)\n"
	"  --chain FILE      its intermediate certificates in PEM\n"
	"  --level L         verify (default: the MX host name) or secure (DOMAIN or a name\n"
	"                    under it, Postfix's nexthop, dot-nexthop)\n"
	"  --resolver A[@P]  DNS resolver to ask (default: /etc/resolv.conf)\n"
	"  --trust-anchor F  DNSSEC trust anchor, DS or DNSKEY records in zone format\n"
	"  --ca-file F       trust anchors in PEM (default: the system trust store)\n"
	"  --ca-path D       directory of hashed trust anchors\n"
	"  --timeout S       seconds for each network step and DNS question (default 10)\n"
	"  --deadline S      seconds for each address check (default 3 x --timeout)\n"
	"  --at TIME         validate as of TIME (2027-01-31T12:00:00Z or @EPOCH)\n"
	"  --format F        text (default) or json\n"
	"  -4, -6            check IPv4 or IPv6 addresses only\n";

static const char usage_tlsa[] =
	"usage: mailtls tlsa CERT [--chain FILE] [--host NAME] [--port N] [--domain DOMAIN]\n"
	"\n"
	"Print the DANE TLSA records (RFC 7671, RFC 7672) to publish for a mail server's\n"
	"certificate, in zone-file form, each after a comment naming its certificate:\n"
	"  _25._tcp.NAME. IN TLSA 3 1 1 <SHA-256 of the leaf's public key>\n"
	"  _25._tcp.NAME. IN TLSA 2 1 1 <SHA-256 of an issuer's public key>   (per issuer)\n"
	"CERT is PEM, leaf first; further certificates in it are issuers.\n"
	"\n"
	"options:\n"
	"  --chain FILE      more issuer certificates in PEM\n"
	"  --host NAME       the server's name (default: the leaf's first DNS name)\n"
	"  --port N          the port of the records (default 25)\n"
	"  --domain DOMAIN   the safe rollover plan instead: looks up the MX hosts of DOMAIN\n"
	"                    (only --host's, when given), their TLSA records and the chains\n"
	"                    they serve now, and says per record: keep, add now (publish, then\n"
	"                    wait at least the TLSA RRset's TTL before serving CERT), remove\n"
	"                    after switch (matches the chain served now: it stays until every\n"
	"                    address serves CERT), may remove (matches neither), ignored\n"
	"                    (unusable for SMTP); warns when the records are not DNSSEC-secure.\n"
	"                    Takes --resolver, --trust-anchor, --timeout, --deadline, -4, -6.\n"
	"                    Exit code: 0 nothing to publish, 1 records to add first, 3 errors.\n";

/*
 * say_error - one line on stderr, "mailtls: ...". The whole line is made display-safe: it
 * quotes host names, file names and option values as the user typed them (a file name
 * may hold an escape sequence), and escaping what the library already escaped changes
 * nothing.
 */
void say_error(const char *fmt, ...)
{
	char buf[1200];
	char *safe;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	safe = mailtls_escape(buf, strlen(buf));
	if (safe == NULL) {
		fputs("mailtls: out of memory\n", stderr);
		return;
	}
	fprintf(stderr, "mailtls: %s\n", safe);
	free(safe);
}

/* use_color - ANSI colour only on a terminal, never with NO_COLOR (no-color.org). */
static bool use_color(void)
{
	const char *term = getenv("TERM");
	const char *nc = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && (nc == NULL || nc[0] == '\0') &&
	       !(term != NULL && strcmp(term, "dumb") == 0);
}

/* print_out - a formatted report to standard output, freed; code, or UNKNOWN when there is
 * no report (no memory) or it cannot be written. */
static int print_out(char *out, int code)
{
	if (out == NULL) {
		say_error("out of memory while formatting the report");
		return MAILTLS_EXIT_UNKNOWN;
	}
	fputs(out, stdout);
	free(out);
	if (fflush(stdout) != 0)
		return MAILTLS_EXIT_UNKNOWN;
	return code;
}

static int print_report(const struct mailtls_result *res, const struct cli_opts *o)
{
	struct mailtls_report_opts ro = { .color = use_color(), .transcript = o->transcript };

	return print_out(o->format == FMT_JSON ? mailtls_report_json(res) :
			 o->format == FMT_NAGIOS ? mailtls_report_nagios(res) :
			 mailtls_report_text(res, &ro), (int)mailtls_result_exit_code(res));
}

static int run_check(const struct cli_opts *o)
{
	struct mailtls_check_params p = {
		.proto = o->proto,
		.host = o->host,
		.port = o->port,
		.names = o->names,
		.n_names = o->n_names,
		.ehlo_name = o->ehlo,
		.timeout = o->timeout,
		.deadline = o->deadline,
		.at = o->at,
		.have_at = o->have_at,
		.warn_days = o->warn_days,
		.transcript = o->transcript,
		.injection = o->injection,
		.survey = o->survey,
		.profiles = (const struct mailtls_profile *const *)o->profiles,
		.n_profiles = o->n_profiles,
		.no_profiles = o->no_profiles,
		.ocsp_query = o->ocsp,
		.family = o->family,
	};
	struct mailtls_engine_params ep;
	struct mailtls_result *res = NULL;
	char why[512] = "";
	int r = cli_validate_target(o->host, o->names, o->n_names, o->family, why, sizeof(why));

	cli_engine_params(o, &ep);
	if (r == 0)
		r = mailtls_check_run(&ep, &p, &res, why, sizeof(why));
	if (r != 0) {
		say_error("check %s: %s", o->host, why);
		return MAILTLS_EXIT_UNKNOWN;
	}
	r = print_report(res, o);
	mailtls_result_free(res);
	return r;
}

static int run_domain(const struct cli_opts *o)
{
	struct mailtls_domain_params p;
	struct mailtls_engine_params ep;
	struct mailtls_report_opts ro = { .color = use_color(), .transcript = o->transcript };
	struct mailtls_domain_result *res = NULL;
	char why[512] = "", *out;
	int code;

	cli_domain_params(o, o->host, &p);
	cli_engine_params(o, &ep);
	if (mailtls_domain_run(&ep, &p, &res, why, sizeof(why)) != 0) {
		say_error("domain %s: %s", o->host, why);
		return MAILTLS_EXIT_UNKNOWN;
	}
	out = o->format == FMT_JSON ? mailtls_report_domain_json(res)
	      : o->format == FMT_POSTFIX ? mailtls_report_domain_postfix(res)
	      : mailtls_report_domain_text(res, &ro);
	code = (int)mailtls_domain_exit_code(res);
	mailtls_domain_result_free(res);
	return print_out(out, code);
}

static int run_cert(const struct cli_opts *o)
{
	struct mailtls_cert_params p = {
		.cert_file = o->cert_file,
		.chain_file = o->chain_file,
		.names = o->names,
		.n_names = o->n_names,
		.ca_file = o->ca_file,
		.ca_path = o->ca_path,
		.at = o->at,
		.have_at = o->have_at,
		.warn_days = o->warn_days,
	};
	struct mailtls_result *res = NULL;
	char why[512] = "";
	int r = mailtls_cert_check(&p, &res, why, sizeof(why));

	if (r != 0) {
		say_error("cert: %s", why);
		return MAILTLS_EXIT_UNKNOWN;
	}
	r = print_report(res, o);
	mailtls_result_free(res);
	return r;
}

/* run_tlsa - the records to publish, one per line after a comment on its certificate. */
static int run_tlsa(const struct cli_opts *o)
{
	struct mailtls_tlsa_set set;
	char why[512] = "";
	char name[MAILTLS_NAME_MAX + 1];
	char date[32];
	const char *given = o->tlsa_host;
	int r = mailtls_tlsa_for_cert(o->cert_file, o->chain_file, &set, why, sizeof(why));

	if (r != 0) {
		say_error("tlsa: %s", why);
		return MAILTLS_EXIT_UNKNOWN;
	}
	if (given == NULL)
		given = set.leaf_dns_name;
	if (given == NULL || mailtls_name_normalize(given, name, sizeof(name)) != 0) {
		if (given == NULL)
			say_error("tlsa: %s: the certificate has no DNS name: give --host NAME",
				  o->cert_file);
		else
			say_error("tlsa: %s: the certificate's first DNS name %s is not a host name: "
				  "give --host NAME", o->cert_file, given);
		mailtls_tlsa_set_clear(&set);
		return MAILTLS_EXIT_UNKNOWN;
	}
	for (size_t i = 0; i < set.n; i++) {
		const struct mailtls_tlsa_publish *p = &set.v[i];

		printf("; %s: %s, not after %s\n", p->cert_index == 0 ? "leaf" : "issuer",
		       p->subject, mailtls_time_format(p->not_after, date, sizeof(date)));
		printf("_%u._tcp.%s. IN TLSA %u %u %u %s\n", o->port ? o->port : 25, name,
		       p->usage, p->selector, p->mtype, p->hex);
	}
	mailtls_tlsa_set_clear(&set);
	return fflush(stdout) == 0 ? MAILTLS_EXIT_OK : MAILTLS_EXIT_UNKNOWN;
}

/* ca_file_is_dir - --ca-file names a directory: say so in the command line's words (the
 * library would refuse it too, naming its parameter). */
static bool ca_file_is_dir(const struct cli_opts *o)
{
	struct stat sb;

	if (o->ca_file == NULL || stat(o->ca_file, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return false;
	say_error("--ca-file %s: is a directory (use --ca-path for a hashed directory of anchors)",
		  o->ca_file);
	return true;
}

int main(int argc, char **argv)
{
	struct cli_opts o;
	char err[512];
	int code;

	if (cli_parse(argc, argv, &o, err, sizeof(err)) != 0) {
		say_error("%s", err);
		return MAILTLS_EXIT_UNKNOWN;
	}
	switch (o.cmd) {
	case CMD_HELP:
		if (o.help_topic == NULL)
			fputs(usage_main, stdout);
		else if (strcmp(o.help_topic, "check") == 0)
			fputs(usage_check, stdout);
		else if (strcmp(o.help_topic, "cert") == 0)
			fputs(usage_cert, stdout);
		else if (strcmp(o.help_topic, "scan") == 0)
			fputs(usage_scan, stdout);
		else if (strcmp(o.help_topic, "domain") == 0)
			fputs(usage_domain, stdout);
		else if (strcmp(o.help_topic, "names") == 0)
			fputs(usage_names, stdout);
		else if (strcmp(o.help_topic, "tlsa") == 0)
			fputs(usage_tlsa, stdout);
		else {
			say_error("no help for '%s' (commands: check, cert, scan, domain, names, tlsa)", o.help_topic);
			return MAILTLS_EXIT_UNKNOWN;
		}
		return 0;
	case CMD_VERSION:
		printf("mailtls %s (%s)\n", mailtls_version(), OpenSSL_version(OPENSSL_VERSION));
		return 0;
	case CMD_CHECK:
	case CMD_CERT:
	case CMD_SCAN:
	case CMD_DOMAIN:
	case CMD_NAMES:
		if (ca_file_is_dir(&o))
			return MAILTLS_EXIT_UNKNOWN;
		break;
	default:
		break;
	}
	if (cli_load_profiles(&o, err, sizeof(err)) != 0) {
		say_error("%s", err);
		return MAILTLS_EXIT_UNKNOWN;
	}
	switch (o.cmd) {
	case CMD_CHECK:
		code = run_check(&o);
		break;
	case CMD_CERT:
		code = run_cert(&o);
		break;
	case CMD_DOMAIN:
		code = run_domain(&o);
		break;
	case CMD_TLSA:
		code = o.tlsa_domain != NULL ? rollover_run(&o) : run_tlsa(&o);
		break;
	case CMD_NAMES:
		code = names_run(&o);
		break;
	case CMD_SCAN: {
		char why[600];

		code = scan_run(&o, why, sizeof(why));
		if (why[0] != '\0')
			say_error("%s", why);
		break;
	}
	default:
		code = MAILTLS_EXIT_UNKNOWN;
		break;
	}
	cli_free_profiles(&o);
	return code;
}
