/* libavformat URL sources: a camera that never answers is a timeout — the session backs off,
 * shows "offline" and counts the reconnect — not a stop that was asked for (which retried at
 * once, forever "connecting", without a word).  A source with AAC passes it on beside the
 * video as ADTS frames (MP4: raw frames given their headers back; MPEG-TS: as they are). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "hub/status.h"
#include "media/adts.h"
#include "source/auq.h"
#include "source/src.h"
#include "util/clock.h"
#include "tu_av.h"

static int bound_socket(int type, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Runs a URL source for up to 5 s against something silent; the state must go "offline"
 * between attempts and the reconnects must be counted. */
static void expect_offline(const char *url)
{
	struct src_opts o;
	struct status st;
	struct auq q;
	struct src *s = NULL;
	struct cam_status cs;
	int seen_offline = 0;
	uint64_t t0 = clock_mono_us();

	src_opts_defaults(&o);
	o.kind = SRC_URL;
	snprintf(o.url, sizeof(o.url), "%s", url);
	o.connect_timeout_ms = 300;
	o.read_timeout_ms = 300;
	o.backoff_min_ms = 300;
	o.backoff_max_ms = 600;
	status_init(&st, "t");
	assert_int_equal(auq_init(&q, 1 << 16, 8), 0);
	assert_int_equal(src_start(&o, &q, &st, &s), 0);
	while (clock_mono_us() - t0 < 5000000) {
		status_snapshot(&st, &cs);
		seen_offline |= cs.state == CAM_OFFLINE;
		if (seen_offline && cs.reconnects >= 2)
			break;
		clock_sleep_us(10000);
	}
	status_snapshot(&st, &cs);
	src_stop(s);
	print_message("%s: reconnects %llu, offline seen %d\n", url, (unsigned long long)cs.reconnects,
		      seen_offline);
	assert_true(seen_offline);
	assert_true(cs.reconnects >= 2);
	auq_destroy(&q);
	status_destroy(&st);
}

/* An RTSP camera that does not answer the TCP handshake: a listener whose accept queue is
 * full drops further SYNs, so the bridge's connect hangs as with a host that is away. */
static void test_rtsp_connect_timeout(void **state)
{
	int port, lfd = bound_socket(SOCK_STREAM, &port), fill[4];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)port) };
	char url[64];

	assert_int_equal(listen(lfd, 0), 0);
	for (int i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		(void)connect(fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	snprintf(url, sizeof(url), "rtsp://127.0.0.1:%d/live", port);
	expect_offline(url);
	for (int i = 0; i < 4; i++)
		close(fill[i]);
	close(lfd);
}

/* MPEG-TS over UDP where nothing is sent: opening (probing) times out. */
static void test_udp_silence(void **state)
{
	int port, fd = bound_socket(SOCK_DGRAM, &port);
	char url[64];

	close(fd);   /* a port nobody sends to */
	snprintf(url, sizeof(url), "udp://127.0.0.1:%d", port);
	expect_offline(url);
}

/* A local file with H.264 and AAC (written by the recorder's muxer) played: video AUs and
 * ADTS frames of the 16 kHz tone come out of the queue. */
static void play_file_with_audio(int mp4)
{
	char path[] = "/tmp/cb-srcav-test.XXXXXX";
	unsigned video = 0, audio = 0, bad = 0;
	struct src_opts o;
	struct status st;
	struct auq q;
	struct src *s = NULL;
	struct adts_info ai;
	uint64_t t0;
	int fd;

	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	unlink(path);
	tu_av_file(path, mp4, 3, 15, 1);
	src_opts_defaults(&o);
	o.kind = SRC_URL;
	snprintf(o.url, sizeof(o.url), "%s", path);
	status_init(&st, "t");
	assert_int_equal(auq_init(&q, 4 << 20, 256), 0);
	assert_int_equal(src_start(&o, &q, &st, &s), 0);
	t0 = clock_mono_us();
	/* until enough of both came (about 0.7 s at the file's pace), at most 5 s */
	while ((video < 10 || audio < 10) && clock_mono_us() - t0 < 5000000) {
		struct au au;

		if (auq_pop(&q, &au, 100) != 1)
			continue;
		if (au.codec != AU_AAC) {
			video++;
			continue;
		}
		if (adts_parse(au.data, au.len, &ai) < 0 || ai.sample_rate != 16000 || ai.channels != 1)
			bad++;
		else
			audio++;
	}
	src_stop(s);
	print_message("%s: %u video AUs, %u ADTS frames, %u bad\n", mp4 ? "mp4" : "ts", video,
		      audio, bad);
	assert_true(video >= 10);
	assert_true(audio >= 10);
	assert_int_equal(bad, 0);
	auq_destroy(&q);
	status_destroy(&st);
	unlink(path);
}

static void test_mp4_with_audio(void **state)
{
	(void)state;
	play_file_with_audio(1);
}

static void test_ts_with_audio(void **state)
{
	(void)state;
	play_file_with_audio(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtsp_connect_timeout),
		cmocka_unit_test(test_udp_silence),
		cmocka_unit_test(test_mp4_with_audio),
		cmocka_unit_test(test_ts_with_audio),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
