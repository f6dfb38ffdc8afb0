#!/usr/bin/env python3
"""Writes structure-aware fuzz seeds: batches whose length claims and decoded sizes sit at,
just under and just over the limits the fuzz codecs are built with.

    .venv/bin/python fuzz/seeds.py OUTDIR MAX_LEN

Each file is a fuzz input: one selector byte (fuzz/src/lib.rs: the low nibble picks the codec,
the high nibble each target's own mode), then a serialized Payloads. The limits are read from
fuzz/src/lib.rs, so seeds follow them when they change. Random mutation rarely builds a valid
snappy block of exactly the per-payload limit, or four of them in one batch; starting from
these, the fuzzer spends its time around the boundaries instead of finding them.

Made at run time (scripts/fuzz.sh) rather than committed: a few megabytes of regular bytes,
built in about a second. Needs the project's venv (scripts/setup.sh): cramjam writes the
honest snappy (the reference codec's own engine) and cryptography the encrypted layers.
"""

import re
import sys
import zlib
from pathlib import Path

import cramjam
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "hostile"))
from make_hostile import field, payload, payloads, snappy_framed, varint  # noqa: E402


def limit(name: str) -> int:
    """A `pub const NAME: usize = A << B;` (or a plain number) of fuzz/src/lib.rs."""
    text = (ROOT / "fuzz" / "src" / "lib.rs").read_text()
    m = re.search(rf"pub const {name}: usize = (\d+)(?: << (\d+))?;", text)
    if not m:
        sys.exit(f"seeds.py: {name} not found in fuzz/src/lib.rs")
    return int(m.group(1)) << int(m.group(2) or 0)


M = limit("MAX_DECODED_SIZE")  # per payload and layer
T = limit("MAX_TOTAL_DECODED_SIZE")  # per call, every layer counted
KEY = bytes([7] * 32)  # fuzz/src/lib.rs: the key every keyed fuzz codec holds
KEY_ID = b"fuzz-key"
PLANNED = 1024  # core/src/chain/decode.rs PLANNED_PAYLOADS: the plan keeps this many, walks again past it


def payload_md(metadata, data: bytes) -> bytes:
    """A serialized Payload with the given metadata entries, in order, and data."""
    entries = b"".join(field(1, field(1, k) + field(2, v)) for k, v in metadata)
    return entries + (field(2, data) if data else b"")


def plain(size: int) -> bytes:
    """A binary/plain Payload whose serialization is exactly `size` bytes (at least 2): the
    decoded size of any layer wrapped around it."""
    if size < 2:
        raise ValueError(size)
    head = payload(b"binary/plain", b"")
    for k in range(max(size - len(head) - 12, 0), size):
        p = payload(b"binary/plain", bytes(k)) if k else head
        if len(p) == size:
            return p
    # Smaller than the metadata, or a size the data field's varint steps over: data alone.
    for k in range(max(size - 12, 0), size):
        p = b"\x12" + varint(k) + bytes(k)
        if len(p) == size:
            return p
    raise ValueError(size)


def snappy(inner: bytes) -> bytes:
    return payload(b"binary/snappy", bytes(cramjam.snappy.compress(inner)))


def snappy_raw(inner: bytes) -> bytes:
    return payload(b"binary/snappy", bytes(cramjam.snappy.compress_raw(inner)))


def snappy_literal(inner: bytes) -> bytes:
    """A raw snappy block of one literal: as large as its content, however compressible, so
    the next layer out (zlib) can shrink it and a small input holds a large inner layer."""
    block = varint(len(inner)) + b"\xf8" + (len(inner) - 1).to_bytes(3, "little") + inner
    return payload(b"binary/snappy", block)


def zlib_(inner: bytes) -> bytes:
    return payload(b"binary/zlib", zlib.compress(inner, 9))


def encrypted(inner: bytes, key_id: bytes = KEY_ID, cipher: bytes | None = None) -> bytes:
    nonce = bytes(range(12))
    sealed = nonce + AESGCM(KEY).encrypt(nonce, inner, None)
    metadata = [(b"encoding", b"binary/encrypted"), (b"encryption-key-id", key_id)]
    if cipher is not None:
        metadata.append((b"encryption-cipher", cipher))
    return payload_md(metadata, sealed)


def raw_claim(claim: int, length: int = 0) -> bytes:
    """A raw snappy block that is a header claiming `claim` bytes, padded with zero bytes
    (one-byte literals) to `length` bytes: a lie unless the block could hold that much."""
    block = varint(claim)
    return block + bytes(max(length - len(block), 0))


def edge(n: int) -> int:
    """The most a raw snappy block of n bytes can decode to (core/src/codec/snappy.rs)."""
    return n * 64 // 3


