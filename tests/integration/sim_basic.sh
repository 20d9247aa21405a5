#!/bin/bash
# cam-sim on loopback, checked with an independent probe (tests/tools/sim_probe.py):
# discovery on every port answered from a different (session) source port, unknown UID
# ignored, login (right / wrong password), UDP and TCP video with the real chunk sizes and
# datagram limit, frame log, SIGUSR2 drop-off, sleep and wake-up, --help listing every option.
. "$(dirname "$0")/lib.sh"

need_prog "$SIM"
command -v python3 >/dev/null || skip "python3 not available"
PROBE="python3 $ROOT/tests/tools/sim_probe.py"
UID_=95270000ITSIMCAM

# Starts a sim with extra options; sets DISC_A DISC_B TCP from its ready line.
start_sim() {
	local out=$TMP/sim$1.out; shift
	bg "$SIM" --listen 127.0.0.1 --disc-port 0 --disc-port 0 --tcp-port 0 --uid $UID_ \
		--password s3cret --size 320x240 --sub-size 160x96 "$@" >"$out" 2>"$out.err"
	WAIT_SECS=10 wait_for grep -q '^cam-sim ready' "$out" || { cat "$out.err"; fail "cam-sim did not start"; }
	DISC_A=$(sed -n 's/^cam-sim ready: disc=\([0-9]*\),\([0-9]*\) tcp=\([0-9-]*\)$/\1/p' "$out")
	DISC_B=$(sed -n 's/^cam-sim ready: disc=\([0-9]*\),\([0-9]*\) tcp=\([0-9-]*\)$/\2/p' "$out")
	TCP=$(sed -n 's/^cam-sim ready: disc=\([0-9]*\),\([0-9]*\) tcp=\([0-9-]*\)$/\3/p' "$out")
	[ -n "$DISC_A" ] && [ -n "$DISC_B" ] && [ -n "$TCP" ] || fail "bad ready line: $(cat "$out")"
	SIM_PID=${PIDS[-1]}
}

# --help lists every option
help=$("$SIM" --help) || fail "--help failed"
for o in listen disc-port tcp-port uid user password encryption source codec size fps sub-size \
	 sub-fps battery sleep-after loss dup reorder delay jitter seed frame-log wake-delay \
	 motion-every alarm-type dropoff-seconds control-fifo charging drain audio gop; do
	grep -q -- "--$o\b" <<<"$help" || fail "--help does not mention --$o"
done
ok "--help lists every option"
"$SIM" --bogus >/dev/null 2>&1 && fail "unknown option accepted"
"$SIM" --size 33x20 >/dev/null 2>&1 && fail "odd size accepted"

start_sim 1 --frame-log "$TMP/frames.log" --dropoff-seconds 5

for port in $DISC_A $DISC_B; do
	r=$($PROBE disc --port "$port" --uid $UID_) || fail "no D2C_C_R on port $port: $r"
	src=$(sed -n 's/.*src_port=\([0-9]*\).*/\1/p' <<<"$r")
	grep -q 'rsp=0' <<<"$r" || fail "D2C_C_R rsp not 0: $r"
	[ -n "$src" ] && [ "$src" != "$port" ] || fail "D2C_C_R came from the discovery port ($r)"
done
ok "discovery on both ports answered from a session socket"

r=$($PROBE disc --port "$DISC_A" --uid 95270000NOTTHEONE --timeout 1.5) && fail "unknown UID answered: $r"
grep -q 'no reply' <<<"$r" || fail "probe error: $r"
ok "unknown UID gets no answer"

# one session at a time: a second client is ignored while the first is streaming; when the
# first leaves (C2D_DISC), the next C2D_C gets the camera
$PROBE login --port "$DISC_A" --uid $UID_ --password s3cret --video sub --seconds 5 >"$TMP/first.out" &
FIRST=$!
WAIT_SECS=10 wait_for grep -q 'login rc=200' "$TMP/first.out" || fail "first client: $(cat "$TMP/first.out")"
r=$($PROBE disc --port "$DISC_A" --uid $UID_ --timeout 1) && fail "second client answered while busy: $r"
wait $FIRST || fail "first client: $(cat "$TMP/first.out")"
r=$($PROBE disc --port "$DISC_A" --uid $UID_ --timeout 3) || fail "second client not answered after the first left: $r"
ok "busy camera ignores a second client until the first leaves"

