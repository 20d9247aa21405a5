#!/bin/bash
# What `make check` runs after the gcc build: unit + conformance tests, integration tests, the
# unit tests again under clang with ASan+UBSan, the fuzzers, and the VM test; one closing line.
cd "$(dirname "$0")/.." && exec tests/run.sh unit integration san fuzz vm
