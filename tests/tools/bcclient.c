/* bcclient — a minimal Baichuan client built from the protocol library alone (no bridge
 * threads): local discovery → login → start video → N frames decoded with libavcodec, each
 * frame's marker printed → stop, logout, C2D_DISC.  Used to test cam-sim as a camera.
 *
 *   bcclient HOST:PORT UID USER PASSWORD ENC(none|xor|aes|full-aes) FRAMES [main|sub]
 *
 * Prints one marker counter per decoded picture, then "encryption X" on stderr.
 * Exit 0 when FRAMES pictures were decoded, 1 otherwise. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bc/bc_crypto.h"
#include "media/dec.h"
#include "media/marker.h"
#include "net/disc_client.h"
#include "net/udpsock.h"
#include "source/bcsess.h"

struct ctx {
	struct dec *dec;
	int want, got, err;
};

static void on_frame(void *opaque, const struct bcmedia_pkt *p)
{
	struct ctx *c = opaque;
	struct dec_out out;
	int r;

	if (p->kind != BCMEDIA_IFRAME && p->kind != BCMEDIA_PFRAME)
		return;
	if (!c->dec) {
		struct dec_opts o = { .codec = p->frame.codec == BCMEDIA_H265 ? DEC_H265 : DEC_H264,
				      .hwaccel = "none" };
		if (dec_new(&o, &c->dec) < 0) {
			c->err = 1;
			return;
		}
	}
	r = dec_decode(c->dec, p->data, p->data_len, p->kind == BCMEDIA_IFRAME, &out);
	if (r == 1 && out.frame && c->got < c->want) {
		printf("%lld\n", (long long)marker_read(out.frame->data[0], out.frame->linesize[0],
							 out.frame->width, out.frame->height));
		c->got++;
	}
}

static unsigned enc_of(const char *s)
{
	return !strcmp(s, "none") ? 0x00 : !strcmp(s, "xor") ? 0x01 : !strcmp(s, "aes") ? 0x02 : 0x12;
}

int main(int argc, char **argv)
{
	struct disc_client_cfg dc;
	struct disc_result res;
	struct bcsess s;
	struct ctx c = { 0 };
	char host[64];
	int port, fd, r;

	if (argc < 7 || sscanf(argv[1], "%63[^:]:%d", host, &port) != 2) {
		fprintf(stderr, "usage: bcclient HOST:PORT UID USER PASSWORD ENC FRAMES [main|sub]\n");
		return 2;
	}
	c.want = atoi(argv[6]);
	disc_client_cfg_defaults(&dc);
	snprintf(dc.uid, sizeof(dc.uid), "%s", argv[2]);
	disc_client_cfg_randomize(&dc);
	fd = sock_udp_open("127.0.0.1", 0, SOCK_F_NONBLOCK, NULL);
	if (fd < 0 || disc_client_add_dest(&dc, host, (uint16_t)port) < 0)
		return 1;
	dc.cli_port = (uint16_t)sock_local_port(fd);
	if ((r = disc_local(fd, &dc, &res)) < 0) {
		fprintf(stderr, "bcclient: discovery: %s\n", strerror(-r));
		return 1;
	}
	bcsess_init(&s, 0, 0, 10000);
	s.cb.frame = on_frame;
	s.cb.opaque = &c;
	if ((r = bcsess_attach_udp(&s, fd, &res.camera, res.cid, res.did, res.tid, 0)) < 0 ||
	    (r = bcsess_login(&s, argv[3], argv[4], enc_of(argv[5]))) < 0 ||
	    (r = bcsess_start_video(&s, argc > 7 && !strcmp(argv[7], "sub"))) < 0) {
		fprintf(stderr, "bcclient: %s\n", s.err);
		bcsess_free(&s);
		return r == -EACCES ? 3 : 1;
	}
	fprintf(stderr, "encryption %s\n", bc_enc_name(s.enc));
	while (c.got < c.want && !c.err)
		if ((r = bcsess_run(&s, 100)) < 0) {
			fprintf(stderr, "bcclient: %s\n", s.err);
			break;
		}
	bcsess_close(&s, argv[3], argv[4], 500);
	bcsess_free(&s);
	dec_free(c.dec);
	return c.got == c.want ? 0 : 1;
}
