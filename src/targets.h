/*
 * targets.h - the input of `mailtls scan`: one target per line, read a line at a time with
 * a size limit, parsed without I/O (unit-tested), and split into shards by a stable hash.
 */
#ifndef MAILTLS_CLI_TARGETS_H
#define MAILTLS_CLI_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <mailtls/mailtls.h>

#define TARGET_LINE_MAX 1024          /* longest input line, newline excluded */

enum target_kind {
	TARGET_SKIP,                  /* blank or a # comment: no output */
	TARGET_OK,                    /* host and port filled */
	TARGET_BAD,                   /* not a target: why says so; one output line */
};

struct target {
	enum target_kind kind;
	char host[MAILTLS_NAME_MAX + 1];
	unsigned port;                /* 0: the protocol's default */
	char why[300];
};

/* line_read - the next line of f into buf[max + 1] (newline removed, NUL-terminated; *len
 * its length). A line longer than max is read to its end and cut; *too_long says so.
 * Returns false at the end of input (or a read error: ferror(f) tells). */
bool line_read(FILE *f, char *buf, size_t max, size_t *len, bool *too_long);

/* target_parse - what line says: skip, a target (HOST, HOST:PORT, [V6]:PORT, V6), or bad
 * with a reason. Surrounding blanks (space, tab, CR) are ignored. */
void target_parse(const char *line, struct target *t);

/* target_parse_domain - the same for `scan --domains`: skip, a domain name (host holds it
 * normalized: lower case, A-labels, no trailing dot; port 0), or bad with a reason. */
void target_parse_domain(const char *line, struct target *t);

/* target_hash - a stable 64-bit hash (FNV-1a) of the line with surrounding blanks removed:
 * the same line falls in the same shard on every machine and every run. */
uint64_t target_hash(const char *line);

/* target_in_shard - line belongs to shard k of n (1 <= k <= n). */
bool target_in_shard(const char *line, unsigned k, unsigned n);

#endif
