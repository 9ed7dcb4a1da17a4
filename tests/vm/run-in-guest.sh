#!/bin/bash
# run-in-guest.sh - run one command inside a throw-away qemu guest that boots
# a Debian distribution kernel (Debian 12's by default; --suite picks another
# release's), with the host's root filesystem as the guest's root.  Used to test the kprobe backend of tcptools on a kernel that
# has kprobes (the CI host's kernel may not).
#
# Usage: tests/vm/run-in-guest.sh [--timeout SECONDS] [--suite SUITE]
#            [--env NAME=VALUE]... -- COMMAND [ARGS...]
#
# COMMAND is exec'ed with ARGS as an argv (no shell parsing); wrap it in
# `sh -c '...'` for shell syntax.  It runs as root in a chroot of the host's
# root filesystem, in the same absolute working directory as on the host.
# Its stdout goes to this script's stdout and its stderr to this script's
# stderr; this script exits with the command's exit status.
#
# Exit status of this script itself:
#   77   SKIP: qemu (or what it needs) is not available on this machine
#   124  the guest did not finish within --timeout
#   125  the guest failed to boot, or another harness error
#   130/143  interrupted by SIGINT/SIGTERM (the guest is killed)
# See tests/vm/README.md for the environment variables.

set -euo pipefail

prog=run-in-guest
timeout_s=${TT_VM_TIMEOUT:-600}
cache=${TT_VM_CACHE:-/var/cache/tcptools-vm}
mem=${TT_VM_MEM:-2048}
smp=${TT_VM_SMP:-2}
# One host thread runs both vCPUs in turn: Debian 12's qemu (7.2) with a
# thread per vCPU (its default here) lets a vCPU run a stale translation of
# kernel text another vCPU has just patched, and the guest dies with
# "Oops: int3" at a jump-label site (tests/vm/README.md, Known issues).
accel=${TT_VM_ACCEL:-tcg,thread=single}
debug=${TT_VM_DEBUG:-0}
suite=${TT_VM_SUITE:-}
extra_env=()

# Modules the guest needs before it can mount its root; what they depend on
# differs between kernels (netfs, fscache, virtio_pci_*_dev come and go), so
# the initramfs gets their closure from the kernel's modules.dep.  overlay
# makes the read-only 9p root writable (copy-on-write into guest RAM).
initrd_modules="virtio_pci 9pnet_virtio 9p overlay"

# 9p message size: the virtio transport of 6.1 caps it at 512000 bytes; the
# kernel default (8 KiB on older kernels) makes every file read slow.
msize=512000

# This machine's Debian codename, the default suite.
# shellcheck disable=SC1091 # the host's own file
host_suite() { (. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}"); }

usage() {
	sed -n '/^# Usage:/,/^# See /{s/^# \{0,1\}//;p}' "$0" >&2
	exit "${1:-125}"
}

log() { echo "$prog: $*" >&2; }
debug() { if [ "$debug" = 1 ]; then log "$@"; fi; }
die() { log "error: $*"; exit 125; }

# A missing prerequisite is a SKIP (77) so that test suites can tell "could
# not test here" from "test failed"; TT_VM_REQUIRE=1 turns it into an error
# for CI jobs that must not silently skip.
skip() {
	if [ "${TT_VM_REQUIRE:-0}" = 1 ]; then
		die "$* (TT_VM_REQUIRE=1, not skipping)"
	fi
	echo "SKIP: $prog: $*" >&2
	exit 77
}

while [ $# -gt 0 ]; do
	case $1 in
	--timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
	--timeout=*) timeout_s=${1#*=}; shift ;;
	--suite) [ $# -ge 2 ] || usage; suite=$2; shift 2 ;;
	--suite=*) suite=${1#*=}; shift ;;
	--env) [ $# -ge 2 ] || usage; extra_env+=("$2"); shift 2 ;;
	--env=*) extra_env+=("${1#*=}"); shift ;;
	-h | --help) usage 0 ;;
	--) shift; break ;;
	*) log "unknown argument: $1"; usage ;;
	esac
