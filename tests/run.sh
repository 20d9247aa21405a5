#!/bin/bash
# Runs groups of tests and prints one closing line "N passed, N failed, N skipped".
#   unit         every build/tests/test_* (cmocka; the conformance tests are among them)
#   conformance  only the tests replaying ../shared/conformance (build/tests/*conformance*)
#   integration  every tests/integration/*.sh  (exit 0 = pass, 77 = skip, else fail), $TEST_JOBS
#                at a time (default 3; unit and san tests too)
#   vm           tests/vm/run.sh, once per module: the distribution's (dkms) and 0.13.2
#   vm-long      tests/vm/run.sh VM_LONG=1 (Chromium, motion), once per module, and
#                VM_SYSTEMD=1 (systemd as PID 1 runs cam-bridge@camera1.service)
#   san          the unit tests and integration scripts against the clang ASan+UBSan build
#   fuzz         every fuzzer for $FUZZ_SECONDS seconds ($FUZZ_JOBS at a time, default 2)
#   vm-fuzz      vm, with the fuzzers one at a time beside it (what make check runs)
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

tally_unit() {   # $1 = name, $2 = exit code, $3 = seconds taken
	local log=$LOGDIR/$1.log
	count_cmocka "$log" "$2" "$1"
	printf '%-40s %s(%ss)\n' "$1" "$(grep -aE '^\[  (PASSED  |FAILED  |SKIPPED )\] [0-9]+' "$log" | tr '\n' ' ')" "$3"
	[ "$2" -ne 0 ] && tail -n 40 "$log"
	return 0
}

# Tests that measure the bridge under a load of their own run alone: test_http_snapshot's
# flood checks that the PNG encoder (at nice +10) leaves the viewers their rate, and other
# tests beside it would starve that encoder instead.
ALONE="test_http_snapshot"

run_unit() {   # $1 = which test binaries (a glob under $BUILD/tests), default all
	local t n
	for t in "$BUILD"/tests/${1:-test_*}; do
		[ -x "$t" ] || continue
		n=$(basename "$t")
		if [[ " $ALONE " == *" $n "* ]]; then
			jobs_below 1; start_job unit "$n" timeout 600 "$t"; jobs_below 1
		else
			jobs_below "${TEST_JOBS:-3}"; start_job unit "$n" timeout 600 "$t"
		fi
	done
	jobs_below 1
}

# The tests that replay the real captures in ../shared/conformance (also part of "unit").
run_conformance() {
	run_unit '*conformance*'
}

tally_script() {   # $1 = label, $2 = exit code, $3 = seconds taken
	local log=$LOGDIR/$(echo "$1" | tr '/' '_').log
	case $2 in
	0)  pass=$((pass + 1)); printf '%-40s ok (%ss)\n' "$1" "$3" ;;
	77) skip=$((skip + 1)); printf '%-40s SKIPPED: %s\n' "$1" "$(grep -a '^SKIP' "$log" | tail -n1)" ;;
	*)  fail=$((fail + 1)); failed_names+=("$1")
	    printf '%-40s FAILED (exit %s, %ss)\n' "$1" "$2" "$3"; tail -n 60 "$log" ;;
	esac
}

