#!/usr/bin/env python3
"""Fails when a workspace crate declares a `rust-version` older than one of its dependencies
needs: Cargo would then promise users a compiler that cannot build it.

    python3 scripts/check-rust-version.py   (from anywhere in the repository)
"""

import json
import subprocess
import sys


def version(text):
    return tuple(int(part) for part in text.split("."))


def main():
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    failed = False
    for member in meta["workspace_members"]:
        declared = packages[member].get("rust_version")
        name = packages[member]["name"]
        if declared is None:
            print(f"{name}: no rust-version declared")
            failed = True
            continue
        # What users build: the crate and its normal (non-dev, non-build) dependencies.
        needs, seen, stack = [], set(), [member]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            for dep in nodes[node]["deps"]:
                if any(kind["kind"] is None for kind in dep["dep_kinds"]):
                    stack.append(dep["pkg"])
                    wanted = packages[dep["pkg"]].get("rust_version")
                    if wanted:
                        needs.append((version(wanted), packages[dep["pkg"]]["name"], wanted))
        newest = max(needs, default=None)
        if newest and newest[0] > version(declared):
            print(f"{name}: rust-version {declared}, but {newest[1]} needs {newest[2]}")
            failed = True
        else:
            print(f"{name}: rust-version {declared} covers its dependencies")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
