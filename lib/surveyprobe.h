/*
 * surveyprobe.h - one handshake of a survey, as a task on the engine: it waits for a
 * connection to its address like a check (admit.h: at most per_address open to one
 * address), runs the protocol up to STARTTLS with the dialogue of dialog.c, makes one
 * handshake with the caller's offer, and reports what happened as plain facts. Nothing
 * is sent inside TLS and the chain is not judged: a probe only learns what the server
 * accepts.
 *
 * The caller (survey.c) owns the target and the SSL_CTX, which must outlive the probe;
 * the offer's strings are copied. done() is called once, from the loop; a probe the
 * engine abandons (mailtls_engine_free) calls nothing. Internal to libmailtls.
 */
#ifndef MAILTLS_SURVEYPROBE_H
#define MAILTLS_SURVEYPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <openssl/ssl.h>
#include <mailtls/mailtls.h>

struct survey_target {
	struct sockaddr_storage sa;
	socklen_t salen;
	enum mailtls_proto proto;
	char sni[256];                /* "" : no SNI */
	char ehlo[256];               /* "" : the local address literal */
	char ip[64];                  /* numeric, for diagnoses */
	char prefix[400];             /* "host[addr]:port" */
	double timeout;               /* seconds per network step */
};

struct survey_offer {
	SSL_CTX *ctx;                 /* borrowed */
	int min_version;              /* TLS1_VERSION ..; 0: the context's */
	int max_version;
	const char *ciphers;          /* TLS 1.2 and older; NULL: the context's */
	const char *ciphersuites;     /* TLS 1.3; NULL: the context's */
	const char *groups;           /* NULL: the context's */
	const char *sigalgs;          /* NULL: the context's */
	bool no_sni;                  /* send no SNI, whatever the target says */
};

enum survey_hs_outcome {
	SURVEY_HS_OK,                 /* the handshake completed */
	SURVEY_HS_REFUSED,            /* the server ended it (an alert, a close, a reset) */
	SURVEY_HS_LIMITED,            /* the server limited us before TLS: SMTP 4xx, IMAP
	                               * BYE, POP3 -ERR in the greeting or to STARTTLS, a
	                               * refused connection, a close before the go-ahead */
	SURVEY_HS_ERROR,              /* anything else: a timeout, no STARTTLS, our side */
};

struct survey_hs {
	enum survey_hs_outcome outcome;
	char why[300];                /* not OK: in words, prefixed with nothing */
	int alert;                    /* the alert the server sent; -1 none */
	/* OK: */
	int version;                  /* TLS1_2_VERSION ... */
	char version_name[16];
	char cipher[80];              /* OpenSSL's name */
	char iana[100];
	uint16_t cipher_id;
	int cipher_bits;
	char group[40];               /* the negotiated group, or "" */
	char kx[64];                  /* "X25519", "ECDH P-256", "DH 2048", "RSA" */
	int kx_bits;
	bool forward_secret;
	int secure_renegotiation;     /* TLS 1.2 and older: 1 or 0; TLS 1.3: -1 */
	int compression;              /* TLS 1.2 and older, when offered (the context has
	                               * methods): 1 the server chose one, 0 none; else -1 */
	char key[96];                 /* the leaf's key: "RSA 2048", "EC P-256", "ED25519" */
	char sig_alg[64];             /* the leaf's signature algorithm */
};

/* survey_can_compress - this OpenSSL has TLS compression methods to offer (Debian's has
 * none: built without zlib); only then do probes offer compression. */
bool survey_can_compress(void);

typedef void survey_probe_done_fn(const struct survey_hs *hs, void *arg);

/* surveyprobe_submit - queue one probe. 0, or MAILTLS_ENOMEM (nothing queued, done never
 * called). */
int surveyprobe_submit(struct mailtls_engine *e, const struct survey_target *t,
		       const struct survey_offer *o, survey_probe_done_fn *done, void *arg);

#endif
