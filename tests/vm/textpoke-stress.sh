#!/bin/sh
# textpoke-stress.sh SECONDS - run inside a guest (tests/vm/run-in-guest.sh):
# patches kernel text as fast as it can while the other vCPU runs, for
# SECONDS of guest uptime, then prints the rounds done.
#
# Each round enables and disables every trace event of the sched, sock, tcp
# and raw_syscalls groups: each flips static keys whose jump-label sites the
# kernel rewrites with text_poke_bp (an int3 first, then the new bytes, then
# the first byte), as attaching a kprobe or a tracepoint program does. The
# other vCPU forks and execs meanwhile, running through those sites. It
# shows whether qemu's TCG keeps every vCPU's translated code in step with
# the patched text: where it does not, the guest dies with "Oops: int3" at a
# jump-label site (tests/vm/README.md, Known issues).
#
#   TT_VM_ACCEL=tcg,thread=multi tests/vm/run-in-guest.sh --suite trixie \
#       --timeout 900 -- sh -c 'tests/vm/textpoke-stress.sh 480'
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs tracefs $T
echo 0 >$T/tracing_on
echo 1 >$T/buffer_size_kb
(while :; do /bin/true; done) &
end=$(($(cut -d. -f1 /proc/uptime) + ${1:?seconds}))
n=0
while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
	for on in 1 0; do
		for group in sched sock tcp raw_syscalls; do
			echo $on >$T/events/$group/enable
		done
	done
	n=$((n + 1))
done
kill $! 2>/dev/null
echo "textpoke-stress: $n rounds in $1 s"
