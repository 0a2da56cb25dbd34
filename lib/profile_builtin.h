/*
 * profile_builtin.h - the profile files compiled into the library: profiles/NAME.profile as
 * they are in the source tree, written as C strings at build time by profiles/embed.c
 * (the generated profiles_builtin.c defines both symbols). profile.c parses them once
 * (mailtls_profiles_builtin()). Internal to libmailtls.
 */
#ifndef MAILTLS_PROFILE_BUILTIN_H
#define MAILTLS_PROFILE_BUILTIN_H

#include <stddef.h>

#define PROFILE_BUILTIN_MAX 64    /* built-in profiles at most (embed.c refuses more) */

struct profile_builtin_file {
	const char *origin;       /* "profiles/NAME.profile": the name must match it */
	const char *text;         /* the file's bytes (a NUL after them, not counted) */
	size_t len;
};

extern const struct profile_builtin_file profile_builtin_files[];
extern const size_t profile_builtin_count;

#endif
