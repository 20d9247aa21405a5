#!/bin/bash
# MQTT with a real broker (Debian's mosquitto on a loopback port the test picks) and the
# events.hook, cam-sim playing the camera:
#  - mosquitto_sub sees availability "online", the Home Assistant discovery messages (valid
#    JSON with the keys HA needs), the snapshot URL, motion ON and the event JSON, the camera
#    state, battery, motion OFF at the alarm's end, and an AI type's entity only once the
#    camera reports that type; a late subscriber gets the retained ones;
#  - the hook ran for the motion event with CAM_NAME / CAM_EVENT;
#  - the broker killed: the bridge keeps writing frames, logs the loss once, and when a broker
#    comes back on the port it reconnects and publishes "online" again by itself;
#  - a clean stop publishes availability "offline";
#  - no broker at all when the bridge starts: frames flow, and MQTT comes up with the broker;
#  - a broker that wants a login: mqtt.user + the mqtt-password credential get in, a wrong
#    password is logged once (never the password) and the video goes on.
. "$(dirname "$0")/lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || skip "mosquitto is not installed (make deps)"
command -v mosquitto_sub >/dev/null || skip "mosquitto-clients is not installed (make deps)"
MOSQ=$(command -v mosquitto || echo /usr/sbin/mosquitto)
PW=$EV_PW
BPORT=$(free_port)
HPORT=$(free_port)

cat >"$TMP/broker.conf" <<EOF
listener $BPORT 127.0.0.1
allow_anonymous true
persistence false
EOF
start_broker() {
	"$MOSQ" -c "$TMP/broker.conf" >>"$TMP/broker.log" 2>&1 &
	BROKER=$!; PIDS+=($BROKER)
	WAIT_SECS=10 wait_for mosquitto_pub -h 127.0.0.1 -p "$BPORT" -t probe -m x || fail "mosquitto did not start"
}
# sub FILE: every message on our topics, one "topic payload" line each
sub() {
	mosquitto_sub -h 127.0.0.1 -p "$BPORT" -v -t 'cam-bridge/#' -t 'homeassistant/#' >"$1" 2>&1 &
	PIDS+=($!)
	WAIT_SECS=10 wait_for probe "$1" || fail "mosquitto_sub did not subscribe"
}
probe() {   # until the subscriber is in, a message may go unseen: send until one arrives
	mosquitto_pub -h 127.0.0.1 -p "$BPORT" -t cam-bridge/probe -m ready
	sleep 0.2
	grep -q '^cam-bridge/probe ready' "$1"
}
seen() { WAIT_SECS=${2:-30} wait_for grep -qE "$1" "$SUBLOG"; }
frames() { grep -c ' new$' "$FLOG" 2>/dev/null || echo 0; }
FLOG=$TMP/bridge.frames

start_broker
SUBLOG=$TMP/sub1.log; sub "$SUBLOG"

cat >"$TMP/hook" <<EOF
#!/bin/sh
env > "$TMP/hook.\$CAM_EVENT_ID"
EOF
chmod 755 "$TMP/hook"

ev_sim_start 4 --control-fifo "$TMP/sim.fifo"
ev_bridge_start simtest bridge "$HPORT" --mqtt.host=127.0.0.1 --mqtt.port="$BPORT" \
	--events.hook="$TMP/hook"

seen '^cam-bridge/simtest/availability online$' || { cat "$TMP/bridge.err"; fail "no availability online"; }
ok "availability online"
seen '^homeassistant/binary_sensor/cam-bridge_simtest/motion/config ' || fail "no motion discovery"
seen '^homeassistant/sensor/cam-bridge_simtest/state/config ' || fail "no state discovery"
seen '^homeassistant/image/cam-bridge_simtest/snapshot/config ' || fail "no snapshot discovery"
python3 - "$SUBLOG" "$HPORT" <<'PY' || fail "discovery messages are not what Home Assistant needs"
import json, sys
msgs = {}
for line in open(sys.argv[1]):
    t, _, p = line.rstrip('\n').partition(' ')
    msgs[t] = p
m = json.loads(msgs['homeassistant/binary_sensor/cam-bridge_simtest/motion/config'])
assert m['state_topic'] == 'cam-bridge/simtest/motion', m
assert m['device_class'] == 'motion' and m['payload_on'] == 'ON' and m['payload_off'] == 'OFF'
assert m['availability_topic'] == 'cam-bridge/simtest/availability'
assert m['unique_id'] == 'cam-bridge_simtest_motion'
assert m['device']['identifiers'] == ['cam-bridge_simtest'] and m['device']['name'] == 'simtest'
s = json.loads(msgs['homeassistant/sensor/cam-bridge_simtest/state/config'])
assert s['state_topic'] == 'cam-bridge/simtest/state' and 'online' in s['options']
i = json.loads(msgs['homeassistant/image/cam-bridge_simtest/snapshot/config'])
assert i['url_topic'] == 'cam-bridge/simtest/snapshot_url'
url = 'http://127.0.0.1:%s/snapshot.jpg' % sys.argv[2]
assert msgs['cam-bridge/simtest/snapshot_url'] == url, msgs.get('cam-bridge/simtest/snapshot_url')
PY
ok "HA discovery: binary_sensor motion, sensor state, image with the snapshot URL"
curl -fsS -o "$TMP/snap.jpg" "$(grep '^cam-bridge/simtest/snapshot_url ' "$SUBLOG" | tail -n1 | cut -d' ' -f2)" \
	|| fail "the published snapshot URL does not serve a picture"

