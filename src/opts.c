/*
 * opts.c - argument parsing for the mailtls command line (getopt_long), kept free of I/O so
 * that it can be tested as a table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "opts.h"

enum {
	OPT_NAME = 256, OPT_EHLO, OPT_TIMEOUT, OPT_CA_FILE, OPT_CA_PATH, OPT_AT, OPT_TRANSCRIPT,
	OPT_FORMAT, OPT_CHAIN, OPT_WARN_DAYS, OPT_RESOLVER, OPT_HELP, OPT_VERSION, OPT_DEADLINE,
	OPT_CONCURRENCY, OPT_PER_ADDRESS, OPT_RATE, OPT_OUTPUT, OPT_RESUME, OPT_SHARD, OPT_QUIET,
	OPT_SUMMARY, OPT_SUMMARY_JSON, OPT_TRUST_ANCHOR, OPT_HOST, OPT_PORT, OPT_LEVEL, OPT_CERT, OPT_DOMAIN,
	OPT_DOMAINS, OPT_NO_MTA_STS, OPT_INJECTION, OPT_SURVEY, OPT_PROFILE, OPT_NO_PROFILES,
	OPT_OCSP,
	OPT_PROTO_BASE = 512,
};

#define PROTOS_MAX 16        /* room for the library's protocols in the option table */

/* parse_uint - decimal in [lo, hi]. */
static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* parse_seconds - a decimal number of seconds in (0, max]. */
static int parse_seconds(const char *s, double max, double *out)
{
	char *end;
	double t;

	errno = 0;
	t = strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || !(t > 0 && t <= max))
		return -1;
	*out = t;
	return 0;
}

/* parse_shard - "K/N" with 1 <= K <= N <= 1000000. */
static int parse_shard(const char *s, unsigned *k, unsigned *n)
{
	char buf[32];
	char *slash;
	unsigned long kv, nv;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) == NULL)
		return -1;
	*slash = '\0';
	if (parse_uint(buf, 1, 1000000, &kv) != 0 || parse_uint(slash + 1, 1, 1000000, &nv) != 0 ||
	    kv > nv)
		return -1;
	*k = (unsigned)kv;
	*n = (unsigned)nv;
	return 0;
}

/* err_oneline - messages quote the arguments: whatever in one could drive a terminal or
 * break the line (control bytes, C1 and bidi characters, invalid UTF-8) is shown as \xHH,
 * as the reports show untrusted text (found by fuzz/fuzz_opts.c). Returns -1. */
static int err_oneline(char *err, size_t errlen)
{
	mailtls_escape_inplace(err, errlen);
	return -1;
}

static int parse_hostport(const char *s, char *host, size_t hostlen, unsigned *port,
			  char *err, size_t errlen)
{
	const char *h = s, *p = NULL;
	size_t hl;
	unsigned long v;

	*port = 0;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL) {
			snprintf(err, errlen, "%s: missing ']' after the IPv6 address", s);
			return -1;
		}
		h = s + 1;
		hl = (size_t)(close - h);
		if (close[1] == ':')
			p = close + 2;
		else if (close[1] != '\0') {
			snprintf(err, errlen, "%s: unexpected text after ']'", s);
			return -1;
		}
	} else {
		const char *colon = strchr(s, ':');

		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			hl = (size_t)(colon - s);
			p = colon + 1;
		} else {
			hl = strlen(s);   /* a name, IPv4, or a bare IPv6 address without port */
		}
	}
	if (hl == 0 || hl >= hostlen) {
		snprintf(err, errlen, "%s: %s host", s, hl == 0 ? "empty" : "too long a");
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (p != NULL) {
		if (parse_uint(p, 1, 65535, &v) != 0) {
			snprintf(err, errlen, "%s: invalid port '%s' (1-65535)", s, p);
			return -1;
		}
		*port = (unsigned)v;
	}
	return 0;
}

