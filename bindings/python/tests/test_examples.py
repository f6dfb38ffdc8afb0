"""examples/python: the payload tool (its contract) and the starter against the Go worker."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payloads

from conftest import REPO, Server, sample_payloads
from temporal_payload_codec import Codec

EXAMPLES = REPO / "examples" / "python"
KEY_HEX = "ab" * 32


def tool(*args: str, stdin: bytes = b"", **env: str) -> subprocess.CompletedProcess[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TPC_") or k == "TPC_LIBRARY_PATH"}
    return subprocess.run(
        [sys.executable, str(EXAMPLES / "payload_tool.py"), *args],
        input=stdin,
        capture_output=True,
        env={**clean, **env},
        timeout=60,
        check=False,
    )


@pytest.fixture
def plain_file(tmp_path: Path) -> Path:
    path = tmp_path / "plain.bin"
    path.write_bytes(Payloads(payloads=sample_payloads()).SerializeToString())
    return path


def test_payload_tool_encodes_like_the_codec_and_decodes_back(plain_file: Path) -> None:
    plain = plain_file.read_bytes()
    encoded = tool("encode", str(plain_file))
    assert encoded.returncode == 0, encoded.stderr
    assert encoded.stdout == Codec().encode_bytes(plain)
    decoded = tool("decode", "-", stdin=encoded.stdout)
    assert decoded.returncode == 0, decoded.stderr
    assert decoded.stdout == plain


def test_payload_tool_environment(plain_file: Path) -> None:
    plain = plain_file.read_bytes()
    key = bytes.fromhex(KEY_HEX)
    out = tool("encode", str(plain_file), TPC_COMPRESSION="zlib", TPC_KEY_HEX=KEY_HEX, TPC_KEY_ID="k1")
    assert out.returncode == 0, out.stderr
    encoded = Payloads.FromString(out.stdout).payloads
    assert {(p.metadata["encoding"], p.metadata["encryption-key-id"]) for p in encoded} == {
        (b"binary/encrypted", b"k1")
    }
    assert Codec(keys={"k1": key}).decode_bytes(out.stdout) == plain
    default_id = tool("encode", str(plain_file), TPC_KEY_HEX=KEY_HEX)
    assert Payloads.FromString(default_id.stdout).payloads[0].metadata["encryption-key-id"] == b"demo-key"
    for compression in ("none", "snappy", "snappy-raw", "zlib"):
        out = tool("encode", str(plain_file), TPC_COMPRESSION=compression)
        assert out.returncode == 0, out.stderr
        assert Codec().decode_bytes(out.stdout) == plain


def test_payload_tool_usage_errors_exit_2(plain_file: Path) -> None:
    for args, env in [
        ((), {}),
        (("compress", str(plain_file)), {}),
        (("encode",), {}),
        (("encode", "/nonexistent/file"), {}),
        (("encode", str(plain_file)), {"TPC_KEY_HEX": "zz" * 32}),
        (("encode", str(plain_file)), {"TPC_KEY_HEX": "ab" * 16}),
    ]:
        out = tool(*args, **env)  # type: ignore[arg-type]  # env never holds "stdin"
        assert out.returncode == 2, (args, env, out.stderr)
        assert out.stderr and not out.stdout


@pytest.mark.parametrize(
    ("stdin", "env", "line"),
    [
        (b"\x0a\x05\x12", {}, "MalformedInputError: TPC_ERR_MALFORMED_INPUT (3): "),
        (b"", {"TPC_COMPRESSION": "lz4"}, "InvalidArgumentError: TPC_ERR_INVALID_ARGUMENT (2): "),
    ],
)
def test_payload_tool_codec_errors_exit_3(stdin: bytes, env: dict[str, str], line: str) -> None:
    out = tool("decode", "-", stdin=stdin, **env)
    assert out.returncode == 3
    assert out.stderr.decode().startswith(line) and out.stderr.count(b"\n") == 1, out.stderr


def test_payload_tool_unknown_key(plain_file: Path) -> None:
    encrypted = tool("encode", str(plain_file), TPC_KEY_HEX=KEY_HEX, TPC_KEY_ID="key-a").stdout
    out = tool("decode", "-", stdin=encrypted, TPC_KEY_HEX=KEY_HEX, TPC_KEY_ID="key-b")
    assert out.returncode == 3
    assert out.stderr.decode().startswith("UnknownKeyError: TPC_ERR_UNKNOWN_KEY (6): ")
    assert "key-a" in out.stderr.decode() and KEY_HEX not in out.stderr.decode()


@pytest.fixture(scope="session")
def go_worker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go example worker (examples/go), built against the library in target/release."""
    go = shutil.which("go")
    if go is None:
        pytest.fail("go is missing: the starter's smoke test runs the Go example worker (install Go 1.26)")
    pc_dir = REPO / "target" / "release" / "pkgconfig"
    if not (pc_dir / "temporal_payload_codec.pc").is_file():
        pytest.fail(f"{pc_dir} has no temporal_payload_codec.pc: run scripts/build-lib.sh")
    binary = tmp_path_factory.mktemp("go") / "worker"
    subprocess.run(
        [go, "build", "-o", str(binary), "./worker"],
        cwd=REPO / "examples" / "go",
        env={**os.environ, "PKG_CONFIG_PATH": str(pc_dir)},
        check=True,
        timeout=600,
    )
    return binary


@pytest.fixture(params=["snappy", "snappy+aes"])
def demo_env(request: pytest.FixtureRequest, temporal_server: Server) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TPC_") or k == "TPC_LIBRARY_PATH"}
    env.update(TEMPORAL_ADDRESS=temporal_server.address, TEMPORAL_NAMESPACE="default")
    # A queue of our own for DescribeOrder, so no other language's worker is needed.
    env["TPC_ACTIVITY_QUEUE"] = f"tpc-go-activities-{uuid.uuid4()}"
    if request.param == "snappy+aes":
        env.update(TPC_KEY_HEX=KEY_HEX, TPC_KEY_ID="demo-key")
    return env


@pytest.fixture
def running_go_worker(go_worker: Path, demo_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(go_worker), "-with-activity"], env=demo_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield demo_env
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_starter_runs_the_cross_language_workflow_on_the_go_worker(running_go_worker: dict[str, str]) -> None:
    workflow_id = f"tpc-demo-python-{uuid.uuid4()}"
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "starter.py"), "--workflow-id", workflow_id],
        env=running_go_worker,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr.decode()
    assert json.loads(out.stdout) == {
        "summary": "Order for Ada Lovelace: analytical engine, punch cards (described by go)",
        "itemCount": 2,
        "workflowLanguage": "go",
    }
