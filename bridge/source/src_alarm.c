#include "source/src_alarm.h"

#include <string.h>
#include <strings.h>

/* Spellings seen for the AI types ("dog_cat" is the camera's; the others are aliases some
 * firmwares and clients use). */
static const struct { const char *name; enum ev_type t; } ai_names[] = {
	{ "people", EV_PEOPLE }, { "person", EV_PEOPLE },
	{ "vehicle", EV_VEHICLE }, { "car", EV_VEHICLE },
	{ "dog_cat", EV_DOG_CAT }, { "pet", EV_DOG_CAT }, { "animal", EV_DOG_CAT },
	{ "face", EV_FACE },
};

static int idle_word(const char *s)
{
	return !s[0] || !strcasecmp(s, "none");
}

/* AItype may list several types ("people,vehicle"): a bit for each one known. */
static unsigned ai_bits(const char *s)
{
	char tok[BC_EVENT_STR];
	unsigned bits = 0;
	size_t n;

	while (*s) {
		n = strcspn(s, ", |;");
		if (n && n < sizeof(tok)) {
			memcpy(tok, s, n);
			tok[n] = 0;
			for (size_t i = 0; i < sizeof(ai_names) / sizeof(ai_names[0]); i++)
				if (!strcasecmp(tok, ai_names[i].name))
					bits |= 1u << ai_names[i].t;
		}
		s += n;
		s += strspn(s, ", |;");
	}
	return bits;
}

static size_t transitions(struct src_alarm *a, unsigned now, int64_t marker, struct ev *out)
{
	unsigned started = now & ~a->active, ended = a->active & ~now;
	size_t n = 0;

	for (int t = EV_MOTION; t < SRC_ALARM_NTYPES; t++)
		if (started & (1u << t))
			out[n++] = (struct ev){ .type = (enum ev_type)t, .state = EV_STATE_START,
						.marker = marker };
	for (int t = SRC_ALARM_NTYPES - 1; t >= EV_MOTION; t--)
		if (ended & (1u << t))
			out[n++] = (struct ev){ .type = (enum ev_type)t, .state = EV_STATE_END,
						.marker = marker };
	a->active = now;
	return n;
}

size_t src_alarm_update(struct src_alarm *a, const struct bc_alarm_list *l, int64_t marker,
			struct ev *out)
{
	unsigned now = 0;

	/* status "none" ends everything on that channel, whatever AItype still says; any other
	 * status (MD, …) is motion, plus the AI types it names */
	for (unsigned i = 0; i < l->n && i < BC_ALARM_MAX; i++) {
		if (idle_word(l->ev[i].status))
			continue;
		now |= 1u << EV_MOTION;
		now |= ai_bits(l->ev[i].ai_type);
	}
	return transitions(a, now, marker, out);
}

size_t src_alarm_end_all(struct src_alarm *a, int64_t marker, struct ev *out)
{
	return transitions(a, 0, marker, out);
}
