#!/bin/bash
# cam-sim discovery by real broadcast: the camera in one network namespace, the probe in
# another, joined by a veth pair.  C2D_C to the subnet broadcast and to 255.255.255.255 on
# 2015 and 2018; the answer must come from the camera's session socket (not 2015/2018).
. "$(dirname "$0")/lib.sh"

need_prog "$SIM"
command -v python3 >/dev/null || skip "python3 not available"
command -v ip >/dev/null || skip "iproute2 not available"
make_netns_pair cbsim
# 255.255.255.255 needs a route out of the namespace
ip -n "$NS_B" route add default dev vcbsimb || skip "cannot add a route in the namespace"
PROBE="python3 $ROOT/tests/tools/sim_probe.py"
UID_=95270000NSSIMCAM

ip netns exec "$NS_A" "$SIM" --uid $UID_ --tcp-port -1 >"$TMP/sim.out" 2>"$TMP/sim.err" &
PIDS+=($!)
WAIT_SECS=10 wait_for grep -q '^cam-sim ready' "$TMP/sim.out" || { cat "$TMP/sim.err"; fail "cam-sim did not start"; }

for dst in 10.77.0.255 255.255.255.255; do
	for port in 2015 2018; do
		r=$(ip netns exec "$NS_B" $PROBE disc --host $dst --bind 0.0.0.0 --port $port --uid $UID_) ||
			fail "no answer to broadcast $dst:$port: $r"
		src=$(sed -n 's/.*src_port=\([0-9]*\).*/\1/p' <<<"$r")
		[ "$src" != 2015 ] && [ "$src" != 2018 ] || fail "answered from the discovery port: $r"
	done
done
ok "broadcast discovery on 2015 and 2018 over a veth pair"

r=$(ip netns exec "$NS_B" $PROBE disc --host 10.77.0.255 --bind 0.0.0.0 --port 2015 --uid OTHERUID --timeout 1) &&
	fail "unknown UID answered: $r"
ok "unknown UID ignored"

r=$(ip netns exec "$NS_B" $PROBE login --host 10.77.0.1 --bind 0.0.0.0 --port 2018 --uid $UID_ --video sub --seconds 2) ||
	fail "login over the veth: $r"
grep -q 'login rc=200' <<<"$r" || fail "login: $r"
ok "login and video across namespaces"
exit 0
