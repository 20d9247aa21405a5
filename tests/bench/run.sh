#!/bin/bash
# make bench: cam-bridge against what users would run instead, on this machine, printed as one
# table of medians with min-max over BENCH_RUNS (default 5) interleaved runs.  Every workload
# is served by cam-sim over BcUdp on loopback from a file source (no encoder in the loop):
# 1920x1080@25 H.264 4 Mb/s, 2560x1440@15 H.265 6 Mb/s, 640x360@15 H.264 512 kb/s, made once
# by media.sh into $BUILD/bench-media/.  Each run, for each workload:
#   bridge   a fresh cam-sim, then cam-bridge --frames N to an I420 file output (/dev/null) of
#            the same size: its user+sys CPU per frame, peak RSS (VmHWM), exec to first frame
#            written, and the latency of each frame (cam-sim send -> bridge write);
#   ffmpeg   the decode floor `ffmpeg -threads 1 -i FILE -f null -` and the usual recipes
#            `ffmpeg -i FILE -pix_fmt yuv420p|yuyv422 -f rawvideo /dev/null`, on the same N
#            frames: CPU per frame and peak RSS; the ratios are taken within the run;
# then the 1080p stream at 1, 5 and 10 % datagram loss (cam-sim --loss); the MJPEG viewers
# (bridge CPU with 0, 1 and 50 curl viewers, interleaved); and C cameras of 640x360@15, one
# cam-sim and one cam-bridge each (BENCH_CAMERAS, default 32; BENCH_SCALE=1 sweeps 32, 64, 96,
# 128, 160 and stops at the first count where a bridge gets less than 95 % of its frames).
# Also runs the bench_* programs (not with BENCH_SMOKE=1).
# BENCH_SECONDS (default 10): frames per bridge run = SECONDS x fps.  BENCH_SMOKE=1: the short
# version for CI (make bench-smoke): 640x360 only, 2 s files and runs, 2 cameras, 3 viewers.
# BENCH_ONLY=PART[,PART]: only those of programs, runs, mjpeg, scale (e.g. BENCH_ONLY=scale
# BENCH_SCALE=1 for the camera sweep alone).
# Prints measurements; fails only when a run did not happen (no frames, a program died).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/e2e_lib.sh"
. "$(dirname "$0")/media.sh"
need_prog "$BRIDGE"; need_prog "$SIM"; need_prog "$BUILD/bench/mark_i420"
command -v ffmpeg >/dev/null || fail "ffmpeg is needed"
BP="$ROOT/tests/bench/bench.py"
SMOKE=${BENCH_SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
	RUNS=${BENCH_RUNS:-1} SECS=${BENCH_SECONDS:-2} MSECS=2 WARM=0.5 CAP=1.5
	VSECS=${BENCH_VIEW_SECONDS:-2} VIEWERS="0 1 3" CAMS=${BENCH_CAMERAS:-2}
else
	RUNS=${BENCH_RUNS:-5} SECS=${BENCH_SECONDS:-10} MSECS=10 WARM=2 CAP=5
	VSECS=${BENCH_VIEW_SECONDS:-8} VIEWERS="0 1 50" CAMS=${BENCH_CAMERAS:-32}
fi
[ "$RUNS" -ge 1 ] 2>/dev/null || fail "BENCH_RUNS must be a positive number"
HZ=$(getconf CLK_TCK)
UID_=95270000BENCHCAM PW=bench-pw
RES=$TMP/results
: >"$RES"
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); load at start $(load); $RUNS runs"
echo "bench: $(ffmpeg -version | head -1 | cut -d' ' -f1-3); cam-bridge $(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
want() { [[ ,${BENCH_ONLY:-programs,runs,mjpeg,scale}, == *,$1,* ]]; }
put() { printf '%s\t%s\n' "$1" "$2" >>"$RES"; }   # ROW VALUE

# ---- the benchmark programs ----------------------------------------------------------------
if [ "$SMOKE" != 1 ] && want programs; then
	for b in "$BUILD"/bench/bench_*; do
		[ -f "$b" ] && [ -x "$b" ] || continue
		echo; echo "== $(basename "$b")"
		timeout 300 "$b" || fail "$(basename "$b") failed (exit $?)"
	done
