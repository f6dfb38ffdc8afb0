"""Build hook: bundle the shared library into the wheel.

Everything else is declared in pyproject.toml. `pip install ./bindings/python` copies
libtemporal_payload_codec.so from TPC_LIBRARY_PATH (the file, or the directory holding it) or,
by default, from the repository's target/release (run scripts/build-lib.sh first) into the
package, and tags the wheel for this platform (the library is native code) but for any
Python 3 (it does not use the Python C API).
"""

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

LIBRARY = "libtemporal_payload_codec.so"
HERE = Path(__file__).resolve().parent


def find_library() -> Path:
    override = os.environ.get("TPC_LIBRARY_PATH")
    path = Path(override) if override else HERE.parent.parent / "target" / "release"
    if path.is_dir():
        path = path / LIBRARY
    if not path.is_file():
        raise SystemExit(
            f"temporal-payload-codec: {path} not found. Build the library first "
            "(scripts/build-lib.sh at the repository root), or set TPC_LIBRARY_PATH to it."
        )
    return path


class BuildPyWithLibrary(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "temporal_payload_codec" / LIBRARY
        shutil.copyfile(find_library(), target)


class NativeDistribution(Distribution):
    """Carries native code: the wheel is platform-specific and its files go in the root."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(distclass=NativeDistribution, cmdclass={"build_py": BuildPyWithLibrary, "bdist_wheel": PlatformWheel})
