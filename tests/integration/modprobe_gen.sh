#!/bin/bash
# config/cam-bridge-modprobe-gen: camera configs in, one modprobe.d options line out.
# Checks the exact line for a mixed set of configs (labels, fixed /dev/videoN, @include,
# comments, a file sink and a shared include that are not cameras), that kmod parses it the same
# way (modprobe --dry-run against the Debian kernel, when installed), the example file, and
# that every rule the driver imposes is refused with a message naming the file.
. "$(dirname "$0")/lib.sh"

GEN=$ROOT/config/cam-bridge-modprobe-gen
[ -x "$GEN" ] || fail "$GEN missing"

C=$TMP/conf
mkdir -p "$C"
cat >"$C/frontdoor.conf" <<'X'
# the front door camera
name = "Front Door";
camera = { source = "bc-udp://admin@192.168.1.10/main"; };
output = { device = "label:Front Door"; format = "i420"; width = 1280; height = 720; fps = 15; };
X
cat >"$C/back.conf" <<'X'
/* output = { device = "/dev/video3"; } is commented out */
camera: { source: "rtsp://cam.example/stream" }
output: {
  device: "/dev/video" "44"   // fixed number, label = file name
  width: 640
}
X
cat >"$C/common.conf" <<'X'
http = { listen = "127.0.0.1:0"; };
X
cat >"$C/garage.conf" <<'X'
@include "common.conf"
camera = { source = "bc-udp://x"; };
X
cat >"$C/recorder.conf" <<'X'
camera = { source = "rtsp://x"; };
output = { device = "/var/lib/cam/frames.yuv"; };
X
cat >"$C/yard.conf" <<'X'
camera = { source = "rtsp://y"; };
output = { device = "/dev/v4l/by-id/v4l2loopback-Yard-video"; };
X

out=$("$GEN" -d "$C" -o "$TMP/cam-bridge.conf" -m "$TMP/modules.conf" 2>"$TMP/err") ||
	{ cat "$TMP/err"; fail "generator failed on a valid set"; }
[ -z "$out" ] || fail "with -o nothing goes to stdout"
cat "$TMP/cam-bridge.conf"
want='options v4l2loopback devices=4 video_nr=40,41,42,44 card_label="Front Door,garage,Yard,back" exclusive_caps=1,1,1,1'
got=$(grep '^options' "$TMP/cam-bridge.conf")
[ "$got" = "$want" ] || fail "options line: got [$got] want [$want]"
ok "options line for 4 cameras (fixed number kept, others from 40, label from name/label:/by-id)"
grep -q 'skipped .*common.conf' "$TMP/err" && grep -q 'skipped .*recorder.conf' "$TMP/err" ||
	{ cat "$TMP/err"; fail "non-camera files not reported as skipped"; }
ok "include-only and file-sink configs skipped"
grep -qx v4l2loopback "$TMP/modules.conf" || fail "modules-load.d file lacks v4l2loopback"
[ "$("$GEN" -d "$C" 2>/dev/null | grep '^options')" = "$want" ] || fail "stdout output differs"
[ "$("$GEN" -d "$C" -b 50 2>/dev/null | grep -o 'video_nr=[0-9,]*')" = video_nr=44,50,51,52 ] ||
	fail "-b 50 not honoured"
ok "-b changes the first free number"

# kmod's own parser must hand the driver the same values (dry run, no module loaded).
KVER=$(ls /lib/modules 2>/dev/null | while read -r k; do
	[ -n "$(find "/lib/modules/$k" -name 'v4l2loopback.ko*' 2>/dev/null | head -n1)" ] && echo "$k"; done | head -n1)
if [ -n "$KVER" ] && command -v modprobe >/dev/null; then
	for f in "$TMP/cam-bridge.conf" "$ROOT/config/modprobe-cam-bridge.conf.example"; do
		line=$(modprobe -n -v -S "$KVER" -C "$f" v4l2loopback 2>&1 | grep 'v4l2loopback\.ko')
		echo "$line"
		case $line in *'card_label="'*','*'" exclusive_caps=1,1'*) ;; *) fail "modprobe dry run of $f: $line" ;; esac
	done
	ok "modprobe -n -S $KVER parses the generated file and the example"
else
	echo "note: no kernel with v4l2loopback.ko installed; modprobe dry run not done (the VM test loads the generated file for real)"
fi

# Refusals: each must exit 1, write nothing, and name the file.
bad() {   # $1 = what, $2 = expected text in the error; configs already in $B
	local o rc
	o=$("$GEN" -d "$B" -o "$TMP/never.conf" 2>&1); rc=$?
	[ $rc -eq 1 ] || fail "$1: exit $rc, want 1 ($o)"
	[ ! -e "$TMP/never.conf" ] || fail "$1: wrote a file"
	printf '%s\n' "$o" | grep -q -- "$2" || fail "$1: message [$o] lacks [$2]"
	ok "refused: $1: $(printf '%s\n' "$o" | tail -n1)"
}
mk() { B=$TMP/bad.$1; rm -rf "$B"; mkdir -p "$B"; }
mk long; echo 'output = { device = "label:This label is far too long for v4l2"; };' >"$B/a.conf"
bad "label > 31 bytes" "a.conf: card label .* 35 bytes"
mk comma; echo 'output = { device = "label:front,back"; };' >"$B/a.conf"
bad "comma in label" "a.conf: card label .*comma"
mk dup; echo 'output = { device = "label:X"; };' >"$B/a.conf"; echo 'output = { device = "label:X"; };' >"$B/b.conf"
bad "duplicate label" 'card label "X" used by more than one'
mk dupnr; echo 'name = "a"; output = { device = "/dev/video40"; };' >"$B/a.conf"; echo 'name = "b"; output = { device = "/dev/video40"; };' >"$B/b.conf"
bad "duplicate number" '/dev/video40 named by more than one'
mk nine; for i in 1 2 3 4 5 6 7 8 9; do echo 'camera = { source = "rtsp://x"; };' >"$B/c$i.conf"; done
bad "9 cameras" "at most 8 devices"
mk unterminated; echo 'output = { device = "label:X; };' >"$B/a.conf"
bad "unterminated string" "a.conf"
mk none; echo 'http = { listen = "off"; };' >"$B/a.conf"
bad "no camera" "no camera"
mk notnum; echo 'output = { device = "/dev/video4x"; };' >"$B/a.conf"
bad "bad /dev/videoN" "not /dev/videoN"
B=$TMP/does-not-exist; bad "missing dir" "no such directory"