fi

# ---- the file sources ----------------------------------------------------------------------
WL=(1080p 1440p 360p) LW=1080p VW=1080p
[ "$SMOKE" = 1 ] && WL=(360p) LW=360p VW=360p   # every kind of run once, on the cheap stream
declare -A CODEC SIZE FPS KB FILE NF
CODEC[1080p]=h264 SIZE[1080p]=1920x1080 FPS[1080p]=25 KB[1080p]=4000
CODEC[1440p]=h265 SIZE[1440p]=2560x1440 FPS[1440p]=15 KB[1440p]=6000
CODEC[360p]=h264 SIZE[360p]=640x360 FPS[360p]=15 KB[360p]=512
echo
for w in "${WL[@]}"; do
	t=$(wall_us)
	FILE[$w]=$(bench_media_file cam "${CODEC[$w]}" "${SIZE[$w]}" "${FPS[$w]}" "${KB[$w]}" $MSECS) ||
		fail "$w: could not make the file source"
	NF[$w]=$((MSECS * FPS[$w]))
	echo "source $w: ${FILE[$w]} ($(($(stat -c %s "${FILE[$w]}") * 8 / MSECS / 1000)) kb/s; $((($(wall_us) - t) / 1000)) ms to get)"
done

# ---- one bridge run ------------------------------------------------------------------------
start_sim() {   # W EXTRA-SIM-ARGS...: a fresh cam-sim serving W's file; sets SPID DPORT
	local w=$1
	shift
	DPORT=$(free_port)
	: >"$TMP/sim.log"
	"$SIM" --listen 127.0.0.1 --disc-port "$DPORT" --tcp-port -1 --uid $UID_ --password $PW \
		--source "${FILE[$w]}" --size "${SIZE[$w]}" --fps "${FPS[$w]}" \
		--frame-log "$TMP/sim.log" "$@" >"$TMP/sim.out" 2>"$TMP/sim.err" &
	SPID=$!; PIDS+=($SPID)
	wait_for grep -q 'ready' "$TMP/sim.out" || { cat "$TMP/sim.err"; fail "$w: cam-sim did not start"; }
}
# bridge_run W LABEL [SIM-ARGS...]: cam-bridge --frames N against a fresh cam-sim; puts its
# figures under LABEL.
bridge_run() {
	local w=$1 label=$2 n cpu rss start rc sent got p50 p99
	shift 2
	n=$((SECS * FPS[$w]))
	start_sim "$w" "$@"
	: >"$TMP/bridge.flog"; : >"$TMP/ru"
	BENCH_FLOG=$TMP/bridge.flog timeout $((SECS * 4 + 30)) python3 "$BP" rusage "$TMP/ru" \
		"$BRIDGE" --name bench --source "bc-udp://admin:$PW@127.0.0.1:$DPORT/main?uid=$UID_" \
		--output /dev/null --format i420 --size "${SIZE[$w]}" --fps "${FPS[$w]}" \
		--hwaccel none --wake.mode=always --http off --frame-log "$TMP/bridge.flog" \
		--frames "$n" >"$TMP/bridge.err" 2>&1
	kill -TERM $SPID 2>/dev/null; wait $SPID 2>/dev/null
	read -r cpu rss start rc <"$TMP/ru" || { tail -5 "$TMP/bridge.err"; fail "$label: the bridge did not run"; }
	[ "$rc" = 0 ] || { tail -5 "$TMP/bridge.err"; fail "$label: the bridge exited with $rc"; }
	read -r sent got p50 p99 _ < <(python3 "$BP" frames "$TMP/sim.log" "$TMP/bridge.flog" "${NF[$w]}" $WARM $CAP)
	[ "$got" -gt 0 ] || fail "$label: no frame matched between cam-sim and the bridge"
	put "$label CPU ms/frame" "$(python3 -c "print($cpu * 1000 / $n)")"
	put "$label peak RSS MiB" "$(python3 -c "print($rss / 1024)")"
	[ "$start" -ge 0 ] && put "$label start to first frame ms" "$(python3 -c "print($start / 1000)")"
	put "$label delivered %" "$(python3 -c "print(100 * $got / $sent)")"
	put "$label latency p50 ms" "$p50"
	put "$label latency p99 ms" "$p99"
	LAST_CPU=$cpu LAST_P99=$p99
}
# ffmpeg_run W LABEL ARGS...: ffmpeg on W's file (N frames); CPU per frame and peak RSS.
ffmpeg_run() {
	local w=$1 label=$2 n
	shift 2
	n=$((SECS * FPS[$w]))
	: >"$TMP/ru"
	python3 "$BP" rusage "$TMP/ru" ffmpeg -nostdin -loglevel error -stream_loop -1 "$@" \
		-frames:v "$n" -y /dev/null
	read -r cpu rss _ rc <"$TMP/ru"
	[ "$rc" = 0 ] || fail "$label: ffmpeg exited with $rc"
	put "$label CPU ms/frame" "$(python3 -c "print($cpu * 1000 / $n)")"
	put "$label peak RSS MiB" "$(python3 -c "print($rss / 1024)")"
	LAST_CPU=$cpu
}

