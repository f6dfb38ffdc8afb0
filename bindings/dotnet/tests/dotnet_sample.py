"""The .NET encryption sample's payload layout, made by a standard AES-GCM (OpenSSL through
`cryptography`), because Mono has no System.Security.Cryptography.AesGcm.

    python dotnet_sample.py make OUT      writes the fixture the C# tests decode
    python dotnet_sample.py open KEY_HEX  reads Payloads on stdin whose payloads are all
                                          binary/encrypted, decrypts each with KEY_HEX and
                                          writes the inner Payloads to stdout

The sample (samples-dotnet, src/Encryption/Codec/EncryptionCodec.cs) uses key id
"test-key-id", the ASCII key "test-key-test-key-test-key-test!", metadata
encoding=binary/encrypted and encryption-key-id, and AES-256-GCM over the whole serialized
Payload with a 12-byte random nonce and 16-byte tag. Payloads are serialized by hand here
(protobuf wire format) so this peer shares no code with the binding.
"""

import base64
import os
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY = b"test-key-test-key-test-key-test!"
KEY_ID = b"test-key-id"


def varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def field(number: int, data: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(data)) + data


def payload(metadata: list, data: bytes) -> bytes:
    out = b"".join(field(1, field(1, k) + field(2, v)) for k, v in metadata)
    return out + (field(2, data) if data else b"")


def payloads(items: list) -> bytes:
    return b"".join(field(1, p) for p in items)


def read_fields(data: bytes):
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        assert key & 7 == 2, f"unexpected wire type {key & 7}"
        n, pos = read_varint(data, pos)
        yield key >> 3, data[pos : pos + n]
        pos += n


def read_varint(data: bytes, pos: int):
    n = shift = 0
    while True:
        b = data[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            return n, pos
        shift += 7


def seal_ciphertext_then_tag(plaintext: bytes) -> bytes:
    """nonce || ciphertext || tag: what the current .NET sample writes (since samples-dotnet
    5e0bbe7, 2024-10-07), as every other sample does."""
    nonce = os.urandom(12)
    return nonce + AESGCM(KEY).encrypt(nonce, plaintext, None)


def seal_tag_then_ciphertext(plaintext: bytes) -> bytes:
    """nonce || tag || ciphertext: what copies of the .NET sample older than samples-dotnet
    5e0bbe7 (2024-10-07) wrote; histories written by them still hold this layout."""
    nonce = os.urandom(12)
    sealed = AESGCM(KEY).encrypt(nonce, plaintext, None)
    return nonce + sealed[-16:] + sealed[:-16]


def encrypted(inner: bytes, seal) -> bytes:
    return payload([(b"encoding", b"binary/encrypted"), (b"encryption-key-id", KEY_ID)], seal(inner))


def make(out_path: str) -> None:
    inner = [
        payload([(b"encoding", b"json/plain")], b'{"customer":"Ada","items":["tea"]}'),
        payload([(b"encoding", b"binary/null")], b""),
        payload([(b"encoding", b"json/plain"), (b"messageType", b"Order")], b'"' + b"repetitive " * 500 + b'"'),
        payload([(b"encoding", b"json/plain")], '"d\u00e9j\u00e0 vu \u2713"'.encode()),
    ]
    plain = payloads(inner)
    lines = []
    for name, seal in (
        ("nonce-ciphertext-tag", seal_ciphertext_then_tag),
        ("nonce-tag-ciphertext", seal_tag_then_ciphertext),
    ):
        encoded = payloads([encrypted(p, seal) for p in inner])
        lines.append(f"{name}\t{base64.b64encode(plain).decode()}\t{base64.b64encode(encoded).decode()}")
    # A batch mixing one sample payload with one the sample never touched (passes through).
    mixed_plain = payloads([inner[0], inner[1]])
    mixed = payloads([encrypted(inner[0], seal_ciphertext_then_tag), inner[1]])
    lines.append(f"mixed\t{base64.b64encode(mixed_plain).decode()}\t{base64.b64encode(mixed).decode()}")
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")


def open_all(key_hex: str) -> None:
    key = bytes.fromhex(key_hex)
    out = []
    for number, p in read_fields(sys.stdin.buffer.read()):
        assert number == 1
        meta = {}
        data = b""
        for n, v in read_fields(p):
            if n == 1:
                entry = dict(read_fields(v))
                meta[entry.get(1, b"")] = entry.get(2, b"")
            elif n == 2:
                data = v
        assert meta.get(b"encoding") == b"binary/encrypted", meta
        assert meta.get(b"encryption-key-id") == KEY_ID, meta
        out.append(AESGCM(key).decrypt(data[:12], data[12:], None))
    sys.stdout.buffer.write(payloads(out))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "open":
        open_all(sys.argv[2])
    else:
        sys.exit("usage: dotnet_sample.py make OUT | open KEY_HEX")
