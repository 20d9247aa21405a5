#!/bin/bash
# A hostile camera (tests/tools/hostile-cam.c) logs in correctly and then attacks the bridge,
# one attack per connection, with a good stream in between: oversized lengths, repeated magic,
# endless messages, 4 MiB messages, an XML bomb, absurd media sizes, codec/size flips every
# second, random header fields, random bytes.  Then a datagram flood at the bridge's UDP ports
# while it streams from cam-sim.  The bridge must: keep writing at the full rate (frame log),
# log a clear error and reset the session for each attack, stream again after each, and stay
# within a bounded memory (VmHWM).  A camera that never answers VersionInfo (msg 80) must not
# delay the video request (issue 9 item 4).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/e2e_lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
HC=$BUILD/tools/hostile-cam
need_prog "$HC"
PW=h0stile-pw
FPS=15
RSS_LIMIT_KB=${RSS_LIMIT_KB:-200000}
ATTACKS=oversize,magic,endless,huge,xmlbomb,media,flip,fields,garbage
list=good
for a in ${ATTACKS//,/ }; do list=$list,$a,good; done

port=$(free_port)
"$HC" --port "$port" --password "$PW" --attacks "$list" --seconds 5 >"$TMP/hc.out" 2>"$TMP/hc.err" &
HPID=$!; PIDS+=($HPID)
WAIT_SECS=10 wait_for grep -q '^hostile-cam ready' "$TMP/hc.out" || fail "hostile-cam did not start"
"$BRIDGE" --name hostile --source "bc-tcp://admin:$PW@127.0.0.1:$port/main" --output /dev/null \
	--size 320x180 --fps $FPS --http off --frame-log "$TMP/frames.log" \
	--camera.read_timeout_ms=3000 --reconnect.backoff_max_ms=1000 2>"$TMP/bridge.err" &
BPID=$!; PIDS+=($BPID)
n_entries=$(tr ',' '\n' <<<"$list" | wc -l)
done_entries() { [ "$(grep -c '^entry ' "$TMP/hc.out")" -ge "$n_entries" ]; }
WAIT_SECS=300 wait_for done_entries || { cat "$TMP/hc.out"; tail "$TMP/bridge.err"; fail "the attacks did not all run"; }
kill -0 $BPID 2>/dev/null || { tail "$TMP/bridge.err"; fail "the bridge died"; }
hwm=$(awk '/^VmHWM/ {print $2}' /proc/$BPID/status)
cat "$TMP/hc.out"

# every attack: the bridge reset the session (except flip, which is valid video)
while read -r _ n name rest; do
	name=${name%:}
	case $name in
	good|flip) ;;
	*) grep -q "ended by bridge" <<<"$rest" || fail "attack $name: the bridge did not reset the session: $rest" ;;
	esac
done < <(grep '^entry ' "$TMP/hc.out")
ok "each attack ended in a session reset"

# after every attack (and during flip) camera frames again: "new" lines inside the entry
while read -r _ n name rest; do
	name=${name%:}
	[ "$name" = good ] || [ "$name" = flip ] || continue
	t0=$(awk '{print $(NF-1)}' <<<"$rest"); t1=$(awk '{print $NF}' <<<"$rest")
	c=$(awk -v a="$t0" -v b="$t1" '$3 == "new" && $2 > a && $2 <= b + 200000 {n++} END {print n + 0}' "$TMP/frames.log")
	[ "$c" -ge 10 ] || fail "entry $n $name: only $c camera frames written (no recovery)"
done < <(grep '^entry ' "$TMP/hc.out")
ok "the stream came back after every attack; flip (codec and size every second) decoded"

# Full rate the whole time: frames written per second (placeholder/repeat/new together).
# A hostile peer can keep one of two cores busy: every second holds at least half the rate and
# nine in ten at least fps - 3 (measured: min 12 with gcc -O2, one second of 9 under ASan).
python3 - "$TMP/frames.log" $FPS <<'PY' || fail "output rate dropped under attack"
import sys, collections
fps = int(sys.argv[2]); per = collections.Counter(); kinds = collections.defaultdict(collections.Counter)
for l in open(sys.argv[1]):
    f = l.split()
    s = int(f[1]) // 1000000; per[s] += 1; kinds[s][f[2]] += 1
