#!/bin/bash
# selftest.sh - check that run-in-guest.sh works on this machine: exit status
# propagation, stdout/stderr separation, and a guest fit for the kprobe
# tests (kprobes, BTF, bpffs, bpftool, python3, and a kprobe that fires if
# bpftrace is installed).  Two guest boots, ~25 s.  Exits 77 if the harness
# skips.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rig=$here/run-in-guest.sh
pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
nok() { echo "FAIL: $*"; fail=$((fail + 1)); }

out=$("$rig" -- sh -c 'echo out; echo err >&2; exit 3' 2>/dev/null)
rc=$?
[ "$rc" = 77 ] && { echo "SKIP: run-in-guest.sh skipped"; exit 77; }
if [ "$rc" = 3 ]; then ok "exit status 3 comes back"; else nok "exit status: want 3, got $rc"; fi
if [ "$out" = out ]; then ok "stdout only on stdout"; else nok "stdout was: $out"; fi

# One boot for all environment checks; each prints "ok: ..." or "FAIL: ...".
# shellcheck disable=SC2016 # expanded in the guest
checks='
t() { if eval "$2" >/dev/null 2>&1; then echo "ok: $1"; else echo "FAIL: $1"; fi; }
t "TT_IN_GUEST=1" "[ \"\$TT_IN_GUEST\" = 1 ]"
t "cwd preserved" "[ \"\$(pwd)\" = \"$1\" ]"
t "TT_ var passed through" "[ \"\$TT_SELFTEST\" = \"a b\" ]"
t "kprobe_events" "test -e /sys/kernel/tracing/kprobe_events"
t "kprobe PMU" "test -e /sys/bus/event_source/devices/kprobe"
t "BTF" "test -s /sys/kernel/btf/vmlinux"
t "bpffs" "grep -q \" /sys/fs/bpf bpf \" /proc/mounts"
t "kernel headers" "test -e /lib/modules/\$(uname -r)/build/include/generated/autoconf.h"
t "bpftool prog" "bpftool prog"
t "bpftool perf list" "bpftool perf list"
t "python3" "python3 -c \"import ctypes, socket\""
t "root writable (overlay)" "touch /usr/tt-selftest"
if command -v bpftrace >/dev/null; then
	bpftrace -e "kprobe:tcp_v4_connect { printf(\"hit\\n\"); exit(); }" >/tmp/bt 2>&1 &
	for i in 1 2 3 4 5 6 7 8 9 10; do grep -q Attaching /tmp/bt && break; sleep 1; done
	sleep 1
	python3 -c "import socket; s = socket.socket(); s.settimeout(1); s.connect_ex((\"127.0.0.1\", 9))"
	wait
	t "bpftrace kprobe fires" "grep -q hit /tmp/bt"
fi
'
out=$(TT_SELFTEST="a b" "$rig" --timeout 300 -- bash -c "$checks" checks "$PWD")
rc=$?
echo "$out"
pass=$((pass + $(echo "$out" | grep -c '^ok:')))
fail=$((fail + $(echo "$out" | grep -c '^FAIL:')))
[ "$rc" = 0 ] || nok "environment run exited $rc"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
