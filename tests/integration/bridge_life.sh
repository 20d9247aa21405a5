#!/bin/bash
# The bridge's life with a battery camera (cam-sim), end to end:
#  A. the camera drops off the network for 5 s: the output keeps its frame rate (every 1-s
#     window has >= 0.8 x fps writes, no gap > 1 s), shows the placeholder (frames without a
#     marker, in the file and in the frame log), and the camera's frames come back in order;
#  B. SIGTERM: the bridge exits within 1 s and the camera saw the logout;
#  C. a wrong password: reported as such, status "auth-failed", at most 2 logins in 10 s;
#  D. on-demand wake through an HTTP viewer (no video device: HTTP only): the camera is not
#     streamed while nobody watches, /stream wakes it (markers advance in the MJPEG parts),
#     and the session closes again within idle_seconds + a few seconds after the viewer left;
#  E. --check-config on the example and on broken files; the passwords never appear in
#     --help, logs (-v -v), /api/v1/status, /metrics, /, or --check-config output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/e2e_lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
command -v curl >/dev/null || skip "curl is not installed"
command -v ffmpeg >/dev/null || skip "ffmpeg is not installed"

UID_=95270000LIFECAM1
PW='Zq9-Sekr3t-Cam-4711'          # distinctive: grepped for in every output at the end
HPW='Hq7-Sekr3t-Http-0815'
FPS=15 SIZE=320x180
DPORT=$(free_port)
FIFO=$TMP/sim.ctl
URL="bc-udp://admin:$PW@127.0.0.1:$DPORT/main?uid=$UID_"

# One camera for the whole test (one session at a time, like the real one).
"$SIM" --listen 127.0.0.1 --disc-port "$DPORT" --tcp-port -1 --uid $UID_ --password "$PW" \
	--size 640x360 --fps $FPS --battery 77 --control-fifo "$FIFO" --frame-log "$TMP/sim.log" \
	-v >"$TMP/sim.err" 2>&1 &
SIMPID=$!; PIDS+=($SIMPID)
wait_for test -p "$FIFO" || { cat "$TMP/sim.err"; fail "cam-sim did not start (no control FIFO)"; }
sim_ctl() { echo "$*" >"$FIFO"; }

# ---- A. drop-off: constant rate, placeholder, recovery -------------------------------------
OUT=$TMP/life.yuv FLOG=$TMP/life.flog
"$BRIDGE" --name life --source "$URL" --output "$OUT" --size $SIZE --fps $FPS --hwaccel none \
	--http off --frame-log "$FLOG" --camera.read_timeout_ms=2000 -v -v >"$TMP/life.err" 2>&1 &
BPID=$!; PIDS+=($BPID)
WAIT_SECS=15 wait_for bash -c "[ \$(grep -c ' new\$' '$FLOG') -ge 30 ]" ||
	{ tail -n 20 "$TMP/life.err"; fail "A: the bridge wrote no 30 camera frames"; }
sim_ctl dropoff 5
# Back: 40 more camera frames after the drop-off (the sim's clock says when it was).
cat >"$TMP/back.py" <<'PY'
import sys
sim = [l.split() for l in open(sys.argv[1]) if l.strip()]
t = [int(x[1]) for x in sim]
back = next((i for i in range(1, len(t)) if t[i] - t[i-1] > 3000000), None)
if back is None: sys.exit(1)
after = [l for l in open(sys.argv[2]) if l.endswith(' new\n') and int(l.split()[1]) > t[back]]
sys.exit(0 if len(after) >= 40 else 1)
PY
WAIT_SECS=40 wait_for python3 "$TMP/back.py" "$TMP/sim.log" "$FLOG" ||
	{ tail -n 30 "$TMP/life.err"; fail "A: the camera's frames did not come back"; }
python3 - "$TMP/sim.log" "$FLOG" $FPS >"$TMP/life.check" 2>&1 <<'PY' || { cat "$TMP/life.check"; fail "A: drop-off"; }
import sys
fps = int(sys.argv[3])
sim = [l.split() for l in open(sys.argv[1]) if l.strip()]
t = [int(x[1]) for x in sim]
i = next(i for i in range(1, len(t)) if t[i] - t[i-1] > 3000000)
gone, back = t[i-1], t[i]            # last frame sent before, first after the drop-off
log = [l.split() for l in open(sys.argv[2]) if l.strip()]
w = [(int(m), int(ts), k) for m, ts, k in log if k != 'skipped']    # the writes
cam = [(int(m), int(ts)) for m, ts, k in log if k in ('new', 'skipped')]
print(f"camera away {(back - gone) / 1e6:.2f} s")
# 1. the rate never drops: no gap > 1 s anywhere, and every whole 1-s window from the last
#    frame before the drop-off to the first new frame after it has >= 0.8 x fps writes.
worst = max(b[1] - a[1] for a, b in zip(w, w[1:]))
print(f"largest gap between writes {worst / 1000:.0f} ms")
if worst > 1000000: sys.exit(f"FAIL: a gap of {worst / 1000:.0f} ms between writes")
resumed = next(ts for m, ts, k in w if k == 'new' and ts > back)
lo, n_win, min_win = gone, 0, None
while lo + 1000000 <= resumed:
    c = sum(1 for m, ts, k in w if lo <= ts < lo + 1000000)
    min_win = c if min_win is None else min(min_win, c); n_win += 1
    if c < 0.8 * fps: sys.exit(f"FAIL: only {c} writes in the 1-s window at +{(lo - gone) / 1e6:.0f} s")
    lo += 1000000
