#!/bin/bash
# Every test, as root on Debian 12: builds; static checks and a short fuzz run;
# the unit tests and the BPF verifier check (ctest); the live tests against
# this kernel (pytest), on the default backend and, where the kernel has
# kprobes, on tracepoints too; the kprobe stage in qemu guests with Debian
# 11's, 12's and 13's kernels (tests/vm/), in the background from the start;
# and the unit and live tests again under ASan and UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh test
tests/facts.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"

# The guests run their own kernels (nothing they attach is seen here) on a
# read-only view of this build, so they run beside the host's tests, in three
# lanes: Debian 11's and 12's kernels one after the other, Debian 13's in a
# lane of its own (a guest's emulation runs on one host thread, so a second
# guest takes the CPU the host's tests leave idle while they wait), and the
# host's tests. The guests are started now, niced (the host's tests, whose
# waits are shorter than the guests', get the CPU first), each lane in a
# session of its own (an interrupted run leaves no guest behind). Their logs
# are printed at the end. (With the three kernels in one lane, CI took 36
# minutes, that lane 34.)
stage_logs=() stage_pids=()
for suites in "bullseye bookworm" "trixie"; do
	stage_logs+=("$(mktemp)")
	echo "== the kprobe stage on Debian's $suites kernels: started in the background (its log follows at the end)"
	TT_VM_SUITES="$suites" setsid nice -n 10 tests/vm/stage.sh >"${stage_logs[-1]}" 2>&1 &
	stage_pids+=($!)
done
# shellcheck disable=SC2317 # called by the EXIT trap
stop_stages() {
	local pid
	# (|| true: under set -e a failing command in the trap becomes the exit status.)
	for pid in "${stage_pids[@]}"; do kill -- -"$pid" 2>/dev/null || true; done
}
trap stop_stages EXIT

status=0
echo "== static checks"
tests/lint.sh || status=1
echo "== fuzzing"
tests/fuzz.sh || status=1
echo "== unit tests and the BPF verifier check"
(cd build && ctest --output-on-failure) || status=1

# A hung test fails after 10 minutes instead of hanging CI (soak and valgrind take minutes).
pytest=(/usr/bin/python3 -m pytest -p no:cacheprovider -rs --timeout 600 tests/live)
echo "== live tests"
"${pytest[@]}" || status=1
if [ -e /sys/bus/event_source/devices/kprobe ]; then
	echo "== live tests again on the tracepoint backend"
	TT_TOOL_ARGS="--backend tracepoint" "${pytest[@]}" || status=1
fi
echo "== benchmark, smoke mode (checks the pipeline; never judged on timings)"
/usr/bin/python3 bench/run.py --smoke || status=1
/usr/bin/python3 bench/cost.py --smoke || status=1
/usr/bin/python3 bench/compare.py -r 1 -n 2000 --bpf-stats tcpconnect=build/tcpconnect \
	'floor=/usr/bin/python3 bench/empty_probe.py raw_tracepoint:inet_sock_set_state' \
	>/dev/null || status=1
/usr/bin/python3 bench/loop_instructions.py -n 500 \
	main=tt_tracer_read,tt_columns_print_event,tt_batch_sort,tt_output_flush=build/tcpconnect \
	>/dev/null || status=1
echo "== unit and live tests again, built with AddressSanitizer and UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DTT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$(nproc)"
(cd build-asan && ctest --output-on-failure) || status=1
# test_system_states.py among them: the sanitizers see tracefs mounted by the
# tools themselves, and the other mount states, on every machine.
TT_BUILD_DIR=build-asan "${pytest[@]}" -m "not valgrind and not soak" || status=1

echo "== the kprobe stage (tests/vm/), run in the background: waiting for it"
for i in "${!stage_pids[@]}"; do
	wait "${stage_pids[$i]}" || status=1
	cat "${stage_logs[$i]}"
	rm -f "${stage_logs[$i]}"
done

exit $status
