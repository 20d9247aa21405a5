#!/bin/bash
# make bench: every benchmark program in $BUILD/bench/, then end-to-end figures measured on
# this machine with cam-sim -> cam-bridge over BcUdp on loopback:
#   1. glass-to-output latency per frame (cam-sim's send time of a frame counter to the
#      bridge's first write of that marker; both CLOCK_MONOTONIC), median/p95/max, with the
#      bridge's CPU and output rate, at 1280x720@15 and 1920x1080@15;
#   2. the bridge's CPU with 1, 10 and 50 MJPEG viewers (curl reading /stream), the ratios,
#      and the output rate with 50 viewers.
# Prints measurements; fails only when a run did not happen (no frames, a program died).
# BENCH_SECONDS (default 20) sets the length of each latency run, BENCH_VIEW_SECONDS (8) of
# each viewer run.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/e2e_lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
SECS=${BENCH_SECONDS:-20}
VSECS=${BENCH_VIEW_SECONDS:-8}
WARM=2
HZ=$(getconf CLK_TCK)
UID_=95270000BENCHCAM PW=bench-pw
echo "bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. the benchmark programs ---------------------------------------------------------------
nprog=0
for b in "$BUILD"/bench/*; do
	[ -f "$b" ] && [ -x "$b" ] || continue
	echo
	echo "== $(basename "$b")"
	timeout 300 "$b" || fail "$(basename "$b") failed (exit $?)"
	nprog=$((nprog + 1))
done
[ $nprog -gt 0 ] || echo "(no benchmark programs in $BUILD/bench)"

# cpu_ticks PID: utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

start_pair() {   # SIZE EXTRA-BRIDGE-ARGS...: starts cam-sim and cam-bridge; sets SPID BPID HP
	local size=$1 dport
	shift
	dport=$(free_port); HP=$(free_port)
	: >"$TMP/sim.log"; : >"$TMP/bridge.flog"
	"$SIM" --listen 127.0.0.1 --disc-port "$dport" --tcp-port -1 --uid $UID_ --password $PW \
		--size "$size" --fps 15 --frame-log "$TMP/sim.log" >"$TMP/sim.err" 2>&1 &
	SPID=$!; PIDS+=($SPID)
	sleep 0.3
	"$BRIDGE" --name bench --source "bc-udp://admin:$PW@127.0.0.1:$dport/main?uid=$UID_" \
		--output /dev/null --size "$size" --fps 15 --hwaccel none --wake.mode=always \
		--http 127.0.0.1:$HP --frame-log "$TMP/bridge.flog" "$@" >"$TMP/bridge.err" 2>&1 &
	BPID=$!; PIDS+=($BPID)
	WAIT_SECS=20 wait_for bash -c "grep -q ' new\$' '$TMP/bridge.flog'" ||
		{ tail "$TMP/bridge.err" "$TMP/sim.err"; fail "$size: no camera frame reached the output"; }
}
stop_pair() {
	kill -TERM $BPID $SPID 2>/dev/null
	wait $BPID $SPID 2>/dev/null
}

# ---- 2. latency, CPU, output rate -----------------------------------------------------------
echo
echo "== end to end: cam-sim -> BcUdp (loopback) -> cam-bridge (software decode) -> /dev/null"
printf '%-10s %8s %8s %8s %8s %7s %9s %9s %9s\n' size frames median p95 max lost "out fps" "bridge" "cam-sim"
printf '%-10s %8s %8s %8s %8s %7s %9s %9s %9s\n' "" "" "ms" "ms" "ms" "" "" "CPU %" "CPU %"
for size in 1280x720 1920x1080; do
	start_pair $size
	sleep $WARM
	t0=$(now_us); b0=$(cpu_ticks $BPID); s0=$(cpu_ticks $SPID)
	sleep "$SECS"
	t1=$(now_us); b1=$(cpu_ticks $BPID); s1=$(cpu_ticks $SPID)
	kill -0 $BPID 2>/dev/null || fail "$size: the bridge died"
	stop_pair
	python3 - "$TMP/sim.log" "$TMP/bridge.flog" "$t0" "$t1" "$size" \
		"$(( (b1 - b0) ))" "$(( (s1 - s0) ))" "$HZ" <<'PY' || fail "$size: no measurement"
import sys
sim, flog = sys.argv[1], sys.argv[2]
t0, t1 = int(sys.argv[3]), int(sys.argv[4])
size, bt, st, hz = sys.argv[5], int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
sent = {}
for l in open(sim):
    f = l.split()
    if len(f) >= 4 and f[3] == 'main' and t0 <= int(f[1]) < t1:
        sent.setdefault(int(f[0]), int(f[1]))
first_new, writes = {}, 0
for l in open(flog):
    m, ts, kind = l.split()
    m, ts = int(m), int(ts)
    if t0 <= ts < t1 and kind != 'skipped': writes += 1
    if kind == 'new' and m not in first_new: first_new[m] = ts
lat = sorted((first_new[c] - t) / 1000 for c, t in sent.items() if c in first_new)
if len(lat) < 10: sys.exit(f"{size}: only {len(lat)} frames matched")
lost = sum(1 for c in sent if c not in first_new)
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
el = (t1 - t0) / 1e6
print(f"{size:<10} {len(lat):>8} {q(0.5):>8.1f} {q(0.95):>8.1f} {lat[-1]:>8.1f} {lost:>7} "
      f"{writes / el:>9.1f} {100 * bt / hz / el:>9.1f} {100 * st / hz / el:>9.1f}")
PY
done

# ---- 3. MJPEG viewers ---------------------------------------------------------------------------
VSIZE=1280x720
echo
echo "== MJPEG viewers: cam-bridge at $VSIZE@15 (file output /dev/null), N curl processes on /stream, ${VSECS} s each"
start_pair $VSIZE --http.max_connections=64
encodes() { curl -fsS "http://127.0.0.1:$HP/metrics" | awk '/^cam_bridge_mjpeg_encodes_total/ {print $2}'; }
declare -A CPU
printf '%8s %10s %12s %12s %14s %16s\n' viewers "bridge CPU" "out fps" "encodes/s" "viewer fps" "viewer Mbit/s"
for n in 0 1 10 50; do
	VP=()
	rm -f "$TMP"/viewer.*
	for ((i = 0; i < n; i++)); do
		curl -s -o /dev/null --max-time $((VSECS + WARM + 2)) -w '%{size_download}\n' \
			"http://127.0.0.1:$HP/stream" >"$TMP/viewer.$i" 2>/dev/null &
		VP+=($!); PIDS+=($!)
	done
	sleep $WARM
	t0=$(now_us); b0=$(cpu_ticks $BPID); e0=$(encodes); l0=$(lines "$TMP/bridge.flog")
	sleep "$VSECS"
	t1=$(now_us); b1=$(cpu_ticks $BPID); e1=$(encodes); l1=$(lines "$TMP/bridge.flog")
	kill -0 $BPID 2>/dev/null || fail "viewers $n: the bridge died"
	if [ $n -gt 0 ]; then
		# What one viewer received: a fresh viewer for 2 s after the run (markers per second).
		curl -s -o "$TMP/probe.mjpeg" --max-time 2 "http://127.0.0.1:$HP/stream" 2>/dev/null
		vfps=$(mjpeg_markers "$TMP/probe.mjpeg" $VSIZE | sort -u | grep -vc '^-1$')
		vfps=$(python3 -c "print(f'{$vfps / 2:.1f}')")
		wait "${VP[@]}" 2>/dev/null
		mbit=$(cat "$TMP"/viewer.* | python3 -c "import sys; v=[int(x) for x in sys.stdin if x.strip()]; print(f'{sum(v) * 8 / len(v) / ($VSECS + $WARM + 2) / 1e6:.1f}' if v else '-')")
	else
		vfps=- mbit=-
	fi
	el=$(python3 -c "print(($t1 - $t0) / 1e6)")
	CPU[$n]=$(python3 -c "print(f'{100 * ($b1 - $b0) / $HZ / $el:.1f}')")
	printf '%8s %9s%% %12s %12s %14s %16s\n' $n "${CPU[$n]}" \
		"$(python3 -c "print(f'{($l1 - $l0) / $el:.1f}')")" \
		"$(python3 -c "print(f'{(${e1:-0} - ${e0:-0}) / $el:.1f}')")" "$vfps" "$mbit"
done
stop_pair
python3 - "${CPU[1]}" "${CPU[10]}" "${CPU[50]}" "${CPU[0]}" <<'PY'
import sys
one, ten, fifty, zero = map(float, sys.argv[1:5])
print(f"bridge CPU ratio 10/1 viewers: {ten / one:.2f}x, 50/1 viewers: {fifty / one:.2f}x "
      f"(no viewer: {zero:.1f}%, so the MJPEG share is {one - zero:.1f}% / {ten - zero:.1f}% / {fifty - zero:.1f}%)")
PY
echo
echo "bench: done"
