#!/bin/bash
# Camera events end to end: cam-sim plays the camera, the real bridge asks it for alarm
# reports (msg 31) and serves them as Server-Sent Events.
#  - an SSE client (curl) receives, in order: online, battery, charging, then the alarms the
#    control FIFO triggers (plain motion, people, vehicle with a timed end, dog_cat + face
#    held until `alarm end`), battery and charging changes — right types and states;
#  - `?since=ID` replays exactly the events after ID;
#  - /metrics counts them per type;
#  - the camera going away gives `offline`; a wrong password gives `wrong_password`;
#  - wake.mode = events (HTTP only, nobody watching): alarms arrive while the camera sends no
#    video; a /stream viewer starts the video, and it stops again after the viewer left while
#    the session (and the alarms) go on;
#  - wake.mode = events + record.on_motion: an alarm starts the video for a clip, which holds
#    the camera's frames, and the video stops again once the clip is over.
. "$(dirname "$0")/lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
command -v curl >/dev/null || skip "curl is not installed"

UID_=95270000EVENTS01
PW=ev-s3cret
NAME=yard
DPORT=$(free_port) HP=$(free_port) HP2=$(free_port)
FIFO=$TMP/sim.ctl
BASE=http://127.0.0.1:$HP

"$SIM" --listen 127.0.0.1 --disc-port "$DPORT" --tcp-port -1 --uid $UID_ --password "$PW" \
	--size 320x180 --fps 10 --battery 77 --control-fifo "$FIFO" >"$TMP/sim.err" 2>&1 &
SPID=$!; PIDS+=($SPID)
wait_for test -p "$FIFO" || { cat "$TMP/sim.err"; fail "cam-sim did not start"; }
"$BRIDGE" --name $NAME --source "bc-udp://admin:$PW@127.0.0.1:$DPORT/main?uid=$UID_" \
	--output "$TMP/out.yuv" --size 160x90 --fps 10 --hwaccel none --http 127.0.0.1:$HP \
	--camera.read_timeout_ms=3000 --wake.mode=always >"$TMP/bridge.err" 2>&1 &
PIDS+=($!)
WAIT_SECS=30 wait_for curl -fsS "$BASE/healthz" || { cat "$TMP/bridge.err"; fail "the bridge is not streaming"; }

# the SSE client, from the first event on
curl -sN "$BASE/api/v1/events?since=0" -D "$TMP/sse.hdr" >"$TMP/sse.txt" 2>/dev/null &
CPID=$!; PIDS+=($CPID)
ctl() { echo "$*" >"$FIFO"; }
# events_of FILE: "type state value" per event, in order (and checks ids increase by one)
events_of() {
	python3 - "$1" <<'PY'
import json, sys
ev, last = [], None
for block in open(sys.argv[1]).read().split("\n\n"):
    f = {}
    for line in block.split("\n"):
        if line and not line.startswith(":") and ": " in line:
            k, v = line.split(": ", 1); f[k] = v
    if "data" not in f: continue
    d = json.loads(f["data"])
    assert str(d["id"]) == f["id"] and d["type"] == f["event"], block
    assert last is None or d["id"] == last + 1, f"id {d['id']} after {last}"
    last = d["id"]
    print(d["id"], d["type"], d["state"] or "-", d["value"], d["camera"])
PY
}
SSE=$TMP/sse.txt
# wait_event PATTERN [SECONDS]: until the SSE stream in $SSE holds a line matching it (type state value)
wait_event() {
	local i
	for ((i = 0; i < ${2:-15} * 5; i++)); do
		events_of "$SSE" 2>/dev/null | grep -q "$1" && return 0
		sleep 0.2
	done
	return 1
}

wait_event "online - 0 $NAME" || { cat "$TMP/sse.txt"; fail "no online event"; }
wait_event "battery - 77" || { cat "$TMP/sse.txt"; fail "no battery event"; }
grep -qi '^content-type: text/event-stream' "$TMP/sse.hdr" || fail "not text/event-stream: $(cat "$TMP/sse.hdr")"
head -n 1 "$TMP/sse.txt" | grep -qx 'retry: 3000' || fail "no retry hint first: $(head -n 2 "$TMP/sse.txt")"
ok "SSE: retry hint, online and battery after login"

