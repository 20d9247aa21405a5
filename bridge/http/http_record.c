/* POST /api/v1/record?seconds=N (start, or extend the clip in progress: the Pi camera
 * module's start_video(duration)) and POST /api/v1/record/stop.  Both only tell the
 * recorder thread and answer at once. */
#include "http/http_internal.h"
#include "http/http_resp.h"
#include "record/rec.h"
#include "util/num.h"

#include <stdio.h>
#include <string.h>

#define REC_MAX_ASK_S 86400

enum MHD_Result http_record(struct http_server *s, struct MHD_Connection *conn, int stop)
{
	const char *secs = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "seconds");
	long long n = 0;
	char body[96];

	if (!s->rec)
		return http_reply_text(conn, MHD_HTTP_CONFLICT, "text/plain",
				       "recording is off (record.dir is not set)\n");
	if (stop) {
		rec_stop_clip(s->rec);
		return http_reply_text(conn, MHD_HTTP_OK, "application/json",
				       "{\"recording\":false}\n");
	}
	if (secs && num_parse(secs, strlen(secs), 1, REC_MAX_ASK_S, &n) < 0)
		return http_reply_text(conn, MHD_HTTP_BAD_REQUEST, "text/plain",
				       "seconds: a whole number of seconds, 1..86400\n");
	if (rec_trigger(s->rec, REC_TRIG_MANUAL, (int)n) < 0)
		return http_reply_text(conn, MHD_HTTP_BAD_REQUEST, "text/plain",
				       "seconds: more than record.max_seconds\n");
	snprintf(body, sizeof(body), "{\"recording\":true,\"seconds\":%lld}\n", n);
	return http_reply_text(conn, MHD_HTTP_OK, "application/json", body);
}
