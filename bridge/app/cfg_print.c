/* Printing the configuration: --help, cfg_dump (libconfig syntax) and the reload diff.
 * Secrets come out as "***" or set/not set. */
#include "app/cfg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A value as text: quoted=1 for libconfig syntax, else the command-line form.  Secrets come
 * out as "***" (set) or "" (not set); the source with its password hidden. */
void cfg_fmt_value(const struct cfg *c, const struct key *k, int quoted, char *out, size_t n)
{
	char tmp[2048];
	size_t o = 0;

	out[0] = '\0';
	switch (k->type) {
	case K_STR: {
		const char *v = cfg_kptr(c, k);

		if (k->flags & KF_SECRET)
			v = *v ? "***" : "";
		else if (k->flags & KF_URL)
			v = url_redact(v, tmp, sizeof(tmp)) == 0 ? tmp : "***";
		if (!quoted) {
			snprintf(out, n, "%s", v);
			break;
		}
		if (o + 1 < n)
			out[o++] = '"';
		for (; *v && o + 3 < n; v++) {
			if (*v == '"' || *v == '\\')
				out[o++] = '\\';
			out[o++] = *v;
		}
		out[o++] = '"';
		out[o] = '\0';
		break;
	}
	case K_ENUM:
		snprintf(out, n, quoted ? "\"%s\"" : "%s", cfg_enum_name(k->ev, *(int *)cfg_kptr(c, k)));
		break;
	case K_INT:
		snprintf(out, n, "%d", *(int *)cfg_kptr(c, k));
		break;
	case K_BOOL:
		snprintf(out, n, "%s", *(int *)cfg_kptr(c, k) ? "true" : "false");
		break;
	case K_STRLIST:
	case K_INTLIST:
		tmp[0] = '\0';
		for (int i = 0; i < *cfg_kcount(c, k); i++) {
			size_t l = strlen(tmp);
			const char *sep = i ? (quoted ? ", " : ",") : "";

			if (k->type == K_STRLIST)
				snprintf(tmp + l, sizeof(tmp) - l, quoted ? "%s\"%s\"" : "%s%s", sep,
					 (char *)cfg_kptr(c, k) + (size_t)i * k->size);
			else
				snprintf(tmp + l, sizeof(tmp) - l, "%s%d", sep,
					 ((int *)cfg_kptr(c, k))[i]);
		}
		snprintf(out, n, quoted ? "[%s]" : "%s", tmp);
		break;
	}
}

