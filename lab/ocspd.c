/*
 * ocspd.c - the lab's OCSP responder: HTTP in front of "openssl ocsp -index".
 *
 * SYNOPSIS
 *	ocspd -l ADDR:PORT -i INDEX -c CA_CERT -k CA_KEY [-o OPENSSL]
 *
 * DESCRIPTION
 *	Listens on ADDR:PORT (IPv4) and answers each POST of an OCSPRequest
 *	(RFC 6960 A.1.1, Content-Type application/ocsp-request) with what
 *	"openssl ocsp -index INDEX -CA CA_CERT -rsigner CA_CERT -rkey CA_KEY
 *	-ndays 1" makes of it: the request is written to a file in the current
 *	directory, openssl reads it (-reqin) and writes the response (-respout),
 *	which goes back as HTTP/1.0 200, application/ocsp-response.
 *
 *	Why not "openssl ocsp -port": OpenSSL 3.0's responder binds the port on
 *	every address (*:PORT) and takes no host; the lab listens on its own
 *	loopback address only.
 *
 *	One child per connection, killed by alarm() after CHILD_LIMIT seconds;
 *	the request is bounded (headers HDR_MAX bytes, body BODY_MAX). A GET, a
 *	missing Content-Length or an over-long body is answered 4xx; an openssl
 *	failure 500. SIGTERM ends the server (children end by their alarm).
 *	Any number of requests are answered until then.
 *
 * DIAGNOSTICS
 *	One line per request to stderr. Exit status 1 on a usage or setup error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_LIMIT 10
#define HDR_MAX 8192
#define BODY_MAX 65536
#define RESP_MAX (256 * 1024)

static const char *prog = "ocspd";
static const char *index_file, *ca_cert, *ca_key, *openssl_bin = "openssl";

static void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(1);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void reply_error(int fd, const char *status, const char *why)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "HTTP/1.0 %s\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n", status,
			 strlen(why) + 1, why);

	fprintf(stderr, "%s: %s (%s)\n", prog, status, why);
	if (n > 0)
		write_all(fd, buf, (size_t)n);
}

/* run_openssl - openssl ocsp over req (the request file) into resp; 0 when it exits 0. */
static int run_openssl(const char *req, const char *resp)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		execlp(openssl_bin, openssl_bin, "ocsp", "-index", index_file, "-CA", ca_cert,
		       "-rsigner", ca_cert, "-rkey", ca_key, "-reqin", req, "-respout", resp,
		       "-ndays", "1", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* serve - one connection: one request, one answer. */
static void serve(int fd)
{
	static char hdr[HDR_MAX + 1], body[BODY_MAX], out[RESP_MAX];
	char req[64], resp[64], head[256];
	size_t have = 0, want;
	char *end, *cl;
	ssize_t n;
	int rfd;

	alarm(CHILD_LIMIT);
	/* The body may follow in the same read: it holds NULs, so memmem. */
	while ((end = memmem(hdr, have, "\r\n\r\n", 4)) == NULL) {
		if (have == HDR_MAX) {
			reply_error(fd, "431 Request Header Fields Too Large", "headers");
			return;
		}
		if ((n = read(fd, hdr + have, HDR_MAX - have)) <= 0)
			return;
		have += (size_t)n;
		hdr[have] = '\0';
	}
	if (strncmp(hdr, "POST ", 5) != 0) {
		reply_error(fd, "405 Method Not Allowed", "POST only");
		return;
	}
	*end = '\0';
	if (memchr(hdr, '\0', (size_t)(end - hdr)) != NULL) {
		reply_error(fd, "400 Bad Request", "NUL in the header");
		return;
	}
	if ((cl = strcasestr(hdr, "\r\nContent-Length:")) == NULL) {
		reply_error(fd, "411 Length Required", "no Content-Length");
		return;
	}
	want = strtoul(cl + 17, NULL, 10);
	if (want == 0 || want > BODY_MAX) {
		reply_error(fd, "413 Content Too Large", "body size");
		return;
	}
	have -= (size_t)(end + 4 - hdr);
	if (have > want)
		have = want;
	memcpy(body, end + 4, have);
	while (have < want) {
		if ((n = read(fd, body + have, want - have)) <= 0)
			return;
		have += (size_t)n;
	}
	snprintf(req, sizeof(req), "ocspd-%ld.req", (long)getpid());
	snprintf(resp, sizeof(resp), "ocspd-%ld.resp", (long)getpid());
	if ((rfd = open(req, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    write_all(rfd, body, want) != 0) {
		if (rfd >= 0)
			close(rfd);
		reply_error(fd, "500 Internal Server Error", "cannot write the request");
		return;
	}
	close(rfd);
	if (run_openssl(req, resp) != 0 || (rfd = open(resp, O_RDONLY)) < 0) {
		unlink(req);
		unlink(resp);
		reply_error(fd, "500 Internal Server Error", "openssl ocsp failed");
		return;
	}
	have = 0;
	while (have < sizeof(out) && (n = read(rfd, out + have, sizeof(out) - have)) > 0)
		have += (size_t)n;
	close(rfd);
	unlink(req);
	unlink(resp);
	n = snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response"
		     "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", have);
	fprintf(stderr, "%s: 200 (%zu bytes of request, %zu of response)\n", prog, want, have);
	if (write_all(fd, head, (size_t)n) == 0)
		write_all(fd, out, have);
}

static void usage(void)
{
	fprintf(stderr, "usage: %s -l ADDR:PORT -i INDEX -c CA_CERT -k CA_KEY [-o OPENSSL]\n", prog);
	exit(1);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *listen_at = NULL;
	char addr[64], *colon;
	int c, lfd, on = 1;

	while ((c = getopt(argc, argv, "l:i:c:k:o:")) != -1) {
		switch (c) {
		case 'l': listen_at = optarg; break;
		case 'i': index_file = optarg; break;
		case 'c': ca_cert = optarg; break;
		case 'k': ca_key = optarg; break;
		case 'o': openssl_bin = optarg; break;
		default: usage();
		}
	}
	if (listen_at == NULL || index_file == NULL || ca_cert == NULL || ca_key == NULL ||
	    optind != argc || strlen(listen_at) >= sizeof(addr))
		usage();
	strcpy(addr, listen_at);
	if ((colon = strrchr(addr, ':')) == NULL)
		usage();
	*colon = '\0';
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 || atoi(colon + 1) <= 0 ||
	    atoi(colon + 1) > 65535)
		usage();
	sa.sin_port = htons((unsigned short)atoi(colon + 1));
	signal(SIGCHLD, SIG_IGN);   /* children reaped by the kernel */
	signal(SIGPIPE, SIG_IGN);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die(listen_at);
	if (listen(lfd, 64) != 0)
		die("listen");
	fprintf(stderr, "%s: listening on %s\n", prog, listen_at);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		pid_t pid;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		if ((pid = fork()) == 0) {
			close(lfd);
			signal(SIGCHLD, SIG_DFL);   /* serve() waits for openssl */
			serve(fd);
			close(fd);
			_exit(0);
		}
		if (pid < 0)
			fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
		close(fd);
	}
}
