#!/bin/bash
# A camera that restarts (its process killed, a new one answering discovery at once, as after
# a reboot): the bridge must stream the new camera's pictures within 3 s of the new camera
# being ready (issue 9 item 2: it took ~7.5 s of placeholder before).  Measured with the
# bridge's --frame-log (monotonic µs, the clock of now_us).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/e2e_lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
UID_=95270000RESTART1
PW=r3start-pw
port=$(free_port)
LIMIT_MS=${LIMIT_MS:-3000}

start_sim() {
	"$SIM" --uid $UID_ --user admin --password "$PW" --listen 127.0.0.1 --disc-port "$port" \
		--tcp-port -1 --size 320x180 --fps 15 >"$TMP/sim$1.out" 2>"$TMP/sim$1.err" &
	SPID=$!; PIDS+=($SPID)
	WAIT_SECS=10 wait_for grep -q '^cam-sim ready' "$TMP/sim$1.out" || fail "cam-sim $1 did not start"
}

start_sim 1
bg "$BRIDGE" --name restart --source "bc-udp://admin:$PW@127.0.0.1:$port/main?uid=$UID_" \
	--output /dev/null --size 320x180 --fps 15 --http off --frame-log "$TMP/frames.log" \
	2>"$TMP/bridge.err"
have_frames() { [ "$(grep -c ' new$' "$TMP/frames.log" 2>/dev/null)" -ge 30 ]; }
WAIT_SECS=30 wait_for have_frames || { tail "$TMP/bridge.err"; fail "no camera frames before the restart"; }

for round in 1 2; do
	kill -KILL $SPID; wait $SPID 2>/dev/null
	start_sim "r$round"
	t_ready=$(now_us)
	before=$(wc -l <"$TMP/frames.log")
	WAIT_SECS=30 wait_for awk -v t="$t_ready" '$3 == "new" && $2 > t {f=1} END {exit !f}' "$TMP/frames.log" ||
		{ tail "$TMP/bridge.err"; fail "round $round: no camera frame within 30 s of the restart"; }
	read -r gap ph < <(awk -v t="$t_ready" -v b="$before" '
		NR > b && $3 == "placeholder" {ph++}
		$3 == "new" && $2 > t {print int(($2 - t) / 1000), ph + 0; exit}' "$TMP/frames.log")
	echo "round $round: first new frame ${gap} ms after the new camera was ready ($ph placeholder frames)"
	[ "$gap" -le "$LIMIT_MS" ] || { tail "$TMP/bridge.err"; fail "round $round: stream back after $gap ms > $LIMIT_MS ms"; }
done
grep -q "$PW" "$TMP/bridge.err" && fail "the password appears in the bridge's log"
ok "camera restart noticed: stream back within $LIMIT_MS ms of the new camera answering"
