#!/usr/bin/env python3
"""Writes tests/conformance/cases.json, the conformance suite every binding runs.

    .venv/bin/python tests/conformance/make_cases.py            rewrite cases.json
    .venv/bin/python tests/conformance/make_cases.py --check    fail if cases.json is stale

Every expected output comes from a peer, never from this library: the reference Python codec's
vectors (tests/vectors/reference-snappy.json), the Go encryption sample's bytes
(tests/vectors/go-sample-encryption.json), C zlib (Python's zlib module), cramjam's snappy framing
(the reference codec's engine) and AES-256-GCM from `cryptography`. Error cases are inputs
crafted here, with the status the C ABI names and a fragment the message must contain. Nonces
are fixed, so the file is reproducible.

The format (README of this folder):
  {"cases": [{"name", "codec": {options}, "op": "encode"|"decode", "input": base64,
              "expect": {"output": base64} | {"roundtrip": true} |
                        {"error": {"status": "TPC_ERR_...", "message_contains": "...",
                                   "at": "build"|"call"}}}]}
Options use the one vocabulary: compression ("none", "snappy", "snappy-raw", "zlib"),
only_if_smaller, zlib_level, max_decoded_size, max_total_decoded_size,
keys ([{"id": text, "key": hex}]), encryption_key_id. An absent option is the default.
"""

import base64
import json
import sys
import zlib
from pathlib import Path

import cramjam
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent / "vectors"
OUT = HERE / "cases.json"

KEY_OLD = bytes(range(32))
KEY_NEW = bytes(range(100, 132))
WRONG_KEY = bytes(32)


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number: int, value: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(value)) + value


def payload(metadata: dict, data: bytes) -> bytes:
    """A serialized temporal.api.common.v1.Payload: metadata entries (in the order given), data."""
    out = b"".join(field(1, field(1, k.encode()) + field(2, v)) for k, v in metadata.items())
    return out + (field(2, data) if data else b"")


def payloads(items) -> bytes:
    return b"".join(field(1, p) for p in items)


def json_payload(text: str) -> bytes:
    return payload({"encoding": b"json/plain"}, text.encode())


def zlib_payload(inner: bytes, data: bytes | None = None) -> bytes:
    return payload({"encoding": b"binary/zlib"}, zlib.compress(inner, 6) if data is None else data)


def encrypted(inner: bytes, key_id: str, key: bytes, nonce_seed: int) -> bytes:
    nonce = bytes([nonce_seed]) * 12
    sealed = nonce + AESGCM(key).encrypt(nonce, inner, None)
    return payload({"encoding": b"binary/encrypted", "encryption-key-id": key_id.encode()}, sealed)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def key(id_: str, key_bytes: bytes) -> dict:
    return {"id": id_, "key": key_bytes.hex()}


def error(status: str, contains: str, at: str = "call") -> dict:
    return {"error": {"status": status, "message_contains": contains, "at": at}}


