/*
 * test_rollover.c - mailtls_roll_plan() as a table: published records (with what each
 * matches: the new chain, the chain served now), the records wanted for the new chain,
 * whether the published ones authenticate it; the steps and must_add out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <mailtls/mailtls.h>

/* Association data, short for the table (the plan compares it as text). */
#define OLD "aa11"
#define NEW "bb22"
#define NEXT "cc33"
#define INT "dd44"
#define PKIX "ee55"

struct rec {
	int usage;                    /* -1: end of the list */
	const char *hex;
	bool usable, matches_new;
	int served;
};

struct want {
	int usage;                    /* -1: end */
	const char *hex;
};

struct expect_step {
	int action;                   /* -1: end */
	int usage;
	const char *hex;
	int served;
};

struct roll_case {
	const char *name;
	struct rec published[6];
	struct want wanted[4];
	bool authenticated;
	bool must_add;
	struct expect_step steps[8];
};

enum { K = MAILTLS_ROLL_KEEP, ADD = MAILTLS_ROLL_ADD, RA = MAILTLS_ROLL_REMOVE_AFTER,
       RM = MAILTLS_ROLL_REMOVE, IGN = MAILTLS_ROLL_IGNORED };
#define END { -1, NULL, false, false, 0 }
#define WEND { -1, NULL }
#define SEND { -1, 0, NULL, 0 }

static const struct roll_case cases[] = {
	{ "already published: keep, nothing to add",
	  { { 3, NEW, true, true, 1 }, END }, { { 3, NEW }, WEND }, true, false,
	  { { K, 3, NEW, 1 }, SEND } },
	{ "a new key: add it first, the served one goes after the switch",
	  { { 3, OLD, true, false, 1 }, END }, { { 3, NEW }, WEND }, false, true,
	  { { ADD, 3, NEW, 0 }, { RA, 3, OLD, 1 }, SEND } },
	{ "current and next published, switching to current: next matches neither",
	  { { 3, NEW, true, true, 1 }, { 3, NEXT, true, false, 0 }, END },
	  { { 3, NEW }, WEND }, true, false,
	  { { K, 3, NEW, 1 }, { RM, 3, NEXT, 0 }, SEND } },
	{ "switching to the pre-published next key: the current one stays until the switch",
	  { { 3, OLD, true, false, 1 }, { 3, NEXT, true, true, 0 }, END },
	  { { 3, NEXT }, WEND }, true, false,
	  { { K, 3, NEXT, 0 }, { RA, 3, OLD, 1 }, SEND } },
	{ "the served chain unknown (no TLS): kept until the switch, never 'remove'",
	  { { 3, OLD, true, false, -1 }, END }, { { 3, NEW }, WEND }, false, true,
	  { { ADD, 3, NEW, 0 }, { RA, 3, OLD, -1 }, SEND } },
	{ "no TLSA records: DANE not in use, nothing to add",
	  { END }, { { 3, NEW }, { 2, INT }, WEND }, false, false,
	  { SEND } },
	{ "only unusable records (PKIX-EE): ignored, nothing to add",
	  { { 1, NEW, false, true, 1 }, END }, { { 3, NEW }, WEND }, false, false,
	  { { IGN, 1, NEW, 1 }, SEND } },
	{ "a DANE-TA record of the same issuer covers the new leaf",
	  { { 2, INT, true, true, 1 }, END }, { { 3, NEW }, { 2, INT }, WEND }, true, false,
	  { { K, 2, INT, 1 }, SEND } },
	{ "DANE-TA matches but does not authenticate (names): add the leaf's 3 1 1 only",
	  { { 2, INT, true, true, 1 }, END }, { { 3, NEW }, { 2, INT }, WEND }, false, true,
	  { { K, 2, INT, 1 }, { ADD, 3, NEW, 0 }, SEND } },
	{ "a new issuer: leaf and issuer added, the old issuer's record after the switch",
	  { { 2, OLD, true, false, 1 }, END }, { { 3, NEW }, { 2, INT }, WEND }, false, true,
	  { { ADD, 3, NEW, 0 }, { ADD, 2, INT, 0 }, { RA, 2, OLD, 1 }, SEND } },
	{ "data compared without regard to case",
	  { { 3, "AA11", true, false, 1 }, END }, { { 3, "aa11" }, WEND }, false, true,
	  { { RA, 3, "AA11", 1 }, SEND } },
	{ "every kind at once, listed by action",
	  { { 3, NEXT, true, false, 0 }, { 0, PKIX, false, false, 0 }, { 3, OLD, true, false, 1 },
	    { 3, NEW, true, true, 0 }, END },
	  { { 3, NEW }, WEND }, true, false,
	  { { K, 3, NEW, 0 }, { RA, 3, OLD, 1 }, { RM, 3, NEXT, 0 }, { IGN, 0, PKIX, 0 }, SEND } },
};

