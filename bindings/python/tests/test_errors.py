"""Bad input and bad options raise the exception for the library's status, with its message."""

from __future__ import annotations

import cramjam
import pytest
from temporalio.api.common.v1 import Payload, Payloads

import temporal_payload_codec as tpc
from conftest import sample_payloads
from temporal_payload_codec import (
    BufferTooSmallError,
    CodecClosedError,
    CorruptPayloadError,
    InvalidArgumentError,
    LimitExceededError,
    MalformedInputError,
    TpcError,
)


def snappy(inner: Payload) -> Payload:
    return Payload(
        metadata={"encoding": b"binary/snappy"}, data=bytes(cramjam.snappy.compress(inner.SerializeToString()))
    )


def test_abi_version_and_library() -> None:
    assert tpc.ABI_VERSION == 2
    assert tpc.version() == "0.2.0"
    assert tpc.library_path().endswith("libtemporal_payload_codec.so")


def test_every_status_the_library_knows_has_its_exception() -> None:
    from temporal_payload_codec._errors import error_for
    from temporal_payload_codec._native import status_description

    known = {code: status_description(code) for code in range(256) if status_description(code) != "unknown status"}
    assert set(known) == {0, 1, 2, 3, 4, 5, 6, 7, 8, 255}, known
    for code, description in known.items():
        if code == 0:
            continue
        e = error_for(code, "m", description)
        assert type(e) is not TpcError and e.status == code and e.message == "m", (code, e)
        assert e.status_name.startswith("TPC_ERR_")
    e = error_for(8, "the result needs 9 bytes; the buffer holds 0", "buffer too small")
    assert isinstance(e, BufferTooSmallError) and e.status_name == "TPC_ERR_BUFFER_TOO_SMALL"
    unknown = error_for(9, "m", "unknown status")
    assert type(unknown) is TpcError and unknown.status == 9


@pytest.mark.parametrize(
    ("data", "fault"),
    [
        (b"\x0a\x05\x12", "claims 5 bytes"),  # truncated
        (b"\x0b", ""),  # wire type 3 (groups) is not protobuf3
        (b"\x0a\x02\x12\x05", ""),  # a payload whose data field runs past its end
    ],
)
def test_malformed_payloads_bytes(data: bytes, fault: str) -> None:
    for op in (tpc.Codec().decode_bytes, tpc.Codec().encode_bytes, tpc.Codec(compression="zlib").decode_bytes):
        with pytest.raises(MalformedInputError) as e:
            op(data)
        assert e.value.status == 3 and e.value.status_name == "TPC_ERR_MALFORMED_INPUT"
        assert fault in e.value.message and e.value.message
        assert isinstance(e.value, TpcError) and isinstance(e.value, ValueError)
        assert str(e.value).startswith("TPC_ERR_MALFORMED_INPUT (3): ")


async def test_corrupt_snappy_names_the_payload() -> None:
    good = snappy(Payload(data=b"hello"))
    bad = Payload(metadata={"encoding": b"binary/snappy"}, data=b"\xff\x06\x00\x00sNaPpY\x01\x09\x00\x00garbage!!")
    with pytest.raises(CorruptPayloadError, match="payload 1") as e:
        await tpc.Codec().decode([good, bad])
    assert e.value.status == 4


async def test_decoded_bytes_that_are_not_a_payload_are_corrupt() -> None:
    not_a_payload = Payload(metadata={"encoding": b"binary/snappy"}, data=bytes(cramjam.snappy.compress(b"\x0b\x0b")))
    with pytest.raises(CorruptPayloadError):
        await tpc.Codec().decode([not_a_payload])


async def test_max_decoded_size() -> None:
    big = snappy(Payload(data=b"z" * 100_000))
    with pytest.raises(LimitExceededError, match="payload 0") as e:
        await tpc.Codec(max_decoded_size=50_000).decode([big])
    assert e.value.status == 5
    assert len(await tpc.Codec(max_decoded_size=200_000).decode([big])) == 1


