#!/bin/bash
# bc-p2p:// — connecting to a camera by UID through (simulated) P2P servers.  Two network
# namespaces joined by a veth: 10.77.0.1 runs p2p-sim (lookup, register, relay) and cam-sim,
# 10.77.0.2 runs cam-bridge with only p2p-sim in its server list.  The bridge's namespace has
# no other route, so nothing can ever reach a real Reolink server.
#   dev       : register answer names the camera; C2D_T → D2C_CFM from cam-sim's session socket
#   relay     : no dev address; the relay discovers cam-sim itself and forwards both ways
#   both      : dev and relay offered; the direct path must win
#   unknown   : a UID the lookup server does not know → a clear error, no camera session
# Frames must arrive with their markers in order and without gaps.
. "$(dirname "$0")/lib.sh"
P2PSIM=$BUILD/tools/p2p-sim
need_prog "$BRIDGE"; need_prog "$SIM"; need_prog "$P2PSIM"
[ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
ip netns add cbpprobe$$ 2>/dev/null || skip "cannot create network namespaces here"
ip netns del cbpprobe$$
make_netns_pair cbp$$
UID_=95270000P2PCAM01
PW=p2p-Pa55word
SRV=10.77.0.1
DISC=2018 LOOKUP=9999 REG=58200 RELAY=58100

# start_servers LABEL P2P-SIM-ARGS...: cam-sim and p2p-sim in NS_A, fresh for every case.
start_servers() {
	local label=$1; shift
	ip netns exec "$NS_A" "$SIM" --listen $SRV --disc-port $DISC --tcp-port -1 --uid $UID_ \
		--user admin --password "$PW" --source live --codec h264 --size 640x360 --fps 15 \
		--frame-log "$TMP/$label.sim.frames" >"$TMP/$label.sim.err" 2>&1 &
	SIM_PID=$!; PIDS+=($SIM_PID)
	ip netns exec "$NS_A" "$P2PSIM" --lookup $SRV:$LOOKUP --register $SRV:$REG \
		--camera $SRV:$DISC --uid $UID_ "$@" >"$TMP/$label.p2p.err" 2>&1 &
	P2P_PID=$!; PIDS+=($P2P_PID)
	WAIT_SECS=5 wait_for grep -q '^p2p-sim: ready' "$TMP/$label.p2p.err" ||
		{ cat "$TMP/$label.p2p.err"; fail "$label: p2p-sim did not start"; }
	WAIT_SECS=5 wait_for grep -q 'up on' "$TMP/$label.sim.err" ||
		{ cat "$TMP/$label.sim.err"; fail "$label: cam-sim did not start"; }
}

stop_servers() {
	kill "$SIM_PID" "$P2P_PID" 2>/dev/null
	wait "$SIM_PID" "$P2P_PID" 2>/dev/null
}

# run_case LABEL VIA P2P-SIM-ARGS...: VIA is what the bridge must report ("dev", "relay").
run_case() {
	local label=$1 via=$2 out=$TMP/$1.yuv log=$TMP/$1.frames n; shift 2
	start_servers "$label" "$@"
	if ! timeout 60 ip netns exec "$NS_B" "$BRIDGE" --name p2ptest \
		--source "bc-p2p://admin:$PW@$UID_" --camera.p2p_servers=$SRV:$LOOKUP \
		--output "$out" --frames 40 --size 640x360 --fps 15 --http off \
		--frame-log "$log" >"$TMP/$label.err" 2>&1; then
		tail -n 20 "$TMP/$label.err"; tail -n 20 "$TMP/$label.p2p.err"; tail -n 5 "$TMP/$label.sim.err"
		fail "$label: bridge did not write 40 frames"
	fi
	stop_servers
	grep -q "$PW" "$TMP/$label.err" && fail "$label: the password appears in the bridge's log"
	grep -q "reached over P2P via $via at" "$TMP/$label.err" ||
		{ cat "$TMP/$label.err"; fail "$label: bridge did not connect via $via"; }
	grep -q "C2R_CFM sid [0-9]* conn $( [ "$via" = relay ] && echo relay || echo local)" \
		"$TMP/$label.p2p.err" || fail "$label: no C2R_CFM reached the register server"
	n=$(camera_frames "$log" "$out" 640x360) || fail "$label: $n"
	[ "$n" -ge 40 ] || fail "$label: only $n distinct camera frames in the output"
	ok "$label: via $via, $n frames, markers in order, no gaps"
}

run_case dev dev
grep -q 'relay: ' "$TMP/dev.p2p.err" && fail "dev: the relay was used"

run_case relay relay --relay $SRV:$RELAY --no-dev
grep -q 'relay: session sid [0-9]* open' "$TMP/relay.p2p.err" || fail "relay: no relay session"

run_case both dev --relay $SRV:$RELAY

# A UID nobody knows: the bridge must say so (and never reach the camera).
start_servers unknown
timeout 8 ip netns exec "$NS_B" "$BRIDGE" --name p2ptest \
	--source "bc-p2p://admin:$PW@95270000NOSUCHID" --camera.p2p_servers=$SRV:$LOOKUP \
	--output "$TMP/unknown.yuv" --frames 40 --size 640x360 --fps 15 --http off \
	>"$TMP/unknown.err" 2>&1
stop_servers
grep -q 'do not know UID 95270000NOSUCHID' "$TMP/unknown.err" ||
	{ cat "$TMP/unknown.err"; fail "unknown: no clear 'unknown UID' error"; }
grep -q 'lookup: C2M_Q uid 95270000NOSUCHID .*unknown' "$TMP/unknown.p2p.err" ||
	fail "unknown: the lookup server was not asked"
grep -q 'register: C2R_C' "$TMP/unknown.p2p.err" && fail "unknown: the bridge registered anyway"
grep -q 'udp session' "$TMP/unknown.sim.err" && fail "unknown: a camera session was opened"
ok "unknown: UID not known to the P2P servers is reported"
exit 0
