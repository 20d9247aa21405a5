#!/bin/bash
# One page for all cameras: two bridges, each with its own cam-sim, sharing a temporary
# --run-dir:
#  - each writes RUN/NAME.json; each one's `/` and /api/v1/cameras list both;
#  - /api/v1/cameras/OTHER and …/OTHER/stream answer 307 to OTHER's bridge (same path and
#    query string, re-encoded), the redirect leads to a JPEG (?width=160 followed: 160 px
#    wide), an unknown name is still 404; a stale file (dead pid) and a garbage file are not
#    listed;
#  - GET /snapshot.jpg?source=camera is the camera's own JPEG (msg 109) at the camera's full
#    size (640x360, the output is 320x180) with X-Snapshot-Source: camera; without it the
#    decoded frame (decoded); with the camera frozen, the decoded frame after the bounded wait;
#  - after SIGTERM a bridge's file is gone and the other no longer lists it;
#  - `cam-bridge snapshot` against a third cam-sim writes a valid JPEG of the right size
#    (decoded, --size, --camera-jpeg), logs out and exits 0; a wrong password or no camera
#    exits 1 with a message, within its --timeout.
. "$(dirname "$0")/lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
command -v curl >/dev/null || skip "curl is not installed"

PW=c4ms-pw
RUN=$TMP/run
mkdir -p "$RUN"
declare -A HP BPID SPID
start_pair() {   # NAME UID
	local dport fifo
	dport=$(free_port); fifo=$TMP/$1.ctl
	"$SIM" --listen 127.0.0.1 --disc-port "$dport" --tcp-port -1 --uid "$2" --password "$PW" \
		--size 640x360 --fps 10 --control-fifo "$fifo" >"$TMP/$1.sim.err" 2>&1 &
	SPID[$1]=$!; PIDS+=($!)
	wait_for test -p "$fifo" || { cat "$TMP/$1.sim.err"; fail "cam-sim $1 did not start"; }
	HP[$1]=$(free_port)
	"$BRIDGE" --name "$1" --source "bc-udp://admin:$PW@127.0.0.1:$dport/main?uid=$2" \
		--output "$TMP/$1.yuv" --size 320x180 --fps 10 --hwaccel none \
		--http 127.0.0.1:${HP[$1]} --run-dir "$RUN" >"$TMP/$1.err" 2>&1 &
	BPID[$1]=$!; PIDS+=($!)
}
start_pair front 95270000CAMSAAA1
start_pair garden 95270000CAMSAAA2
for n in front garden; do
	WAIT_SECS=20 wait_for bash -c "curl -fsS http://127.0.0.1:${HP[$n]}/api/v1/status | grep -q '\"state\":\"streaming\"'" ||
		{ cat "$TMP/$n.err"; fail "bridge $n is not streaming"; }
done
for n in front garden; do
	WAIT_SECS=10 wait_for test -f "$RUN/$n.json" || fail "$RUN/$n.json not written"
done
python3 - "$RUN" "${HP[front]}" "${BPID[front]}" <<'PY' || fail "front.json is not what was asked"
import json, sys
d = json.load(open(sys.argv[1] + "/front.json"))
want = {"name": "front", "http": "http://127.0.0.1:" + sys.argv[2], "pid": int(sys.argv[3])}
bad = [f"{k}={d.get(k)!r}" for k, v in want.items() if d.get(k) != v]
if set(d) != {"name", "http", "device", "state", "pid", "updated"}: bad.append(f"keys {sorted(d)}")
if bad: print("  ", bad); sys.exit(1)
PY
ok "each bridge wrote RUN/NAME.json"

# Hostile neighbours: a dead bridge's file, garbage, a symlink, a huge file.
printf '{"name":"ghost","http":"http://127.0.0.1:1","device":"","state":"streaming","pid":999999999,"updated":%s}\n' "$(date +%s)" >"$RUN/ghost.json"
printf 'not json at all' >"$RUN/junk.json"
ln -s "$RUN/front.json" "$RUN/alias.json"
head -c 100000 /dev/zero | tr '\0' ' ' >"$RUN/huge.json"

