"""The x86-64 wheel as a Python user meets it (scripts/test-dist-c.sh runs this on Debian 11,
glibc 2.31, in a venv where only the wheel and its dependencies from PyPI are installed).

    python roundtrip.py VERSION

Checks the library the package loaded (its own bundled copy, version VERSION), the reference
codec's bytes for one payload, and a round trip of temporalio payloads through the default codec
and through zlib + AES-256-GCM. Exits non-zero on any difference.
"""

import asyncio
import base64
import os
import sys

import temporalio.converter
from temporal_payload_codec import Codec, library_path, version

# The reference codec's output for one json/plain payload {"hello":"world"}
# (tests/vectors/reference-snappy.json, case "json-object"), as a serialized Payloads.
PLAIN = "CisKFgoIZW5jb2RpbmcSCmpzb24vcGxhaW4SEXsiaGVsbG8iOiJ3b3JsZCJ9"
ENCODED = (
    "CloKGQoIZW5jb2RpbmcSDWJpbmFyeS9zbmFwcHkSPf8GAABzTmFQcFkBLwAAnE2m7goWCghlbmNvZGluZxIKanNvbi9wbGFpbhIReyJoZWxsbyI6"
    "IndvcmxkIn0="
)


def main() -> None:
    expected_version = sys.argv[1]
    assert version() == expected_version, f"library version {version()}, expected {expected_version}"
    path = library_path()
    assert "site-packages" in path and os.path.isfile(path), f"the package loaded {path}, not its bundled copy"
    assert "TPC_LIBRARY_PATH" not in os.environ
    print(f"ok   version {version()}, library {path}")

    from temporalio.api.common.v1 import Payloads

    plain = Payloads.FromString(base64.b64decode(PLAIN))
    encoded = Payloads.FromString(base64.b64decode(ENCODED))
    codec = Codec()
    assert asyncio.run(codec.encode(plain.payloads)) == list(encoded.payloads), "encode differs from the reference"
    assert asyncio.run(codec.decode(encoded.payloads)) == list(plain.payloads), "decode differs from the reference"
    print("ok   the reference codec's bytes, both ways")

    converter = temporalio.converter.default().payload_converter
    payloads = converter.to_payloads([{"hello": "world"}, "x" * 10_000, None, b"\x00\x01" * 300])
    for name, codec in [
        ("default (snappy)", Codec()),
        (
            "zlib + AES-256-GCM",
            Codec(compression="zlib", keys={"2026-11": bytes(range(32))}, encryption_key_id="2026-11"),
        ),
    ]:
        out = asyncio.run(codec.encode(payloads))
        assert out != payloads, f"{name}: encode changed nothing"
        back = asyncio.run(codec.decode(out))
        assert back == payloads, f"{name}: the round trip differs"
        assert converter.from_payloads(back) == [{"hello": "world"}, "x" * 10_000, None, b"\x00\x01" * 300]
        print(f"ok   {name} round trip of {len(payloads)} payloads")
    print("roundtrip.py: all checks passed")


if __name__ == "__main__":
    main()
