/*
 * engine.h - the event loop that runs checks: one or ten thousand, on one libevent base,
 * sharing one TLS context, one trust store and one resolver. Internal to libmailtls for now;
 * the batch `scan` command will make a public face for it.
 */
#ifndef MAILTLS_ENGINE_H
#define MAILTLS_ENGINE_H

#include <stddef.h>
#include <mailtls/check.h>

struct engine_params {
	const char *ca_file;
	const char *ca_path;
	const char *resolver;
};

struct engine;

/* engine_new - NULL with why filled (unreadable CA file, resolver setup failed...). */
struct engine *engine_new(const struct engine_params *ep, char *why, size_t whylen);

/* engine_submit - queue one check. done(res, arg) is called once from engine_run() with a
 * result the callee owns (free with mailtls_result_free()). On a negative return (invalid
 * parameters: why says which) done is never called. */
int engine_submit(struct engine *e, const struct mailtls_check_params *cp,
		  void (*done)(struct mailtls_result *res, void *arg), void *arg,
		  char *why, size_t whylen);

/* engine_run - run until every submitted check is done. 0 or MAILTLS_EINTERNAL. */
int engine_run(struct engine *e);

/* engine_free - NULL is a no-op. Checks still running are abandoned without callbacks. */
void engine_free(struct engine *e);

#endif