for ((run = 1; run <= RUNS; run++)); do
	want runs || break
	echo "run $run/$RUNS: load $(load)"
	for w in "${WL[@]}"; do
		f=${FILE[$w]}
		bridge_run "$w" "$w bridge"; b=$LAST_CPU p99b=$LAST_P99
		ffmpeg_run "$w" "$w ffmpeg -threads 1 null" -threads 1 -i "$f" -f null; fl=$LAST_CPU
		ffmpeg_run "$w" "$w ffmpeg yuv420p" -i "$f" -pix_fmt yuv420p -f rawvideo; y4=$LAST_CPU
		ffmpeg_run "$w" "$w ffmpeg yuyv422" -i "$f" -pix_fmt yuyv422 -f rawvideo; yy=$LAST_CPU
		put "$w ratio bridge/decode floor" "$(python3 -c "print($b / $fl)")"
		put "$w ratio bridge/ffmpeg yuv420p" "$(python3 -c "print($b / $y4)")"
		put "$w ratio bridge/ffmpeg yuyv422" "$(python3 -c "print($b / $yy)")"
		put "$w latency p99 - decode floor ms" "$(python3 -c "print($p99b - $fl * 1000 / $((SECS * FPS[$w])))")"
	done
	for loss in 1 5 10; do
		bridge_run $LW "$LW loss $loss%" --loss $loss --seed $run
	done
done