void cfg_usage(FILE *out, const char *prog, const struct cfg *c)
{
	struct cfg *def = malloc(sizeof(*def));
	char v[2200], opt[64];

	fprintf(out,
		"Usage: %s [OPTION]...\n"
		"Bridges one camera (Reolink Baichuan over UDP/TCP/P2P, or any RTSP/URL source) to\n"
		"a V4L2 loopback device, with an HTTP sidecar for MJPEG, snapshots and status.\n"
		"\n"
		"  -c, --config FILE     configuration file (default: %s/NAME.conf)\n"
		"      --name NAME       camera name: device label, logs, HTTP routes\n"
		"                        (default: the config file name without .conf)\n"
		"      --source URL      bc-udp://USER:PASS@HOST|broadcast[:PORT][/main|/sub]\n"
		"                              ?uid=UID[&iface=IF]\n"
		"                        bc-tcp://USER:PASS@HOST[:9000][/main|/sub]\n"
		"                        bc-p2p://USER:PASS@UID[/main|/sub]\n"
		"                        or rtsp://, rtsps://, udp://, http(s)://, rtmp://, srt://, a file\n"
		"      --output PATH     /dev/videoN, label:NAME, or a file/FIFO for raw frames\n"
		"      --format FMT      i420, yuyv or nv12\n"
		"      --size WxH        frame size, e.g. 1280x720\n"
		"      --fps N           frames per second (1..120)\n"
		"      --http ADDR:PORT  HTTP sidecar (default 127.0.0.1:8080; [::]:PORT; off)\n"
		"      --hwaccel NAME    auto, none, vaapi, ...\n"
		"      --frames N        exit 0 after N camera frames\n"
		"      --frame-log FILE  log one line per frame\n"
		"      --run-dir DIR     where the bridges of this machine describe themselves\n"
		"                        (default $RUNTIME_DIRECTORY, /run/cam-bridge)\n"
		"      --check-config [FILE]  check the configuration, print every problem, exit\n"
		"  -v, --verbose         more logging (repeatable)\n"
		"  -h, --help            this text\n"
		"  -V, --version         version\n"
		"\n"
		"Every setting of the configuration file is also an option, --GROUP.KEY=VALUE\n"
		"(lists comma-separated).  Passwords: URL, inline, *.password_file, or the systemd\n"
		"credentials '%s' and '%s'.\n\n",
		prog ? prog : "cam-bridge", CFG_DEFAULT_DIR, CFG_CRED_PASSWORD,
		CFG_CRED_HTTP_PASSWORD);
	if (def)
		cfg_defaults(def);
	for (int i = 0; i < cfg_nkeys; i++) {
		const struct key *k = &cfg_keys[i];

		snprintf(opt, sizeof(opt), "--%s=%s", k->path, k->arg);
		fprintf(out, "  %-44s %s", opt, k->help);
		if (k->flags & KF_SECRET) {
			if (c)
				fprintf(out, " [%s]", *(const char *)cfg_kptr(c, k) ? "set" : "not set");
		} else if (c) {
			cfg_fmt_value(c, k, 0, v, sizeof(v));
			fprintf(out, " [%s]", v);
		} else if (def) {
			cfg_fmt_value(def, k, 0, v, sizeof(v));
			fprintf(out, " [default: %s]", v);
		}
		fputc('\n', out);
	}
	free(def);
}

void cfg_dump(const struct cfg *c, FILE *out)
{
	char v[2200], group[32] = "";

	for (int i = 0; i < cfg_nkeys; i++) {
		const struct key *k = &cfg_keys[i];
		const char *dot = strchr(k->path, '.');
		size_t gl = dot ? (size_t)(dot - k->path) : 0;

		if (gl != strlen(group) || strncmp(group, k->path, gl)) {
			if (group[0])
				fprintf(out, "};\n");
			snprintf(group, sizeof(group), "%.*s", (int)gl, k->path);
			if (group[0])
				fprintf(out, "%s = {\n", group);
		}
		cfg_fmt_value(c, k, 1, v, sizeof(v));
		fprintf(out, "%s%s = %s;\n", group[0] ? "\t" : "", dot ? dot + 1 : k->path, v);
	}
	if (group[0])
		fprintf(out, "};\n");
}

static int key_differs(const struct cfg *a, const struct cfg *b, const struct key *k)
{
	char va[2200], vb[2200];

	if (k->type == K_STR)  /* raw compare: secrets and the source's password too */
		return strcmp(cfg_kptr(a, k), cfg_kptr(b, k)) != 0;
	cfg_fmt_value(a, k, 1, va, sizeof(va));
	cfg_fmt_value(b, k, 1, vb, sizeof(vb));
	return strcmp(va, vb) != 0;
}

int cfg_changed_keys(const struct cfg *a, const struct cfg *b, char *out, size_t outlen)
{
	int n = 0;

	if (outlen)
		out[0] = '\0';
	for (int i = 0; i < cfg_nkeys; i++) {
		const struct key *k = &cfg_keys[i];

		if (!key_differs(a, b, k))
			continue;
		if (outlen)
			snprintf(out + strlen(out), outlen - strlen(out), "%s%s", n ? ", " : "",
				 k->path);
		n++;
	}
	return n;
}

int cfg_changed_prefix(const struct cfg *a, const struct cfg *b, const char *prefix)
{
	size_t len = strlen(prefix);
	int n = 0;

	for (int i = 0; i < cfg_nkeys; i++)
		if (!strncmp(cfg_keys[i].path, prefix, len) && key_differs(a, b, &cfg_keys[i]))
			n++;
	return n;
}
