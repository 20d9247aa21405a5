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
#    password is logged once (never the password) and the video goes on;
#  - TLS with a private CA (made here with the openssl command): a listener that wants a client
#    certificate and a login; mqtt.ca_file + cert_file/key_file get in and publish the state,
#    discovery and motion topics, which a TLS subscriber sees; a wrong CA is logged once, as
#    an error naming the certificate check and the file, the video goes on, the bridge retries;
#    without a client certificate the error says the broker wants one.
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
# login_broker "MORE CONFIG LINES" CLIENT_OPTION…: mosquitto on $BPORT with logins (cam and
# $MPW), waited for with mosquitto_pub and those options.
login_broker() {
	local more=$1
	shift
	printf 'listener %s 127.0.0.1\n%sallow_anonymous false\npassword_file %s\nuser %s\npersistence false\n' \
		"$BPORT" "$more" "$TMP/passwd" "$(id -un)" >"$TMP/broker.conf"
	"$MOSQ" -c "$TMP/broker.conf" >>"$TMP/broker.log" 2>&1 &
	BROKER=$!; PIDS+=($BROKER)
	WAIT_SECS=10 wait_for mosquitto_pub -h 127.0.0.1 -p "$BPORT" "$@" -t probe -m x \
		|| fail "mosquitto with logins did not start: $(tail -n 5 "$TMP/broker.log")"
}
login_broker "" -u cam -P "$MPW"
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

# TLS: a CA and the broker's certificate for 127.0.0.1 signed by it, a client certificate, and
# another CA that signed nothing of this broker's.
command -v openssl >/dev/null || fail "openssl is not installed"
kill "$BRIDGE_PID"; wait "$BRIDGE_PID" 2>/dev/null
kill "$BROKER"; wait "$BROKER" 2>/dev/null
T=$TMP/tls; mkdir "$T"
newkey() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" -subj "/CN=$1" "${@:2}"; }
newca() { newkey "$1" -x509 -days 2 -out "$T/$1.pem"; }
signed() {   # NAME CA EXTENSION
	newkey "$1" -out "$T/$1.csr" && printf '%s\n' "$3" >"$T/$1.ext" &&
	openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.pem" -CAkey "$T/$2.key" -set_serial "$RANDOM" \
		-days 2 -extfile "$T/$1.ext" -out "$T/$1.pem"
}
{ newca ca && newca otherca && signed broker ca "subjectAltName=IP:127.0.0.1" &&
  signed client ca "extendedKeyUsage=clientAuth"; } >"$T/openssl.log" 2>&1 \
	|| fail "openssl could not make the test certificates: $(cat "$T/openssl.log")"
TLSC=(--cafile "$T/ca.pem" --cert "$T/client.pem" --key "$T/client.key" -u cam -P "$MPW")
login_broker "$(printf 'cafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate true' \
	"$T/ca.pem" "$T/broker.pem" "$T/broker.key")
" "${TLSC[@]}"
mosquitto_sub -h 127.0.0.1 -p "$BPORT" "${TLSC[@]}" -v -t 'cam-bridge/#' -t 'homeassistant/#' \
	>"$TMP/sub5.log" 2>&1 &
PIDS+=($!)
printf '%s\n' "$MPW" >"$TMP/mqpw"
TLSB=(--mqtt.host=127.0.0.1 --mqtt.port="$BPORT" --mqtt.user=cam --mqtt.password_file="$TMP/mqpw"
	--mqtt.cert_file="$T/client.pem" --mqtt.key_file="$T/client.key")
ev_bridge_start simtest bridge5 "$HPORT" "${TLSB[@]}" --mqtt.ca_file="$T/ca.pem"
SUBLOG=$TMP/sub5.log
seen '^cam-bridge/simtest/availability online$' 30 || fail "no TLS connection with mqtt.ca_file: $(grep MQTT "$TMP/bridge5.err")"
seen '^homeassistant/binary_sensor/cam-bridge_simtest/motion/config ' || fail "TLS: no motion discovery"
seen '^cam-bridge/simtest/state online$' || fail "TLS: no state online"
seen '^cam-bridge/simtest/motion ON$' || fail "TLS: no motion ON"
ok "TLS with a private CA and a client certificate: state, discovery and motion published"

# The wrong CA: the broker's certificate fails the check, the video goes on, the bridge retries.
kill "$BRIDGE_PID"; wait "$BRIDGE_PID" 2>/dev/null
FLOG=$TMP/bridge6.frames
ev_bridge_start simtest bridge6 "$HPORT" "${TLSB[@]}" --mqtt.ca_file="$T/otherca.pem"
WAIT_SECS=30 wait_for grep -q 'MQTT: broker.*certificate check failed' "$TMP/bridge6.err" \
	|| fail "a wrong CA is not logged as a failed certificate check: $(grep MQTT "$TMP/bridge6.err")"
grep 'MQTT: broker' "$TMP/bridge6.err" | grep -qF "$T/otherca.pem" \
	|| fail "the CA file is not named: $(grep MQTT "$TMP/bridge6.err")"
n0=$(grep -c 'alert unknown ca' "$TMP/broker.log")
f0=$(frames); sleep 3; f1=$(frames)
[ $((f1 - f0)) -ge 15 ] || fail "only $((f1 - f0)) frames in 3 s with the broker's certificate refused"
n1=$(grep -c 'alert unknown ca' "$TMP/broker.log")
[ $((n1 - n0)) -ge 1 ] || fail "the bridge did not try again after the failed certificate check"
[ "$(grep -c 'MQTT: broker' "$TMP/bridge6.err")" -eq 1 ] \
	|| fail "the failed check was logged more than once: $(grep MQTT "$TMP/bridge6.err")"
grep -q '^<3>.*certificate check failed' "$TMP/bridge6.err" || fail "the failed certificate check is not logged as an error"
grep -q "$MPW" "$TMP"/bridge5.err "$TMP"/bridge6.err && fail "the MQTT password appears in the log"
ok "TLS, wrong CA: one error naming the certificate check and the file, $((f1 - f0)) frames in 3 s, $((n1 - n0)) retries"

# No client certificate for a broker that wants one: said so (after TLS 1.3's handshake the
# refusal arrives as an alert, which libmosquitto only writes to its log).
kill "$BRIDGE_PID"; wait "$BRIDGE_PID" 2>/dev/null
ev_bridge_start simtest bridge7 "$HPORT" --mqtt.host=127.0.0.1 --mqtt.port="$BPORT" --mqtt.ca_file="$T/ca.pem"
WAIT_SECS=30 wait_for grep -q '^<3>.*MQTT: broker.*the broker wants a client certificate' "$TMP/bridge7.err" \
	|| fail "a refused client certificate is not logged: $(grep MQTT "$TMP/bridge7.err")"
ok "TLS, no client certificate: the error says the broker wants one"
