#!/bin/bash
# The HTTP sidecar of the real bridge in front of a simulated camera (cam-sim):
#  - /api/v1/status matches the camera (battery, resolution, model, firmware, UID, state,
#    hwaccel); /metrics counts decoded frames; snapshots carry the camera's frame markers;
#  - camera_proxy's routes /api/v1/cameras/NAME and /api/v1/cameras/NAME/stream;
#  - a browser (headless Chromium) opens the live page: two screenshots ~1.5 s apart show two
#    different camera frames (markers read from the screenshot pixels);
#  - /healthz is 200 while streaming, 503 after the camera has been away for a while, and 200
#    again when it is back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/e2e_lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
command -v curl >/dev/null || skip "curl is not installed"
command -v ffmpeg >/dev/null || skip "ffmpeg is not installed"

UID_=95270000HTTPCAM1
PW=h77p-s3cret
NAME=frontdoor
OW=320 OH=180
DPORT=$(free_port) HP=$(free_port)
FIFO=$TMP/sim.ctl
BASE=http://127.0.0.1:$HP

"$SIM" --listen 127.0.0.1 --disc-port "$DPORT" --tcp-port -1 --uid $UID_ --password "$PW" \
	--size 640x360 --fps 15 --battery 77 --control-fifo "$FIFO" --frame-log "$TMP/sim.log" \
	>"$TMP/sim.err" 2>&1 &
PIDS+=($!)
wait_for test -p "$FIFO" || { cat "$TMP/sim.err"; fail "cam-sim did not start"; }
"$BRIDGE" --name $NAME --source "bc-udp://admin:$PW@127.0.0.1:$DPORT/main?uid=$UID_" \
	--output "$TMP/out.yuv" --size ${OW}x$OH --fps 15 --hwaccel none --http 127.0.0.1:$HP \
	--camera.read_timeout_ms=3000 >"$TMP/bridge.err" 2>&1 &
BPID=$!; PIDS+=($BPID)
WAIT_SECS=15 wait_for bash -c "curl -fsS $BASE/api/v1/status | grep -q '\"state\":\"streaming\"'" ||
	{ cat "$TMP/bridge.err"; fail "the bridge is not streaming"; }
sleep 2.5   # battery and version come after login; the fps meter has a 2-s window

# ---- status ---------------------------------------------------------------------------------
curl -fsS "$BASE/api/v1/status" >"$TMP/status.json" || fail "GET /api/v1/status"
# What cam-sim says about itself, from its source (compared when found, else only non-empty).
simsrc=$ROOT/bridge/sim/sim_msgs.c
want_model=$(sed -n 's/.*snprintf(v\.type, sizeof(v\.type), "\([^"]*\)").*/\1/p' "$simsrc" 2>/dev/null | head -1)
want_fw=$(sed -n 's/.*snprintf(v\.firmware_version, sizeof(v\.firmware_version), "\([^"]*\)").*/\1/p' "$simsrc" 2>/dev/null | head -1)
python3 - "$TMP/status.json" "$UID_" "$NAME" "$want_model" "$want_fw" <<'PY' || fail "status does not match the camera"
import json, sys
s = json.load(open(sys.argv[1]))
uid, name, model, fw = sys.argv[2:6]
want = {
    ('state',): 'streaming', ('hwaccel',): 'none',
    ('battery', 'percent'): 77, ('stream', 'width'): 640, ('stream', 'height'): 360,
    ('stream', 'codec'): 'h264', ('output', 'width'): 320, ('output', 'height'): 180,
    ('output', 'fps'): 15, ('camera', 'uid'): uid, ('camera', 'name'): name,
    ('camera', 'source'): 'bc-udp',
}
bad = []
for k, v in want.items():
    got = s
    for p in k: got = got[p]
    if got != v: bad.append(f"{'.'.join(k)} = {got!r}, want {v!r}")
for k in ('model', 'firmware'):
    v = s['camera'][k]
    if not isinstance(v, str) or not v.strip() or not v.isprintable():
        bad.append(f"camera.{k} = {v!r}")
if model and s['camera']['model'] != model: bad.append(f"camera.model {s['camera']['model']!r}, cam-sim says {model!r}")
if fw and s['camera']['firmware'] != fw: bad.append(f"camera.firmware {s['camera']['firmware']!r}, cam-sim says {fw!r}")
if not 10 <= s['fps_in'] <= 20: bad.append(f"fps_in {s['fps_in']}")
if s['frames']['decoded'] < 15: bad.append(f"frames.decoded {s['frames']['decoded']}")
for b in bad: print("  ", b)
if bad: sys.exit(1)
print(f"   status: {s['camera']['model']} {s['camera']['firmware']}, battery {s['battery']['percent']}%, "
      f"{s['stream']['width']}x{s['stream']['height']} {s['stream']['codec']}, fps in {s['fps_in']}")
