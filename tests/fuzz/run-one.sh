#!/bin/bash
# run-one.sh build/fuzz/fuzz_NAME SECONDS — runs one fuzzer, seeded with the real captures
# from ../shared/conformance (copied into build/, never into the project).  Exit 0 only if the
# fuzzer ran the whole time without a crash, leak or sanitizer report.
set -u
bin=$1 secs=$2
name=$(basename "$bin")
shared=$(cd "$(dirname "$0")/../.." && pwd)/../shared/conformance
corpus=build/fuzz/corpus-$name
mkdir -p "$corpus"
if [ -d "$shared" ]; then
	case $name in
	fuzz_bc)      cp "$shared"/bc/*.bin "$shared"/synthetic/bc_*.bin "$corpus"/ ;;
	fuzz_bcmedia) cp "$shared"/bcmedia/*.raw "$corpus"/ ;;
	fuzz_bcudp)   cp "$shared"/bcudp/*.bin "$shared"/synthetic/udp_*.bin "$corpus"/ 2>/dev/null ;;
	fuzz_xml)     cp "$shared"/bc/xml_crypto_sample1_plaintext.bin "$shared"/bcudp/xml_crypto_sample1_plaintext.bin "$corpus"/ ;;
	fuzz_session) for f in "$shared"/bcudp/*.bin "$shared"/synthetic/udp_*.bin; do
	                  [ -f "$f" ] || continue   # [flags][tid] + one record holding the capture
	                  python3 -c 'import sys,struct; d=open(sys.argv[1],"rb").read()[:65000]; sys.stdout.buffer.write(bytes([6,1])+struct.pack("<H",len(d))+d)' "$f" >"$corpus/$(basename "$f")"
	              done ;;
	fuzz_media)   for f in "$shared"/bcmedia/*.raw; do
	                  [ -f "$f" ] && { printf '\x40\x00'; head -c 65000 "$f"; } >"$corpus/$(basename "$f")"
	              done ;;
	esac
else
	echo "note: ../shared/conformance absent, fuzzing $name from an empty corpus"
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
case $name in
fuzz_cfg) cp "$root"/config/*.conf.example "$corpus"/ 2>/dev/null
          export LSAN_OPTIONS=suppressions=$root/tests/fuzz/lsan-libconfig.supp ;;
fuzz_url) for u in 'bc-udp://admin:pw@192.168.1.20/main?uid=95270000ABCD' 'bc-tcp://u:p@[::1]:9000/sub' \
		   'bc-p2p://95270000ABCDEFGH/main?iface=eth0' 'rtsp://a:b@cam/h264?password=x' '/tmp/clip.ts'; do
		  printf '%s' "$u" >"$corpus/seed-$(printf '%s' "$u" | md5sum | cut -c1-8)"
	  done ;;
esac
exec "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	-error_exitcode=1 -timeout=10 "$corpus"
