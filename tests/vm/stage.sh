#!/bin/bash
# The kprobe stage: boots Debian's distribution kernels (kprobes, BTF) in qemu
# (tests/vm/run-in-guest.sh), one after the other with one boot each, and runs
# both tools' live cases on each, once on the default backend (which must be
# kprobe there) and once on tracepoints; on some kernels also on perf buffers
# and on the kernel-headers fallback (tests/vm/README.md says what runs where).
#
#   tests/vm/stage.sh                          # as tests/run.sh runs it
#   TT_VM_SUITES="bullseye" tests/vm/stage.sh  # one kernel only
#
# Prints one result line per kernel and part at the end. Exits 0 with a SKIP
# line when this machine cannot run qemu at all; non-zero when a guest boots
# and a test fails. Needs a build in build/.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 125

read -r -a suites <<<"${TT_VM_SUITES:-bullseye bookworm trixie}"
live=tests/live
# What differs most between kernels: each tool's IPv4 and IPv6 paths, the
# connect that fails, the one left in progress, BPF atomics or not, the
# accept begun before the tracer, and the attachments themselves. Not the filters and options, whose
# kernel side is the same code on every kernel.
core="$live/test_tcpconnect.py::test_ipv4_connect $live/test_tcpconnect.py::test_ipv6_connect"
core="$core $live/test_tcpconnect.py::test_refused_connect_is_traced"
core="$core $live/test_tcpconnect.py::test_connect_in_progress"
core="$core $live/test_tcpconnect.py::test_bpf_atomics_used_where_the_kernel_has_them"
core="$core $live/test_tcpaccept.py::test_backlog_sequence_ipv4"
core="$core $live/test_tcpaccept.py::test_ipv6_and_accept_syscall"
core="$core $live/test_tcpaccept.py::test_accept_begun_before_tracing $live/test_kprobes.py"
# Which accept() tracepoints: the exits alone where they read the registers (5.15+).
core="$core $live/test_tcpaccept.py::test_accept_syscall_probes_follow_the_kernel"
# A prefork pool of 40 workers blocked in accept(), before and while tracing.
core="$core $live/test_tcpaccept.py::test_prefork_pool"
# -d's cgroup_skb program meets each kernel's verifier: an A answer over
# IPv4, an AAAA over IPv6, and nothing left linked after SIGKILL.
# (6.1's kprobe part runs every -d case instead.)
dns="$live/test_dns.py::test_own_resolver_a_record $live/test_dns.py::test_aaaa_answer_over_ipv6"
dns="$dns $live/test_dns.py::test_nothing_left_attached"
# The accepts that make no accept syscall or return an MPTCP socket: io_uring's
# (its tracepoint's fields differ between kernels) and MPTCP's.
accepts="$live/test_tcpaccept.py::test_mptcp_listener $live/test_tcpaccept.py::test_io_uring_accept"
accepts="$accepts $live/test_tcpaccept.py::test_io_uring_accept_direct"
# One case of each tool, for the extra parts.
pair="$live/test_tcpconnect.py::test_ipv4_connect $live/test_tcpaccept.py::test_ipv6_and_accept_syscall"
# The guest has tracefs mounted; a fresh machine with kprobes has not. One
# tool is enough: both attach kprobes through the same common code.
no_tracefs="'$live/test_system_states.py::test_tracefs[none-tcpconnect]'"
# tcpconnect's kprobe return checks --daddr and -N itself (tcpaccept's
# filters are the syscall path's, the same on both backends): --daddr each
# way (inline, trie), -N once.
filters="'$live/test_filters.py::test_peer_filter[include-inline-tcpconnect]'"
filters="$filters '$live/test_filters.py::test_peer_filter[include-trie-tcpconnect]'"
filters="$filters '$live/test_filters.py::test_netns_filter_and_column[tcpconnect]'"
# tcpaccept -o at the listener's door, whose kprobes are each kernel's own
# functions: a SYN dropped on a full accept queue (its listener older than
# the tracer, named from /proc), a final ACK dropped (with and without
# tcp_abort_on_overflow; over IPv6; from an IPv4 client to an IPv6
# listener, which tcp_v6_syn_recv_sock hands to tcp_v4_syn_recv_sock), SYN
# cookies (the listener's listen() traced), a dropped SYN named by the
# listener's last acceptor (handed the listener), and by /proc for an older
# listener of another network namespace than the tool's, refused SYNs over
# IPv4 and IPv6, and a client's reset of a queued connection (its flow read at
# ESTABLISHED before 6.15). On tracepoints, the drops counted per listener
# and refused lines (from 6.10 on; before, none).
ao="$live/test_accept_outcome.py"
accept_outcome="$ao::test_full_queue_drops_are_counted_per_listener"
accept_outcome="$accept_outcome $ao::test_final_ack_dropped_on_a_full_queue $ao::test_syn_cookies"
accept_outcome="$accept_outcome $ao::test_final_ack_dropped_over_ipv6"
accept_outcome="$accept_outcome $ao::test_refused_names_what_the_client_asked_for"
accept_outcome="$accept_outcome $ao::test_door_names_the_last_acceptor"
accept_outcome="$accept_outcome $ao::test_door_names_an_older_listener_in_another_netns"
accept_outcome="$accept_outcome '$ao::test_client_gone_before_accept[reset_last-read0]'"
accept_outcome_tp="$ao::test_full_queue_drops_are_counted_per_listener"
accept_outcome_tp="$accept_outcome_tp '$ao::test_final_ack_dropped_on_a_full_queue[0]'"
accept_outcome_tp="$accept_outcome_tp '$ao::test_refused_names_what_the_client_asked_for[127.0.0.1-4]'"

