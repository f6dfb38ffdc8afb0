"""binary/encrypted in the layout of Temporal's Python encryption sample (samples-python
encryption/codec.py): AES-256-GCM, key id "test-key-id", data = nonce(12) || ciphertext || tag,
no associated data; the sample's side is played by `cryptography`, never by our library."""

from __future__ import annotations

import base64
import dataclasses
import json
import os

import pytest
import temporalio.converter
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload, Payloads

from conftest import REPO, sample_payloads
from reference_codec import ReferenceSnappyCodec
from temporal_payload_codec import Codec, DecryptFailedError, UnknownKeyError

SAMPLE_KEY = b"test-key-test-key-test-key-test!"  # the sample's default key (32 bytes)
SAMPLE_KEY_ID = "test-key-id"


def sample_encode(payloads: list[Payload], key: bytes = SAMPLE_KEY, key_id: str = SAMPLE_KEY_ID) -> list[Payload]:
    """What the sample's EncryptionCodec.encode writes."""
    out = []
    for p in payloads:
        nonce = os.urandom(12)
        out.append(
            Payload(
                metadata={"encoding": b"binary/encrypted", "encryption-key-id": key_id.encode()},
                data=nonce + AESGCM(key).encrypt(nonce, p.SerializeToString(), None),
            )
        )
    return out


def sample_decode(payloads: list[Payload]) -> list[Payload]:
    """What the sample's EncryptionCodec.decode does, refusal of other key ids included."""
    out = []
    for p in payloads:
        if p.metadata.get("encoding", b"") != b"binary/encrypted":
            out.append(p)
            continue
        assert p.metadata["encryption-key-id"].decode() == SAMPLE_KEY_ID
        out.append(Payload.FromString(AESGCM(SAMPLE_KEY).decrypt(p.data[:12], p.data[12:], None)))
    return out


def canonical(payloads: list[Payload]) -> list[bytes]:
    return [p.SerializeToString(deterministic=True) for p in payloads]


def wire(payloads: list[Payload]) -> list[bytes]:
    return [p.SerializeToString() for p in payloads]


def sample_codec(**kwargs: object) -> Codec:
    return Codec(keys={SAMPLE_KEY_ID: SAMPLE_KEY}, **kwargs)  # type: ignore[arg-type]


async def test_decodes_what_the_sample_wrote() -> None:
    batch = sample_payloads()
    assert canonical(await sample_codec().decode(sample_encode(batch))) == canonical(batch)


async def test_the_sample_decodes_what_we_write() -> None:
    batch = sample_payloads()
    ours = await sample_codec(compression="none", encryption_key_id=SAMPLE_KEY_ID).encode(batch)
    for p in ours:
        assert dict(p.metadata) == {"encoding": b"binary/encrypted", "encryption-key-id": SAMPLE_KEY_ID.encode()}
    assert canonical(sample_decode(ours)) == canonical(batch)


async def test_snappy_under_encryption_peels_with_the_sample_then_the_reference() -> None:
    batch = sample_payloads()
    ours = await sample_codec(encryption_key_id=SAMPLE_KEY_ID).encode(batch)
    inner = sample_decode(ours)
    assert {p.metadata["encoding"] for p in inner} == {b"binary/snappy"}
    assert canonical(await ReferenceSnappyCodec().decode(inner)) == canonical(batch)


async def test_fresh_nonce_per_payload() -> None:
    codec = sample_codec(encryption_key_id=SAMPLE_KEY_ID)
    p = Payload(metadata={"encoding": b"json/plain"}, data=b'"same"')
    once, twice = await codec.encode([p, p]), await codec.encode([p])
    nonces = {q.data[:12] for q in [*once, *twice]}
    assert len(nonces) == 3


async def test_key_rotation_decrypts_old_keys() -> None:
    old, new = os.urandom(32), os.urandom(32)
    batch = sample_payloads()
    old_data = sample_encode(batch, old, "2025-06")
    codec = Codec(keys={"2026-11": new, "2025-06": old}, encryption_key_id="2026-11")
    new_data = await codec.encode(batch)
    assert {p.metadata["encryption-key-id"] for p in new_data} == {b"2026-11"}
    assert canonical(await codec.decode(old_data)) == canonical(batch)
    assert canonical(await codec.decode(new_data)) == canonical(batch)


async def test_unknown_key_id_wrong_key_and_tampering_are_refused() -> None:
    batch = sample_payloads()[:2]
    with pytest.raises(UnknownKeyError) as unknown:
        await sample_codec().decode(sample_encode(batch, os.urandom(32), "someone-else"))
    assert "someone-else" in unknown.value.message and unknown.value.status == 6

    with pytest.raises(DecryptFailedError) as wrong:
        await sample_codec().decode(sample_encode(batch, os.urandom(32), SAMPLE_KEY_ID))
    assert wrong.value.status == 7

    tampered = sample_encode(batch)
    tampered[1].data = tampered[1].data[:-1] + bytes([tampered[1].data[-1] ^ 1])
    with pytest.raises(DecryptFailedError, match="payload 1"):
        await sample_codec().decode(tampered)


