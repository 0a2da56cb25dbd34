/*
 * testfindings.h - assertions on a result's findings that several unit tests share
 * (cmocka): the exact ids in order, and the message of one id.
 */
#ifndef MAILTLS_TESTFINDINGS_H
#define MAILTLS_TESTFINDINGS_H

#include <mailtls/mailtls.h>

/* testfindings_expect_ids - the findings of res are exactly the ids given, in order (a
 * null pointer ends the list; at most 32); on a difference, every finding is printed
 * with its message, then the test fails. With MAILTLS_TEST_VERBOSE set they are printed
 * always. Use the expect_ids() macro, which adds the terminator. */
void testfindings_expect_ids(const struct mailtls_result *res, ...);
#define expect_ids(res, ...) testfindings_expect_ids(res, __VA_ARGS__, (const char *)NULL)

/* message_of - the message of the first finding id in res (borrowed); fails the test
 * when there is none. */
const char *message_of(const struct mailtls_result *res, const char *id);

#endif