@pytest.mark.parametrize(
    ("kwargs", "fault"),
    [
        ({"compression": "lz4"}, "unknown compression 'lz4'"),  # refused by the binding
        ({"compression": 9}, "compression"),  # refused by the library
        ({"keys": {"": b"short"}}, "32"),
        ({"keys": {"a": bytes(32), b"a": bytes(32)}}, 'key id "a" was added twice'),  # str is its UTF-8
        ({"encryption_key_id": ""}, '""'),  # the empty id is an id: encrypting with it needs its key
        ({"keys": {"k": bytes(32)}, "encryption_key_id": b"k\0"}, "k\\x00"),
        ({"zlib_level": -1}, "out of range"),
        ({"max_decoded_size": 0}, "size"),
        ({"max_decoded_size": -5}, "out of range"),
    ],
)
def test_invalid_options(kwargs: dict[str, object], fault: str) -> None:
    with pytest.raises(InvalidArgumentError) as e:
        tpc.Codec(**kwargs)  # type: ignore[arg-type]
    assert e.value.status == 2 and e.value.status_name == "TPC_ERR_INVALID_ARGUMENT"
    assert fault.lower() in e.value.message.lower(), e.value.message


def test_wrong_types() -> None:
    with pytest.raises(TypeError, match="must be bytes"):
        tpc.Codec(keys={"k": "not bytes"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a str or bytes"):
        tpc.Codec(keys={1: bytes(32)})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="encryption_key_id must be a str or bytes"):
        tpc.Codec(keys={"k": bytes(32)}, encryption_key_id=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be an int"):
        tpc.Codec(max_decoded_size=1.5)  # type: ignore[arg-type]


async def test_closed_codec_refuses_calls_and_close_is_idempotent() -> None:
    keyed = tpc.Codec(keys={"k": bytes(32)}, encryption_key_id="k")
    default = tpc.Codec()
    for codec in (keyed, default):
        assert len(await codec.encode(sample_payloads())) == len(sample_payloads())
        codec.close()
        codec.close()
        with pytest.raises(CodecClosedError):
            await codec.encode([Payload()])
        with pytest.raises(CodecClosedError):
            codec.decode_bytes(b"")
        with pytest.raises(CodecClosedError):
            codec.decode_sync([Payload()])
    with tpc.Codec(compression="zlib") as scoped:
        scoped.encode_sync([Payload()])
    with pytest.raises(CodecClosedError):
        scoped.encode_sync([Payload()])


def test_empty_batches() -> None:
    codec = tpc.Codec()
    assert codec.encode_sync([]) == [] and codec.decode_sync([]) == []
    assert codec.encode_bytes(b"") == b"" and codec.decode_bytes(b"") == b""
    assert Payloads.FromString(codec.encode_bytes(Payloads(payloads=[Payload()]).SerializeToString())).payloads


def test_bytes_like_inputs_and_wrong_types() -> None:
    codec = tpc.Codec()
    plain = Payloads(payloads=sample_payloads()).SerializeToString()
    encoded = codec.encode_bytes(plain)
    assert codec.encode_bytes(bytearray(plain)) == encoded
    assert codec.decode_bytes(memoryview(encoded)) == plain
    with pytest.raises(TypeError):
        codec.encode_bytes(5)  # type: ignore[arg-type]


def test_repr_names_the_configuration() -> None:
    codec = tpc.Codec(
        compression=tpc.Compression.SNAPPY_RAW, keys={"a": bytes(32), "b": bytes(32)}, encryption_key_id="b"
    )
    assert repr(codec) == "Codec(compression='snappy-raw', key_ids=['a', 'b'], encryption_key_id='b')"
    assert repr(tpc.Codec()) == "Codec(compression='snappy', key_ids=[], encryption_key_id=None)"
    keys: dict[str | bytes, bytes] = {"": bytes(32), b"\xff": bytes(32)}
    empty = tpc.Codec(keys=keys, encryption_key_id="")
    assert repr(empty) == "Codec(compression='snappy', key_ids=['', b'\\xff'], encryption_key_id='')"
