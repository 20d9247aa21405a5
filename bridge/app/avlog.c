#include "app/avlog.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>
#include <libavutil/log.h>

static void avlog_cb(void *avcl, int level, const char *fmt, va_list vl)
{
	char line[512];
	int prefix = 1;
	size_t n;

	if (level > AV_LOG_WARNING || log_get_level() < LOG_DEBUG)
		return;
	av_log_format_line(avcl, level, fmt, vl, line, sizeof(line), &prefix);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	if (n)
		log_debug("ffmpeg: %s", line);
}

void app_avlog_init(void)
{
	av_log_set_callback(avlog_cb);
}