# The parts each kernel runs, one per line: name|environment|pytest arguments.
# A tool compiles its BPF program at start, which takes a minute or more
# under emulation on a busy host (TT_START_TIMEOUT); against headers, longer.
parts_for() { # suite
	local tp="TT_TOOL_ARGS='--backend tracepoint'" wait="TT_START_TIMEOUT=300"
	case $1 in
	bookworm)
		# Debian 12, this machine's own release: also tracefs not mounted.
		# Every -d case on kprobes (issue 12).
		echo "kprobe (default backend)|$wait|$core $live/test_dns.py $accepts $no_tracefs $filters"
		echo "tracepoint|$wait $tp|$core $dns $accepts -k 'not default_backend'"
		# -o on kprobes: the attempt from its kprobe, the outcome from the
		# state-change tracepoint beside it. Not the 22,000-attempt overflow
		# case: its sockets take minutes under emulation, and the table it
		# fills is the same code on either backend (run on the host).
		echo "outcome, kprobe|$wait|$live/test_outcome.py -k 'not overflow'"
		;;
	trixie)
		echo "kprobe (default backend)|$wait|$core $dns $accepts"
		echo "tracepoint|$wait $tp|$core $dns $accepts -k 'not default_backend'"
		;;
	*)
		# 5.10: the accepts on kprobes (the tracepoint backend's io_uring
		# path is tested on the two newer kernels and on the host).
		echo "kprobe (default backend)|$wait|$core $dns $accepts"
		echo "tracepoint|$wait $tp|$core $dns -k 'not default_backend'"
		;;
	esac
	echo "accept outcome, kprobe|$wait|$accept_outcome"
	echo "accept outcome, tracepoint|$wait $tp|$accept_outcome_tp"
	case $1 in
	bullseye)
		# Linux 5.10 has no BPF atomics: the tracepoint backend keeps every
		# attempt in its hash map. The oldest kernel also gets perf buffers
		# (what kernels before 5.8 have) and the kernel-headers fallback.
		echo "tracepoint, no BPF atomics|$wait $tp|$live/test_tcpconnect.py::test_many_attempts_in_progress"
		echo "perf buffers, kprobe|$wait TT_TOOL_ARGS='--buffer perf'|$pair"
		echo "perf buffers, tracepoint|$wait TT_TOOL_ARGS='--backend tracepoint --buffer perf'|$pair"
		echo "kernel headers, kprobe|TT_START_TIMEOUT=1200 TT_TOOL_ARGS='--kernel-types headers'|$pair"
		;;
	trixie)
		# 6.12's headers are newer than Debian 12's libbcc (0.26) and its own
		# BPF headers: the fallback must end with one line saying so.
		echo "kernel headers: works or says why|TT_START_TIMEOUT=1200|$live/test_common.py::test_kernel_headers_work_or_say_why"
		;;
	esac
}

# The guest's script: runs every part (not valgrind's or the soak's cases:
# the host runs them, and under emulation they outlast any timeout), prints "TT_PART <status> <seconds> <name>"
# for each, and fails if any part failed.
guest_script() { # suite
	local name env tests
	# shellcheck disable=SC2016 # expanded in the guest
	printf '%s\n' 'status=0' 'echo "== guest kernel $(uname -r)"'
	while IFS='|' read -r name env tests; do
		cat <<-EOF
			echo "== guest \$(uname -r): $name"
			start=\$(date +%s)
			$env /usr/bin/python3 -m pytest -p no:cacheprovider -rs -q --timeout 1500 -m "not valgrind and not soak" $tests
			rc=\$?
			echo "TT_PART \$rc \$((\$(date +%s) - start)) \$(uname -r): $name"
			[ \$rc = 0 ] || status=1
		EOF
	done < <(parts_for "$1")
	# shellcheck disable=SC2016 # expanded in the guest
	echo 'exit $status'
}

results=()
status=0
skipped=0
for suite in "${suites[@]}"; do
	echo "== kprobe stage: Debian $suite's kernel"
	log=$(mktemp)
	start=$(date +%s)
	tests/vm/run-in-guest.sh --suite "$suite" --timeout "${TT_VM_TIMEOUT:-2400}" \
		-- sh -c "$(guest_script "$suite")" | tee "$log"
	rc=${PIPESTATUS[0]}
	took=$(($(date +%s) - start))
	while read -r _ prc psecs pname; do
		results+=("$([ "$prc" = 0 ] && echo PASS || echo "FAIL ($prc)")  ${psecs}s  $pname")
	done < <(grep '^TT_PART ' "$log")
	rm -f "$log"
	if [ "$rc" = 77 ]; then
		results+=("SKIP  $suite: qemu cannot run here (see the SKIP line above)")
		skipped=$((skipped + 1))
	elif [ "$rc" = 0 ]; then
		results+=("PASS  ${took}s  $suite: whole boot")
	else
		results+=("FAIL ($rc)  ${took}s  $suite: whole boot")
		status=1
	fi
done

echo "== kprobe stage results"
printf '  %s\n' "${results[@]}"
if [ "$skipped" = "${#suites[@]}" ]; then
	echo "SKIP: the kprobe stage cannot run here (see the lines above); not a failure" >&2
	exit 0
fi
exit $status
