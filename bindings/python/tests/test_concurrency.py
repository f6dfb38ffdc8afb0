"""One codec shared by many asyncio tasks and threads; native calls run without the GIL."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from temporalio.api.common.v1 import Payload, Payloads

from temporal_payload_codec import Codec


def batch(i: int) -> list[Payload]:
    return [
        Payload(metadata={"encoding": b"json/plain", "task": str(i).encode()}, data=(b'{"n":%d}' % i) * (1 + i % 50))
        for _ in range(1 + i % 7)
    ]


def canonical(payloads: list[Payload]) -> list[bytes]:
    return [p.SerializeToString(deterministic=True) for p in payloads]


CODECS = [
    Codec(),
    Codec(compression="zlib", keys={"k": os.urandom(32)}, encryption_key_id="k"),
]


async def test_many_asyncio_tasks_share_one_codec() -> None:
    for codec in CODECS:

        async def round_trip(i: int, codec: Codec = codec) -> bool:
            plain = batch(i)
            encoded = await codec.encode(plain)
            await asyncio.sleep(0)  # interleave the tasks between encode and decode
            return canonical(await codec.decode(encoded)) == canonical(plain)

        assert all(await asyncio.gather(*(round_trip(i) for i in range(500))))


def test_many_threads_share_one_codec() -> None:
    for codec in CODECS:

        def round_trip(i: int, codec: Codec = codec) -> bool:
            plain = batch(i)
            return canonical(codec.decode_sync(codec.encode_sync(plain))) == canonical(plain)

        with ThreadPoolExecutor(max_workers=16) as pool:
            assert all(pool.map(round_trip, range(2000)))


def slow_call_input() -> tuple[Codec, bytes]:
    """A batch that keeps one native call busy for a long while (about 0.2 s here): 8 MiB of
    random bytes at zlib level 9, where deflate searches hardest and finds nothing."""
    payloads = Payloads(payloads=[Payload(data=os.urandom(1 << 20)) for _ in range(8)])
    return Codec(compression="zlib", zlib_level=9), payloads.SerializeToString()


def test_native_calls_release_the_gil() -> None:
    """A Python thread keeps running while another thread is inside a native call, and two
    native calls are in progress at once. Holding the GIL would allow neither."""
    codec, data = slow_call_input()
    ticks: list[float] = []
    stop = threading.Event()

    def ticker() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        time.sleep(0.05)
        start = time.perf_counter()
        codec.encode_bytes(data)  # bytes in: the call is almost all native time
        end = time.perf_counter()
    finally:
        stop.set()
        t.join()
    assert end - start > 0.05, f"the native call took only {end - start:.3f} s: make the input bigger"
    during = sum(start < tick < end for tick in ticks)
    # A held GIL would stop the ticker for the whole call; released, it ticks every ~1 ms.
    assert during >= 10, f"the ticker ran {during} times during a {end - start:.3f} s native call"

    spans: list[tuple[float, float]] = []
    barrier = threading.Barrier(2)

    def timed_call() -> None:
        barrier.wait()
        begin = time.perf_counter()
        codec.encode_bytes(data)
        spans.append((begin, time.perf_counter()))

    threads = [threading.Thread(target=timed_call) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    (a0, a1), (b0, b1) = spans
    overlap = min(a1, b1) - max(a0, b0)
    shorter = min(a1 - a0, b1 - b0)
    # Under a held GIL the second call would start only after the first returned (no overlap).
    assert overlap > 0.5 * shorter, f"calls overlapped {overlap:.3f} s of {shorter:.3f} s"
