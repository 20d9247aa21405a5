/* Names of BC message ids (BAICHUAN.md §5) for the "msg_name" field. */
#include "dump/dump_bc.h"

static const struct {
	uint16_t id;
	const char *name;
} names[] = {
	{ 1, "Login" }, { 2, "Logout" }, { 3, "Preview" }, { 4, "PreviewStop" },
	{ 5, "FileInfoList" }, { 7, "FileInfoList" }, { 8, "FileInfoList" },
	{ 10, "TalkAbility" }, { 11, "TalkReset" }, { 13, "FileInfoList" }, { 14, "FileInfoList" },
	{ 15, "FileInfoList" }, { 16, "FileInfoList" }, { 18, "PtzControl" }, { 19, "PtzPreset" },
	{ 23, "Reboot" }, { 25, "VideoInputSet" }, { 26, "VideoInputGet" },
	{ 31, "MotionRequest" }, { 33, "AlarmEventList" }, { 36, "ServerPortSet" },
	{ 37, "ServerPortGet" }, { 38, "Ntp" }, { 42, "EmailGet" }, { 43, "EmailSet" },
	{ 44, "OsdGet" }, { 45, "OsdSet" }, { 46, "MdGet" }, { 47, "MdSet" },
	{ 58, "AbilitySupport" }, { 59, "UserListSet" }, { 65, "ConfigFileExport" },
	{ 66, "ConfigFileImport" }, { 67, "FirmwareUpgrade" }, { 76, "IpGet" }, { 77, "IpSet" },
	{ 78, "VideoInput" }, { 80, "VersionInfo" }, { 81, "RecordScheduleGet" },
	{ 82, "RecordScheduleSet" }, { 93, "LinkType" }, { 102, "HddInfoList" },
	{ 104, "SystemGeneralGet" }, { 105, "SystemGeneralSet" }, { 109, "Snap" },
	{ 114, "Uid" }, { 115, "WifiSignal" }, { 116, "Wifi" }, { 120, "OnlineUserList" },
	{ 122, "PerformanceInfo" }, { 123, "ReplaySeek" }, { 124, "PushInfo" },
	{ 132, "VideoInput" }, { 133, "RfAlarm" }, { 141, "EmailTest" }, { 142, "DayRecords" },
	{ 145, "ChannelInfoList" }, { 146, "StreamInfoList" }, { 151, "AbilityInfo" },
	{ 190, "PtzPresetGet" }, { 192, "Unknown192" }, { 194, "FtpTest" }, { 195, "AutoUpdate" },
	{ 199, "Support" }, { 201, "TalkConfig" }, { 202, "Talk" }, { 204, "RfAlarmCfgSet" },
	{ 208, "LedStateGet" }, { 209, "LedStateSet" }, { 210, "Ptop" }, { 211, "Ptop" },
	{ 212, "RfAlarmCfgGet" }, { 213, "RfAlarmCfgSet" }, { 216, "EmailTaskSet" },
	{ 217, "EmailTaskGet" }, { 218, "PushTaskSet" }, { 219, "PushTaskGet" },
	{ 228, "Crop" }, { 229, "Crop" }, { 230, "CropSnap" }, { 232, "AudioTask" },
	{ 234, "UdpKeepAlive" }, { 252, "BatteryInfoList" }, { 253, "BatteryInfo" },
	{ 255, "Net3g4gInfo" }, { 263, "AudioPlayInfo" }, { 264, "AudioCfg" },
	{ 268, "CloudBindInfo" }, { 272, "FindAlarmVideo" }, { 273, "AlarmVideoInfo" },
	{ 274, "AlarmVideoInfo" }, { 281, "BindNasInfoList" }, { 282, "CloudLoginKey" },
	{ 287, "TimeCfg" }, { 288, "FloodlightManual" }, { 290, "FloodlightTaskSet" },
	{ 291, "FloodlightStatusList" }, { 294, "PtzZoomFocusGet" }, { 295, "PtzZoomFocusSet" },
	{ 299, "AiCfg" }, { 319, "TimelapseCfg" }, { 342, "AiDetectCfg" },
	{ 438, "FloodlightTaskGet" },
};

const char *dump_msg_name(uint32_t msg_id)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].id == msg_id)
			return names[i].name;
	return NULL;
}
