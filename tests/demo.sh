#!/bin/bash
# make demo: a simulated battery camera (cam-sim, live H.264 640x360 at 15 fps on 127.0.0.1)
# and cam-bridge in front of it over BcUdp, writing to a v4l2loopback device when there is one
# (else to $BUILD/demo.yuv) and serving HTTP on 127.0.0.1:8080 (or the next free port).
# Runs until Ctrl-C, or for DEMO_SECONDS seconds; stops both programs cleanly either way.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SIM=$BUILD/cam-sim BRIDGE=$BUILD/cam-bridge
DEMO_SECONDS=${DEMO_SECONDS:-0}
DEMO_MAX_MB=${DEMO_MAX_MB:-1024}       # stop before demo.yuv fills the disk
UID_=95270000DEMOCAM1 USER_=admin PASS=demo
W=640 H=360 FPS=15
LOGDIR=$BUILD/demo
for p in "$SIM" "$BRIDGE"; do
	[ -x "$p" ] || { echo "demo: $p is not built (run make)"; exit 1; }
done
mkdir -p "$LOGDIR"

port_free() {   # PROTO PORT
	python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == 'udp' else socket.SOCK_STREAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[2])))
except OSError:
    sys.exit(1)
PY
}
HTTP_PORT=
for p in $(seq 8080 8099); do
	if port_free tcp "$p"; then HTTP_PORT=$p; break; fi
done
[ -n "$HTTP_PORT" ] || { echo "demo: no free TCP port in 8080..8099"; exit 1; }
DISC_PORT=
for p in $(seq 20180 20199); do
	if port_free udp "$p"; then DISC_PORT=$p; break; fi
done
[ -n "$DISC_PORT" ] || { echo "demo: no free UDP port in 20180..20199"; exit 1; }

# A v4l2loopback device: driver "v4l2 loopback" (v4l2-ctl), or a virtual video4linux device.
find_loopback() {
	local d n
	for d in /dev/video*; do
		[ -c "$d" ] || continue
		n=${d#/dev/}
		if command -v v4l2-ctl >/dev/null; then
			v4l2-ctl -d "$d" --info 2>/dev/null | grep -qi 'driver name.*v4l2 loopback' && { echo "$d"; return; }
		elif readlink -f "/sys/class/video4linux/$n" 2>/dev/null | grep -q '/devices/virtual/'; then
			echo "$d"; return
		fi
	done
}
DEV=$(find_loopback)
if [ -n "$DEV" ]; then
	OUT=$DEV
else
	OUT=$BUILD/demo.yuv
	rm -f "$OUT"
fi

SPID='' BPID=''
stop() {
	trap - INT TERM EXIT
	echo
	echo "demo: stopping"
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null
	[ -n "$BPID" ] && wait "$BPID" 2>/dev/null
	[ -n "$SPID" ] && kill -TERM "$SPID" 2>/dev/null
	[ -n "$SPID" ] && wait "$SPID" 2>/dev/null
	echo "demo: stopped (logs in $LOGDIR/)"
	exit "${1:-0}"
}
trap 'stop 0' INT TERM
trap 'stop 1' EXIT

"$SIM" --listen 127.0.0.1 --disc-port "$DISC_PORT" --tcp-port -1 --uid $UID_ --user $USER_ \
	--password $PASS --size ${W}x$H --fps $FPS --battery 80 --control-fifo "$LOGDIR/sim.ctl" \
	>"$LOGDIR/cam-sim.log" 2>&1 &
SPID=$!
sleep 0.5
kill -0 $SPID 2>/dev/null || { cat "$LOGDIR/cam-sim.log"; echo "demo: cam-sim did not start"; stop 1; }
"$BRIDGE" --name demo --source "bc-udp://$USER_:$PASS@127.0.0.1:$DISC_PORT/main?uid=$UID_" \
	--output "$OUT" --size ${W}x$H --fps $FPS --http 127.0.0.1:$HTTP_PORT \
	>"$LOGDIR/cam-bridge.log" 2>&1 &
BPID=$!
for _ in $(seq 50); do
	curl -fsS -o /dev/null "http://127.0.0.1:$HTTP_PORT/healthz" 2>/dev/null && break
	kill -0 $BPID 2>/dev/null || break
	sleep 0.2
done
kill -0 $BPID 2>/dev/null || { cat "$LOGDIR/cam-bridge.log"; echo "demo: cam-bridge did not start"; stop 1; }

U=http://127.0.0.1:$HTTP_PORT
cat <<EOF

  cam-bridge demo: simulated camera $UID_ (H.264 ${W}x$H at $FPS fps, over BcUdp on
  127.0.0.1:$DISC_PORT) -> cam-bridge -> $OUT

  Open in a browser:   $U/            (live view and status)
  MJPEG stream:        ffplay $U/stream      or   vlc $U/stream
  Snapshot:            curl -o snap.jpg $U/snapshot.jpg
  Status / metrics:    curl $U/api/v1/status      curl $U/metrics
EOF
if [ -n "$DEV" ]; then
	cat <<EOF
  Webcam device:       ffplay -f v4l2 $DEV     or   vlc v4l2://$DEV
                       (any camera app: pick the device; the camera wakes while someone watches)
EOF
else
	cat <<EOF
  No v4l2loopback device found (modprobe v4l2loopback for a webcam), so raw I420 frames go to
  $OUT (about $((W * H * 3 / 2 * FPS / 1000000)) MB/s; the demo stops at $DEMO_MAX_MB MB):
                       ffplay -f rawvideo -pixel_format yuv420p -video_size ${W}x$H -framerate $FPS $OUT
EOF
fi
cat <<EOF
  Make the camera drop off for 5 s:   echo dropoff 5 > $LOGDIR/sim.ctl
  Logs: $LOGDIR/cam-bridge.log, $LOGDIR/cam-sim.log

EOF
if [ "$DEMO_SECONDS" -gt 0 ]; then
	echo "  Running for $DEMO_SECONDS s (DEMO_SECONDS)."
else
	echo "  Press Ctrl-C to stop."
fi

start=$SECONDS
while :; do
	sleep 1
	kill -0 $SPID 2>/dev/null || { tail -n 5 "$LOGDIR/cam-sim.log"; echo "demo: cam-sim exited"; stop 1; }
	kill -0 $BPID 2>/dev/null || { tail -n 5 "$LOGDIR/cam-bridge.log"; echo "demo: cam-bridge exited"; stop 1; }
	if [ -z "$DEV" ] && [ -f "$OUT" ] && [ "$(stat -c %s "$OUT")" -gt $((DEMO_MAX_MB * 1048576)) ]; then
		echo "demo: $OUT reached $DEMO_MAX_MB MB (DEMO_MAX_MB)"
		stop 0
	fi
	if [ "$DEMO_SECONDS" -gt 0 ] && [ $((SECONDS - start)) -ge "$DEMO_SECONDS" ]; then
		st=$(curl -fsS "$U/api/v1/status" 2>/dev/null | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["state"], "frames out", s["frames"]["out"])' 2>/dev/null)
		echo "demo: $DEMO_SECONDS s done; bridge: ${st:-no status}"
		stop 0
	fi
done