def seeds():
    """(name, Payloads bytes, kind): "keyed" seeds are only useful to a codec holding the key;
    "many" ones (thousands of payloads) stay off zlib and encrypting codecs, whose per-payload cost
    (a deflate reset, a cipher) is 50-100 us under ASan: such seeds would take a CI run's budget."""
    sizes = {"under": M - 1, "at": M, "over": M + 1}

    # Lies: headers that claim what the bytes cannot hold, or more than the limits allow.
    for claim in (M - 1, M, M + 1, 64 << 20):
        yield f"raw-claim-{claim}", payloads([payload(b"binary/snappy", varint(claim))]), None
    yield "raw-claims-1000", payloads([payload(b"binary/snappy", varint(M))] * 1000), "many"
    yield "raw-claims-64mib-1000", payloads([payload(b"binary/snappy", varint(64 << 20))] * 1000), "many"
    # Claims right at what a block of n bytes can hold, and one past it.
    n = (3 * M) // 64 + 1
    for name, claim in (("at", edge(n)), ("past", edge(n) + 1)):
        one = payload(b"binary/snappy", raw_claim(claim, n))
        yield f"raw-edge-{name}", payloads([one]), None
        yield f"raw-edge-{name}-x5", payloads([one] * 5), None
    chunks = M // 65536
    for name, count in (("at", chunks), ("over", chunks + 1), ("hostile", 1024)):
        stream = snappy_framed([varint(65536)] * count)
        yield f"framed-claims-{name}", payloads([payload(b"binary/snappy", stream)]), None
    stream = snappy_framed([varint(65536)] * chunks)
    yield "framed-claims-x5", payloads([payload(b"binary/snappy", stream)] * 5), None
    yield "framed-claims-x64", payloads([payload(b"binary/snappy", stream)] * 64), None
    yield "framed-chunk-65537", payloads([payload(b"binary/snappy", snappy_framed([varint(65537)]))]), None

    # Honest payloads decoding to just under, at and just over the per-payload limit.
    for name, size in sizes.items():
        inner = plain(size)
        yield f"snappy-{name}", payloads([snappy(inner)]), None
        yield f"snappy-raw-{name}", payloads([snappy_raw(inner)]), None
        yield f"zlib-{name}", payloads([zlib_(inner)]), None
    # Batches whose decoded total is one under, at and one over the per-call limit.
    k = T // M
    totals = {
        "under": [M] * (k - 1) + [M - 1],
        "at": [M] * k,
        "over": [M] * (k - 1) + [M - 1, 2],
    }
    for name, parts in totals.items():
        for wrap in (snappy, snappy_raw, zlib_):
            yield f"total-{wrap.__name__}-{name}", payloads([wrap(plain(s)) for s in parts]), None
    # Streams at the limit leave their inflate room a few bytes short of the next header: the
    # output must grow by what that needs, not double (a finding of this fuzzer).
    yield "zlib-at-x3-then-small", payloads([zlib_(plain(M))] * 3 + [zlib_(plain(1000))]), None
    mixed = [snappy(plain(M)), zlib_(plain(M)), payload(b"binary/plain", bytes(1000)), snappy_raw(plain(M))]
    yield "total-mixed-over", payloads([*mixed, zlib_(plain(M))]), None

    # Nested layers: each is charged, and the core holds one copy of an inner layer.
    inner = plain(M)
    yield "nested-zlib-snappy", payloads([zlib_(snappy(inner))]), None
    yield "nested-snappy-zlib", payloads([snappy(zlib_(inner))]), None
    # A large inner layer in a small input: zlib around an uncompressed snappy block.
    big = zlib_(snappy_literal(plain(M - 64)))
    yield "nested-large-inner", payloads([big]), None
    yield "nested-large-inner-x3", payloads([big] * 3), None
    for depth in (7, 8, 9):  # core/src/chain/mod.rs MAX_LAYERS = 8
        p = plain(1000)
        for i in range(depth):
            p = (zlib_, snappy, snappy_raw)[i % 3](p)
        yield f"nested-depth-{depth}", payloads([p]), None
    p = zlib_(plain(M))
    for _ in range(2):
        p = encrypted(zlib_(encrypted(p)))
    yield "nested-encrypted-zlib", payloads([p]), "keyed"
    yield "encrypted-snappy-at", payloads([encrypted(snappy(plain(M)))]), "keyed"
    yield "encrypted-zlib-over", payloads([encrypted(zlib_(plain(M + 1)))]), "keyed"
    yield "encrypted-total-over", payloads([encrypted(zlib_(plain(M)))] * (k + 1)), "keyed"
    yield "encrypted-unknown-key", payloads([encrypted(plain(100), key_id=b"other")]), "keyed"
    yield "encrypted-cipher", payloads([encrypted(plain(100), cipher=b"AES/GCM/NoPadding")]), "keyed"

    # Many payloads: around the plan's size, and a batch that crosses the limit past it.
    for count in (PLANNED - 1, PLANNED, PLANNED + 1, 5_000):
        yield f"empties-{count}", b"\x0a\x00" * count, "many"
    yield "empty-snappy-2000", payloads([payload(b"binary/snappy", b"")] * 2000), "many"
    yield "empty-zlib-2000", payloads([payload(b"binary/zlib", b"")] * 2000), "many"
    late = [b""] * PLANNED + [snappy(plain(M))] * (k + 1)
    yield "late-total-over", payloads(late), "many"
    late = [b""] * PLANNED + [zlib_(plain(M))] * (k + 1)
    yield "late-zlib-total-over", payloads(late), "many"
    late = [b""] * PLANNED + [payload(b"binary/snappy", varint(M))] * 1000
    yield "late-claims", payloads(late), "many"


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: seeds.py OUTDIR MAX_LEN")
    out, max_len = Path(sys.argv[1]), int(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    count = total = 0
    # Each seed twice: two codecs (encode differs by compression; decode peels all, and only a
    # keyed codec decrypts), and a high nibble that varies from seed to seed.
    configs_of = {None: lambda i: (0x01 + i % 3, 0x0B), "keyed": lambda i: (0x09, 0x0F), "many": lambda i: (0x01, 0x02)}
    for i, (name, batch, kind) in enumerate(seeds()):
        configs = configs_of[kind](i)
        for j, config in enumerate(configs):
            data = bytes([config | ((i + j * 3) % 8) << 4]) + batch
            if len(data) > max_len:
                sys.exit(f"seeds.py: seed {name} is {len(data)} bytes, over -max_len {max_len}")
            (out / f"seed-{name}-{config:02x}").write_bytes(data)
            count += 1
            total += len(data)
    print(f"{count} seeds, {total} bytes, limits {M} per payload and {T} per call")


if __name__ == "__main__":
    main()
