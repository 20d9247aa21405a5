#!/bin/bash
# The recordings on disk over HTTP, with the real bridge in front of cam-sim and record.dir
# pre-filled with clips in the recorder's layout (real fragmented MP4s made by ffmpeg):
#  - retention at start removed the clip older than record.max_age_days, nothing else;
#  - /api/v1/recordings lists every clip, newest first, with duration, size and trigger from
#    the sidecars (a clip without one is listed too); /recordings (HTML) shows each one;
#  - /recordings/PATH: whole files and single ranges (206 bytes = dd of the file, Content-Range),
#    416 when unsatisfiable;
#  - never anything outside record.dir/NAME: .., %2e%2e, absolute paths, a symlink named like a
#    clip, a day folder that is a symlink, and foreign names are refused;
#  - DELETE is 403 without HTTP auth (files kept), 401 without credentials, and removes the
#    clip's three files with them;
#  - headless Chromium: the page lists the clips, and a clip's <video> plays past 1 s.
. "$(dirname "$0")/lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
command -v curl >/dev/null || skip "curl is not installed"
command -v ffmpeg >/dev/null || skip "ffmpeg is not installed"

UID_=95270000RECWEB01
PW=r3c-s3cret
NAME=frontdoor
DPORT=$(free_port) HP=$(free_port)
BASE=http://127.0.0.1:$HP
REC=$TMP/rec
CAM=$REC/$NAME

# ---- the clips --------------------------------------------------------------------------------
# clip DAY HHMMSS SECONDS TRIGGER AGE_S [nojson]
clip() {
	local d=$CAM/$1 t=$(( $(date +%s) - $5 ))
	mkdir -p "$d"
	ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc=d=$3:s=320x240:r=10" -c:v libx264 \
		-pix_fmt yuv420p -movflags frag_keyframe+empty_moov+default_base_moof "$d/$2.mp4" ||
		fail "ffmpeg cannot make a clip"
	ffmpeg -nostdin -loglevel error -i "$d/$2.mp4" -frames:v 1 "$d/$2.jpg" || fail "ffmpeg thumbnail"
	if [ "${6:-}" != nojson ]; then
		printf '{"file":"%s.mp4","start":%d,"duration":%s.0,"size":%d,"trigger":"%s","open":false}\n' \
			"$2" "$t" "$3" "$(stat -c %s "$d/$2.mp4")" "$4" >"$d/$2.json"
	else
		rm -f "$d/$2.jpg"
	fi
	touch -d "@$t" "$d/$2".*
}
clip 2026-01-02 100000 4 motion 7200
clip 2026-01-03 093000 2 people 3600
clip 2026-01-03 120000 2 - 60 nojson
clip 2020-01-01 000000 2 vehicle $((400 * 86400))       # past max_age_days: goes at start
# What must never be served, listed or removed.
mkdir -p "$TMP/outside"
echo "SECRET-OUTSIDE" >"$TMP/outside/secret.txt"
cp "$CAM/2026-01-03/093000.mp4" "$TMP/outside/100000.mp4"
ln -s "$TMP/outside/secret.txt" "$CAM/2026-01-03/130000.mp4"    # a symlink named like a clip
ln -s "$TMP/outside" "$CAM/2026-01-04"                             # a day folder that is a symlink
touch -h -d "@$(( $(date +%s) - 500 * 86400 ))" "$CAM/2026-01-03/130000.mp4" "$CAM/2026-01-04"
echo "notes" >"$CAM/notes.txt"; touch -d "@$(( $(date +%s) - 500 * 86400 ))" "$CAM/notes.txt"
echo "HIDDEN" >"$CAM/2026-01-03/120000.txt"

start_bridge() {   # extra options...
	"$BRIDGE" --name $NAME --source "bc-udp://admin:$PW@127.0.0.1:$DPORT/main?uid=$UID_" \
		--output "$TMP/out.yuv" --size 320x180 --fps 10 --hwaccel none --http 127.0.0.1:$HP \
		--record.dir="$REC" --record.max_age_days=365 "$@" >>"$TMP/bridge.err" 2>&1 &
	BPID=$!; PIDS+=($BPID)
	WAIT_SECS=20 wait_for curl -s -o /dev/null "$BASE/healthz" ||
		{ cat "$TMP/bridge.err"; fail "the bridge's HTTP server did not come up"; }
}

"$SIM" --listen 127.0.0.1 --disc-port "$DPORT" --tcp-port -1 --uid $UID_ --password "$PW" \
	--size 320x240 --fps 10 >"$TMP/sim.err" 2>&1 &
PIDS+=($!)
start_bridge

