#!/bin/bash
# cam-sim → cam-bridge → raw file: the frame markers must come back in order with no gaps, for
# H.264 and H.265, main and sub stream, every encryption mode, UDP unicast, UDP broadcast
# discovery (in a network namespace pair), and TCP; and the pictures must be bit-identical to
# what libavcodec (ffmpeg) decodes from the same stream when no scaling happens.
. "$(dirname "$0")/lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
UID_=95270000SIMCAM01
PW=s3cret-Pa55

# run_case LABEL SIZE "SIM ARGS" "BRIDGE SOURCE URL" [NETNS_SIM NETNS_BRIDGE]
run_case() {
	local label=$1 size=$2 simargs=$3 url=$4 nss=${5:-} nsb=${6:-}
	local out=$TMP/$label.yuv log=$TMP/$label.log n first
	local ins=() inb=()
	[ -n "$nss" ] && ins=(ip netns exec "$nss")
	[ -n "$nsb" ] && inb=(ip netns exec "$nsb")
	# shellcheck disable=SC2086
	"${ins[@]}" "$SIM" --uid $UID_ --user admin --password "$PW" $simargs \
		--frame-log "$TMP/$label.sim.log" >"$TMP/$label.sim.err" 2>&1 &
	local spid=$!; PIDS+=($spid)
	sleep 0.3
	if ! timeout 60 "${inb[@]}" "$BRIDGE" --name simtest --source "$url" --output "$out" --size "$size" \
		--fps 15 --frames 45 --http off --frame-log "$log" >"$TMP/$label.err" 2>&1; then
		tail -n 20 "$TMP/$label.err"; tail -n 5 "$TMP/$label.sim.err"
		fail "$label: bridge did not write 45 frames"
	fi
	kill $spid 2>/dev/null; wait $spid 2>/dev/null
	grep -q "$PW" "$TMP/$label.err" && fail "$label: the password appears in the bridge's log"
	n=$(camera_frames "$log" "$out" "$size") || fail "$label: $n"
	[ "$n" -ge 45 ] || fail "$label: only $n distinct camera frames in the output"
	ok "$label: $n frames, markers in order, no gaps"
}

udp_case() {   # LABEL ENC CODEC STREAM SIZE
	local port; port=$(free_port)
	run_case "$1" "$5" "--listen 127.0.0.1 --disc-port $port --tcp-port -1 --encryption $2 --codec $3 --size 640x360 --fps 15 --sub-size 320x180 --sub-fps 15" \
		"bc-udp://admin:$PW@127.0.0.1:$port/$4?uid=$UID_"
}

udp_case udp-h264-none    none     h264 main 640x360
udp_case udp-h264-xor     xor      h264 main 640x360
udp_case udp-h264-aes     aes      h264 main 640x360
udp_case udp-h264-fullaes full-aes h264 main 640x360
udp_case udp-h265-aes     aes      h265 main 640x360
udp_case udp-h264-sub     aes      h264 sub  320x180

tport=$(free_port)
run_case tcp-h265 640x360 "--listen 127.0.0.1 --disc-port $(free_port) --tcp-port $tport --encryption aes --codec h265 --size 640x360 --fps 15" \
	"bc-tcp://admin:$PW@127.0.0.1:$tport/main"

# Broadcast discovery for real: camera and bridge in two namespaces joined by a veth pair.
if [ "$(id -u)" -eq 0 ] && ip netns add cbprobe$$ 2>/dev/null; then
	ip netns del cbprobe$$
	make_netns_pair cbs$$
	run_case udp-broadcast 640x360 "--listen 0.0.0.0 --encryption xor --codec h264 --size 640x360 --fps 15" \
		"bc-udp://admin:$PW@broadcast/main?uid=$UID_" "$NS_A" "$NS_B"
else
	fail "broadcast discovery needs network namespaces (root); cannot test it here"
fi

# Bit-identical: cam-sim streams a file; ffmpeg decodes the same file; frames with the same
# marker must be equal byte for byte (no scaling: the output size is the stream's size).
"$BUILD/tools/mkstream" "$TMP/bits.h264" 320x240 15 150 500 2>/dev/null || fail "mkstream"
ffmpeg -loglevel error -i "$TMP/bits.h264" -f rawvideo -pix_fmt yuv420p "$TMP/ref.yuv" || fail "ffmpeg decode"
port=$(free_port)
run_case bitexact 320x240 "--listen 127.0.0.1 --disc-port $port --encryption aes --source $TMP/bits.h264 --fps 15" \
	"bc-udp://admin:$PW@127.0.0.1:$port/main?uid=$UID_"
python3 - "$TMP/ref.yuv" "$TMP/bitexact.yuv" <<'PY' || fail "bitexact: bridge frames differ from libavcodec's"
import sys
w, h = 320, 240; fs = w * h * 3 // 2; band = h // 16
def marker(fr):
    v = 0
    for i in range(32):
        Y = fr[(band // 2) * w + (2 * i + 1) * w // 64]
        if Y > 190: v = v << 1 | 1
        elif Y < 45: v = v << 1
        else: return -1
    return v
ref = open(sys.argv[1], 'rb').read(); out = open(sys.argv[2], 'rb').read()
refs = {}
for k in range(len(ref) // fs):
    fr = ref[k*fs:(k+1)*fs]; refs.setdefault(marker(fr), fr)
checked = 0
for k in range(len(out) // fs):
    fr = out[k*fs:(k+1)*fs]; m = marker(fr)
    if m < 0: continue
    if m not in refs: print("marker", m, "not in the reference"); sys.exit(1)
    if fr != refs[m]: print("frame with marker", m, "differs"); sys.exit(1)
    checked += 1
if checked < 40: print("only", checked, "frames compared"); sys.exit(1)
print("bit-identical frames:", checked)
PY
ok "bitexact: frames identical to libavcodec's decode"