seen '^cam-bridge/simtest/motion ON$' || fail "no motion ON"
seen '^cam-bridge/simtest/event \{.*"type":"motion"' || fail "no motion event JSON"
python3 - "$SUBLOG" <<'PY' || fail "event JSON"
import json, sys
for line in open(sys.argv[1]):
    t, _, p = line.rstrip('\n').partition(' ')
    if t == 'cam-bridge/simtest/event':
        e = json.loads(p)
        assert e['camera'] == 'simtest' and e['id'] >= 1, e
        if e['type'] == 'motion':
            break
else:
    sys.exit(1)
PY
ok "motion ON and the event JSON"
seen '^cam-bridge/simtest/state online$' || fail "no state online"
seen '^cam-bridge/simtest/battery [0-9]+$' || fail "no battery level"
seen '^homeassistant/sensor/cam-bridge_simtest/battery/config ' || fail "no battery entity"
seen '^cam-bridge/simtest/motion OFF$' || fail "no motion OFF at the alarm's end"
grep -q '^homeassistant/binary_sensor/cam-bridge_simtest/people/config ' "$SUBLOG" \
	&& fail "a Person entity before the camera reported people"
timeout 10 sh -c "echo 'alarm people 1' > '$TMP/sim.fifo'" || fail "cam-sim control FIFO"
seen '^homeassistant/binary_sensor/cam-bridge_simtest/people/config ' || fail "no Person entity"
seen '^cam-bridge/simtest/people ON$' || fail "no people ON"
seen '^cam-bridge/simtest/people OFF$' || fail "no people OFF"
ok "camera events: state online, battery and its entity, motion OFF, people ON/OFF and its entity"
WAIT_SECS=20 wait_for sh -c "grep -l '^CAM_EVENT=motion$' '$TMP'/hook.* " || fail "the hook did not run for motion"
f=$(grep -l '^CAM_EVENT=motion$' "$TMP"/hook.* | head -n1)
grep -q '^CAM_NAME=simtest$' "$f" || fail "hook: CAM_NAME"
grep -q "$PW" "$TMP"/hook.* && fail "the camera password reached the hook's environment"
ok "hook ran for motion"

# retained: a subscriber arriving now still gets them
mosquitto_sub -h 127.0.0.1 -p "$BPORT" -v -t 'cam-bridge/simtest/availability' \
	-t 'homeassistant/binary_sensor/cam-bridge_simtest/motion/config' -C 2 -W 10 \
	>"$TMP/late.log" 2>&1 || fail "late subscriber got no retained messages: $(cat "$TMP/late.log")"
grep -q '^cam-bridge/simtest/availability online$' "$TMP/late.log" || fail "availability not retained"
grep -q '^homeassistant/binary_sensor/' "$TMP/late.log" || fail "discovery not retained"
ok "availability and discovery retained"

# The broker goes away: video goes on, the loss is logged once.
kill "$BROKER"; wait "$BROKER" 2>/dev/null
f0=$(frames); sleep 6; f1=$(frames)
[ $((f1 - f0)) -ge 30 ] || fail "only $((f1 - f0)) frames in 6 s while the broker was away"
kill -0 "$BRIDGE_PID" || fail "the bridge died with the broker"
n=$(grep -c 'MQTT: broker' "$TMP/bridge.err")
[ "$n" -eq 1 ] || fail "broker loss logged $n times (want once): $(grep MQTT "$TMP/bridge.err")"
metric() { curl -fsS "http://127.0.0.1:$HPORT/metrics" | awk -v m="cam_bridge_$1" 'index($0, m "{") == 1 {print $NF}'; }
[ "$(metric mqtt_connected)" = 0 ] || fail "metrics: mqtt_connected is not 0 while the broker is away"
ok "broker away: $((f1 - f0)) frames in 6 s, logged once"