if n_win < 5: sys.exit(f"FAIL: outage seen by the bridge too short ({n_win} windows)")
print(f"{n_win} one-second windows during the outage, fewest writes {min_win} (fps {fps})")
# 2. the placeholder was shown during the outage, and only then
ph = [ts for m, ts, k in w if k == 'placeholder' and gone < ts < resumed]
if len(ph) < 2 * fps: sys.exit(f"FAIL: only {len(ph)} placeholder frames during the outage")
if any(m != -1 for m, ts, k in w if k == 'placeholder'): sys.exit("FAIL: a placeholder line with a marker")
# 3. recovery: camera frames before and after, strictly increasing, and after the drop-off
#    only frames the camera sent after it came back, without gaps
new = [(m, ts) for m, ts, k in w if k == 'new']
if any(b[0] <= a[0] for a, b in zip(new, new[1:])): sys.exit("FAIL: camera markers out of order")
sent_after = {int(x[0]) for x in sim if int(x[1]) >= back}
post = [m for m, ts in new if ts > back]
if not set(post) <= sent_after: sys.exit("FAIL: a frame after the drop-off that the camera did not send then")
# (a camera frame the --fps cap superseded before it could be written is logged as skipped)
post_cam = [m for m, ts in cam if ts > back]
if any(b != a + 1 for a, b in zip(post_cam, post_cam[1:])): sys.exit("FAIL: gap in the markers after the drop-off")
print(f"camera frames: {len(new) - len(post)} before, {len(post)} after ({len(post_cam) - len(post)} skipped); back {(resumed - back) / 1e6:.2f} s after the camera")
PY
sed 's/^/   /' "$TMP/life.check"
# The bytes: one raw frame per frame-log line, with that line's marker (placeholder = none).
markers_of "$OUT" $SIZE i420 >"$TMP/life.markers"
awk '$3 != "skipped" {print $1}' "$FLOG" | head -n "$(lines "$TMP/life.markers")" >"$TMP/life.logm"
cmp -s "$TMP/life.markers" "$TMP/life.logm" || { diff "$TMP/life.markers" "$TMP/life.logm" | head; fail "A: file frames differ from the frame log"; }
grep -q -- '^-1$' "$TMP/life.markers" || fail "A: no placeholder frame in the output file"
ok "A: drop-off: constant rate, placeholder in the file, camera frames back in order"

# ---- B. SIGTERM: exit within 1 s, the camera sees the logout --------------------------------
nlog=$(lines "$TMP/sim.err")
t0=$(wall_us)
kill -TERM $BPID
wait $BPID; rc=$?
t1=$(wall_us)
ms=$(( (t1 - t0) / 1000 ))
[ $rc -eq 0 ] || { tail "$TMP/life.err"; fail "B: exit status $rc after SIGTERM"; }
[ $ms -le 1000 ] || fail "B: the bridge took $ms ms to exit after SIGTERM"
WAIT_SECS=3 wait_for bash -c "tail -n +$((nlog + 1)) '$TMP/sim.err' | grep -q 'ended (logout)'" ||
	{ tail -n 5 "$TMP/sim.err"; fail "B: the camera did not see a logout"; }
ok "B: SIGTERM: exited in $ms ms; camera: $(tail -n +$((nlog + 1)) "$TMP/sim.err" | grep -o 'udp session [0-9]*: logout' | head -1)"

# ---- C. wrong password -------------------------------------------------------------------------
HP=$(free_port)
nlog=$(lines "$TMP/sim.err")
"$BRIDGE" --name wrongpw --source "bc-udp://admin:not-$PW@127.0.0.1:$DPORT/main?uid=$UID_" \
	--output "$TMP/wrong.yuv" --size $SIZE --fps $FPS --hwaccel none --http 127.0.0.1:$HP \
	-v -v >"$TMP/wrong.err" 2>&1 &
