/*
 * scan.c - `mailtls scan`: many targets, one process, one engine. Targets are read lazily
 * (a window of checks pending at a time, so memory stays flat however long the input);
 * each result is written as one JSON line with one write(2), in completion order; bad
 * input lines get their own line saying why. A progress line on a terminal; SIGINT or
 * SIGTERM winds down (checks at work finish and are written), a second one exits at once.
 *
 * With --domains each line is a mail domain, evaluated as `mailtls domain` does
 * (mailtls_domain_submit on the same engine) and written as the domain's JSON object.
 * A domain keeps the results of all its MX addresses until it is done, so the window
 * counts domains, and is smaller: --concurrency / 4 (docs/scaling.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <mailtls/mailtls.h>
#include "opts.h"
#include "resume.h"
#include "scan.h"
#include "summary.h"
#include "targets.h"

#define PROGRESS_EVERY 0.25       /* seconds between progress redraws */

struct scan {
	const struct cli_opts *o;
	struct mailtls_engine *e;
	FILE *in;
	long lineno;
	bool eof;
	bool stopping;                /* a signal came: no new targets */
	int signals;
	int out_fd;
	bool out_failed;
	struct resume_set resumed;
	size_t window;                /* most targets pending at once (checks, or domains) */
	size_t in_flight;             /* targets submitted and not yet written or dropped */
	size_t total;                 /* targets to check, when known in advance (a file) */
	size_t written;
	int worst;
	struct summary sum;
	bool progress;
	struct timespec started;
	char errmsg[512];
};

/* What the engine hands back with each result. */
struct item {
	struct scan *s;
	long line;
	char *shown;                  /* the input line, escaped for display */
};

static double now_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* write_all - one write(2) for the whole line, more only if the kernel takes part of it. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void forget(void *arg);

static void clear_progress(struct scan *s)
{
	if (s->progress)
		fputs("\r\033[K", stderr);
}

/* emit_line - write one JSON line (jl: NULL when it could not be made) and count its exit
 * code; frees jl. */
static void emit_line(struct scan *s, char *jl, int code)
{
	if (jl == NULL || write_all(s->out_fd, jl, strlen(jl)) != 0) {
		if (!s->out_failed) {
			snprintf(s->errmsg, sizeof(s->errmsg), "scan: cannot write the output: %s",
				 jl == NULL ? "out of memory" : strerror(errno));
			/* No line can be kept: checks not yet started are not worth their time
			 * (a full disk, a closed pipe); those at work end within their deadline. */
			mailtls_engine_stop_queue(s->e, forget);
		}
		s->out_failed = true;
		s->stopping = true;
	} else {
		s->written++;
	}
	free(jl);
	if (code > s->worst)
		s->worst = code;
}

/* emit - write the result's line, count it, free it. */
static void emit(struct scan *s, struct mailtls_result *res, const char *shown, long line)
{
	int code = (int)mailtls_result_exit_code(res);

	emit_line(s, mailtls_report_jsonl(res, shown, line), code);
	summary_add(&s->sum, res);
	mailtls_result_free(res);
}

/* emit_domain - the same for a domain's result. */
static void emit_domain(struct scan *s, struct mailtls_domain_result *res, const char *shown,
			long line)
{
	int code = (int)mailtls_domain_exit_code(res);

	emit_line(s, mailtls_report_domain_jsonl(res, shown, line), code);
	summary_add_domain(&s->sum, res);
	mailtls_domain_result_free(res);
}

/* emit_bad_domain - a line that is not a domain: a domain result that says why. */
static void emit_bad_domain(struct scan *s, const char *shown, long line, const char *why)
{
	struct mailtls_domain_result *res = calloc(1, sizeof(*res));

	if (res == NULL || (res->unknown_reason = mailtls_escape(why, strlen(why))) == NULL) {
		free(res);
		s->stopping = true;
		snprintf(s->errmsg, sizeof(s->errmsg), "scan: out of memory");
		return;
	}
	res->checked = false;
	res->level = s->o->level >= 0 ? (enum mailtls_level)s->o->level : MAILTLS_LEVEL_DANE;
	res->validation_time = s->o->have_at ? s->o->at : time(NULL);
	emit_domain(s, res, shown, line);
}

