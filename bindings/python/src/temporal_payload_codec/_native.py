"""The C ABI through ctypes: locating the library, declaring every function, the ABI check.

Every function gets ``argtypes`` and ``restype``: without them ctypes assumes ``int`` and
truncates 64-bit pointers. The library is opened with ``ctypes.CDLL`` (not ``PyDLL``), so
ctypes releases the GIL for the duration of each call: other Python threads run while a
batch is being compressed or encrypted.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path
from typing import Any, Final

from ._errors import error_for

#: The ABI this binding was written against (``TPC_ABI_VERSION`` of the header).
ABI_VERSION: Final = 2

LIBRARY_FILE: Final = "libtemporal_payload_codec.so"
LIBRARY_ENV: Final = "TPC_LIBRARY_PATH"


class Buffer(ctypes.Structure):
    """``tpc_buffer``: bytes owned by the library, released with ``tpc_buffer_free``."""

    _fields_ = [("data", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class Slice(ctypes.Structure):
    """``tpc_slice``: bytes lent to one call. ``c_char_p`` from a ``bytes`` object points at
    the object's own storage (no copy), and the structure keeps a reference to it."""

    _fields_ = [("data", ctypes.c_char_p), ("len", ctypes.c_size_t)]


_status = ctypes.c_uint32
_bytes_in = ctypes.c_char_p  # bytes are passed by pointer to their own storage, not copied
_buffer_p = ctypes.POINTER(Buffer)
_slices_in = ctypes.POINTER(Slice)  # an array of Slice
_handle = ctypes.c_void_p  # tpc_codec* and tpc_codec_builder* are opaque
_bytes_out = ctypes.c_void_p  # a ctypes char array over a caller's bytearray, or None
_size_out = ctypes.POINTER(ctypes.c_size_t)

_SIGNATURES: Final[dict[str, tuple[list[Any], Any]]] = {
    # The explicit tier: every codec, the default one included, is built (the default with no
    # options); the simple tier's tpc_encode/tpc_decode are not needed.
    "tpc_codec_builder_new": ([], _handle),
    "tpc_codec_builder_set_compression": ([_handle, ctypes.c_uint32], _status),
    "tpc_codec_builder_set_only_if_smaller": ([_handle, ctypes.c_uint32], _status),
    "tpc_codec_builder_set_zlib_level": ([_handle, ctypes.c_uint32], _status),
    "tpc_codec_builder_set_max_decoded_size": ([_handle, ctypes.c_size_t], _status),
    "tpc_codec_builder_set_max_total_decoded_size": ([_handle, ctypes.c_size_t], _status),
    # Key ids are bytes (pointer and length), the empty id included.
    "tpc_codec_builder_add_key": ([_handle, _bytes_in, ctypes.c_size_t, _bytes_in, ctypes.c_size_t], _status),
    "tpc_codec_builder_set_encryption_key_id": ([_handle, _bytes_in, ctypes.c_size_t], _status),
    "tpc_codec_build": ([_handle, ctypes.POINTER(_handle), _buffer_p], _status),
    "tpc_codec_builder_free": ([_handle], None),
    "tpc_codec_encode": ([_handle, _bytes_in, ctypes.c_size_t, _buffer_p, _buffer_p], _status),
    "tpc_codec_decode": ([_handle, _bytes_in, ctypes.c_size_t, _buffer_p, _buffer_p], _status),
    "tpc_codec_free": ([_handle], None),
    # The advanced tier.
    "tpc_codec_decode_into": (
        [_handle, _bytes_in, ctypes.c_size_t, _bytes_out, ctypes.c_size_t, _size_out, _buffer_p],
        _status,
    ),
    "tpc_codec_encode_gather": ([_handle, _slices_in, ctypes.c_size_t, _buffer_p, _buffer_p], _status),
    # Common.
    "tpc_buffer_free": ([_buffer_p], None),
    "tpc_status_str": ([ctypes.c_uint32], ctypes.c_char_p),
    "tpc_version": ([], ctypes.c_char_p),
    "tpc_abi_version": ([], ctypes.c_uint32),
}


def _candidates() -> list[Path]:
    override = os.environ.get(LIBRARY_ENV)
    if override:
        path = Path(override)
        # The variable may name the file itself or the directory holding it.
        return [path / LIBRARY_FILE if path.is_dir() else path]
    return [Path(__file__).with_name(LIBRARY_FILE)]


def _load() -> tuple[ctypes.CDLL, Path]:
    tried = []
    for path in _candidates():
        if path.is_file():
            lib = ctypes.CDLL(str(path))
            break
        tried.append(str(path))
    else:
        raise ImportError(
            f"temporal_payload_codec: {LIBRARY_FILE} not found (looked at {', '.join(tried)}). "
            f"Build it with scripts/build-lib.sh and reinstall the package, or set {LIBRARY_ENV} "
            "to the library file or the directory holding it (e.g. target/release)."
        )
    # The ABI version first: calling anything else in a library with another ABI would be
    # undefined behaviour, so nothing else is even looked up before it matches.
    lib.tpc_abi_version.argtypes, lib.tpc_abi_version.restype = _SIGNATURES["tpc_abi_version"]
    found = lib.tpc_abi_version()
    if found != ABI_VERSION:
        raise ImportError(
            f"temporal_payload_codec: {path} implements ABI version {found}, this binding needs "
            f"ABI version {ABI_VERSION}; install the binding that matches the library (or rebuild both)"
        )
    for name, (argtypes, restype) in _SIGNATURES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            # Same ABI version, but older than this binding: functions are only ever added.
            raise ImportError(
                f"temporal_payload_codec: {path} has no function {name}: the library is older "
                "than this binding; install the binding that matches the library (or rebuild both)"
            ) from None
        fn.argtypes = argtypes
        fn.restype = restype
    return lib, path


lib, library_path = _load()


def status_description(status: int) -> str:
    """The library's own short description of a status, e.g. "unknown key"."""
    name: bytes = lib.tpc_status_str(status)
    return name.decode("ascii")


def take(buffer: Buffer) -> bytes:
    """Copies a library buffer into Python bytes and releases it."""
    try:
        return ctypes.string_at(buffer.data, buffer.len) if buffer.len else b""
    finally:
        lib.tpc_buffer_free(ctypes.byref(buffer))


def check(status: int, err: Buffer) -> None:
    """Raises the exception for a failed call, with the library's message."""
    if status != 0:
        message = take(err).decode("utf-8", "replace")
        raise error_for(status, message, status_description(status))