for n in front garden; do
	base=http://127.0.0.1:${HP[$n]}
	curl -fsS "$base/" >"$TMP/$n.html" || fail "GET / on $n"
	for m in front garden; do
		grep -q "data-cam=\"$m\"" "$TMP/$n.html" || fail "$n's / does not list $m"
		grep -q "http://127.0.0.1:${HP[$m]}/snapshot.jpg" "$TMP/$n.html" ||
			fail "$n's / has no thumbnail of $m"
	done
	curl -fsS "$base/api/v1/cameras" >"$TMP/$n.cams" || fail "GET /api/v1/cameras on $n"
	python3 - "$TMP/$n.cams" "$n" "${HP[front]}" "${HP[garden]}" <<'PY' || fail "$n: /api/v1/cameras"
import json, sys
j = json.load(open(sys.argv[1]))
me = sys.argv[2]
names = [c["name"] for c in j["cameras"]]
if names != ["front", "garden"]: print("   names", names); sys.exit(1)
for c, port in zip(j["cameras"], sys.argv[3:5]):
    if c["url"] != "http://127.0.0.1:" + port or c["self"] != (c["name"] == me) or not c["state"]:
        print("   ", c); sys.exit(1)
PY
	grep -qE 'ghost|junk|alias|huge' "$TMP/$n.html" "$TMP/$n.cams" && fail "$n lists a stale or hostile file"
done
ok "each one's / and /api/v1/cameras list both (and nothing stale or hostile)"

redir() {   # BRIDGE-PORT PATH -> "CODE LOCATION"
	curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$1$2"
}
got=$(redir "${HP[front]}" /api/v1/cameras/garden)
[ "$got" = "307 http://127.0.0.1:${HP[garden]}/api/v1/cameras/garden" ] || fail "front -> garden: $got"
got=$(redir "${HP[garden]}" /api/v1/cameras/front/stream)
[ "$got" = "307 http://127.0.0.1:${HP[front]}/api/v1/cameras/front/stream" ] || fail "garden -> front/stream: $got"
got=$(redir "${HP[front]}" '/api/v1/cameras/garden?width=160&x=a%20b%26c&flag')
[ "$got" = "307 http://127.0.0.1:${HP[garden]}/api/v1/cameras/garden?width=160&x=a%20b%26c&flag" ] ||
	fail "front -> garden with a query: $got"
curl -fsSL -o "$TMP/via.jpg" "http://127.0.0.1:${HP[front]}/api/v1/cameras/garden?width=160" || fail "following the redirect"
[ "$(head -c 2 "$TMP/via.jpg" | od -An -tx1 | tr -d ' ')" = ffd8 ] || fail "the redirect does not lead to a JPEG"
w=$(python3 - "$TMP/via.jpg" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
i = 2
while i < len(d):   # the first SOFn segment holds height and width
    m, l = d[i + 1], struct.unpack('>H', d[i + 2:i + 4])[0]
    if 0xc0 <= m <= 0xcf and m not in (0xc4, 0xc8, 0xcc):
        print(struct.unpack('>H', d[i + 7:i + 9])[0]); break
    i += 2 + l
PY
)
[ "$w" = 160 ] || fail "?width=160 through the redirect gave a $w px wide JPEG (the query was lost)"
got=$(redir "${HP[front]}" "/api/v1/cameras/garden?$(seq -s '&' 65 | sed 's/[0-9]*/a&=1/g')")
[ "${got%% *}" = 414 ] || fail "65 query arguments: $got (want 414)"
got=$(redir "${HP[front]}" /api/v1/cameras/nobody)
[ "${got%% *}" = 404 ] || fail "unknown camera: $got (want 404)"
got=$(redir "${HP[front]}" /api/v1/cameras/ghost)
[ "${got%% *}" = 404 ] || fail "stale camera: $got (want 404)"
got=$(redir "${HP[front]}" /api/v1/cameras/front)
[ "${got%% *}" = 200 ] || fail "own camera: $got (want 200)"
ok "/api/v1/cameras/OTHER…?query answers 307 to the other bridge, query kept; unknown and stale 404, own 200"