ctl motion                       # plain motion (--alarm-type motion), ends 3 s later
wait_event "motion end" || fail "no motion end"
ctl alarm people
wait_event "people start" || fail "no people start"
ctl alarm end
wait_event "people end" || fail "no people end"
ctl alarm vehicle 1              # ends by itself
wait_event "vehicle end" || fail "no vehicle end"
ctl alarm dog_cat; wait_event "dog_cat start" || fail "no dog_cat start"
ctl alarm face; wait_event "face start" || fail "no face start"
ctl alarm end; wait_event "face end" || fail "no face end"
ctl battery 50; wait_event "battery - 50" || fail "no battery 50"
ctl charging on; wait_event "charging - 1" || fail "no charging 1"

events_of "$TMP/sse.txt" | awk '{print $2, $3, $4}' >"$TMP/all"
cat >"$TMP/want" <<W
online - 0
battery - 77
charging - 0
motion start 0
motion end 0
motion start 0
people start 0
people end 0
motion end 0
motion start 0
vehicle start 0
vehicle end 0
motion end 0
motion start 0
dog_cat start 0
face start 0
dog_cat end 0
face end 0
motion end 0
battery - 50
charging - 1
W
diff "$TMP/want" "$TMP/all" >"$TMP/diff" || { cat "$TMP/diff"; fail "SSE events differ from what the camera did"; }
ok "SSE: $(wc -l <"$TMP/all") events in order with the right types and states"

# ---- ?since= replays ----------------------------------------------------------------------------
mid=$(events_of "$TMP/sse.txt" | sed -n 10p | cut -d' ' -f1)
curl -sN --max-time 3 "$BASE/api/v1/events?since=$mid" >"$TMP/since.txt" 2>/dev/null
events_of "$TMP/since.txt" >"$TMP/since.ev" || fail "bad replay stream"
events_of "$TMP/sse.txt" | awk -v m="$mid" '$1 > m' >"$TMP/since.want"
[ -s "$TMP/since.want" ] && cmp -s "$TMP/since.want" "$TMP/since.ev" ||
	{ diff "$TMP/since.want" "$TMP/since.ev"; fail "?since=$mid did not replay the events after $mid"; }
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/events?since=x1")
[ "$code" = 400 ] || fail "?since=x1 answered $code, want 400"
ok "?since=$mid replays the $(wc -l <"$TMP/since.ev") events after it; a bad id is refused"

# ---- metrics ------------------------------------------------------------------------------------
metric() { curl -fsS "$BASE/metrics" | awk -v n="cam_bridge_events_total{camera=\"$NAME\",type=\"$1\"}" '$1 == n {print $2}'; }
[ "$(metric motion)" = 8 ] || fail "events_total motion = $(metric motion), want 8"
[ "$(metric people)" = 2 ] && [ "$(metric face)" = 2 ] && [ "$(metric battery)" = 2 ] && [ "$(metric online)" = 1 ] ||
	fail "events_total people/face/battery = $(metric people)/$(metric face)/$(metric battery)"
ok "/metrics: cam_bridge_events_total per type (motion 8, people 2, face 2, battery 2)"

# ---- the camera goes away; a wrong password ----------------------------------------------------
kill "$SPID"; wait "$SPID" 2>/dev/null
wait_event "offline" 30 || { tail -n 5 "$TMP/bridge.err"; fail "no offline event after the camera left"; }
ok "camera gone: offline"
"$SIM" --listen 127.0.0.1 --disc-port "$DPORT" --tcp-port -1 --uid $UID_ --password other \
	--size 320x180 --fps 10 >"$TMP/sim2.err" 2>&1 &
PIDS+=($!)
wait_event "wrong_password" 40 || { tail -n 5 "$TMP/bridge.err"; fail "no wrong_password event"; }
ok "wrong password: wrong_password"

# ---- wake.mode = events -------------------------------------------------------------------------
[ -e /dev/video99 ] && fail "events mode: /dev/video99 exists here; the test needs a missing device"
DPORT2=$(free_port) HP3=$(free_port)
FIFO2=$TMP/sim3.ctl
B3=http://127.0.0.1:$HP3
"$SIM" --listen 127.0.0.1 --disc-port "$DPORT2" --tcp-port -1 --uid $UID_ --password "$PW" \
	--size 320x180 --fps 10 --control-fifo "$FIFO2" --frame-log "$TMP/sim3.frames" >"$TMP/sim3.err" 2>&1 &
PIDS+=($!)
wait_for test -p "$FIFO2" || fail "events mode: cam-sim did not start"
"$BRIDGE" --name $NAME --source "bc-udp://admin:$PW@127.0.0.1:$DPORT2/main?uid=$UID_" \
	--output /dev/video99 --size 160x90 --fps 10 --hwaccel none --http 127.0.0.1:$HP3 \
	--wake.mode=events --wake.idle_seconds=1 >"$TMP/bridge3.err" 2>&1 &
