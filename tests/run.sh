#!/bin/bash
# Runs groups of tests and prints one closing line "N passed, N failed, N skipped".
#   unit         every build/tests/test_* (cmocka; the conformance tests are among them)
#   conformance  only the tests replaying ../shared/conformance (build/tests/*conformance*)
#   integration  every tests/integration/*.sh  (exit 0 = pass, 77 = skip, else fail)
#   vm           tests/vm/run.sh, once per module: the distribution's (dkms) and 0.13.2
#   vm-long      tests/vm/run.sh VM_LONG=1 (Chromium, motion), once per module, and
#                VM_SYSTEMD=1 (systemd as PID 1 runs cam-bridge@camera1.service)
#   san          the unit tests and integration scripts against the clang ASan+UBSan build
#   fuzz         every fuzzer for $FUZZ_SECONDS seconds (2 at a time)
#   soak         tests/integration/soak.sh for $SOAK_SECONDS seconds (default one hour)
# A skip is never counted as a pass.  Exit status 1 if anything failed.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"
pass=0 fail=0 skip=0
failed_names=()

count_cmocka() {   # $1 = log file, $2 = exit code, $3 = name
	local p f s
	p=$(grep -aoE '^\[  PASSED  \] [0-9]+' "$1" | awk '{s+=$NF} END {print s+0}')
	f=$(grep -aoE '^\[  FAILED  \] [0-9]+ test' "$1" | awk '{s+=$(NF-1)} END {print s+0}')
	s=$(grep -aoE '^\[  SKIPPED \] [0-9]+ test' "$1" | awk '{s+=$(NF-1)} END {print s+0}')
	pass=$((pass + p)); skip=$((skip + s))
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed before its summary
	fail=$((fail + f))
	[ "$f" -gt 0 ] && failed_names+=("$3")
	return 0
}

run_unit() {   # $1 = which test binaries (a glob under $BUILD/tests), default all
	local t name log rc
	for t in "$BUILD"/tests/${1:-test_*}; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		log=$LOGDIR/$name.log
		timeout 600 "$t" >"$log" 2>&1; rc=$?
		count_cmocka "$log" "$rc" "$name"
		printf '%-40s %s\n' "$name" "$(grep -aE '^\[  (PASSED  |FAILED  |SKIPPED )\] [0-9]+' "$log" | tr '\n' ' ')"
		[ "$rc" -ne 0 ] && tail -n 40 "$log"
	done
}

# The tests that replay the real captures in ../shared/conformance (also part of "unit").
run_conformance() {
	run_unit '*conformance*'
}

run_script() {   # $1 = script, $2 = label
	local log rc name
	name=$2
	log=$LOGDIR/$(echo "$name" | tr '/' '_').log
	local t0=$SECONDS
	BUILD=$BUILD timeout "${TEST_TIMEOUT:-900}" "$1" >"$log" 2>&1; rc=$?
	case $rc in
	0)  pass=$((pass + 1)); printf '%-40s ok (%ss)\n' "$name" $((SECONDS - t0)) ;;
	77) skip=$((skip + 1)); printf '%-40s SKIPPED: %s\n' "$name" "$(grep -a '^SKIP' "$log" | tail -n1)" ;;
	*)  fail=$((fail + 1)); failed_names+=("$name")
	    printf '%-40s FAILED (exit %s)\n' "$name" "$rc"; tail -n 60 "$log" ;;
	esac
}

run_integration() {
	local s
	for s in tests/integration/*.sh; do
		[ -x "$s" ] || continue
		run_script "$s" "integration/$(basename "$s" .sh)"
	done
}

# The unit tests again, built by clang with ASan+UBSan (also proves the clang -Werror build),
# then integration scripts against the programs of that build (tests/integration/lib.sh fails a
# script on any sanitizer report).  SAN_SCRIPTS: the scripts to run, or "all"; the default is
# the ones that run the most of cam-bridge and cam-sim, to keep `make check` within its budget.
SAN_SCRIPTS=${SAN_SCRIPTS:-bridge_sim reload bridge_life http_bridge url_sources restart events}
run_san() {
	if ! make --no-print-directory BUILD=build/san SAN=1 CC=clang all >"$LOGDIR/san-build.log" 2>&1; then
		fail=$((fail + 1)); failed_names+=("san-build"); tail -n 60 "$LOGDIR/san-build.log"; return
	fi
	local saved=$BUILD s
	BUILD=build/san
	LOGDIR=$BUILD/test-logs; mkdir -p "$LOGDIR"
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} run_unit
	for s in tests/integration/*.sh; do
		[ -x "$s" ] || continue
		s=$(basename "$s" .sh)
		[ "$SAN_SCRIPTS" = all ] || [[ " $SAN_SCRIPTS " == *" $s "* ]] || continue
		run_script "tests/integration/$s.sh" "san/integration/$s"
	done
	BUILD=$saved; LOGDIR=$BUILD/test-logs
}

# The long soak (tests/integration/soak.sh; make soak): SOAK_SECONDS, one hour by default.
run_soak() {
	local secs=${SOAK_SECONDS:-3600}
	SOAK_SECONDS=$secs TEST_TIMEOUT=$((secs + 900)) run_script tests/integration/soak.sh soak
}

run_vm() {
	local m
	for m in dkms 0.13.2; do
		VM_MODULE=$m run_script tests/vm/run.sh vm/$m
	done
}

run_vm-long() {
	local m
	for m in dkms 0.13.2; do
		VM_LONG=1 VM_MODULE=$m run_script tests/vm/run.sh vm-long/$m
	done
	VM_SYSTEMD=1 VM_MODULE=0.13.2 run_script tests/vm/run.sh vm-long/systemd
}

run_fuzz() {
	local f log rc pids=() names=()
	make -j2 --no-print-directory -f tests/fuzz/fuzz.mk build >"$LOGDIR/fuzz-build.log" 2>&1 || {
		fail=$((fail + 1)); failed_names+=("fuzz-build"); tail -n 40 "$LOGDIR/fuzz-build.log"; return; }
	for f in build/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		names+=("$f")
	done
	local i=0
	while [ $i -lt ${#names[@]} ]; do
		pids=()
		for f in "${names[@]:$i:2}"; do
			tests/fuzz/run-one.sh "$f" "${FUZZ_SECONDS:-60}" >"$LOGDIR/$(basename "$f").log" 2>&1 &
			pids+=($!)
		done
		local k=0
		for p in "${pids[@]}"; do
			f=${names[$((i + k))]}
			wait "$p"; rc=$?
			if [ $rc -eq 0 ]; then pass=$((pass + 1)); printf '%-40s ok (%s)\n' "$(basename "$f")" "$(grep -a '^#.*DONE\|Done' "$LOGDIR/$(basename "$f").log" | tail -n1)"
			else fail=$((fail + 1)); failed_names+=("$(basename "$f")"); printf '%-40s FAILED\n' "$(basename "$f")"; tail -n 40 "$LOGDIR/$(basename "$f").log"; fi
			k=$((k + 1))
		done
		i=$((i + 2))
	done
}

for group in "$@"; do
	echo "== $group"
	if ! declare -F "run_$group" >/dev/null; then
		echo "unknown test group: $group"; fail=$((fail + 1)); failed_names+=("$group"); continue
	fi
	"run_$group"
done

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
