"""The process lives: hostile batches give their error, then the codec goes on working.

Before the library bounded decoding, the claims batches made decode_bytes() abort the
interpreter (the library reserved 62.5 GiB) and decode() raise MemoryError (it sized its buffer
from the 62.5 GiB the library's size query reported), and the zlib batch decoded 3 GiB.
test.sh runs this module under a 4 GiB address-space limit (``ulimit -v``) and says so in
TPC_WANT_ADDRESS_SPACE_LIMIT.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from temporalio.api.common.v1 import Payload, Payloads

import temporal_payload_codec as tpc
from conftest import REPO, sample_payloads

# The exception each C status name of the manifest must raise.
EXCEPTIONS: dict[str, type[tpc.TpcError]] = {
    "TPC_ERR_NULL_ARGUMENT": tpc.NullArgumentError,
    "TPC_ERR_INVALID_ARGUMENT": tpc.InvalidArgumentError,
    "TPC_ERR_MALFORMED_INPUT": tpc.MalformedInputError,
    "TPC_ERR_CORRUPT_PAYLOAD": tpc.CorruptPayloadError,
    "TPC_ERR_LIMIT_EXCEEDED": tpc.LimitExceededError,
    "TPC_ERR_UNKNOWN_KEY": tpc.UnknownKeyError,
    "TPC_ERR_DECRYPT_FAILED": tpc.DecryptFailedError,
    "TPC_ERR_INTERNAL": tpc.InternalError,
}

KEY = bytes(range(32))


@dataclass(frozen=True)
class Batch:
    name: str
    data: bytes
    status: str
    fragment: str


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> list[Batch]:
    out = tmp_path_factory.mktemp("hostile")
    # The one generator every language's tests use, so all decode the very same bytes.
    subprocess.run([sys.executable, str(REPO / "tests" / "hostile" / "make_hostile.py"), str(out)], check=True)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest, "the manifest lists no batches"
    return [
        Batch(entry["name"], (out / entry["file"]).read_bytes(), entry["status"], entry["message_contains"])
        for entry in manifest
    ]


CODECS: list[tuple[str, Callable[[], tpc.Codec]]] = [
    ("default", tpc.Codec),
    # A key makes the encrypted layer live; zlib makes what it encodes with differ too.
    ("zlib+aes", lambda: tpc.Codec(compression="zlib", keys={"k": KEY}, encryption_key_id="k")),
]


def test_address_space_limit() -> None:
    """Fails when test.sh promised a limit the process does not have: the other tests only
    prove the process survives within that budget when the budget is really there."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    want = os.environ.get("TPC_WANT_ADDRESS_SPACE_LIMIT")
    if want is not None:
        assert soft != resource.RLIM_INFINITY and soft <= int(want), f"RLIMIT_AS is {soft}, want at most {want}"


@pytest.mark.parametrize(("codec_name", "make"), CODECS, ids=[name for name, _ in CODECS])
async def test_hostile_batches_raise_and_the_process_lives(
    batches: list[Batch], codec_name: str, make: Callable[[], tpc.Codec]
) -> None:
    with make() as codec:
        for batch in batches:
            expected = EXCEPTIONS[batch.status]
            payloads = list(Payloads.FromString(batch.data).payloads)
            # Both decode paths: decode() writes into a buffer the binding sizes from the
            # library's answer, decode_bytes() takes the library's own buffer.
            for path in ("decode", "decode_bytes"):
                with pytest.raises(tpc.TpcError) as e:
                    if path == "decode":
                        await codec.decode(payloads)
                    else:
                        codec.decode_bytes(batch.data)
                where = f"{batch.name} via {path} with the {codec_name} codec"
                assert type(e.value) is expected, f"{where}: {e.value!r}"
                assert e.value.status_name == batch.status, where
                assert batch.fragment in e.value.message, f"{where}: {e.value.message}"

        plain = sample_payloads()
        encoded = await codec.encode(plain)
        assert await codec.decode(encoded) == plain
        assert codec.decode_bytes(codec.encode_bytes(Payloads(payloads=plain).SerializeToString())) == (
            Payloads(payloads=plain).SerializeToString()
        )


def two_payloads() -> list[Payload]:
    """About 720 decoded bytes each: the first fits in 1000, the second crosses."""
    return [Payload(metadata={"encoding": b"json/plain"}, data=bytes([c]) * 700) for c in b"ab"]


@pytest.mark.parametrize(
    "keys",
    [{}, {"keys": {"k": KEY}, "encryption_key_id": "k"}],
    ids=["snappy", "snappy+aes"],  # the encrypted layer's output counts too
)
async def test_max_total_decoded_size(keys: dict[str, object]) -> None:
    plain = two_payloads()
    encoded = await tpc.Codec(**keys).encode(plain)  # type: ignore[arg-type]
    tiny = tpc.Codec(max_total_decoded_size=1000, **keys)  # type: ignore[arg-type]
    with pytest.raises(tpc.LimitExceededError, match="payload 1:") as e:
        await tiny.decode(encoded)
    assert e.value.status == 5
    with pytest.raises(tpc.LimitExceededError, match="payload 1:"):
        tiny.decode_bytes(Payloads(payloads=encoded).SerializeToString())
    # The cap is on the total: with room for both, the batch decodes.
    assert await tpc.Codec(max_total_decoded_size=4000, **keys).decode(encoded) == plain  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "fault"),
    [(0, "max total decoded size must be at least 1"), (-1, "max_total_decoded_size -1 is out of range")],
)
def test_max_total_decoded_size_refuses_invalid_values(value: int, fault: str) -> None:
    with pytest.raises(tpc.InvalidArgumentError) as e:
        tpc.Codec(max_total_decoded_size=value)
    assert e.value.status == 2
    assert fault in e.value.message, e.value.message


def test_max_total_decoded_size_refuses_wrong_types() -> None:
    with pytest.raises(TypeError, match="max_total_decoded_size must be an int"):
        tpc.Codec(max_total_decoded_size=1.5)  # type: ignore[arg-type]