r=$($PROBE login --port "$DISC_A" --uid $UID_ --password wrong --expect-fail) || fail "login probe: $r"
grep -q 'login rc=400 len=24' <<<"$r" || fail "wrong password: $r"
grep -q 'nonce rc=0xdd01 class=0x6614 nonce=0-' <<<"$r" || fail "nonce reply: $r"
ok "wrong password gets the 24-byte rc 400"

r=$($PROBE login --port "$DISC_B" --uid $UID_ --password s3cret --video main --seconds 3) || fail "udp video: $r"
grep -q 'login rc=200' <<<"$r" || fail "login: $r"
grep -q ' 78:1' <<<"$r" || fail "no msg 78 after login: $r"
grep -q ' 252:1' <<<"$r" || fail "no msg 252 after login: $r"
I=$(sed -n 's/.*frames I=\([0-9]*\) P=\([0-9]*\).*/\1/p' <<<"$r")
P=$(sed -n 's/.*frames I=\([0-9]*\) P=\([0-9]*\).*/\2/p' <<<"$r")
[ "${I:-0}" -ge 1 ] && [ "${P:-0}" -ge 20 ] || fail "too few frames over UDP: $r"
grep -q 'info=320x240@15 chunk_max=1010 ' <<<"$r" || fail "UDP InfoV2/chunks: $r"
dg=$(sed -n 's/.*dgram_max=\([0-9]*\).*/\1/p' <<<"$r")
[ "$dg" -le 1350 ] || fail "datagram over 1350 bytes: $r"
ok "UDP login and video ($I I + $P P frames, 1010-byte chunks, datagrams <= 1350)"

r=$($PROBE tcp --port "$TCP" --uid x --password s3cret --video sub --seconds 2) || fail "tcp video: $r"
grep -q 'login rc=200' <<<"$r" || fail "tcp login: $r"
grep -q 'info=160x96@10' <<<"$r" || fail "tcp sub stream: $r"
P=$(sed -n 's/.*frames I=\([0-9]*\) P=\([0-9]*\).*/\2/p' <<<"$r")
[ "${P:-0}" -ge 10 ] || fail "too few frames over TCP: $r"
ok "TCP login and sub stream video"

n=$(wc -l <"$TMP/frames.log")
[ "$n" -ge 40 ] || fail "frame log has $n lines"
awk 'NF != 6 || $4 !~ /^(main|sub)$/ || $5 !~ /^[IP]$/ { exit 1 }' "$TMP/frames.log" || fail "frame log format: $(head -3 "$TMP/frames.log")"
ok "frame log ($n lines)"

# drop-off: silent for 5 s, then answers discovery again
kill -USR2 "$SIM_PID"
WAIT_SECS=3 wait_for grep -q 'camera dropped off' "$TMP/sim1.out.err" || fail "no drop-off"
r=$($PROBE disc --port "$DISC_A" --uid $UID_ --timeout 1) && fail "answered during drop-off: $r"
r=$($PROBE disc --port "$DISC_A" --uid $UID_ --timeout 8) || fail "no answer after drop-off: $r"
grep -q 'camera awake' "$TMP/sim1.out.err" || fail "no return from drop-off"
ok "SIGUSR2 drop-off and return"

# sleep after 1 s idle; a C2D_C wakes it after --wake-delay
start_sim 2 --sleep-after 1 --wake-delay 700
sleep 1.6
grep -q 'camera asleep' "$TMP/sim2.out.err" || fail "did not fall asleep: $(cat "$TMP/sim2.out.err")"
r=$($PROBE disc --port "$DISC_A" --uid $UID_ --timeout 0.4) && fail "answered while asleep: $r"
r=$($PROBE disc --port "$DISC_A" --uid $UID_ --timeout 3) || fail "did not wake: $r"
ok "sleep and wake on discovery"

kill -TERM "$SIM_PID"
wait "$SIM_PID" || fail "cam-sim exit status $?"
ok "clean exit on SIGTERM"
exit 0
