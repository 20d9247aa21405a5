#!/bin/bash
# cam-bridge under valgrind (memcheck, --leak-check=full --error-exitcode=1) over a full session
# with a simulated camera (cam-sim over BcUdp on loopback, FIFO output, HTTP sidecar on):
# connect, stream, a snapshot and a short MJPEG viewer, the camera dropping off for 5 s and the
# session reconnecting, SIGHUP with a changed configuration, SIGTERM.  Any invalid access, use
# of uninitialised memory or leak (definite, indirect or possible) makes valgrind exit 1 and the
# test fail.  No suppressions: none is needed (FFmpeg, OpenSSL, libmicrohttpd, libturbojpeg and
# libconfig free what they allocate once cam-bridge has closed them).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/e2e_lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
command -v valgrind >/dev/null || skip "valgrind is not installed (apt-get install valgrind)"
command -v curl >/dev/null || skip "curl is not installed"
case $BUILD in */san*) skip "valgrind cannot run an ASan build: run valgrind.sh on the normal build" ;; esac

UID_=95270000VALGRIN1
PW=v4lgr1nd-Pa55
FPS=10 SIZE=320x180
DPORT=$(free_port) HP=$(free_port)
CTL=$TMP/sim.ctl
"$SIM" --listen 127.0.0.1 --disc-port "$DPORT" --tcp-port -1 --uid $UID_ --password "$PW" \
	--size $SIZE --fps $FPS --control-fifo "$CTL" --frame-log "$TMP/sim.log" -v >"$TMP/sim.err" 2>&1 &
PIDS+=($!)
wait_for test -p "$CTL" || { cat "$TMP/sim.err"; fail "cam-sim did not start"; }
mkfifo "$TMP/out.fifo"
cat <>"$TMP/out.fifo" >/dev/null &
PIDS+=($!)

conf() {   # $1 = read_timeout_ms (the key the reload changes)
	cat >"$TMP/cam.conf" <<EOC
name = "vg";
camera = { source = "bc-udp://admin:$PW@127.0.0.1:$DPORT/main?uid=$UID_"; read_timeout_ms = $1; };
output = { device = "$TMP/out.fifo"; width = 320; height = 180; fps = $FPS; };
decode = { hwaccel = "none"; };
wake = { mode = "always"; };
http = { listen = "127.0.0.1:$HP"; };
EOC
}
conf 2000
valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible \
	--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 \
	--log-file="$TMP/vg.log" \
	"$BRIDGE" -c "$TMP/cam.conf" --frame-log "$TMP/flog" -v >"$TMP/bridge.err" 2>&1 &
BPID=$!; PIDS+=($BPID)

# new_after N: at least N camera frames in the frame log after line $mark.
new_after() { [ "$(tail -n +$((mark + 1)) "$TMP/flog" 2>/dev/null | grep -c ' new$')" -ge "$1" ]; }
mark=0
WAIT_SECS=90 wait_for new_after 20 || { tail -n 20 "$TMP/bridge.err"; cat "$TMP/vg.log"; fail "connect: no 20 camera frames"; }
ok "connected and streaming"
curl -fsS --max-time 20 -o "$TMP/snap.jpg" "http://127.0.0.1:$HP/snapshot.jpg" || fail "snapshot"
curl -sS --max-time 4 -o "$TMP/view.mjpeg" "http://127.0.0.1:$HP/stream" 2>/dev/null
[ -s "$TMP/view.mjpeg" ] || fail "the MJPEG viewer got nothing"
ok "snapshot and MJPEG viewer served"

mark=$(lines "$TMP/flog")
echo "dropoff 5" >"$CTL"
WAIT_SECS=60 wait_for grep -q 'ended (' "$TMP/sim.err" || fail "the camera's session did not end on the drop-off"
WAIT_SECS=90 wait_for bash -c "[ \$(grep -c 'udp session did' '$TMP/sim.err') -ge 2 ]" || fail "no second login"
mark=$(lines "$TMP/flog")
WAIT_SECS=60 wait_for new_after 10 || { tail -n 20 "$TMP/bridge.err"; fail "no camera frames after the reconnect"; }
ok "drop-off and reconnect"

conf 2500
mark=$(lines "$TMP/flog")
kill -HUP $BPID
WAIT_SECS=30 wait_for grep -q 'reload: changed' "$TMP/bridge.err" || fail "the reload was not logged"
WAIT_SECS=60 wait_for new_after 10 || { tail -n 20 "$TMP/bridge.err"; fail "no camera frames after SIGHUP"; }
ok "SIGHUP reload, streaming on"

kill -TERM $BPID
wait $BPID; rc=$?
echo "   valgrind: $(grep -c . "$TMP/vg.log") lines of report, exit $rc"
[ $rc -eq 0 ] || { head -n 120 "$TMP/vg.log"; tail -n 5 "$TMP/bridge.err"; fail "valgrind exit $rc"; }
[ -s "$TMP/vg.log" ] && { cat "$TMP/vg.log"; fail "valgrind printed a report"; }
ok "valgrind clean over connect, stream, HTTP, drop-off, reconnect, SIGHUP, SIGTERM"
