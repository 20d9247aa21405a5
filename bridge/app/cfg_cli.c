/* The command line: every key is --GROUP.KEY (and its alias), plus -c, --size, --frames, ...;
 * the file in between, so the command line wins.  Also --check-config and reload. */
#include "app/cfg_int.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>

#include "util/num.h"

enum {
	OPT_CONFIG = 'c', OPT_VERBOSE = 'v', OPT_HELP = 'h', OPT_VERSION = 'V',
	OPT_SIZE = 0x100, OPT_FRAMES, OPT_FRAME_LOG, OPT_CHECK, OPT_RUN_DIR,
	OPT_KEY = 0x1000,       /* + key index */
};

struct override {
	int ki;
	const char *opt;        /* as typed, without "--", for errors */
	const char *val;
	char buf[24];           /* --size halves: up to LLONG_MAX */
};

#define MAX_OVERRIDES 256

/* The option name as typed, without any "=value" (which could be a password). */
static void opt_name(const char *arg, char *out, size_t n)
{
	size_t len = strcspn(arg, "=");

	if (len >= n)
		len = n - 1;
	memcpy(out, arg, len);
	out[len] = '\0';
}

/* A path option into out[CFG_PATH_MAX + 1]. */
static void path_opt(struct diag *d, const char *opt, const char *v, char *out)
{
	if (strlen(v) > CFG_PATH_MAX || !*v)
		cfg_diag_add(d, "command line: --%s: empty or longer than %d bytes", opt,
			 CFG_PATH_MAX);
	else
		snprintf(out, CFG_PATH_MAX + 1, "%s", v);
}

