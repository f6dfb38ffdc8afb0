"""Codec() against the reference codec of Temporal's documentation (the repository's
tests/oracle/reference_codec.py, the core tests' oracle too): byte-identical encode, and each
decodes the other's output, over many payload shapes."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import pytest
import temporalio.converter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.api.common.v1 import Payload

from conftest import sample_payloads
from reference_codec import ReferenceSnappyCodec
from temporal_payload_codec import Codec, Compression

# Our decode peels every layer it knows (the reference peels one snappy layer), so shapes whose
# own encoding is one of those labels are not part of the equivalence; they are tested apart.
KNOWN_LABELS = {b"binary/snappy", b"binary/zlib", b"binary/encrypted"}
EXTERNAL_PAYLOAD_SIZE_FIELD = "external_payloads"


def wire(payloads: list[Payload]) -> list[bytes]:
    return [p.SerializeToString() for p in payloads]


def canonical(payloads: list[Payload]) -> list[bytes]:
    """Serializations with map entries sorted: two equal messages parsed from different bytes
    may list metadata in different orders (protobuf leaves map order open)."""
    return [p.SerializeToString(deterministic=True) for p in payloads]


def varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def frame(serialized: list[bytes]) -> bytes:
    """A serialized Payloads made of exactly these payload serializations (field 1 each)."""
    return b"".join(b"\x0a" + varint(len(s)) + s for s in serialized)


def with_unknown_field(payload: Payload, field: int, value: int) -> Payload:
    """A payload carrying a field this protobuf schema does not know (a future field)."""
    return Payload.FromString(payload.SerializeToString() + varint(field << 3) + varint(value))


metadata_values = st.binary(max_size=40).filter(lambda v: v not in KNOWN_LABELS)
metadata = st.dictionaries(st.text(max_size=20), metadata_values, max_size=4)
data = st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=5000),
    st.builds(lambda chunk, n: chunk * n, st.binary(min_size=1, max_size=50), st.integers(1, 3000)),
)


@st.composite
def payloads(draw: st.DrawFn) -> Payload:
    p = Payload(metadata=draw(metadata), data=draw(data))
    for size in draw(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=3)):
        p.external_payloads.add(size_bytes=size)
    if draw(st.booleans()):
        p = with_unknown_field(p, draw(st.integers(100, 10_000)), draw(st.integers(0, 2**64 - 1)))
    return p


async def assert_equivalent(batch: list[Payload]) -> None:
    reference, ours = ReferenceSnappyCodec(), Codec()
    theirs, mine = await reference.encode(batch), await ours.encode(batch)
    assert wire(mine) == wire(theirs), "encode differs from the reference codec"
    assert canonical(await reference.decode(mine)) == canonical(batch), "the reference does not decode ours"
    assert canonical(await ours.decode(theirs)) == canonical(batch), "we do not decode the reference's"
    # At the byte level our decode gives back each payload's original serialization verbatim.
    assert ours.decode_bytes(frame(wire(theirs))) == frame(wire(batch))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example])
@given(st.lists(payloads(), max_size=8))
async def test_byte_identical_to_the_reference_over_payload_shapes(batch: list[Payload]) -> None:
    await assert_equivalent(batch)


async def test_converter_made_payloads_and_large_ones() -> None:
    big = os.urandom(1 << 16)
    batch = [
        *sample_payloads(),
        Payload(metadata={"encoding": b"binary/plain"}, data=big * 17),  # > 1 MiB, several 64 KiB chunks
        Payload(metadata={"encoding": b"binary/plain"}, data=os.urandom(200_000)),  # incompressible chunks
        Payload(metadata={"encoding": b"json/plain"}, data=b"x" * 65_536),  # exactly one chunk
    ]
    await assert_equivalent(batch)
    await assert_equivalent([])


async def test_both_encode_paths_framed_and_scatter_gather(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches below the scatter-gather threshold are framed into one Payloads; larger ones of
    large payloads go through tpc_codec_encode_gather. Both give the reference's bytes, empty
    payloads included, right at the threshold and with the default and a configured codec."""
    from temporal_payload_codec import _codec, _native

    scattered = []
    gather = _native.lib.tpc_codec_encode_gather

    def spy(*args: Any) -> Any:
        scattered.append(args[-3])  # the count
        return gather(*args)

    monkeypatch.setattr(_native.lib, "tpc_codec_encode_gather", spy)
    threshold = _codec._SCATTER_FROM
    for total, expected in ((threshold - 1, False), (threshold, True), (4 * threshold, True)):
        n = next(n for n in range(total - 6, total) if len(Payload(data=b"0" * n).SerializeToString()) == total)
        batch = [Payload(), Payload(metadata={}, data=os.urandom(n)), Payload()]
        assert sum(len(p.SerializeToString()) for p in batch) == total
        for codec in (Codec(), Codec(compression="snappy", max_decoded_size=1 << 24)):
            scattered.clear()
            assert wire(await codec.encode(batch)) == wire(await ReferenceSnappyCodec().encode(batch))
            assert scattered == ([3] if expected else []), total
        await assert_equivalent(batch)


async def test_plugs_into_the_data_converter_as_the_reference_document_shows() -> None:
    converter = dataclasses.replace(temporalio.converter.default(), payload_codec=Codec())
    reference = dataclasses.replace(temporalio.converter.default(), payload_codec=ReferenceSnappyCodec())
    values = ["hello", {"n": 1, "xs": [1, 2, 3]}, None, b"bytes"]
    ours = await converter.encode(values)
    assert wire(ours) == wire(await reference.encode(values))
    assert await converter.decode(ours) == values
    assert await converter.decode(await reference.encode(values)) == values


async def test_other_compressions_round_trip_and_peel_each_other() -> None:
    batch = sample_payloads()
    decoders = [Codec(compression=c) for c in Compression]
    compressions: list[Compression | str] = ["none", "snappy", "snappy-raw", "zlib", Compression.ZLIB]
    for compression in compressions:
        encoded = await Codec(compression=compression).encode(batch)
        for decoder in decoders:  # decode peels every known layer, whatever it encodes with
            assert canonical(await decoder.decode(encoded)) == canonical(batch)
    zlib = await Codec(compression="zlib").encode(batch)
    assert {p.metadata["encoding"] for p in zlib} == {b"binary/zlib"}
    none = await Codec(compression="none").encode(batch)
    assert canonical(none) == canonical(batch)


async def test_only_if_smaller_keeps_payloads_compression_does_not_shrink() -> None:
    tiny, big = Payload(data=b"x"), Payload(data=b"y" * 10_000)
    out = await Codec(compression="zlib", only_if_smaller=True, zlib_level=9).encode([tiny, big])
    assert wire([out[0]]) == wire([tiny])
    assert out[1].metadata["encoding"] == b"binary/zlib"
