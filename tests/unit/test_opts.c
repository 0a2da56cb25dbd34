/*
 * test_opts.c - command-line parsing as a table: what is accepted, what it means, and the
 * exact message for what is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "opts.h"

#define MAXARGS 16

static int parse(const char *const args[], struct cli_opts *o, char *err, size_t errlen)
{
	char *argv[MAXARGS + 2];
	static char store[MAXARGS][256];
	int argc = 0;

	argv[argc++] = (char *)"mailtls";
	for (int i = 0; i < MAXARGS && args[i] != NULL; i++) {
		snprintf(store[i], sizeof(store[i]), "%s", args[i]);
		argv[argc++] = store[i];
	}
	argv[argc] = NULL;
	return cli_parse(argc, argv, o, err, errlen);
}

static const struct {
	const char *args[MAXARGS];
	const char *err;   /* NULL: accepted */
} refused[] = {
	{ { NULL }, "no command given (try 'mailtls --help')" },
	{ { "frobnicate" }, "unknown command 'frobnicate' (commands: check, cert, scan, domain, names, tlsa, help)" },
	{ { "domain" }, "domain: give exactly one DOMAIN" },
	{ { "domain", "a.example", "b.example" }, "domain: give exactly one DOMAIN" },
	{ { "domain", "bad..example" }, "domain: 'bad..example' is not a valid domain name" },
	{ { "domain", "192.0.2.1" }, "domain: '192.0.2.1' is not a valid domain name" },
	{ { "domain", "--smtp", "example.org" }, "domain: protocol options, --name and --chain apply to check and cert" },
	{ { "domain", "example.org", "--name", "mx.example.org" }, "domain: protocol options, --name and --chain apply to check and cert" },
	{ { "domain", "example.org", "--format", "nagios" }, "domain: --format is text, json or postfix" },
	{ { "check", "--smtp", "mx.example.org", "--format", "postfix" }, "--format postfix applies to domain only" },
	{ { "names", "example.org", "--format", "postfix" }, "--format postfix applies to domain only" },
	{ { "check", "--smtp", "mx.example.org", "--no-mta-sts" }, "--no-mta-sts applies to domain and scan --domains only" },
	{ { "scan", "--smtp", "hosts.txt", "--no-mta-sts" }, "--no-mta-sts applies to domain and scan --domains only" },
	{ { "domain", "example.org", "--level", "paranoid" }, "--level: 'paranoid' is not may, encrypt, dane, mta-sts, verify or secure" },
	{ { "check", "--smtp", "a", "--level", "dane" }, "--level applies to domain, names and scan --domains only" },
	{ { "check", "mx.example.org" }, "check: give a protocol (--smtp, --submission, --smtps, --lmtp, --imap, --imaps, --pop3, --pop3s)" },
	{ { "check", "--smtp" }, "check: give exactly one HOST[:PORT]" },
	{ { "check", "--smtp", "a", "b" }, "check: give exactly one HOST[:PORT]" },
	{ { "check", "--smtp", "--imap", "a" }, "give one protocol option only" },
	{ { "check", "--smtp", "a:0" }, "a:0: invalid port '0' (1-65535)" },
	{ { "check", "--smtp", "a:65536" }, "a:65536: invalid port '65536' (1-65535)" },
	{ { "check", "--smtp", "a:25x" }, "a:25x: invalid port '25x' (1-65535)" },
	{ { "check", "--smtp", "a:" }, "a:: invalid port '' (1-65535)" },
	{ { "check", "--smtp", "[::1" }, "[::1: missing ']' after the IPv6 address" },
	{ { "check", "--smtp", "[::1]x" }, "[::1]x: unexpected text after ']'" },
	{ { "check", "--smtp", ":25" }, ":25: empty host" },
	{ { "check", "--smtp", "a", "--timeout", "0" }, "--timeout: '0' is not a number of seconds in (0, 3600]" },
	{ { "check", "--smtp", "a", "--timeout", "x" }, "--timeout: 'x' is not a number of seconds in (0, 3600]" },
	{ { "check", "--smtp", "a", "--timeout", "nan" }, "--timeout: 'nan' is not a number of seconds in (0, 3600]" },
	{ { "check", "--smtp", "a", "--at", "tomorrow" }, "--at: 'tomorrow' is not a time (use 2027-01-31T12:00:00Z or @EPOCH)" },
	{ { "check", "--smtp", "a", "--format", "xml" }, "--format: 'xml' is not text, json, nagios or postfix" },
	{ { "check", "--smtp", "a", "--warn-days", "-1" }, "--warn-days: '-1' is not a number of days (0-3650)" },
	{ { "check", "--smtp", "a", "--ehlo", "a b" }, "--ehlo: 'a b' is not a valid EHLO name (a domain or an address literal such as [192.0.2.1])" },
	/* Only a domain or an address literal is ever sent to a server (RFC 5321 4.1.1.1). */
	{ { "check", "--smtp", "a", "--ehlo", "x\x1b[31mRED\a" }, "--ehlo: 'x\\x1b[31mRED\\x07' is not a valid EHLO name (a domain or an address literal such as [192.0.2.1])" },
	{ { "check", "--smtp", "a", "--ehlo", "-a.example" }, "--ehlo: '-a.example' is not a valid EHLO name (a domain or an address literal such as [192.0.2.1])" },
	{ { "check", "--smtp", "a", "--ehlo", "a..example" }, "--ehlo: 'a..example' is not a valid EHLO name (a domain or an address literal such as [192.0.2.1])" },
	{ { "check", "--smtp", "a", "--ehlo", "[192.0.2.1" }, "--ehlo: '[192.0.2.1' is not a valid EHLO name (a domain or an address literal such as [192.0.2.1])" },
	{ { "check", "--smtp", "a", "--ehlo", "[1.2.3.4]x]" }, "--ehlo: '[1.2.3.4]x]' is not a valid EHLO name (a domain or an address literal such as [192.0.2.1])" },
	{ { "check", "--smtp", "a", "--bogus" }, "unknown or incomplete option '--bogus'" },
	/* An error inside a cluster leaves getopt mid-argument; the next row must not resume
	 * there (found by fuzz/fuzz_opts.c). */
	{ { "check", "-4z6", "--smtp", "a" }, "unknown option '-z'" },
	{ { "check", "--smtp", "a", "-x" }, "unknown option '-x'" },
	/* Arguments quoted in a message are shown with control bytes as \xHH: one line, no
	 * terminal escapes (found by fuzz/fuzz_opts.c). */
	{ { "check", "--smtp", "a\nb:x" }, "a\\x0ab:x: invalid port 'x' (1-65535)" },
	{ { "check", "--smtp", "a", "--format", "\x1b[2J" }, "--format: '\\x1b[2J' is not text, json, nagios or postfix" },
	/* ... and C1 controls (U+009B is CSI), a bare 8-bit CSI, bidi overrides (review). */
	{ { "check", "--smtp", "a", "--timeout", "\xc2\x9b" "31m" }, "--timeout: '\\xc2\\x9b31m' is not a number of seconds in (0, 3600]" },
	{ { "check", "--smtp", "a", "--format", "\x9b" "31m" }, "--format: '\\x9b31m' is not text, json, nagios or postfix" },
	{ { "check", "--smtp", "a", "--format", "\xe2\x80\xae" "txet" }, "--format: '\\xe2\\x80\\xaetxet' is not text, json, nagios or postfix" },
	{ { "check", "--smtp", "a", "--name" }, "option '--name' needs a value" },
	{ { "cert", "x.pem" }, "cert: give at least one --name to check the certificate for" },
	{ { "cert", "--name", "a" }, "cert: give exactly one certificate FILE" },
	{ { "cert", "x.pem", "--name", "a", "--smtp" }, "cert: protocol options apply to check only" },
	{ { "cert", "x.pem", "--name", "a", "--trust-anchor", "root.key" }, "cert: --resolver and --trust-anchor apply to check and scan" },
	{ { "cert", "x.pem", "--name", "a", "--resolver", "127.0.0.1" }, "cert: --resolver and --trust-anchor apply to check and scan" },
	{ { "check", "--smtp", "a", "--trust-anchor" }, "option '--trust-anchor' needs a value" },
	/* names and tlsa --domain. */
	{ { "names" }, "names: give exactly one DOMAIN" },
	{ { "names", "a..b" }, "names: 'a..b' is not a valid domain name" },
	{ { "names", "example.org", "--level", "dane" }, "names: --level is verify (the MX host names) or secure (the domain)" },
	{ { "names", "example.org", "--chain", "int.pem" }, "names: --chain goes with --cert FILE" },
	{ { "names", "example.org", "--format", "nagios" }, "names: --format is text or json" },
	{ { "names", "example.org", "--smtp" }, "names: protocol options and --name apply to check and cert" },
	{ { "names", "example.org", "--host", "mx" }, "--host and --port apply to tlsa only (check takes HOST[:PORT])" },
	{ { "check", "--smtp", "a", "--cert", "x.pem" }, "--cert applies to names only (cert and tlsa take the FILE itself)" },
	{ { "tlsa", "x.pem", "--cert", "y.pem" }, "--cert applies to names only (cert and tlsa take the FILE itself)" },
	{ { "domain", "example.org", "--domain", "example.org" }, "--domain applies to tlsa only (domain and names take DOMAIN itself)" },
	{ { "check", "--smtp", "a", "--level", "verify" }, "--level applies to domain, names and scan --domains only" },
	{ { "tlsa", "x.pem", "--domain", "a..b" }, "--domain a..b: not a valid domain name" },
	{ { "tlsa", "x.pem", "--domain", "example.org", "--format", "json" }, "tlsa: takes --chain, --host, --port and --domain (with its DNS options) only" },
	/* scan --domains: a domain's MX hosts are SMTP on port 25, each checked as its own name. */
	{ { "scan", "--domains", "--smtp", "d.txt" }, "scan: --domains and a protocol option exclude each other (a domain's MX hosts are checked with SMTP on port 25)" },
	{ { "scan", "--imaps", "--domains" }, "scan: --domains and a protocol option exclude each other (a domain's MX hosts are checked with SMTP on port 25)" },
	{ { "scan", "--domains", "--name", "mx.example.org", "d.txt" }, "scan --domains: --name does not apply (each MX host is checked as its own name)" },
	{ { "scan", "--domains", "a.txt", "b.txt" }, "scan: give at most one input FILE (or - for standard input)" },
	{ { "scan", "--domains", "--format", "json", "d.txt" }, "scan: the output is JSON Lines; --format applies to check and cert" },
	{ { "scan", "--domains", "--level", "strict", "d.txt" }, "--level: 'strict' is not may, encrypt, dane, mta-sts, verify or secure" },
	{ { "scan", "--smtp", "--level", "dane", "h.txt" }, "--level applies to domain, names and scan --domains only" },
	{ { "check", "--smtp", "a", "--level", "dane" }, "--level applies to domain, names and scan --domains only" },
	{ { "scan", "d.txt" }, "scan: give a protocol (--smtp, --submission, --smtps, --lmtp, --imap, --imaps, --pop3, --pop3s)" },
	{ { "domain", "example.org", "--domains" }, "--domains applies to scan only" },
	{ { "check", "--smtp", "a", "--domains" }, "--domains applies to scan only" },
	{ { "domain", "example.org", "--ocsp" }, "--ocsp applies to check and scan only (not scan --domains)" },
	{ { "scan", "--domains", "--ocsp", "d.txt" }, "--ocsp applies to check and scan only (not scan --domains)" },
	{ { "cert", "x.pem", "--ocsp" }, "--ocsp applies to check and scan only (not scan --domains)" },
};

