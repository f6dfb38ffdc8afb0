#!/usr/bin/env python3
"""Writes a serialized temporal.api.common.v1.Payloads as the proto3 JSON the codec server reads:

    python3 codec-server/tests/proto_to_json.py IN.bin OUT.json

For the hostile batches of tests/hostile/make_hostile.py, which are protobuf, so that test.sh
can send them to /decode as a Temporal client would. Reads metadata and data only (the fields
those batches use) and fails on anything else rather than dropping it. Standard library only.
"""

import base64
import json
import sys


def fields(buf: bytes):
    """Yields (field number, bytes) of a message made of length-delimited fields only."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        if key & 7 != 2:
            sys.exit(f"field {key >> 3} has wire type {key & 7}; only length-delimited fields are expected")
        n, i = varint(buf, i)
        if i + n > len(buf):
            sys.exit(f"field {key >> 3} runs past the end")
        yield key >> 3, buf[i : i + n]
        i += n


def varint(buf: bytes, i: int):
    shift = value = 0
    while True:
        if i >= len(buf):
            sys.exit("the input ends inside a varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def payload_json(msg: bytes) -> dict:
    out = {}
    for number, value in fields(msg):
        if number == 1:
            entry = dict(fields(value))
            out.setdefault("metadata", {})[entry[1].decode()] = base64.b64encode(entry.get(2, b"")).decode()
        elif number == 2:
            out["data"] = base64.b64encode(value).decode()
        else:
            sys.exit(f"Payload field {number} is not handled here")
    return out


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: proto_to_json.py IN.bin OUT.json")
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    payloads = []
    for number, value in fields(data):
        if number != 1:
            sys.exit(f"Payloads field {number} is not handled here")
        payloads.append(payload_json(value))
    with open(sys.argv[2], "w") as f:
        json.dump({"payloads": payloads}, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
