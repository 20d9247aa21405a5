#include "bc/bc_event.h"

#include <errno.h>
#include <string.h>

#include "bc/bc_xmlw.h"

#define BS(n, m) BCX_F_STR(struct bc_battery, n, m)
#define BU(n, m) BCX_F_U32(struct bc_battery, n, m)
#define BI(n, m) BCX_F_I32(struct bc_battery, n, m)
static const struct bcx_field bat_fields[] = {
	BU("channelId", channel_id),
	BS("chargeStatus", charge_status),
	BS("adapterStatus", adapter_status),
	BI("voltage", voltage),
	BI("current", current),
	BI("temperature", temperature),
	BU("batteryPercent", battery_percent),
	BU("lowPower", low_power),
	BU("batteryVersion", battery_version),
};
#undef BS
#undef BU
#undef BI

#define AS(n, m) BCX_F_STR(struct bc_alarm_event, n, m)
#define AU(n, m) BCX_F_U32(struct bc_alarm_event, n, m)
static const struct bcx_field alarm_fields[] = {
	AU("channelId", channel_id),
	AS("status", status),
	AS("AItype", ai_type),
	AU("recording", recording),
	AU("timeStamp", time_stamp),
};
#undef AS
#undef AU

int bc_battery_build(struct sbuf *b, const struct bc_battery *bat, int list)
{
	bcx_begin(b);
	if (list) {
		bcx_open_v(b, "BatteryList");
		bcx_open(b, "BatteryInfo");
	} else {
		bcx_open_v(b, "BatteryInfo");
	}
	bcx_fields_build(b, bat_fields, BCX_COUNT(bat_fields), bat);
	bcx_close(b, "BatteryInfo");
	if (list)
		bcx_close(b, "BatteryList");
	return bcx_end(b);
}

int bc_battery_parse(const void *xml, size_t len, struct bc_battery *bat)
{
	struct xml_doc *doc;
	const struct xml_node *root, *e;
	int r;

	memset(bat, 0, sizeof(*bat));
	r = bcx_parse(xml, len, &doc, &root);
	if (r < 0)
		return r;
	e = bcx_elem(root, "BatteryInfo");
	if (e)
		bcx_fields_parse(e, bat_fields, BCX_COUNT(bat_fields), bat);
	xml_free(doc);
	return e ? 0 : -EBADMSG;
}

int bc_alarm_build(struct sbuf *b, const struct bc_alarm_list *l)
{
	bcx_begin(b);
	bcx_open_v(b, "AlarmEventList");
	for (unsigned i = 0; i < l->n && i < BC_ALARM_MAX; i++) {
		bcx_open_v(b, "AlarmEvent");
		bcx_fields_build(b, alarm_fields, BCX_COUNT(alarm_fields), &l->ev[i]);
		bcx_close(b, "AlarmEvent");
	}
	bcx_close(b, "AlarmEventList");
	return bcx_end(b);
}

int bc_alarm_parse(const void *xml, size_t len, struct bc_alarm_list *l)
{
	struct xml_doc *doc;
	const struct xml_node *root, *list, *e;
	int r;

	memset(l, 0, sizeof(*l));
	r = bcx_parse(xml, len, &doc, &root);
	if (r < 0)
		return r;
	list = bcx_elem(root, "AlarmEventList");
	for (e = xml_child(list, "AlarmEvent"); e && l->n < BC_ALARM_MAX; e = xml_next(e, "AlarmEvent"))
		bcx_fields_parse(e, alarm_fields, BCX_COUNT(alarm_fields), &l->ev[l->n++]);
	xml_free(doc);
	return l->n ? 0 : -EBADMSG;
}

void bc_msg_keepalive_reply(struct bc_msg *m, const struct bc_header *req)
{
	bc_msg_reply(m, req, BC_RC_OK);
	m->hdr.msg_class = BC_CLASS_MODERN;
}
