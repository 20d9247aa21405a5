# Shared helpers for the integration tests (sourced).  Tests talk only to loopback or to
# network namespaces they create themselves, and clean up after themselves.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SIM=$BUILD/cam-sim
BRIDGE=$BUILD/cam-bridge
DUMP=$BUILD/cam-bridge-dump
TMP=$(mktemp -d /tmp/cb-it.XXXXXX)
PIDS=()
NETNS=()

# Sanitizer builds (BUILD=build/san): every ASan/UBSan/LSan report of every program goes to a
# file $TMP/san.PID, whatever the test does with that program's stderr or exit status, and
# cleanup turns any such report into a failure.  Ignored by programs built without sanitizers.
SANLOG=$TMP/san
export ASAN_OPTIONS="halt_on_error=1:exitcode=66:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}:log_path=$SANLOG"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}:log_path=$SANLOG"
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# san_reports: prints every sanitizer report written so far; status 1 if there is one.
san_reports() {
	local f rc=0
	for f in "$SANLOG".*; do
		[ -s "$f" ] || continue
		echo "FAIL: sanitizer report ($(basename "$f")):"
		sed -n "/^Shadow bytes around/q;p" "$f" | head -n 80
		rc=1
	done
	return $rc
}

cleanup() {
	local rc=$? p n
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for n in "${NETNS[@]}"; do ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del "$n" 2>/dev/null; done
	san_reports || rc=1
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }

need_prog() { [ -x "$1" ] || fail "$1 not built"; }

# A free TCP/UDP port on loopback (the kernel picks; tiny race accepted in tests).
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

bg() { "$@" & PIDS+=($!); }

# wait_for CMD... : retries for up to $WAIT_SECS (default 20) seconds.
wait_for() {
	local i
	for ((i = 0; i < ${WAIT_SECS:-20} * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# A namespace pair joined by a veth: $1 = name prefix; sets NS_A NS_B with 10.77.x.1/.2.
make_netns_pair() {
	[ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
	NS_A=$1-a NS_B=$1-b
	ip netns add "$NS_A" || skip "cannot create network namespaces here"
	NETNS+=("$NS_A")
	ip netns add "$NS_B"; NETNS+=("$NS_B")
	ip link add "v$1a" type veth peer name "v$1b" || skip "cannot create veth pairs here"
	ip link set "v$1a" netns "$NS_A"
	ip link set "v$1b" netns "$NS_B"
	ip -n "$NS_A" addr add 10.77.0.1/24 broadcast 10.77.0.255 dev "v$1a"
	ip -n "$NS_B" addr add 10.77.0.2/24 broadcast 10.77.0.255 dev "v$1b"
	ip -n "$NS_A" link set "v$1a" up; ip -n "$NS_B" link set "v$1b" up
	ip -n "$NS_A" link set lo up; ip -n "$NS_B" link set lo up
}

# markers_of FILE WxH FORMAT: the frame-marker counter of every raw frame, one per line (-1 when
# a frame has none).  Independent of our C code on purpose: reads the bytes the bridge wrote.
markers_of() {
	python3 - "$@" <<'PY'
import sys
path, size, fmt = sys.argv[1], sys.argv[2], sys.argv[3]
w, h = map(int, size.split('x'))
fsz = {'i420': w*h*3//2, 'nv12': w*h*3//2, 'yuyv': w*h*2}[fmt]
data = open(path, 'rb').read()
band = h // 16
for n in range(len(data) // fsz):
    fr = data[n*fsz:(n+1)*fsz]
    v = 0; ok = True
    for i in range(32):
        x = (2*i+1) * w // 64
        y = band // 2
        if fmt == 'yuyv':
            Y = fr[y*w*2 + x*2]
        else:
            Y = fr[y*w + x]
        if Y > 190: v = v << 1 | 1
        elif Y < 45: v = v << 1
        else: ok = False
    print(v if ok else -1)
PY
}

# camera_frames FLOG OUT WxH: checks the bridge's camera frames and prints how many it wrote.
#  - the frame log's camera frames (written "new", or "skipped" by the --fps cap when a newer
#    one came first) are consecutive: nothing lost between camera and bridge, in order;
#  - the raw output file's camera frames (placeholders left out, repeats folded) are exactly the
#    frame log's "new" ones, in order.
camera_frames() {
	local n
	grep -E ' (new|skipped)$' "$1" | awk '{print $1}' >"$1.cam"
	n=$(consecutive "$1.cam") || { echo "frame log: $n"; return 1; }
	grep ' new$' "$1" | awk '{print $1}' >"$1.new"
	markers_of "$2" "$3" i420 | grep -v '^-1$' | uniq >"$1.out"
	cmp -s "$1.new" "$1.out" || { echo "output markers differ from the frame log's new frames:" \
		"$(diff "$1.new" "$1.out" | head -n 4 | tr '\n' ' ')"; return 1; }
	wc -l <"$1.new"
}

# consecutive FILE: the lines (integers) increase by exactly 1 — no gaps, no repeats, in order.
# Prints how many; fails with the first offending pair.
consecutive() {
	python3 - "$1" <<'PY'
import sys
v = [int(x.split()[0]) for x in open(sys.argv[1]) if x.strip()]
for a, b in zip(v, v[1:]):
    if b != a + 1:
        print(f"gap or disorder: {a} then {b}"); sys.exit(1)
print(len(v))
PY
}

# Event tests (hook.sh, mqtt.sh): EV_UID / EV_PW are cam-sim's login.
# ev_sim_start SECONDS [OPTIONS…]: cam-sim on loopback raising a motion alarm every SECONDS;
# sets EV_SPORT.
EV_UID=95270000SIMCAM01
EV_PW=s3cret-Pa55
ev_sim_start() {
	local every=$1
	shift
	EV_SPORT=$(free_port)
	"$SIM" --uid $EV_UID --user admin --password "$EV_PW" --listen 127.0.0.1 \
		--disc-port "$EV_SPORT" --tcp-port -1 --encryption aes --codec h264 --size 320x240 --fps 15 \
		--motion-every "$every" "$@" >"$TMP/sim.err" 2>&1 &
	PIDS+=($!)
	sleep 0.3
}
# ev_bridge_start NAME TAG HTTP_PORT [OPTIONS…]: a bridge on that cam-sim, always streaming,
# frames to $TMP/TAG.yuv, frame log $TMP/TAG.frames, stderr $TMP/TAG.err; sets BRIDGE_PID.
ev_bridge_start() {
	local name=$1 tag=$2 hport=$3
	shift 3
	"$BRIDGE" --name "$name" --source "bc-udp://admin:$EV_PW@127.0.0.1:$EV_SPORT/main?uid=$EV_UID" \
		--output "$TMP/$tag.yuv" --size 320x240 --fps 15 --http "127.0.0.1:$hport" \
		--frame-log "$TMP/$tag.frames" --wake.mode=always "$@" >"$TMP/$tag.err" 2>&1 &
	BRIDGE_PID=$!; PIDS+=($BRIDGE_PID)
}
