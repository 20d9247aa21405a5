#!/bin/bash
# What `make check` runs after the gcc build: unit + conformance tests, integration tests (two
# at a time), the unit tests and the busiest integration scripts again under clang with
# ASan+UBSan, then the VM test with the fuzzers beside it; one closing line.
# The fuzzers get 30 s each here (make fuzz: FUZZ_SECONDS, 60 by default) to keep make check
# under 25 minutes on the 2-core machines.
cd "$(dirname "$0")/.." && FUZZ_SECONDS=${FUZZ_SECONDS:-30} exec tests/run.sh unit integration san vm-fuzz