# It comes back: the bridge reconnects by itself and says it is online again.
start_broker
SUBLOG=$TMP/sub2.log; sub "$SUBLOG"
seen '^cam-bridge/simtest/availability online$' 60 || fail "no reconnect after the broker came back"
[ "$(grep -c 'MQTT: connected' "$TMP/bridge.err")" -eq 2 ] || fail "reconnect not logged once"
seen '^homeassistant/binary_sensor/cam-bridge_simtest/motion/config ' || fail "no discovery after reconnect"
[ "$(metric mqtt_connected)" = 1 ] || fail "metrics: mqtt_connected is not 1 after the reconnect"
[ "$(metric mqtt_connects_total)" = 2 ] || fail "metrics: mqtt_connects_total is not 2"
ok "reconnected by itself"

kill "$BRIDGE_PID"; wait "$BRIDGE_PID" 2>/dev/null
seen '^cam-bridge/simtest/availability offline$' 10 || fail "no availability offline at a clean stop"
[ "$(grep -c 'MQTT: broker' "$TMP/bridge.err")" -eq 1 ] || fail "the clean stop was logged as a broker loss"
grep -q "$PW" "$TMP/bridge.err" && fail "the password appears in the bridge's log"
ok "clean stop: availability offline"

# No broker when the bridge starts: the video does not wait for it, MQTT follows later.
kill "$BROKER"; wait "$BROKER" 2>/dev/null
FLOG=$TMP/bridge2.frames
ev_bridge_start simtest bridge2 "$HPORT" --mqtt.host=127.0.0.1 --mqtt.port="$BPORT"
WAIT_SECS=30 wait_for sh -c "[ \$(grep -c ' new\$' '$FLOG') -ge 45 ]" || fail "no video while the broker is missing"
[ "$(grep -c 'MQTT: broker' "$TMP/bridge2.err")" -eq 1 ] || fail "missing broker not logged exactly once"
start_broker
SUBLOG=$TMP/sub3.log; sub "$SUBLOG"
seen '^cam-bridge/simtest/availability online$' 60 || fail "no connect once the broker appeared"
ok "broker missing at start: video first, MQTT when the broker appears"

# A broker with logins: the password from the systemd credential mqtt-password.
kill "$BRIDGE_PID"; wait "$BRIDGE_PID" 2>/dev/null
kill "$BROKER"; wait "$BROKER" 2>/dev/null
MPW=mq-Pa55-word
mosquitto_passwd -c -b "$TMP/passwd" cam "$MPW" >/dev/null 2>&1 || fail "mosquitto_passwd"
cat >"$TMP/broker.conf" <<EOF
listener $BPORT 127.0.0.1
allow_anonymous false
password_file $TMP/passwd
user $(id -un)
persistence false
EOF
"$MOSQ" -c "$TMP/broker.conf" >>"$TMP/broker.log" 2>&1 &
BROKER=$!; PIDS+=($BROKER)
WAIT_SECS=10 wait_for mosquitto_pub -h 127.0.0.1 -p "$BPORT" -u cam -P "$MPW" -t probe -m x \
	|| fail "mosquitto with logins did not start"
mosquitto_sub -h 127.0.0.1 -p "$BPORT" -u cam -P "$MPW" -v -t 'cam-bridge/#' >"$TMP/sub4.log" 2>&1 &
PIDS+=($!)
mkdir -p "$TMP/creds"
printf '%s\n' "$MPW" >"$TMP/creds/mqtt-password"; chmod 600 "$TMP/creds/mqtt-password"
CREDENTIALS_DIRECTORY=$TMP/creds ev_bridge_start simtest bridge3 "$HPORT" \
	--mqtt.host=127.0.0.1 --mqtt.port="$BPORT" --mqtt.user=cam
SUBLOG=$TMP/sub4.log
seen '^cam-bridge/simtest/availability online$' 30 || fail "no login with the mqtt-password credential: $(grep MQTT "$TMP/bridge3.err")"
kill "$BRIDGE_PID"; wait "$BRIDGE_PID" 2>/dev/null
printf 'wrong\n' >"$TMP/mqpw"; chmod 600 "$TMP/mqpw"
FLOG=$TMP/bridge4.frames
ev_bridge_start simtest bridge4 "$HPORT" --mqtt.host=127.0.0.1 --mqtt.port="$BPORT" \
	--mqtt.user=cam --mqtt.password_file="$TMP/mqpw"
WAIT_SECS=30 wait_for grep -q 'MQTT: broker.*not authori' "$TMP/bridge4.err" \
	|| fail "a refused login is not logged: $(grep MQTT "$TMP/bridge4.err")"
f0=$(frames); sleep 4; f1=$(frames)
[ $((f1 - f0)) -ge 20 ] || fail "only $((f1 - f0)) frames in 4 s with the login refused"
[ "$(grep -c 'MQTT: broker' "$TMP/bridge4.err")" -eq 1 ] || fail "refused login logged more than once"
grep -qE "$MPW|wrong" "$TMP"/bridge3.err "$TMP"/bridge4.err && fail "an MQTT password appears in the log"
ok "login: credential accepted, wrong password refused and logged once, video unaffected"
