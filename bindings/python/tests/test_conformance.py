"""The conformance suite (tests/conformance/cases.json, the same file every binding runs; see
tests/conformance/README.md), through each public path of this binding.

Every case runs through every path:

- ``bytes``: ``encode_bytes``/``decode_bytes``, serialized Payloads in and out
  (``tpc_codec_encode``/``tpc_codec_decode``, the library's buffer);
- ``payloads``: the ``PayloadCodec`` API (``await codec.encode``/``decode``) on ``Payload``
  messages, with the thresholds as shipped: framing with ``b"".join``, ``tpc_codec_encode``,
  decode into the thread's kept buffer, results parsed as one ``Payloads``;
- ``payloads-large``: the same API with every large-batch path forced (thresholds set to 0 by
  the test): framing into the thread's kept buffer, results parsed payload by payload by the
  binding's own varint walk, and decode starting from an empty buffer, so that it goes
  through the ``TPC_ERR_BUFFER_TOO_SMALL`` retry;
- ``payloads-gather``: the same API with scatter-gather forced for every encode
  (``tpc_codec_encode_gather``, a pointer to each ``SerializeToString()``).

A spy on the library's functions checks that each path really made the calls it names.

The ``payloads*`` paths compare messages, not bytes: protobuf leaves the order of map entries
open, and this protobuf re-serializes some of the cases' metadata in another order than the
case's bytes, so a payload is compared by its deterministic serialization (every field,
unknown ones included, map entries sorted). The ``bytes`` path compares exact bytes.

Not expressible through the ``payloads*`` paths: the cases whose input is not a valid
serialized Payloads (``malformed: ...``). A ``PayloadCodec`` only ever receives ``Payload``
messages, which the binding serializes itself, so it cannot be handed malformed bytes; for
those cases the test asserts that protobuf refuses to parse the input (and that the case
expects ``TPC_ERR_MALFORMED_INPUT``) instead of running it. The ``bytes`` path runs them.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload, Payloads

import temporal_payload_codec as tpc
from conftest import REPO
from temporal_payload_codec import _codec, _native

CASES_FILE = REPO / "tests" / "conformance" / "cases.json"
MIN_CASES = 40

# The exception each C status name must raise (its class carries the status code).
EXCEPTIONS: dict[str, type[tpc.TpcError]] = {
    cls.status_name_default: cls
    for cls in (
        tpc.NullArgumentError,
        tpc.InvalidArgumentError,
        tpc.MalformedInputError,
        tpc.CorruptPayloadError,
        tpc.LimitExceededError,
        tpc.UnknownKeyError,
        tpc.DecryptFailedError,
        tpc.BufferTooSmallError,
        tpc.InternalError,
    )
}


def load_cases() -> list[dict[str, Any]]:
    """The suite; a missing or short file fails the collection of this module, loudly."""
    if not CASES_FILE.is_file():
        raise FileNotFoundError(f"the conformance suite is missing at {CASES_FILE}")
    cases: list[dict[str, Any]] = json.loads(CASES_FILE.read_text())["cases"]
    if len(cases) < MIN_CASES:
        raise AssertionError(f"{CASES_FILE} holds {len(cases)} cases, fewer than {MIN_CASES}")
    names = [case["name"] for case in cases]
    assert len(set(names)) == len(names), "case names are not unique"
    return cases


CASES = load_cases()
OPTIONS = {
    "compression",
    "only_if_smaller",
    "zlib_level",
    "max_decoded_size",
    "max_total_decoded_size",
    "keys",
    "encryption_key_id",
}


def codec_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    """The case's options in the one vocabulary, as Codec's keyword arguments (same names)."""
    unknown = set(options) - OPTIONS
    assert not unknown, f"options this test does not know: {unknown}"
    kwargs = {name: value for name, value in options.items() if name != "keys"}
    if "keys" in options:
        ids = [k["id"] for k in options["keys"]]
        # Codec takes a mapping: a case adding one id twice could not be said through it.
        assert len(set(ids)) == len(ids), f"a key id given twice cannot be expressed as a mapping: {ids}"
        kwargs["keys"] = {k["id"]: bytes.fromhex(k["key"]) for k in options["keys"]}
    return kwargs


@dataclass
class Spy:
    """Wraps the library's call functions, recording which of them each path made."""

    calls: list[tuple[str, Any]] = field(default_factory=list)

    def wrap(self, name: str, fn: Any) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            status = fn(*args)
            # For tpc_codec_decode_into: the capacity offered and the status.
            self.calls.append((name, (args[4], status) if name == "tpc_codec_decode_into" else status))
            return status

        return call

    def names(self) -> set[str]:
        return {name for name, _ in self.calls}


CALLS = ("tpc_codec_encode", "tpc_codec_decode", "tpc_codec_decode_into", "tpc_codec_encode_gather")


@dataclass(frozen=True)
class CodecPath:
    name: str
    objects: bool  # the PayloadCodec API on Payload messages, or serialized bytes
    thresholds: dict[str, int]  # _codec's module thresholds this path sets
    fresh_buffers: bool  # each call starts with no kept buffer (the decode retry path)
    encode_call: str  # the library function encode must go through


PATHS = [
    CodecPath("bytes", False, {}, False, "tpc_codec_encode"),
    CodecPath("payloads", True, {}, False, "tpc_codec_encode"),
    CodecPath(
        "payloads-large",
        True,
        # framed into the kept buffer; parsed payload by payload; decode from an empty buffer;
        # never scatter-gather
        {"_REUSE_FROM": 0, "_SPLIT_FROM": 0, "_OUT_INITIAL": 0, "_SCATTER_FROM": 1 << 62},
        True,
        "tpc_codec_encode",
    ),
    CodecPath("payloads-gather", True, {"_SCATTER_FROM": 0, "_SCATTER_AVERAGE": 0}, False, "tpc_codec_encode_gather"),
]