# Tests run TEST_JOBS at a time (default 3): most of their time goes on waiting for a camera's
# timeouts and frame rates, not on a core.  A test's line is printed when it ends.
declare -A job_name=() job_kind=() job_t0=()
start_job() {   # $1 = unit|script, $2 = label, then the command; its output goes to the log
	"${@:3}" >"$LOGDIR/$(echo "$2" | tr '/' '_').log" 2>&1 &
	job_kind[$!]=$1; job_name[$!]=$2; job_t0[$!]=$SECONDS
}
reap_job() {
	local pid rc
	wait -n -p pid "${!job_name[@]}"; rc=$?   # only ours, not the fuzzers beside the VM
	"tally_${job_kind[$pid]}" "${job_name[$pid]}" "$rc" $((SECONDS - job_t0[$pid]))
	unset "job_name[$pid]" "job_kind[$pid]" "job_t0[$pid]"
}
jobs_below() {   # $1: waits until fewer than $1 tests run
	while [ ${#job_name[@]} -ge "$1" ]; do reap_job; done
}
start_script() {   # $1 = script, $2 = label
	start_job script "$2" env BUILD="$BUILD" timeout "${TEST_TIMEOUT:-900}" "$1"
}
run_script() {   # $1 = script, $2 = label: alone
	jobs_below 1; start_script "$1" "$2"; jobs_below 1
}
# The longest first, so that the lanes end together.
LONG_FIRST="soak hostile_camera record sim_client bench_smoke bridge_sim bridge_life mqtt"
run_scripts() {   # $1 = label prefix, $2 = names to run ("all" or a list)
	local s n order=()
	for n in $LONG_FIRST; do order+=("tests/integration/$n.sh"); done
	for s in tests/integration/*.sh; do
		[[ " $LONG_FIRST " == *" $(basename "$s" .sh) "* ]] || order+=("$s")
	done
	for s in "${order[@]}"; do
		n=$(basename "$s" .sh)
		[ -x "$s" ] || continue
		[ "$2" = all ] || [[ " $2 " == *" $n "* ]] || continue
		jobs_below "${TEST_JOBS:-3}"; start_script "$s" "$1/$n"
	done
	jobs_below 1
}

run_integration() {
	run_scripts integration all
}

# The unit tests again, built by clang with ASan+UBSan (also proves the clang -Werror build),
# then integration scripts against the programs of that build (tests/integration/lib.sh fails a
# script on any sanitizer report).  SAN_SCRIPTS: the scripts to run, or "all"; the default is
# the ones that run the most of cam-bridge and cam-sim, to keep `make check` within its budget.
SAN_SCRIPTS=${SAN_SCRIPTS:-bridge_sim reload bridge_life http_bridge url_sources restart events}
run_san() {
	if ! make -j"$(nproc)" --no-print-directory BUILD=build/san SAN=1 CC=clang all >"$LOGDIR/san-build.log" 2>&1; then
		fail=$((fail + 1)); failed_names+=("san-build"); tail -n 60 "$LOGDIR/san-build.log"; return
	fi
	local saved=$BUILD
	BUILD=build/san
	LOGDIR=$BUILD/test-logs; mkdir -p "$LOGDIR"
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} run_unit
	run_scripts san/integration "$SAN_SCRIPTS"
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
	local i=0 n=${FUZZ_JOBS:-2}
	while [ $i -lt ${#names[@]} ]; do
		pids=()
		for f in "${names[@]:$i:$n}"; do
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
		i=$((i + n))
	done
}

# The VM test keeps about one core busy (QEMU/TCG runs the guest's one vCPU on one thread), so
# the fuzzers run one at a time beside it on the other core; their lines follow the VM's.
run_vm-fuzz() {
	local counts=$LOGDIR/fuzz.counts p f s names
	rm -f "$counts"
	( pass=0 fail=0 skip=0 failed_names=()
	  FUZZ_JOBS=1 run_fuzz >"$LOGDIR/fuzz.out" 2>&1
	  echo "$pass $fail $skip ${failed_names[*]}" >"$counts" ) &
	local fpid=$!
	run_vm
	wait "$fpid"
	echo "== fuzz (beside the VM test)"
	cat "$LOGDIR/fuzz.out"
	if ! read -r p f s names <"$counts"; then
		fail=$((fail + 1)); failed_names+=("fuzz"); return
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	[ -n "$names" ] && failed_names+=($names)
	return 0
}

for group in "$@"; do
	echo "== $group"
	if ! declare -F "run_$group" >/dev/null; then
		echo "unknown test group: $group"; fail=$((fail + 1)); failed_names+=("$group"); continue
	fi
	g0=$SECONDS
	"run_$group"
	echo "== $group: $((SECONDS - g0)) s"
done

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
