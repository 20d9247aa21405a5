#include "sim/sim_cfg.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bc/bc_crypto.h"
#include "media/dec.h"
#include "media/tpenc.h"

void sim_cfg_defaults(struct sim_cfg *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->listen, "0.0.0.0");
	c->tcp_port = 9000;
	strcpy(c->uid, "95270000SIMARGUS");
	strcpy(c->user, "admin");
	c->max_enc = BC_ENC_FULL_AES;
	strcpy(c->source, "live");
	c->codec = DEC_H264;
	c->stream[SIM_MAIN] = (struct sim_stream_cfg){ 1280, 720, 15, 0 };
	c->stream[SIM_SUB] = (struct sim_stream_cfg){ 640, 360, 10, 0 };
	c->battery = 85;
	c->wake_delay_ms = 1500;
	c->dropoff_seconds = 5;
	strcpy(c->alarm_type, "motion");
	c->seed = 1;
}

void sim_cfg_usage(FILE *f)
{
	fputs(
"Usage: cam-sim [OPTIONS]\n"
"Simulated Reolink battery camera (Argus 2 style): Baichuan over BcUdp (discovery on UDP\n"
"2015/2018, one session at a time) and over TCP, with a live test-pattern or file source.\n"
"\n"
"Network:\n"
"  --listen ADDR          IPv4 address every socket binds to (default 0.0.0.0; broadcast\n"
"                         discovery needs 0.0.0.0)\n"
"  --disc-port P          discovery port, repeatable (default 2015 and 2018; 0 = ephemeral)\n"
"  --tcp-port P           Baichuan TCP port (default 9000; 0 = ephemeral; -1 = no TCP)\n"
"  --uid UID              camera UID answered in discovery (default 95270000SIMARGUS)\n"
"  --user U               login user name (default admin)\n"
"  --password PW          login password (default empty)\n"
"  --encryption MODE      highest encryption offered: none|xor|aes|full-aes (default\n"
"                         full-aes); the camera picks min(client offer, MODE)\n"
"\n"
"Video:\n"
"  --source live|FILE     built-in moving test pattern with frame marker (default), or an\n"
"                         Annex-B H.264/H.265 file sent in a loop at --fps\n"
"  --codec h264|h265      codec of the live source (default h264)\n"
"  --size WxH             main stream size (default 1280x720)\n"
"  --fps N                main stream frame rate (default 15)\n"
"  --sub-size WxH         sub stream size (default 640x360)\n"
"  --sub-fps N            sub stream frame rate (default 10)\n"
"  --gop N                frames between keyframes (default 2 s worth)\n"
"  --audio                also send AAC audio (16 kHz mono tone) with the live source\n"
"  --first-marker N       frame counter of the first picture (default 0); two cameras\n"
"                         counting from far-apart values can be told apart in the output\n"
"  --frame-log FILE       one line per video frame sent:\n"
"                         COUNTER MONO_US REAL_US STREAM(main|sub) TYPE(I|P) BYTES\n"
"\n"
"Battery camera:\n"
"  --battery PCT          battery level pushed with msg 252 (default 85)\n"
"  --charging             report chargeStatus charging (adapter solarPanel)\n"
"  --drain PCT            battery drain in percent per minute while awake (default 0)\n"
"  --sleep-after S        fall asleep after S seconds without a session (default 0 = never);\n"
"                         asleep it answers nothing; a C2D_C for its UID wakes it\n"
"  --wake-delay MS        time from the waking C2D_C to answering again (default 1500)\n"
"  --motion-every S       motion alarm (msg 33) every S seconds (default 0 = off), ending\n"
"                         (status none) 3 s later\n"
"  --alarm-type TYPE      what those alarms, SIGUSR1 and 'motion' report: motion (AItype\n"
"                         none), people, vehicle, dog_cat or face (default motion)\n"
"  --dropoff-seconds N    length of a SIGUSR2 drop-off (default 5)\n"
"  --control-fifo PATH    create a FIFO accepting lines: 'dropoff [N]', 'motion',\n"
"                         'alarm TYPE [S]' (held until 'alarm end', or S seconds),\n"
"                         'alarm end', 'battery PCT', 'charging on|off', 'sleep', 'wake',\n"
"                         'keyframe', 'stats' (log the datagram counters),\n"
"                         'loss PCT' (with an impairment option given at start)\n"
"  Alarms (msg 33) go only to a client that asked for them with msg 31.\n"
"  Signals: SIGUSR1 = motion alarm now, SIGUSR2 = drop off for --dropoff-seconds,\n"
"           SIGINT/SIGTERM = clean exit.\n"
"\n"
"Impairment of every datagram sent from the session socket (reproducible with --seed):\n"
"  --loss PCT             drop PCT %% of datagrams\n"
"  --dup PCT              send PCT %% twice\n"
"  --reorder N            shuffle within windows of N datagrams\n"
"  --delay MS             add MS milliseconds\n"
"  --jitter MS            add 0..MS milliseconds more, uniformly\n"
"  --seed N               random seed (default 1)\n"
"\n"
"  -v, --verbose          more log output (repeat for debug)\n"
"  -h, --help             this text\n", f);
}

