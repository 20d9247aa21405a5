#!/bin/bash
# cam-sim against a minimal client built from the protocol library (tests/tools/bcclient):
# discovery → login (every encryption mode) → 300 frames → logout, decoding every frame with
# libavcodec and reading back its marker: all in order, none missing.  H.264 and H.265, and the
# same through 10 % loss with duplication and reordering.
. "$(dirname "$0")/lib.sh"
need_prog "$SIM"; need_prog "$BUILD/tools/bcclient"
UID_=95270000CLIENT01
PW=pw-$$

run() {   # LABEL ENC CODEC "EXTRA SIM ARGS"
	local port n; port=$(free_port)
	"$SIM" --listen 127.0.0.1 --disc-port "$port" --tcp-port -1 --uid $UID_ --password "$PW" \
		--encryption "$2" --codec "$3" --size 320x240 --fps 30 $4 >"$TMP/$1.sim" 2>&1 &
	local spid=$!; PIDS+=($spid)
	sleep 0.3
	timeout 60 "$BUILD/tools/bcclient" "127.0.0.1:$port" $UID_ admin "$PW" "$2" 300 \
		>"$TMP/$1.markers" 2>"$TMP/$1.err" || { cat "$TMP/$1.err"; tail -n 5 "$TMP/$1.sim"; fail "$1: client did not get 300 frames"; }
	local want=$2; [ "$2" = xor ] && want=bcencrypt
	grep -qx "encryption $want" "$TMP/$1.err" || fail "$1: negotiated $(head -n1 "$TMP/$1.err"), expected $want"
	n=$(consecutive "$TMP/$1.markers") || fail "$1: $n"
	[ "$n" -eq 300 ] || fail "$1: $n frames"
	kill "$spid"; wait "$spid" 2>/dev/null
	ok "$1: 300 frames, markers $(head -n1 "$TMP/$1.markers")..$(tail -n1 "$TMP/$1.markers") in order ($(head -n1 "$TMP/$1.err"))"
}

run none-h264     none     h264 ""
run xor-h264      xor      h264 ""
run aes-h264      aes      h264 ""
run fullaes-h264  full-aes h264 ""
run aes-h265      aes      h265 ""
run lossy-h264    aes      h264 "--loss 10 --dup 5 --reorder 4 --seed 7"

# Wrong password: the real camera's answer (rc 400) is reported as a login failure.
port=$(free_port)
"$SIM" --listen 127.0.0.1 --disc-port "$port" --tcp-port -1 --uid $UID_ --password "$PW" >/dev/null 2>&1 &
PIDS+=($!); sleep 0.3
timeout 20 "$BUILD/tools/bcclient" "127.0.0.1:$port" $UID_ admin wrong aes 1 >/dev/null 2>"$TMP/wrong.err"
[ $? -eq 3 ] || { cat "$TMP/wrong.err"; fail "wrong password: not reported as rejected credentials"; }
ok "wrong password rejected: $(cat "$TMP/wrong.err")"