def test_key_bytes_never_show() -> None:
    key = bytes(range(32))
    codec = Codec(keys={"k": key}, encryption_key_id="k")
    assert key.hex() not in repr(codec) and repr(key) not in repr(codec)
    with pytest.raises(DecryptFailedError) as failed:
        codec.decode_sync(sample_encode([Payload(data=b"x")], os.urandom(32), "k"))
    assert key.hex() not in str(failed.value) and repr(key) not in str(failed.value)


async def test_large_batches_encrypt_through_scatter_gather() -> None:
    """Large payloads take tpc_codec_encode_gather; the sample still decodes them."""
    batch = [Payload(), *[Payload(data=os.urandom(40_000)) for _ in range(3)], *sample_payloads()]
    for codec in (
        sample_codec(encryption_key_id=SAMPLE_KEY_ID),
        sample_codec(encryption_key_id=SAMPLE_KEY_ID, compression="zlib"),
    ):
        encoded = await codec.encode(batch)
        assert canonical(await codec.decode(encoded)) == canonical(batch)
    encoded = await sample_codec(encryption_key_id=SAMPLE_KEY_ID, compression="none").encode(batch)
    assert canonical(sample_decode(encoded)) == canonical(batch)


# The bytes Temporal's Go encryption sample writes: key id "" (its codec server's
# encryption.Codec{} has no KeyID), zlib inside the encryption on its codec server.
GO_SAMPLE = json.loads((REPO / "tests" / "vectors" / "go-sample-encryption.json").read_text())
GO_SAMPLE_CASES = {case["name"]: case for case in GO_SAMPLE["cases"]}


def test_the_go_sample_vector_has_both_cases_under_the_empty_key_id() -> None:
    assert GO_SAMPLE["key_id"] == ""
    assert set(GO_SAMPLE_CASES) == {"codec-server-zlib-then-encrypted", "worker-encrypted"}


@pytest.mark.parametrize("key_id", ["", b""], ids=["str", "bytes"])
@pytest.mark.parametrize("name", sorted(GO_SAMPLE_CASES))
async def test_decodes_the_go_sample_exactly(name: str, key_id: str | bytes) -> None:
    case = GO_SAMPLE_CASES[name]
    plain, encoded = base64.b64decode(case["plain"]), base64.b64decode(case["encoded"])
    encoded_payloads = list(Payloads.FromString(encoded).payloads)
    assert {p.metadata["encryption-key-id"] for p in encoded_payloads} == {b""}
    codec = Codec(keys={key_id: bytes.fromhex(GO_SAMPLE["key_hex"])})
    # Serialized Payloads in and out (tpc_codec_decode): exactly the plain bytes.
    assert codec.decode_bytes(encoded) == plain
    # Payload messages in and out (tpc_codec_decode_into): the same payloads.
    assert wire(await codec.decode(encoded_payloads)) == wire(list(Payloads.FromString(plain).payloads))
    # The SDK's data converter reads the values the sample's workflow wrote.
    converter = dataclasses.replace(temporalio.converter.default(), payload_codec=codec)
    assert await converter.decode(encoded_payloads) == [
        {"items": ["a", "b"], "order": 42},
        "hello from the Go sample",
        None,
        b"\x00\x01\x02\xff",
    ]


async def test_the_go_sample_needs_the_empty_key_id() -> None:
    encoded = base64.b64decode(GO_SAMPLE_CASES["worker-encrypted"]["encoded"])
    with pytest.raises(UnknownKeyError, match='no key with id ""'):
        Codec(keys={"k": bytes.fromhex(GO_SAMPLE["key_hex"])}).decode_bytes(encoded)
    with pytest.raises(DecryptFailedError):
        Codec(keys={"": os.urandom(32)}).decode_bytes(encoded)


@pytest.mark.parametrize("key_id", ["", b""], ids=["str", "bytes"])
@pytest.mark.parametrize("compression", ["snappy", "zlib", "none"])
async def test_encryption_under_the_empty_key_id_round_trips(key_id: str | bytes, compression: str) -> None:
    key = os.urandom(32)
    codec = Codec(compression=compression, keys={key_id: key}, encryption_key_id=key_id)
    batch = sample_payloads()
    encoded = await codec.encode(batch)
    for p in encoded:
        assert dict(p.metadata) == {"encoding": b"binary/encrypted", "encryption-key-id": b""}
    assert canonical(await codec.decode(encoded)) == canonical(batch)
    # The layout is the samples' (nonce || ciphertext || tag), independently decrypted.
    inner = [Payload.FromString(AESGCM(key).decrypt(p.data[:12], p.data[12:], None)) for p in encoded]
    if compression == "none":
        assert canonical(inner) == canonical(batch)
    # Through the SDK's data converter, values come back as usual.
    converter = dataclasses.replace(temporalio.converter.default(), payload_codec=codec)
    values = ["hello", {"n": 1, "xs": [1, 2, 3]}, None, b"bytes"]
    stored = await converter.encode(values)
    assert {p.metadata["encryption-key-id"] for p in stored} == {b""}
    assert await converter.decode(stored) == values


async def test_a_key_under_the_empty_id_does_not_turn_encryption_on() -> None:
    """Encryption is on exactly when encryption_key_id is given, "" included."""
    batch = sample_payloads()
    encoded = await Codec(keys={"": os.urandom(32)}).encode(batch)
    assert {p.metadata["encoding"] for p in encoded} == {b"binary/snappy"}
    assert wire(encoded) == wire(await ReferenceSnappyCodec().encode(batch))
