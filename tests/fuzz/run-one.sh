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
	esac
else
	echo "note: ../shared/conformance absent, fuzzing $name from an empty corpus"
fi
exec "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	-error_exitcode=1 -timeout=10 "$corpus"
