/* cam-bridge-dump: decodes Baichuan traffic (a BC message file, BcUdp datagrams, a BcMedia
 * stream, or a pcap/pcapng capture) and prints one JSON object per decoded item. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bc/bc_header.h"
#include "bc/bc_reader.h"
#include "bc/bcmedia.h"
#include "dump/dump.h"
#include "dump/dump_input.h"
#include "dump/dump_pcap.h"

#define PASSWORD_MAX 256

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cam-bridge-dump [OPTIONS] FILE...\n"
		"       cam-bridge-dump --marker FILE.yuv WxH FORMAT [--json]\n"
		"\n"
		"Decodes Reolink Baichuan traffic and prints one JSON object per line (JSON Lines) on\n"
		"stdout; errors and warnings go to stderr, also as JSON lines, with the byte offset.\n"
		"Several FILEs are read in a row as one stream (\"-\" = stdin, not for pcap).\n"
		"The input kind is detected from the first bytes: BC messages (f0 de bc 0a), BcUdp\n"
		"datagrams back to back (3a/20/10/31 cf 87 2a), a BcMedia stream (1001, 1002, 00dc,\n"
		"01dc, 05wb, 01wb), or a pcap/pcapng capture of TCP or UDP traffic.\n"
		"\n"
		"Options:\n"
		"  -t, --type TYPE         force the input kind: bc, bcudp, media, pcap\n"
		"  -p, --password PW       camera password, to decrypt AES (never printed)\n"
		"      --password-file F   read the password from the first line of F\n"
		"  -n, --nonce NONCE       the login nonce, when the capture does not hold the\n"
		"                          nonce reply (AES is then assumed negotiated)\n"
		"      --show-secrets      print the text of <password> elements (default: ***)\n"
		"      --no-media          do not parse BC binary payloads as BcMedia\n"
		"      --max-msg BYTES     largest BC message accepted (default %u)\n"
		"      --max-frame BYTES   largest BcMedia packet accepted (default %u)\n"
		"      --no-summary        no closing {\"type\":\"summary\",…} line\n"
		"  -m, --marker            frame-marker mode (see above); FORMAT i420, yuyv, nv12\n"
		"      --json              marker mode: JSON lines instead of one counter per line\n"
		"  -h, --help              this help\n"
		"\n"
		"Exit status: 0 decoded without errors, 1 decode errors (items are still printed),\n"
		"2 usage or I/O errors.  The password can also come from $CAM_BRIDGE_DUMP_PASSWORD.\n",
		BC_MAX_MSG_DEFAULT, BCMEDIA_MAX_FRAME_DEFAULT);
}

static int parse_size(const char *s, size_t min, size_t max, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

static int read_password_file(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	if (!fgets(out, (int)size, f))
		out[0] = 0;
	fclose(f);
	n = strcspn(out, "\r\n");
	out[n] = 0;
	return 0;
}

/* The first 4 bytes of the first non-empty file, for detection. */
static int peek(char *const *files, int n, uint8_t head[4], const char **which)
{
	for (int i = 0; i < n; i++) {
		FILE *f;
		size_t k;

		if (!strcmp(files[i], "-"))
			return -ESPIPE;
		f = fopen(files[i], "rbe");
		if (!f) {
			*which = files[i];
			return -errno;
		}
		k = fread(head, 1, 4, f);
		fclose(f);
		if (k == 4) {
			*which = files[i];
			return 4;
		}
		if (k > 0) {
			*which = files[i];
			return (int)k;
		}
	}
	return 0;
}

