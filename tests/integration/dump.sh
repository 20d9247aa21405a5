#!/bin/bash
# cam-bridge-dump over every capture in ../shared/conformance: the JSON Lines output must carry
# the values ../shared/conformance/INDEX.md lists (header fields, nonces, UDP ids, media sizes
# and timestamps, pcap negotiation), AES must decrypt with --password/--nonce, garbage must give
# an error with an offset and a non-zero exit (no crash), and --marker must read back the
# counters of raw frames generated here.
. "$(dirname "$0")/lib.sh"

CONF=$ROOT/../shared/conformance
[ -d "$CONF" ] || skip "$CONF absent (the conformance captures live beside the project)"
command -v python3 >/dev/null || skip "python3 not installed"
need_prog "$DUMP"

# run ARGS...: runs the dump; stdout in $TMP/out, stderr in $TMP/err, exit status in $TMP/rc.
run() {
	"$DUMP" "$@" >"$TMP/out" 2>"$TMP/err"
	echo $? >"$TMP/rc"
}

# check DESCRIPTION: runs the python assertions on stdin against the last run.  Available:
# out (stdout objects minus the summary), err (stderr objects), summary, rc, bc/udp/media/gaps
# (out filtered by type).  Every line of both streams must be a JSON object.
check() {
	python3 - "$TMP/out" "$TMP/err" "$TMP/rc" "$1" 3<&0 <<'PY' || fail "$1"
import json, sys
def load(p):
    r = []
    for i, l in enumerate(open(p, encoding='utf-8')):
        try:
            o = json.loads(l)
        except ValueError as e:
            sys.exit(f"{p}:{i+1}: not JSON ({e}): {l[:200]!r}")
        if not isinstance(o, dict) or 'type' not in o:
            sys.exit(f"{p}:{i+1}: not an object with a type")
        r.append(o)
    return r
allout = load(sys.argv[1]); err = load(sys.argv[2]); rc = int(open(sys.argv[3]).read())
summary = [o for o in allout if o['type'] == 'summary']
summary = summary[0] if summary else None
out = [o for o in allout if o['type'] != 'summary']
bc = [o for o in out if o['type'] == 'bc']
udp = [o for o in out if o['type'] == 'bcudp']
media = [o for o in out if o['type'] == 'media']
gaps = [o for o in out if o['type'] == 'gap']
errors = [o for o in err if o['type'] == 'error']
for o in err:
    assert o['type'] in ('error', 'warning') and isinstance(o['offset'], int) and o['message'], o
code = open(3).read()
try:
    exec(code)
except AssertionError as e:
    import traceback; traceback.print_exc()
    print("stdout:", open(sys.argv[1]).read()[:3000]); print("stderr:", open(sys.argv[2]).read()[:3000])
    sys.exit(1)
PY
	ok "$1"
}

B=$CONF/bc U=$CONF/bcudp M=$CONF/bcmedia S=$CONF/synthetic