static void run_case(const struct roll_case *c)
{
	struct mailtls_roll_published pub[6];
	struct mailtls_tlsa_publish want[4];
	struct mailtls_roll_input in = { .published = pub, .wanted = want,
					 .new_authenticated = c->authenticated };
	struct mailtls_roll_plan plan;
	size_t n = 0;

	for (size_t i = 0; c->published[i].usage >= 0; i++)
		pub[in.n_published++] = (struct mailtls_roll_published){
			.usage = (uint8_t)c->published[i].usage, .selector = 1, .mtype = 1,
			.hex = c->published[i].hex, .usable = c->published[i].usable,
			.matches_new = c->published[i].matches_new,
			.matches_served = c->published[i].served };
	for (size_t i = 0; c->wanted[i].usage >= 0; i++)
		want[in.n_wanted++] = (struct mailtls_tlsa_publish){
			.usage = (uint8_t)c->wanted[i].usage, .selector = 1, .mtype = 1,
			.hex = (char *)c->wanted[i].hex, .cert_index = i };
	assert_int_equal(mailtls_roll_plan(&in, &plan), 0);
	if (plan.must_add != c->must_add)
		fail_msg("%s: must_add %d", c->name, plan.must_add);
	for (; c->steps[n].action >= 0; n++) {
		if (n >= plan.n)
			fail_msg("%s: %zu steps, more expected", c->name, plan.n);
		if ((int)plan.v[n].action != c->steps[n].action || plan.v[n].usage != c->steps[n].usage
		    || strcmp(plan.v[n].hex, c->steps[n].hex) != 0
		    || plan.v[n].matches_served != c->steps[n].served)
			fail_msg("%s: step %zu is %s %u %s (served %d)", c->name, n,
				 mailtls_roll_action_name(plan.v[n].action), plan.v[n].usage,
				 plan.v[n].hex, plan.v[n].matches_served);
		assert_int_equal(plan.v[n].selector, 1);
		assert_int_equal(plan.v[n].mtype, 1);
	}
	if (plan.n != n)
		fail_msg("%s: %zu steps, %zu expected", c->name, plan.n, n);
	mailtls_roll_plan_clear(&plan);
	assert_null(plan.v);
	assert_int_equal(plan.n, 0);
}

static void plan_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* The ADD step points back at the record wanted, so the caller can name its certificate. */
static void add_index(void **state)
{
	struct mailtls_tlsa_publish want[2] = {
		{ .usage = 3, .selector = 1, .mtype = 1, .hex = (char *)NEW, .cert_index = 0 },
		{ .usage = 2, .selector = 1, .mtype = 1, .hex = (char *)INT, .cert_index = 1 },
	};
	struct mailtls_roll_published pub[1] = {
		{ .usage = 3, .selector = 1, .mtype = 1, .hex = NEW, .usable = true,
		  .matches_new = false, .matches_served = 0 },
	};
	struct mailtls_roll_input in = { .published = pub, .n_published = 1, .wanted = want,
					 .n_wanted = 2, .new_authenticated = false };
	struct mailtls_roll_plan plan;

	(void)state;
	/* NEW is published already (the same data), so only the issuer is added; the
	 * published record does not match the new chain (a stale copy): it may go. */
	assert_int_equal(mailtls_roll_plan(&in, &plan), 0);
	assert_true(plan.must_add);
	assert_int_equal(plan.n, 2);
	assert_int_equal(plan.v[0].action, MAILTLS_ROLL_ADD);
	assert_int_equal(plan.v[0].index, 1);
	assert_int_equal(plan.v[1].action, MAILTLS_ROLL_REMOVE);
	assert_int_equal(plan.v[1].index, 0);
	mailtls_roll_plan_clear(&plan);
	mailtls_roll_plan_clear(&plan);   /* a cleared plan clears again */
}

static void action_names(void **state)
{
	(void)state;
	assert_string_equal(mailtls_roll_action_name(MAILTLS_ROLL_KEEP), "keep");
	assert_string_equal(mailtls_roll_action_name(MAILTLS_ROLL_ADD), "add");
	assert_string_equal(mailtls_roll_action_name(MAILTLS_ROLL_REMOVE_AFTER), "remove-after-switch");
	assert_string_equal(mailtls_roll_action_name(MAILTLS_ROLL_REMOVE), "remove");
	assert_string_equal(mailtls_roll_action_name(MAILTLS_ROLL_IGNORED), "ignored");
	assert_int_equal(mailtls_rollover_exit_code(NULL), MAILTLS_EXIT_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plan_table),
		cmocka_unit_test(add_index),
		cmocka_unit_test(action_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