int cli_parse_hostport(const char *s, char *host, size_t hostlen, unsigned *port,
		       char *err, size_t errlen)
{
	if (parse_hostport(s, host, hostlen, port, err, errlen) != 0)
		return err_oneline(err, errlen);
	return 0;
}

static int parse_args(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen)
{
	static const struct option fixed[] = {
		{ "name", required_argument, NULL, OPT_NAME },
		{ "ehlo", required_argument, NULL, OPT_EHLO },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "deadline", required_argument, NULL, OPT_DEADLINE },
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "ca-path", required_argument, NULL, OPT_CA_PATH },
		{ "at", required_argument, NULL, OPT_AT },
		{ "transcript", no_argument, NULL, OPT_TRANSCRIPT },
		{ "injection", no_argument, NULL, OPT_INJECTION },
		{ "survey", no_argument, NULL, OPT_SURVEY },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "no-profiles", no_argument, NULL, OPT_NO_PROFILES },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "chain", required_argument, NULL, OPT_CHAIN },
		{ "warn-days", required_argument, NULL, OPT_WARN_DAYS },
		{ "resolver", required_argument, NULL, OPT_RESOLVER },
		{ "trust-anchor", required_argument, NULL, OPT_TRUST_ANCHOR },
		{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
		{ "per-address", required_argument, NULL, OPT_PER_ADDRESS },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "resume", required_argument, NULL, OPT_RESUME },
		{ "shard", required_argument, NULL, OPT_SHARD },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "summary", no_argument, NULL, OPT_SUMMARY },
		{ "summary-json", required_argument, NULL, OPT_SUMMARY_JSON },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "domain", required_argument, NULL, OPT_DOMAIN },
		{ "domains", no_argument, NULL, OPT_DOMAINS },
		{ "no-mta-sts", no_argument, NULL, OPT_NO_MTA_STS },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "ocsp", no_argument, NULL, OPT_OCSP },
	};
	/* The fixed options, then --smtp, --imaps, ...: one per protocol of the library's
	 * table, then the end marker. */
	struct option longopts[sizeof(fixed) / sizeof(fixed[0]) + PROTOS_MAX + 1];
	size_t nopts = sizeof(fixed) / sizeof(fixed[0]);
	const char *positional[4];
	int npos = 0, c;
	unsigned long v;

	memcpy(longopts, fixed, sizeof(fixed));
	for (size_t i = 0; i < PROTOS_MAX && mailtls_proto_at(i) != MAILTLS_PROTO_NONE; i++) {
		enum mailtls_proto p = mailtls_proto_at(i);

		longopts[nopts++] = (struct option){ mailtls_proto_name(p), no_argument, NULL,
						     OPT_PROTO_BASE + (int)p };
	}
	longopts[nopts] = (struct option){ NULL, 0, NULL, 0 };
	memset(o, 0, sizeof(*o));
	o->warn_days = -1;
	o->level = -1;
	o->format = FMT_TEXT;
	err[0] = '\0';
	if (argc < 2) {
		snprintf(err, errlen, "no command given (try 'mailtls --help')");
		return -1;
	}
	/* The command comes first; global --help/--version may stand alone. */
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		o->cmd = CMD_HELP;
		o->help_topic = argc > 2 ? argv[2] : NULL;
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		o->cmd = CMD_VERSION;
		return 0;
	}
	if (strcmp(cmd, "check") == 0)
		o->cmd = CMD_CHECK;
	else if (strcmp(cmd, "cert") == 0)
		o->cmd = CMD_CERT;
	else if (strcmp(cmd, "scan") == 0)
		o->cmd = CMD_SCAN;
	else if (strcmp(cmd, "tlsa") == 0)
		o->cmd = CMD_TLSA;
	else if (strcmp(cmd, "domain") == 0)
		o->cmd = CMD_DOMAIN;
	else if (strcmp(cmd, "names") == 0)
		o->cmd = CMD_NAMES;
	else {
		snprintf(err, errlen, "unknown command '%s' (commands: check, cert, scan, domain, names, tlsa, help)", cmd);
		return -1;
	}
	/* Options follow the command: getopt sees argv[1..] with the command as its argv[0].
	 * optind = 0 makes glibc start afresh; any other value keeps the scanning position
	 * of an earlier call (a half-read "-4x" cluster) inside strings that may be gone
	 * (found by fuzz/fuzz_opts.c). */
	char **av = argv + 1;
	int ac = argc - 1;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(ac, av, ":46", longopts, NULL)) != -1) {
		if (c >= OPT_PROTO_BASE) {
			enum mailtls_proto p = (enum mailtls_proto)(c - OPT_PROTO_BASE);

			if (o->proto != MAILTLS_PROTO_NONE && o->proto != p) {
				snprintf(err, errlen, "give one protocol option only");
				return -1;
			}
			o->proto = p;
			continue;
		}
		switch (c) {
		case OPT_NAME:
			if (o->n_names >= CLI_NAMES_MAX) {
				snprintf(err, errlen, "too many --name options (at most %d)", CLI_NAMES_MAX);
				return -1;
			}
			o->names[o->n_names++] = optarg;
			break;
		case OPT_EHLO:
			o->ehlo = optarg;
			if (!mailtls_ehlo_name_valid(optarg)) {
				snprintf(err, errlen, "--ehlo: '%s' is not a valid EHLO name (a domain "
					 "or an address literal such as [192.0.2.1])", optarg);
				return -1;
			}
			break;
		case OPT_TIMEOUT:
			if (parse_seconds(optarg, 3600, &o->timeout) != 0) {
				snprintf(err, errlen, "--timeout: '%s' is not a number of seconds in (0, 3600]", optarg);
				return -1;
			}
			break;
		case OPT_DEADLINE:
			if (parse_seconds(optarg, 86400, &o->deadline) != 0) {
				snprintf(err, errlen, "--deadline: '%s' is not a number of seconds in (0, 86400]", optarg);
				return -1;
			}
			break;
		case OPT_CA_FILE:
			o->ca_file = optarg;
			break;
		case OPT_CA_PATH:
			o->ca_path = optarg;
			break;
		case OPT_AT:
			if (mailtls_time_parse(optarg, &o->at) != 0) {
				snprintf(err, errlen, "--at: '%s' is not a time (use 2027-01-31T12:00:00Z or @EPOCH)", optarg);
				return -1;
			}
			o->have_at = true;
			break;
		case OPT_TRANSCRIPT:
			o->transcript = true;
			break;
		case OPT_SURVEY:
			o->survey = true;
			break;
		case OPT_PROFILE:
			if (o->n_profile_files >= MAILTLS_CHECK_PROFILES_MAX) {
				snprintf(err, errlen, "--profile: at most %d profiles", MAILTLS_CHECK_PROFILES_MAX);
				return -1;
			}
			o->profile_files[o->n_profile_files++] = optarg;
			break;
		case OPT_NO_PROFILES:
			o->no_profiles = true;
			break;
		case OPT_INJECTION:
			o->injection = true;
			break;
		case OPT_OCSP:
			o->ocsp = true;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0)
				o->format = FMT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				o->format = FMT_JSON;
			else if (strcmp(optarg, "nagios") == 0)
				o->format = FMT_NAGIOS;
			else if (strcmp(optarg, "postfix") == 0)
				o->format = FMT_POSTFIX;
			else {
				snprintf(err, errlen, "--format: '%s' is not text, json, nagios or postfix", optarg);
				return -1;
			}
			o->format_given = true;
			break;
		case OPT_CONCURRENCY:
			if (parse_uint(optarg, 1, 100000, &v) != 0) {
				snprintf(err, errlen, "--concurrency: '%s' is not a number of checks (1-100000)", optarg);
				return -1;
			}
			o->concurrency = (unsigned)v;
			break;
		case OPT_PER_ADDRESS:
			if (parse_uint(optarg, 1, 10000, &v) != 0) {
				snprintf(err, errlen, "--per-address: '%s' is not a number of connections (1-10000)", optarg);
				return -1;
			}
			o->per_address = (unsigned)v;
			break;
		case OPT_RATE:
			if (parse_seconds(optarg, 1e6, &o->rate) != 0) {
				snprintf(err, errlen, "--rate: '%s' is not a number of connections per second in (0, 1000000]", optarg);
				return -1;
			}
			break;
		case OPT_OUTPUT:
			o->output = optarg;
			break;
		case OPT_RESUME:
			o->resume = optarg;
			break;
		case OPT_SHARD:
			if (parse_shard(optarg, &o->shard_k, &o->shard_n) != 0) {
				snprintf(err, errlen, "--shard: '%s' is not K/N with 1 <= K <= N <= 1000000", optarg);
				return -1;
			}
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		case OPT_SUMMARY:
			o->summary = true;
			break;
		case OPT_SUMMARY_JSON:
			o->summary_json = optarg;
			break;
		case OPT_CHAIN:
			o->chain_file = optarg;
			break;
		case OPT_WARN_DAYS:
			if (parse_uint(optarg, 0, 3650, &v) != 0) {
				snprintf(err, errlen, "--warn-days: '%s' is not a number of days (0-3650)", optarg);
				return -1;
			}
			o->warn_days = (int)v;
			break;
		case OPT_RESOLVER:
			o->resolver = optarg;
			break;
		case OPT_TRUST_ANCHOR:
			o->trust_anchor = optarg;
			break;
		case OPT_LEVEL:
			if ((o->level = mailtls_level_parse(optarg)) < 0) {
				snprintf(err, errlen, "--level: '%s' is not may, encrypt, dane, mta-sts, verify or secure", optarg);
				return -1;
			}
			break;
		case OPT_DOMAINS:
			o->domains = true;
			break;
		case OPT_NO_MTA_STS:
			o->no_mta_sts = true;
			break;
		case OPT_HOST:
			o->tlsa_host = optarg;
			break;
		case OPT_CERT:
			o->cert_file = optarg;
			break;
		case OPT_DOMAIN:
			o->tlsa_domain = optarg;
			break;
		case OPT_PORT:
			if (parse_uint(optarg, 1, 65535, &v) != 0) {
				snprintf(err, errlen, "--port: '%s' is not a port (1-65535)", optarg);
				return -1;
			}
			o->port = (unsigned)v;
			break;
		case OPT_HELP:
			o->help_topic = o->cmd == CMD_CHECK ? "check" : o->cmd == CMD_SCAN ? "scan" :
					o->cmd == CMD_TLSA ? "tlsa" : o->cmd == CMD_DOMAIN ? "domain" :
					o->cmd == CMD_NAMES ? "names" : "cert";
			o->cmd = CMD_HELP;
			return 0;
		case OPT_VERSION:
			o->cmd = CMD_VERSION;
			return 0;
		case '4':
		case '6':
			o->family = c == '4' ? 4 : 6;
			break;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value", av[optind - 1]);
			return -1;
		case '?':
		default:
			/* An unknown letter inside a cluster ("-4z6"): optind has not moved past
			 * it yet, so name the letter rather than the argument before it. */
			if (optopt > 0x20 && optopt < 0x7f) {
				snprintf(err, errlen, "unknown option '-%c'", optopt);
				return -1;
			}
			snprintf(err, errlen, "unknown or incomplete option '%s'", av[optind - 1]);
			return -1;
		}
	}
	while (optind < ac) {
		if (npos >= 4) {
			snprintf(err, errlen, "too many arguments");
			return -1;
		}
		positional[npos++] = av[optind++];
	}
	if ((o->cmd == CMD_CHECK || o->cmd == CMD_DOMAIN) && o->survey && o->per_address &&
	    !o->concurrency &&
	    o->rate <= 0 && !o->output && !o->resume && !o->shard_n && !o->quiet &&
	    !o->summary && !o->summary_json)
		;   /* check --survey --per-address: how many survey handshakes at once */
	else if (o->cmd != CMD_SCAN &&
	    (o->concurrency || o->per_address || o->rate > 0 || o->output || o->resume ||
	     o->shard_n || o->quiet || o->summary || o->summary_json)) {
		snprintf(err, errlen, "--concurrency, --per-address, --rate, --output, --resume, "
			 "--shard, --quiet, --summary and --summary-json apply to scan only");
		return -1;
	}
	if (o->cmd != CMD_TLSA && (o->tlsa_host != NULL || o->port != 0)) {
		snprintf(err, errlen, "--host and --port apply to tlsa only (check takes HOST[:PORT])");
		return -1;
	}
	if (o->cmd != CMD_SCAN && o->domains) {
		snprintf(err, errlen, "--domains applies to scan only");
		return -1;
	}
	if (o->cmd != CMD_DOMAIN && o->format == FMT_POSTFIX) {
		snprintf(err, errlen, "--format postfix applies to domain only");
		return -1;
	}
	if ((o->n_profile_files > 0 || o->no_profiles) && o->cmd != CMD_CHECK &&
	    o->cmd != CMD_SCAN && o->cmd != CMD_DOMAIN) {
		snprintf(err, errlen, "--profile and --no-profiles apply to check, scan and domain only");
		return -1;
	}
	if (o->n_profile_files > 0 && o->no_profiles) {
		snprintf(err, errlen, "--profile and --no-profiles exclude each other");
		return -1;
	}
	if (o->survey && o->cmd != CMD_CHECK && o->cmd != CMD_SCAN && o->cmd != CMD_DOMAIN) {
		snprintf(err, errlen, "--survey applies to check, scan and domain only");
		return -1;
	}
	if (o->injection && ((o->cmd != CMD_CHECK && o->cmd != CMD_SCAN) || o->domains)) {
		snprintf(err, errlen, "--injection applies to check and scan only (not scan --domains)");
		return -1;
	}
	if (o->ocsp && ((o->cmd != CMD_CHECK && o->cmd != CMD_SCAN) || o->domains)) {
		snprintf(err, errlen, "--ocsp applies to check and scan only (not scan --domains)");
		return -1;
	}
	if (o->cmd != CMD_DOMAIN && !o->domains && o->no_mta_sts) {
		snprintf(err, errlen, "--no-mta-sts applies to domain and scan --domains only");
		return -1;
	}
	if (o->cmd != CMD_DOMAIN && o->cmd != CMD_NAMES && !o->domains && o->level >= 0) {
		snprintf(err, errlen, "--level applies to domain, names and scan --domains only");
		return -1;
	}
	if (o->cmd != CMD_NAMES && o->cert_file != NULL) {
		snprintf(err, errlen, "--cert applies to names only (cert and tlsa take the FILE itself)");
		return -1;
	}
	if (o->cmd != CMD_TLSA && o->tlsa_domain != NULL) {
		snprintf(err, errlen, "--domain applies to tlsa only (domain and names take DOMAIN itself)");
		return -1;
	}
	if (o->cmd == CMD_DOMAIN) {
		char norm[MAILTLS_NAME_MAX + 1];

		if (npos != 1) {
			snprintf(err, errlen, "domain: give exactly one DOMAIN");
			return -1;
		}
		if (o->proto != MAILTLS_PROTO_NONE || o->n_names > 0 || o->chain_file != NULL) {
			snprintf(err, errlen, "domain: protocol options, --name and --chain apply to check and cert");
			return -1;
		}
		if (o->format == FMT_NAGIOS) {
			snprintf(err, errlen, "domain: --format is text, json or postfix");
			return -1;
		}
		if (mailtls_name_normalize(positional[0], norm, sizeof(norm)) != 0) {
			snprintf(err, errlen, "domain: '%s' is not a valid domain name", positional[0]);
			return -1;
		}
		snprintf(o->host, sizeof(o->host), "%s", norm);
	} else if (o->cmd == CMD_NAMES) {
		char norm[MAILTLS_NAME_MAX + 1];

		if (npos != 1) {
			snprintf(err, errlen, "names: give exactly one DOMAIN");
			return -1;
		}
		if (o->proto != MAILTLS_PROTO_NONE || o->n_names > 0) {
			snprintf(err, errlen, "names: protocol options and --name apply to check and cert");
			return -1;
		}
		if (o->chain_file != NULL && o->cert_file == NULL) {
			snprintf(err, errlen, "names: --chain goes with --cert FILE");
			return -1;
		}
		if (o->format == FMT_NAGIOS || o->format == FMT_POSTFIX) {
			snprintf(err, errlen, "names: --format is text or json");
			return -1;
		}
		if (o->level >= 0 && o->level != MAILTLS_LEVEL_VERIFY && o->level != MAILTLS_LEVEL_SECURE) {
			snprintf(err, errlen, "names: --level is verify (the MX host names) or secure (the domain)");
			return -1;
		}
		if (mailtls_name_normalize(positional[0], norm, sizeof(norm)) != 0) {
			snprintf(err, errlen, "names: '%s' is not a valid domain name", positional[0]);
			return -1;
		}
		snprintf(o->host, sizeof(o->host), "%s", norm);
	} else if (o->cmd == CMD_TLSA) {
		if (npos != 1) {
			snprintf(err, errlen, "tlsa: give exactly one certificate FILE");
			return -1;
		}
		if (o->proto != MAILTLS_PROTO_NONE || o->n_names > 0 || o->format_given) {
			snprintf(err, errlen, "tlsa: takes --chain, --host, --port and --domain (with its "
				 "DNS options) only");
			return -1;
		}
		if (o->tlsa_domain != NULL) {
			char norm[MAILTLS_NAME_MAX + 1];

			if (mailtls_name_normalize(o->tlsa_domain, norm, sizeof(norm)) != 0) {
				snprintf(err, errlen, "--domain %s: not a valid domain name", o->tlsa_domain);
				return -1;
			}
			snprintf(o->host, sizeof(o->host), "%s", norm);
		}
		if (o->tlsa_host != NULL) {
			char norm[MAILTLS_NAME_MAX + 1];

			if (mailtls_name_normalize(o->tlsa_host, norm, sizeof(norm)) != 0) {
				snprintf(err, errlen, "--host %s: not a valid host name", o->tlsa_host);
				return -1;
			}
		}
		o->cert_file = positional[0];
	} else if (o->cmd == CMD_SCAN) {
		if (o->domains && o->proto != MAILTLS_PROTO_NONE) {
			snprintf(err, errlen, "scan: --domains and a protocol option exclude each other (a domain's MX hosts are checked with SMTP on port 25)");
			return -1;
		}
		if (o->domains && o->n_names > 0) {
			snprintf(err, errlen, "scan --domains: --name does not apply (each MX host is checked as its own name)");
			return -1;
		}
		if (!o->domains && o->proto == MAILTLS_PROTO_NONE) {
			snprintf(err, errlen, "scan: give a protocol (--smtp, --submission, --smtps, --lmtp, --imap, --imaps, --pop3, --pop3s)");
			return -1;
		}
		if (npos > 1) {
			snprintf(err, errlen, "scan: give at most one input FILE (or - for standard input)");
			return -1;
		}
		if (o->format_given) {
			snprintf(err, errlen, "scan: the output is JSON Lines; --format applies to check and cert");
			return -1;
		}
		o->input = npos == 1 ? positional[0] : "-";
	} else if (o->cmd == CMD_CHECK) {
		if (o->proto == MAILTLS_PROTO_NONE) {
			snprintf(err, errlen, "check: give a protocol (--smtp, --submission, --smtps, --lmtp, --imap, --imaps, --pop3, --pop3s)");
			return -1;
		}
		if (npos != 1) {
			snprintf(err, errlen, "check: give exactly one HOST[:PORT]");
			return -1;
		}
		if (cli_parse_hostport(positional[0], o->host, sizeof(o->host), &o->port, err, errlen) != 0)
			return -1;
	} else {
		if (npos != 1) {
			snprintf(err, errlen, "cert: give exactly one certificate FILE");
			return -1;
		}
		if (o->n_names == 0) {
			snprintf(err, errlen, "cert: give at least one --name to check the certificate for");
			return -1;
		}
		if (o->proto != MAILTLS_PROTO_NONE) {
			snprintf(err, errlen, "cert: protocol options apply to check only");
			return -1;
		}
		if (o->resolver != NULL || o->trust_anchor != NULL) {
			snprintf(err, errlen, "cert: --resolver and --trust-anchor apply to check and scan");
			return -1;
		}
		o->cert_file = positional[0];
	}
	return 0;
}