enum {
	OPT_SHOW_SECRETS = 256, OPT_NO_MEDIA, OPT_MAX_MSG, OPT_MAX_FRAME, OPT_JSON, OPT_PWFILE,
	OPT_NO_SUMMARY,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "password", required_argument, NULL, 'p' },
		{ "password-file", required_argument, NULL, OPT_PWFILE },
		{ "nonce", required_argument, NULL, 'n' },
		{ "show-secrets", no_argument, NULL, OPT_SHOW_SECRETS },
		{ "no-media", no_argument, NULL, OPT_NO_MEDIA },
		{ "max-msg", required_argument, NULL, OPT_MAX_MSG },
		{ "max-frame", required_argument, NULL, OPT_MAX_FRAME },
		{ "no-summary", no_argument, NULL, OPT_NO_SUMMARY },
		{ "marker", no_argument, NULL, 'm' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dump_opts o = { .max_msg = BC_MAX_MSG_DEFAULT, .max_frame = BCMEDIA_MAX_FRAME_DEFAULT };
	enum dump_type type = DUMP_T_AUTO;
	static char password[PASSWORD_MAX];
	bool marker = false, json = false, summary = true;
	const char *env = getenv("CAM_BRIDGE_DUMP_PASSWORD");
	struct dump *d;
	int c, r, status;

	if (env) {
		snprintf(password, sizeof(password), "%s", env);
		o.password = password;
	}
	while ((c = getopt_long(argc, argv, "t:p:n:mh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			type = dump_type_from_name(optarg);
			if (type == DUMP_T_AUTO) {
				fprintf(stderr, "cam-bridge-dump: --type %s: use bc, bcudp, media or pcap\n",
					optarg);
				return 2;
			}
			break;
		case 'p':
			if (strlen(optarg) >= sizeof(password)) {
				fprintf(stderr, "cam-bridge-dump: --password longer than %d bytes\n",
					PASSWORD_MAX - 1);
				return 2;
			}
			snprintf(password, sizeof(password), "%s", optarg);
			/* Hide it from ps / /proc/PID/cmdline. */
			memset(optarg, 'x', strlen(optarg));
			o.password = password;
			break;
		case OPT_PWFILE:
			if ((r = read_password_file(optarg, password, sizeof(password))) < 0) {
				fprintf(stderr, "cam-bridge-dump: --password-file %s: %s\n", optarg,
					strerror(-r));
				return 2;
			}
			o.password = password;
			break;
		case 'n':
			if (!*optarg || strlen(optarg) >= 64) {
				fprintf(stderr, "cam-bridge-dump: --nonce must be 1..63 characters\n");
				return 2;
			}
			o.nonce = optarg;
			break;
		case OPT_SHOW_SECRETS: o.show_secrets = true; break;
		case OPT_NO_MEDIA: o.quiet_media = true; break;
		case OPT_MAX_MSG:
			if (parse_size(optarg, 64, 256u << 20, &o.max_msg) < 0) {
				fprintf(stderr, "cam-bridge-dump: --max-msg %s: 64 … %u\n", optarg, 256u << 20);
				return 2;
			}
			break;
		case OPT_MAX_FRAME:
			if (parse_size(optarg, 64, 256u << 20, &o.max_frame) < 0) {
				fprintf(stderr, "cam-bridge-dump: --max-frame %s: 64 … %u\n", optarg,
					256u << 20);
				return 2;
			}
			break;
		case OPT_NO_SUMMARY: summary = false; break;
		case 'm': marker = true; break;
		case OPT_JSON: json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (marker) {
		if (argc - optind != 3) {
			fprintf(stderr, "cam-bridge-dump: --marker needs FILE WxH FORMAT\n");
			return 2;
		}
		return dump_marker(argv[optind], argv[optind + 1], argv[optind + 2], json);
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}

	d = calloc(1, sizeof(*d));
	if (!d)
		return 2;
	dump_init(d, &o);
	if (type == DUMP_T_AUTO) {
		uint8_t head[4] = { 0 };
		const char *which = argv[optind];

		r = peek(argv + optind, argc - optind, head, &which);
		if (r == -ESPIPE) {
			fprintf(stderr, "cam-bridge-dump: reading stdin needs --type\n");
			status = 2;
			goto out;
		}
		if (r < 0) {
			dump_error(d, 0, NULL, "%s: %s", which, strerror(-r));
			status = 2;
			goto out;
		}
		type = dump_detect(head, (size_t)r);
		if (type == DUMP_T_AUTO) {
			if (r == 0)
				dump_error(d, 0, NULL, "input is empty");
			else
				dump_error(d, 0, NULL,
					   "%s: unknown input kind: first bytes %02x %02x %02x %02x are no BC, BcUdp, BcMedia or pcap magic (use --type)",
					   which, head[0], head[1], head[2], head[3]);
			status = 1;
			goto out;
		}
	}
	if (type == DUMP_T_PCAP) {
		for (int i = optind; i < argc; i++)
			if (!strcmp(argv[i], "-")) {
				fprintf(stderr, "cam-bridge-dump: pcap input must be files\n");
				status = 2;
				goto out;
			}
		r = dump_pcap_files(d, argv + optind, argc - optind);
	} else {
		r = dump_stream_files(d, type, argv + optind, argc - optind);
	}
	if (summary) {
		jw_begin(&d->jw);
		jw_str(&d->jw, "type", "summary");
		jw_str(&d->jw, "input", dump_type_name(type));
		jw_u64(&d->jw, "items", d->items);
		jw_u64(&d->jw, "errors", d->errors);
		jw_u64(&d->jw, "warnings", d->warnings);
		if (type == DUMP_T_PCAP) {
			jw_u64(&d->jw, "packets", d->packets);
			jw_u64(&d->jw, "ignored_packets", d->ignored);
			jw_u64(&d->jw, "truncated_packets", d->truncated);
		}
		jw_end(&d->jw, d->out);
	}
	status = r < 0 ? 2 : d->errors ? 1 : 0;
out:
	if (fflush(stdout) != 0 && status == 0)
		status = 2;
	memset(password, 0, sizeof(password));
	dump_free(d);
	free(d);
	return status;
}