PY
ok "status matches the camera"

# ---- metrics ----------------------------------------------------------------------------------
decoded() { curl -fsS "$BASE/metrics" | awk -v n="cam_bridge_frames_decoded_total{camera=\"$NAME\"}" '$1 == n {print $2}'; }
d1=$(decoded); sleep 2; d2=$(decoded)
[ -n "$d1" ] && [ -n "$d2" ] || fail "no cam_bridge_frames_decoded_total{camera=\"$NAME\"} in /metrics"
grow=$(( ${d2%.*} - ${d1%.*} ))
[ $grow -ge 20 ] && [ $grow -le 40 ] || fail "frames decoded grew by $grow in 2 s (camera sends 15/s)"
ok "metrics: cam_bridge_frames_decoded_total $d1 -> $d2 in 2 s"

# ---- snapshots and camera_proxy routes --------------------------------------------------------
img_marker() {   # FILE (any image ffmpeg reads) -> marker of its first picture
	ffmpeg -nostdin -loglevel error -i "$1" -frames:v 1 -f rawvideo -pix_fmt gray "$1.gray" &&
		gray_markers "$1.gray" ${OW}x$OH
}
sent() { sim_counters "$TMP/sim.log" | grep -qx "$1"; }
for path in snapshot.jpg snapshot.png api/v1/cameras/$NAME; do
	f=$TMP/$(echo "$path" | tr / _)
	code=$(curl -sS -o "$f" -w '%{http_code} %{content_type}' "$BASE/$path")
	case $code in "200 image/"*) ;; *) fail "/$path: $code" ;; esac
	m=$(img_marker "$f") || fail "/$path does not decode"
	[ "$m" -ge 0 ] && sent "$m" || fail "/$path: marker $m is not a frame the camera sent"
	ok "/$path: ${code#200 }, camera frame $m"
done
code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/api/v1/cameras/not$NAME")
[ "$code" = 404 ] || fail "/api/v1/cameras/not$NAME: $code (want 404)"
curl -sS --max-time 3 -o "$TMP/proxy.mjpeg" "$BASE/api/v1/cameras/$NAME/stream" 2>/dev/null
mjpeg_markers "$TMP/proxy.mjpeg" ${OW}x$OH >"$TMP/proxy.m" || fail "/api/v1/cameras/$NAME/stream does not decode"
python3 - "$TMP/proxy.m" <<'PY' || fail "/api/v1/cameras/$NAME/stream: markers"
import sys
m = [int(x) for x in open(sys.argv[1]) if int(x) >= 0]
if len(set(m)) < 20 or any(b <= a for a, b in zip(m, m[1:])): sys.exit(f"markers {m[:5]}...{m[-5:]}")
print(f"   {len(m)} parts, markers {m[0]}..{m[-1]}, increasing")
PY
ok "camera_proxy routes: /api/v1/cameras/$NAME (snapshot), /stream (MJPEG), unknown name 404"

# ---- limits the daemon holds (issue 9 item 14/15): a body is refused before it is read, a
# snapshot beyond the pixel bound is refused, /healthz answers while someone trickles a body ----
t0=$(date +%s%N)
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -H 'Content-Length: 1000000000' \
	-X POST --data-binary @/dev/null "$BASE/api/v1/status" 2>/dev/null)
[ "$code" = 413 ] || fail "POST with a 1 GB Content-Length: $code (want 413 at once)"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/snapshot.png?width=4096&height=4096")
[ "$code" = 400 ] || fail "/snapshot.png 4096x4096: $code (want 400)"
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 1 "$BASE/healthz")
[ "$code" = 200 ] || fail "/healthz after the refused body: $code"
ok "a 1 GB request body is refused (413, $((($(date +%s%N) - t0) / 1000000)) ms for the three asks), 4096x4096 snapshots refused (400)"

# ---- browser ------------------------------------------------------------------------------------
browser=ok
CHROME=$(command -v chromium || command -v chromium-browser || true)
chrome() {   # OUT.png URL WxH
	local prof
	prof=$(mktemp -d "$TMP/chrome.XXXXXX")
	timeout 40 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-dev-shm-usage --force-device-scale-factor=1 --hide-scrollbars \
		--user-data-dir="$prof" --window-size="$3" --timeout=3000 --screenshot="$1" "$2" \
		>"$1.log" 2>&1
}
if [ -z "$CHROME" ]; then
	browser="chromium is not installed (make deps installs it)"
