/*
 * curlapi.c - libcurl loaded on first use (curlapi.h).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "curlapi.h"

#define CURL_SONAME "libcurl.so.4"    /* Debian's libcurl4 (OpenSSL flavour) */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct curl_api api;
static const struct curl_api *loaded;
static char load_why[256];

/* sym - one function of the library into *slot; false when it lacks it. */
static int sym(void *lib, const char *name, void *slot)
{
	void *f = dlsym(lib, name);

	if (f == NULL) {
		snprintf(load_why, sizeof(load_why), "libcurl cannot be used: %s lacks %s",
			 CURL_SONAME, name);
		return 0;
	}
	/* POSIX: a function pointer and void * convert through the object's bytes. */
	memcpy(slot, &f, sizeof(f));
	return 1;
}

static void load(void)
{
	void *lib = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	CURLcode (*global_init)(long flags);
	const char *err;

	if (lib == NULL) {
		err = dlerror();
		snprintf(load_why, sizeof(load_why), "libcurl cannot be loaded: %s",
			 err ? err : CURL_SONAME);
		return;
	}
	if (!sym(lib, "curl_global_init", &global_init)
	    || !sym(lib, "curl_easy_init", &api.easy_init)
	    || !sym(lib, "curl_easy_cleanup", &api.easy_cleanup)
	    || !sym(lib, "curl_easy_setopt", &api.easy_setopt)
	    || !sym(lib, "curl_easy_getinfo", &api.easy_getinfo)
	    || !sym(lib, "curl_easy_header", &api.easy_header)
	    || !sym(lib, "curl_easy_strerror", &api.easy_strerror)
	    || !sym(lib, "curl_multi_init", &api.multi_init)
	    || !sym(lib, "curl_multi_cleanup", &api.multi_cleanup)
	    || !sym(lib, "curl_multi_add_handle", &api.multi_add_handle)
	    || !sym(lib, "curl_multi_remove_handle", &api.multi_remove_handle)
	    || !sym(lib, "curl_multi_assign", &api.multi_assign)
	    || !sym(lib, "curl_multi_info_read", &api.multi_info_read)
	    || !sym(lib, "curl_multi_setopt", &api.multi_setopt)
	    || !sym(lib, "curl_multi_socket_action", &api.multi_socket_action)
	    || !sym(lib, "curl_multi_strerror", &api.multi_strerror)
	    || !sym(lib, "curl_share_init", &api.share_init)
	    || !sym(lib, "curl_share_cleanup", &api.share_cleanup)
	    || !sym(lib, "curl_share_setopt", &api.share_setopt)
	    || !sym(lib, "curl_slist_append", &api.slist_append)
	    || !sym(lib, "curl_slist_free_all", &api.slist_free_all))
		return;       /* the library stays loaded: it is not used, and harmless */
	CURLcode rc = global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK) {
		snprintf(load_why, sizeof(load_why), "libcurl cannot start: %s",
			 api.easy_strerror(rc));
		return;
	}
	loaded = &api;
}

const struct curl_api *curlapi_get(char *why, size_t whylen)
{
	pthread_once(&once, load);
	if (loaded == NULL)
		snprintf(why, whylen, "%s", load_why);
	return loaded;
}
