#!/bin/bash
# SIGHUP reloads the configuration: a new camera source takes over without restarting the
# process, the output keeps going, and a broken file is refused while the old one keeps running.
. "$(dirname "$0")/lib.sh"
need_prog "$BRIDGE"
"$BUILD/tools/mkstream" "$TMP/a.h264" 320x240 15 150 1000 2>/dev/null || fail mkstream
"$BUILD/tools/mkstream" "$TMP/b.h264" 320x240 15 150 5000 2>/dev/null || fail mkstream
conf() {
	cat >"$TMP/cam.conf" <<EOC
camera = { source = "$1"; };
output = { device = "$TMP/out.yuv"; width = 320; height = 240; fps = 15; };
http = { listen = "off"; };
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
kill -TERM $bpid; wait $bpid || fail "exit status after SIGTERM"
