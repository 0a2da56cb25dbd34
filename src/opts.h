/*
 * opts.h - command-line parsing for mailtls: pure functions, no I/O, unit-tested.
 */
#ifndef MAILTLS_CLI_OPTS_H
#define MAILTLS_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <mailtls/mailtls.h>

#define CLI_NAMES_MAX 32

enum cli_command { CMD_NONE, CMD_CHECK, CMD_CERT, CMD_SCAN, CMD_DOMAIN, CMD_NAMES, CMD_TLSA, CMD_HELP, CMD_VERSION };
enum cli_format { FMT_TEXT, FMT_JSON, FMT_NAGIOS, FMT_POSTFIX };

struct cli_opts {
	enum cli_command cmd;
	const char *help_topic;          /* "check", "cert", "scan", "domain", "names", "tlsa",
	                                  * or NULL */
	enum mailtls_proto proto;
	char host[MAILTLS_NAME_MAX + 1];  /* check: HOST; domain, names, tlsa --domain: the
	                                  * domain, normalized */
	unsigned port;                   /* 0: protocol default (tlsa: --port, 0: 25) */
	const char *names[CLI_NAMES_MAX];
	size_t n_names;
	const char *ehlo;
	const char *ca_file;
	const char *ca_path;
	const char *cert_file;           /* cert, tlsa: FILE; names: --cert FILE */
	const char *chain_file;
	const char *tlsa_host;           /* tlsa --host NAME, or NULL */
	const char *tlsa_domain;         /* tlsa --domain DOMAIN as given, or NULL (normalized
	                                  * into host) */
	const char *resolver;
	const char *trust_anchor;         /* --trust-anchor FILE (DNSSEC), or NULL */
	double timeout;
	double deadline;                 /* 0: the library's default (3 x timeout) */
	time_t at;
	bool have_at;
	int warn_days;
	bool transcript;
	bool injection;                  /* --injection (check, scan without --domains) */
	bool survey;                     /* --survey (check, scan, domain) */
	const char *profile_files[MAILTLS_CHECK_PROFILES_MAX];   /* --profile FILE */
	size_t n_profile_files;
	struct mailtls_profile *profiles[MAILTLS_CHECK_PROFILES_MAX]; /* loaded by
	                                  * cli_load_profiles(); freed by cli_free_profiles() */
	size_t n_profiles;
	bool no_profiles;                /* --no-profiles */
	bool ocsp;                       /* --ocsp (check, scan without --domains) */
	enum cli_format format;
	bool format_given;
	int family;

	/* domain, names, scan --domains */
	int level;                       /* --level: enum mailtls_level, or -1 when not given */
	bool no_mta_sts;                 /* --no-mta-sts (domain, scan --domains) */
	/* scan */
	const char *input;               /* FILE, or "-" for standard input */
	bool domains;                    /* --domains: one DOMAIN per line, evaluated as by
	                                  * `domain` (no protocol option then) */
	const char *output;              /* --output FILE, or NULL for standard output */
	const char *resume;              /* --resume FILE */
	unsigned shard_k, shard_n;       /* --shard K/N (1 <= K <= N); 0/0 when not given */
	unsigned concurrency;            /* 0: the engine's default */
	unsigned per_address;            /* 0: the engine's default */
	double rate;                     /* 0: no limit */
	bool quiet;
	bool summary;
	const char *summary_json;
};

/* cli_load_profiles - read every --profile FILE into o->profiles. 0, or -1 with err filled
 * ("--profile FILE:LINE: what is wrong"). */
int cli_load_profiles(struct cli_opts *o, char *err, size_t errlen);

/* cli_free_profiles - free what cli_load_profiles() read. */
void cli_free_profiles(struct cli_opts *o);

/* cli_engine_params - the engine settings every command that goes to the network shares
 * (trust store, resolver, trust anchor; scan's limits), from o (borrowed strings). */
void cli_engine_params(const struct cli_opts *o, struct mailtls_engine_params *ep);

/* cli_domain_params - the evaluation of `domain` as the options ask it (borrowed
 * strings): the level (dane when none was given), family, times, EHLO name. */
void cli_domain_params(const struct cli_opts *o, const char *domain,
		       struct mailtls_domain_params *p);

/* cli_parse - parse argv into o. Returns 0, or -1 with a one-line message in err. */
int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen);

/* cli_parse_hostport - "host", "host:25", "192.0.2.1:25", "[2001:db8::1]:25", "[::1]", "::1".
 * Returns 0, or -1 with err filled. *port is 0 when none was given. */
int cli_parse_hostport(const char *s, char *host, size_t hostlen, unsigned *port,
		       char *err, size_t errlen);

/* cli_validate_target - what the library would refuse about one target, in the words of
 * the command line: a --name that is no DNS name, a HOST that is neither a name nor an
 * address, an address of the other family than -4/-6. 0, or -1 with err filled. */
int cli_validate_target(const char *host, const char *const *names, size_t n_names,
			int family, char *err, size_t errlen);

#endif
