/* Camera events and their requests: 252 BatteryList (event) / 253 BatteryInfo (reply),
 * 33 AlarmEventList (motion event), 234 UDP keep-alive (camera asks, client must answer). */
#ifndef CB_BC_EVENT_H
#define CB_BC_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "bc/bc_msg.h"
#include "util/sbuf.h"

#define BC_EVENT_STR   32
#define BC_ALARM_MAX   8     /* AlarmEvent entries kept per message */

struct bc_battery {
	uint32_t channel_id;
	char charge_status[BC_EVENT_STR];    /* "charging", "chargeComplete", "none" */
	char adapter_status[BC_EVENT_STR];   /* "solarPanel", "none", … */
	int32_t voltage;                     /* mV */
	int32_t current;                     /* mA, negative when discharging */
	int32_t temperature;                 /* °C */
	uint32_t battery_percent;
	uint32_t low_power;
	uint32_t battery_version;
};
/* list = 1: <BatteryList version="1.1"><BatteryInfo>…  (msg 252 event);
 * list = 0: <BatteryInfo version="1.1">…  (msg 253 reply). */
int bc_battery_build(struct sbuf *b, const struct bc_battery *bat, int list);
/* First BatteryInfo of either form.  0 or -EBADMSG. */
int bc_battery_parse(const void *xml, size_t len, struct bc_battery *bat);

struct bc_alarm_event {
	uint32_t channel_id;
	char status[BC_EVENT_STR];           /* "MD" = motion, "none" = idle */
	char ai_type[BC_EVENT_STR];          /* "people", "vehicle", "none", … */
	uint32_t recording;
	uint32_t time_stamp;
};
struct bc_alarm_list {
	unsigned n;
	struct bc_alarm_event ev[BC_ALARM_MAX];
};
int bc_alarm_build(struct sbuf *b, const struct bc_alarm_list *l);
/* 0 or -EBADMSG (no AlarmEventList/AlarmEvent).  Entries past BC_ALARM_MAX are ignored. */
int bc_alarm_parse(const void *xml, size_t len, struct bc_alarm_list *l);

/* The client's answer to a camera keep-alive (msg 234): same msg_id, msg_num, channel_id and
 * stream_type, rc 200, class 0x6414, header only. */
void bc_msg_keepalive_reply(struct bc_msg *m, const struct bc_header *req);

#endif