secs = sorted(per)[1:-1]
low = [per[s] for s in secs if per[s] < fps - 3]
tot = collections.Counter()
for s in secs: tot.update(kinds[s])
print("seconds %d, frames/s min %d max %d, %d seconds below %d; new %d repeat %d placeholder %d" % (
      len(secs), min(per[s] for s in secs), max(per[s] for s in secs), len(low), fps - 3,
      tot["new"], tot["repeat"], tot["placeholder"]))
sys.exit(1 if min(per[s] for s in secs) < fps // 2 or len(low) > len(secs) // 10 else 0)
PY
ok "output at full rate during every attack"

for why in "no video frame for longer than the read timeout" "camera announced a 4294967295x4294967295 stream"; do
	grep -q "$why" "$TMP/bridge.err" || fail "no '$why' in the log"
done
grep -q "$PW" "$TMP/bridge.err" && fail "the password appears in the bridge's log"
echo "VmHWM ${hwm} kB"
[ "$hwm" -le "$RSS_LIMIT_KB" ] || fail "peak RSS ${hwm} kB > ${RSS_LIMIT_KB} kB"
ok "memory bounded: peak RSS ${hwm} kB; errors logged"
kill $BPID $HPID; wait $BPID $HPID 2>/dev/null

# A camera that never answers msg 80: the video request must not wait for it (was 3 s).
port=$(free_port)
"$HC" --port "$port" --password "$PW" --attacks good --seconds 3 --silent-version >"$TMP/hv.out" 2>&1 &
HPID=$!; PIDS+=($HPID)
WAIT_SECS=10 wait_for grep -q '^hostile-cam ready' "$TMP/hv.out" || fail "hostile-cam did not start"
"$BRIDGE" --name noversion --source "bc-tcp://admin:$PW@127.0.0.1:$port/main" --output /dev/null \
	--size 320x180 --fps $FPS --http off 2>"$TMP/bridge2.err" &
BPID=$!; PIDS+=($BPID)
WAIT_SECS=30 wait_for grep -q '^entry 0' "$TMP/hv.out" || fail "no session with the silent-version camera"
ms=$(sed -n 's/^entry 0 good: streaming after \([0-9]*\) ms.*/\1/p' "$TMP/hv.out")
echo "video requested $ms ms after the connection (VersionInfo never answered)"
[ -n "$ms" ] && [ "$ms" -lt 2000 ] || fail "the video request waited for VersionInfo: $(cat "$TMP/hv.out")"
ok "VersionInfo unanswered: video requested after $ms ms"
kill $BPID $HPID; wait $BPID $HPID 2>/dev/null

# Datagram flood at every port the bridge may bind (53500-53999) while it streams over UDP.
UID_=95270000HOSTILE1
port=$(free_port)
"$SIM" --uid $UID_ --user admin --password "$PW" --listen 127.0.0.1 --disc-port "$port" --tcp-port -1 \
	--size 320x180 --fps $FPS >"$TMP/sim.out" 2>"$TMP/sim.err" &
PIDS+=($!)
WAIT_SECS=10 wait_for grep -q '^cam-sim ready' "$TMP/sim.out" || fail "cam-sim did not start"
"$BRIDGE" --name flood --source "bc-udp://admin:$PW@127.0.0.1:$port/main?uid=$UID_" --output /dev/null \
	--size 320x180 --fps $FPS --http off --frame-log "$TMP/flood.log" 2>"$TMP/bridge3.err" &
BPID=$!; PIDS+=($BPID)
have_frames() { [ "$(grep -c ' new$' "$TMP/flood.log" 2>/dev/null)" -ge 15 ]; }
WAIT_SECS=30 wait_for have_frames || fail "no frames before the flood"
t0=$(now_us)
"$HC" --flood-host 127.0.0.1 --flood-ports 53500-53999 --seconds 6 || fail "flood tool"
t1=$(now_us)
c=$(awk -v a="$t0" -v b="$t1" '$3 == "new" && $2 > a && $2 <= b {n++} END {print n + 0}' "$TMP/flood.log")
secs=$(( (t1 - t0) / 1000000 ))
echo "during a ${secs} s flood: $c camera frames written"
[ "$c" -ge $(( secs * (FPS - 3) )) ] || fail "only $c camera frames during the ${secs} s flood"
kill -0 $BPID || fail "the bridge died in the flood"
ok "datagram flood: camera frames at full rate"