enum {
	O_LISTEN = 256, O_DISC_PORT, O_TCP_PORT, O_UID, O_USER, O_PASSWORD, O_ENC, O_SOURCE,
	O_CODEC, O_SIZE, O_FPS, O_SUB_SIZE, O_SUB_FPS, O_GOP, O_AUDIO, O_FRAME_LOG, O_BATTERY,
	O_CHARGING, O_DRAIN, O_SLEEP_AFTER, O_WAKE_DELAY, O_MOTION_EVERY, O_DROPOFF, O_FIFO,
	O_LOSS, O_DUP, O_REORDER, O_DELAY, O_JITTER, O_SEED, O_FIRST_MARKER, O_ALARM_TYPE,
};

static const struct option opts[] = {
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "disc-port", required_argument, NULL, O_DISC_PORT },
	{ "tcp-port", required_argument, NULL, O_TCP_PORT },
	{ "uid", required_argument, NULL, O_UID },
	{ "user", required_argument, NULL, O_USER },
	{ "password", required_argument, NULL, O_PASSWORD },
	{ "encryption", required_argument, NULL, O_ENC },
	{ "source", required_argument, NULL, O_SOURCE },
	{ "codec", required_argument, NULL, O_CODEC },
	{ "size", required_argument, NULL, O_SIZE },
	{ "fps", required_argument, NULL, O_FPS },
	{ "sub-size", required_argument, NULL, O_SUB_SIZE },
	{ "sub-fps", required_argument, NULL, O_SUB_FPS },
	{ "gop", required_argument, NULL, O_GOP },
	{ "audio", no_argument, NULL, O_AUDIO },
	{ "frame-log", required_argument, NULL, O_FRAME_LOG },
	{ "battery", required_argument, NULL, O_BATTERY },
	{ "charging", no_argument, NULL, O_CHARGING },
	{ "drain", required_argument, NULL, O_DRAIN },
	{ "sleep-after", required_argument, NULL, O_SLEEP_AFTER },
	{ "wake-delay", required_argument, NULL, O_WAKE_DELAY },
	{ "motion-every", required_argument, NULL, O_MOTION_EVERY },
	{ "alarm-type", required_argument, NULL, O_ALARM_TYPE },
	{ "dropoff-seconds", required_argument, NULL, O_DROPOFF },
	{ "control-fifo", required_argument, NULL, O_FIFO },
	{ "loss", required_argument, NULL, O_LOSS },
	{ "dup", required_argument, NULL, O_DUP },
	{ "reorder", required_argument, NULL, O_REORDER },
	{ "delay", required_argument, NULL, O_DELAY },
	{ "jitter", required_argument, NULL, O_JITTER },
	{ "seed", required_argument, NULL, O_SEED },
	{ "first-marker", required_argument, NULL, O_FIRST_MARKER },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_pct(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.0 && v <= 100.0))
		return -EINVAL;
	*out = v;
	return 0;
}

int sim_parse_size(const char *s, int *w, int *h)
{
	char *end;
	long a, b;

	errno = 0;
	a = strtol(s, &end, 10);
	if (errno || end == s || (*end != 'x' && *end != 'X'))
		return -EINVAL;
	s = end + 1;
	b = strtol(s, &end, 10);
	if (errno || end == s || *end)
		return -EINVAL;
	if (a < TPENC_MIN_SIZE || a > TPENC_MAX_SIZE || b < TPENC_MIN_SIZE || b > TPENC_MAX_SIZE ||
	    (a & 1) || (b & 1))
		return -EINVAL;
	*w = (int)a;
	*h = (int)b;
	return 0;
}

int sim_parse_enc(const char *s, unsigned *enc)
{
	if (!strcasecmp(s, "none"))
		*enc = BC_ENC_NONE;
	else if (!strcasecmp(s, "xor"))
		*enc = BC_ENC_XOR;
	else if (!strcasecmp(s, "aes"))
		*enc = BC_ENC_AES;
	else if (!strcasecmp(s, "full-aes"))
		*enc = BC_ENC_FULL_AES;
	else
		return -EINVAL;
	return 0;
}

int sim_check_alarm_type(const char *s)
{
	static const char *const types[] = { "motion", "people", "vehicle", "dog_cat", "face" };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(s, types[i]))
			return 0;
	return -EINVAL;
}

static int copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -E2BIG;
	memcpy(dst, src, n + 1);
	return 0;
}

