#!/bin/bash
# Recording onto a disk that fills up (a small tmpfs this test mounts): the clip is closed
# cleanly (ffprobe reads it, it decodes to the end), the error shows in /api/v1/status and is
# logged once, streaming goes on meanwhile, and recording resumes once there is room again.
# Then the folder is removed while a clip is written: a new clip starts in a new folder.
. "$(dirname "$0")/lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
for p in curl ffmpeg ffprobe; do command -v $p >/dev/null || skip "$p is not installed"; done
[ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"

UID_=95270000RECDISK1
PW=disk-s3cret
NAME=porch
DPORT=$(free_port) HP=$(free_port)
BASE=http://127.0.0.1:$HP
RDIR=$TMP/small
mkdir -p "$RDIR"
mount -t tmpfs -o size=1m tmpfs "$RDIR" 2>/dev/null || skip "cannot mount a tmpfs here"
trap 'umount -l "$RDIR" 2>/dev/null; cleanup' EXIT
# Most of the room taken: the clip fills the rest within seconds.
head -c 600000 /dev/zero >"$RDIR/filler"

"$SIM" --listen 127.0.0.1 --disc-port "$DPORT" --tcp-port -1 --uid $UID_ --password "$PW" \
	--size 640x360 --fps 15 --gop 15 >"$TMP/sim.err" 2>&1 &
PIDS+=($!)
"$BRIDGE" --name $NAME --source "bc-udp://admin:$PW@127.0.0.1:$DPORT/main?uid=$UID_" \
	--output "$TMP/out.yuv" --size 320x180 --fps 15 --hwaccel none --http 127.0.0.1:$HP \
	--record.dir="$RDIR" --record.pre_seconds=2 --record.post_seconds=2 \
	>"$TMP/bridge.err" 2>&1 &
BPID=$!; PIDS+=($BPID)
WAIT_SECS=15 wait_for bash -c "curl -fsS $BASE/api/v1/status | grep -q '\"state\":\"streaming\"'" ||
	{ cat "$TMP/bridge.err"; fail "the bridge is not streaming"; }
sleep 3
status() { curl -fsS "$BASE/api/v1/status"; }
decoded() { status | python3 -c 'import json,sys; print(json.load(sys.stdin)["frames"]["decoded"])'; }

curl -fsS -X POST "$BASE/api/v1/record?seconds=120" >/dev/null || fail "POST record"
WAIT_SECS=40 wait_for bash -c "curl -fsS $BASE/api/v1/status | grep -q '\"error\":\"[^\"]'" ||
	{ cat "$TMP/bridge.err"; df -k "$RDIR"; fail "a full disk does not show in the status"; }
status | grep -q '"active":false' || fail "the clip is still open after the disk filled"
curl -fsS "$BASE/metrics" | grep -q "^cam_bridge_recording_error{camera=\"$NAME\"} 1$" ||
	fail "/metrics does not show the recording error"
CLIP=$(ls "$RDIR"/$NAME/*/*.mp4 | head -n 1)
err=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$CLIP" 2>&1 >"$TMP/dur")
[ -z "$err" ] || fail "ffprobe on the clip cut by the full disk: $err"
err=$(ffmpeg -v error -i "$CLIP" -f null - 2>&1)
[ -z "$err" ] || fail "decoding the clip cut by the full disk: $(echo "$err" | head -n 3)"
n=$(grep -c 'recording to .* stopped' "$TMP/bridge.err")
ok "disk full: clip closed cleanly ($(cat "$TMP/dur") s, $(stat -c %s "$CLIP") bytes), said $n time(s)"

# Streaming goes on while the disk is full and recording keeps failing (and waiting for its
# retry costs no CPU: the process used well under a core meanwhile).
cpu() { awk '{print $14 + $15}' /proc/$BPID/stat; }
c1=$(cpu); d1=$(decoded); sleep 3; d2=$(decoded); c2=$(cpu)
tck=$(getconf CLK_TCK)
[ $((c2 - c1)) -lt $((tck * 3 / 2)) ] ||
	fail "the bridge used $(((c2 - c1) * 100 / tck))% CPU of 3 s while recording failed (a busy loop?)"
[ $((d2 - d1)) -ge 20 ] || fail "streaming stalled with the disk full: $d1 -> $d2 decoded"
state=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
[ "$state" = streaming ] || fail "state $state with the disk full"
[ "$(grep -c 'recording to .* stopped' "$TMP/bridge.err")" -eq 1 ] ||
	fail "the full disk was logged more than once: $(grep -c 'stopped' "$TMP/bridge.err")"
ok "streaming continued: $((d2 - d1)) frames decoded in 3 s ($(((c2 - c1) * 100 / tck))% CPU of 3 s), error logged once"

# Room again: the next retry (within 10 s) records.
rm -f "$RDIR/filler" "$CLIP"
curl -fsS -X POST "$BASE/api/v1/record?seconds=3" >/dev/null || fail "POST record"
WAIT_SECS=40 wait_for grep -q 'works again' "$TMP/bridge.err" ||
	fail "recording did not resume once there was room"
WAIT_SECS=30 wait_for bash -c "grep -l '\"open\":false' $RDIR/$NAME/*/*.json" ||
	fail "no clip closed after resuming"
status | grep -q '"error":null' || fail "the status still shows the error"
ok "recording resumed"

# The folder removed while a clip is written: closed, a new one in a re-created folder.
curl -fsS -X POST "$BASE/api/v1/record?seconds=20" >/dev/null || fail "POST record"
WAIT_SECS=15 wait_for bash -c "curl -fsS $BASE/api/v1/status | grep -q '\"active\":true'" ||
	fail "no clip started"
rm -rf "${RDIR:?}/$NAME"
WAIT_SECS=15 wait_for grep -q 'the file was removed' "$TMP/bridge.err" ||
	fail "the removed folder was not noticed"
WAIT_SECS=15 wait_for bash -c "ls $RDIR/$NAME/*/*.mp4" || fail "no new clip after the folder went"
ok "a removed folder: new clip in a new folder"
kill $BPID; wait $BPID
exit 0