/* emit_bad - a line that is not a target: a result that says why. */
static void emit_bad(struct scan *s, const char *shown, long line, unsigned port, const char *why)
{
	struct mailtls_result *res;

	if (s->o->domains) {
		emit_bad_domain(s, shown, line, why);
		return;
	}
	res = mailtls_result_new();

	if (res == NULL) {
		s->stopping = true;
		snprintf(s->errmsg, sizeof(s->errmsg), "scan: out of memory");
		return;
	}
	res->checked = false;
	res->validation_time = s->o->have_at ? s->o->at : time(NULL);
	res->have_session = true;
	res->session.proto = s->o->proto;
	res->session.port = port ? port : mailtls_default_port(s->o->proto);
	res->session.host = strdup(shown);
	res->unknown_reason = mailtls_escape(why, strlen(why));
	emit(s, res, shown, line);
}

static void feed(struct scan *s);

static void on_done(struct mailtls_result *res, void *arg)
{
	struct item *it = arg;
	struct scan *s = it->s;

	s->in_flight--;
	emit(s, res, it->shown, it->line);
	free(it->shown);
	free(it);
	feed(s);
}

static void on_domain_done(struct mailtls_domain_result *res, void *arg)
{
	struct item *it = arg;
	struct scan *s = it->s;

	s->in_flight--;
	emit_domain(s, res, it->shown, it->line);
	free(it->shown);
	free(it);
	feed(s);
}

/* forget - a target dropped before it started (a signal, a failed write): no line. */
static void forget(void *arg)
{
	struct item *it = arg;

	it->s->in_flight--;
	free(it->shown);
	free(it);
}

/* wanted - the line is in our shard and was not answered by the run we resume. The raw
 * line is hashed for the shard; the escaped one is what --resume compares. */
static bool wanted(const struct scan *s, const char *raw, const char *shown, long line)
{
	if (s->o->shard_n > 1 && !target_in_shard(raw, s->o->shard_k, s->o->shard_n))
		return false;
	return s->o->resume == NULL || !resume_has(&s->resumed, line, shown);
}

/* selected - input line number `line` (len bytes, which may hold a NUL) gets an output
 * line in this run: not blank or a comment, in our shard, not answered before. Then *t is
 * what it says and *shown (the caller frees it) the line escaped; *shown stays NULL when
 * memory ran out. */
static bool selected(const struct scan *s, const char *raw, size_t len, bool too_long,
		     long line, struct target *t, char **shown)
{
	bool nul = memchr(raw, '\0', len) != NULL;   /* target_parse() sees up to the NUL */

	*shown = NULL;
	if (s->o->domains)
		target_parse_domain(raw, t);
	else
		target_parse(raw, t);
	if (t->kind == TARGET_SKIP && !too_long && !nul)
		return false;
	if ((*shown = mailtls_escape(raw, len)) == NULL)
		return true;
	if (wanted(s, raw, *shown, line))
		return true;
	free(*shown);
	*shown = NULL;
	return false;
}

/* submit_domain - queue the evaluation of one domain (shown is the caller's: copied). */
static void submit_domain(struct scan *s, const char *domain, const char *shown, long line)
{
	const struct cli_opts *o = s->o;
	struct mailtls_domain_params p;
	struct item *it = malloc(sizeof(*it));
	char why[512];

	if (it == NULL || (it->shown = strdup(shown)) == NULL) {
		free(it);
		emit_bad(s, shown, line, 0, "out of memory");
		return;
	}
	it->s = s;
	it->line = line;
	cli_domain_params(o, domain, &p);
	if (mailtls_domain_submit(s->e, &p, on_domain_done, it, why, sizeof(why)) == 0) {
		s->in_flight++;
		return;   /* the item is the engine's until on_domain_done or forget */
	}
	free(it->shown);
	free(it);
	emit_bad(s, shown, line, 0, why);
}

