#!/bin/bash
# Recording with pre-roll from a simulated camera (cam-sim's marker source):
#  - POST /api/v1/record?seconds=3: an MP4 that ffprobe reads without errors; decoded, its
#    frames carry consecutive markers, the first at least pre_seconds x fps before the frame
#    the camera sent when the request was made, the last about `seconds` after it; the .json
#    sidecar and the 320-px thumbnail are there; the duration is about pre + seconds;
#  - SIGUSR1 starts a clip too (trigger "signal"); POST /api/v1/record/stop ends one early;
#    a GET is refused (405), a bad duration is refused (400);
#  - record.on_types = people: plain motion (cam-sim's control FIFO) records nothing, a people
#    alarm (reported with motion, as cameras do) starts a clip named "people", with pre-roll;
#  - GET /stream.ts read by ffmpeg: the first frame an I-frame near the live one, markers
#    consecutive, frames bit-identical to the clip's; 10 viewers cost no more decoding;
#  - meanwhile a /stream.ts viewer that never reads is cut (reset) after the stall timeout
#    (10 s) and counted, without the others missing a frame;
#  - output.udp: a UDP receiver gets the same stream;
#  - the camera's AAC (cam-sim --audio) is in the clip and in /stream.ts: an AAC track as long
#    as the video that decodes without errors;
#  - the same from an H.265 camera without audio (clip tagged hvc1, one track);
#  - wake = on-demand: a /stream.ts viewer wakes the camera, which sleeps again after.
. "$(dirname "$0")/lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
for p in curl ffmpeg ffprobe; do command -v $p >/dev/null || skip "$p is not installed"; done

UID_=95270000RECORD01
PW=rec-s3cret
NAME=yard
FPS=15 PRE=3 SECS=3
DPORT=$(free_port) HP=$(free_port)
FIFO=$TMP/sim.ctl
BASE=http://127.0.0.1:$HP
RDIR=$TMP/rec

"$SIM" --listen 127.0.0.1 --disc-port "$DPORT" --tcp-port -1 --uid $UID_ --password "$PW" \
	--size 640x360 --fps $FPS --gop $FPS --control-fifo "$FIFO" --frame-log "$TMP/sim.log" \
	--audio >"$TMP/sim.err" 2>&1 &
PIDS+=($!)
wait_for test -p "$FIFO" || { cat "$TMP/sim.err"; fail "cam-sim did not start"; }
"$BRIDGE" --name $NAME --source "bc-udp://admin:$PW@127.0.0.1:$DPORT/main?uid=$UID_" \
	--output "$TMP/out.yuv" --size 320x180 --fps $FPS --hwaccel none --http 127.0.0.1:$HP \
	--record.dir="$RDIR" --record.pre_seconds=$PRE --record.post_seconds=2 \
	--record.on_types=people --http.max_connections=40 >"$TMP/bridge.err" 2>&1 &
BPID=$!; PIDS+=($BPID)
WAIT_SECS=15 wait_for bash -c "curl -fsS $BASE/api/v1/status | grep -q '\"state\":\"streaming\"'" ||
	{ cat "$TMP/bridge.err"; fail "the bridge is not streaming"; }
sleep $((PRE + 2))   # the pre-roll fills

