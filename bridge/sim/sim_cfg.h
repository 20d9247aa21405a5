/* cam-sim options: the process's whole configuration, parsed once from argv. */
#ifndef CB_SIM_CFG_H
#define CB_SIM_CFG_H

#include <stdint.h>
#include <stdio.h>

#define SIM_MAX_DISC_PORTS  8
#define SIM_STR             128
#define SIM_PATH            512
#define SIM_UID_MAX         40
#define SIM_CRED_MAX        64      /* user / password bytes */

enum sim_stream_idx { SIM_MAIN = 0, SIM_SUB = 1, SIM_NSTREAMS = 2 };

struct sim_stream_cfg {
	int width, height, fps;
	int gop;                     /* frames between keyframes; 0 = 2 s worth */
};

struct sim_cfg {
	char listen[SIM_STR];        /* IPv4 bind address of every socket ("0.0.0.0") */
	int disc_ports[SIM_MAX_DISC_PORTS];   /* 0 = ephemeral */
	int n_disc_ports;
	int tcp_port;                /* -1 = no TCP listener, 0 = ephemeral */
	char uid[SIM_UID_MAX];
	char user[SIM_CRED_MAX];
	char password[SIM_CRED_MAX];
	unsigned max_enc;            /* BC_ENC_NONE / XOR / AES / FULL_AES */
	char source[SIM_PATH];       /* "live" or an Annex-B file */
	int codec;                   /* DEC_H264 / DEC_H265 (live source) */
	struct sim_stream_cfg stream[SIM_NSTREAMS];
	int audio;                   /* send AAC audio packets (live source) */
	uint32_t first_marker;       /* frame marker of the first picture (tells cameras apart) */

	/* battery camera life */
	int battery;                 /* percent */
	int charging;
	double drain_per_min;        /* percent per minute, 0 = constant */
	int sleep_after;             /* seconds without a session, 0 = never sleeps */
	int wake_delay_ms;
	int motion_every;            /* seconds between scheduled motion alarms, 0 = off */
	char alarm_type[16];         /* what they (and SIGUSR1, 'motion') report: "motion",
	                                "people", "vehicle", "dog_cat" or "face" */
	int dropoff_seconds;         /* SIGUSR2 / "dropoff" without an argument */
	char control_fifo[SIM_PATH];

	/* impairment of outgoing session datagrams */
	double loss, dup;            /* percent */
	int reorder;                 /* window in datagrams, 0 = off */
	int delay_ms, jitter_ms;
	uint64_t seed;

	char frame_log[SIM_PATH];
	int verbose;                 /* 0 notice, 1 info, 2 debug */
};

void sim_cfg_defaults(struct sim_cfg *c);
/* 0 = run, 1 = --help/--version printed (exit 0), < 0 = bad options (message on stderr). */
int sim_cfg_parse(struct sim_cfg *c, int argc, char **argv);
void sim_cfg_usage(FILE *f);

/* "1280x720" → w, h (even, within the encoder's limits): 0 or -EINVAL. */
int sim_parse_size(const char *s, int *w, int *h);
/* "motion|people|vehicle|dog_cat|face": 0 or -EINVAL. */
int sim_check_alarm_type(const char *s);
/* "none|xor|aes|full-aes" → BC_ENC_*: 0 or -EINVAL. */
int sim_parse_enc(const char *s, unsigned *enc);

#endif
