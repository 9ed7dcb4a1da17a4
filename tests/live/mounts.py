"""System states set up by the test itself, whatever the machine has mounted.

private_mounts(*steps) is a command prefix (a Tracer's or Peer's wrapper):
the command runs in a new, private mount namespace after the steps, shell
commands that each must succeed. Nothing outside that namespace changes, and
its mounts (and what is pinned in its bpffs) vanish when the command exits.
The steps below set one state each and check that they did.

    Tracer("tcpconnect", wrapper=private_mounts(no_tracefs()))
    Tracer("tcpconnect", "--cgroup", d, wrapper=private_mounts(cgroup2_at("/sys/fs/cgroup")))
"""
import os
import shlex

TRACEFS = "/sys/kernel/tracing"
DEBUGFS = "/sys/kernel/debug"
CGROUP_ROOT = "/sys/fs/cgroup"
BPFFS = "/sys/fs/bpf"


def says_it_mounted_tracefs(tool, stderr_lines):
    """Whether tool -v said it took the path of mounting tracefs itself."""
    return tool + ": mounted tracefs at %s in a private mount namespace" % TRACEFS in stderr_lines


def reads_tracefs(tool):
    """Whether this tool's probes read tracefs here (CAPABILITIES in the man
    pages): tcpaccept's syscall tracepoints do; tcpconnect's raw tracepoints
    and kprobes through the kprobe PMU do not."""
    import ttlib
    if tool == "tcpaccept":
        return True
    return (ttlib.backend_of(tool) == "kprobe"
            and not os.path.exists("/sys/bus/event_source/devices/kprobe/type"))


def private_mounts(*steps):
    # unshare execs sh and sh execs the command: the pid is the command's.
    script = "\n".join(["set -e", *steps, 'exec "$@"'])
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "tt-mounts"]


def unmounted(*fstypes):
    """No mount of these filesystem types is left (deepest first, lazily)."""
    types = shlex.quote(",".join(fstypes))
    return (f"findmnt -rn -o TARGET -t {types} | sort -r | while read -r dir; do\n"
            f'  umount -l "$dir"\n'
            f"done\n"
            f"if findmnt -rn -t {types} >/dev/null; then\n"
            f"  echo 'tt-mounts: {fstypes} still mounted' >&2; exit 1\n"
            f"fi")


def mounted(fstype, path, source=None):
    """A fresh fstype at path (the directory is made if missing)."""
    path = shlex.quote(path)
    return f"mkdir -p {path} && mount -t {fstype} {shlex.quote(source or fstype)} {path}"


def no_tracefs():
    """Neither tracefs nor debugfs (whose tracing/ would automount tracefs)."""
    return unmounted("tracefs", "debugfs")


def tracefs_at(path=TRACEFS):
    """tracefs at path only: at /sys/kernel/tracing, or under debugfs where
    older systems have it (debugfs mounted, its tracing/ automounted)."""
    if path == DEBUGFS + "/tracing":
        return "\n".join([no_tracefs(), mounted("debugfs", DEBUGFS), f"ls {path}/events >/dev/null"])
    return "\n".join([no_tracefs(), mounted("tracefs", path)])


def cgroup2_at(path):
    """cgroup2 at path only (the hierarchy is the machine's own: its
    directories, and the processes in them, are the same ones), with the
    cgroup v1 hierarchies gone too: /sys/fs/cgroup is either a tmpfs with a
    cgroup2 below it (a hybrid host) or the cgroup2 itself (pure v2)."""
    steps = [unmounted("cgroup2", "cgroup"), f"umount -l {CGROUP_ROOT} 2>/dev/null || true"]
    if path != CGROUP_ROOT:
        steps.append(mounted("tmpfs", CGROUP_ROOT))
    steps.append(mounted("cgroup2", path))
    return "\n".join(steps)


def no_cgroup2():
    return unmounted("cgroup2")


def bpffs_at(path=BPFFS):
    """A fresh, empty bpffs of the namespace's own at path."""
    return "\n".join([unmounted("bpf"), mounted("bpf", path)])


def no_bpffs():
    return unmounted("bpf")


def pinned_hash(path, key_size, value_size, keys):
    """A BPF hash map pinned at path, as BCC's docs make them, holding keys
    (integers, little-endian) with zero values. Needs a bpffs there."""
    steps = [f"bpftool map create {shlex.quote(path)} type hash key {key_size} value {value_size}"
             f" entries 128 name tt_set"]
    zeros = " ".join(["0"] * value_size)
    for key in keys:
        key_bytes = " ".join(str(b) for b in key.to_bytes(key_size, "little"))
        steps.append(f"bpftool map update pinned {shlex.quote(path)} key {key_bytes} value {zeros}")
    return "\n".join(steps)
