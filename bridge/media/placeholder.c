#include "media/placeholder.h"

#include <errno.h>
#include <string.h>

#include "media/font8x8.h"

#define PH_MAX_CHARS 64

struct canvas {
	uint8_t *y, *u, *v;
	int w, h;
};

struct colour {
	uint8_t y, u, v;
};

static void block(const struct canvas *c, int x, int y, int s, struct colour col)
{
	int x1 = x + s > c->w ? c->w : x + s, y1 = y + s > c->h ? c->h : y + s;

	if (x < 0 || y < 0 || x >= x1 || y >= y1)
		return;
	for (int r = y; r < y1; r++)
		memset(c->y + (size_t)r * c->w + x, col.y, (size_t)(x1 - x));
	for (int r = y / 2; r < (y1 + 1) / 2; r++) {
		memset(c->u + (size_t)r * (c->w / 2) + x / 2, col.u, (size_t)((x1 + 1) / 2 - x / 2));
		memset(c->v + (size_t)r * (c->w / 2) + x / 2, col.v, (size_t)((x1 + 1) / 2 - x / 2));
	}
}

/* Draws one line of text centred horizontally with its top at y, glyphs scaled so the line
 * fits max_w and is at most max_h high.  Returns the height used. */
static int text_line(const struct canvas *c, const char *s, int y, int max_w, int max_h,
		     struct colour col)
{
	char buf[PH_MAX_CHARS + 1];
	size_t n = 0;

	for (; s && *s && n < PH_MAX_CHARS; s++)
		buf[n++] = (*s >= 0x20 && *s <= 0x7e) ? *s : '?';
	buf[n] = 0;
	if (!n)
		return 0;
	int scale = max_h / 8;
	if ((int)n * 8 * scale > max_w)
		scale = max_w / ((int)n * 8);
	if (scale < 1) {
		scale = 1;
		n = (size_t)(max_w / 8);   /* too long even at 1:1: cut it */
		if (!n)
			return 0;
	}
	int x0 = (c->w - (int)n * 8 * scale) / 2;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *g = ph_font8x8[(uint8_t)buf[i] - FONT8X8_FIRST];
		for (int r = 0; r < 8; r++)
			for (int b = 0; b < 8; b++)
				if (g[r] >> b & 1)
					block(c, x0 + ((int)i * 8 + b) * scale, y + r * scale, scale,
					      col);
	}
	return 8 * scale;
}

/* Colour of the state line: red for failures, blue for sleep, amber otherwise. */
static struct colour state_colour(const char *state)
{
	if (!state)
		return (struct colour){ 200, 128, 128 };
	if (strstr(state, "password") || strstr(state, "offline") || strstr(state, "error"))
		return (struct colour){ 150, 100, 210 };
	if (strstr(state, "sleep"))
		return (struct colour){ 170, 190, 100 };
	return (struct colour){ 190, 70, 160 };
}

int ph_render(struct frame *f, const char *camera_name, const char *state,
	      const uint8_t *background)
{
	if (!f || !f->data || f->width < 32 || f->height < 16 || f->width % 2 || f->height % 2 ||
	    f->size < (size_t)f->width * f->height * 3 / 2)
		return -EINVAL;
	int w = f->width, h = f->height;
	size_t ysz = (size_t)w * h, csz = (size_t)(w / 2) * (h / 2);
	struct canvas c = { f->data, f->data + ysz, f->data + ysz + csz, w, h };

	if (background) {
		/* Darken so white text stays readable on any picture. */
		for (size_t i = 0; i < ysz; i++)
			c.y[i] = (uint8_t)(PH_BG_Y / 2 + background[i] / 3);
		for (size_t i = 0; i < 2 * csz; i++)
			c.u[i] = (uint8_t)(128 + (background[ysz + i] - 128) / 2);
	} else {
		memset(c.y, PH_BG_Y, ysz);
		memset(c.u, 128, 2 * csz);
	}
	int max_w = w * 9 / 10;
	text_line(&c, camera_name, h * 3 / 10, max_w, h / 6, (struct colour){ 235, 128, 128 });
	text_line(&c, state, h * 11 / 20, max_w, h / 5, state_colour(state));
	f->placeholder = 1;
	f->marker = -1;
	f->full_range = 0;
	return 0;
}