int sim_cfg_parse(struct sim_cfg *c, int argc, char **argv)
{
	int opt, r, default_ports = 1;
	long v;
	const char *name;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		r = 0;
		name = opt >= O_LISTEN ? opts[opt - O_LISTEN].name : "";
		switch (opt) {
		case 'v': c->verbose++; break;
		case 'h': sim_cfg_usage(stdout); return 1;
		case O_LISTEN: r = copy_str(c->listen, sizeof(c->listen), optarg); break;
		case O_DISC_PORT:
			if (default_ports) {
				c->n_disc_ports = 0;
				default_ports = 0;
			}
			if (c->n_disc_ports >= SIM_MAX_DISC_PORTS) {
				r = -E2BIG;
				break;
			}
			r = parse_long(optarg, 0, 65535, &v);
			if (!r)
				c->disc_ports[c->n_disc_ports++] = (int)v;
			break;
		case O_TCP_PORT:
			r = parse_long(optarg, -1, 65535, &v);
			c->tcp_port = (int)v;
			break;
		case O_UID:
			r = copy_str(c->uid, sizeof(c->uid), optarg);
			if (!r && !c->uid[0])
				r = -EINVAL;
			break;
		case O_USER: r = copy_str(c->user, sizeof(c->user), optarg); break;
		case O_PASSWORD: r = copy_str(c->password, sizeof(c->password), optarg); break;
		case O_ENC: r = sim_parse_enc(optarg, &c->max_enc); break;
		case O_SOURCE: r = copy_str(c->source, sizeof(c->source), optarg); break;
		case O_CODEC:
			if (!strcasecmp(optarg, "h264"))
				c->codec = DEC_H264;
			else if (!strcasecmp(optarg, "h265") || !strcasecmp(optarg, "hevc"))
				c->codec = DEC_H265;
			else
				r = -EINVAL;
			break;
		case O_SIZE:
			r = sim_parse_size(optarg, &c->stream[SIM_MAIN].width, &c->stream[SIM_MAIN].height);
			break;
		case O_SUB_SIZE:
			r = sim_parse_size(optarg, &c->stream[SIM_SUB].width, &c->stream[SIM_SUB].height);
			break;
		case O_FPS:
		case O_SUB_FPS:
			r = parse_long(optarg, 1, TPENC_MAX_FPS, &v);
			c->stream[opt == O_FPS ? SIM_MAIN : SIM_SUB].fps = (int)v;
			break;
		case O_GOP:
			r = parse_long(optarg, 1, 100000, &v);
			c->stream[SIM_MAIN].gop = c->stream[SIM_SUB].gop = (int)v;
			break;
		case O_AUDIO: c->audio = 1; break;
		case O_FRAME_LOG: r = copy_str(c->frame_log, sizeof(c->frame_log), optarg); break;
		case O_BATTERY:
			r = parse_long(optarg, 0, 100, &v);
			c->battery = (int)v;
			break;
		case O_CHARGING: c->charging = 1; break;
		case O_DRAIN: r = parse_pct(optarg, &c->drain_per_min); break;
		case O_SLEEP_AFTER:
			r = parse_long(optarg, 0, 86400, &v);
			c->sleep_after = (int)v;
			break;
		case O_WAKE_DELAY:
			r = parse_long(optarg, 0, 600000, &v);
			c->wake_delay_ms = (int)v;
			break;
		case O_MOTION_EVERY:
			r = parse_long(optarg, 0, 86400, &v);
			c->motion_every = (int)v;
			break;
		case O_ALARM_TYPE:
			r = sim_check_alarm_type(optarg);
			if (r == 0)
				r = copy_str(c->alarm_type, sizeof(c->alarm_type), optarg);
			break;
		case O_DROPOFF:
			r = parse_long(optarg, 1, 86400, &v);
			c->dropoff_seconds = (int)v;
			break;
		case O_FIFO: r = copy_str(c->control_fifo, sizeof(c->control_fifo), optarg); break;
		case O_LOSS: r = parse_pct(optarg, &c->loss); break;
		case O_DUP: r = parse_pct(optarg, &c->dup); break;
		case O_REORDER:
			r = parse_long(optarg, 0, 64, &v);
			c->reorder = (int)v;
			break;
		case O_DELAY:
		case O_JITTER:
			r = parse_long(optarg, 0, 10000, &v);
			*(opt == O_DELAY ? &c->delay_ms : &c->jitter_ms) = (int)v;
			break;
		case O_FIRST_MARKER:
			/* the marker carries 32 bits; leave room to count for years at 60 fps */
			r = parse_long(optarg, 0, 2000000000L, &v);
			c->first_marker = (uint32_t)v;
			break;
		case O_SEED: {
			char *end;
			errno = 0;
			c->seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end)
				r = -EINVAL;
			break;
		}
		default:
			fputs("cam-sim: try --help\n", stderr);
			return -EINVAL;
		}
		if (r < 0) {
			/* never echo the value: it may be a credential */
			fprintf(stderr, "cam-sim: bad value for --%s\n", name);
			return r;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cam-sim: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (default_ports) {
		c->disc_ports[0] = 2015;
		c->disc_ports[1] = 2018;
		c->n_disc_ports = 2;
	}
	return 0;
}
