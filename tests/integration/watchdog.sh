#!/bin/bash
# The systemd watchdog is fed only while the frame loop makes progress: a video thread stuck in
# a write (here its frame log, a FIFO whose reader stopped reading) must stop the WATCHDOG=1
# pings, so that systemd restarts the bridge instead of trusting a hung process.  The main
# thread goes on answering (STATUS= keeps coming), which is what used to feed the watchdog.
. "$(dirname "$0")/lib.sh"
need_prog "$BRIDGE"
"$BUILD/tools/mkstream" "$TMP/a.h264" 320x240 15 150 1000 2>/dev/null || fail mkstream
mkfifo "$TMP/flog" || fail mkfifo
# sd_notify listener: one line per message, "<monotonic µs> <first line of the message>".
python3 - "$TMP/notify" "$TMP/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "w") as out:
    while True:
        m = s.recv(4096).decode(errors="replace")
        for line in m.splitlines():
            out.write(f"{time.monotonic_ns() // 1000} {line}\n")
        out.flush()
PY
PIDS+=($!)
# The frame log's reader: opens it, shrinks the pipe to one page, then never reads.
python3 - "$TMP/flog" <<'PY' &
import fcntl, sys, time
fd = open(sys.argv[1], "rb", buffering=0)
fcntl.fcntl(fd, 1031, 4096)   # F_SETPIPE_SZ
time.sleep(3600)
PY
RPID=$!; PIDS+=($RPID)
wait_for test -S "$TMP/notify" || fail "the notify listener did not start"
NOTIFY_SOCKET=$TMP/notify WATCHDOG_USEC=1000000 "$BRIDGE" --source "$TMP/a.h264" \
	--output /dev/null --size 320x240 --fps 30 --frame-log "$TMP/flog" --http.listen=off \
	-v >"$TMP/err" 2>&1 &
BPID=$!; PIDS+=($BPID)
wait_for grep -q 'READY=1' "$TMP/notify.log" || { cat "$TMP/err"; fail "no READY=1"; }
wait_for bash -c "[ \$(grep -c 'WATCHDOG=1' '$TMP/notify.log') -ge 3 ]" ||
	{ cat "$TMP/err"; fail "no watchdog pings while the frame loop runs"; }
ok "watchdog fed while the frame loop runs"
# The pipe holds ~130 log lines: the loop blocks within a few seconds.  Then the pings must
# stop for good while STATUS= still comes from the main thread.
verdict() {
	awk '/WATCHDOG=1/ {w = $1} /STATUS=/ {s = $1} END {exit !(w && s - w > 3000000)}' \
		"$TMP/notify.log"
}
WAIT_SECS=40 wait_for verdict || {
	tail -n 5 "$TMP/notify.log"; fail "the watchdog was still fed with the frame loop stuck"; }
kill -0 $BPID || fail "the bridge died instead of hanging"
ok "watchdog pings stopped while the frame loop was stuck (main thread still answering)"
kill $RPID; wait $RPID 2>/dev/null   # the writer gets EPIPE and goes on
kill -TERM $BPID
for ((i = 0; i < 50; i++)); do kill -0 $BPID 2>/dev/null || break; sleep 0.1; done
kill -0 $BPID 2>/dev/null && { kill -KILL $BPID; fail "the bridge did not stop after SIGTERM"; }
wait $BPID
exit 0