static int from_args(int argc, char **argv, struct cfg *c, struct diag *d)
{
	struct option opts[CFG_MAX_KEYS * 2 + 16];
	struct override *ov;
	struct diag quiet = { 0 };
	int nov = 0, no = 0, action = CFG_RUN, have_config = 0;
	char m[CFG_ERR_MAX - 64];

	cfg_defaults(c);
	c->argc = argc;
	c->argv = argv;
	ov = calloc(MAX_OVERRIDES, sizeof(*ov));
	if (!ov) {
		cfg_diag_add(d, "out of memory");
		return -ENOMEM;
	}

	opts[no++] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
	opts[no++] = (struct option){ "size", required_argument, NULL, OPT_SIZE };
	opts[no++] = (struct option){ "frames", required_argument, NULL, OPT_FRAMES };
	opts[no++] = (struct option){ "frame-log", required_argument, NULL, OPT_FRAME_LOG };
	opts[no++] = (struct option){ "check-config", no_argument, NULL, OPT_CHECK };
	opts[no++] = (struct option){ "run-dir", required_argument, NULL, OPT_RUN_DIR };
	opts[no++] = (struct option){ "verbose", no_argument, NULL, OPT_VERBOSE };
	opts[no++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	opts[no++] = (struct option){ "version", no_argument, NULL, OPT_VERSION };
	for (int i = 0; i < cfg_nkeys; i++) {
		opts[no++] = (struct option){ cfg_keys[i].path, required_argument, NULL, OPT_KEY + i };
		if (cfg_keys[i].alias && strcmp(cfg_keys[i].alias, cfg_keys[i].path))
			opts[no++] = (struct option){ cfg_keys[i].alias, required_argument, NULL,
						      OPT_KEY + i };
	}
	opts[no] = (struct option){ 0, 0, 0, 0 };

	/* Pass 1: options; values that belong to settings are kept for after the file. */
	optind = 0;             /* full re-initialisation (reload parses again) */
	opterr = 0;
	for (;;) {
		int li = -1;
		int o = getopt_long(argc, argv, ":c:vhV", opts, &li);
		char on[64];

		if (o == -1)
			break;
		opt_name(argv[optind - 1] ? argv[optind - 1] : "?", on, sizeof(on));
		switch (o) {
		case OPT_CONFIG:
			if (strlen(optarg) > CFG_PATH_MAX) {
				cfg_diag_add(d, "command line: --config: path longer than %d bytes",
					 CFG_PATH_MAX);
				break;
			}
			snprintf(c->config_path, sizeof(c->config_path), "%s", optarg);
			have_config = 1;
			break;
		case OPT_VERBOSE:
			c->verbose++;
			break;
		case OPT_HELP:
			action = CFG_HELP;
			break;
		case OPT_VERSION:
			if (action != CFG_HELP)
				action = CFG_VERSION;
			break;
		case OPT_CHECK:
			c->check_only = 1;
			if (action == CFG_RUN)
				action = CFG_CHECK;
			break;
		case OPT_FRAMES: {
			long long v;

			if (cfg_parse_ll(optarg, &v) || v < 1)
				cfg_diag_add(d, "command line: --frames: '%.40s' is not a positive "
					 "integer", optarg);
			else
				c->frames = (uint64_t)v;
			break;
		}
		case OPT_FRAME_LOG:
			path_opt(d, "frame-log", optarg, c->frame_log);
			break;
		case OPT_RUN_DIR:
			path_opt(d, "run-dir", optarg, c->run_dir);
			break;
		case OPT_SIZE: {
			/* W and H go through output.width/height like any value: their range
			 * checks report what is wrong */
			size_t wl = strcspn(optarg, "xX");
			long long w, h;

			if (!optarg[wl] || num_parse(optarg, wl, 0, LLONG_MAX, &w) ||
			    num_parse(optarg + wl + 1, strlen(optarg + wl + 1), 0, LLONG_MAX, &h)) {
				cfg_diag_add(d, "command line: --size: '%.40s' is not WxH (e.g. "
					 "1280x720)", optarg);
				break;
			}
			if (nov + 2 > MAX_OVERRIDES) {
				cfg_diag_add(d, "command line: more than %d options", MAX_OVERRIDES);
				break;
			}
			ov[nov] = (struct override){ cfg_key_index("output.width"), "size", NULL, "" };
			snprintf(ov[nov].buf, sizeof(ov[nov].buf), "%lld", w);
			nov++;
			ov[nov] = (struct override){ cfg_key_index("output.height"), "size", NULL, "" };
			snprintf(ov[nov].buf, sizeof(ov[nov].buf), "%lld", h);
			nov++;
			break;
		}
		case ':':
			cfg_diag_add(d, "command line: option '%s' needs a value", on);
			break;
		case '?':
			if (optopt && optopt < 0x100 && isprint(optopt))
				cfg_diag_add(d, "command line: unknown option '-%c'", optopt);
			else
				cfg_diag_add(d, "command line: unknown or ambiguous option '%s'", on);
			break;
		default:
			if (o >= OPT_KEY && o < OPT_KEY + cfg_nkeys) {
				if (nov >= MAX_OVERRIDES) {
					cfg_diag_add(d, "command line: more than %d options",
						 MAX_OVERRIDES);
					break;
				}
				ov[nov].ki = o - OPT_KEY;
				ov[nov].opt = li >= 0 ? opts[li].name : cfg_keys[o - OPT_KEY].path;
				ov[nov].val = optarg;
				nov++;
			}
			break;
		}
	}
	if (optind < argc) {
		if (c->check_only && !have_config && optind + 1 == argc &&
		    strlen(argv[optind]) <= CFG_PATH_MAX) {
			snprintf(c->config_path, sizeof(c->config_path), "%s", argv[optind]);
			have_config = 1;
		} else {
			/* not echoed: after a mistyped option it may be a password */
			cfg_diag_add(d, "command line: unexpected argument #%d (settings are "
				 "--GROUP.KEY=VALUE)", optind);
		}
	}
	/* --help and --version work whatever the rest says. */
	if (action == CFG_HELP || action == CFG_VERSION)
		d = &quiet;

	/* Pass 2: the file: -c, or CFG_DEFAULT_DIR/NAME.conf when it exists. */
	if (!have_config) {
		for (int i = nov - 1; i >= 0; i--) {
			if (ov[i].ki == cfg_key_index("name") && !cfg_check_name(ov[i].val, m, sizeof(m))) {
				char p[CFG_PATH_MAX + 1];

				snprintf(p, sizeof(p), "%s/%s.conf", CFG_DEFAULT_DIR, ov[i].val);
				if (access(p, F_OK) == 0) {
					snprintf(c->config_path, sizeof(c->config_path), "%s", p);
					have_config = 1;
				}
				break;
			}
		}
	}
	if (have_config)
		cfg_load_diag(c, c->config_path, d);

	/* Pass 3: the command line wins over the file. */
	for (int i = 0; i < nov; i++) {
		const struct key *k = &cfg_keys[ov[i].ki];
		const char *v = ov[i].val ? ov[i].val : ov[i].buf;

		if (cfg_set_text(c, k, v, m, sizeof(m))) {
			cfg_diag_add(d, "command line: --%s: %s", ov[i].opt, m);
			c->origin[ov[i].ki].invalid = 1;
			continue;
		}
		c->origin[ov[i].ki].src = 2;
		if ((k->flags & KF_SECRET) && *v)
			cfg_warn(c, d, "--%s on the command line is visible to other users (ps): use "
			     "%s_file or a systemd credential", ov[i].opt, k->path);
	}
	free(ov);

	/* After a syntax error in the file there is nothing sensible to resolve. */
	if (!have_config || c->n_files > 0)
		cfg_finish_diag(c, d);
	/* --check-config reports through cfg_check_args, whatever was found here */
	if (action != CFG_RUN)
		return action;
	return d->n ? -EINVAL : action;
}

int cfg_from_args(int argc, char **argv, struct cfg *c, struct cfg_err *err)
{
	struct diag d = { .err = err };

	if (err)
		memset(err, 0, sizeof(*err));
	return from_args(argc, argv, c, &d);
}

int cfg_check_args(int argc, char **argv, FILE *out)
{
	struct cfg *c = malloc(sizeof(*c));
	struct diag d = { .out = out };
	int r;

	if (!c) {
		fprintf(out, "out of memory\n");
		return 1;
	}
	r = from_args(argc, argv, c, &d);
	explicit_bzero(c, sizeof(*c));
	free(c);
	return r < 0 || d.n ? 1 : 0;
}

int cfg_reload(const struct cfg *cur, struct cfg *next, struct cfg_err *err)
{
	int r = cfg_from_args(cur->argc, cur->argv, next, err);

	return r < 0 ? r : 0;
}

