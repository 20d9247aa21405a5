/* An embedded 8x8 bitmap font for the placeholder card (no font files at run time). */
#ifndef CB_MEDIA_FONT8X8_H
#define CB_MEDIA_FONT8X8_H

#include <stdint.h>

#define FONT8X8_FIRST 0x20
#define FONT8X8_COUNT 95   /* 0x20 … 0x7e */

/* Row r of glyph c is ph_font8x8[c - FONT8X8_FIRST][r]; bit 0 is the leftmost pixel. */
extern const uint8_t ph_font8x8[FONT8X8_COUNT][8];

#endif
