"""Runs the reference codec for tests/reference_python.rs.

  oracle.py cases   prints a JSON list of base64 serialized Payloads: many shapes, made by the
                    real temporalio converter (plus edge cases the converter never makes).
  oracle.py         reads {"encode": [b64 Payloads], "decode": [b64 Payloads]} on stdin and
                    prints the same keys with the reference codec's output for each, plus
                    "encoded_from": the exact payload bytes the reference compressed, and
                    with "expect": [b64 Payloads], "decode_matches": whether each decode
                    equals its expected Payloads.

Why "encoded_from": the reference re-serializes each parsed payload, and upb orders a map
(metadata with two or more entries) by a per-process random seed, so its output for such a
payload differs from run to run. Byte identity is defined against the bytes it serialized.
"""

import asyncio
import base64
import dataclasses
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from reference_codec import ReferenceSnappyCodec
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import default


@dataclasses.dataclass
class Order:
    customer: str
    items: list
    total: float


def cases() -> list:
    conv = default().payload_converter
    rng = random.Random(7)
    values = [
        None,
        True,
        0,
        -(2**53),
        3.25,
        "",
        "hello",
        "ünïcødé ✓ " * 50,
        b"",
        b"\x00\xff" * 10,
        bytes(rng.getrandbits(8) for _ in range(70_000)),  # incompressible, > one 64 KiB chunk
        b"a" * 200_000,  # compressible, several chunks
        [1, 2, 3],
        {"nested": {"list": list(range(500))}},
        Order("Ada Lovelace", ["analytical engine", "punch cards"], 12.5),
        Payload(metadata={"encoding": b"json/protobuf"}, data=b'{"x":1}'),  # a proto message
    ]
    out = [conv.to_payloads([v]) for v in values]
    out.append(conv.to_payloads(values[:8]))  # many payloads in one call
    out.append([])  # an empty Payloads
    out.append([Payload()])  # an empty payload: empty serialization
    out.append([Payload(metadata={"encoding": b"binary/custom"}, data=b"not ours")])
    odd = Payload(metadata={"k": b"v"}, data=b"x")
    odd.external_payloads.add().size_bytes = 12345  # field 3 must survive
    out.append([odd])
    return [base64.b64encode(Payloads(payloads=p).SerializeToString()).decode() for p in out]


async def run(request: dict) -> dict:
    codec = ReferenceSnappyCodec()

    def b64(payloads) -> str:
        return base64.b64encode(Payloads(payloads=payloads).SerializeToString()).decode()

    encode, encoded_from = [], []
    for item in request.get("encode", []):
        payloads = list(Payloads.FromString(base64.b64decode(item)).payloads)
        # The same message objects the codec serializes next, so the same map order.
        framed = b"".join(b"\x0a" + varint(p.ByteSize()) + p.SerializeToString() for p in payloads)
        encoded_from.append(base64.b64encode(framed).decode())
        encode.append(b64(await codec.encode(payloads)))
    decode, decode_matches = [], []
    expected = request.get("expect", [])
    for i, item in enumerate(request.get("decode", [])):
        done = b64(await codec.decode(list(Payloads.FromString(base64.b64decode(item)).payloads)))
        decode.append(done)
        if i < len(expected):
            # Equal as messages (map order aside, unknown fields included) and in size.
            mine, theirs = base64.b64decode(done), base64.b64decode(expected[i])
            same = Payloads.FromString(mine) == Payloads.FromString(theirs) and len(mine) == len(theirs)
            decode_matches.append(same)
    return {"encode": encode, "encoded_from": encoded_from, "decode": decode, "decode_matches": decode_matches}


def varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def main() -> None:
    if sys.argv[1:] == ["cases"]:
        json.dump(cases(), sys.stdout)
    elif not sys.argv[1:]:
        json.dump(asyncio.run(run(json.load(sys.stdin))), sys.stdout)
    else:
        sys.exit("usage: oracle.py [cases]")


if __name__ == "__main__":
    main()
