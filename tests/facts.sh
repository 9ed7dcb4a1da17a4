#!/bin/bash
# The facts of this machine that change which code the tools (and so the
# tests) run, one line each, so that a red run can be read without guessing.
# Read-only: it mounts nothing and loads nothing that stays.
set -euo pipefail

yes_no() { "$@" >/dev/null 2>&1 && echo yes || echo no; }

# Mount points of a filesystem type in this mount namespace, or "not mounted".
where() {
	local targets
	targets=$(findmnt -rn -t "$1" -o TARGET | paste -sd' ')
	echo "${targets:-not mounted}"
}

echo "== facts"
echo "kernel:      $(uname -r)"
# The same tests the tools make (common/kernel/system_checks.c, common/buffers/ring_buffer.c).
echo "kprobes:     $(yes_no test -e /sys/bus/event_source/devices/kprobe/type)"
echo "BTF:         $(yes_no test -e /sys/kernel/btf/vmlinux)"
echo "tracefs:     $(where tracefs)"
echo "cgroup2:     $(where cgroup2)"
if command -v bpftool >/dev/null; then
	echo "ring buffer: $(yes_no sh -c 'bpftool feature probe kernel | grep -q "map_type ringbuf is available"')"
else
	echo "ring buffer: unknown (no bpftool)"
fi