WPID=$!; PIDS+=($WPID)
tw=$SECONDS
WAIT_SECS=10 wait_for bash -c "[ \"\$(curl -fsS http://127.0.0.1:$HP/api/v1/status | python3 -c 'import json,sys;print(json.load(sys.stdin)[\"state\"])')\" = auth-failed ]" ||
	{ tail "$TMP/wrong.err"; fail "C: status never became auth-failed"; }
left=$((10 - (SECONDS - tw))); [ $left -gt 0 ] && sleep $left
st=$(http_json "http://127.0.0.1:$HP/api/v1/status" state)
[ "$st" = auth-failed ] || fail "C: status '$st' 10 s after a rejected password"
grep -i 'password' "$TMP/wrong.err" | grep -qiE 'reject|wrong|denied|invalid' ||
	{ cat "$TMP/wrong.err"; fail "C: no log line saying the password was rejected"; }
logins=$(tail -n +$((nlog + 1)) "$TMP/sim.err" | grep -c 'udp session did .* for cid')
tries=$(grep -c 'camera found after' "$TMP/wrong.err")
[ "$logins" -ge 1 ] || fail "C: the camera saw no login attempt"
[ "$logins" -le 2 ] || fail "C: $logins login attempts in 10 s (the camera would lock the account)"
[ "$tries" -le 2 ] || fail "C: the bridge's debug log shows $tries attempts in 10 s"
kill $WPID; wait $WPID
ok "C: wrong password: '$(grep -i password "$TMP/wrong.err" | tail -1 | sed 's/^<[0-9]>//')', state auth-failed, $logins login(s) in 10 s"

# ---- D. on-demand wake by an HTTP viewer, no video device --------------------------------------
[ -e /dev/video99 ] && fail "D: /dev/video99 exists here; the test needs a missing device"
HP=$(free_port)
"$BRIDGE" --name ondemand --source "$URL" --output /dev/video99 --size $SIZE --fps $FPS \
	--hwaccel none --http 127.0.0.1:$HP --http.user=viewer --http.password="$HPW" \
	--wake.mode=on-demand --wake.idle_seconds=3 -v -v >"$TMP/od.err" 2>&1 &
DPID=$!; PIDS+=($DPID)
AUTH=(-u "viewer:$HPW")
ST="http://127.0.0.1:$HP/api/v1/status"
wait_for curl -fsS "${AUTH[@]}" "$ST" || fail "D: no HTTP"
grep -q 'HTTP only' "$TMP/od.err" || { cat "$TMP/od.err"; fail "D: the bridge did not say it runs HTTP only"; }
n0=$(lines "$TMP/sim.log")
sleep 3
st=$(http_json "$ST" state "${AUTH[@]}")
n1=$(lines "$TMP/sim.log")
[ "$st" = sleeping ] || fail "D: state '$st' with nobody watching (want sleeping)"
[ "$n1" -eq "$n0" ] || fail "D: the camera sent $((n1 - n0)) frames with nobody watching"
ok "D: nobody watching: state sleeping, camera not streaming for 3 s"
# A viewer for 5 s; meanwhile the state must become "streaming".
curl -sS "${AUTH[@]}" --max-time 5 -o "$TMP/od.mjpeg" "http://127.0.0.1:$HP/stream" 2>/dev/null &
CPID=$!; PIDS+=($CPID)
WAIT_SECS=5 wait_for bash -c "curl -fsS -u 'viewer:$HPW' '$ST' | grep -q '\"state\":\"streaming\"'" ||
	fail "D: state did not become streaming with a viewer"
wait $CPID
t_left=$(wall_us)                       # the viewer left
WAIT_SECS=10 wait_for bash -c "curl -fsS -u 'viewer:$HPW' '$ST' | grep -q '\"state\":\"sleeping\"'" ||
	fail "D: still not sleeping 10 s after the viewer left (idle_seconds 3)"
