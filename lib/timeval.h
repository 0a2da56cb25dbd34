/*
 * timeval.h - seconds as a double (the library's timeouts) to the struct timeval libevent
 * timers take. Internal to libmailtls.
 */
#ifndef MAILTLS_TIMEVAL_H
#define MAILTLS_TIMEVAL_H

#include <sys/time.h>

/* timeval_of - secs (negative: 0) as a timeval, microseconds truncated. */
static inline struct timeval timeval_of(double secs)
{
	struct timeval tv;

	if (secs < 0)
		secs = 0;
	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	return tv;
}

#endif
