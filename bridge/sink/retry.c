#include "sink/retry.h"

#include <string.h>

void sink_retry_init(struct sink_retry *r)
{
	memset(r, 0, sizeof(*r));
}

enum sink_retry_say sink_retry_failed(struct sink_retry *r, uint64_t now_us, int err, int quick)
{
	enum sink_retry_say say = SINK_SAY_NOTHING;

	if (err < 0)
		err = -err;
	if (r->err != err) {
		if (!r->err) {
			r->since_us = now_us;
			r->attempts = 0;
		}
		r->err = err;
		r->delay_us = SINK_RETRY_MIN_MS * 1000u;
		r->remind_us = now_us + SINK_RETRY_REMIND_MS * 1000u;
		say = SINK_SAY_FAILING;
	} else if (now_us >= r->remind_us) {
		r->remind_us = now_us + SINK_RETRY_REMIND_MS * 1000u;
		say = SINK_SAY_STILL;
	}
	r->attempts++;
	if (quick)
		r->delay_us = SINK_RETRY_MIN_MS * 1000u;
	r->next_us = now_us + r->delay_us;
	r->delay_us *= 2;
	if (r->delay_us > SINK_RETRY_MAX_MS * 1000u)
		r->delay_us = SINK_RETRY_MAX_MS * 1000u;
	return say;
}

enum sink_retry_say sink_retry_ok(struct sink_retry *r, uint64_t now_us)
{
	int was = r->err;

	(void)now_us;
	r->err = 0;
	r->next_us = 0;
	r->delay_us = 0;
	return was ? SINK_SAY_RECOVERED : SINK_SAY_NOTHING;
}

int sink_retry_due(const struct sink_retry *r, uint64_t now_us)
{
	return now_us >= r->next_us;
}