static void refused_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct cli_opts o;
		char err[512];

		if (parse(refused[i].args, &o, err, sizeof(err)) != -1)
			fail_msg("row %zu accepted", i);
		if (strcmp(err, refused[i].err) != 0)
			fail_msg("row %zu: \"%s\", expected \"%s\"", i, err, refused[i].err);
	}
}

static void accepted(void **state)
{
	struct cli_opts o;
	char err[512];
	(void)state;

	const char *a1[] = { "check", "--smtp", "mx1.example.org", "--name", "mx1.example.org",
			     "--name", "mail.example.org", "--timeout", "2.5", "--at",
			     "2027-01-31T12:00:00Z", "--format", "json", "--transcript", "-6", NULL };
	assert_int_equal(parse(a1, &o, err, sizeof(err)), 0);
	assert_int_equal(o.cmd, CMD_CHECK);
	assert_int_equal(o.proto, MAILTLS_PROTO_SMTP);
	assert_string_equal(o.host, "mx1.example.org");
	assert_int_equal(o.port, 0);
	assert_int_equal(o.n_names, 2);
	assert_string_equal(o.names[1], "mail.example.org");
	assert_true(o.timeout == 2.5);
	assert_true(o.have_at);
	assert_int_equal((long long)o.at, 1801396800LL);
	assert_int_equal(o.format, FMT_JSON);
	assert_true(o.transcript);
	assert_int_equal(o.family, 6);
	assert_int_equal(o.warn_days, -1);

	const char *ehlo[] = { "client.example.org", "[192.0.2.1]", "[IPv6:2001:db8::1]", "a-b.c", NULL };
	for (size_t i = 0; ehlo[i] != NULL; i++) {
		const char *ae[] = { "check", "--smtp", "a", "--ehlo", ehlo[i], NULL };

		assert_int_equal(parse(ae, &o, err, sizeof(err)), 0);
		assert_string_equal(o.ehlo, ehlo[i]);
	}

	assert_false(o.ocsp);
	const char *ao[] = { "check", "--smtp", "a", "--ocsp", NULL };
	assert_int_equal(parse(ao, &o, err, sizeof(err)), 0);
	assert_true(o.ocsp);
	const char *aos[] = { "scan", "--smtp", "--ocsp", "h.txt", NULL };
	assert_int_equal(parse(aos, &o, err, sizeof(err)), 0);
	assert_true(o.ocsp);

	const char *a2[] = { "check", "--imaps", "[2001:db8::1]:9993", NULL };
	assert_int_equal(parse(a2, &o, err, sizeof(err)), 0);
	assert_int_equal(o.proto, MAILTLS_PROTO_IMAPS);
	assert_string_equal(o.host, "2001:db8::1");
	assert_int_equal(o.port, 9993);

	const char *a3[] = { "check", "--pop3", "::1", NULL };
	assert_int_equal(parse(a3, &o, err, sizeof(err)), 0);
	assert_string_equal(o.host, "::1");
	assert_int_equal(o.port, 0);

	const char *a4[] = { "check", "--submission", "192.0.2.1:2587", NULL };
	assert_int_equal(parse(a4, &o, err, sizeof(err)), 0);
	assert_int_equal(o.proto, MAILTLS_PROTO_SUBMISSION);
	assert_string_equal(o.host, "192.0.2.1");
	assert_int_equal(o.port, 2587);

	const char *a5[] = { "cert", "leaf.pem", "--chain", "int.pem", "--name", "mx.example.org",
			     "--warn-days", "30", "--ca-file", "ca.pem", NULL };
	assert_int_equal(parse(a5, &o, err, sizeof(err)), 0);
	assert_int_equal(o.cmd, CMD_CERT);
	assert_string_equal(o.cert_file, "leaf.pem");
	assert_string_equal(o.chain_file, "int.pem");
	assert_string_equal(o.ca_file, "ca.pem");
	assert_int_equal(o.warn_days, 30);

	const char *a6[] = { "help", "check", NULL };
	assert_int_equal(parse(a6, &o, err, sizeof(err)), 0);
	assert_int_equal(o.cmd, CMD_HELP);
	assert_string_equal(o.help_topic, "check");

	const char *a7[] = { "--version", NULL };
	assert_int_equal(parse(a7, &o, err, sizeof(err)), 0);
	assert_int_equal(o.cmd, CMD_VERSION);

	const char *a8[] = { "check", "--help", NULL };
	assert_int_equal(parse(a8, &o, err, sizeof(err)), 0);
	assert_int_equal(o.cmd, CMD_HELP);
	assert_string_equal(o.help_topic, "check");

	const char *a9[] = { "check", "--lmtp", "[::1]", NULL };
	assert_int_equal(parse(a9, &o, err, sizeof(err)), 0);
	assert_string_equal(o.host, "::1");
	assert_int_equal(o.proto, MAILTLS_PROTO_LMTP);
	assert_null(o.trust_anchor);

	/* DNSSEC: the resolver and its trust anchor, for check and for scan. */
	const char *a10[] = { "check", "--smtp", "mx.example.org", "--resolver", "127.0.0.1@5353",
			      "--trust-anchor", "/usr/share/dns/root.key", NULL };
	assert_int_equal(parse(a10, &o, err, sizeof(err)), 0);
	assert_string_equal(o.resolver, "127.0.0.1@5353");
	assert_string_equal(o.trust_anchor, "/usr/share/dns/root.key");

	const char *a11[] = { "scan", "--smtp", "--trust-anchor", "lab/trust-anchor.ds", "in.txt", NULL };
	assert_int_equal(parse(a11, &o, err, sizeof(err)), 0);
	assert_int_equal(o.cmd, CMD_SCAN);
	assert_string_equal(o.trust_anchor, "lab/trust-anchor.ds");
	assert_string_equal(o.input, "in.txt");

	/* domain: one name, normalized; the level. */
	const char *a12[] = { "domain", "Example.ORG.", "--level", "verify", "-4", "--resolver",
			      "127.77.2.53", "--format", "json", NULL };
	assert_int_equal(parse(a12, &o, err, sizeof(err)), 0);
	assert_int_equal(o.cmd, CMD_DOMAIN);
	assert_string_equal(o.host, "example.org");
	assert_int_equal(o.level, MAILTLS_LEVEL_VERIFY);
	assert_int_equal(o.family, 4);
	assert_int_equal(o.format, FMT_JSON);

	const char *a13[] = { "domain", "example.org", NULL };
	assert_int_equal(parse(a13, &o, err, sizeof(err)), 0);
	assert_int_equal(o.level, -1);
	assert_false(o.no_mta_sts);

	const char *a14[] = { "domain", "example.org", "--level", "mta-sts", "--no-mta-sts",
			      "--format", "postfix", NULL };
	assert_int_equal(parse(a14, &o, err, sizeof(err)), 0);
	assert_int_equal(o.level, MAILTLS_LEVEL_MTASTS);
	assert_true(o.no_mta_sts);
	assert_int_equal(o.format, FMT_POSTFIX);

	const char *a22[] = { "names", "Example.ORG.", "--cert", "new.pem", "--chain", "int.pem",
			      "--level", "secure", "--format", "json", NULL };
	assert_int_equal(parse(a22, &o, err, sizeof(err)), 0);
	assert_int_equal(o.cmd, CMD_NAMES);
	assert_string_equal(o.host, "example.org");
	assert_string_equal(o.cert_file, "new.pem");
	assert_string_equal(o.chain_file, "int.pem");
	assert_int_equal(o.level, MAILTLS_LEVEL_SECURE);
	assert_int_equal(o.format, FMT_JSON);

	const char *a23[] = { "names", "example.org", NULL };
	assert_int_equal(parse(a23, &o, err, sizeof(err)), 0);
	assert_null(o.cert_file);
	assert_int_equal(o.level, -1);

	const char *a24[] = { "tlsa", "new.pem", "--host", "mx1.example.org", "--domain",
			      "Example.org", "--resolver", "127.0.0.1", NULL };
	assert_int_equal(parse(a24, &o, err, sizeof(err)), 0);
	assert_int_equal(o.cmd, CMD_TLSA);
	assert_string_equal(o.cert_file, "new.pem");
	assert_string_equal(o.tlsa_domain, "Example.org");
	assert_string_equal(o.host, "example.org");
	assert_string_equal(o.tlsa_host, "mx1.example.org");

	const char *a25[] = { "names", "--help", NULL };
	assert_int_equal(parse(a25, &o, err, sizeof(err)), 0);
	assert_int_equal(o.cmd, CMD_HELP);
	assert_string_equal(o.help_topic, "names");

	assert_int_equal(parse(a11, &o, err, sizeof(err)), 0);
	assert_false(o.domains);
	assert_int_equal(o.level, -1);

	/* scan --domains: no protocol; --level and the scan options apply; standard input by
	 * default. */
	const char *a32[] = { "scan", "--domains", "--level", "verify", "--concurrency", "40",
			      "--shard", "2/3", "--resume", "out.jsonl", "--output", "out.jsonl",
			      "-4", "domains.txt", NULL };
	assert_int_equal(parse(a32, &o, err, sizeof(err)), 0);
	assert_int_equal(o.cmd, CMD_SCAN);
	assert_true(o.domains);
	assert_int_equal(o.proto, MAILTLS_PROTO_NONE);
	assert_int_equal(o.level, MAILTLS_LEVEL_VERIFY);
	assert_int_equal(o.concurrency, 40);
	assert_int_equal(o.shard_k, 2);
	assert_int_equal(o.shard_n, 3);
	assert_int_equal(o.family, 4);
	assert_string_equal(o.input, "domains.txt");

	const char *a33[] = { "scan", "--domains", NULL };
	assert_int_equal(parse(a33, &o, err, sizeof(err)), 0);
	assert_true(o.domains);
	assert_int_equal(o.level, -1);
	assert_string_equal(o.input, "-");

	const char *a34[] = { "scan", "--domains", "--help", NULL };
	assert_int_equal(parse(a34, &o, err, sizeof(err)), 0);
	assert_int_equal(o.cmd, CMD_HELP);
	assert_string_equal(o.help_topic, "scan");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refused_table),
		cmocka_unit_test(accepted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