# ---- the camera's own JPEG ---------------------------------------------------------------------
jpeg_size() { ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,width,height -of csv=p=0 "$1"; }
snap() {   # NAME QUERY OUT -> prints X-Snapshot-Source
	curl -fsS --max-time 20 -D "$3.h" -o "$3" "http://127.0.0.1:${HP[$1]}/snapshot.jpg$2" || fail "GET /snapshot.jpg$2 on $1"
	tr -d '\r' <"$3.h" | awk -F': ' 'tolower($1) == "x-snapshot-source" {print $2}'
}
command -v ffprobe >/dev/null || fail "ffprobe is not installed (ffmpeg)"
src=$(snap front '?source=camera' "$TMP/cam.jpg")
[ "$src" = camera ] || fail "source=camera: X-Snapshot-Source '$src' (want camera)"
[ "$(jpeg_size "$TMP/cam.jpg")" = "mjpeg,640,360" ] || fail "source=camera: $(jpeg_size "$TMP/cam.jpg") (want the camera's 640x360 JPEG)"
src=$(snap front '' "$TMP/dec.jpg")
[ "$src" = decoded ] || fail "plain snapshot: X-Snapshot-Source '$src' (want decoded)"
[ "$(jpeg_size "$TMP/dec.jpg")" = "mjpeg,320,180" ] || fail "plain snapshot: $(jpeg_size "$TMP/dec.jpg")"
grep -q "camera snapshot:" "$TMP/front.err" &&
	fail "the bridge logged a snapshot failure: $(grep 'camera snapshot:' "$TMP/front.err")"
ok "/snapshot.jpg?source=camera: the camera's 640x360 JPEG (X-Snapshot-Source: camera); plain: decoded 320x180"

kill -TERM "${BPID[garden]}"
wait "${BPID[garden]}" || fail "garden did not exit 0 on SIGTERM"
[ -e "$RUN/garden.json" ] && fail "garden.json is still there after SIGTERM"
[ -e "$RUN/front.json" ] || fail "front.json went away with garden's"
curl -fsS "http://127.0.0.1:${HP[front]}/api/v1/cameras" | grep -q '"garden"' && fail "front still lists garden"
got=$(redir "${HP[front]}" /api/v1/cameras/garden)
[ "${got%% *}" = 404 ] || fail "gone camera: $got (want 404)"
ok "SIGTERM removes the file; the other bridge stops listing it"

# ---- cam-bridge snapshot ----------------------------------------------------------------------
SDP=$(free_port)
"$SIM" --listen 127.0.0.1 --disc-port "$SDP" --tcp-port -1 --uid 95270000CAMSAAA3 --password "$PW" \
	--size 640x360 --fps 10 --control-fifo "$TMP/still.ctl" >"$TMP/still.sim.err" 2>&1 &