# ---- retention at start ----------------------------------------------------------------------
WAIT_SECS=10 wait_for test ! -e "$CAM/2020-01-01" || fail "retention at start kept the 400-day-old clip"
for f in 2026-01-02/100000.mp4 2026-01-03/093000.json 2026-01-03/120000.mp4 notes.txt; do
	[ -e "$CAM/$f" ] || fail "retention removed $f"
done
[ -L "$CAM/2026-01-03/130000.mp4" ] && [ -L "$CAM/2026-01-04" ] && [ -e "$TMP/outside/secret.txt" ] &&
	[ -e "$TMP/outside/100000.mp4" ] || fail "retention removed a symlink or what it points to"
grep -q "retention: removed 1 clips" "$TMP/bridge.err" || fail "retention did not log its removal"
ok "retention at start: the 400-day-old clip removed; symlinks, foreign files and newer clips kept"

# ---- the JSON list ---------------------------------------------------------------------------
curl -fsS "$BASE/api/v1/recordings" >"$TMP/list.json" || fail "GET /api/v1/recordings"
python3 - "$TMP/list.json" "$CAM" <<'PY' || fail "/api/v1/recordings is wrong: $(cat "$TMP/list.json")"
import json, os, sys
j = json.load(open(sys.argv[1])); cam = sys.argv[2]
paths = [c['path'] for c in j['clips']]
want = ['2026-01-03/120000.mp4', '2026-01-03/093000.mp4', '2026-01-02/100000.mp4']
assert paths == want, f"paths {paths}, want {want}"
assert j['camera'] == 'frontdoor' and j['truncated'] is False
c = {x['path']: x for x in j['clips']}
for p in want:
    assert c[p]['size'] == os.path.getsize(os.path.join(cam, p)), p
a, b, n = c['2026-01-02/100000.mp4'], c['2026-01-03/093000.mp4'], c['2026-01-03/120000.mp4']
assert a['duration'] == 4.0 and a['trigger'] == 'motion' and a['thumbnail'] == '2026-01-02/100000.jpg'
assert b['duration'] == 2.0 and b['trigger'] == 'people' and b['date'] == '2026-01-03 09:30:00'
assert n['duration'] is None and n['trigger'] is None and n['thumbnail'] is None and n['start'] is None
print("   ", paths)
PY
ok "/api/v1/recordings: every clip, newest first, with sidecar data (and the one without)"

# ---- the page ----------------------------------------------------------------------------------
curl -fsS -D "$TMP/page.h" "$BASE/recordings" >"$TMP/page.html" || fail "GET /recordings"
grep -qi '^content-type: text/html' "$TMP/page.h" || fail "/recordings is not HTML"
for p in 2026-01-03/120000 2026-01-03/093000 2026-01-02/100000; do
	grep -q "<video controls preload=\"none\" src=\"recordings/$p.mp4\">" "$TMP/page.html" ||
		fail "/recordings does not show $p"
done
grep -q 'src="recordings/2026-01-02/100000.jpg"' "$TMP/page.html" || fail "/recordings: no thumbnail"
grep -q '>people<' "$TMP/page.html" && grep -q '>4.0 s<' "$TMP/page.html" || fail "/recordings: no trigger/duration"
! grep -q '130000\|2026-01-04\|2020-01-01' "$TMP/page.html" || fail "/recordings lists a symlink or a removed clip"
ok "/recordings lists every clip with thumbnail, duration, trigger and a <video>"

# ---- files and ranges ----------------------------------------------------------------------------
F=$CAM/2026-01-02/100000.mp4
SIZE=$(stat -c %s "$F")
[ "$SIZE" -gt 2000 ] || fail "test clip too small ($SIZE bytes)"
code=$(curl -sS -D "$TMP/h0" -o "$TMP/whole" -w '%{http_code}' "$BASE/recordings/2026-01-02/100000.mp4")
[ "$code" = 200 ] && cmp -s "$TMP/whole" "$F" || fail "whole file: HTTP $code or bytes differ"
grep -qi '^accept-ranges: bytes' "$TMP/h0" && grep -qi '^content-type: video/mp4' "$TMP/h0" ||
	fail "whole file: headers $(tr '\r\n' '  ' <"$TMP/h0")"
