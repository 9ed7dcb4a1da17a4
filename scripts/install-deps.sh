#!/bin/bash
# Installs what tcptools needs on Debian 12, as root: "build" for the tools,
# "test" for the test suite as well. Packages already present are left alone.
set -euo pipefail

build_packages=(cmake gcc make pkg-config libbpfcc-dev libbpf-dev libelf-dev libldns-dev libmicrohttpd-dev dpkg-dev file)
test_packages=(python3 lintian systemd python3-pytest python3-pytest-timeout bpftool bpftrace iproute2 util-linux curl groff-base man-db strace
	valgrind python3-bpfcc clang libclang-rt-14-dev clang-format clang-tidy cppcheck liburing-dev
	prometheus prometheus-node-exporter
	qemu-system-x86 busybox-static xz-utils)  # the kprobe stage's guests (tests/vm/), installed once before its lanes start

case "${1:-build}" in
build) wanted=("${build_packages[@]}") ;;
test) wanted=("${build_packages[@]}" "${test_packages[@]}") ;;
*)
	echo "usage: $0 [build|test]" >&2
	exit 2
	;;
esac

missing=()
for pkg in "${wanted[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