def cases() -> list:
    out = []

    def case(name, op, input_, expect, **codec):
        out.append({"name": name, "codec": codec, "op": op, "input": b64(input_), "expect": expect})

    plain = payloads(
        [json_payload('{"order":42}'), json_payload('"hello"'), payload({"encoding": b"binary/null"}, b"")]
    )

    # The reference codec's own vectors: byte for byte both ways, and the Go sample's raw block.
    for v in json.loads((VECTORS / "reference-snappy.json").read_text())["cases"]:
        p, e = base64.b64decode(v["plain"]), base64.b64decode(v["encoded"])
        case(f"vector {v['name']}: encode", "encode", p, {"output": b64(e)})
        case(f"vector {v['name']}: decode", "decode", e, {"output": b64(p)})
        if "raw_block" in v:
            case(
                f"vector {v['name']}: decode the raw-block dialect",
                "decode",
                base64.b64decode(v["raw_block"]),
                {"output": b64(p)},
                compression="snappy-raw",
            )

    # Temporal's Go encryption sample: the empty key id, zlib inside on its codec server.
    sample = json.loads((VECTORS / "go-sample-encryption.json").read_text())
    for v in sample["cases"]:
        case(
            f"go sample {v['name']}: decode under the empty key id",
            "decode",
            base64.b64decode(v["encoded"]),
            {"output": v["plain"]},
            keys=[key("", bytes.fromhex(sample["key_hex"]))],
        )
    case(
        "empty key id: encrypts and decrypts",
        "encode",
        plain,
        {"roundtrip": True},
        keys=[key("", KEY_NEW)],
        encryption_key_id="",
    )

    # Every configuration round-trips.
    case(
        "no compression and no key: encode changes nothing", "encode", plain, {"output": b64(plain)}, compression="none"
    )
    for compression in ("none", "snappy", "snappy-raw", "zlib"):
        if compression != "none":
            case(f"round trip: {compression}", "encode", plain, {"roundtrip": True}, compression=compression)
        case(
            f"round trip: {compression} + AES-256-GCM",
            "encode",
            plain,
            {"roundtrip": True},
            compression=compression,
            keys=[key("k", KEY_NEW)],
            encryption_key_id="k",
        )

    # C zlib's stream, as the Go and Java SDKs write it, decodes; anything unknown passes.
    case(
        "C zlib payload decodes",
        "decode",
        payloads([zlib_payload(json_payload('{"z":1}'))]),
        {"output": b64(payloads([json_payload('{"z":1}')]))},
    )
    unknown = payloads([payload({"encoding": b"binary/protobuf"}, b"\x08\x01"), json_payload("1")])
    case("unknown encodings pass through", "decode", unknown, {"output": b64(unknown)})
    sealed_other = payloads([encrypted(json_payload("2"), "k", KEY_NEW, 1)])
    case("encrypted payloads pass through a codec without keys", "decode", sealed_other, {"output": b64(sealed_other)})
    tiny = payloads([json_payload("1")])
    case(
        "only_if_smaller keeps a payload compression does not shrink",
        "encode",
        tiny,
        {"output": b64(tiny)},
        compression="zlib",
        only_if_smaller=True,
    )
    case("an empty batch", "encode", b"", {"output": ""})

    # Several metadata entries, in key order (protobuf's deterministic order): a binding that
    # re-serializes payloads must keep every entry and write them as the core reads them.
    many = payload(
        {"a-first": b"1", "encoding": b"json/plain", "encoding-version": b"2", "z-last": b"\x00\xff"},
        b'{"m":1}',
    )
    case(
        "several metadata entries: encode without layers keeps them",
        "encode",
        payloads([many]),
        {"output": b64(payloads([many]))},
        compression="none",
    )
    case(
        "several metadata entries: decode returns them",
        "decode",
        payloads([payload({"encoding": b"binary/snappy"}, bytes(cramjam.snappy.compress(many)))]),
        {"output": b64(payloads([many]))},
    )
    case(
        "several metadata entries: round trip",
        "encode",
        payloads([many, many]),
        {"roundtrip": True},
        keys=[key("k", KEY_NEW)],
        encryption_key_id="k",
    )

    # Key rotation: the old key still reads old payloads, the new one encrypts.
    rotated = payloads(
        [encrypted(json_payload('"old"'), "2025", KEY_OLD, 2), encrypted(json_payload('"new"'), "2026", KEY_NEW, 3)]
    )
    rotated_plain = payloads([json_payload('"old"'), json_payload('"new"')])
    both = [key("2025", KEY_OLD), key("2026", KEY_NEW)]
    case("key rotation: old and new keys decode", "decode", rotated, {"output": b64(rotated_plain)}, keys=both)
    case(
        "key rotation: the new key encrypts", "encode", plain, {"roundtrip": True}, keys=both, encryption_key_id="2026"
    )
    case(
        "key rotation: an old payload without its key",
        "decode",
        rotated,
        error("TPC_ERR_UNKNOWN_KEY", 'payload 0: no key with id "2025"'),
        keys=[key("2026", KEY_NEW)],
    )
    case(
        "wrong key bytes under the right id",
        "decode",
        rotated,
        error("TPC_ERR_DECRYPT_FAILED", "payload 0: authentication failed"),
        keys=[key("2025", WRONG_KEY), key("2026", KEY_NEW)],
    )

    # One case per status a binding can meet.
    case("malformed: truncated Payloads", "decode", b"\x0a\x05\x12", error("TPC_ERR_MALFORMED_INPUT", ""))
    case("malformed: encode refuses it too", "encode", b"\x0a\x05\x12", error("TPC_ERR_MALFORMED_INPUT", ""))
    vector = json.loads((VECTORS / "reference-snappy.json").read_text())["cases"][0]
    bad_crc = bytearray(base64.b64decode(vector["encoded"]))
    bad_crc[-1] ^= 0x40
    case("corrupt: a framing chunk's CRC", "decode", bytes(bad_crc), error("TPC_ERR_CORRUPT_PAYLOAD", "payload 0"))
    case(
        "corrupt: a zlib stream",
        "decode",
        payloads([zlib_payload(b"", data=b"\x78\x9c\xff\xff")]),
        error("TPC_ERR_CORRUPT_PAYLOAD", "payload 0"),
    )
    big = payloads([json_payload('"' + "a" * 300 + '"')])
    case(
        "limit: one payload over max_decoded_size",
        "decode",
        payloads([zlib_payload(json_payload('"' + "a" * 300 + '"'))]),
        error("TPC_ERR_LIMIT_EXCEEDED", "payload 0"),
        max_decoded_size=100,
    )
    three = payloads([zlib_payload(json_payload('"' + "b" * 190 + '"'))] * 3)
    case(
        "limit: the batch over max_total_decoded_size",
        "decode",
        three,
        error("TPC_ERR_LIMIT_EXCEEDED", "payload 2: the decoded batch exceeds the per-call maximum of 450 bytes"),
        max_total_decoded_size=450,
    )
    case(
        "limit: within max_total_decoded_size",
        "decode",
        three,
        {"output": b64(payloads([json_payload('"' + "b" * 190 + '"')] * 3))},
        max_total_decoded_size=1000,
    )
    nested = json_payload('"deep"')
    for _ in range(9):
        nested = zlib_payload(nested)
    case("limit: more than 8 nested layers", "decode", payloads([nested]), error("TPC_ERR_LIMIT_EXCEEDED", "nested"))
    case(
        "invalid: zlib level 10",
        "encode",
        big,
        error("TPC_ERR_INVALID_ARGUMENT", "zlib level", at="build"),
        compression="zlib",
        zlib_level=10,
    )
    case(
        "invalid: a 16-byte key",
        "encode",
        big,
        error("TPC_ERR_INVALID_ARGUMENT", "32", at="build"),
        keys=[key("k", bytes(16))],
    )
    case(
        "invalid: an encryption key never added",
        "encode",
        big,
        error("TPC_ERR_INVALID_ARGUMENT", "never added", at="build"),
        encryption_key_id="missing",
    )

    # Hostile batches, small enough to hold here (the bindings' hostile tests run the large
    # ones, tests/hostile/, inside a 4 GiB address space).
    claims = payloads([payload({"encoding": b"binary/snappy"}, b"\x80\x80\x80\x20")] * 1000)
    case(
        "hostile: 1000 raw snappy blocks claiming 64 MiB each",
        "decode",
        claims,
        error("TPC_ERR_CORRUPT_PAYLOAD", "payload 0: snappy"),
    )
    stream = b"\xff\x06\x00\x00sNaPpY" + b"\x00\x07\x00\x00\x00\x00\x00\x00\x80\x80\x04" * 64
    case(
        "hostile: framed chunks claiming 64 KiB each",
        "decode",
        payloads([payload({"encoding": b"binary/snappy"}, stream)] * 20),
        error("TPC_ERR_CORRUPT_PAYLOAD", "payload 0: snappy"),
    )
    bomb = zlib_payload(b"", data=zlib.compress(b"\0" * (4 << 20), 9))
    case(
        "hostile: zlib bombs stop at max_total_decoded_size",
        "decode",
        payloads([bomb] * 3),
        error("TPC_ERR_LIMIT_EXCEEDED", "max_total_decoded_size"),
        max_total_decoded_size=2 << 20,
    )
    empties = payloads([b""] * 10000)
    case("hostile: 10^4 empty payloads pass through", "decode", empties, {"output": b64(empties)})
    return out


def main() -> None:
    text = json.dumps({"about": __doc__.split("\n\n")[1].replace("\n", " "), "cases": cases()}, indent=1) + "\n"
    if sys.argv[1:] == ["--check"]:
        if OUT.read_text() != text:
            sys.exit(f"{OUT} is stale: run .venv/bin/python tests/conformance/make_cases.py and commit it")
        return
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(json.loads(text)['cases'])} cases)")


if __name__ == "__main__":
    main()
