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

# The cost of metrics and limits: this build against the baseline build, alternated.
base = sorted(k for k in os.listdir(d) if k.startswith("base-overhead-closed-"))
if base:
    print()
    print(
        "| round | without metrics and limits: req/s, CPU µs/request | with them: req/s, CPU µs/request "
        "| throughput ratio | CPU ratio |"
    )
    print("|---|---:|---:|---:|---:|")
    with_, without, cpu_with, cpu_without = [], [], [], []
    for k in sorted(base, key=lambda k: int(k.rsplit("-", 1)[1].split(".")[0])):
        i = k.rsplit("-", 1)[1].split(".")[0]
        bx = json.load(open(os.path.join(d, k)))
        wx = json.load(open(os.path.join(d, f"rust-overhead-closed-{i}.json")))
        b, w = bx["rps"], wx["rps"]
        bc, wc = bx.get("cpu_us_per_request", 0), wx.get("cpu_us_per_request", 0)
        without.append(b)
        with_.append(w)
        cpu_without.append(bc)
        cpu_with.append(wc)
        cpu_ratio = f"{wc / bc:.3f}" if bc else "-"
        print(f"| {i} | {b:.0f}, {bc:.0f} | {w:.0f}, {wc:.0f} | {w / b:.3f} | {cpu_ratio} |")
    # Each round's two runs are back to back; the machine's load may change between rounds,
    # so the statistic is the median of the rounds' ratios, not a ratio of medians.

    def median(xs: list[float]) -> float:
        return sorted(xs)[len(xs) // 2]

    ratio = median([w / b for w, b in zip(with_, without, strict=True)])
    cpu = median([w / b for w, b in zip(cpu_with, cpu_without, strict=True)]) if all(cpu_without) else 0
    print(f"| median of the rounds' ratios | | | **{ratio:.3f}** | **{cpu:.3f}** |")
    bo = json.load(open(os.path.join(d, "base-overhead-open.json")))
    wo = json.load(open(os.path.join(d, "rust-overhead-open.json")))
    print()
    print(
        "| build | load | req/s | p50 ms | p99 ms (all) | p99 ms (valid) | 5xx | network errors "
        "| unexpected status | peak RSS MiB |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, x in (("without metrics and limits", bo), ("with metrics and limits", wo)):
        print(
            f"| {name} | open-loop @ {x['rate']}/s | {x['rps']:.0f} | {x['p50_ms']:.2f} | {x['p99_ms']:.2f} | "
            f"{x['valid_p99_ms']:.2f} | {x['status_5xx']} | {x['net_errors']} | {x['unexpected']} | "
            f"{x['peak_rss_kib'] / 1024:.0f} |"
        )
    print()
    loss = 1 - ratio
    print(
        "throughput lost to metrics and limits (median of the rounds' ratios): "
        f"{loss:.1%} (target <= 5%): {verdict(loss <= 0.05)}"
    )
    if cpu:
        print(f"CPU time per request with them (median of the rounds' ratios): {cpu - 1:+.1%}")