# ---- every file, one by one: valid JSON Lines, no crash ----------------------------------
n=0
for f in "$CONF"/*/*; do
	[ -f "$f" ] || continue
	case $f in *.md) continue ;; esac
	# A piece of a media packet split over several files starts or ends mid-packet: force the
	# type and accept the "truncated"/"skipped" errors that follow (groups are checked below).
	if [[ $f == */bcmedia/* ]]; then run --type media "$f"; else run "$f"; fi
	rc=$(cat "$TMP/rc")
	[ "$rc" -le 2 ] || fail "$f: exit status $rc (crash?)"
	case $(basename "$f") in
	xml_crypto_sample1*.bin)   # a bare (encrypted or plain) XML body, not a message/datagram
		check "$(basename "$(dirname "$f")")/$(basename "$f"): not a message: error at offset 0" <<'PY'
assert rc == 1 and errors and errors[0]['offset'] == 0 and 'unknown input kind' in errors[0]['message']
PY
		;;
	*)
		python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]; [json.loads(l) for l in open(sys.argv[2])]' \
			"$TMP/out" "$TMP/err" || fail "$f: output is not JSON Lines"
		if [ "$rc" -eq 1 ] && [[ $f == */bcmedia/* ]] &&
		   ! grep '"error"' "$TMP/err" | grep -qvE 'truncated packet|skipped [0-9]+ bytes'; then
			rc=0
		fi
		[ "$rc" -eq 0 ] || fail "$f: exit status $rc: $(head -c 600 "$TMP/err")"
		;;
	esac
	n=$((n + 1))
done
ok "all $n conformance files decode (exit 0, JSON Lines)"

# ---- BC messages ------------------------------------------------------------------------
run "$B/model_sample_legacy_login.bin"
check "legacy login: header, offer, MD5(admin)" <<'PY'
m, = bc
assert (m['msg_id'], m['body_len'], m['channel'], m['stream_type'], m['msg_num']) == (1, 1836, 0, 0, 256), m
assert m['response_code'] == 0xdc01 and m['response_code_hex'] == '0xdc01' and m['class'] == '0x6514'
assert m['payload_offset'] is None and m['offset'] == 0 and m['payload'] == {'binary': 1836, 'head': m['payload']['head']}
assert m['user_md5'] == '21232F297A57A5A743894A0E4A801FC' and m['password_empty'] is True
assert m['encryption_offer'] == 'bcencrypt'
PY
run "$B/model_sample_modern_login.bin"
check "nonce reply: rc 0xdd01, nonce 9E6D1FCB9E69846D" <<'PY'
m, = bc
assert (m['msg_id'], m['body_len'], m['class'], m['response_code_hex'], m['payload_offset']) == (1, 145, '0x6614', '0xdd01', None)
assert m['encryption'] == 'xor' and m['nonce'] == '9E6D1FCB9E69846D' and '<type>md5</type>' in m['payload']
PY
run "$B/battery_enc.bin"
check "Argus 2 nonce reply: rc 0xdd03, nonce 0-AhnEZyUg6eKrJFIWgXPF" <<'PY'
m, = bc
assert (m['body_len'], m['response_code_hex'], m['class'], m['msg_num']) == (175, '0xdd03', '0x6614', 1)
assert m['nonce'] == '0-AhnEZyUg6eKrJFIWgXPF'
PY
run "$B/modern_login_failed.bin"
check "login failed: rc 400, header only" <<'PY'
m, = bc
assert (m['body_len'], m['payload_offset'], m['response_code'], m['class']) == (0, 0, 400, '0x0000')
assert m['extension'] is None and m['payload'] is None
PY
run "$B/modern_login_success.bin"
check "login success: DeviceInfo XML (XOR), 3 StreamInfo" <<'PY'
m, = bc
assert (m['body_len'], m['payload_offset'], m['response_code_hex'], m['extension']) == (2949, 0, '0x00c8', None)
assert m['encryption'] == 'xor' and '<DeviceInfo' in m['payload'] and '3840*2160' in m['payload']
assert m['payload'].count('<StreamInfo>') + m['payload'].count('<StreamInfo ') == 3
PY
run "$B/modern_video_start1.bin"
check "video start reply: binaryData=1, InfoV2 3840x2160 fps 20" <<'PY'
m, = bc
assert m['payload_offset'] == 106 and m['binary_data'] == 1 and m['payload']['binary'] == 32 and m['msg_num'] == 0x0900
i, = media
assert (i['kind'], i['width'], i['height'], i['fps'], i['start']) == ('infov2', 3840, 2160, 20, '2020-04-08 20:52:39')
PY
run "$B/modern_video_start1.bin" "$B/modern_video_start2.bin"
check "video start 1+2: sticky binary mode, 30344-byte payload, H265 I-frame start" <<'PY'
assert len(bc) == 2 and bc[1]['payload']['binary'] == 30344 and 'guessed' not in bc[1]['payload']
assert bc[1]['payload']['head'].startswith('30306463') and bc[1]['offset'] == 162
assert not errors
PY
for s in "mainstream 138 mainStream 0" "substream 143 subStream 256" "externstream 140 externStream 1024"; do
	set -- $s
	run "$B/xml_$1_b800.bin"
	CH=$2 ST=$3 HD=$4 check "B800 $1: channel (XOR offset) $2, $3, handle $4" <<'PY'
import os
m, = bc
assert (m['msg_id'], m['channel'], m['stream_type'], m['msg_num'], m['class']) == (3, int(os.environ['CH']), 0, 0, '0x6414')
assert f"<streamType>{os.environ['ST']}</streamType>" in m['payload'] and f"<handle>{os.environ['HD']}</handle>" in m['payload']
PY
done

# ---- AES ----------------------------------------------------------------------------------
run --password 123456 --nonce 9E6D1FCB9E69846D "$S/bc_aes_linktype_reply.bin"
check "AES: --password 123456 --nonce → LinkType LAN" <<'PY'
m, = bc
assert m['msg_id'] == 93 and m['encryption'] == 'aes' and '<type>LAN</type>' in m['payload'] and rc == 0
PY
grep -q 123456 "$TMP/out" "$TMP/err" && fail "the password appears in the output"
run --password 123456 "$S/bc_nonce_reply_dd12.bin" "$S/bc_aes_linktype_reply.bin"
check "AES: nonce taken from the dd12 reply in the stream" <<'PY'
assert bc[0]['response_code_hex'] == '0xdd12' and bc[0]['nonce'] == '9E6D1FCB9E69846D'
assert '<type>LAN</type>' in bc[1]['payload'] and bc[1]['offset'] == 165
PY
run --password wrong --nonce 9E6D1FCB9E69846D "$S/bc_aes_linktype_reply.bin"
check "AES: a wrong password gives an undecoded payload and a warning" <<'PY'
m, = bc
assert isinstance(m['payload'], dict) and m['payload']['undecoded'] == 109
assert any('wrong --password' in o['message'] for o in err)
PY
run "$S/bc_aes_linktype_reply.bin"
check "AES without a password: header still decoded, payload not" <<'PY'
m, = bc
assert m['msg_id'] == 93 and isinstance(m['payload'], dict)
PY

# ---- BcUdp --------------------------------------------------------------------------------
run "$U/udp_negotiate_disc.bin"
check "C2D_DISC tid 96 cid 82000 did 80, crc 0x42824554" <<'PY'
p, = udp
assert (p['kind'], p['tid'], p['crc'], p['crc_ok'], p['msg']) == ('discovery', 96, '0x42824554', True, 'C2D_DISC')
assert p['fields'] == {'cid': 82000, 'did': 80} and p['payload_size'] == 67
PY
run "$U/udp_negotiate_camt.bin"
check "D2C_T tid 113 sid 62098713 local cid 82001 did 96" <<'PY'
p, = udp
assert p['tid'] == 113 and p['msg'] == 'D2C_T' and p['fields'] == {'sid': 62098713, 'conn': 'local', 'cid': 82001, 'did': 96}
PY
run "$U/udp_negotiate_clientt.bin"
check "C2D_T tid 1101 mtu 1350" <<'PY'
p, = udp
assert p['tid'] == 1101 and p['msg'] == 'C2D_T' and p['fields'] == {'sid': 62098713, 'conn': 'local', 'cid': 82001, 'mtu': 1350}
PY
run "$U/udp_negotiate_camcfm.bin"
check "D2C_CFM tid 1101 rsp 0 time_r 0" <<'PY'
p, = udp
assert p['tid'] == 1101 and p['fields'] == {'sid': 62098713, 'conn': 'local', 'rsp': 0, 'cid': 82001, 'did': 96, 'time_r': 0}
PY
run "$U/udp_ack.bin"
check "ack: connection_id 80 packet_id 2439" <<'PY'
p, = udp
assert (p['kind'], p['connection_id'], p['packet_id'], p['group_id'], p['latency'], p['payload_size'], p['bitmap']) == ('ack', 80, 2439, 0, 0, 0, '')
PY
run "$U/udp_data.bin"
check "data: cid 82000 packet 2439, 3 BC msg-3 (AAC, AAC, H264 P-frame)" <<'PY'
p, = udp
assert (p['kind'], p['connection_id'], p['packet_id'], p['payload_size']) == ('data', 82000, 2439, 1176)
assert [m['body_len'] for m in bc] == [224, 240, 640]
assert all((m['msg_id'], m['stream_type'], m['msg_num'], m['response_code'], m['class'], m['connection_id']) == (3, 1, 0x1f00, 200, '0x0000', 82000) for m in bc)
assert [x['kind'] for x in media] == ['aac', 'aac', 'pframe'] and media[0]['size'] == 209 and media[2]['codec'] == 'H264'
assert not errors
PY
run "$U"/udp_multi_{0,1,2,3,4,5,6,7,8,9}.bin
check "udp_multi_0..9 as one stream: tids, ids, retransmission, 1856-byte login (dc12)" <<'PY'
assert len(udp) == 10 and rc == 0 and not errors
assert [p.get('tid') for p in udp] == [87, 92, 92, None, None, 92, 92, None, 92, 92]
assert [p['kind'] for p in udp].count('data') == 3
assert udp[0]['fields'] == {'sid': 62097899, 'conn': 'local', 'cid': 82000, 'did': 80}
assert udp[1]['fields']['mtu'] == 1350 and udp[2]['msg'] == 'D2C_CFM' and all(p['crc_ok'] for p in udp if p['kind'] == 'discovery')
assert [(p['packet_id'], p['payload_size'], p['connection_id']) for p in udp if p['kind'] == 'data'] == [(0, 1330, 80), (1, 526, 80), (0, 1330, 80)]
assert udp[7].get('duplicate') is True
m, = bc
assert (m['body_len'], m['response_code_hex'], m['class'], m['msg_num'], m['connection_id']) == (1836, '0xdc12', '0x6514', 256, 80)
assert m['user_md5'] == '21232F297A57A5A743894A0E4A801FC'
PY
run "$S/udp_c2d_c_tid42.bin"
check "synthetic C2D_C: uid, cli port, cid" <<'PY'
p, = udp
assert p['tid'] == 42 and p['fields']['uid'] == '95270000ABCDEFGH' and p['fields']['cli'] == {'port': 53812} and p['fields']['cid'] == 12345678
PY
run "$S/udp_ack_bitmap.bin"
check "synthetic ack bitmap: packet 41, 01101" <<'PY'
p, = udp
assert p['packet_id'] == 41 and p['bitmap'] == '01101'
PY
run "$S/udp_ack_empty.bin"
check "synthetic empty ack: group/packet 0xffffffff" <<'PY'
p, = udp
assert p['packet_id'] == p['group_id'] == 0xffffffff
PY
run "$S/udp_data_login_upgrade.bin"
check "synthetic data packet carrying the dc12 login upgrade" <<'PY'
m, = bc
assert (m['body_len'], m['response_code_hex'], m['class']) == (0, '0xdc12', '0x6514')
PY

# ---- BcMedia ------------------------------------------------------------------------------
run "$M"/iframe_{0,1,2,3,4}.raw
check "Swann I-frame: H264 192881 B, µs 3557705112, time 1628085232" <<'PY'
f, = media
assert (f['kind'], f['codec'], f['size'], f['microseconds'], f['time'], f['additional_header_size']) == ('iframe', 'H264', 192881, 3557705112, 1628085232, 8)
assert f['head'] == '0000000167640033' and not errors
PY
run "$M"/pframe_{0,1}.raw
check "Swann P-frame: 45108 B, µs 3557767112" <<'PY'
f, = media
assert (f['kind'], f['size'], f['microseconds'], f['additional_header_size'], f['time']) == ('pframe', 45108, 3557767112, 0, None)
PY
run "$M/adpcm_0.raw"
check "Swann ADPCM: 2 packets of 244 B" <<'PY'
assert [(a['kind'], a['size'], a['half_block']) for a in media] == [('adpcm', 244, 122)] * 2
PY
run "$M/info_v1.raw"
check "InfoV1: 2560x1440 fps 30, 2021-08-04 23:23:52" <<'PY'
i, = media
assert (i['kind'], i['width'], i['height'], i['fps'], i['start'], i['end']) == ('infov1', 2560, 1440, 30, '2021-08-04 23:23:52', '2021-08-04 23:23:52')
PY
run "$M"/argus2_iframe_{0,1,2,3,4}.raw
check "Argus 2 I-frame: H265 196063 B, additional header 16, time 1638390602" <<'PY'
f, = media
assert (f['codec'], f['size'], f['additional_header_size'], f['time'], f['microseconds'], f['unknown']) == ('H265', 196063, 16, 1638390602, 2855770136, 71)
PY
run "$M"/argus2_pframe_{0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17}.raw
check "Argus 2 P-frame: H265 16927 B + AAC 519 B at 16 kHz" <<'PY'
assert [x['kind'] for x in media] == ['pframe', 'aac'] and not errors and rc == 0
assert (media[0]['codec'], media[0]['size'], media[0]['additional_header_size'], media[0]['microseconds']) == ('H265', 16927, 8, 5493358)
assert (media[1]['size'], media[1]['sample_rate']) == (519, 16000)
PY
run "$M"/video_stream_swan_0{0,1,2,3,4,5,6,7,8,9}.raw
check "Swann stream: I 192881, P 45108, ADPCM 244 ×2, P 49978 at the listed offsets" <<'PY'
assert [(x['kind'], x['size'], x['offset']) for x in media] == [('iframe', 192881, 0), ('pframe', 45108, 192920), ('adpcm', 244, 238056), ('adpcm', 244, 238312), ('pframe', 49978, 238568)]
assert media[1]['file'].endswith('video_stream_swan_05.raw')
assert not errors and not err and rc == 0
PY

# ---- pcap ---------------------------------------------------------------------------------
run "$B/EncryptionProtocol02_login.pcapng"
check "pcap dd02: nonce AB5B32EC757765C2, gaps, InfoV2 2304x1296 fps 15 in the msg-3 reply" <<'PY'
n = [m for m in bc if m['response_code_hex'] == '0xdd02']
assert len(n) == 1 and n[0]['nonce'] == 'AB5B32EC757765C2' and n[0]['src'] == '192.168.1.101:9000' and n[0]['dst'] == '192.168.1.15:61024'
assert isinstance(n[0]['packet'], int) and isinstance(n[0]['time'], float)
login = [m for m in bc if m['msg_id'] == 1 and m['class'] == '0x6414']
assert login and '0DFB4D21F2A282128100524E2C4792B' in login[0]['payload']
assert 'EC1AF34630047FEB2C5B9D2C5402A8D' not in open(sys.argv[1]).read()   # <password> redacted
i = [x for x in media if x['kind'] == 'infov2']
assert len(i) == 1 and (i[0]['width'], i[0]['height'], i[0]['fps'], i[0]['msg_id']) == (2304, 1296, 15, 3)
assert i[0]['start'].startswith('2021-04-15')
assert gaps and all(g['missing'] > 0 for g in gaps)
assert sum(1 for m in bc if m['encryption'] == 'aes') >= 15
assert rc == 0 and not errors and summary['packets'] == 25
PY
run --show-secrets "$B/EncryptionProtocol02_login.pcapng"
check "pcap dd02 --show-secrets: the login password hash is shown" <<'PY'
assert 'EC1AF34630047FEB2C5B9D2C5402A8D' in open(sys.argv[1]).read()
PY
run "$B/e1_firmwareupgrade.pcapng"
check "pcap E1 upgrade: msg 67 fileName, 252 rc-200 replies" <<'PY'
up = [m for m in bc if m['msg_id'] == 67 and m['response_code'] == 0]
assert up and '<fileName>IPC_517SD5.115_20102200.E1.GC4623.3MP.WIFI8188FTV.PT.REOLINK.pak</fileName>' in up[0]['payload']
assert '<fileSize>9491791</fileSize>' in up[0]['payload'] and up[0]['class'] == '0x6414'
assert sum(1 for m in bc if m['msg_id'] == 67 and m['response_code'] == 200 and m['body_len'] == 0) == 252
assert rc == 0 and not errors and summary['packets'] == 504
PY
run "$B/EncryptionProtocol02_login.pcapng" "$B/e1_firmwareupgrade.pcapng"
check "two pcapng files in a row" <<'PY'
assert summary['packets'] == 529 and rc == 0
assert {m['dst'] for m in bc if m['src'].endswith(':9000')} == {'192.168.1.15:61024', '192.168.1.15:59935'}
PY

# ---- garbage ------------------------------------------------------------------------------
python3 -c 'import random, sys; random.seed(7); sys.stdout.buffer.write(bytes(random.randrange(256) for _ in range(4096)))' >"$TMP/garbage.bin"
run "$TMP/garbage.bin"
check "garbage: unknown input kind, error at offset 0, exit 1" <<'PY'
assert rc == 1 and errors and errors[0]['offset'] == 0 and not out
PY
for t in bc bcudp media pcap; do
	run --type "$t" "$TMP/garbage.bin"
	T=$t check "garbage --type $t: an error with an offset, non-zero exit" <<'PY'
assert rc in (1, 2) and errors and all(isinstance(e['offset'], int) for e in errors)
PY
done
{ cat "$B/modern_login_success.bin"; head -c 300 "$TMP/garbage.bin"; cat "$B/model_sample_modern_login.bin"; } >"$TMP/mixed.bin"
run "$TMP/mixed.bin"
check "garbage between two messages: both decode, error at offset 2973" <<'PY'
assert [m['offset'] for m in bc] == [0, 3273] and bc[1]['nonce'] == '9E6D1FCB9E69846D'
assert len(errors) == 1 and errors[0]['offset'] == 2973 and 'skipped 300 bytes' in errors[0]['message'] and rc == 1
PY
head -c 1000 "$B/modern_login_success.bin" >"$TMP/trunc.bin"
run "$TMP/trunc.bin"
check "truncated message: error naming the missing bytes" <<'PY'
assert rc == 1 and errors[0]['offset'] == 0 and '2973' in errors[0]['message']
PY
python3 - "$TMP/hostile.bin" <<'PY'
import struct, sys
# A well-framed message whose XML payload carries control characters, quotes and bad UTF-8.
body = b'<?xml version="1.0" ?><body>\x01\x1f"\\\xff\xc3\x28\xe2\x82\xac\xed\xa0\x80</body>'
hdr = struct.pack('<IIIBBHHHI', 0x0abcdef0, 80, len(body), 0, 0, 0, 200, 0, 0)
open(sys.argv[1], 'wb').write(hdr + body)
PY
run "$TMP/hostile.bin"
check "hostile strings: control chars escaped, invalid UTF-8 replaced" <<'PY'
m, = bc
p = m['payload']
assert '\x01' in p and '\x1f' in p and '"\\' in p and '\ufffd(' in p and '\u20ac' in p and p.count('\ufffd') >= 4
raw = open(sys.argv[1], 'rb').read()
assert b'\\u0001' in raw and b'\\ufffd' in raw
PY
run --max-msg 1000 "$B/modern_login_success.bin"
check "--max-msg: an over-limit body_len is an error naming the field" <<'PY'
assert rc == 1 and any('body_len' in e['message'] for e in errors)
PY

# ---- --marker ----------------------------------------------------------------------------
python3 - "$TMP" <<'PY'
import sys
tmp = sys.argv[1]
W, H = 128, 64
counters = [0, 1, 2, 0xdeadbeef, 12345, 0x80000001]
def luma(c):
    band = H // 16
    y = bytearray([90]) * (W * H)          # mid grey below the band
    for i in range(32):
        v = 235 if (c >> (31 - i)) & 1 else 16
        for row in range(band):
            for x in range(i * W // 32, (i + 1) * W // 32):
                y[row * W + x] = v
    return y
with open(f'{tmp}/m.i420', 'wb') as a, open(f'{tmp}/m.nv12', 'wb') as b, open(f'{tmp}/m.yuyv', 'wb') as c:
    for n in counters:
        y = luma(n)
        a.write(y + bytes([128]) * (W * H // 2))
        b.write(y + bytes([128]) * (W * H // 2))
        c.write(bytes(v for px in y for v in (px, 128)))
open(f'{tmp}/expect', 'w').write(''.join(f'{n}\n' for n in counters))
PY
for fmt in i420 nv12 yuyv; do
	"$DUMP" --marker "$TMP/m.$fmt" 128x64 "$fmt" >"$TMP/got" || fail "--marker $fmt: exit $?"
	cmp -s "$TMP/got" "$TMP/expect" || fail "--marker $fmt: got $(tr '\n' ' ' <"$TMP/got")"
	markers_of "$TMP/m.$fmt" 128x64 "$fmt" | cmp -s - "$TMP/expect" || fail "generator disagrees with lib.sh markers_of ($fmt)"
done
ok "--marker i420/nv12/yuyv: counters 0 1 2 3735928559 12345 2147483649"
"$DUMP" --marker --json "$TMP/m.i420" 128x64 i420 >"$TMP/out" 2>"$TMP/err"; echo $? >"$TMP/rc"
check "--marker --json" <<'PY'
assert rc == 0 and [(o['type'], o['frame'], o['counter']) for o in allout] == [('marker', i, c) for i, c in enumerate([0, 1, 2, 0xdeadbeef, 12345, 0x80000001])]
PY
{ cat "$TMP/m.i420"; printf 'x'; } >"$TMP/odd.i420"
"$DUMP" --marker "$TMP/odd.i420" 128x64 i420 >"$TMP/got" 2>"$TMP/err" && fail "--marker accepted a size that is not a multiple of the frame"
grep -q "not a multiple" "$TMP/err" || fail "--marker: no message for the odd size"
"$DUMP" --marker "$TMP/m.i420" 128x64 rgb24 >/dev/null 2>&1 && fail "--marker accepted an unknown format"
ok "--marker rejects an odd file size and an unknown format"

# ---- usage --------------------------------------------------------------------------------
"$DUMP" --help >"$TMP/help" || fail "--help exit status"
grep -q -- "--password" "$TMP/help" && grep -q -- "--marker" "$TMP/help" || fail "--help incomplete"
"$DUMP" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no arguments: exit status not 2"
"$DUMP" --type nope x >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --type: exit status not 2"
"$DUMP" "$TMP/does-not-exist" >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing file: exit status not 2"
ok "usage errors exit 2"
echo "PASS"
