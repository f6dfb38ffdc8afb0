"""Finding the library: the packaged copy, TPC_LIBRARY_PATH, and the ABI check on import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import temporal_payload_codec
from conftest import REPO

PROBE = "import temporal_payload_codec as t; print(t.library_path()); print(t.Codec().encode_bytes(b''))"


def import_with(library_path: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TPC_LIBRARY_PATH"}
    if library_path is not None:
        env["TPC_LIBRARY_PATH"] = library_path
    return subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_installed_package_carries_the_library() -> None:
    out = import_with(None)
    assert out.returncode == 0, out.stderr
    packaged = Path(temporal_payload_codec.__file__).with_name("libtemporal_payload_codec.so")
    assert packaged.is_file()
    assert out.stdout.splitlines()[0] == str(packaged)


def test_tpc_library_path_names_a_file_or_its_directory() -> None:
    release = REPO / "target" / "release"
    for value in (str(release), str(release / "libtemporal_payload_codec.so")):
        out = import_with(value)
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines()[0] == str(release / "libtemporal_payload_codec.so")


def test_a_missing_library_is_a_clear_import_error(tmp_path: Path) -> None:
    out = import_with(str(tmp_path / "nowhere.so"))
    assert out.returncode != 0
    assert "ImportError" in out.stderr and "TPC_LIBRARY_PATH" in out.stderr and "nowhere.so" in out.stderr


def fake_library(tmp_path: Path, abi_version: int) -> Path:
    """A library that has only tpc_abi_version, returning abi_version (built with cc)."""
    cc = shutil.which("cc")
    if cc is None:
        pytest.fail("a C compiler (cc) is needed to build the fake library of this test")
    source = tmp_path / "fake.c"
    source.write_text(f"unsigned tpc_abi_version(void) {{ return {abi_version}; }}\n")
    fake = tmp_path / "libtemporal_payload_codec.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(fake), str(source)], check=True)
    return fake


def test_the_binding_expects_abi_2() -> None:
    assert temporal_payload_codec.ABI_VERSION == 2


@pytest.mark.parametrize("abi_version", [1, 3])
def test_a_library_with_another_abi_is_refused(tmp_path: Path, abi_version: int) -> None:
    """An ABI 1 library (or a newer one) is refused on import, the message naming both
    versions, before any other function is looked up (the fake library has no other)."""
    fake = fake_library(tmp_path, abi_version)
    out = import_with(str(fake))
    assert out.returncode != 0
    assert "ImportError" in out.stderr, out.stderr
    assert f"implements ABI version {abi_version}, this binding needs ABI version 2" in out.stderr, out.stderr
    assert str(fake) in out.stderr
    # The same through the directory form of the override.
    out = import_with(str(tmp_path))
    assert out.returncode != 0 and f"ABI version {abi_version}" in out.stderr, out.stderr


def test_an_older_library_with_the_same_abi_is_a_clear_import_error(tmp_path: Path) -> None:
    out = import_with(str(fake_library(tmp_path, 2)))
    assert out.returncode != 0
    assert "ImportError" in out.stderr and "has no function tpc_" in out.stderr, out.stderr
