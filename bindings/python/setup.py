"""Build hooks: put the shared library into the wheel, and the Rust sources into the sdist.

Everything else is declared in pyproject.toml. The wheel's library comes from one of:

1. ``TPC_LIBRARY_PATH`` at build time (the ``.so`` file, or the directory holding it): copied
   as it is. bindings/python/dist.sh builds the manylinux wheels this way, from the release
   libraries of scripts/dist.sh, and bindings/python/test.sh from target/release.
2. Otherwise the library is built from source with cargo (``cargo rustc --release --lib
   --crate-type cdylib --locked``, symbols stripped): from ``rust/`` in an sdist, or from the
   repository's root crate when building from a checkout (``pip install ./bindings/python``,
   ``pip install "git+...#subdirectory=bindings/python"``). The cargo target directory is
   ``CARGO_TARGET_DIR`` if set, else ``rust/target`` in an sdist, ``target/python`` in a
   checkout (apart from the developers' target/release).

The wheel is tagged ``py3-none-<platform>``: the library is native code but does not use the
Python C API, so one wheel serves every Python 3. ``--plat-name`` (e.g.
``-C--build-option=--plat-name=manylinux_2_17_x86_64``) sets the platform.

The sdist carries, under ``rust/``, what building the C library needs and nothing else: the
root crate (Cargo.toml, Cargo.lock, build.rs, cbindgen.toml, src/, include/) and the core
(core/Cargo.toml, core/src/). Its Cargo.toml is the root one without the workspace's other
member (the codec server) and the benchmark targets, and its Cargo.lock is the repository's,
pruned to that workspace by cargo (same versions), so the build from the sdist is ``--locked``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist
from setuptools.dist import Distribution

LIBRARY = "libtemporal_payload_codec.so"
PACKAGE = "temporal_payload_codec"
HERE = Path(__file__).resolve().parent
SDIST_RUST = "rust"  # the Rust sources' folder inside the sdist


def rust_root() -> Path | None:
    """The folder holding the root crate's Cargo.toml: rust/ in an sdist, else the checkout's root."""
    for root in (HERE / SDIST_RUST, HERE.parent.parent):
        if (root / "Cargo.toml").is_file() and (root / "cbindgen.toml").is_file():
            return root
    return None


def prebuilt_library() -> Path | None:
    override = os.environ.get("TPC_LIBRARY_PATH")
    if not override:
        return None
    path = Path(override)
    if path.is_dir():
        path = path / LIBRARY
    if not path.is_file():
        raise SystemExit(f"temporal-payload-codec: TPC_LIBRARY_PATH={override}: {path} not found")
    return path


def cargo_build(root: Path) -> Path:
    """Builds the cdylib with cargo and returns its path."""
    cargo = os.environ.get("CARGO", "cargo")
    if shutil.which(cargo) is None:
        raise SystemExit(
            "temporal-payload-codec: building the native library from source needs Rust (cargo on PATH, "
            "e.g. from rustup). Or install a prebuilt wheel, or set TPC_LIBRARY_PATH to a built "
            f"{LIBRARY}."
        )
    env = dict(os.environ)
    if "CARGO_TARGET_DIR" not in env:
        env["CARGO_TARGET_DIR"] = str(root / "target" if root == HERE / SDIST_RUST else root / "target" / "python")
    # No debug info and no symbol table in the library a wheel ships (the repository's release
    # profile keeps line tables for profiling).
    env["CARGO_PROFILE_RELEASE_DEBUG"] = "0"
    env["CARGO_PROFILE_RELEASE_STRIP"] = "symbols"
    command = [cargo, "rustc", "--release", "--lib", "--crate-type", "cdylib", "--locked"]
    command += ["--manifest-path", str(root / "Cargo.toml"), "--message-format", "json-render-diagnostics"]
    print("temporal-payload-codec: building the native library:", " ".join(command), flush=True)
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"temporal-payload-codec: cargo failed (exit {result.returncode}), see its output above")
    for line in result.stdout.splitlines():
        message = json.loads(line) if line.startswith("{") else {}
        if message.get("reason") != "compiler-artifact":
            continue
        # The root crate's library (a dependency, crc-fast, is a cdylib too).
        if message["target"]["name"] == PACKAGE and "cdylib" in message["target"]["kind"]:
            for filename in message["filenames"]:
                if filename.endswith(".so"):
                    return Path(filename)
    raise SystemExit(f"temporal-payload-codec: cargo built no {LIBRARY}")


class BuildPyWithLibrary(build_py):
    def run(self) -> None:
        super().run()
        library = prebuilt_library()
        if library is None:
            root = rust_root()
            if root is None:
                raise SystemExit(
                    f"temporal-payload-codec: no Rust sources next to {HERE} (rust/ in an sdist, the "
                    f"repository's root crate in a checkout) to build {LIBRARY} from; set TPC_LIBRARY_PATH "
                    "to a built library."
                )
            library = cargo_build(root)
        target = Path(self.build_lib) / PACKAGE / LIBRARY
        print(f"temporal-payload-codec: bundling {library}", flush=True)
        shutil.copyfile(library, target)


class NativeDistribution(Distribution):
    """Carries native code: the wheel is platform-specific and its files go in the root."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


# What the sdist's rust/ holds, relative to the Rust root: files, and folders taken whole.
RUST_FILES = ["Cargo.toml", "Cargo.lock", "build.rs", "cbindgen.toml", "core/Cargo.toml"]
RUST_TREES = ["src", "include", "core/src"]


def sdist_manifest(text: str) -> str:
    """The root Cargo.toml for the sdist: the workspace is the C library and the core only (the
    codec server is not shipped), and the benchmark targets, whose files are not shipped, go."""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines():
        if line.startswith("["):
            skipping = line.strip() in ("[[bench]]", "[[example]]")
        if not skipping:
            kept.append(line)
    result = "\n".join(kept).rstrip() + "\n"
    result, members = re.subn(r"(?m)^members = \[.*\]$", 'members = [".", "core"]', result)
    if members != 1:
        raise SystemExit("temporal-payload-codec sdist: no single `members = [...]` line in Cargo.toml")
    header = "# The Python sdist's copy of the root Cargo.toml (bindings/python/setup.py): C library and core only.\n"
    return header + result


class SdistWithRust(sdist):
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        source = rust_root()
        if source is None:
            raise SystemExit("temporal-payload-codec sdist: the Rust sources are missing")
        dest = Path(base_dir) / SDIST_RUST
        if dest.exists():
            shutil.rmtree(dest)
        for name in RUST_FILES:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, dest / name)
        for name in RUST_TREES:
            shutil.copytree(source / name, dest / name, ignore=shutil.ignore_patterns("*.orig", "*.rej", "*~"))
        if source != HERE / SDIST_RUST:
            (dest / "Cargo.toml").write_text(sdist_manifest((source / "Cargo.toml").read_text()))
            # Prune the lock file to the smaller workspace (cargo keeps every version it had).
            cargo = os.environ.get("CARGO", "cargo")
            command = [cargo, "metadata", "--offline", "--format-version", "1", "--manifest-path"]
            subprocess.run([*command, str(dest / "Cargo.toml")], check=True, stdout=subprocess.DEVNULL)
            shutil.rmtree(dest / "target", ignore_errors=True)


setup(
    distclass=NativeDistribution,
    cmdclass={"build_py": BuildPyWithLibrary, "bdist_wheel": PlatformWheel, "sdist": SdistWithRust},
)
