#!/bin/bash
# Static checks of our C code, configured in the tree: clang-format
# (.clang-format), cppcheck, clang-tidy (.clang-tidy). Needs a configured
# build/ for compile_commands.json. Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."

sources=(common/*.c common/*.h common/*/*.c common/*/*.h tools/*.c tools/*.h bpfsrc/*.c bpfsrc/*.h cmake/*.c
	tests/unit/*.c tests/unit/*.h tests/*.c tests/fuzz/*.c bench/storm.c bench/print_cost.c)
status=0

echo "== clang-format"
clang-format --dry-run -Werror "${sources[@]}" || status=1

echo "== cppcheck"
cppcheck --enable=warning,style,performance,portability --std=c11 --inline-suppr \
	--error-exitcode=1 -q -I common $(printf -- "-I %s " common/*/) -I tools -I bpfsrc \
	common tools cmake tests/unit tests/verify_bpf.c tests/fuzz bench/storm.c || status=1

echo "== clang-tidy"
cmake -S . -B build -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
# clang-tidy exits non-zero on its findings: read them from its output, whatever its status.
tidy=$(clang-tidy -p build --quiet common/*.c common/*/*.c tools/*.c tests/unit/*.c \
	tests/verify_bpf.c tests/fuzz/*.c 2>&1 || true)
if grep -E "(warning|error):" <<<"$tidy"; then
	status=1
fi

[ $status -eq 0 ] && echo "lint: clean"
exit $status
