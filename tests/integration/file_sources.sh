#!/bin/bash
# Local files as the source (issue 9, items 1 and 16).
#  1. A raw Annex-B .h264 (no time stamps) plays at its frame rate and loops: --frames 200 of a
#     50-frame 25 fps file takes ~8 s, shows every frame in order (1000…1049, 1000…), exits by
#     itself, and costs little CPU (no busy loop reading or seeking).  The same for .h265.
#     The output runs at 30 fps, above the file's 25, so that the output's own pacing never has
#     a reason to skip a frame: what is checked is the source's pace.
#  2. MP4 / MKV (avcC/hvcC, parameter sets in the extradata) show their first picture at once,
#     as MPEG-TS does: a file that is one 5 s GOP must not wait 5 s for its next keyframe.
. "$(dirname "$0")/lib.sh"
need_prog "$BRIDGE"
command -v ffmpeg >/dev/null || skip "ffmpeg is not installed"
[ -x "$BUILD/tools/mkstream" ] || fail "mkstream not built"

# run_timed LOG TIMEOUT CMD...: runs CMD, writes "exit wall_s cpu_s" into LOG.
run_timed() {
	python3 - "$@" <<'PY'
import resource, subprocess, sys, time
log, limit, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
t = time.monotonic()
try:
    rc = subprocess.run(cmd, timeout=limit).returncode
except subprocess.TimeoutExpired:
    rc = 124
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
open(log, 'w').write(f"{rc} {time.monotonic() - t:.2f} {ru.ru_utime + ru.ru_stime:.2f}\n")
PY
}

# cycle FILE FIRST N: the markers run FIRST…FIRST+N-1 and start again at FIRST, nothing missing.
cycle() {
	python3 - "$@" <<'PY'
import sys
v = [int(x.split()[0]) for x in open(sys.argv[1]) if x.strip()]
first, n = int(sys.argv[2]), int(sys.argv[3])
if not v or v[0] != first:
    print(f"starts at {v[0] if v else None}, not {first}"); sys.exit(1)
for a, b in zip(v, v[1:]):
    if b != (first if a == first + n - 1 else a + 1):
        print(f"gap or disorder: {a} then {b}"); sys.exit(1)
print(len(v))
PY
}

# --- 1. raw Annex-B files: paced, looped, ended by --frames
for ext in h264 h265; do
	"$BUILD/tools/mkstream" "$TMP/clip.$ext" 320x240 25 50 1000 2>/dev/null || fail "mkstream $ext failed"
	run_timed "$TMP/time.$ext" 40 "$BRIDGE" --name filetest --source "$TMP/clip.$ext" \
		--output "$TMP/out.$ext.yuv" --size 320x240 --fps 30 --frames 200 --http off \
		--hwaccel none --frame-log "$TMP/log.$ext" 2>"$TMP/err.$ext"
	read -r rc wall cpu <"$TMP/time.$ext"
	[ "$rc" = 124 ] && { tail -n 5 "$TMP/err.$ext"; fail "$ext: 200 frames not done in 40 s (file not paced or not looped)"; }
	[ "$rc" = 0 ] || { cat "$TMP/err.$ext"; fail "$ext: bridge exited with $rc"; }
	# Every frame of the file reaches the bridge in order ("new", or "skipped" by the --fps
	# cap when a late thread delivered two at once); the output holds exactly the new ones.
	grep -E ' (new|skipped)$' "$TMP/log.$ext" >"$TMP/cam.$ext"
	n=$(cycle "$TMP/cam.$ext" 1000 50) || fail "$ext: frame log: $n"
	grep ' new$' "$TMP/log.$ext" | awk '{print $1}' >"$TMP/new.$ext"
	n=$(wc -l <"$TMP/new.$ext")
	[ "$n" -eq 200 ] || fail "$ext: $n camera frames written, not 200"
	skipped=$(grep -c ' skipped$' "$TMP/log.$ext")
	[ "$skipped" -le 10 ] || fail "$ext: $skipped of the file's frames skipped at 25 fps into 30"
	markers_of "$TMP/out.$ext.yuv" 320x240 i420 | grep -v '^-1$' | uniq >"$TMP/bytes.$ext"
	cmp -s "$TMP/new.$ext" "$TMP/bytes.$ext" ||
		fail "$ext: output pictures differ from the frame log's new frames"
	# 200 frames at 25 fps: 8 s (generous bounds for a loaded machine).
	python3 -c "import sys; w, c = $wall, $cpu; sys.exit(0 if 7.0 <= w <= 20.0 else 1)" ||
		fail "$ext: 200 frames at 25 fps took $wall s (expected ~8 s)"
	python3 -c "import sys; w, c = $wall, $cpu; sys.exit(0 if c < 0.4 * w else 1)" ||
		fail "$ext: $cpu s of CPU in $wall s: busy loop"
	ok "$ext: 200 frames of a 50-frame file, looped in order, in $wall s, $cpu s CPU"
done

# --- 2. MP4 / MKV (and MPEG-TS as the reference): the first GOP is shown
"$BUILD/tools/mkstream" "$TMP/gop.h264" 320x240 25 125 2000 125 2>/dev/null || fail "mkstream failed"
"$BUILD/tools/mkstream" "$TMP/gop.h265" 320x240 25 125 2000 125 2>/dev/null || fail "mkstream failed"
for f in gop.h264:mp4 gop.h264:mkv gop.h264:ts gop.h265:mp4 gop.h265:mkv; do
	src=${f%%:*} ext=${f##*:} name=${src#gop.}.$ext
	ffmpeg -loglevel error -y -framerate 25 -i "$TMP/$src" -c copy "$TMP/$name" || fail "remux $name failed"
	run_timed "$TMP/time.$name" 30 "$BRIDGE" --name filetest --source "$TMP/$name" \
		--output /dev/null --size 320x240 --fps 25 --frames 10 --http off --hwaccel none \
		--frame-log "$TMP/log.$name" 2>"$TMP/err.$name"
	read -r rc wall cpu <"$TMP/time.$name"
	[ "$rc" = 0 ] || { cat "$TMP/err.$name"; fail "$name: bridge exited with $rc"; }
	# From the first frame written (the card) to the first camera picture, by the frame log.
	read -r first_marker delay < <(python3 - "$TMP/log.$name" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
new = [r for r in rows if r[2] == 'new']
print(new[0][0], (int(new[0][1]) - int(rows[0][1])) / 1e6 if new else 'none')
PY
)
	[ "$first_marker" = 2000 ] || fail "$name: first picture has marker $first_marker, not 2000"
	python3 -c "import sys; sys.exit(0 if $delay < 2.0 else 1)" ||
		fail "$name: first picture $delay s after start: the first GOP was lost"
	ok "$name: first picture (marker 2000) $delay s after start"
done
