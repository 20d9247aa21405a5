#include "sink/sink.h"
#include "sink/fileout.h"
#include "sink/v4l2out.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct sink {
	enum sink_kind kind;
	struct v4l2out *v4l2;
	struct fileout *file;
};

static int has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

enum sink_kind sink_kind_of(const char *spec, const char **path)
{
	struct stat st;
	const char *ignored;

	if (!path)
		path = &ignored;   /* callers that only want the kind */
	*path = spec;
	if (has_prefix(spec, "file:")) {
		*path = spec + 5;
		return SINK_FILE;
	}
	if (has_prefix(spec, "v4l2:")) {
		*path = spec + 5;
		return SINK_V4L2;
	}
	if (has_prefix(spec, V4L2OUT_LABEL_PREFIX))
		return SINK_V4L2;   /* v4l2out_open resolves the label */
	/* Character devices that are data sinks, not cameras. */
	if (!strcmp(spec, "/dev/null") || !strcmp(spec, "/dev/stdout"))
		return SINK_FILE;
	/* A missing /dev/videoN must fail as a device, not become a new regular file in /dev. */
	if (has_prefix(spec, "/dev/"))
		return SINK_V4L2;
	if (stat(spec, &st) == 0 && S_ISCHR(st.st_mode))
		return SINK_V4L2;
	return SINK_FILE;
}

int sink_open(struct sink **out, const char *spec, const struct sink_cfg *cfg, char *err,
	      size_t errlen)
{
	struct sink *s;
	const char *path;
	int r;

	*out = NULL;
	if (!spec || !*spec || !cfg)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->kind = sink_kind_of(spec, &path);
	if (s->kind == SINK_V4L2) {
		struct v4l2out_cfg vc = {
			.fmt = cfg->fmt, .width = cfg->width, .height = cfg->height,
			.fps = cfg->fps, .full_range = cfg->full_range,
		};
		r = v4l2out_open(&s->v4l2, path, &vc, err, errlen);
	} else {
		r = fileout_open(&s->file, path, cfg->fmt, cfg->width, cfg->height, cfg->file_flags,
				 err, errlen);
	}
	if (r < 0) {
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

int sink_write(struct sink *s, const struct frame *f)
{
	return s->kind == SINK_V4L2 ? v4l2out_write(s->v4l2, f) : fileout_write(s->file, f);
}

enum sink_kind sink_kind(const struct sink *s) { return s->kind; }

int sink_poll_fd(const struct sink *s)
{
	return s->kind == SINK_V4L2 ? v4l2out_fd(s->v4l2) : -1;
}

int sink_consumers(struct sink *s)
{
	return s->kind == SINK_V4L2 ? v4l2out_consumers(s->v4l2) : -1;
}

struct v4l2out *sink_v4l2(struct sink *s) { return s->v4l2; }
struct fileout *sink_file(struct sink *s) { return s->file; }

void sink_close(struct sink *s)
{
	if (!s)
		return;
	v4l2out_close(s->v4l2);
	fileout_close(s->file);
	free(s);
}
