/*
 * replay.c - a main() for the fuzz targets in builds without libFuzzer (gcc, ASan+UBSan):
 * runs LLVMFuzzerTestOneInput() once on every file named on the command line, or on every
 * regular file of every directory named (names starting with '.' skipped, so a .gitkeep
 * keeps an empty directory), each read into a heap buffer of exactly its size, at most
 * REPLAY_FILE_MAX bytes. This is how `meson test --suite fuzz-replay` (and so `make check`)
 * replays the seed corpus and the kept crash inputs. Test code, not part of libmailtls.
 *
 * Exit status: 0 when every input ran, 1 when a path could not be read; a failing
 * invariant or a sanitizer report aborts, which fails the test.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_FILE_MAX (1024 * 1024)   /* libFuzzer's default -max_len is far smaller */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* replay_file - run the target on one file; -1 when it cannot be read. */
static int replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (fp == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	buf = malloc(REPLAY_FILE_MAX + 1);
	if (buf == NULL) {
		fclose(fp);
		fprintf(stderr, "replay: out of memory\n");
		return -1;
	}
	n = fread(buf, 1, REPLAY_FILE_MAX + 1, fp);
	fclose(fp);
	if (n > REPLAY_FILE_MAX) {
		fprintf(stderr, "replay: %s: larger than %d bytes\n", path, REPLAY_FILE_MAX);
		free(buf);
		return -1;
	}
	/* An exactly-sized copy, so a read past the end is caught by ASan. */
	uint8_t *exact = malloc(n > 0 ? n : 1);

	if (exact == NULL) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}

/* compare - for a stable order of directory entries. */
static int compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* replay_dir - run the target on every regular file in dir, in name order; returns the
 * number run, or -1. */
static int replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int count = 0, bad = 0;

	if (d == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (v == NULL) {
				bad = 1;
				break;
			}
			names = v;
		}
		if ((names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2)) == NULL) {
			bad = 1;
			break;
		}
		sprintf(names[n++], "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), compare);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (!bad && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(names[i]) != 0)
				bad = 1;
			else
				count++;
		}
		free(names[i]);
	}
	free(names);
	return bad ? -1 : count;
}

int main(int argc, char **argv)
{
	int total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int n;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]) == 0 ? 1 : -1;
		if (n < 0)
			return 1;
		printf("%s: %d input%s\n", argv[i], n, n == 1 ? "" : "s");
		total += n;
	}
	printf("replayed %d input%s\n", total, total == 1 ? "" : "s");
	return 0;
}