elif ! chrome "$TMP/probe.png" "data:text/html,<body style='background:%23111'>probe" 200,100 ||
	[ ! -s "$TMP/probe.png" ]; then
	browser="chromium does not run here: $(grep -v dbus "$TMP/probe.png.log" | tail -n 1)"
fi
if [ "$browser" = ok ]; then
	WW=640 WH=600
	chrome "$TMP/shot1.png" "$BASE/" $WW,$WH &
	c1=$!
	sleep 1.5
	chrome "$TMP/shot2.png" "$BASE/" $WW,$WH || { tail -n 5 "$TMP/shot2.png.log"; fail "browser: chromium failed on /"; }
	wait $c1 || { tail -n 5 "$TMP/shot1.png.log"; fail "browser: chromium failed on /"; }
	for n in 1 2; do
		ffmpeg -nostdin -loglevel error -i "$TMP/shot$n.png" -f rawvideo -pix_fmt rgb24 "$TMP/shot$n.rgb" ||
			fail "browser: screenshot $n does not decode"
	done
	# Find the live view (an OWxOH block of picture on the page's flat #111 background) and
	# read its marker band; each marker must be a frame the camera sent.
	python3 - "$TMP/shot1.rgb" "$TMP/shot2.rgb" $WW $WH $OW $OH "$TMP/sim.log" <<'PY' || fail "browser: live view"
import sys
W, H, w, h = map(int, sys.argv[3:7])
sent = {int(l.split()[0]) for l in open(sys.argv[7]) if l.strip()}
def marker(path):
    d = open(path, 'rb').read()
    bg = b'\x11\x11\x11'
    rows = []
    for y in range(H):
        row = d[y*W*3:(y+1)*W*3]
        best = run = bs = start = 0
        for x in range(W):
            if row[x*3:x*3+3] != bg:
                if run == 0: start = x
                run += 1
                if run > best: best, bs = run, start
            else:
                run = 0
        if best >= 0.9 * w: rows.append((y, bs))
    if not rows: sys.exit(f"{path}: no live view on the page")
    y0, x0 = rows[0][0], min(x for y, x in rows)
    if not h - 2 <= len(rows) <= h + 2: sys.exit(f"{path}: live view {len(rows)} rows high, want {h}")
    v = 0
    for i in range(32):
        p = ((y0 + h // 32) * W + x0 + (2 * i + 1) * w // 64) * 3
        Y = (d[p] * 299 + d[p+1] * 587 + d[p+2] * 114) // 1000
        if Y > 190: v = v << 1 | 1
        elif Y < 45: v = v << 1
        else: sys.exit(f"{path}: no frame marker in the live view at ({x0},{y0})")
    return v, x0, y0
(m1, x1, y1), (m2, x2, y2) = marker(sys.argv[1]), marker(sys.argv[2])
print(f"   live view at ({x1},{y1}); markers {m1} then {m2}")
for m in (m1, m2):
    if m not in sent: sys.exit(f"marker {m} is not a frame the camera sent")
if m2 <= m1: sys.exit(f"the second screenshot does not show a later frame ({m1} then {m2})")
PY
	ok "browser: Chromium shows the live view, two screenshots show two camera frames"
fi

# ---- healthz ------------------------------------------------------------------------------------
code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/healthz")
[ "$code" = 200 ] || fail "/healthz: $code while streaming (want 200)"
echo "dropoff 16" >"$FIFO"
t0=$SECONDS
WAIT_SECS=14 wait_for bash -c "[ \"\$(curl -sS -o /dev/null -w '%{http_code}' $BASE/healthz)\" = 503 ]" ||
	fail "/healthz still not 503 $((SECONDS - t0)) s after the camera dropped off"
t503=$((SECONDS - t0))
[ $t503 -ge 3 ] || fail "/healthz 503 only $t503 s after the drop-off: too eager"
st=$(http_json "$BASE/api/v1/status" state)
[ "$st" != streaming ] || fail "status still 'streaming' with /healthz 503"
WAIT_SECS=20 wait_for bash -c "[ \"\$(curl -sS -o /dev/null -w '%{http_code}' $BASE/healthz)\" = 200 ]" ||
	fail "/healthz not 200 again after the camera came back"
ok "/healthz: 200 streaming, 503 $t503 s after the camera dropped off (state $st), 200 when it is back after $((SECONDS - t0)) s"

if [ "$browser" != ok ]; then
	skip "browser test: $browser (everything else passed)"
fi
