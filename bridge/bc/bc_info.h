/* Simple informational bodies: 78 VideoInput, 80 VersionInfo, 93 LinkType ("ping").
 * Camera-style builders (simulator) and tolerant parsers (bridge, dump). */
#ifndef CB_BC_INFO_H
#define CB_BC_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "util/sbuf.h"

#define BC_INFO_STR 64

/* msg 80 reply */
struct bc_version_info {
	char name[BC_INFO_STR];
	char type[BC_INFO_STR];
	char serial_number[BC_INFO_STR];
	char build_day[BC_INFO_STR];
	char hardware_version[BC_INFO_STR];
	char cfg_version[BC_INFO_STR];
	char firmware_version[BC_INFO_STR];
	char detail[BC_INFO_STR];
};
int bc_version_info_build(struct sbuf *b, const struct bc_version_info *v);
/* 0 or -EBADMSG (no <VersionInfo>); missing fields stay "". */
int bc_version_info_parse(const void *xml, size_t len, struct bc_version_info *v);

/* msg 93 reply: <LinkType version="1.1"><type>LAN</type></LinkType> */
int bc_link_type_build(struct sbuf *b, const char *type);
/* 0 or -EBADMSG (no LinkType/type). */
int bc_link_type_parse(const void *xml, size_t len, char *type, size_t size);

/* msg 78 VideoInput (the dissector only names it "IPC desc"; this image-settings body is a
 * plausible guess, not taken from a capture). */
struct bc_video_input {
	uint32_t channel_id;
	uint32_t bright, contrast, saturation, hue, sharpen;   /* 0..255, 128 = neutral */
};
int bc_video_input_build(struct sbuf *b, const struct bc_video_input *v);
int bc_video_input_parse(const void *xml, size_t len, struct bc_video_input *v);

#endif
