#!/bin/bash
# make bench-smoke, as part of make check: one short iteration of every benchmark run
# (tests/bench/run.sh with BENCH_SMOKE=1: bridge vs ffmpeg, loss, MJPEG viewers, 2 cameras)
# on 640x360.  Asserts no figure (CI machines are shared and noisy), only that every run
# happened: the script succeeded and its table holds a number for every row.
. "$(dirname "$0")/lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"; need_prog "$BUILD/bench/mark_i420"
command -v ffmpeg >/dev/null || skip "ffmpeg not installed"
ffmpeg -hide_banner -encoders 2>/dev/null | grep -q libx264 || skip "ffmpeg has no libx264 (the bench's file sources)"
command -v curl >/dev/null || skip "curl not installed"

BENCH_SMOKE=1 BENCH_RUNS=1 timeout 170 "$ROOT/tests/bench/run.sh" >"$TMP/bench.out" 2>&1
rc=$?
cat "$TMP/bench.out"
[ $rc = 0 ] || fail "tests/bench/run.sh (smoke) exited with $rc"
for row in "360p bridge CPU ms/frame" "360p bridge peak RSS MiB" "360p bridge start to first frame ms" \
	"360p bridge latency p99 ms" "360p ffmpeg -threads 1 null CPU ms/frame" \
	"360p ffmpeg yuv420p CPU ms/frame" "360p ffmpeg yuyv422 CPU ms/frame" \
	"360p ratio bridge/decode floor" "360p loss 1% delivered %" "360p loss 10% latency p99 ms" \
	"MJPEG bridge CPU % with 3 viewers" "MJPEG ratio 3 viewers / 1 viewer" \
	"cameras: worst delivered % at 2"; do
	grep -Eq "^$(printf '%s' "$row" | sed 's/[][\.*^$/+?(){}|]/\\&/g') +-?[0-9.]+ .* 1\$" "$TMP/bench.out" ||
		fail "the smoke table has no figure for: $row"
done
ok "every benchmark run happened once (figures not asserted)"