/* submit_line - one input line (len bytes, which may hold a NUL): skip it, write why it is
 * bad, or queue its check. */
static void submit_line(struct scan *s, const char *raw, size_t len, bool too_long)
{
	const struct cli_opts *o = s->o;
	struct target t;
	char why[512];
	char *shown;
	long line = ++s->lineno;

	if (!selected(s, raw, len, too_long, line, &t, &shown))
		return;
	if (shown == NULL) {
		s->stopping = true;
		snprintf(s->errmsg, sizeof(s->errmsg), "scan: out of memory");
		return;
	}
	if (too_long) {
		snprintf(why, sizeof(why), "line %ld: longer than %d bytes: not a target", line,
			 TARGET_LINE_MAX);
		emit_bad(s, shown, line, 0, why);
	} else if (memchr(raw, '\0', len) != NULL) {
		snprintf(why, sizeof(why), "line %ld: holds a NUL byte: not a target", line);
		emit_bad(s, shown, line, 0, why);
	} else if (t.kind == TARGET_BAD) {
		emit_bad(s, shown, line, 0, t.why);
	} else if (o->domains) {
		submit_domain(s, t.host, shown, line);
	} else if (cli_validate_target(t.host, NULL, 0, o->family, why, sizeof(why)) != 0) {
		emit_bad(s, shown, line, t.port, why);
	} else {
		struct mailtls_check_params p = {
			.proto = o->proto, .host = t.host, .port = t.port,
			.names = o->names, .n_names = o->n_names, .ehlo_name = o->ehlo,
			.timeout = o->timeout, .deadline = o->deadline, .at = o->at,
			.have_at = o->have_at, .warn_days = o->warn_days,
			.transcript = o->transcript, .injection = o->injection, .survey = o->survey,
			.profiles = (const struct mailtls_profile *const *)o->profiles,
			.n_profiles = o->n_profiles,
			/* A batch tries profiles only when asked (--survey, --profile): a
			 * failed handshake does not make five more connections per server. */
			.no_profiles = o->no_profiles || (!o->survey && o->n_profiles == 0),
			.ocsp_query = o->ocsp, .family = o->family,
		};
		struct item *it = malloc(sizeof(*it));

		if (it == NULL) {
			emit_bad(s, shown, line, t.port, "out of memory");
		} else {
			*it = (struct item){ s, line, shown };
			if (mailtls_engine_submit(s->e, &p, on_done, it, why, sizeof(why)) == 0) {
				s->in_flight++;
				return;   /* the item is the engine's until on_done or forget */
			}
			free(it);
			emit_bad(s, shown, line, t.port, why);
		}
	}
	free(shown);
}

/* feed - read and submit lines until the window is full or the input ends. */
static void feed(struct scan *s)
{
	char buf[TARGET_LINE_MAX + 1];
	size_t len;
	bool too_long;

	while (!s->eof && !s->stopping && s->in_flight < s->window) {
		if (!line_read(s->in, buf, TARGET_LINE_MAX, &len, &too_long)) {
			s->eof = true;
			if (ferror(s->in))
				snprintf(s->errmsg, sizeof(s->errmsg), "scan %s: read error",
					 s->o->input);
			break;
		}
		submit_line(s, buf, len, too_long);
	}
}

/* count_targets - how many lines of a regular file will be checked (for the progress
 * line's total and ETA); 0 when unknown (standard input, a pipe). */
