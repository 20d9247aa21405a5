/* Login success reply (msg 1, rc 200): <DeviceInfo> + <StreamInfoList>; StreamInfoList alone
 * is also the msg 146 reply.  Parse for the bridge, build for the simulator (the builder
 * reproduces the real camera's formatting byte for byte). */
#ifndef CB_BC_DEVINFO_H
#define CB_BC_DEVINFO_H

#include <stddef.h>
#include <stdint.h>

#include "util/sbuf.h"

#define BC_STREAM_INFO_MAX   8
#define BC_ENCODE_TABLE_MAX  4
#define BC_DI_STR            32
#define BC_DI_TABLE_STR      128

struct bc_encode_table {
	char type[BC_DI_STR];                  /* "mainStream", "subStream", "externStream" */
	uint32_t width, height;
	uint32_t default_framerate;
	uint32_t default_bitrate;              /* kbit/s */
	char framerate_table[BC_DI_TABLE_STR]; /* "20,18,16,…" as sent */
	char bitrate_table[BC_DI_TABLE_STR];
};

struct bc_stream_info {
	uint32_t channel_bits;
	unsigned n_tables;
	struct bc_encode_table table[BC_ENCODE_TABLE_MAX];
};

struct bc_stream_info_list {
	unsigned n_streams;
	struct bc_stream_info stream[BC_STREAM_INFO_MAX];
};

struct bc_device_info {
	char firm_version[BC_DI_STR];
	uint32_t io_input_port_num, io_output_port_num, disk_num;
	char type[BC_DI_STR];                  /* "ipc", "nvr", … */
	uint32_t channel_num, audio_num, ip_channel, analog_chn_num;
	char resolution_name[BC_DI_STR];       /* "3840*2160" */
	uint32_t width, height;
	char language[BC_DI_STR];
	uint32_t sd_card;
	char ptz_mode[BC_DI_STR];
	char type_info[BC_DI_STR];             /* "IPC" */
	uint32_t soft_ver, hard_ver, panel_ver;
	uint32_t hd_channel[4];
	char norm[BC_DI_STR];                  /* "NTSC" / "PAL" */
	char osd_format[BC_DI_STR];
	uint32_t b485, support_auto_update, user_ver;
};

/* Parse a login reply payload.  Missing DeviceInfo fields stay 0/"" (cameras differ); the
 * StreamInfoList is optional (streams->n_streams = 0; streams may be NULL).  0, -EBADMSG (no
 * <DeviceInfo>), or xml_parse errors.  Extra StreamInfo/encodeTable entries are ignored. */
int bc_device_info_parse(const void *xml, size_t len, struct bc_device_info *di,
			 struct bc_stream_info_list *streams);
/* Parse a <StreamInfoList> (msg 146 reply, or inside the login reply). -EBADMSG if absent. */
int bc_stream_info_list_parse(const void *xml, size_t len, struct bc_stream_info_list *sl);

/* Camera-style <body><DeviceInfo>…</DeviceInfo>[<StreamInfoList>…]</body> (streams NULL or
 * empty = no list). */
int bc_device_info_build(struct sbuf *b, const struct bc_device_info *di,
			 const struct bc_stream_info_list *streams);
/* Camera-style <body><StreamInfoList>…</StreamInfoList></body>. */
int bc_stream_info_list_build(struct sbuf *b, const struct bc_stream_info_list *sl);

/* The encode table for "mainStream"/"subStream"/… in stream 0 (NULL if absent). */
const struct bc_encode_table *bc_stream_info_find(const struct bc_stream_info_list *sl,
						  const char *type);

#endif
