"""The reference codec against this binding, side by side in one process.

    .venv/bin/python bindings/python/bench/bench.py [--rounds 5] [--data DIR] [--seconds 0.5]

Reads the core benchmark's batches (each a serialized Payloads; generated with
`cargo run --release --example bench_data -- DIR` when --data is not given), checks that both
codecs produce identical bytes and decode each other's, then times encode and decode of each
batch. Each round times every (batch, operation) twice for --seconds: calling the two codecs
alternately call by call (each call finds the caches holding the other codec's data, as in a
worker doing other work between codec calls), and alternately in 50 ms blocks (each codec warm).
Both alternate so that a change of load on this shared machine hits both codecs alike. The
table shows the median call over all rounds. The coroutines are driven directly (neither codec
awaits anything), so no event loop cost is measured.
Exits 1 when a target is missed: at least 3x faster on 100 x 200 B, never slower.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from temporalio.api.common.v1 import Payload, Payloads

from temporal_payload_codec import Codec
from temporal_payload_codec import version as library_version

# The reference codec: the same oracle as the core tests (tests/oracle/reference_codec.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "oracle"))
from reference_codec import ReferenceSnappyCodec

REPO = Path(__file__).resolve().parents[3]
BATCHES = [("100 x 200 B", "100x200"), ("16 x 4 KiB", "16x4096"), ("4 x 64 KiB", "4x65536"), ("1 x 1 MiB", "1x1048576")]
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Drives a coroutine that never suspends."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    raise RuntimeError("the codec awaited something")


def drive(fn: Callable[[list[Payload]], Coroutine[Any, Any, list[Payload]]], arg: list[Payload]) -> None:
    run(fn(arg))


def alternating(
    a: Callable[[], object], b: Callable[[], object], seconds: float, block: float
) -> tuple[list[float], list[float]]:
    """Per-call seconds of a and b, in alternating blocks (a, b, b, a, ...) for `seconds`, so
    that a change of load on the machine hits both alike. Each block calls its function until
    `block` seconds have passed, at least once: block 0 alternates call by call."""
    a(), b()  # warm-up
    times_a: list[float] = []
    times_b: list[float] = []
    clock = time.perf_counter
    deadline = clock() + seconds
    while clock() < deadline:
        for fn, times in ((a, times_a), (b, times_b), (b, times_b), (a, times_a)):
            block_end = clock() + block
            while True:
                start = clock()
                fn()
                end = clock()
                times.append(end - start)
                if end >= block_end:
                    break
    return times_a, times_b


def serialized(payloads: list[Payload]) -> list[bytes]:
    return [p.SerializeToString() for p in payloads]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.5, help="time per batch, operation and mode per round")
    parser.add_argument("--data", type=Path, help="directory holding batch-*.bin (default: generate)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            data = Path(tmp)
            subprocess.run(
                ["cargo", "run", "-q", "--release", "--example", "bench_data", "--", str(data)],
                cwd=REPO,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        batches = {
            key: list(Payloads.FromString((data / f"batch-{key}.bin").read_bytes()).payloads) for _, key in BATCHES
        }

    reference, ours = ReferenceSnappyCodec(), Codec()
    for label, key in BATCHES:
        plain = batches[key]
        ref_encoded, our_encoded = run(reference.encode(plain)), run(ours.encode(plain))
        if serialized(ref_encoded) != serialized(our_encoded):
            sys.exit(f"{label}: encodings differ")
        if run(reference.decode(our_encoded)) != plain or run(ours.decode(ref_encoded)) != plain:
            sys.exit(f"{label}: the codecs do not decode each other")

    times: dict[tuple[str, str, str, str], list[float]] = {}
    for _ in range(args.rounds):
        for _, key in BATCHES:
            plain = batches[key]
            encoded = run(ours.encode(plain))
            for op, arg in (("encode", plain), ("decode", encoded)):
                ref_fn = partial(drive, reference.encode if op == "encode" else reference.decode, arg)
                our_fn = partial(drive, ours.encode if op == "encode" else ours.decode, arg)
                for mode, block in (("calls", 0.0), ("blocks", 0.05)):
                    ref_times, our_times = alternating(ref_fn, our_fn, args.seconds, block)
                    times.setdefault((key, op, mode, "reference"), []).extend(ref_times)
                    times.setdefault((key, op, mode, "tpc"), []).extend(our_times)

    python = sys.version.split()[0]
    print(f"temporal-payload-codec {library_version()}, Python {python}, median call of {args.rounds} rounds\n")
    columns = ["reference codec", "tpc", "speed-up"]
    columns += [f"{c}, in blocks" for c in columns]
    print("| batch | operation | " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|---|---|")
    missed = []
    for label, key in BATCHES:
        for op in ("encode", "decode"):
            row = [label, op]
            for mode in ("calls", "blocks"):
                ref = statistics.median(times[(key, op, mode, "reference")])
                tpc = statistics.median(times[(key, op, mode, "tpc")])
                speedup = ref / tpc
                row += [f"{ref * 1e6:.1f} µs", f"{tpc * 1e6:.1f} µs", f"{speedup:.2f}x"]
                target = 3.0 if key == "100x200" else 1.0
                if speedup < target:
                    missed.append(f"{op} {label} ({mode}): {speedup:.2f}x, target {target:.0f}x")
            print("| " + " | ".join(row) + " |")
    print()
    for line in missed:
        print(f"target missed: {line}")
    if not missed:
        print("all targets met: at least 3x faster on 100 x 200 B, never slower")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