static size_t count_targets(struct scan *s, const char *path)
{
	char buf[TARGET_LINE_MAX + 1];
	struct stat st;
	size_t n = 0, len;
	long line = 0;
	bool too_long;
	FILE *f;

	if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (f = fopen(path, "r")) == NULL)
		return 0;
	while (line_read(f, buf, TARGET_LINE_MAX, &len, &too_long)) {
		struct target t;
		char *shown;

		if (selected(s, buf, len, too_long, ++line, &t, &shown))
			n++;
		free(shown);
	}
	fclose(f);
	return n;
}

static void on_tick(void *arg)
{
	struct scan *s = arg;
	double secs = now_since(&s->started);
	double rate = secs > 0 ? (double)s->sum.results / secs : 0;
	char eta[32] = "";

	if (!s->progress)
		return;
	if (s->total > s->sum.results && rate > 0) {
		long left = (long)((double)(s->total - s->sum.results) / rate);

		snprintf(eta, sizeof(eta), ", ETA %ld:%02ld", left / 60, left % 60);
	}
	fprintf(stderr, "\r\033[Kscan: %zu", s->sum.results);
	if (s->total > 0)
		fprintf(stderr, "/%zu", s->total);
	fprintf(stderr, " done, %.0f/s%s | OK %zu  WARNING %zu  CRITICAL %zu  UNKNOWN %zu%s",
		rate, eta, s->sum.verdicts[0], s->sum.verdicts[1], s->sum.verdicts[2],
		s->sum.verdicts[3], s->stopping ? " | stopping" : "");
	fflush(stderr);
}

static void on_signal(int signo, void *arg)
{
	struct scan *s = arg;

	if (++s->signals > 1) {
		/* Every line written so far is whole: leave at once. */
		static const char msg[] = "\nmailtls: scan: stopped at once\n";
		ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);

		(void)n;
		_exit(128 + signo);
	}
	s->stopping = true;
	mailtls_engine_stop_queue(s->e, forget);
	on_tick(s);
}

/* same_file - a and b name one file (not only the same spelling: ./out and out). */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return strcmp(a, b) == 0 || (stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
				     sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
}

/* cut_partial_line - the file we append to may end in part of a line (a run killed during
 * a write of more than a page, a full disk): cut it off after its last newline, or the next
 * line would be glued to it. resume_load() ignored that part, so its target is checked
 * again. 0, or -1 with errno set. */
static int cut_partial_line(int fd)
{
	char buf[4096];
	struct stat st;
	off_t end;

	if (fstat(fd, &st) != 0)
		return -1;
	if (!S_ISREG(st.st_mode))
		return 0;
	for (end = st.st_size; end > 0;) {
		size_t n = end < (off_t)sizeof(buf) ? (size_t)end : sizeof(buf);
		ssize_t r = pread(fd, buf, n, end - (off_t)n);

		if (r != (ssize_t)n) {
			if (r >= 0)
				errno = EIO;   /* the file shrank under us */
			return -1;
		}
		for (size_t i = n; i > 0; i--)
			if (buf[i - 1] == '\n') {
				end -= (off_t)(n - i);
				return end == st.st_size ? 0 : ftruncate(fd, end);
			}
		end -= (off_t)n;
	}
	return ftruncate(fd, 0);
}

