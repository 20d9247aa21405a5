#!/bin/bash
# URL sources through libavformat: an MPEG-TS stream over UDP (like a Raspberry Pi camera
# streaming H.264) and an RTSP stream pushed by ffmpeg to the bridge listening as the server.
# The frames the bridge writes must carry the stream's frame markers in order, with no gaps
# (frames the --fps cap skipped are in the frame log as such).
. "$(dirname "$0")/lib.sh"
need_prog "$BRIDGE"
command -v ffmpeg >/dev/null || skip "ffmpeg is not installed"
[ -x "$BUILD/tools/mkstream" ] || fail "mkstream not built"

"$BUILD/tools/mkstream" "$TMP/m.h264" 320x240 15 300 1000 2>/dev/null || fail "mkstream failed"

check_run() {   # $1 = label, $2 = raw output file, $3 = frame log
	local n
	n=$(camera_frames "$3" "$2" 320x240) || fail "$1: $n"
	[ "$n" -ge 40 ] || fail "$1: only $n camera frames"
	[ "$(head -n1 "$3.out")" -ge 1000 ] || fail "$1: unexpected first marker"
	ok "$1: $n frames in order"
}

# --- MPEG-TS over UDP
port=$(free_port)
"$BRIDGE" --name urltest --source "udp://127.0.0.1:$port" --output "$TMP/ts.yuv" --size 320x240 \
	--fps 15 --frames 40 --http off --frame-log "$TMP/ts.log" >"$TMP/ts.err" 2>&1 &
bpid=$!; PIDS+=($bpid)
sleep 0.5
bg ffmpeg -loglevel error -re -i "$TMP/m.h264" -c copy -f mpegts "udp://127.0.0.1:$port?pkt_size=1316"
WAIT_SECS=30 wait_for bash -c "! kill -0 $bpid" || { cat "$TMP/ts.err"; fail "mpegts: bridge did not finish 40 frames"; }
wait $bpid || { cat "$TMP/ts.err"; fail "mpegts: bridge exited with an error"; }
check_run mpegts "$TMP/ts.yuv" "$TMP/ts.log"

# --- RTSP, ffmpeg pushing to the bridge (rtsp_transport = listen)
port=$(free_port)
"$BRIDGE" --name urltest --source "rtsp://127.0.0.1:$port/live" --camera.rtsp_transport=listen \
	--output "$TMP/rtsp.yuv" --size 320x240 --fps 15 --frames 40 --http off \
	--frame-log "$TMP/rtsp.log" >"$TMP/rtsp.err" 2>&1 &
bpid=$!; PIDS+=($bpid)
sleep 0.5
bg ffmpeg -loglevel error -re -i "$TMP/m.h264" -c copy -f rtsp -rtsp_transport tcp "rtsp://127.0.0.1:$port/live"
WAIT_SECS=30 wait_for bash -c "! kill -0 $bpid" || { cat "$TMP/rtsp.err"; fail "rtsp: bridge did not finish 40 frames"; }
wait $bpid || { cat "$TMP/rtsp.err"; fail "rtsp: bridge exited with an error"; }
check_run rtsp "$TMP/rtsp.yuv" "$TMP/rtsp.log"