done
[ $# -ge 1 ] || usage
case $timeout_s in '' | *[!0-9]*) die "--timeout needs a number of seconds" ;; esac
[ -n "$suite" ] || suite=$(host_suite)
case $suite in
'' | *[!a-z]*) die "--suite wants a Debian codename (bullseye, bookworm, trixie), got: '$suite'" ;;
esac
for kv in "${extra_env[@]}"; do
	case $kv in [A-Za-z_]*=*) ;; *) die "--env wants NAME=VALUE, got: $kv" ;; esac
done

is_root() { [ "$(id -u)" = 0 ]; }

# ---------------------------------------------------------------- host tools

apt_updated=0
# Runs an apt-get command, logging to apt.log. apt-get update runs only when
# the command fails (it is slow, and a fresh machine usually has usable
# lists already), and then the command is tried once more.
apt_retry() {
	local _
	for _ in 1 2; do
		if "$@" >>"$rundir/apt.log" 2>&1; then
			return 0
		fi
		[ "$apt_updated" = 0 ] || break
		apt-get update -q >>"$rundir/apt.log" 2>&1 || true
		apt_updated=1
	done
	tail -n 5 "$rundir/apt.log" >&2
	return 1
}

apt_install() {
	is_root || return 1
	apt_retry env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "$@"
}

