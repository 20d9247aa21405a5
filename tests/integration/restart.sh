#!/bin/bash
# SIGKILL of the bridge, then start it again at once (what systemd's Restart=on-failure does
# after a crash): with the same FIFO output, the same HTTP port and the same camera (cam-sim,
# which still holds the dead bridge's session), the first camera frame must be written within
# 3 s of the new process starting, three times in a row; the frames are the camera's, in order,
# and the HTTP port is served again (nothing left behind by the killed process).
# (The loopback-device variant of this test is in the VM test.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/e2e_lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
command -v curl >/dev/null || skip "curl is not installed"

UID_=95270000RESTART1
PW=r3start-Pa55
FPS=15 SIZE=320x180
LIMIT_MS=${RESTART_LIMIT_MS:-3000}
DPORT=$(free_port) HP=$(free_port)
URL="bc-udp://admin:$PW@127.0.0.1:$DPORT/main?uid=$UID_"

"$SIM" --listen 127.0.0.1 --disc-port "$DPORT" --tcp-port -1 --uid $UID_ --password "$PW" \
	--size 640x360 --fps $FPS --frame-log "$TMP/sim.log" -v >"$TMP/sim.err" 2>&1 &
PIDS+=($!)
WAIT_SECS=10 wait_for grep -q '^cam-sim ready' "$TMP/sim.err" || { cat "$TMP/sim.err"; fail "cam-sim did not start"; }

# The consumer of the FIFO opens it read-write, so it never sees end-of-file when a writer dies
# and a new writer's open() finds a reader at once (like a long-running consumer would).
mkfifo "$TMP/out.fifo"
cat <>"$TMP/out.fifo" >/dev/null &
PIDS+=($!)

# start_bridge N: starts bridge number N (frame log $TMP/fN, stderr $TMP/bN.err); sets BPID.
start_bridge() {
	"$BRIDGE" --name restart --source "$URL" --output "$TMP/out.fifo" --size $SIZE --fps $FPS \
		--hwaccel none --http "127.0.0.1:$HP" --frame-log "$TMP/f$1" -v -v >"$TMP/b$1.err" 2>&1 &
	BPID=$!; PIDS+=($BPID)
}

start_bridge 0
WAIT_SECS=20 wait_for bash -c "[ \$(grep -c ' new\$' '$TMP/f0') -ge 30 ]" ||
	{ tail -n 20 "$TMP/b0.err"; fail "the first bridge wrote no 30 camera frames"; }
times=()
for n in 1 2 3; do
	prev=$((n - 1))
	kill -KILL $BPID; wait $BPID 2>/dev/null
	last=$(awk '$3 == "new" {m = $1} END {print m}' "$TMP/f$prev")
	t0=$(wall_us)
	start_bridge $n
	WAIT_SECS=$((LIMIT_MS / 1000 + 15)) wait_for grep -q ' new$' "$TMP/f$n" ||
		{ tail -n 30 "$TMP/b$n.err"; tail -n 5 "$TMP/sim.err"; fail "restart $n: no camera frame at all"; }
	ms=$(( ($(wall_us) - t0) / 1000 ))
	times+=("$ms")
	echo "   restart $n: first camera frame after $ms ms"
	[ "$ms" -le "$LIMIT_MS" ] || { grep -v ' frame ' "$TMP/b$n.err" | tail -n 20; tail -n 8 "$TMP/sim.err";
		fail "restart $n: first camera frame $ms ms after the start (limit $LIMIT_MS ms)"; }
	# Streaming goes on: 30 more camera frames, in order, all newer than before the kill.
	WAIT_SECS=15 wait_for bash -c "[ \$(grep -c ' new\$' '$TMP/f$n') -ge 30 ]" ||
		fail "restart $n: the stream did not go on"
	python3 - "$TMP/f$n" "$last" "$TMP/sim.log" <<'PY' || fail "restart $n: frames"
import sys
new = [int(l.split()[0]) for l in open(sys.argv[1]) if l.split()[2:3] == ['new']]
sent = {int(l.split()[0]) for l in open(sys.argv[3]) if l.strip()}
if any(b <= a for a, b in zip(new, new[1:])): sys.exit("markers out of order")
if new[0] <= int(sys.argv[2]): sys.exit(f"marker {new[0]} is not newer than the last before the kill")
if not set(new) <= sent: sys.exit("a marker the camera never sent")
PY
	curl -fsS --max-time 5 "http://127.0.0.1:$HP/healthz" >/dev/null ||
		fail "restart $n: HTTP port $HP not served by the new process"
done
kill -TERM $BPID; wait $BPID || fail "exit status after SIGTERM"
ok "SIGKILL + restart, 3 times: first camera frame after ${times[*]} ms (limit $LIMIT_MS), in order, HTTP back"