# ---- MJPEG viewers -------------------------------------------------------------------------
mjpeg() {
	w=$VW
	echo
	echo "MJPEG viewers at ${SIZE[$w]}@${FPS[$w]}: load $(load)"
	cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
	start_sim $w
	HP=$(free_port)
	"$BRIDGE" --name bench --source "bc-udp://admin:$PW@127.0.0.1:$DPORT/main?uid=$UID_" \
		--output /dev/null --size "${SIZE[$w]}" --fps "${FPS[$w]}" --hwaccel none --wake.mode=always \
		--http 127.0.0.1:$HP --http.max_connections=64 --frame-log "$TMP/bridge.flog" \
		>"$TMP/bridge.err" 2>&1 &
	BPID=$!; PIDS+=($BPID)
	WAIT_SECS=30 wait_for bash -c "grep -q ' new\$' '$TMP/bridge.flog'" ||
		{ tail "$TMP/bridge.err"; fail "viewers: no camera frame reached the output"; }
	for ((run = 1; run <= (RUNS < 3 ? RUNS : 3); run++)); do
		for n in $VIEWERS; do
			VP=()
			for ((i = 0; i < n; i++)); do
				curl -s -o /dev/null --max-time $((VSECS + 4)) "http://127.0.0.1:$HP/stream" &
				VP+=($!); PIDS+=($!)
			done
			sleep 1
			t0=$(wall_us); b0=$(cpu_ticks $BPID)
			sleep "$VSECS"
			t1=$(wall_us); b1=$(cpu_ticks $BPID)
			kill -0 $BPID 2>/dev/null || fail "viewers $n: the bridge died"
			[ ${#VP[@]} -gt 0 ] && { kill "${VP[@]}" 2>/dev/null; wait "${VP[@]}" 2>/dev/null; }
			put "MJPEG bridge CPU % with $n viewers" "$(python3 -c "print(100 * ($b1 - $b0) / $HZ / (($t1 - $t0) / 1e6))")"
		done
		set -- $VIEWERS
		put "MJPEG ratio $3 viewers / 1 viewer" "$(awk -F'\t' -v a="MJPEG bridge CPU % with $3 viewers" -v b="MJPEG bridge CPU % with 1 viewers" \
			'$1 == a {x = $2} $1 == b {y = $2} END {print (y > 0 ? x / y : 0)}' <(tail -3 "$RES"))"
	done
	kill -TERM $BPID $SPID 2>/dev/null; wait $BPID $SPID 2>/dev/null
}
want mjpeg && mjpeg

# ---- cameras on this machine ---------------------------------------------------------------
# scale_run C: C pairs of cam-sim + cam-bridge at 640x360@15 for SECS*2 s after all started;
# puts the worst bridge's share of its camera's frames; returns 1 when it is under 95 %.
scale_run() {
	local c=$1 i d sp=() bp=() worst
	local dir=$TMP/scale.$c
	mkdir -p "$dir"
	for ((i = 0; i < c; i++)); do
		d=$(free_port)
		"$SIM" --listen 127.0.0.1 --disc-port "$d" --tcp-port -1 --uid $UID_ --password $PW \
			--source "${FILE[360p]}" --size 640x360 --fps 15 --frame-log "$dir/sim.$i" \
			>/dev/null 2>"$dir/sim.err.$i" &
		sp+=($!); PIDS+=($!)
		"$BRIDGE" --name "cam$i" --source "bc-udp://admin:$PW@127.0.0.1:$d/main?uid=$UID_" \
			--output /dev/null --size 640x360 --fps 15 --hwaccel none --wake.mode=always \
			--http off --frame-log "$dir/flog.$i" >"$dir/bridge.err.$i" 2>&1 &
		bp+=($!); PIDS+=($!)
		((i % 8 == 7)) && sleep 0.5   # a start-up storm is not what is measured
	done
	WAIT_SECS=$((60 + c)) wait_for bash -c "for i in \$(seq 0 $((c - 1))); do grep -q ' new\$' $dir/flog.\$i 2>/dev/null || exit 1; done" ||
		echo "scale $c: not every bridge wrote a frame within $((60 + c)) s"
	sleep $((SECS * 2 + 1))
	for ((i = 0; i < c; i++)); do
		kill -0 "${bp[$i]}" 2>/dev/null || { tail -3 "$dir/bridge.err.$i"; fail "scale $c: bridge $i died"; }
	done
	kill -TERM "${bp[@]}" 2>/dev/null; wait "${bp[@]}" 2>/dev/null
	kill -TERM "${sp[@]}" 2>/dev/null; wait "${sp[@]}" 2>/dev/null
	worst=100
	for ((i = 0; i < c; i++)); do
		read -r sent got _ < <(python3 "$BP" frames "$dir/sim.$i" "$dir/flog.$i" "${NF[360p]}" 0 $CAP)
		[ "$sent" -gt 0 ] || { echo "scale $c: camera $i sent nothing"; worst=0; continue; }
		worst=$(python3 -c "print(min($worst, 100 * $got / $sent))")
	done
	rm -rf "$dir"
	put "cameras: worst delivered % at $c" "$worst"
	echo "scale: $c cameras of 640x360@15, worst bridge $worst % of its frames (load $(load))"
	python3 -c "import sys; sys.exit(0 if $worst >= 95 else 1)"
}
echo
if ! want scale; then
	:
elif [ "${BENCH_SCALE:-0}" = 1 ]; then
	held=0
	for c in 32 64 96 128 160; do
		scale_run $c || break
		held=$c
	done
	put "cameras held (>= 95 % each)" $held
else
	scale_run "$CAMS" || true
fi

# ---- the table -----------------------------------------------------------------------------
echo
echo "bench: load at end $(load)"
python3 "$BP" table "$RES"
cp "$RES" "$BUILD/bench-results.tsv" 2>/dev/null && echo "(every sample: $BUILD/bench-results.tsv)"
echo "bench: done"
