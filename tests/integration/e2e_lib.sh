# shellcheck shell=bash
# Helpers for the end-to-end tests, the demo and the benchmark (sourced after lib.sh; not a
# test itself: not executable).  Everything reads what the programs wrote (frame logs, raw
# frames, HTTP bodies) with independent code: python3 and ffmpeg, never our C.

# now_us: CLOCK_MONOTONIC in microseconds, the clock of both frame logs (python3 start-up
# time comes on top: not for measuring short intervals).
now_us() { python3 -c 'import time; print(time.monotonic_ns() // 1000)'; }
# wall_us: wall clock in microseconds without a fork (bash 5), for measuring intervals.
wall_us() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t)); }

# http_json URL KEY [CURL ARGS...]: one field of a JSON document ("a.b" for nested keys).
http_json() {
	local url=$1 key=$2
	shift 2
	curl -fsS --max-time 5 "$@" "$url" | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print("null" if v is None else v)' "$key"
}

# lines FILE: number of lines (0 when the file does not exist yet).
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# mjpeg_markers FILE WxH: the frame marker of every JPEG part of a captured
# multipart/x-mixed-replace body, one per line (-1 for a part without a marker).  The parts
# are cut by their Content-Length headers and decoded by ffmpeg to 8-bit gray.
mjpeg_markers() {
	local body=$1 size=$2 dir
	dir=$(mktemp -d "${TMP:-/tmp}/mjpeg.XXXXXX")
	python3 - "$body" "$dir/parts.mjpeg" <<'PY' || return 1
import re, sys
data = open(sys.argv[1], 'rb').read()
out = open(sys.argv[2], 'wb')
pos = n = 0
while True:
    m = re.compile(rb'Content-Length:\s*(\d+)\r\n(?:[^\r\n]*\r\n)*\r\n', re.I).search(data, pos)
    if not m:
        break
    start = m.end(); ln = int(m.group(1)); part = data[start:start + ln]
    if len(part) < ln:
        break                      # cut off by the end of the capture
    if part[:2] != b'\xff\xd8' or part[-2:] != b'\xff\xd9':
        sys.exit("part %d is not a whole JPEG" % n)
    out.write(part); n += 1; pos = start + ln
if n == 0:
    sys.exit("no JPEG parts")
PY
	ffmpeg -nostdin -loglevel error -f mjpeg -i "$dir/parts.mjpeg" -fps_mode passthrough \
		-f rawvideo -pix_fmt gray "$dir/parts.gray" || return 1
	gray_markers "$dir/parts.gray" "$size"
	rm -rf "$dir"
}

# gray_markers FILE WxH [X0 Y0 STRIDE_W]: markers of 8-bit gray pictures (whole file of W×H
# pictures), like lib.sh's markers_of.
gray_markers() {
	python3 - "$@" <<'PY'
import sys
w, h = map(int, sys.argv[2].split('x'))
data = open(sys.argv[1], 'rb').read()
band = h // 16
for n in range(len(data) // (w * h)):
    fr = data[n*w*h:(n+1)*w*h]
    v = 0; ok = True
    for i in range(32):
        Y = fr[(band // 2) * w + (2 * i + 1) * w // 64]
        if Y > 190: v = v << 1 | 1
        elif Y < 45: v = v << 1
        else: ok = False
    print(v if ok else -1)
PY
}

# sim_counters SIMLOG [STREAM]: the counters cam-sim sent, one per line.
sim_counters() { awk -v s="${2:-main}" '$4 == s {print $1}' "$1"; }
