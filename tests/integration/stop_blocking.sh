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