range() {   # RANGE FIRST LEN
	local code
	code=$(curl -sS -D "$TMP/hr" -o "$TMP/part" -w '%{http_code}' -H "Range: bytes=$1" \
		"$BASE/recordings/2026-01-02/100000.mp4")
	[ "$code" = 206 ] || fail "Range $1: HTTP $code"
	dd if="$F" of="$TMP/want" bs=1 skip="$2" count="$3" status=none
	cmp -s "$TMP/part" "$TMP/want" || fail "Range $1: bytes differ from dd"
	grep -qi "^content-range: bytes $2-$(( $2 + $3 - 1 ))/$SIZE" "$TMP/hr" ||
		fail "Range $1: $(grep -i content-range "$TMP/hr")"
}
range 100-1099 100 1000
range 0-0 0 1
range "$((SIZE - 10))-" $((SIZE - 10)) 10
range "-300" $((SIZE - 300)) 300
range "1000-$((SIZE + 5000))" 1000 $((SIZE - 1000))
for r in "$SIZE-" "$((SIZE + 10))-$((SIZE + 20))" "-0"; do
	code=$(curl -sS -D "$TMP/h416" -o /dev/null -w '%{http_code}' -H "Range: bytes=$r" \
		"$BASE/recordings/2026-01-02/100000.mp4")
	[ "$code" = 416 ] || fail "Range $r: HTTP $code, want 416"
	grep -qi "^content-range: bytes \*/$SIZE" "$TMP/h416" || fail "416 without Content-Range */size"
done
# several ranges are not supported: the whole file, as the RFC allows
code=$(curl -sS -o "$TMP/multi" -w '%{http_code}' -H "Range: bytes=0-1,5-6" "$BASE/recordings/2026-01-02/100000.mp4")
[ "$code" = 200 ] && cmp -s "$TMP/multi" "$F" || fail "multi-range: HTTP $code"
curl -fsS "$BASE/recordings/2026-01-02/100000.jpg" -o "$TMP/t.jpg" && cmp -s "$TMP/t.jpg" "$CAM/2026-01-02/100000.jpg" ||
	fail "thumbnail not served"
curl -fsS -D "$TMP/hj" "$BASE/recordings/2026-01-03/093000.json" -o "$TMP/t.json" &&
	grep -qi '^content-type: application/json' "$TMP/hj" || fail "sidecar not served as JSON"
ok "files: whole (200) and single ranges (206, bytes = dd, Content-Range), 416 past the end"

# ---- nothing outside ------------------------------------------------------------------------------
for u in "/recordings/../etc/passwd" "/recordings/%2e%2e/%2e%2e/%2e%2e/etc/passwd" \
	"/recordings/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd" "/recordings//etc/passwd" "/recordings/%2Fetc%2Fpasswd" \
	"/recordings/2026-01-03/130000.mp4" "/recordings/2026-01-04/100000.mp4" \
	"/recordings/2026-01-03/120000.txt" "/recordings/notes.txt" "/recordings/2026-01-03/..%2f..%2f..%2foutside%2fsecret.txt" \
	"/recordings/2026-01-02/100000.mp4%00.txt" "/recordings/2026-01-02/./100000.mp4" \
	"/recordings/2026-01-02/100000.mp4/" "/recordings/2026-01-02" "/recordings/$TMP/outside/secret.txt"; do
	code=$(curl -sS --path-as-is -o "$TMP/esc" -w '%{http_code}' "$BASE$u")
	case $code in 2*) fail "$u: HTTP $code" ;; esac
	! grep -q 'SECRET-OUTSIDE\|root:\|HIDDEN\|notes' "$TMP/esc" || fail "$u leaked a file"
	[ "$(stat -c %s "$TMP/esc")" -lt 200 ] || fail "$u served a file ($(stat -c %s "$TMP/esc") bytes)"
done
ok "refused: .., %2e%2e, absolute paths, symlinked clip and day folder, foreign names, NUL"

# ---- DELETE ----------------------------------------------------------------------------------------
code=$(curl -sS -o "$TMP/del" -w '%{http_code}' -X DELETE "$BASE/api/v1/recordings/2026-01-03/093000.mp4")
[ "$code" = 403 ] || fail "DELETE without HTTP auth: $code, want 403"
[ -e "$CAM/2026-01-03/093000.mp4" ] && [ -e "$CAM/2026-01-03/093000.json" ] || fail "403 DELETE removed files"
ok "DELETE without HTTP auth configured: 403, nothing removed"

kill $BPID; wait $BPID 2>/dev/null
start_bridge --http.user=viewer --http.password=d3l-pass
A=viewer:d3l-pass
code=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$BASE/api/v1/recordings/2026-01-03/093000.mp4")
[ "$code" = 401 ] || fail "DELETE without credentials: $code, want 401"
code=$(curl -sS -u "$A" -o /dev/null -w '%{http_code}' -X DELETE "$BASE/api/v1/recordings/2026-01-03/130000.mp4")
[ "$code" = 404 ] && [ -L "$CAM/2026-01-03/130000.mp4" ] && [ -e "$TMP/outside/secret.txt" ] ||
	fail "DELETE of a symlink named like a clip: $code"