mono_us() { python3 -c 'import time; print(int(time.monotonic() * 1e6))'; }
# The camera's newest frame at monotonic time $1 (cam-sim's frame log has the same clock).
frame_at() { awk -v t="$1" '$4 == "main" && $2 <= t { m = $1 } END { print m }' "$TMP/sim.log"; }
# clip_done N: N clips closed (a .json with "open":false each).
clips_done() { [ "$(grep -l '"open":false' "$RDIR"/$NAME/*/*.json 2>/dev/null | wc -l)" -ge "$1" ]; }
newest_clip() { ls -t "$RDIR"/$NAME/*/*.mp4 | head -n 1; }
# decode_markers MP4 OUT: the markers of every decoded frame, consecutive, count printed.
decode_markers() {
	ffmpeg -v error -y -i "$1" -fps_mode passthrough -enc_time_base -1 -f rawvideo -pix_fmt yuv420p "$TMP/dec.yuv" ||
		fail "ffmpeg cannot decode $1"
	markers_of "$TMP/dec.yuv" 640x360 i420 >"$2"
	grep -q -- '^-1$' "$2" && fail "$1: a decoded frame without a marker"
	consecutive "$2" >/dev/null || fail "$1: markers not consecutive: $(consecutive "$2")"
}

# ---- refused requests -----------------------------------------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/record")
[ "$code" = 405 ] || fail "GET /api/v1/record answered $code, want 405"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/api/v1/record?seconds=abc")
[ "$code" = 400 ] || fail "seconds=abc answered $code, want 400"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/api/v1/record?seconds=999999")
[ "$code" = 400 ] || fail "seconds=999999 answered $code, want 400"
ok "bad record requests refused"

# ---- POST /api/v1/record?seconds=3 -----------------------------------------------------------
T=$(mono_us)
curl -fsS -X POST "$BASE/api/v1/record?seconds=$SECS" | grep -q '"recording":true' ||
	fail "POST /api/v1/record"
WAIT_SECS=30 wait_for clips_done 1 || { cat "$TMP/bridge.err"; fail "no clip closed"; }
CLIP=$(newest_clip)
TRIG=$(frame_at "$T")
err=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$CLIP" 2>&1 >"$TMP/dur") ||
	fail "ffprobe: $err"
[ -z "$err" ] || fail "ffprobe reports errors: $err"
decode_markers "$CLIP" "$TMP/m1"
first=$(head -n 1 "$TMP/m1") last=$(tail -n 1 "$TMP/m1")
[ $((TRIG - first)) -ge $((PRE * FPS)) ] ||
	fail "pre-roll: first marker $first, trigger frame $TRIG: less than $((PRE * FPS)) frames before"
[ $((last - TRIG)) -ge $(((SECS - 1) * FPS)) ] && [ $((last - TRIG)) -le $(((SECS + 2) * FPS)) ] ||
	fail "post: last marker $last, trigger frame $TRIG, want about $((SECS * FPS)) frames after"
python3 - "$(cat "$TMP/dur")" $PRE $SECS <<'PY' || fail "duration $(cat "$TMP/dur") s, want about $((PRE + SECS)) s"
import sys
d, pre, secs = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sys.exit(0 if pre + secs - 0.5 <= d <= pre + 1 + secs + 2 else 1)
PY
J=${CLIP%.mp4}.json
python3 - "$J" "$CLIP" <<'PY' || fail "sidecar $(cat "$J")"
import json, os, sys
j = json.load(open(sys.argv[1]))
assert j["file"] == os.path.basename(sys.argv[2]), j
assert j["trigger"] == "manual" and j["open"] is False, j
assert j["size"] == os.path.getsize(sys.argv[2]), j
assert j["duration"] > 5 and abs(j["start"] - os.path.getmtime(sys.argv[2])) < 60, j
PY
tw=$(ffprobe -v error -show_entries stream=width -of csv=p=0 "${CLIP%.mp4}.jpg") ||
	fail "no thumbnail"
[ "$tw" = 320 ] || fail "thumbnail $tw px wide, want 320"
# audio_matches FILE: an AAC track (16 kHz mono, cam-sim's) within 0.5 s of the video's length,
# every frame of it decoding cleanly.
audio_matches() {
	ffprobe -v error -show_entries stream=codec_type,codec_name,sample_rate,channels,duration \
		-of json "$1" >"$TMP/streams.json" || fail "ffprobe $1"
	python3 - "$TMP/streams.json" <<'PY' || fail "$1: no AAC track as long as the video: $(tr -d ' \n' <"$TMP/streams.json")"
import json, sys
st = {s["codec_type"]: s for s in json.load(open(sys.argv[1]))["streams"]}
a, v = st.get("audio"), st.get("video")
assert a and v and a["codec_name"] == "aac", st
assert a["sample_rate"] == "16000" and a["channels"] == 1, a
assert abs(float(a["duration"]) - float(v["duration"])) <= 0.5, (a["duration"], v["duration"])
PY
	err=$(ffmpeg -v error -i "$1" -map 0:a -f null - 2>&1) || fail "$1: the audio does not decode: $err"
	[ -z "$err" ] || fail "$1: audio decoding errors: $err"
}
audio_matches "$CLIP"
afr() { curl -fsS "$BASE/api/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["audio_frames_in"])'; }
[ "$(afr)" -gt 50 ] || fail "status: audio_frames_in $(afr), want the camera's AAC frames counted"
# recweb lists it (when its routes are there).
if curl -fsS "$BASE/api/v1/recordings" >"$TMP/list.json" 2>/dev/null; then
	grep -q "$(basename "$CLIP")" "$TMP/list.json" || fail "/api/v1/recordings does not list the clip"
	grep -q '"manual"' "$TMP/list.json" || fail "/api/v1/recordings: no manual trigger"
fi
ok "POST record: $(wc -l <"$TMP/m1") frames $first..$last around trigger frame $TRIG, $(cat "$TMP/dur") s, with AAC"

# ---- SIGUSR1, then POST /api/v1/record/stop ---------------------------------------------------
kill -USR1 $BPID
WAIT_SECS=30 wait_for clips_done 2 || fail "SIGUSR1: no clip"
grep -q '"trigger":"signal"' "${RDIR}"/$NAME/*/*.json || fail "SIGUSR1 clip not marked signal"
decode_markers "$(newest_clip)" "$TMP/m2"
ok "SIGUSR1 clip: $(wc -l <"$TMP/m2") frames"
curl -fsS -X POST "$BASE/api/v1/record?seconds=60" >/dev/null || fail "POST seconds=60"
WAIT_SECS=10 wait_for bash -c "curl -fsS $BASE/api/v1/status | grep -q '\"active\":true'" ||
	fail "status does not show the clip being written"
sleep 1
curl -fsS -X POST "$BASE/api/v1/record/stop" >/dev/null || fail "POST /api/v1/record/stop"
WAIT_SECS=10 wait_for clips_done 3 || fail "stop did not end the clip"
d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$(newest_clip)")
python3 -c "import sys; sys.exit(0 if float('$d') < 20 else 1)" || fail "stopped clip lasts $d s"
ok "record/stop ended a 60-s clip after $d s"

# ---- alarms: record.on_types = people -----------------------------------------------------------
# events_total TYPE: how many TYPE events (start and end) the bridge published.
events_total() { curl -fsS "$BASE/metrics" | awk -v t="type=\"$1\"}" 'index($0, "cam_bridge_events_total{") == 1 && index($0, t) { print $2 }'; }
json_count() { ls "$RDIR"/$NAME/*/*.json 2>/dev/null | wc -l; }
sleep $((PRE + 1))   # the pre-roll fills again after the stopped clip
m0=$(events_total motion) j0=$(json_count)
echo motion >"$FIFO"   # plain motion: 3 s, then its end
motion_seen() { [ "$(events_total motion)" -ge $((m0 + 2)) ]; }
WAIT_SECS=20 wait_for motion_seen ||
	fail "plain motion: the bridge saw no motion start and end ($(events_total motion) events, was $m0)"
[ "$(json_count)" = "$j0" ] || fail "plain motion started a clip though record.on_types = people"
curl -fsS "$BASE/api/v1/status" | grep -q '"active":false' || fail "plain motion: a clip is being written"
ok "record.on_types = people: a plain motion alarm (start and end) recorded nothing"
T=$(mono_us)
echo "alarm people 2" >"$FIFO"
WAIT_SECS=40 wait_for clips_done 4 || fail "people alarm: no clip"
TRIG=$(frame_at "$T")
grep -q '"trigger":"people"' "$(newest_clip | sed 's/mp4$/json/')" || fail "people clip not marked people: $(cat "$(newest_clip | sed 's/mp4$/json/')")"
decode_markers "$(newest_clip)" "$TMP/m4"
first=$(head -n 1 "$TMP/m4") last=$(tail -n 1 "$TMP/m4")
[ $((TRIG - first)) -ge $((PRE * FPS)) ] ||
	fail "people pre-roll: first marker $first, alarm at frame $TRIG"
[ $((last - TRIG)) -ge $((2 * FPS - 3)) ] ||
	fail "people clip ends at $last, less than post_seconds after the alarm at $TRIG"
ok "people alarm: clip \"people\", frames $first..$last around the alarm at frame $TRIG"
# ---- GET /stream.ts ---------------------------------------------------------------------------
# A viewer that never reads, beside the honest ones below: cut after the stall timeout.
stalled_total() { curl -fsS "$BASE/metrics" | awk '/^cam_bridge_http_viewers_stalled_total/ { print $2 }'; }
S0=$(stalled_total)
python3 - "$HP" "$TMP/stall" >"$TMP/stall.out" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /stream.ts HTTP/1.1\r\nHost: x\r\n\r\n")
t0 = time.monotonic()
while not os.path.exists(sys.argv[2] + ".go") and time.monotonic() - t0 < 90:
    time.sleep(0.2)          # reads nothing meanwhile
s.settimeout(3)
got = 0
try:
    while True:
        d = s.recv(65536)
        if not d: break
        got += len(d)
    print("closed", got)
except ConnectionResetError:
    print("reset", got)
except socket.timeout:
    print("open", got)       # still streaming: not cut
PY
STALL_PID=$!; PIDS+=($STALL_PID)
STALL_T0=$(mono_us)
# One reader while a clip is written: its frames are the clip's, bit for bit (same AUs).
curl -fsS -X POST "$BASE/api/v1/record?seconds=4" >/dev/null || fail "POST record"
T0=$(mono_us)
timeout 30 ffmpeg -v error -y -i "$BASE/stream.ts" -frames:v 45 -fps_mode passthrough -enc_time_base -1 -f rawvideo -pix_fmt yuv420p \
	"$TMP/ts.yuv" || fail "ffmpeg cannot read /stream.ts"
T1=$(mono_us)
markers_of "$TMP/ts.yuv" 640x360 i420 >"$TMP/tsm"
grep -q -- '^-1$' "$TMP/tsm" && fail "/stream.ts: a frame without a marker"
[ "$(wc -l <"$TMP/tsm")" -eq 45 ] || fail "/stream.ts: $(wc -l <"$TMP/tsm") frames, want 45"
consecutive "$TMP/tsm" >/dev/null || fail "/stream.ts markers: $(consecutive "$TMP/tsm")"
ftype=$(timeout 20 ffprobe -v error -select_streams v -read_intervals %+#1 -show_entries \
	frame=pict_type -of csv=p=0 "$BASE/stream.ts" | head -n 1)
[ "$ftype" = I ] || fail "/stream.ts starts with a $ftype frame, want I"
# It starts at once, from the newest keyframe: near the live frame, not seconds behind.
tsfirst=$(head -n 1 "$TMP/tsm") live=$(frame_at "$T0")
[ $((live - tsfirst)) -le $((FPS + 5)) ] ||
	fail "/stream.ts starts at frame $tsfirst, $((live - tsfirst)) frames behind the live $live"
WAIT_SECS=30 wait_for clips_done 5 || WAIT_SECS=30 wait_for clips_done 4 || fail "no clip for the TS comparison"
decode_markers "$(newest_clip)" "$TMP/m5"
same=$(python3 - "$TMP/ts.yuv" "$TMP/tsm" "$TMP/dec.yuv" "$TMP/m5" <<'PY'
import sys
fsz = 640 * 360 * 3 // 2
ts, tsm, mp, mpm = open(sys.argv[1], 'rb').read(), open(sys.argv[2]).read().split(), \
	open(sys.argv[3], 'rb').read(), open(sys.argv[4]).read().split()
idx = {int(m): i for i, m in enumerate(mpm)}
same = 0
for i, m in enumerate(tsm):
    j = idx.get(int(m))
    if j is None: continue
    if ts[i*fsz:(i+1)*fsz] != mp[j*fsz:(j+1)*fsz]:
        print(f"frame {m} differs"); sys.exit(1)
    same += 1
if same < 10: print(f"only {same} frames in common"); sys.exit(1)
print(same)
PY
) || fail "/stream.ts frames differ from the clip's: $same"
ok "/stream.ts: 45 frames from $tsfirst (I-frame first, live was $live), in order, $same bit-identical to the clip's"

# The camera's sound is in /stream.ts too (ADTS, as the camera sent it).
timeout 30 ffmpeg -v error -y -i "$BASE/stream.ts" -map 0 -c copy -t 3 "$TMP/cap.ts" ||
	fail "cannot copy /stream.ts"
audio_matches "$TMP/cap.ts"
ok "/stream.ts carries the camera's AAC"

# Ten viewers: decoding stays at the camera's rate (the TS path decodes nothing).
dec() { curl -fsS "$BASE/api/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["frames"]["decoded"])'; }
d0=$(dec); sleep 4; d1=$(dec)
for i in $(seq 10); do
	curl -s -o "$TMP/v$i.ts" --max-time 6 "$BASE/stream.ts" 2>/dev/null & VPIDS+=($!)
done
sleep 1
n=$(curl -fsS "$BASE/api/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ts_viewers"])')
d2=$(dec); sleep 4; d3=$(dec)
wait "${VPIDS[@]}"
[ "$n" -ge 10 ] || fail "status shows $n /stream.ts viewers, want 10"
python3 - $((d1 - d0)) $((d3 - d2)) <<'PY' || fail "decoding grew with 10 viewers: $((d1 - d0)) -> $((d3 - d2)) frames in 4 s"
import sys
a, b = int(sys.argv[1]), int(sys.argv[2])
sys.exit(0 if b <= a * 1.2 + 3 else 1)
PY
for i in $(seq 10); do
	s=$(stat -c %s "$TMP/v$i.ts")
	[ "$s" -gt 50000 ] || fail "viewer $i got only $s bytes"
done
ok "10 /stream.ts viewers: $((d3 - d2)) frames decoded in 4 s (alone: $((d1 - d0)))"
stall_cut() { [ "$(stalled_total)" -gt "$S0" ]; }
WAIT_SECS=30 wait_for stall_cut || fail "a /stream.ts viewer that reads nothing was not cut"
STALL_S=$((($(mono_us) - STALL_T0) / 1000000))
[ "$(stalled_total)" = $((S0 + 1)) ] || fail "$(stalled_total) viewers cut, want only the one that reads nothing"
touch "$TMP/stall.go"; wait $STALL_PID
read -r how got <"$TMP/stall.out"
[ "$how" = reset ] || [ "$how" = closed ] || fail "the viewer that reads nothing: $(cat "$TMP/stall.out")"
ok "a /stream.ts viewer that read nothing was cut (seen ${STALL_S} s after it connected; it had $got bytes); the others kept every frame"

kill $BPID; wait $BPID
grep -E 'ERROR|AddressSanitizer' "$TMP/bridge.err" && fail "errors in the bridge's log"

# ---- output.udp: the same TS pushed to a UDP receiver -----------------------------------------
UP=$(free_port)
"$BRIDGE" --name $NAME --source "bc-udp://admin:$PW@127.0.0.1:$DPORT/main?uid=$UID_" \
	--output "$TMP/out2.yuv" --size 320x180 --fps $FPS --hwaccel none --http 127.0.0.1:$HP \
	--output.udp="udp://127.0.0.1:$UP" >"$TMP/bridge2.err" 2>&1 &
BPID=$!; PIDS+=($BPID)
# (a UDP receiver joins mid-stream: what comes before the first keyframe is not decodable)
timeout 30 ffmpeg -v fatal -y -i "udp://127.0.0.1:$UP" -frames:v 30 -fps_mode passthrough \
	-enc_time_base -1 -f rawvideo -pix_fmt yuv420p "$TMP/udp.yuv" ||
	{ cat "$TMP/bridge2.err"; fail "nothing read from output.udp"; }
markers_of "$TMP/udp.yuv" 640x360 i420 | grep -v -- '^-1$' >"$TMP/udpm"
[ "$(wc -l <"$TMP/udpm")" -ge 25 ] || fail "output.udp: $(wc -l <"$TMP/udpm") frames with markers"
consecutive "$TMP/udpm" >/dev/null || fail "output.udp markers: $(consecutive "$TMP/udpm")"
ok "output.udp: $(wc -l <"$TMP/udpm") frames in order"
kill $BPID; wait $BPID

# ---- H.265 ------------------------------------------------------------------------------------
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null
DPORT=$(free_port)
"$SIM" --listen 127.0.0.1 --disc-port "$DPORT" --tcp-port -1 --uid $UID_ --password "$PW" \
	--size 640x360 --fps $FPS --gop $FPS --codec h265 >"$TMP/sim265.err" 2>&1 &
PIDS+=($!)
rm -rf "$RDIR"
"$BRIDGE" --name $NAME --source "bc-udp://admin:$PW@127.0.0.1:$DPORT/main?uid=$UID_" \
	--output "$TMP/out3.yuv" --size 320x180 --fps $FPS --hwaccel none --http 127.0.0.1:$HP \
	--record.dir="$RDIR" --record.pre_seconds=1 >"$TMP/bridge3.err" 2>&1 &
BPID=$!; PIDS+=($BPID)
WAIT_SECS=15 wait_for bash -c "curl -fsS $BASE/api/v1/status | grep -q '\"codec\":\"h265\"'" ||
	{ cat "$TMP/bridge3.err"; fail "the bridge does not stream H.265"; }
sleep 2
curl -fsS -X POST "$BASE/api/v1/record?seconds=2" >/dev/null || fail "POST record (H.265)"
WAIT_SECS=30 wait_for clips_done 1 || fail "H.265: no clip"
CLIP=$(newest_clip)
codec=$(ffprobe -v error -show_entries stream=codec_name,codec_tag_string -of csv=p=0 "$CLIP")
[ "$codec" = "hevc,hvc1" ] || fail "H.265 clip: $codec, want hevc,hvc1 (one track: this camera has no sound)"
[ "$(afr)" = 0 ] || fail "status: audio_frames_in $(afr) from a camera without sound"
decode_markers "$CLIP" "$TMP/m265"
timeout 30 ffmpeg -v error -y -i "$BASE/stream.ts" -frames:v 20 -fps_mode passthrough \
	-enc_time_base -1 -f rawvideo -pix_fmt yuv420p "$TMP/ts265.yuv" || fail "H.265 /stream.ts"
markers_of "$TMP/ts265.yuv" 640x360 i420 >"$TMP/ts265m"
consecutive "$TMP/ts265m" >/dev/null || fail "H.265 /stream.ts markers: $(consecutive "$TMP/ts265m")"
ok "H.265: clip $(wc -l <"$TMP/m265") frames (hvc1), /stream.ts 20 frames in order"
kill $BPID; wait $BPID

# ---- on-demand: a /stream.ts viewer wakes the camera (no video device: HTTP only) -------------
[ -e /dev/video98 ] && fail "/dev/video98 exists here; the test needs a missing device"
"$BRIDGE" --name $NAME --source "bc-udp://admin:$PW@127.0.0.1:$DPORT/main?uid=$UID_" \
	--output /dev/video98 --size 320x180 --fps $FPS --hwaccel none --http 127.0.0.1:$HP \
	--wake.mode=on-demand --wake.idle_seconds=2 >"$TMP/bridge4.err" 2>&1 &
BPID=$!; PIDS+=($BPID)
state() { curl -fsS "$BASE/api/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
WAIT_SECS=15 wait_for bash -c "curl -fsS $BASE/api/v1/status | grep -q '\"state\":\"sleeping\"'" ||
	fail "on-demand: not sleeping with nobody watching ($(state))"
timeout 30 ffmpeg -v error -y -i "$BASE/stream.ts" -frames:v 20 -fps_mode passthrough \
	-enc_time_base -1 -f rawvideo -pix_fmt yuv420p "$TMP/od.yuv" ||
	fail "on-demand: /stream.ts gave no video ($(state))"
markers_of "$TMP/od.yuv" 640x360 i420 >"$TMP/odm"
consecutive "$TMP/odm" >/dev/null || fail "on-demand /stream.ts markers: $(consecutive "$TMP/odm")"
WAIT_SECS=15 wait_for bash -c "curl -fsS $BASE/api/v1/status | grep -q '\"state\":\"sleeping\"'" ||
	fail "on-demand: still $(state) after the /stream.ts viewer left"
ok "on-demand: a /stream.ts viewer woke the camera (20 frames in order), asleep again after"
exit 0