# busybox must be static: it runs in the initramfs before any library exists.
busybox_is_static() {
	[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1
}

ensure_host_tools() {
	local want=()
	command -v qemu-system-x86_64 >/dev/null || want+=(qemu-system-x86)
	busybox_is_static || want+=(busybox-static)
	command -v xz >/dev/null || want+=(xz-utils)
	[ ${#want[@]} -eq 0 ] && return 0
	is_root || skip "missing ${want[*]} and not root to apt-get install them"
	command -v apt-get >/dev/null || skip "missing ${want[*]} and no apt-get"
	log "installing ${want[*]} (apt-get)"
	apt_install "${want[@]}" || skip "could not apt-get install ${want[*]}"
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 still missing"
	busybox_is_static || skip "/bin/busybox is not a static binary"
}

# Start qemu once with no guest to find out whether it can run at all here
# (missing /dev nodes, seccomp/sandbox refusals, broken install...).
probe_qemu() {
	local out
	if ! out=$(echo quit | timeout 30 qemu-system-x86_64 -machine none \
		-accel "$accel" -nodefaults -no-user-config -display none \
		-monitor stdio -S 2>&1); then
		skip "qemu-system-x86_64 cannot start: $(echo "$out" | grep -v '^QEMU\|^(qemu)' | head -n 1)"
	fi
}

# ------------------------------------------------------- kernel in the cache

# The guest kernel is Debian's linux-image-<abi>-amd64 plus its headers
# (libbcc compiles BPF programs against /lib/modules/$(uname -r)/build when
# asked to use headers) from one Debian suite (TT_VM_SUITE: bullseye,
# bookworm, trixie...).  The packages are fetched with `apt-get download`
# through a private sources list and lists directory for that suite, on the
# mirror this machine's own apt sources use, and unpacked with dpkg-deb -x
# into $cache/<suite>/<kver>/root: no maintainer scripts run, the host's apt
# state is untouched, and later runs reuse the cache without any network.

keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# The site (mirror URL) of the host's apt source for one suite, e.g.
# "bookworm-security" -> http://<mirror>/debian-security.
host_site_of() { # suite
	# shellcheck disable=SC2016 # apt's own $(FIELD) syntax
	apt-get indextargets --format '$(RELEASE) $(SITE)' 'Identifier: Packages' 2>/dev/null |
		awk -v s="$1" '$1 == s { print $2; exit }'
}

# Writes $suite_apt/sources.list: the suite and its security updates, at the
# sites the host uses for its own suite.
write_suite_sources() {
	local host main security
	host=$(host_suite)
	[ -n "$host" ] || skip "cannot read this machine's Debian codename (/etc/os-release)"
	main=$(host_site_of "$host")
	[ -n "$main" ] || skip "no Debian archive for $host in this machine's apt sources"
	security=$(host_site_of "$host-security")
	[ -r "$keyring" ] || skip "no $keyring (debian-archive-keyring)"
	mkdir -p "$suite_apt/lists/partial" "$suite_apt/cache/archives/partial" "$suite_apt/empty"
	{
		echo "deb [signed-by=$keyring] $main $suite main"
		if [ -n "$security" ]; then
			echo "deb [signed-by=$keyring] $security $suite-security main"
		fi
	} >"$suite_apt/sources.list"
}

# apt-get or apt-cache on the suite's private sources, lists and package
# cache; no pinning from the host's preferences.
suite_apt() { # apt-get|apt-cache args...
	local tool=$1
	shift
	"$tool" -o Dir::Etc::SourceList="$suite_apt/sources.list" \
		-o Dir::Etc::SourceParts="$suite_apt/empty" \
		-o Dir::Etc::Preferences="$suite_apt/empty/none" \
		-o Dir::Etc::PreferencesParts="$suite_apt/empty" \
		-o Dir::State::Lists="$suite_apt/lists" -o Dir::Cache="$suite_apt/cache" "$@"
}

suite_updated=0
suite_update() {
	[ "$suite_updated" = 0 ] || return 0
	write_suite_sources
	log "apt-get update for $suite (private lists in $suite_apt)"
	suite_apt apt-get update -q >>"$rundir/apt.log" 2>&1 ||
		{ tail -n 5 "$rundir/apt.log" >&2; skip "apt-get update for $suite failed"; }
	suite_updated=1
}

apt_download() { # dir pkg...
	local dir=$1
	shift
	# apt drops privileges to _apt for downloads; let it write there.
	chown _apt "$dir" 2>/dev/null || true
	(cd "$dir" && suite_apt apt-get download -q "$@") >>"$rundir/apt.log" 2>&1 && return 0
	tail -n 5 "$rundir/apt.log" >&2
	return 1
}

# The package linux-image-amd64 depends on in the suite.  Only called when
# nothing is cached yet for it; the lists are refreshed first, since the
# security archive drops superseded kernel packages and stale lists name those
# (suite_update, in the caller: not in the subshell of a $(...)).
resolve_kernel_pkg() {
	suite_apt apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}

fetch_kernel() { # kver -> fills $kdir/$kver
	local kver=$1 dl dest common
	is_root || skip "kernel $kver not in $kdir and not root to fetch it"
	suite_update
	# Leftovers of an interrupted fetch (we hold the lock, so not in use).
	rm -rf "$kdir"/.dl.* "$kdir"/.new.*
	dl=$(mktemp -d "$kdir/.dl.XXXXXX")
	dest=$kdir/.new.$kver
	log "fetching linux-image-$kver and headers from $suite into $kdir (once)"
	apt_download "$dl" "linux-image-$kver" "linux-headers-$kver" ||
		{ rm -rf "$dl"; skip "cannot apt-get download linux-image-$kver from $suite"; }
	# linux-headers-<kver> symlinks into linux-headers-<abi>-common.
	common=$(suite_apt apt-cache depends "linux-headers-$kver" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-headers-[^ ]*-common\)$/\1/p' | head -n 1)
	if [ -n "$common" ]; then
		apt_download "$dl" "$common" ||
			{ rm -rf "$dl"; skip "cannot apt-get download $common from $suite"; }
	fi
	mkdir -p "$dest/root"
	local deb
	for deb in "$dl"/*.deb; do
		dpkg-deb -x "$deb" "$dest/root" || { rm -rf "$dl" "$dest"; die "dpkg-deb -x $deb failed"; }
	done
	rm -rf "$dl"
	[ -f "$dest/root/boot/vmlinuz-$kver" ] || die "no /boot/vmlinuz-$kver in linux-image-$kver"
	# Debian 13 ships its modules in /usr/lib/modules (merged /usr); the
	# guest and depmod look in /lib/modules.
	if [ ! -e "$dest/root/lib/modules/$kver" ] && [ -d "$dest/root/usr/lib/modules/$kver" ]; then
		mkdir -p "$dest/root/lib/modules"
		ln -s "../../usr/lib/modules/$kver" "$dest/root/lib/modules/$kver"
	fi
	# modules.dep etc. are normally made by the package's postinst; make
	# them with busybox so the guest can autoload modules (veth, sch_*...).
	/bin/busybox depmod -b "$dest/root" "$kver" || log "warning: depmod failed"
	# The bzImage decompresses itself at every boot, which is slow under
	# TCG.  qemu can boot the uncompressed ELF vmlinux directly through its
	# PVH entry point, so unpack it once here (optional: falls back).
	extract_vmlinux "$dest/root/boot/vmlinuz-$kver" "$dest/vmlinux" || rm -f "$dest/vmlinux"
	rm -rf "${kdir:?}/$kver"
	mv "$dest" "$kdir/$kver"
}

extract_vmlinux() { # vmlinuz out
	local off
	off=$(LC_ALL=C grep -obUaP '\xfd\x37\x7a\x58\x5a\x00' "$1" | head -n 1 | cut -d: -f1)
	[ -n "$off" ] || return 1
	# xz complains about the bytes after the stream; the ELF check decides.
	tail -c +$((off + 1)) "$1" | xz -dc >"$2" 2>/dev/null || true
	[ "$(head -c 4 "$2" | od -An -c | tr -d ' ')" = '177ELF' ] || return 1
}

# The newest complete kernel in the suite's part of the cache.
newest_cached_kernel() {
	find "$kdir" -mindepth 2 -maxdepth 2 -name .complete 2>/dev/null |
		sed 's|.*/\([^/]*\)/\.complete$|\1|' | sort -V | tail -n 1
}

prepare_kernel() {
	case $cache in *[[:space:]]*) die "TT_VM_CACHE must not contain spaces" ;; esac
	# Each suite has its own directory: its kernels and its apt state. (The
	# kernels are one level deeper than this script once kept its one
	# kernel, so older copies of it sharing the cache never pick them up.)
	kdir=$cache/$suite
	suite_apt=$kdir/apt
	mkdir -p "$kdir" 2>/dev/null || skip "cannot create cache dir $kdir"
	# Serialise cache filling between concurrent runs.  Opened read-only so
	# that non-root users can use a cache that root filled.
	[ -e "$cache/.lock" ] || : >>"$cache/.lock" || skip "cannot create $cache/.lock"
	exec 8<"$cache/.lock"
	flock -w 900 8 || die "timed out waiting for $cache/.lock"
	local pkg=${TT_VM_KERNEL_PKG:-}
	if [ -z "$pkg" ]; then
		# Reuse the newest cached kernel: repeated runs need no network.
		kver=$(newest_cached_kernel)
		if [ -z "$kver" ]; then
			is_root || skip "no kernel from $suite in $kdir and not root to fetch one"
			suite_update
			pkg=$(resolve_kernel_pkg)
			[ -n "$pkg" ] || skip "cannot find linux-image-amd64's dependency in $suite (apt-cache)"
		fi
	fi
	if [ -n "$pkg" ]; then
		kver=${pkg#linux-image-}
	fi
	if [ ! -e "$kdir/$kver/.complete" ]; then
		fetch_kernel "$kver"
		touch "$kdir/$kver/.complete"
	fi
	flock -u 8
	kroot=$kdir/$kver/root
	if [ -f "$kdir/$kver/vmlinux" ] && [ "${TT_VM_PVH:-1}" = 1 ]; then
		kernel_image=$kdir/$kver/vmlinux
	else
		kernel_image=$kroot/boot/vmlinuz-$kver
	fi
}

# ------------------------------------------------------------------ initramfs

# PID 1 of the guest.  Runs from the initramfs with busybox only; config
# comes from /tt.conf written by build_initramfs.
guest_init() {
	cat <<'EOF'
#!/bin/busybox sh
# tcptools run-in-guest init (generated by tests/vm/run-in-guest.sh)
# Debian's busybox sh runs its applets without symlinks (standalone shell,
# re-exec through /proc/self/exe), which saves creating ~400 of them at
# every boot; it only needs /proc first.
export PATH=/bin
/bin/busybox mount -t proc proc /proc
. /tt.conf
# Anything that goes wrong here: report it on the console (the host prints
# the console log) and reboot, which ends qemu (-no-reboot); the host then
# finds no rc file and reports a boot failure.
fail() {
	echo "tt-init: FATAL: $*"
	echo "TT_GUEST_EXIT=boot-failure"
	reboot -f
	exit 1 # if even that failed: the kernel panics, and panic=-1 reboots
}
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $TT_MODULES; do
	insmod /modules/$m.ko || fail "insmod $m"
done
o9p="trans=virtio,version=9p2000.L,msize=$TT_MSIZE"
mkdir -p /lower /rw /newroot
mount -t 9p -o "$o9p,ro,$TT_9P_CACHE" hostroot /lower || fail "mount 9p hostroot"
# Host root (read-only) + tmpfs = writable root; writes are lost at exit.
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
	fail "mount overlay"
R=/newroot
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm
# devtmpfs lacks these; bash process substitution and scripts use them.
ln -sfn /proc/self/fd $R/dev/fd
ln -sf /proc/self/fd/0 $R/dev/stdin
ln -sf /proc/self/fd/1 $R/dev/stdout
ln -sf /proc/self/fd/2 $R/dev/stderr
mount -t tmpfs -o mode=0755 tmpfs $R/run
mount -t tracefs tracefs $R/sys/kernel/tracing || fail "mount tracefs"
mount -t debugfs debugfs $R/sys/kernel/debug
mount -t bpf bpf $R/sys/fs/bpf || fail "mount bpffs"
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup || fail "mount cgroup2"
# The run directory is shared read-write: cmd.sh in, rc out.  Mount it at
# the host's path so the same paths work on both sides.
mkdir -p $R$TT_RUNDIR
mount -t 9p -o "$o9p" ttrun $R$TT_RUNDIR || fail "mount 9p ttrun"
# The guest kernel's modules and headers live in the host's cache; make
# them appear where modprobe and libbcc look for them.
mkdir -p $R/lib/modules $R/usr/src $R/boot
ln -sfn $TT_KROOT/lib/modules/$TT_KVER $R/lib/modules/$TT_KVER
for d in $R$TT_KROOT/usr/src/*; do
	[ -e "$d" ] && ln -sfn "${d#$R}" $R/usr/src/
done
# bpftool feature probe and libbcc read /boot/config-$(uname -r).
ln -sf $TT_KROOT/boot/config-$TT_KVER $TT_KROOT/boot/System.map-$TT_KVER $R/boot/
# Kernel module autoload runs /sbin/modprobe in *this* (initramfs) root.
mkdir -p /sbin /lib/modules
ln -sf /bin/busybox /sbin/modprobe
ln -sfn $R$TT_KROOT/lib/modules/$TT_KVER /lib/modules/$TT_KVER
ip link set lo up
hostname tt-guest
# Command stdout/stderr: pipes (so isatty() is false as in CI) drained by
# cat onto ttyS1/ttyS2, which the host forwards to its stdout/stderr.
stty -F /dev/ttyS1 raw -echo
stty -F /dev/ttyS2 raw -echo
mkfifo /out /err
cat /out >/dev/ttyS1 &
cat_out=$!
cat /err >/dev/ttyS2 &
cat_err=$!
# The command runs in its own cgroup so that whatever it leaves running can
# be killed afterwards (stragglers would otherwise hold the pipes open).
mkdir $R/sys/fs/cgroup/tt-cmd
read -r up _ </proc/uptime
echo "TT_GUEST_START uptime=$up"
(
	echo 0 >$R/sys/fs/cgroup/tt-cmd/cgroup.procs
	exec chroot $R /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root USER=root LOGNAME=root SHELL=/bin/sh LANG=C.UTF-8 \
		TMPDIR=/tmp TT_IN_GUEST=1 /bin/sh $TT_RUNDIR/cmd.sh
) </dev/null >/out 2>/err
rc=$?
echo 1 >$R/sys/fs/cgroup/tt-cmd/cgroup.kill
wait $cat_out $cat_err
echo $rc >$R$TT_RUNDIR/rc
read -r up _ </proc/uptime
echo "TT_GUEST_EXIT=$rc uptime=$up"
reboot -f
EOF
}

# The module files (relative to moddir) that loading the named modules takes,
# each after its dependencies (busybox insmod resolves none), or
# "builtin:NAME" / "missing:NAME" for a named module with no file.
module_load_order() { # moddir name...
	local moddir=$1
	shift
	awk -F: -v want="$*" -v builtin="$moddir/modules.builtin" '
	function modname(path) { sub(/.*\//, "", path); sub(/\.ko.*$/, "", path); gsub("-", "_", path); return path }
	function visit(n, d, k, i) {
		if (n in seen) return
		seen[n] = 1
		k = split(deps[n], d, " ")
		for (i = 1; i <= k; i++) visit(modname(d[i]))
		print file[n]
	}
	{ n = modname($1); file[n] = $1; deps[n] = $2 }
	END {
		while ((getline line < builtin) > 0) inside[modname(line)] = 1
		k = split(want, w, " ")
		for (i = 1; i <= k; i++) {
			if (w[i] in file) visit(w[i])
			else print (w[i] in inside ? "builtin:" : "missing:") w[i]
		}
	}' "$moddir/modules.dep"
}

build_initramfs() { # out
	local st=$rundir/initramfs m f
	mkdir -p "$st/bin" "$st/modules" "$st/proc" "$st/sys" "$st/dev" "$st/tmp"
	cp /bin/busybox "$st/bin/busybox"
	guest_init >"$st/init"
	chmod 755 "$st/init"
	local mods="" moddir=$kroot/lib/modules/$kver
	[ -s "$moddir/modules.dep" ] || die "no $moddir/modules.dep (delete $kdir/$kver to fetch it again)"
	# shellcheck disable=SC2086 # one argument per module name
	for f in $(module_load_order "$moddir" $initrd_modules); do
		case $f in builtin:*) continue ;; missing:*) die "module ${f#*:} not found for $kver" ;; esac
		m=$(basename "$f")
		m=${m%%.ko*}
		f=$moddir/$f
		case $f in
		*.ko) cp "$f" "$st/modules/$m.ko" ;;
		*.ko.xz) xz -dc "$f" >"$st/modules/$m.ko" ;;
		*.ko.zst) zstd -dcq "$f" >"$st/modules/$m.ko" ;;
		*.ko.gz) gzip -dc "$f" >"$st/modules/$m.ko" ;;
		*) die "unknown module format: $f" ;;
		esac
		mods="$mods $m"
	done
	cat >"$st/tt.conf" <<-EOF
		TT_MODULES="$mods"
		TT_MSIZE=$msize
		TT_9P_CACHE=${TT_VM_9P_CACHE:-cache=loose}
		TT_RUNDIR=$rundir
		TT_KROOT=$kroot
		TT_KVER=$kver
	EOF
	# Uncompressed: the guest would spend longer decompressing than qemu
	# spends loading a few MB.
	(cd "$st" && find . | /bin/busybox cpio -o -H newc 2>/dev/null) >"$1"
	rm -rf "$st"
}

# ------------------------------------------------------------------- command

# Quote for POSIX sh: 'it'\''s'.
shquote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

write_cmd() { # out argv...
	local out=$1 name kv
	shift
	{
		echo "# generated by run-in-guest.sh"
		# Pass through the host's TT_* variables, then --env ones.
		while IFS= read -r name; do
			case $name in TT_VM_* | TT_IN_GUEST) continue ;; esac
			printf 'export %s=%s\n' "$name" "$(shquote "${!name}")"
		done < <(compgen -e | grep '^TT_' || true)
		[ -n "$suite" ] || suite=$(host_suite)
case $suite in
'' | *[!a-z]*) die "--suite wants a Debian codename (bullseye, bookworm, trixie), got: '$suite'" ;;
esac
for kv in "${extra_env[@]}"; do
			printf 'export %s=%s\n' "${kv%%=*}" "$(shquote "${kv#*=}")"
		done
		printf 'cd %s || exit 125\n' "$(shquote "$PWD")"
		printf 'exec'
		for a in "$@"; do printf ' %s' "$(shquote "$a")"; done
		printf '\n'
	} >"$out"
}

# ---------------------------------------------------------------- lifecycle

rundir=""
qpid=""
fwd_pids=()
# shellcheck disable=SC2317 # called from traps
cleanup() {
	if [ -n "$qpid" ]; then
		kill -TERM "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
		qpid=""
	fi
	local p
	for p in "${fwd_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	fwd_pids=()
	if [ -n "$rundir" ]; then
		rm -rf "$rundir"
		rundir=""
	fi
}
# shellcheck disable=SC2317 # called from traps
on_signal() {
	log "interrupted (signal $1), killing the guest"
	cleanup
	exit $((128 + $1))
}
trap cleanup EXIT
trap 'on_signal 2' INT
trap 'on_signal 15' TERM
trap 'on_signal 1' HUP

tmpbase=${TMPDIR:-/tmp}
case $tmpbase in *[[:space:],]*) tmpbase=/tmp ;; esac
rundir=$(mktemp -d "$tmpbase/tt-vm.XXXXXX") || die "mktemp failed"
# The guest mounts the run directory at the same path; keep it simple.
case $rundir in *[[:space:],]*) die "bad temporary directory: $rundir" ;; esac
case $PWD in /proc | /proc/* | /sys | /sys/* | /dev | /dev/* | /run | /run/*)
	die "working directory $PWD is not shared with the guest" ;;
esac

t0=$(date +%s.%N)
ensure_host_tools
probe_qemu
prepare_kernel
build_initramfs "$rundir/initrd"
write_cmd "$rundir/cmd.sh" "$@"
debug "kernel $kver, image $kernel_image, rundir $rundir"

# Serial ports: ttyS0 = kernel console (log file; live on stderr with
# TT_VM_DEBUG=1), ttyS1 = command stdout, ttyS2 = command stderr.  The
# latter go through FIFOs read by cat so that qemu never has to reopen our
# stdout/stderr (which may be sockets).
mkfifo "$rundir/out" "$rundir/err"
if [ "$debug" = 1 ]; then
	mkfifo "$rundir/console"
	console=$rundir/console
else
	console=$rundir/console.log
fi
start_forwarders() {
	cat "$rundir/out" &
	fwd_pids+=($!)
	cat "$rundir/err" >&2 &
	fwd_pids+=($!)
	if [ "$debug" = 1 ]; then
		tee "$rundir/console.log" <"$rundir/console" >&2 &
		fwd_pids+=($!)
	fi
}
# Once qemu has exited the forwarders see EOF and finish on their own -
# unless qemu died before opening the FIFOs: do not wait forever for that.
stop_forwarders() {
	local p alive
	for _ in $(seq 50); do
		alive=0
		for p in "${fwd_pids[@]}"; do
			if kill -0 "$p" 2>/dev/null; then alive=1; fi
		done
		[ "$alive" = 1 ] || break
		sleep 0.1
	done
	for p in "${fwd_pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	fwd_pids=()
}

# Where were the vCPUs when the boot hung?  Asks the qemu monitor for the
# registers (diagnostics only).  Debian ships no real System.map, but the
# PVH boot has no KASLR, so the RIPs can be looked up in /proc/kallsyms of
# any guest boot of the same kernel.
dump_guest_cpus() {
	local py=/usr/bin/python3
	[ -x "$py" ] || py=$(command -v python3) || return 0
	"$py" - "$rundir/mon" <<'PYEOF' >&2 || true
import re, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(sys.argv[1])
s.sendall(b"info registers -a\n")
time.sleep(1)
data = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
except OSError:
    pass
for i, rip in enumerate(re.findall(rb"RIP=([0-9a-f]+)", data)):
    print("run-in-guest: vCPU %d RIP=%s" % (i, rip.decode()))
PYEOF
}

# -cpu max exposes the CPU features TCG can emulate (the default qemu64 is
# ancient); mitigations=off because there is nothing to protect and TCG is
# slow enough; panic=-1 + -no-reboot turn any guest panic or reboot into a
# qemu exit instead of a hang.
qemu=(
	qemu-system-x86_64 -accel "$accel" -machine pc -cpu "${TT_VM_CPU:-max}"
	-m "$mem" -smp "$smp"
	-nodefaults -no-user-config -display none -no-reboot
	-kernel "$kernel_image" -initrd "$rundir/initrd"
	-append "console=ttyS0 rdinit=/init panic=-1 mitigations=off ${TT_VM_APPEND:-quiet}"
	-chardev "file,id=con,path=$console" -serial chardev:con
	-chardev "file,id=out,path=$rundir/out" -serial chardev:out
	-chardev "file,id=err,path=$rundir/err" -serial chardev:err
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$rundir,mount_tag=ttrun,security_model=none,multidevs=remap"
	-monitor "unix:$rundir/mon,server=on,wait=off"
)
# Extra qemu arguments for experiments (word-split on purpose).
# shellcheck disable=SC2206
qemu+=(${TT_VM_QEMU_EXTRA:-})
# pdeathsig: if this script is SIGKILLed, timeout dies and takes qemu along.
deathsig=()
if setpriv --help 2>/dev/null | grep -q pdeathsig; then
	deathsig=(setpriv --pdeathsig KILL)
fi

# Rarely (seen once in ~200 boots, while the host was busy) the guest hangs
# during boot with no console output at all.  A healthy boot reaches the
# command in a few seconds, so give up on a boot after TT_VM_BOOT_TIMEOUT
# seconds and start over, up to TT_VM_BOOT_TRIES times; --timeout still
# bounds the whole run.
boot_timeout=${TT_VM_BOOT_TIMEOUT:-60}
boot_tries=${TT_VM_BOOT_TRIES:-3}
deadline=$(($(date +%s) + timeout_s))
t1=$(date +%s.%N)
attempt=0
while :; do
	attempt=$((attempt + 1))
	rm -f "$rundir/console.log" "$rundir/rc" "$rundir/mon"
	left=$((deadline - $(date +%s)))
	[ "$left" -gt 0 ] || left=1
	start_forwarders
	"${deathsig[@]}" timeout -k 5 "$left" "${deathsig[@]}" "${qemu[@]}" \
		</dev/null >"$rundir/qemu.log" 2>&1 &
	qpid=$!
	booted=0 hung=0 tb=$(date +%s)
	while kill -0 "$qpid" 2>/dev/null; do
		if grep -aq TT_GUEST_START "$rundir/console.log" 2>/dev/null; then
			booted=1
			break
		fi
		if [ $(($(date +%s) - tb)) -ge "$boot_timeout" ]; then
			dump_guest_cpus
			# It may have made it while we looked.
			grep -aq TT_GUEST_START "$rundir/console.log" 2>/dev/null && continue
			hung=1
			kill -TERM "$qpid" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	qrc=0
	wait "$qpid" || qrc=$?
	qpid=""
	stop_forwarders
	if [ "$hung" = 1 ] && [ ! -f "$rundir/rc" ] && [ "$attempt" -lt "$boot_tries" ] &&
		[ "$(date +%s)" -lt "$deadline" ]; then
		log "guest did not boot within ${boot_timeout}s (attempt $attempt/$boot_tries), retrying"
		tail -n 5 "$rundir/console.log" >&2 2>/dev/null || true
		continue
	fi
	break
done
t2=$(date +%s.%N)

show_failure() {
	# A guest oops: its first lines say what happened (the tail is the
	# panic's register dump), so print from the first report on.
	local oops
	oops=$(grep -an -m1 -E '(BUG:|Oops|general protection|invalid opcode|int3:|Kernel panic|------------\[ cut here)' \
		"$rundir/console.log" 2>/dev/null | cut -d: -f1)
	if [ -n "$oops" ]; then
		log "--- the guest kernel's report, from its first line ---"
		tail -n "+$oops" "$rundir/console.log" | head -n 60 >&2
	fi
	log "--- last lines of the guest console ---"
	tail -n 25 "$rundir/console.log" >&2 2>/dev/null || true
	if [ -s "$rundir/qemu.log" ]; then
		log "--- qemu output ---"
		tail -n 10 "$rundir/qemu.log" >&2
	fi
}

if [ -f "$rundir/rc" ]; then
	rc=$(cat "$rundir/rc")
	case $rc in '' | *[!0-9]*) die "garbled exit status from guest: $rc" ;; esac
	debug "$(awk -v a="$t0" -v b="$t1" -v c="$t2" \
		'BEGIN { printf "host prep %.2fs, qemu %.2fs", b - a, c - b }')," \
		"boots $attempt, guest: $(grep -ao 'TT_GUEST_[A-Z]*=*[0-9]* uptime=[0-9.]*' \
			"$rundir/console.log" | tr '\n' ' ')"
	exit "$rc"
fi
if [ "$hung" = 1 ]; then
	show_failure
	log "error: guest did not boot within ${boot_timeout}s in $attempt attempt(s)"
	exit 125
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	show_failure
	log "error: TIMEOUT: guest did not finish within ${timeout_s}s, killed"
	exit 124
fi
show_failure
if [ "$booted" = 1 ]; then
	log "error: guest crashed or rebooted while running the command (qemu exit status $qrc)"
else
	log "error: guest boot failure (qemu exit status $qrc, command never started)"
fi
exit 125