B3PID=$!; PIDS+=($B3PID)
wait_for curl -fsS "$B3/api/v1/status" || fail "events mode: no HTTP"
SSE=$TMP/sse3.txt
curl -sN "$B3/api/v1/events?since=0" >"$SSE" 2>/dev/null &
PIDS+=($!)
wait_event "online" 20 || { tail -n 5 "$TMP/bridge3.err"; fail "events mode: no online event"; }
echo "alarm people" >"$FIFO2"
wait_event "people start" || fail "events mode: no people alarm without a viewer"
echo "alarm end" >"$FIFO2"
wait_event "motion end" || fail "events mode: no end of alarm"
sleep 1
frames() { [ -f "$TMP/sim3.frames" ] && wc -l <"$TMP/sim3.frames" || echo 0; }
[ "$(frames)" = 0 ] || fail "events mode: the camera sent $(frames) video frames with nobody watching"
curl -s --max-time 4 "$B3/stream" -o "$TMP/stream3" || true
n1=$(frames)
[ "$n1" -ge 10 ] || fail "events mode: a viewer got only $n1 camera frames"
sleep 4; n2=$(frames); sleep 2; n3=$(frames)
[ "$n2" = "$n3" ] || fail "events mode: video goes on after the viewer left ($n2 -> $n3 frames)"
echo "alarm vehicle 1" >"$FIFO2"
wait_event "vehicle end" || fail "events mode: no alarm after the viewer left"
[ "$(events_of "$SSE" | grep -c ' online ')" = 1 ] || fail "events mode: the session was reopened"
ok "wake.mode=events: alarms with no video, $n1 frames for a viewer, video off again after it, one session"

# ---- wake.mode = events + record.on_motion ---------------------------------------------------------
kill $B3PID; wait $B3PID 2>/dev/null
RDIR=$TMP/rec4
"$BRIDGE" --name $NAME --source "bc-udp://admin:$PW@127.0.0.1:$DPORT2/main?uid=$UID_" \
	--output /dev/video99 --size 160x90 --fps 10 --hwaccel none --http 127.0.0.1:$HP3 \
	--wake.mode=events --wake.idle_seconds=1 --record.dir="$RDIR" --record.on_motion=true \
	--record.pre_seconds=1 --record.post_seconds=2 >"$TMP/bridge4.err" 2>&1 &
PIDS+=($!)
SSE=$TMP/sse4.txt
WAIT_SECS=20 wait_for curl -fsS "$B3/api/v1/status" || fail "events + record: no HTTP"
curl -sN "$B3/api/v1/events?since=0" >"$SSE" 2>/dev/null &
PIDS+=($!)
wait_event "online" 20 || { tail -n 5 "$TMP/bridge4.err"; fail "events + record: no online event"; }
n0=$(frames); sleep 1
[ "$(frames)" = "$n0" ] || fail "events + record: video with no alarm and nobody watching"
echo "alarm people" >"$FIFO2"
wait_event "people start" || fail "events + record: no alarm"
frames_over() { [ "$(frames)" -ge "$1" ]; }
WAIT_SECS=20 wait_for frames_over $((n0 + 20)) ||
	{ tail -n 5 "$TMP/bridge4.err"; fail "events + record: the alarm did not start the video ($(( $(frames) - n0 )) frames)"; }
echo "alarm end" >"$FIFO2"
WAIT_SECS=20 wait_for bash -c "grep -l '\"open\":false' $RDIR/$NAME/*/*.json" ||
	{ tail -n 5 "$TMP/bridge4.err"; fail "events + record: no clip closed"; }
CLIP=$(ls "$RDIR"/$NAME/*/*.mp4 | head -n 1)
nf=$(ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames -of csv=p=0 "$CLIP")
[ "${nf:-0}" -ge 20 ] || fail "events + record: the clip holds ${nf:-0} frames"
grep -q '"trigger":"people"' "${CLIP%.mp4}.json" || fail "events + record: trigger not people: $(cat "${CLIP%.mp4}.json")"
sleep 3; m1=$(frames); sleep 2; m2=$(frames)
[ "$m1" = "$m2" ] || fail "events + record: video goes on after the clip ($m1 -> $m2 frames)"
ok "wake.mode=events + record.on_motion: an alarm woke the video, a $nf-frame clip, video off again after it"
