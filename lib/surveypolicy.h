/*
 * surveypolicy.h - what the facts of a TLS survey (mailtls/survey.h) mean: the survey.*
 * and the tls.* findings about what the server accepts (legacy versions, insecure and
 * weak suites, forward secrecy, small DH primes, secure renegotiation). Policy only: it
 * reads res->survey and adds findings to res. Internal to libmailtls.
 */
#ifndef MAILTLS_SURVEYPOLICY_H
#define MAILTLS_SURVEYPOLICY_H

#include <mailtls/mailtls.h>

/* surveypolicy_findings - add the survey's findings to res (nothing when res->survey is
 * NULL). */
void surveypolicy_findings(struct mailtls_result *res);

#endif
