"""Prints the BENCHMARKS.md table and the targets from bench.sh's JSON results: table.py OUT_DIR"""

import json
import os
import sys

d = sys.argv[1]
runs = [
    ("rust-closed", "tpc-codec-server"),
    ("go-closed", "Go SDK handler"),
    ("rust-open", "tpc-codec-server"),
    ("go-open", "Go SDK handler"),
    ("rust-open-1m", "tpc-codec-server, 1 MiB limit"),
    ("go-open-1m", "Go SDK handler, 1 MiB limit"),
]
r = {k: json.load(open(os.path.join(d, k + ".json"))) for k, _ in runs}


def row(name, x):
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(x["status"].items()))
    rss = f"{x['rss_start_kib'] / 1024:.0f} → {x['rss_end_kib'] / 1024:.0f} (peak {x['peak_rss_kib'] / 1024:.0f})"
    load = x["mode"] + (f" @ {x['rate']}/s" if x.get("rate") else "")
    return (
        f"| {name} | {load} | {x['rps']:.0f} | {x['p50_ms']:.2f} | {x['p99_ms']:.2f} | {x['valid_p99_ms']:.2f} | "
        f"{x['status_5xx']} | {x['net_errors']} | {x['unexpected']} | {statuses} | {rss} |"
    )


print(
    "| server | load | req/s | p50 ms | p99 ms (all) | p99 ms (valid) | 5xx | network errors "
    "| unexpected status | statuses | RSS MiB start → end (peak) |"
)
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
for k, name in runs:
    print(row(name, r[k]))
ratio = r["rust-closed"]["rps"] / r["go-closed"]["rps"]
o, o1 = r["rust-open"], r["rust-open-1m"]
fives = sum(r[k]["status_5xx"] for k in r if k.startswith("rust"))
errors = sum(r[k]["net_errors"] + r[k]["unexpected"] for k in r if k.startswith("rust"))


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


print()
print(f"throughput (closed loop): {ratio:.2f}x the Go server (target >= 1.5x): {verdict(ratio >= 1.5)}")
print(
    f"p99 at {o['rate']}/s: valid decodes {o['valid_p99_ms']:.2f} ms (target < 5 ms): "
    f"{verdict(o['valid_p99_ms'] < 5)}; "
    f"all requests {o['p99_ms']:.2f} ms: {verdict(o['p99_ms'] < 5)}"
)
print(f"p99 at {o1['rate']}/s, 1 MiB limit: all requests {o1['p99_ms']:.2f} ms: {verdict(o1['p99_ms'] < 5)}")
print(f"p99 closed loop, 64 connections: {r['rust-closed']['p99_ms']:.2f} ms (saturated: p50 is 64 / throughput)")
print(f"5xx: {fives} (target 0): {verdict(fives == 0)}; network errors or unexpected statuses: {errors}")
rss = [r[k]["rss_end_kib"] - r[k]["rss_start_kib"] for k in r if k.startswith("rust")]
print(f"tpc-codec-server RSS drift over a run: {max(rss, key=abs) / 1024:+.1f} MiB at most")
