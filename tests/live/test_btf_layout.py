"""The kernel types each tool generates from BTF, checked member by member
against an independent source: bpftool's vmlinux.h for the running kernel."""
import os
import re
import subprocess

import pytest

import ttlib

MEMBER = re.compile(r"^\t\tstruct \{.*?(\w+)(\[\d+\])*; \}")


def generated_types(tool):
    text = ttlib.run_tool(tool, "--ebpf", "--kernel-types", "btf").stdout
    start = text.index("/* Kernel types generated from BTF")
    end = text.index("// SPDX", start)
    return text[start:end]


def members(types):
    """(struct, member) for every member the generated text places."""
    found, current = [], None
    for line in types.splitlines():
        m = re.match(r"^(struct|union) (\w+) \{", line)
        if m:
            current = m.group(2)
            continue
        m = MEMBER.match(line)
        if m and current:
            found.append((current, m.group(1)))
    return found


@pytest.mark.skipif(not os.path.exists("/sys/kernel/btf/vmlinux"), reason="no BTF here")
@pytest.mark.parametrize("tool", ["tcpconnect", "tcpaccept"])
def test_offsets_match_vmlinux_h(tool, tmp_path):
    types = generated_types(tool)
    pairs = members(types)
    assert ("sock_common", "skc_num") in pairs and ("sock", "__sk_common") in pairs
    vmlinux = subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux",
                              "format", "c"], capture_output=True, text=True, check=True)
    (tmp_path / "vmlinux.h").write_text(vmlinux.stdout)
    offsets = ",\n".join("__builtin_offsetof(struct %s, %s)" % p for p in pairs)
    sizes = ",\n".join("sizeof(((struct %s *)0)->%s)" % p for p in pairs)
    body = "unsigned long %s_offsets[] = {%s};\nunsigned long %s_sizes[] = {%s};\n"
    (tmp_path / "kernel.c").write_text('#include "vmlinux.h"\n' +
                                       body % ("kernel", offsets, "kernel", sizes))
    (tmp_path / "ours.c").write_text("#include <linux/types.h>\n" + types +
                                     body % ("ours", offsets, "ours", sizes))
    (tmp_path / "main.c").write_text(
        "#include <stdio.h>\nextern unsigned long kernel_offsets[], ours_offsets[],"
        " kernel_sizes[], ours_sizes[];\nint main(void) { int bad = 0;\n"
        "for (int i = 0; i < %d; i++) if (kernel_offsets[i] != ours_offsets[i] ||"
        " kernel_sizes[i] != ours_sizes[i]) { printf(\"member %%d: %%lu+%%lu, not %%lu+%%lu\\n\","
        " i, ours_offsets[i], ours_sizes[i], kernel_offsets[i], kernel_sizes[i]); bad = 1; }\n"
        "return bad; }\n" % len(pairs))
    subprocess.run(["cc", "-o", "check", "kernel.c", "ours.c", "main.c"], cwd=tmp_path,
                   check=True)
    r = subprocess.run([str(tmp_path / "check")], capture_output=True, text=True)
    assert r.returncode == 0, "%s\n%s" % (r.stdout, pairs)
