#!/usr/bin/env python3
"""The include rule of common/DESIGN.md ("Includes go one way"): each floor
includes only the floors it may, so no two include each other. Run by ctest
with the source tree's root; prints each include that breaks the rule."""
import os
import re
import sys

# What each part of common/ may include besides itself, util/ and bpfsrc/.
ALLOWED = {
    "util": set(),
    "kernel": set(),
    "print": set(),
    "buffers": {"kernel"},
    "plan.h": {"kernel"},
    "load": {"kernel", "buffers", "plan.h"},
    "cli": {"load"},
    "module.h": {"cli", "plan.h", "print"},
    "features": {"cli", "kernel", "load", "buffers", "print", "plan.h", "module.h"},
}


def part_of(path):
    """common/<floor>/x.c -> floor; common/plan.c -> plan.h."""
    rel = os.path.relpath(path, "common").split(os.sep)
    return rel[0] if len(rel) == 2 else rel[0].replace(".c", ".h")


def main(root):
    os.chdir(root)
    owner = {}
    for dirpath, _, files in os.walk("common"):
        for name in files:
            if name.endswith(".h"):
                owner[name] = part_of(os.path.join(dirpath, name))
    broken = 0
    for dirpath, _, files in os.walk("common"):
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            if not name.endswith((".c", ".h")):
                continue
            part = part_of(path)
            if part not in ALLOWED:  # tool_main.c and tool_main.h include every floor
                continue
            with open(path) as f:
                for number, line in enumerate(f, 1):
                    m = re.match(r'#include "(?:[a-z]+/)?([^"/]+)"', line)
                    target = owner.get(m.group(1)) if m else None
                    if target in (None, part, "util") or target in ALLOWED[part]:
                        continue
                    print(f"{path}:{number}: {part} includes {m.group(1)} ({target})")
                    broken += 1
    print(f"floors: {broken} includes against the rule")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