code=$(curl -sS -u "$A" --path-as-is -o /dev/null -w '%{http_code}' -X DELETE "$BASE/api/v1/recordings/../$NAME/notes.txt")
[ "$code" = 404 ] && [ -e "$CAM/notes.txt" ] || fail "DELETE ../: $code"
code=$(curl -sS -u "$A" -o "$TMP/del" -w '%{http_code}' -X DELETE "$BASE/api/v1/recordings/2026-01-03/093000.mp4")
[ "$code" = 200 ] || fail "DELETE with credentials: $code $(cat "$TMP/del")"
for e in mp4 json jpg; do [ ! -e "$CAM/2026-01-03/093000.$e" ] || fail "DELETE left 093000.$e"; done
[ -e "$CAM/2026-01-03/120000.mp4" ] && [ -e "$CAM/2026-01-03/120000.txt" ] || fail "DELETE removed another file"
code=$(curl -sS -u "$A" -o /dev/null -w '%{http_code}' -X DELETE "$BASE/api/v1/recordings/2026-01-02/100000.jpg")
[ "$code" = 200 ] && [ ! -e "$CAM/2026-01-02" ] || fail "DELETE by the thumbnail's path: $code, or the day folder stayed"
curl -fsS -u "$A" "$BASE/api/v1/recordings" | python3 -c '
import json, sys; p = [c["path"] for c in json.load(sys.stdin)["clips"]]
assert p == ["2026-01-03/120000.mp4"], p' || fail "list after DELETE"
ok "DELETE with HTTP auth: 401 without credentials, removes the clip's three files (and the empty day)"

# ---- Chromium ----------------------------------------------------------------------------------------
CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || { echo "SKIP: chromium is not installed: browser part not run"; exit 77; }
kill $BPID; wait $BPID 2>/dev/null
clip 2026-01-05 080000 6 manual 30
start_bridge
chrome_args() {   # the command line, profile folder included
	CARGS=(timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
		--disable-background-networking --disable-component-update --disable-sync
		--disable-dev-shm-usage --autoplay-policy=no-user-gesture-required
		--user-data-dir="$(mktemp -d "$TMP/chrome.XXXXXX")")
}
chrome_args
"${CARGS[@]}" --dump-dom "$BASE/recordings" >"$TMP/dom.html" 2>"$TMP/chrome1.log" ||
	fail "chromium --dump-dom /recordings: $(grep -v dbus "$TMP/chrome1.log" | tail -n 2)"
n=$(grep -o '<video controls="" preload="none" src="recordings/[0-9-]*/[0-9]*\.mp4"' "$TMP/dom.html" | wc -l)
[ "$n" = 2 ] || fail "Chromium sees $n <video> on /recordings, want 2"
ok "Chromium: /recordings shows both clips"

# The page's newest <video> URL, played by a harness page in Chromium until currentTime > 1.
src=$(grep -o 'src="recordings/[0-9-]*/[0-9]*\.mp4"' "$TMP/dom.html" | head -n 1 | cut -d'"' -f2)
[ "$src" = recordings/2026-01-05/080000.mp4 ] || fail "newest clip on the page: $src"
PP=$(free_port)
cat >"$TMP/play.html" <<EOF
<!DOCTYPE html><html><body><video id="v" muted autoplay playsinline src="$BASE/$src"></video>
<script>
const v = document.getElementById('v');
function report(o) { fetch('/result', {method: 'POST', body: JSON.stringify(o)}); }
v.addEventListener('error', () => report({error: String(v.error && v.error.code)}));
const t = setInterval(() => {
  if (v.currentTime > 1) { clearInterval(t); report({currentTime: v.currentTime, duration: v.duration}); }
}, 100);
v.play().catch(e => report({error: 'play: ' + e}));
</script></body></html>
EOF
bg python3 "$ROOT/tests/vm/page_server.py" "$PP" "$TMP/play.html" "$TMP/play.json" 2>"$TMP/page_server.log"
WAIT_SECS=10 wait_for curl -fsS -o /dev/null "http://127.0.0.1:$PP/" || fail "page server did not start"
chrome_args
"${CARGS[@]}" "http://127.0.0.1:$PP/" >"$TMP/chrome2.log" 2>&1 &
CPID=$!; PIDS+=($CPID)
WAIT_SECS=60 wait_for test -s "$TMP/play.json" ||
	fail "Chromium: no result ($(grep -v -i 'dbus\|fontconfig' "$TMP/chrome2.log" | tail -n 2 | tr '\n' ' '))"
python3 - "$TMP/play.json" <<'PY' || fail "Chromium did not play the clip: $(cat "$TMP/play.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert 'error' not in r and r['currentTime'] > 1, r
print(f"    currentTime {r['currentTime']:.2f} of {r['duration']:.2f} s")
PY
kill $CPID; wait $CPID 2>/dev/null    # timeout passes the signal on to Chromium
ok "Chromium: the clip's <video> played past 1 s"
