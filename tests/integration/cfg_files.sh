#!/bin/bash
# Files the configuration names that are not regular files (a FIFO) or are huge: refused at
# once with a clear message.  Nothing blocks: start, --check-config, the placeholder image and
# a reload all go on, and SIGTERM ends the bridge promptly throughout.
. "$(dirname "$0")/lib.sh"
need_prog "$BRIDGE"
mkfifo "$TMP/fifo" || fail mkfifo
CAM=bc-tcp://admin@127.0.0.1:1      # refused at once on loopback: the placeholder shows

# refused CMD...: runs the bridge (20 s at most); it must fail, say "not a regular file".
refused() {
	local what=$1 rc; shift
	timeout 20 "$BRIDGE" "$@" >"$TMP/o" 2>&1; rc=$?
	[ $rc -ne 124 ] || fail "$what: blocked (killed after 20 s)"
	[ $rc -ne 0 ] || { cat "$TMP/o"; fail "$what: accepted"; }
	grep -q "not a regular file" "$TMP/o" || { cat "$TMP/o"; fail "$what: no clear message"; }
	ok "$what refused (exit $rc): $(grep -m1 'not a regular file' "$TMP/o")"
}
refused "-c FIFO" -c "$TMP/fifo"
refused "--check-config FIFO" --check-config "$TMP/fifo"
refused "camera.password_file=FIFO" --source "$CAM" --output "$TMP/x.yuv" --http off \
	--camera.password_file "$TMP/fifo"

# stops FILE PID: SIGTERM must end it within 10 s.
stops() {
	local i
	kill -TERM "$2"
	for ((i = 0; i < 100; i++)); do kill -0 "$2" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$2" 2>/dev/null && { kill -KILL "$2"; cat "$1"; fail "SIGTERM ignored (${3:-})"; }
	wait "$2" 2>/dev/null
	return 0
}

# placeholder_image=FIFO: the built-in card instead, frames written, SIGTERM works.
"$BRIDGE" --source "$CAM" --output "$TMP/ph.yuv" --size 320x240 --fps 15 --http off \
	--output.placeholder_image "$TMP/fifo" >"$TMP/err1" 2>&1 &
pid=$!; PIDS+=($pid)
wait_for test -s "$TMP/ph.yuv" || { cat "$TMP/err1"; fail "placeholder_image=FIFO: no frame written"; }
grep -q "placeholder image .*not a regular file" "$TMP/err1" || { cat "$TMP/err1"; fail "placeholder_image=FIFO: not reported"; }
stops "$TMP/err1" $pid "placeholder_image=FIFO"
ok "placeholder_image=FIFO: built-in card written, reported, SIGTERM ends it"

# A config replaced by a FIFO, then SIGHUP: refused, the old one keeps running, SIGTERM works.
cat >"$TMP/cam.conf" <<EOC
camera = { source = "$CAM"; };
output = { device = "$TMP/rl.yuv"; width = 320; height = 240; fps = 15; };
http = { listen = "off"; };
EOC
"$BRIDGE" -c "$TMP/cam.conf" >"$TMP/err2" 2>&1 &
pid=$!; PIDS+=($pid)
wait_for test -s "$TMP/rl.yuv" || { cat "$TMP/err2"; fail "no frames before the reload"; }
rm "$TMP/cam.conf"; mkfifo "$TMP/cam.conf"
kill -HUP $pid
wait_for grep -q "keeping the running configuration" "$TMP/err2" || { cat "$TMP/err2"; fail "reload into a FIFO: not refused"; }
grep -q "not a regular file" "$TMP/err2" || { cat "$TMP/err2"; fail "reload into a FIFO: no clear message"; }
n=$(stat -c %s "$TMP/rl.yuv")
bigger() { [ "$(stat -c %s "$1")" -gt "$2" ]; }
wait_for bigger "$TMP/rl.yuv" "$n" || fail "output stopped after the refused reload"
stops "$TMP/err2" $pid "after a reload into a FIFO"
ok "SIGHUP with the config replaced by a FIFO: refused, output goes on, SIGTERM ends it"

# A 4 MB line (libconfig: 17 s of parsing): refused before parsing.
python3 -c "import sys; sys.stdout.write('name = \"' + 'a' * (4 << 20) + '\";\n')" >"$TMP/big.conf"
t0=$(date +%s%N)
timeout 60 "$BRIDGE" --check-config "$TMP/big.conf" >"$TMP/o" 2>&1; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc -eq 1 ] || { cat "$TMP/o"; fail "4 MB config: exit $rc"; }
grep -q "larger than .* bytes" "$TMP/o" || { cat "$TMP/o"; fail "4 MB config: no clear message"; }
[ $ms -lt 5000 ] || fail "4 MB config: took $ms ms"
ok "a 4 MB config line refused in $ms ms: $(cat "$TMP/o")"