def canonical(payloads: list[Payload]) -> list[bytes]:
    return [p.SerializeToString(deterministic=True) for p in payloads]


def parse(data: bytes) -> list[Payload]:
    return list(Payloads.FromString(data).payloads)


class Runner:
    """Calls one codec through one path; values are bytes (bytes path) or Payload lists."""

    def __init__(self, path: CodecPath, codec: tpc.Codec, monkeypatch: pytest.MonkeyPatch) -> None:
        self.path, self.codec, self.monkeypatch = path, codec, monkeypatch

    @contextmanager
    def _buffers(self) -> Iterator[None]:
        if self.path.fresh_buffers:
            # A fresh per-thread state: no kept framing buffer, no kept decode buffer.
            self.monkeypatch.setattr(_codec, "_local", threading.local())
        yield

    async def call(self, op: str, value: Any) -> Any:
        with self._buffers():
            if not self.path.objects:
                return self.codec.encode_bytes(value) if op == "encode" else self.codec.decode_bytes(value)
            return await (self.codec.encode(value) if op == "encode" else self.codec.decode(value))

    def same(self, a: Any, b: Any) -> bool:
        return bool(a == b) if not self.path.objects else canonical(a) == canonical(b)


def check_error(case: dict[str, Any], stage: str, e: tpc.TpcError) -> None:
    want = case["expect"]["error"]
    name = case["name"]
    assert stage == want["at"], f"{name}: failed at {stage}, expected at {want['at']}: {e!r}"
    assert e.status_name == want["status"], f"{name}: {e!r}"
    expected = EXCEPTIONS[want["status"]]
    assert type(e) is expected and e.status == expected.status_code, f"{name}: {e!r}"
    assert want["message_contains"] in e.message, f"{name}: {e.message!r} lacks {want['message_contains']!r}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
async def test_conformance(path: CodecPath, case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    name, op, expect = case["name"], case["op"], case["expect"]
    assert op in ("encode", "decode"), f"{name}: unknown op {op}"
    assert len(expect) == 1 and next(iter(expect)) in ("output", "roundtrip", "error"), f"{name}: {expect}"
    data = base64.b64decode(case["input"])

    value: Any = data
    if path.objects:
        try:
            value = parse(data)
        except DecodeError:
            # Not expressible through the PayloadCodec API (see the module docstring): the
            # SDK's own parser already refuses these bytes.
            assert expect.get("error", {}).get("status") == "TPC_ERR_MALFORMED_INPUT", (
                f"{name}: the input does not parse as Payloads, yet the case does not expect MALFORMED_INPUT"
            )
            return

    for setting, threshold in path.thresholds.items():
        monkeypatch.setattr(_codec, setting, threshold)  # raises if the binding renamed it
    spy = Spy()
    for fn in CALLS:
        monkeypatch.setattr(_native.lib, fn, spy.wrap(fn, getattr(_native.lib, fn)))

    try:
        codec = tpc.Codec(**codec_kwargs(case["codec"]))
    except tpc.TpcError as e:
        assert "error" in expect, f"{name}: building the codec failed: {e!r}"
        check_error(case, "build", e)
        return

    with codec:
        runner = Runner(path, codec, monkeypatch)
        try:
            output = await runner.call(op, value)
        except tpc.TpcError as e:
            assert "error" in expect, f"{name}: {op} failed: {e!r}"
            check_error(case, "call", e)
            output = None
        else:
            assert "error" not in expect, f"{name}: succeeded, expected {expect['error']}"
            if "output" in expect:
                want = base64.b64decode(expect["output"])
                assert runner.same(output, parse(want) if path.objects else want), f"{name}: not the expected output"
            else:
                assert expect["roundtrip"] is True, f"{name}: unknown expectation {expect}"
                assert not runner.same(output, value) or not data, f"{name}: encode changed nothing"
                back = await runner.call("decode", output)
                assert runner.same(back, value), f"{name}: decode(encode(x)) != x"

    # The path made the calls it is meant to make.
    made = spy.names()
    decode_call = "tpc_codec_decode_into" if path.objects else "tpc_codec_decode"
    expected_calls = {path.encode_call if op == "encode" else decode_call}
    if "roundtrip" in expect:
        expected_calls.add(decode_call)
    assert made == expected_calls, f"{name}: {path.name} called {made}, expected {expected_calls}"
    if path.fresh_buffers and op == "decode" and output:
        # Started from an empty buffer: the first call asked for the size, the last succeeded.
        into = [args for fn, args in spy.calls if fn == "tpc_codec_decode_into"]
        assert into[0] == (0, tpc.BufferTooSmallError.status_code) and into[-1][1] == 0, f"{name}: {into}"


def test_what_the_payload_api_cannot_express() -> None:
    """Exactly the two malformed-bytes cases stay out of the PayloadCodec paths: a new case
    that cannot be said through Payload messages shows up here, not as a quiet return."""
    assert len(CASES) >= MIN_CASES
    assert [p.name for p in PATHS] == ["bytes", "payloads", "payloads-large", "payloads-gather"]
    not_objects = []
    for case in CASES:
        try:
            parse(base64.b64decode(case["input"]))
        except DecodeError:
            not_objects.append(case["name"])
    # The only cases the PayloadCodec API cannot express: bytes that are not a Payloads.
    assert not_objects == ["malformed: truncated Payloads", "malformed: encode refuses it too"], not_objects