static int open_output(const struct cli_opts *o, char *err, size_t errlen)
{
	int fd, flags = O_CREAT | O_CLOEXEC;
	bool append;

	if (o->output == NULL)
		return STDOUT_FILENO;
	/* Resuming into the same file appends to what is answered; otherwise start afresh. */
	append = o->resume != NULL && same_file(o->resume, o->output);
	flags |= append ? O_RDWR | O_APPEND : O_WRONLY | O_TRUNC;
	if ((fd = open(o->output, flags, 0644)) < 0 || (append && cut_partial_line(fd) != 0)) {
		snprintf(err, errlen, "--output %s: %s", o->output, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int write_summary(struct scan *s)
{
	char *js;
	int fd, r = 0;

	if (s->o->summary)
		summary_print(&s->sum, stderr);
	if (s->o->summary_json == NULL)
		return 0;
	js = summary_json(&s->sum);
	fd = js ? open(s->o->summary_json, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
	if (fd < 0 || write_all(fd, js, strlen(js)) != 0) {
		snprintf(s->errmsg, sizeof(s->errmsg), "--summary-json %s: %s", s->o->summary_json,
			 js ? strerror(errno) : "out of memory");
		r = -1;
	}
	if (fd >= 0)
		close(fd);
	free(js);
	return r;
}

int scan_run(const struct cli_opts *o, char *err, size_t errlen)
{
	struct scan s = { .o = o, .out_fd = -1 };
	struct mailtls_engine_params ep;
	size_t ignored = 0;
	int code = MAILTLS_EXIT_UNKNOWN;

	err[0] = '\0';
	cli_engine_params(o, &ep);
	summary_init(&s.sum);
	s.sum.domains = o->domains;
	if (cli_validate_target("localhost", o->names, o->n_names, 0, err, errlen) != 0)
		goto out;
	if (o->resume != NULL && resume_load(o->resume, &s.resumed, &ignored, err, errlen) != 0)
		goto out;
	s.in = strcmp(o->input, "-") == 0 ? stdin : fopen(o->input, "r");
	if (s.in == NULL) {
		snprintf(err, errlen, "scan %s: %s", o->input, strerror(errno));
		goto out;
	}
	if ((s.out_fd = open_output(o, err, errlen)) < 0)
		goto out;
	if ((s.e = mailtls_engine_new(&ep, err, errlen)) == NULL)
		goto out;
	s.window = (o->concurrency ? o->concurrency : MAILTLS_ENGINE_IN_FLIGHT_DEFAULT) * 2 + 16;
	if (o->domains) {
		/* A domain holds every server result of its MX addresses until it is done:
		 * a quarter of the checks in flight, at least one (docs/scaling.md). */
		s.window = (o->concurrency ? o->concurrency : MAILTLS_ENGINE_IN_FLIGHT_DEFAULT) / 4;
		if (s.window == 0)
			s.window = 1;
	}

	s.progress = !o->quiet && isatty(STDERR_FILENO);
	s.total = s.progress ? count_targets(&s, o->input) : 0;
	clock_gettime(CLOCK_MONOTONIC, &s.started);
	if (mailtls_engine_on_signal(s.e, SIGINT, on_signal, &s) != 0 ||
	    mailtls_engine_on_signal(s.e, SIGTERM, on_signal, &s) != 0 ||
	    (s.progress && mailtls_engine_every(s.e, PROGRESS_EVERY, on_tick, &s) != 0)) {
		snprintf(err, errlen, "scan: cannot set up the event loop");
		goto out;
	}
	feed(&s);
	/* Each pass runs until nothing is pending: feeding happens from the done callbacks,
	 * and a pass that ends with input left (every line so far was bad or skipped) feeds
	 * again. Bounded by the input's length. */
	while (mailtls_engine_pending(s.e) > 0 || (!s.eof && !s.stopping)) {
		if (mailtls_engine_run(s.e) != 0) {
			snprintf(err, errlen, "scan: the event loop failed");
			goto out;
		}
		feed(&s);
	}
	on_tick(&s);
	clear_progress(&s);
	if (write_summary(&s) != 0 || s.errmsg[0]) {
		snprintf(err, errlen, "%s", s.errmsg);
		goto out;
	}
	if (s.signals > 0) {
		snprintf(err, errlen, "scan: stopped by a signal after %zu results; run it again with "
			 "--resume to check the rest", s.written);
		goto out;
	}
	code = s.worst;
out:
	if (s.e != NULL)
		mailtls_engine_free(s.e);
	if (s.in != NULL && s.in != stdin)
		fclose(s.in);
	if (s.out_fd > STDOUT_FILENO)
		close(s.out_fd);
	resume_free(&s.resumed);
	summary_free(&s.sum);
	return code;
}
