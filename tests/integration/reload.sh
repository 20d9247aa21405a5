#!/bin/bash
# SIGHUP reloads the configuration: a new camera source takes over without restarting the
# process, the output keeps going, and a broken file is refused while the old one keeps running.
# record.* keys apply on SIGHUP: turning record.always on starts a clip; a retention-only change
# leaves it going; turning it off closes it properly (the .json says open false, ffprobe reads
# the file without errors).
. "$(dirname "$0")/lib.sh"
need_prog "$BRIDGE"
"$BUILD/tools/mkstream" "$TMP/a.h264" 320x240 15 150 1000 2>/dev/null || fail mkstream
"$BUILD/tools/mkstream" "$TMP/b.h264" 320x240 15 150 5000 2>/dev/null || fail mkstream
conf() {
	cat >"$TMP/cam.conf" <<EOC
camera = { source = "$1"; };
output = { device = "$TMP/out.yuv"; width = 320; height = 240; fps = 15; };
http = { listen = "off"; };
${2:-}
EOC
}
conf "$TMP/a.h264"
"$BRIDGE" -c "$TMP/cam.conf" --frame-log "$TMP/log" -v >"$TMP/err" 2>&1 &
bpid=$!; PIDS+=($bpid)
wait_for grep -q ' new$' "$TMP/log" || fail "no frames from the first source"
sleep 1
conf "$TMP/b.h264"
kill -HUP $bpid
WAIT_SECS=15 wait_for awk '$3=="new" && $1>=5000 {f=1} END {exit !f}' "$TMP/log" || { cat "$TMP/err"; fail "the reloaded source never showed"; }
kill -0 $bpid || fail "the bridge died on reload"
grep -q 'reload: changed' "$TMP/err" || fail "reload not logged"
ok "SIGHUP switched the source (markers from 5000 on) without a restart"

echo 'camera = { source = ' >"$TMP/cam.conf"   # broken
n=$(wc -l <"$TMP/log")
kill -HUP $bpid
sleep 2
kill -0 $bpid || fail "the bridge died on a broken reload"
grep -q 'keeping the running configuration' "$TMP/err" || { cat "$TMP/err"; fail "a broken reload was not reported"; }
[ "$(wc -l <"$TMP/log")" -gt "$n" ] || fail "output stopped after a broken reload"
ok "a broken file is refused and the running configuration keeps going"
# ---- record.* ------------------------------------------------------------------------------
command -v ffprobe >/dev/null || skip "ffprobe is not installed (the record.* reload cases need it)"
RDIR=$TMP/rec
reloads() { grep -c 'reload: changed' "$TMP/err"; }
reload_to() {   # reload_to RECORD-GROUP: SIGHUP, then wait until the bridge logged it
	local n; n=$(reloads)
	conf "$TMP/b.h264" "$1"
	kill -HUP $bpid
	WAIT_SECS=15 wait_for bash -c "[ \$(grep -c 'reload: changed' '$TMP/err') -gt $n ]" ||
		{ cat "$TMP/err"; fail "SIGHUP not applied"; }
}
json_open() { grep -l "\"open\":$1" "$RDIR"/cam/*/*.json 2>/dev/null | wc -l; }
reload_to "record = { dir = \"$RDIR\"; always = true; };"
WAIT_SECS=15 wait_for bash -c "[ \$(grep -l '\"open\":true' $RDIR/cam/*/*.json 2>/dev/null | wc -l) = 1 ]" ||
	{ cat "$TMP/err"; fail "record.dir + record.always on SIGHUP started no clip"; }
CLIP=$(ls "$RDIR"/cam/*/*.mp4)
ok "SIGHUP: record.dir and record.always took effect (recording $(basename "$CLIP"))"
sleep 2
reload_to "record = { dir = \"$RDIR\"; always = true; max_total_mb = 1000; };"
sleep 1
[ "$(json_open true)" = 1 ] && [ "$(ls "$RDIR"/cam/*/*.mp4)" = "$CLIP" ] ||
	fail "a retention-only reload interrupted the clip: $(ls "$RDIR"/cam/*/*)"
ok "SIGHUP: a record.max_total_mb change kept the clip going"
reload_to "record = { dir = \"$RDIR\"; always = false; pre_seconds = 2; max_total_mb = 1000; };"
WAIT_SECS=15 wait_for bash -c "[ \$(grep -l '\"open\":false' $RDIR/cam/*/*.json 2>/dev/null | wc -l) = 1 ]" ||
	{ cat "$TMP/err"; fail "record.always off on SIGHUP did not close the clip"; }
sleep 1
[ "$(ls "$RDIR"/cam/*/*.mp4)" = "$CLIP" ] || fail "a new clip started with record.always off: $(ls "$RDIR"/cam/*/*)"
err=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$CLIP" 2>&1 >"$TMP/dur") || fail "ffprobe: $err"
[ -z "$err" ] || fail "ffprobe reports errors in the closed clip: $err"
python3 -c "import sys; sys.exit(0 if float('$(cat "$TMP/dur")') >= 2 else 1)" ||
	fail "the closed clip lasts $(cat "$TMP/dur") s, want at least 2"
grep -q '"trigger":"always"' "${CLIP%.mp4}.json" || fail "sidecar: $(cat "${CLIP%.mp4}.json")"
ok "SIGHUP: record.always off closed the clip properly ($(cat "$TMP/dur") s, ffprobe clean)"
kill -0 $bpid || fail "the bridge died on a record.* reload"
kill -TERM $bpid; wait $bpid || fail "exit status after SIGTERM"