int cli_load_profiles(struct cli_opts *o, char *err, size_t errlen)
{
	for (size_t i = 0; i < o->n_profile_files; i++) {
		char why[400];

		if (mailtls_profile_load(o->profile_files[i], &o->profiles[i], why, sizeof(why)) != 0) {
			snprintf(err, errlen, "--profile %s", why);
			cli_free_profiles(o);
			return -1;
		}
		o->n_profiles = i + 1;
	}
	return 0;
}

void cli_free_profiles(struct cli_opts *o)
{
	for (size_t i = 0; i < o->n_profiles; i++)
		mailtls_profile_free(o->profiles[i]);
	o->n_profiles = 0;
}

void cli_engine_params(const struct cli_opts *o, struct mailtls_engine_params *ep)
{
	*ep = (struct mailtls_engine_params){
		.ca_file = o->ca_file, .ca_path = o->ca_path, .resolver = o->resolver,
		.trust_anchor = o->trust_anchor,
		.max_in_flight = o->concurrency, .per_address = o->per_address, .rate = o->rate,
	};
}

void cli_domain_params(const struct cli_opts *o, const char *domain,
		       struct mailtls_domain_params *p)
{
	*p = (struct mailtls_domain_params){
		.survey = o->survey,
		.profiles = (const struct mailtls_profile *const *)o->profiles,
		.n_profiles = o->n_profiles,
		.no_profiles = o->no_profiles,
		.domain = domain,
		.level = o->level >= 0 ? (enum mailtls_level)o->level : MAILTLS_LEVEL_DANE,
		.have_level = o->level >= 0,
		.family = o->family, .timeout = o->timeout, .deadline = o->deadline,
		.at = o->at, .have_at = o->have_at, .warn_days = o->warn_days,
		.transcript = o->transcript, .ehlo_name = o->ehlo, .no_mta_sts = o->no_mta_sts,
	};
}

