"""The oracle: the codec printed in Temporal's documentation ("How to use a custom Payload
Codec in Python", ../shared/reference/custom-payload-codec-python.md), as printed.

Only the layout is repaired (the document's class body lost its indentation), and the class
carries the document's name. Keep the logic exactly as printed: the tests compare against it.
"""

from collections.abc import Iterable
from typing import List  # noqa: UP035 - as printed

import cramjam
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec


class EncryptionCodec(PayloadCodec):
    async def encode(self, payloads: Iterable[Payload]) -> List[Payload]:  # noqa: UP006
        return [
            Payload(
                metadata={
                    "encoding": b"binary/snappy",
                },
                data=(bytes(cramjam.snappy.compress(p.SerializeToString()))),
            )
            for p in payloads
        ]

    async def decode(self, payloads: Iterable[Payload]) -> List[Payload]:  # noqa: UP006
        ret: List[Payload] = []  # noqa: UP006
        for p in payloads:
            if p.metadata.get("encoding", b"").decode() != "binary/snappy":
                ret.append(p)
                continue
            ret.append(Payload.FromString(bytes(cramjam.snappy.decompress(p.data))))
        return ret


ReferenceCodec = EncryptionCodec
