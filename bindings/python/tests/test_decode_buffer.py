"""Decode writes into a buffer each thread keeps (tpc_codec_decode_into): results must not
depend on what that buffer held before, on its size, or on the retries that grow it."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload, Payloads

from temporal_payload_codec import Codec, InternalError, _native

KEY = os.urandom(32)
CODECS = {
    "default": Codec(),
    "snappy-raw": Codec(compression="snappy-raw"),
    "none": Codec(compression="none"),
    # zlib's decoded size is not in its header: the first size the library reports is short.
    "zlib": Codec(compression="zlib"),
    "zlib+encrypted": Codec(compression="zlib", keys={"k": KEY}, encryption_key_id="k"),
    "snappy+encrypted": Codec(keys={"k": KEY}, encryption_key_id="k"),
}


def payloads(sizes: list[int], seed: int) -> list[Payload]:
    return [
        Payload(metadata={"encoding": b"binary/plain", "n": str(i).encode()}, data=os.urandom(n // 2) * 2)
        for i, n in enumerate(sizes, seed)
    ]


def canonical(payloads: list[Payload]) -> list[bytes]:
    """Serializations with map entries sorted: these payloads carry two metadata entries, whose
    order protobuf may change between parsing and re-serializing."""
    return [p.SerializeToString(deterministic=True) for p in payloads]


def in_fresh_thread(fn: Callable[[], None]) -> None:
    """Runs fn in a new thread, whose decode buffer starts empty; re-raises its failure."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as e:  # handed to the test thread, which re-raises it
            failure.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


@pytest.mark.parametrize("name", list(CODECS))
def test_growing_shrinking_and_reusing_the_buffer(name: str) -> None:
    codec = CODECS[name]

    def check() -> None:
        # Small, then larger than the initial 64 KiB buffer (a retry), then small again (the
        # buffer holds stale bytes of the large batch), then empty, then larger again.
        for seed, sizes in enumerate([[100, 3000], [200_000, 70_000, 5], [10], [], [1_500_000], [64 * 1024]]):
            plain = payloads(sizes, seed)
            encoded = codec.encode_sync(plain)
            decoded = codec.decode_sync(encoded)
            assert canonical(decoded) == canonical(plain)
            # The same payloads as the library-owned-buffer path.
            framed = Payloads(payloads=encoded).SerializeToString()
            assert canonical(decoded) == canonical(list(Payloads.FromString(codec.decode_bytes(framed)).payloads))

    in_fresh_thread(check)


def test_threads_do_not_share_a_decode_buffer() -> None:
    codec = CODECS["snappy+encrypted"]
    batches = [payloads([40_000 + 1000 * i, 300 * i], i) for i in range(8)]
    encoded = [codec.encode_sync(b) for b in batches]
    errors: list[str] = []

    def worker(i: int) -> None:
        for _ in range(50):
            got = codec.decode_sync(encoded[i])
            if canonical(got) != canonical(batches[i]):
                errors.append(f"thread {i} decoded another batch")
                return

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


class DecodeIntoSpy:
    """Wraps tpc_codec_decode_into, recording (capacity, status, size reported) per call."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.calls: list[tuple[int, int, int]] = []

    def __call__(self, codec: Any, data: Any, size: int, dst: Any, cap: int, out_len: Any, err: Any) -> int:
        status: int = self.fn(codec, data, size, dst, cap, out_len, err)
        self.calls.append((cap, status, out_len._obj.value))
        return status


@pytest.mark.parametrize("name", list(CODECS))
def test_the_retry_pattern(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Too small a buffer is TPC_ERR_BUFFER_TOO_SMALL with the size needed; the codec grows
    its buffer to that size and calls again, at most twice, and the last call succeeds."""
    codec = CODECS[name]
    plain = payloads([300_000, 5, 90_000], 7)
    encoded = codec.encode_sync(plain)
    spy = DecodeIntoSpy(_native.lib.tpc_codec_decode_into)
    monkeypatch.setattr(_native.lib, "tpc_codec_decode_into", spy)

    again: list[tuple[int, int, int]] = []

    def check() -> None:
        # A fresh thread starts from the initial 64 KiB buffer: too small for this batch.
        assert canonical(codec.decode_sync(encoded)) == canonical(plain)
        first = len(spy.calls)
        # The grown buffer is kept: the same batch again needs one call.
        assert canonical(codec.decode_sync(encoded)) == canonical(plain)
        again.extend(spy.calls[first:])
        del spy.calls[first:]

    in_fresh_thread(check)
    assert 2 <= len(spy.calls) <= 3, spy.calls
    *retried, (last_cap, last_status, last_size) = spy.calls
    assert last_status == 0 and last_size <= last_cap
    for (cap, status, size), (next_cap, _, _) in zip(retried, spy.calls[1:], strict=True):
        assert status == 8 and size > cap and next_cap == size, spy.calls
    assert [status for _, status, _ in again] == [0]


def test_a_size_that_never_settles_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A library that kept answering TPC_ERR_BUFFER_TOO_SMALL would break its contract: the
    codec stops after two retries rather than loop."""
    calls: list[int] = []

    def always_too_small(codec: Any, data: Any, size: int, dst: Any, cap: int, out_len: Any, err: Any) -> int:
        calls.append(cap)
        out_len._obj.value = cap + 1
        return 8

    monkeypatch.setattr(_native.lib, "tpc_codec_decode_into", always_too_small)
    with pytest.raises(InternalError, match="TPC_ERR_BUFFER_TOO_SMALL after 2 retries"):
        Codec().decode_sync([Payload(data=b"x")])
    assert len(calls) == 3 and calls[1] == calls[0] + 1 and calls[2] == calls[1] + 1