PIDS+=($!)
wait_for test -p "$TMP/still.ctl" || fail "cam-sim still did not start"
STILL="bc-udp://admin:$PW@127.0.0.1:$SDP/main?uid=95270000CAMSAAA3"
shot() {   # WANT-SIZE ARGS... : runs the command, checks exit 0, the file and its size
	local want=$1 t0=$SECONDS; shift
	timeout 60 "$BRIDGE" snapshot --source "$STILL" -o "$TMP/shot.jpg" --timeout 20 "$@" \
		>"$TMP/shot.err" 2>&1 || { cat "$TMP/shot.err"; fail "snapshot $*: exit $?"; }
	[ "$(jpeg_size "$TMP/shot.jpg")" = "mjpeg,$want" ] ||
		fail "snapshot $*: $(jpeg_size "$TMP/shot.jpg") (want $want)"
	! ls -A "$TMP" | grep -q '^\.shot\.jpg\.' || fail "snapshot $*: temporary file left"
	echo "   snapshot $*: $want in $((SECONDS - t0)) s"
	rm -f "$TMP/shot.jpg"
}
shot 640,360
shot 320,180 --size 320x180
shot 640,360 --camera-jpeg
# -c FILE: the camera's configuration as the daemon reads it (its output device untouched)
printf 'camera = {\n\tsource = "%s";\n};\noutput = {\n\tdevice = "%s";\n};\n' "$STILL" "$TMP/never.yuv" >"$TMP/still.conf"
timeout 60 "$BRIDGE" snapshot -c "$TMP/still.conf" -o "$TMP/conf.jpg" --size 160x90 >"$TMP/conf.err" 2>&1 ||
	{ cat "$TMP/conf.err"; fail "snapshot -c FILE: exit $?"; }
[ "$(jpeg_size "$TMP/conf.jpg")" = "mjpeg,160,90" ] || fail "snapshot -c FILE: $(jpeg_size "$TMP/conf.jpg")"
[ -e "$TMP/never.yuv" ] && fail "snapshot -c FILE touched the configured output"
# Each one logged out: cam-sim saw every session end that way, none left open.
WAIT_SECS=5 wait_for bash -c "[ \$(grep -c 'ended (logout)' '$TMP/still.sim.err') -ge 4 ]" ||
	{ cat "$TMP/still.sim.err"; fail "the snapshot command did not log out each time"; }
ok "cam-bridge snapshot: decoded 640x360, --size 320x180, --camera-jpeg 640x360, -c FILE; logged out"

t0=$SECONDS
timeout 60 "$BRIDGE" snapshot --source "bc-udp://admin:nope@127.0.0.1:$SDP/main?uid=95270000CAMSAAA3" \
	-o "$TMP/bad.jpg" --timeout 10 >"$TMP/bad.err" 2>&1 && fail "snapshot with a wrong password exited 0"
grep -q "rejected the user name or password" "$TMP/bad.err" || { cat "$TMP/bad.err"; fail "wrong password: no clear message"; }
grep -q "nope" "$TMP/bad.err" && fail "the password appears in the log"
timeout 60 "$BRIDGE" snapshot --source "bc-udp://admin:$PW@127.0.0.1:$(free_port)/main?uid=95270000CAMSAAA3" \
	-o "$TMP/bad.jpg" --timeout 3 >"$TMP/gone.err" 2>&1 && fail "snapshot of no camera exited 0"
grep -q "no picture within 3 s" "$TMP/gone.err" || { cat "$TMP/gone.err"; fail "no camera: no clear message"; }
[ -e "$TMP/bad.jpg" ] && fail "a failed snapshot left a file"
[ $((SECONDS - t0)) -le 30 ] || fail "the failures took $((SECONDS - t0)) s"
ok "cam-bridge snapshot: wrong password and no camera exit 1 with a clear message, no file"

# A camera that stopped answering: the decoded picture after the bounded wait, not an error.
kill -STOP "${SPID[front]}"
t0=$SECONDS
src=$(snap front '?source=camera' "$TMP/fb.jpg")
kill -CONT "${SPID[front]}"
[ "$src" = decoded ] || fail "frozen camera: X-Snapshot-Source '$src' (want decoded)"
[ "$(head -c 2 "$TMP/fb.jpg" | od -An -tx1 | tr -d ' ')" = ffd8 ] || fail "frozen camera: not a JPEG"
[ $((SECONDS - t0)) -le 15 ] || fail "frozen camera: the fallback took $((SECONDS - t0)) s"
ok "frozen camera: source=camera falls back to the decoded picture in $((SECONDS - t0)) s"
exit 0
