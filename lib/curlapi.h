/*
 * curlapi.h - libcurl, loaded when the first fetch needs it (dlopen of libcurl.so.4).
 *
 * Why not linked: libcurl as Debian builds it pulls in some 23 more shared libraries
 * (GnuTLS through librtmp, Kerberos, LDAP, SASL, SSH, ...). Linked, every mailtls process
 * would load them at start: about 3.7 ms and 3.6 MB of RSS more for a `mailtls check` that
 * fetches nothing. Loaded here, only a run that fetches an MTA-STS policy pays, once.
 * The functions are libcurl's own (curl/curl.h says what each does), called through this
 * table; the headers are still those of the libcurl the build found.
 * Internal to libmailtls.
 */
#ifndef MAILTLS_CURLAPI_H
#define MAILTLS_CURLAPI_H

#include <stddef.h>
#include <curl/curl.h>

struct curl_api {
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *h);
	CURLcode (*easy_setopt)(CURL *h, CURLoption o, ...);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO i, ...);
	CURLHcode (*easy_header)(CURL *h, const char *name, size_t index, unsigned int origin,
				 int request, struct curl_header **hout);
	const char *(*easy_strerror)(CURLcode c);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *m);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_assign)(CURLM *m, curl_socket_t s, void *p);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption o, ...);
	CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int ev, int *running);
	const char *(*multi_strerror)(CURLMcode c);
	CURLSH *(*share_init)(void);
	CURLSHcode (*share_cleanup)(CURLSH *s);
	CURLSHcode (*share_setopt)(CURLSH *s, CURLSHoption o, ...);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

/* curlapi_get - libcurl, loaded and curl_global_init()ed once per process (never undone:
 * other engines in the process may use it). NULL when it cannot be, with why ("libcurl
 * cannot be loaded: libcurl.so.4: cannot open shared object file ..."); every later call
 * says the same. Thread-safe. */
const struct curl_api *curlapi_get(char *why, size_t whylen);

#endif
