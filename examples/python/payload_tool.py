"""The payload tool of the cross-language decode matrix, in Python.

    python payload_tool.py encode|decode FILE|-

Reads a serialized temporal.api.common.v1.Payloads from FILE (or stdin for "-") and writes the
serialized encoded or decoded Payloads to stdout. The codec comes from the environment (see
tpc_env.py: TPC_COMPRESSION, TPC_KEY_HEX, TPC_KEY_ID). Exit status: 0 on success, 2 for usage
errors, 3 for codec errors, with one stderr line such as
"UnknownKeyError: TPC_ERR_UNKNOWN_KEY (6): payload 0: ...".
"""

from __future__ import annotations

import sys
from pathlib import Path

from temporal_payload_codec import TpcError
from tpc_env import UsageError, codec_from_env

USAGE = "usage: payload_tool.py encode|decode FILE|-"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("encode", "decode"):
        print(USAGE, file=sys.stderr)
        return 2
    mode, path = argv
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as e:
        print(f"cannot read {path}: {e.strerror}", file=sys.stderr)
        return 2
    try:
        with codec_from_env() as codec:
            out = codec.encode_bytes(data) if mode == "encode" else codec.decode_bytes(data)
    except UsageError as e:
        print(e, file=sys.stderr)
        return 2
    except TpcError as e:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 3
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