slept=$(( ($(wall_us) - t_left) / 1000 ))
# idle_seconds = 3: the camera stays awake ~3 s for a viewer coming back, then sleeps.
[ $slept -ge 2000 ] || fail "D: the session closed $slept ms after the viewer left (idle_seconds 3)"
[ $slept -le 6000 ] || fail "D: the session closed only $slept ms after the viewer left (idle_seconds 3)"
n0=$(lines "$TMP/sim.log"); sleep 2; n1=$(lines "$TMP/sim.log")
[ "$n1" -eq "$n0" ] || fail "D: the camera still sends frames after the session closed"
tail -n 3 "$TMP/sim.err" | grep -q 'ended (logout)' || fail "D: no logout at the camera"
mjpeg_markers "$TMP/od.mjpeg" $SIZE >"$TMP/od.markers" || fail "D: the MJPEG stream did not decode"
python3 - "$TMP/od.markers" "$TMP/sim.log" <<'PY' || fail "D: MJPEG markers"
import sys
m = [int(x) for x in open(sys.argv[1])]
sent = {int(l.split()[0]) for l in open(sys.argv[2]) if l.strip()}
cam = [x for x in m if x >= 0]
print(f"   {len(m)} MJPEG parts, {len(cam)} with a camera marker ({cam[0] if cam else '-'} .. {cam[-1] if cam else '-'})")
if len(cam) < 30: sys.exit("too few camera frames in 5 s")
if any(b < a for a, b in zip(cam, cam[1:])): sys.exit("markers go backwards")
if not set(cam) <= sent: sys.exit("a marker the camera never sent")
if len(set(cam)) < 30: sys.exit("markers do not advance")
PY
ok "D: viewer woke the camera; asleep again $slept ms after the viewer left; camera stopped sending"

# ---- E. --check-config and secrets ----------------------------------------------------------
out=$("$BRIDGE" --check-config "$ROOT/config/camera.conf.example" 2>&1); rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] || fail "E: --check-config on the example: exit $rc, output '$out'"
check_broken() {   # LABEL FILE-CONTENT EXPECTED-LINE EXPECTED-TEXT
	local f=$TMP/$1.conf out rc
	printf '%s' "$2" >"$f"; chmod 600 "$f"
	out=$("$BRIDGE" --check-config "$f" 2>&1); rc=$?
	echo "$out" >>"$TMP/check.out"
	[ $rc -eq 1 ] || fail "E: $1: --check-config exit $rc (want 1): $out"
	echo "$out" | grep -qE "^$f:$3: .*$4" || fail "E: $1: want '$f:$3: …$4…', got: $out"
}
check_broken syntax "camera = {
  source = \"bc-tcp://admin:$PW@10.0.0.1/main\";
  password = \"$PW\"
  user = ;
};
output = { device = \"/tmp/x.yuv\"; };
" 4 "syntax"
check_broken unknown "camera = {
  source = \"bc-tcp://10.0.0.1/main\";
  password = \"$PW\";
  bogus_key = 3;
};
output = { device = \"/tmp/x.yuv\"; };
" 4 "bogus_key"
check_broken range "camera = {
  source = \"bc-tcp://admin:$PW@10.0.0.1/main\";
};
output = {
  device = \"/tmp/x.yuv\";
  fps = 500;
};
" 6 "fps.*500"
ok "E: --check-config: example clean; syntax, unknown key, out of range reported as file:line"

# Secrets: everything the bridge printed or served during this test, plus --help and an
# invalid command line holding the password.
"$BRIDGE" --camera.password="$PW" --http.password="$HPW" --help >"$TMP/help.out" 2>&1
"$BRIDGE" --source "bc-tcp://admin:$PW@10.0.0.1:99999/main" --output "$TMP/x.yuv" >"$TMP/badarg.out" 2>&1 &&
	fail "E: a source with port 99999 was accepted"
curl -fsS "${AUTH[@]}" "$ST" >"$TMP/status.out" || fail "E: status"
curl -fsS "${AUTH[@]}" "http://127.0.0.1:$HP/metrics" >"$TMP/metrics.out" || fail "E: metrics"
curl -fsS "${AUTH[@]}" "http://127.0.0.1:$HP/" >"$TMP/index.out" || fail "E: index page"
curl -sS -o "$TMP/noauth.out" -w '%{http_code}' "$ST" >"$TMP/noauth.code"
[ "$(cat "$TMP/noauth.code")" = 401 ] || fail "E: status without credentials: HTTP $(cat "$TMP/noauth.code") (want 401)"
curl -sS -o /dev/null -w '%{http_code}' -u "viewer:x$HPW" "$ST" >"$TMP/badauth.code"
[ "$(cat "$TMP/badauth.code")" = 401 ] || fail "E: status with a wrong HTTP password: HTTP $(cat "$TMP/badauth.code")"
grep -q cam_bridge_frames_decoded_total "$TMP/metrics.out" || fail "E: metrics look wrong"
kill $DPID; wait $DPID
for f in life.err wrong.err od.err help.out badarg.out status.out metrics.out index.out noauth.out check.out; do
	[ -s "$TMP/$f" ] || [ "$f" = noauth.out ] || fail "E: $f is empty: nothing checked"
	if grep -qF -e "$PW" -e "$HPW" "$TMP/$f"; then
		grep -nF -e "$PW" -e "$HPW" "$TMP/$f" | head -3
		fail "E: a password appears in $f"
	fi
done
ok "E: passwords absent from --help, -v -v logs, bad-option errors, status, metrics, /, --check-config"
