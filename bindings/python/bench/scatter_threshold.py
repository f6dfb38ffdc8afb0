"""Where encode should switch from framing to scatter-gather: the probe behind the binding's
_SCATTER_FROM and _SCATTER_AVERAGE.

    .venv/bin/python bindings/python/bench/scatter_threshold.py [--seconds 0.2]

For batches of several total sizes made of payloads of several sizes, times ``encode_sync`` of
``Codec()`` both ways, alternating call by call: framed into one serialized Payloads
(``tpc_codec_encode``) and scatter-gather (``tpc_codec_encode_gather``, one ``tpc_slice`` per
payload), each forced by setting the binding's thresholds (framing itself as shipped: with
``b"".join`` below _REUSE_FROM, into the thread's kept buffer from there). Also times what
differs between the two in Python alone, per payload: building the ``Slice`` array (a ctypes
conversion per pointer), and framing both ways (``b"".join``; the kept buffer's loop).
Medians of calls alternated in pairs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from temporalio.api.common.v1 import Payload

from temporal_payload_codec import Codec, _codec
from temporal_payload_codec._native import Slice

TOTALS = [8 * 1024, 32 * 1024, 256 * 1024]
SIZES = [64, 256, 1024, 4096, 16384]


def batch(total: int, size: int) -> list[Payload]:
    """Payloads of about `size` serialized bytes, `total` bytes in all: order-like JSON."""
    record = b'{"id":%d,"customer":"Ada Lovelace","items":["engine","cards"],"total":12.5}'
    out = []
    for i in range(max(1, total // size)):
        data = b"".join(record % (i * 1000 + j) for j in range(size // 70 + 1))[: max(0, size - 24)]
        out.append(Payload(metadata={"encoding": b"json/plain"}, data=data))
    return out


def alternate(a: Callable[[], object], b: Callable[[], object], seconds: float) -> tuple[float, float]:
    """Median seconds per call of a and b, called alternately for `seconds`."""
    a(), b()
    ta: list[float] = []
    tb: list[float] = []
    clock = time.perf_counter
    deadline = clock() + seconds
    while clock() < deadline:
        for fn, times in ((a, ta), (b, tb), (b, tb), (a, ta)):
            start = clock()
            fn()
            times.append(clock() - start)
    return statistics.median(ta), statistics.median(tb)


def forced(codec: Codec, payloads: list[Payload], gather: bool) -> Callable[[], object]:
    def call() -> object:
        _codec._SCATTER_FROM = 0 if gather else 1 << 62  # type: ignore[misc]
        _codec._SCATTER_AVERAGE = 0  # type: ignore[misc]
        return codec.encode_sync(payloads)

    return call


def framing(datas: list[bytes], kept: bool) -> Callable[[], object]:
    size = sum(map(len, datas))

    def call() -> object:
        _codec._REUSE_FROM = 0 if kept else 1 << 62  # type: ignore[misc]
        return _codec._frame_serialized(datas, size)

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=0.2, help="time per row and measure")
    args = parser.parse_args()

    codec = Codec()
    print("| batch | payload | payloads | encode framed | encode scatter-gather | gather / framed |", end="")
    print(" Slice array, per payload | b''.join framing, per payload | kept-buffer framing, per payload |")
    print("|---|---|---|---|---|---|---|---|---|")
    reuse_from = _codec._REUSE_FROM
    for total in TOTALS:
        for size in SIZES:
            if size > total:
                continue
            payloads = batch(total, size)
            datas = [p.SerializeToString() for p in payloads]
            n = len(datas)
            _codec._REUSE_FROM = reuse_from  # type: ignore[misc]
            framed, gathered = alternate(forced(codec, payloads, False), forced(codec, payloads, True), args.seconds)
            joined, kept = alternate(framing(datas, False), framing(datas, True), args.seconds)
            _codec._REUSE_FROM = reuse_from  # type: ignore[misc]
            slices, _ = alternate(
                lambda datas=datas, n=n: (Slice * n)(*zip(datas, map(len, datas), strict=True)),  # type: ignore[misc]
                lambda: None,
                args.seconds,
            )
            print(
                f"| {total // 1024} KiB | {size} B | {n} | {framed * 1e6:.1f} µs | {gathered * 1e6:.1f} µs | "
                f"{gathered / framed:.2f} | {slices / n * 1e9:.0f} ns | {joined / n * 1e9:.0f} ns | "
                f"{kept / n * 1e9:.0f} ns |"
            )


if __name__ == "__main__":
    main()
