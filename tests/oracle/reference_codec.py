"""The reference codec, as printed in ../shared/reference/custom-payload-codec-python.md.

Kept verbatim in behaviour (only the indentation the document lost is restored and the class
renamed to say what it is): this is the oracle our default codec must match byte for byte.
The Python binding's tests and benchmark (bindings/python) compare against this same copy.
"""

from collections.abc import Iterable

import cramjam
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec


class ReferenceSnappyCodec(PayloadCodec):
    async def encode(self, payloads: Iterable[Payload]) -> list[Payload]:
        return [
            Payload(
                metadata={
                    "encoding": b"binary/snappy",
                },
                data=(bytes(cramjam.snappy.compress(p.SerializeToString()))),
            )
            for p in payloads
        ]

    async def decode(self, payloads: Iterable[Payload]) -> list[Payload]:
        ret: list[Payload] = []
        for p in payloads:
            if p.metadata.get("encoding", b"").decode() != "binary/snappy":
                ret.append(p)
                continue
            ret.append(Payload.FromString(bytes(cramjam.snappy.decompress(p.data))))
        return ret
