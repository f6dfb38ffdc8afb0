#!/usr/bin/env python3
"""Writes the hostile batches every binding and the codec server must survive.

    python3 tests/hostile/make_hostile.py OUTDIR

Each batch is a serialized temporal.api.common.v1.Payloads in OUTDIR/<name>.bin, and
OUTDIR/manifest.json lists them with the status a decode with the default limits must give
(the C status name), and a fragment its message must contain. Made here rather than committed:
the framed and zlib batches are megabytes of regular bytes that take well under a second to
build, and one generator keeps every language testing the very same inputs.

Only the standard library: it runs under any python3, inside or outside the project's venv.
"""

import json
import sys
import zlib
from pathlib import Path

MIB = 1 << 20
# The core's defaults (core/src/chain/mod.rs): per payload and layer, and per call.
MAX_DECODED_SIZE = 64 * MIB
MAX_TOTAL_DECODED_SIZE = 256 * MIB


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


def field(number: int, data: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return varint(number << 3 | 2) + varint(len(data)) + data


def payload(encoding: bytes, data: bytes) -> bytes:
    """A serialized Payload with metadata {"encoding": encoding} and data."""
    entry = field(1, b"encoding") + field(2, encoding)
    return field(1, entry) + field(2, data)


def payloads(items) -> bytes:
    return b"".join(field(1, p) for p in items)


def snappy_framed(chunks) -> bytes:
    """A snappy framing-format stream made of the given compressed chunk blocks (CRC zero:
    the claim is refused before any CRC is checked)."""
    out = bytearray(b"\xff\x06\x00\x00sNaPpY")
    for block in chunks:
        body = b"\x00\x00\x00\x00" + block
        out += b"\x00" + len(body).to_bytes(3, "little") + body
    return bytes(out)


def batches():
    """(name, Payloads bytes, expected status, message fragment, what it is)."""
    # A raw snappy block whose header claims exactly the per-payload maximum, and nothing else.
    claim = varint(MAX_DECODED_SIZE)
    yield (
        "claims",
        payloads(payload(b"binary/snappy", claim) for _ in range(1000)),
        "TPC_ERR_CORRUPT_PAYLOAD",
        "payload 0:",
        "1000 raw snappy blocks of 4 bytes, each claiming 64 MiB (62.5 GiB in all)",
    )
    # Framed streams of 1024 compressed chunks, each only a block header claiming 64 KiB.
    framed = snappy_framed([varint(65536)] * 1024)
    yield (
        "framed-claims",
        payloads(payload(b"binary/snappy", framed) for _ in range(300)),
        "TPC_ERR_CORRUPT_PAYLOAD",
        "payload 0:",
        "300 framed snappy streams of 1024 chunks, each chunk claiming 64 KiB (18.75 GiB in all)",
    )
    # Honest zlib: each payload inflates to 48 MiB, under the per-payload maximum; 64 of them
    # are 3 GiB, so the per-call maximum stops the call at the sixth (5 x 48 < 256 < 6 x 48).
    inner = payload(b"binary/plain", bytes(48 * MIB - 64))
    bomb = zlib.compress(inner, 9)
    crossing = MAX_TOTAL_DECODED_SIZE // len(inner)
    yield (
        "zlib-3gib",
        payloads(payload(b"binary/zlib", bomb) for _ in range(64)),
        "TPC_ERR_LIMIT_EXCEEDED",
        f"payload {crossing}:",
        "64 zlib payloads that each inflate to 48 MiB (3 GiB in all)",
    )


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: make_hostile.py OUTDIR")
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for name, data, status, fragment, what in batches():
        (out / f"{name}.bin").write_bytes(data)
        manifest.append(
            {"name": name, "file": f"{name}.bin", "status": status, "message_contains": fragment, "what": what}
        )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
