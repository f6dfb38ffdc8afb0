"""Real peers for the codec chain (issue 3), driven by tests/peers.rs.

Everything here is made by standard implementations, never by our library: payloads are
protobuf messages from the real temporalio package, zlib is C zlib (Python's zlib module,
the same library java.util.zip wraps), AES-256-GCM is `cryptography` (OpenSSL).

    python peers.py make   -> JSON fixtures in each sample's layout, on stdout
    python peers.py check  <- JSON {"cases": [{"kind", "key_hex"?, "encoded"}]} on stdin
                           -> JSON {"plain": [...]} decoded by the standard implementations
"""

import base64
import json
import os
import sys
import zlib

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload, Payloads


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def plain_payloads() -> Payloads:
    return Payloads(
        payloads=[
            Payload(metadata={"encoding": b"json/plain"}, data=b'{"order":42,"items":["a","b"]}'),
            Payload(metadata={"encoding": b"binary/null"}),
            Payload(metadata={"encoding": b"json/plain"}, data=b'"' + b"repetitive text " * 400 + b'"'),
        ]
    )


def seal(key: bytes, plaintext: bytes) -> bytes:
    """The layout every sample shares: nonce(12) || ciphertext || tag(16), no associated data."""
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, None)


def seal_tag_first(key: bytes, plaintext: bytes) -> bytes:
    """The .NET sample's layout (samples-dotnet Encryption/Codec/EncryptionCodec.cs passes
    AesGcm.Encrypt the span after the tag as ciphertext): nonce(12) || tag(16) || ciphertext."""
    sealed = seal(key, plaintext)
    return sealed[:12] + sealed[-16:] + sealed[12:-16]


def zlib_payload(inner: Payload) -> Payload:
    """What Go's NewZlibCodec and Java's ZlibPayloadCodec write: zlib of the whole Payload."""
    return Payload(metadata={"encoding": b"binary/zlib"}, data=zlib.compress(inner.SerializeToString(), 6))


def encrypted(inner: Payload, key: bytes, key_id: str, extra=None, sealer=seal) -> Payload:
    metadata = {"encoding": b"binary/encrypted", "encryption-key-id": key_id.encode()}
    metadata.update(extra or {})
    return Payload(metadata=metadata, data=sealer(key, inner.SerializeToString()))


def make() -> dict:
    plain = plain_payloads()
    go_key = bytes(range(32))
    py_key = bytes(range(100, 132))
    java_id = "test-key-test-key-test-key-test!"
    cases = []

    def case(name, payloads, key_id=None, key=None):
        cases.append(
            {
                "name": name,
                "encoded": b64(Payloads(payloads=payloads).SerializeToString()),
                "key_id": key_id,
                "key_hex": key.hex() if key else None,
            }
        )

    case("zlib like the Java and Go SDKs", [zlib_payload(p) for p in plain.payloads])
    case("Go sample, key id test", [encrypted(p, go_key, "test") for p in plain.payloads], "test", go_key)
    case(
        "Go sample with compression: plaintext is a binary/zlib payload",
        [encrypted(zlib_payload(p), go_key, "test") for p in plain.payloads],
        "test",
        go_key,
    )
    case(
        "Python sample, key id test-key-id",
        [encrypted(p, py_key, "test-key-id") for p in plain.payloads],
        "test-key-id",
        py_key,
    )
    dotnet = [encrypted(p, py_key, "test-key-id", sealer=seal_tag_first) for p in plain.payloads]
    case(".NET sample (tag before ciphertext), key id test-key-id", dotnet, "test-key-id", py_key)
    java_key = java_id.encode("utf-8")
    case(
        "Java sample: encryption-cipher, key = UTF-8 bytes of its id",
        [encrypted(p, java_key, java_id, {"encryption-cipher": b"AES/GCM/NoPadding"}) for p in plain.payloads],
        java_id,
        java_key,
    )
    return {"plain": b64(plain.SerializeToString()), "cases": cases}


def peel(payload: Payload, key: bytes) -> Payload:
    """Decodes our output with the standard implementations only."""
    encoding = payload.metadata.get("encoding", b"")
    if encoding == b"binary/zlib":
        return peel(Payload.FromString(zlib.decompress(payload.data)), key)
    if encoding == b"binary/encrypted":
        nonce, sealed = payload.data[:12], payload.data[12:]
        return peel(Payload.FromString(AESGCM(key).decrypt(nonce, sealed, None)), key)
    return payload


def check(request: dict) -> dict:
    out = []
    for c in request["cases"]:
        key = bytes.fromhex(c["key_hex"]) if c.get("key_hex") else b""
        encoded = Payloads.FromString(base64.b64decode(c["encoded"]))
        out.append(b64(Payloads(payloads=[peel(p, key) for p in encoded.payloads]).SerializeToString()))
    return {"plain": out}


if __name__ == "__main__":
    if sys.argv[1:] == ["make"]:
        json.dump(make(), sys.stdout)
    elif sys.argv[1:] == ["check"]:
        json.dump(check(json.load(sys.stdin)), sys.stdout)
    else:
        sys.exit("usage: peers.py make|check")