int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen)
{
	if (parse_args(argc, argv, o, err, errlen) != 0)
		return err_oneline(err, errlen);
	return 0;
}

int cli_validate_target(const char *host, const char *const *names, size_t n_names,
			int family, char *err, size_t errlen)
{
	char norm[MAILTLS_NAME_MAX + 1];
	unsigned char addr[16];
	int is_v4 = inet_pton(AF_INET, host, addr) == 1;
	int is_v6 = !is_v4 && inet_pton(AF_INET6, host, addr) == 1;

	for (size_t i = 0; i < n_names; i++)
		if (mailtls_name_normalize(names[i], norm, sizeof(norm)) != 0) {
			snprintf(err, errlen, "--name %s: not a valid DNS name", names[i]);
			return err_oneline(err, errlen);
		}
	if (!is_v4 && !is_v6 && mailtls_name_normalize(host, norm, sizeof(norm)) != 0) {
		snprintf(err, errlen, "%s: not a valid host name", host);
		return err_oneline(err, errlen);
	}
	if ((is_v4 && family == 6) || (is_v6 && family == 4)) {
		snprintf(err, errlen, "%s is an IPv%d address, but -%d was given", host,
			 is_v6 ? 6 : 4, family);
		return err_oneline(err, errlen);
	}
	return 0;
}
