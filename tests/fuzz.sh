#!/bin/bash
# Builds the libFuzzer targets with clang and runs each for a short while
# (TT_FUZZ_SECONDS, default 20) from the corpus kept in tests/fuzz/corpus/.
# A crash or a violated property fails; new inputs found go to a scratch copy.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${TT_FUZZ_SECONDS:-20}

CC=clang cmake -S . -B build-fuzz -DTT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_args fuzz_format fuzz_dns fuzz_mountinfo fuzz_cache_entry fuzz_exposition fuzz_cidr fuzz_proc_tcp

status=0
for target in args format dns mountinfo cache_entry exposition cidr proc_tcp; do
	scratch=$(mktemp -d)
	cp tests/fuzz/corpus/$target/* "$scratch"/
	echo "== fuzz_$target for ${seconds}s"
	if ! build-fuzz/tests/fuzz_$target -max_total_time="$seconds" -close_fd_mask=3 \
		-print_final_stats=1 -artifact_prefix=build-fuzz/ "$scratch" 2>&1 | tail -4; then
		status=1
	fi
	rm -rf "$scratch"
done
exit $status
