/* Recordings on disk: the strict path checker, the sidecar reader, and retention (oldest
 * first by age and by total size, the clip being written kept, symlinks neither followed nor
 * removed, foreign files untouched). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "record/clipdir.h"
#include "record/retain.h"

#define DAY_S 86400

static char root[256];

static void path_of(char *buf, size_t n, const char *rel)
{
	snprintf(buf, n, "%s/%s", root, rel);
}

static void mkdirs(const char *rel)
{
	char p[512], *s;

	path_of(p, sizeof(p), rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

/* A file of `size` bytes (content 'x', or text when given), modified `age` seconds ago. */
static void put(const char *rel, size_t size, const char *text, int64_t age)
{
	char p[512];
	FILE *f;

	path_of(p, sizeof(p), rel);
	assert_non_null(f = fopen(p, "w"));
	if (text)
		fputs(text, f);
	else
		for (size_t i = 0; i < size; i++)
			fputc('x', f);
	fclose(f);
	struct timespec ts[2] = { { time(NULL) - age, 0 }, { time(NULL) - age, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static int exists(const char *rel)
{
	char p[512];
	struct stat st;

	path_of(p, sizeof(p), rel);
	return lstat(p, &st) == 0;
}

/* A clip of three parts: mp4 of `mb` MiB, sidecar and thumbnail. */
static void clip(const char *day, const char *hms, size_t mb, int64_t age, int open)
{
	char rel[128], json[256];

	snprintf(rel, sizeof(rel), "cam/%s", day);
	mkdirs(rel);
	snprintf(rel, sizeof(rel), "cam/%s/%s.mp4", day, hms);
	put(rel, mb << 20, NULL, age);
	snprintf(json, sizeof(json), "{\"file\":\"%s.mp4\",\"start\":%lld,\"duration\":12.5,"
		 "\"size\":%zu,\"trigger\":\"motion\",\"open\":%s}\n", hms,
		 (long long)(time(NULL) - age), mb << 20, open ? "true" : "false");
	snprintf(rel, sizeof(rel), "cam/%s/%s.json", day, hms);
	put(rel, 0, json, age);
	snprintf(rel, sizeof(rel), "cam/%s/%s.jpg", day, hms);
	put(rel, 1000, NULL, age);
}

static int clip_exists(const char *day, const char *hms)
{
	char rel[128];
	int n = 0;
	static const char *const ext[] = { "mp4", "json", "jpg" };

	for (int i = 0; i < 3; i++) {
		snprintf(rel, sizeof(rel), "cam/%s/%s.%s", day, hms, ext[i]);
		n += exists(rel);
	}
	assert_true(n == 0 || n == 3);    /* a clip goes whole or not at all */
	return n == 3;
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/cb-retain.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_rel_parse(void **state)
{
	char day[CLIP_DAY_LEN + 1], hms[CLIP_HMS_LEN + 1];
	enum clip_part part;
	static const char *const bad[] = {
		"../2026-01-02/120000.mp4", "/etc/passwd", "2026-01-02/../120000.mp4",
		"2026-01-02/120000.mp4/", "2026-01-02//120000.mp4", "2026-01-02/120000.MP4",
		"2026-01-02/120000.mp4.txt", "2026-01-02/12000.mp4", "2026-13-02/120000.mp4",
		"2026-01-02/250000.mp4", "2026-01-02/120000.png", "2026-01-02/12a000.mp4",
		"2026-01-02", "", "2026-01-02/.mp4", "..", "2026-01-02/%2e%2e.mp4",
		"x026-01-02/120000.mp4", "2026-01-02/120000", "./2026-01-02/120000.mp4",
		"2026-01-02\\120000.mp4",
	};

	(void)state;
	assert_int_equal(clip_rel_parse("2026-01-02/235959.mp4", day, hms, &part), 0);
	assert_string_equal(day, "2026-01-02");
	assert_string_equal(hms, "235959");
	assert_int_equal(part, CLIP_MP4);
	assert_int_equal(clip_rel_parse("2026-12-31/000000.json", day, hms, &part), 0);
	assert_int_equal(part, CLIP_JSON);
	assert_int_equal(clip_rel_parse("2026-12-31/000000.jpg", day, hms, &part), 0);
	assert_int_equal(part, CLIP_JPG);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (clip_rel_parse(bad[i], day, hms, &part) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(clip_rel_parse(NULL, day, hms, &part), -EINVAL);
}

static void test_meta_parse(void **state)
{
	struct clip_meta m;
	static const char ok[] = " {\"file\":\"120000.mp4\",\"start\":1764806400,"
				 "\"duration\":12.25,\"size\":1234,\"trigger\":\"people\","
				 "\"open\":true, \"x\":null, \"y\":\"a\\\"b\"}\n";
	static const char *const bad[] = {
		"", "{", "{\"start\":}", "{\"start\":1}x", "{\"start\":[1]}", "{\"a\":{}}",
		"{\"trigger\":\"motion}", "{\"start\":1e999}", "{\"start\":1,}", "[]",
	};

	(void)state;
	assert_int_equal(clip_meta_parse(ok, sizeof(ok) - 1, &m), 0);
	assert_int_equal(m.start, 1764806400);
	assert_true(m.duration > 12.24 && m.duration < 12.26);
	assert_int_equal(m.size, 1234);
	assert_string_equal(m.trigger, "people");
	assert_int_equal(m.open, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (clip_meta_parse(bad[i], strlen(bad[i]), &m) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
		assert_int_equal(m.start, -1);
		assert_true(m.duration < 0);
		assert_int_equal(m.open, 0);
	}
	/* a trigger longer than the field is cut, not overflowed */
	static const char longt[] = "{\"trigger\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}";
	assert_int_equal(clip_meta_parse(longt, sizeof(longt) - 1, &m), 0);
	assert_int_equal(strlen(m.trigger), sizeof(m.trigger) - 1);
}

static void test_nothing_to_do(void **state)
{
	struct retain_stats st;

	(void)state;
	clip("2026-01-01", "100000", 1, 100 * DAY_S, 0);
	assert_int_equal(retain_run(root, "cam", 0, 0, NULL, &st), 0);
	assert_true(clip_exists("2026-01-01", "100000"));
	/* no folder yet for this camera: fine */
	assert_int_equal(retain_run(root, "other", 1, 1, NULL, &st), 0);
	assert_int_equal(retain_run(root, "../x", 1, 1, NULL, &st), -EINVAL);
	assert_int_equal(retain_run(root, "cam", -1, 0, NULL, &st), -EINVAL);
}

static void test_max_age(void **state)
{
	struct retain_stats st;

	(void)state;
	clip("2026-01-01", "100000", 1, 10 * DAY_S, 0);
	clip("2026-01-01", "110000", 1, 8 * DAY_S, 0);
	clip("2026-01-05", "090000", 1, 6 * DAY_S, 0);
	clip("2026-01-09", "090000", 1, 2 * DAY_S, 0);
	clip("2026-01-10", "090000", 1, 60, 0);
	assert_int_equal(retain_run(root, "cam", 7, 0, NULL, &st), 0);
	assert_int_equal(st.clips, 5);
	assert_int_equal(st.removed, 2);
	assert_false(clip_exists("2026-01-01", "100000"));
	assert_false(clip_exists("2026-01-01", "110000"));
	assert_false(exists("cam/2026-01-01"));    /* the emptied day folder went too */
	assert_true(clip_exists("2026-01-05", "090000"));
	assert_true(clip_exists("2026-01-09", "090000"));
	assert_true(clip_exists("2026-01-10", "090000"));
	assert_int_equal(st.error, 0);
}

/* By size: the oldest by modification time go first, whatever their names say. */
static void test_max_total_oldest_first(void **state)
{
	struct retain_stats st;

	(void)state;
	clip("2026-02-01", "080000", 2, 5000, 0);
	clip("2026-02-01", "090000", 2, 9000, 0);    /* older than 08:00 by mtime */
	clip("2026-02-02", "080000", 2, 4000, 0);
	clip("2026-02-03", "080000", 2, 3000, 0);
	clip("2026-02-04", "080000", 2, 2000, 0);
	/* 5 clips of 2 MiB (+ ~1 KiB each); a 5 MiB cap leaves the two newest. */
	assert_int_equal(retain_run(root, "cam", 0, 5, NULL, &st), 0);
	assert_int_equal(st.removed, 3);
	assert_false(clip_exists("2026-02-01", "090000"));
	assert_false(clip_exists("2026-02-01", "080000"));
	assert_false(clip_exists("2026-02-02", "080000"));
	assert_true(clip_exists("2026-02-03", "080000"));
	assert_true(clip_exists("2026-02-04", "080000"));
	assert_true(st.bytes_after <= 5u << 20);
	assert_int_equal(st.bytes_before - st.bytes_after, st.bytes_freed);
	/* within the cap now: a second run removes nothing */
	assert_int_equal(retain_run(root, "cam", 0, 5, NULL, &st), 0);
	assert_int_equal(st.removed, 0);
}

/* The clip being written stays: named by the recorder, or "open" in its sidecar and fresh.
 * One left "open" by a crash long ago goes. */
static void test_open_clip_kept(void **state)
{
	struct retain_stats st;
	char skip[512];

	(void)state;
	clip("2026-03-01", "080000", 2, 4000, 0);
	clip("2026-03-01", "090000", 2, 100, 1);      /* open, fresh */
	clip("2026-03-01", "100000", 2, 50, 0);       /* the recorder's current clip */
	clip("2026-03-01", "070000", 2, 9000, 1);     /* open, but stale: a crash */
	snprintf(skip, sizeof(skip), "%s/cam/2026-03-01/100000.mp4", root);
	assert_int_equal(retain_run(root, "cam", 0, 1, skip, &st), 0);
	assert_false(clip_exists("2026-03-01", "070000"));
	assert_false(clip_exists("2026-03-01", "080000"));
	assert_true(clip_exists("2026-03-01", "090000"));
	assert_true(clip_exists("2026-03-01", "100000"));
	assert_int_equal(st.removed, 2);
	assert_int_equal(st.kept_open, 2);
	/* the relative form of the recorder's path works the same */
	assert_int_equal(retain_run(root, "cam", 0, 1, "cam/2026-03-01/100000.mp4", &st), 0);
	assert_true(clip_exists("2026-03-01", "100000"));
	/* another camera's path of the same name does not protect this one's clip */
	assert_int_equal(retain_run(root, "cam", 0, 1, "cam2/2026-03-01/100000.mp4", &st), 0);
	assert_false(clip_exists("2026-03-01", "100000"));
	assert_true(clip_exists("2026-03-01", "090000"));
}

/* Symlinks in the tree (to a day folder, to a file, as a clip part) are neither followed nor
 * removed; foreign names are untouched, even in a day folder being emptied. */
static void test_symlinks_and_foreign_files(void **state)
{
	struct retain_stats st;
	char p[512], t[512];

	(void)state;
	mkdirs("outside/2026-01-01");
	put("outside/2026-01-01/100000.mp4", 1 << 20, NULL, 100 * DAY_S);
	put("outside/victim.mp4", 1 << 20, NULL, 100 * DAY_S);
	clip("2026-04-01", "100000", 1, 100 * DAY_S, 0);
	clip("2026-04-02", "100000", 1, 100 * DAY_S, 0);
	/* a day folder that is a symlink to a folder outside */
	path_of(t, sizeof(t), "outside/2026-01-01");
	path_of(p, sizeof(p), "cam/2026-01-01");
	assert_int_equal(symlink(t, p), 0);
	/* a clip part that is a symlink to a file outside */
	path_of(t, sizeof(t), "outside/victim.mp4");
	path_of(p, sizeof(p), "cam/2026-04-01/110000.mp4");
	assert_int_equal(symlink(t, p), 0);
	/* foreign files, old, inside and beside the day folders */
	put("cam/2026-04-02/notes.txt", 10, NULL, 100 * DAY_S);
	put("cam/2026-04-02/100000.mp4.bak", 10, NULL, 100 * DAY_S);
	put("cam/README", 10, NULL, 100 * DAY_S);
	mkdirs("cam/misc");
	put("cam/misc/000000.mp4", 10, NULL, 100 * DAY_S);

	assert_int_equal(retain_run(root, "cam", 1, 0, NULL, &st), 0);
	assert_int_equal(st.removed, 2);
	assert_false(clip_exists("2026-04-01", "100000"));
	assert_false(clip_exists("2026-04-02", "100000"));
	assert_true(exists("outside/2026-01-01/100000.mp4"));
	assert_true(exists("outside/victim.mp4"));
	assert_true(exists("cam/2026-01-01"));                 /* the symlink itself stays */
	assert_true(exists("cam/2026-04-01/110000.mp4"));      /* so does this one */
	assert_true(exists("cam/2026-04-01"));                 /* not empty: kept */
	assert_true(exists("cam/2026-04-02/notes.txt"));
	assert_true(exists("cam/2026-04-02/100000.mp4.bak"));
	assert_true(exists("cam/README"));
	assert_true(exists("cam/misc/000000.mp4"));

	/* the camera folder itself a symlink: not followed */
	path_of(t, sizeof(t), "outside");
	path_of(p, sizeof(p), "link");
	assert_int_equal(symlink(t, p), 0);
	assert_true(retain_run(root, "link", 1, 1, NULL, &st) < 0);    /* ENOTDIR or ELOOP */
	assert_true(exists("outside/2026-01-01/100000.mp4"));
}

/* A clip with only some of its parts (no sidecar after a crash) is still a clip. */
static void test_partial_clip(void **state)
{
	struct retain_stats st;

	(void)state;
	mkdirs("cam/2026-05-01");
	put("cam/2026-05-01/100000.mp4", 3 << 20, NULL, 3 * DAY_S);
	put("cam/2026-05-01/110000.jpg", 100, NULL, 3 * DAY_S);
	assert_int_equal(retain_run(root, "cam", 2, 0, NULL, &st), 0);
	assert_int_equal(st.removed, 2);
	assert_false(exists("cam/2026-05-01"));
}

/* The scanner lists the layout only, newest first on demand, and counts parts per clip. */
static void test_scan(void **state)
{
	struct clip_list l;
	int fd;

	(void)state;
	clip("2026-06-01", "100000", 0, 10, 0);
	clip("2026-06-02", "090000", 0, 10, 0);
	clip("2026-06-01", "110000", 0, 10, 0);
	put("cam/2026-06-01/111111.txt", 1, NULL, 10);
	assert_true((fd = clipdir_open(root, "cam")) >= 0);
	assert_int_equal(clipdir_scan(fd, 100, 1, &l), 0);
	assert_int_equal(l.n, 3);
	clip_list_sort_newest(&l);
	assert_string_equal(l.v[0].day, "2026-06-02");
	assert_string_equal(l.v[1].hms, "110000");
	assert_string_equal(l.v[2].hms, "100000");
	assert_int_equal(l.v[0].parts, 7);
	clip_list_free(&l);
	/* a bound on the count: whole days, the newest (or oldest) first, and the listing says
	 * it is cut */
	assert_int_equal(clipdir_scan(fd, 1, 1, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].day, "2026-06-02");
	assert_true(l.truncated);
	clip_list_free(&l);
	assert_int_equal(clipdir_scan(fd, 1, 0, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].day, "2026-06-01");
	assert_true(l.truncated);
	clip_list_free(&l);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rel_parse),
		cmocka_unit_test(test_meta_parse),
		cmocka_unit_test_setup_teardown(test_nothing_to_do, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_total_oldest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_clip_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_and_foreign_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_clip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
