#!/bin/bash
# SIGTERM while the session waits on a blocking step must end the bridge at once (issue 9
# item 8): during discovery of a camera that never answers (connect timeout 15 s), and while
# waiting for the login reply of a camera that accepted the TCP connection and went silent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/e2e_lib.sh"
need_prog "$BRIDGE"
LIMIT_MS=${LIMIT_MS:-1500}

# stop_after LABEL URL: starts the bridge, SIGTERM after 1.5 s, prints how long the exit took
stop_after() {
	local label=$1 url=$2 t0 t1 pid
	"$BRIDGE" --name "$label" --source "$url" --output /dev/null --size 320x180 --fps 15 \
		--http off --camera.connect_timeout_ms=15000 -v -v 2>"$TMP/$label.err" &
	pid=$!; PIDS+=($pid)
	sleep 1.5
	kill -0 $pid || { tail "$TMP/$label.err"; fail "$label: the bridge exited early"; }
	t0=$(wall_us)
	kill -TERM $pid
	wait $pid
	t1=$(wall_us)
	ms=$(( (t1 - t0) / 1000 ))
	echo "$label: exited $ms ms after SIGTERM"
	[ "$ms" -le "$LIMIT_MS" ] || { tail -n 5 "$TMP/$label.err"; fail "$label: SIGTERM took $ms ms"; }
}

# a UDP port that is bound but never answers (no ICMP either)
port=$(free_port)
python3 -c 'import socket,time,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1]))); time.sleep(60)' "$port" &
PIDS+=($!)
stop_after discovery "bc-udp://admin:pw@127.0.0.1:$port/main?uid=95270000NOBODY01"
grep -q 'camera found' "$TMP/discovery.err" && fail "discovery: found a camera that does not exist"
ok "SIGTERM during discovery: exit within $LIMIT_MS ms"

# a TCP camera that accepts and never says a word
port=$(free_port)
python3 -c '
import socket,time,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(4); c=[]
while True: c.append(s.accept()[0])' "$port" &
PIDS+=($!)
sleep 0.3
stop_after login "bc-tcp://admin:pw@127.0.0.1:$port/main"
ok "SIGTERM while waiting for a login reply: exit within $LIMIT_MS ms"

# On demand: a viewer comes and goes while the camera (asleep, 4 s to wake) is being
# discovered.  Once nobody watches (idle_seconds 1) discovery must stop: no login, no stream
# start — a battery camera is not woken up for nothing.
need_prog "$SIM"
[ -e /dev/video99 ] && skip "/dev/video99 exists here; the on-demand case needs a missing device"
UID_=95270000ONDEMAND
port=$(free_port)
"$SIM" --uid $UID_ --user admin --password pw --listen 127.0.0.1 --disc-port "$port" --tcp-port -1 \
	--size 320x180 --fps 15 --sleep-after 1 --wake-delay 4000 >"$TMP/sim.out" 2>"$TMP/sim.err" &
PIDS+=($!)
WAIT_SECS=10 wait_for grep -q '^cam-sim ready' "$TMP/sim.out" || fail "cam-sim did not start"
sleep 1.5   # asleep now
HP=$(free_port)
"$BRIDGE" --name ondemand --source "bc-udp://admin:pw@127.0.0.1:$port/main?uid=$UID_" \
	--output /dev/video99 --size 320x180 --fps 15 --http 127.0.0.1:$HP --wake.mode=on-demand \
	--wake.idle_seconds=1 -v -v 2>"$TMP/od.err" &
PIDS+=($!)
wait_for curl -fsS "http://127.0.0.1:$HP/api/v1/status" || fail "on-demand: no HTTP"
curl -sS --max-time 1 -o /dev/null "http://127.0.0.1:$HP/stream" 2>/dev/null
sleep 8   # the camera answers discovery 4 s after the first C2D_C, if anyone still asks
grep -q 'someone is watching' "$TMP/od.err" || fail "on-demand: the viewer did not wake the camera"
if grep -q 'logged in' "$TMP/od.err"; then
	fail "on-demand: logged in although the viewer had left during discovery"
fi
ok "on-demand: the viewer left during discovery: no login, the camera was not woken for nothing"
