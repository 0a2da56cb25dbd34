/*
 * chaincache.c - chain facts by chain and time (chaincache.h). A direct-mapped table: the
 * key's first bytes pick the slot.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <mailtls/mailtls.h>
#include "chaincache.h"

struct slot {
	bool used;
	unsigned char key[32];
	struct chain_facts cf;
	X509 *leaf;                   /* references that keep cf's borrowed pointers alive */
	X509 *cut_issuer;
};

struct chaincache {
	EVP_MD *sha256;               /* fetched once: an implicit fetch per use costs more
	                               * than the hash */
	struct slot slots[CHAINCACHE_SLOTS];
	size_t hits, misses;
};

struct chaincache *chaincache_new(void)
{
	struct chaincache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if ((c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

static void slot_clear(struct slot *s)
{
	if (!s->used)
		return;
	chainfacts_clear(&s->cf);
	X509_free(s->leaf);
	X509_free(s->cut_issuer);
	memset(s, 0, sizeof(*s));
}

void chaincache_free(struct chaincache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < CHAINCACHE_SLOTS; i++)
		slot_clear(&c->slots[i]);
	EVP_MD_free(c->sha256);
	free(c);
}

/* chain_key - SHA-256 over the verification depth, the time, the number of certificates
 * and each certificate's SHA-256 (of its whole DER). */
static int chain_key(const struct chaincache *c, STACK_OF(X509) *presented, int max,
		     time_t at, unsigned char key[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int64_t head[3] = { max, (int64_t)at, sk_X509_num(presented) };
	int ok = md != NULL && EVP_DigestInit_ex(md, c->sha256, NULL) == 1 &&
		 EVP_DigestUpdate(md, head, sizeof(head)) == 1;

	for (int i = 0; ok && i < sk_X509_num(presented); i++) {
		unsigned char d[EVP_MAX_MD_SIZE];
		unsigned int dlen = 0;

		ok = X509_digest(sk_X509_value(presented, i), c->sha256, d, &dlen) == 1 &&
		     EVP_DigestUpdate(md, d, dlen) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(md, key, NULL) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : MAILTLS_ENOMEM;
}

int chaincache_get(struct chaincache *c, STACK_OF(X509) *presented, int max,
		   X509_STORE *store, time_t at, const struct chain_facts **out)
{
	unsigned char key[32];
	struct slot *s;
	int r;

	*out = NULL;
	if (presented == NULL || sk_X509_num(presented) == 0)
		return MAILTLS_EINVAL;
	if ((r = chain_key(c, presented, max, at, key)) != 0)
		return r;
	s = &c->slots[((size_t)key[0] << 8 | key[1]) % CHAINCACHE_SLOTS];
	if (s->used && memcmp(s->key, key, sizeof(key)) == 0) {
		c->hits++;
		*out = &s->cf;
		return 0;
	}
	c->misses++;
	slot_clear(s);
	r = chainfacts_get(presented, max, store, at, &s->cf);
	if (r != 0) {
		chainfacts_clear(&s->cf);
		return r;
	}
	/* The facts borrow the leaf and a cut-off issuer from this chain: keep them. */
	s->leaf = s->cf.leaf;
	if (s->leaf != NULL)
		X509_up_ref(s->leaf);
	s->cut_issuer = s->cf.cut_issuer;
	if (s->cut_issuer != NULL)
		X509_up_ref(s->cut_issuer);
	memcpy(s->key, key, sizeof(key));
	s->used = true;
	*out = &s->cf;
	return 0;
}

void chaincache_stats(const struct chaincache *c, size_t *hits, size_t *misses)
{
	*hits = c->hits;
	*misses = c->misses;
}
