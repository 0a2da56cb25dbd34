/*
 * mailtls/survey.h - what a TLS survey of one server address found (check --survey): the
 * protocol versions it accepts, the cipher suites per version in the order it prefers
 * them, its key exchange groups, the certificate key types it can serve, and secure
 * renegotiation. Facts only: every entry comes from a handshake the survey made (a
 * "probe"); the tls.* and survey.* findings judge them (surveypolicy.c).
 *
 * How the facts are found (lib/survey.c): one probe per version offering everything this
 * OpenSSL can offer at security level 0 (the TLS 1.2 floor of ordinary checks does not
 * apply to probes, which carry no mail); then, per accepted version, the suite the server
 * chose is taken out of the offer and the probe made again, until the server refuses: the
 * suites in the order the server chose them. A last probe offering the first two in the
 * other order says whether that order is the server's (it chose the same one) or ours.
 * Groups the same way. Key types: one probe offering only RSA, only ECDSA and only EdDSA
 * signatures. Probes go through the engine's admission like checks: at most per_address
 * connections to the address at once. A server that limits us (SMTP 421, any 4xx or a
 * refused or dropped connection before TLS) is waited for and asked again, a bounded
 * number of times; what could not be asked is marked unknown, never rejected.
 *
 * The result owns a survey (res->survey) and everything in it; mailtls_result_free()
 * frees it.
 */
#ifndef MAILTLS_SURVEY_H
#define MAILTLS_SURVEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mailtls/result.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MAILTLS_SURVEY_VERSIONS 4         /* TLS 1.0, 1.1, 1.2, 1.3 */
#define MAILTLS_SURVEY_CIPHERS_MAX 128    /* most suites listed per version */
#define MAILTLS_SURVEY_GROUPS_MAX 16
#define MAILTLS_SURVEY_PROBES_MAX 600     /* most handshakes one survey makes */
#define MAILTLS_SURVEY_TIME_STEPS 30      /* a survey starts no probe after this many step
                                           * timeouts (--timeout) from its start */

enum mailtls_survey_state {
	MAILTLS_SURVEY_UNTESTED = 0,      /* not asked (the survey stopped before) */
	MAILTLS_SURVEY_ACCEPTED,          /* a handshake completed */
	MAILTLS_SURVEY_REJECTED,          /* the server ended the handshake (why says how) */
	MAILTLS_SURVEY_UNKNOWN,           /* the probe did not get an answer (timeout, the
	                                   * server kept limiting us): why says so */
};

/* One cipher suite the server accepted. */
struct mailtls_survey_cipher {
	char *name;               /* OpenSSL's name "ECDHE-RSA-AES256-GCM-SHA384"; owned */
	char *iana;               /* the IANA name "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";
	                           * owned */
	uint16_t id;              /* the two-byte code point (0xC030) */
	char *kx;                 /* the key exchange the server made, as negotiated:
	                           * "X25519", "ECDH P-256", "DH 2048", "RSA" (no ephemeral
	                           * key); owned */
	int kx_bits;              /* its size in bits (DH: the prime; 0 when no ephemeral) */
	bool forward_secret;      /* an ephemeral key exchange (ECDHE, DHE, TLS 1.3) */
	int strength_bits;        /* the cipher's symmetric strength (SSL_CIPHER_get_bits) */
};

/* One protocol version. */
struct mailtls_survey_version {
	const char *name;                 /* "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3";
	                                   * static */
	enum mailtls_survey_state state;
	char *why;                        /* REJECTED/UNKNOWN: the probe's outcome in words;
	                                   * owned */
	struct mailtls_survey_cipher *ciphers;  /* ACCEPTED: in the order the server chose
	                                         * them; owned */
	size_t n_ciphers;
	int server_order;                 /* 1: the server chooses by its own order (the list
	                                   * above is it); 0: it takes the client's first;
	                                   * -1: unknown (fewer than two suites) */
	bool complete;                    /* the list is whole (the server refused the rest);
	                                   * false when a probe went unanswered or the cap was
	                                   * reached */
};

/* A certificate key type the server can serve, asked by offering only its signatures. */
struct mailtls_survey_keytype {
	const char *family;               /* "RSA", "ECDSA", "EdDSA"; static */
	enum mailtls_survey_state state;  /* ACCEPTED: it served one */
	char *key;                        /* "RSA 2048", "EC P-256 (prime256v1)", "ED25519";
	                                   * owned; NULL unless ACCEPTED */
	char *sig_alg;                    /* the certificate's signature algorithm; owned */
};

/* The outcome of one sender profile's handshake (profiles: mailtls/profile.h). */
struct mailtls_survey_profile {
	char *name;                       /* owned */
	char *title;                      /* owned */
	enum mailtls_survey_state state;  /* ACCEPTED: the handshake completed */
	char *version;                    /* ACCEPTED: what it got; owned */
	char *cipher;
	char *group;                      /* or NULL */
	char *why;                        /* REJECTED/UNKNOWN: in words; owned */
	int alert;                        /* the alert the server sent; -1 none */
	int on_failure;                   /* the profile's enum mailtls_profile_failure */
	unsigned versions;                /* the profile's MAILTLS_PROFILE_TLS1_* bits */
	bool sni;                         /* the profile sends SNI (the probe did as it does) */
};

struct mailtls_survey {
	char *not_run;                    /* why there was no survey ("the server does not
	                                   * offer STARTTLS"); owned; NULL when it ran */
	bool profiles_only;               /* only the sender profiles were tried (no --survey:
	                                   * the check's own handshake failed, or profiles
	                                   * were given); the lists below are empty */
	struct mailtls_survey_version versions[MAILTLS_SURVEY_VERSIONS]; /* 1.0 .. 1.3 */
	char **groups;                    /* accepted groups, owned, in the server's order
	                                   * when groups_server_order is 1 */
	size_t n_groups;
	const char *groups_version;       /* the version the groups were asked with; static;
	                                   * NULL when none could be */
	int groups_server_order;          /* as server_order */
	bool groups_complete;
	struct mailtls_survey_keytype keytypes[3];   /* RSA, ECDSA, EdDSA */
	const char *keytypes_version;     /* the version they were asked with; static */
	int secure_renegotiation;         /* RFC 5746, in TLS 1.2 and older: 1 every such
	                                   * handshake had it, 0 one did not, -1 not known
	                                   * (no such handshake) */
	int compression;                  /* TLS compression (CRIME): 1 a TLS 1.2-or-older
	                                   * handshake that offered it got it, 0 none did, -1
	                                   * not asked (this OpenSSL has no compression to
	                                   * offer: Debian's is built without zlib) */
	struct mailtls_survey_profile *profiles;  /* owned */
	size_t n_profiles;
	size_t probes;                    /* handshakes made (retries included) */
	size_t limited;                   /* times the server limited us */
	char *limited_why;                /* the first of those replies, escaped; owned */
	double backoff_s;                 /* seconds spent waiting after them */
	size_t unanswered;                /* probes that got no answer in the end */
	bool capped;                      /* MAILTLS_SURVEY_PROBES_MAX was reached */
	bool out_of_time;                 /* the survey's time limit (MAILTLS_SURVEY_TIME_STEPS
	                                   * network steps) was reached: nothing more asked */
	double elapsed_ms;                /* wall time of the survey */
};

/* mailtls_survey_free - free s and what it owns; NULL is a no-op. */
void mailtls_survey_free(struct mailtls_survey *s);

/* mailtls_survey_state_name - "untested", "accepted", "rejected", "unknown". */
const char *mailtls_survey_state_name(enum mailtls_survey_state st);

#ifdef __cplusplus
}
#endif
#endif
