"""The codec the examples build from the environment (the demo and payload-tool contracts).

TPC_COMPRESSION = none | snappy (default) | snappy-raw | zlib (the payload tool only);
TPC_KEY_HEX = 64 hex digits: the codec holds that 32-byte key under TPC_KEY_ID (default
"demo-key") and encrypts with it (AES-256-GCM after compression).
"""

from __future__ import annotations

import os

from temporal_payload_codec import Codec


class UsageError(Exception):
    """The environment is wrong in a way the user must fix (not a codec failure)."""


def codec_from_env(*, compression: bool = True) -> Codec:
    key_hex = os.environ.get("TPC_KEY_HEX", "")
    kwargs: dict[str, object] = {}
    if compression:
        kwargs["compression"] = os.environ.get("TPC_COMPRESSION") or "snappy"
    if key_hex:
        try:
            key = bytes.fromhex(key_hex)
        except ValueError:
            raise UsageError("TPC_KEY_HEX must be hexadecimal") from None
        if len(key) != 32:
            raise UsageError("TPC_KEY_HEX must be 64 hex digits (a 32-byte AES-256 key)")
        key_id = os.environ.get("TPC_KEY_ID") or "demo-key"
        kwargs["keys"] = {key_id: key}
        kwargs["encryption_key_id"] = key_id
    return Codec(**kwargs)  # type: ignore[arg-type]
