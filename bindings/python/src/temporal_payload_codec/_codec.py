"""The Codec: a temporalio PayloadCodec over the library's batch calls."""

from __future__ import annotations

import ctypes
import enum
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, Final

from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from . import _native
from ._errors import BufferTooSmallError, CodecClosedError, InternalError, InvalidArgumentError
from ._native import Buffer, Slice, check, lib, take

# Results averaging this many bytes per payload are parsed payload by payload.
_SPLIT_FROM: Final = 16 * 1024


def take_payloads(buffer: Buffer, count: int) -> list[Payload]:
    """Parses a library buffer holding a serialized Payloads of `count` payloads, then
    releases it."""
    try:
        if not buffer.len:
            return []
        return parse_payloads(memoryview((ctypes.c_char * buffer.len).from_address(buffer.data)).cast("B"), count)
    finally:
        lib.tpc_buffer_free(ctypes.byref(buffer))


def parse_payloads(view: memoryview, count: int) -> list[Payload]:
    """Parses a serialized Payloads of `count` payloads in place (protobuf copies what it
    keeps, so `view` may be reused afterwards). Large payloads are parsed one by one, so that
    protobuf allocates per payload rather than one arena for the whole batch."""
    if count and len(view) // count < _SPLIT_FROM:
        # The stubs say bytes; the parser takes any buffer (upb and the pure-Python one alike).
        return list(Payloads.FromString(view).payloads)  # type: ignore[arg-type]
    out = []
    offset, end = 0, len(view)
    while offset < end:
        offset += 1  # the tag of Payloads.payloads, 0x0a: the library writes nothing else
        n = shift = 0
        while True:
            byte = view[offset]
            offset += 1
            n |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        out.append(Payload.FromString(view[offset : offset + n]))  # type: ignore[arg-type]
        offset += n
    return out


class Compression(enum.IntEnum):
    """The compression layer (``TPC_COMPRESSION_*``)."""

    NONE = 0
    #: ``binary/snappy``, framing format: the reference codec (default).
    SNAPPY = 1
    #: ``binary/snappy``, one raw block: the Go codec-server sample's dialect.
    SNAPPY_RAW = 2
    #: ``binary/zlib``, as the Go and Java SDKs write it.
    ZLIB = 3


_COMPRESSION_NAMES: Final = {
    "none": Compression.NONE,
    "snappy": Compression.SNAPPY,
    "snappy-raw": Compression.SNAPPY_RAW,
    "zlib": Compression.ZLIB,
}

# Payloads is `repeated Payload payloads = 1`: each element is the tag byte 0x0a, a varint
# length and the payload's own serialization. Framing it here (rather than building a
# Payloads message) hands the library exactly the bytes `p.SerializeToString()` gives, as the
# reference codec compresses, and skips copying every payload into a new message.
#
# Batches from _REUSE_FROM bytes up are framed into a buffer each thread keeps (up to
# _REUSE_UP_TO bytes) instead of a fresh bytes object per call: a fresh allocation of a few
# hundred KiB is often handed back to the OS by malloc when freed, and touching new pages
# again on the next call costs more than framing itself.
_REUSE_FROM: Final = 32 * 1024
_REUSE_UP_TO: Final = 16 * 1024 * 1024
_local = threading.local()

# Encode skips framing altogether for batches from _SCATTER_FROM bytes whose payloads average
# _SCATTER_AVERAGE bytes or more: tpc_codec_encode_gather takes a pointer to each serialized
# payload (a `bytes` object's own storage), so the batch is never copied in Python. Each
# pointer costs a ctypes conversion (about 0.5 µs), which framing small payloads with one
# `b"".join` does not, so batches of small payloads are still framed (bench/scatter_threshold.py).
_SCATTER_FROM: Final = 32 * 1024
_SCATTER_AVERAGE: Final = 1024

# Decode writes into a buffer each thread keeps, grown to the largest batch seen (kept up to
# _REUSE_UP_TO bytes), starting at _OUT_INITIAL.
_OUT_INITIAL: Final = 64 * 1024

_Framed = bytes | ctypes.Array[ctypes.c_char]
_Input = _Framed | ctypes.Array[Slice]


def _header(n: int) -> bytes:
    """Tag 0x0a (field 1, length-delimited) and the varint n."""
    header = bytearray(b"\x0a")
    while n >= 0x80:
        header.append((n & 0x7F) | 0x80)
        n >>= 7
    header.append(n)
    return bytes(header)


class _Headers(dict[int, bytes]):
    """Headers by payload length, made on first use; lengths below 16 KiB are kept (at most
    16384 small entries), so a batch of small payloads is framed without a Python-level loop."""

    def __missing__(self, n: int) -> bytes:
        header = _header(n)
        if n < 0x4000:
            self[n] = header
        return header


_HEADERS: Final = _Headers()
_serialize: Final = Payload.SerializeToString


def _frame(payloads: Sequence[Payload]) -> tuple[_Framed, int]:
    """The serialized Payloads of a batch: a pointer-compatible object and its length."""
    datas = list(map(_serialize, payloads))
    return _frame_serialized(datas, sum(map(len, datas)))


def _frame_serialized(datas: list[bytes], size: int) -> tuple[_Framed, int]:
    """Frames serialized payloads of `size` bytes in all (see _frame)."""
    if size < _REUSE_FROM:
        parts = [b""] * (2 * len(datas))
        parts[1::2] = datas
        parts[0::2] = map(_HEADERS.__getitem__, map(len, datas))
        framed = b"".join(parts)
        return framed, len(framed)
    capacity = size + 11 * len(datas)  # a varint length takes at most 10 bytes
    buf: bytearray | None = getattr(_local, "buf", None)
    if buf is None or len(buf) < capacity:
        buf = bytearray(capacity)
        if capacity <= _REUSE_UP_TO:
            _local.buf = buf
    offset = 0
    for data in datas:
        for chunk in (_HEADERS[len(data)], data):
            end = offset + len(chunk)
            buf[offset:end] = chunk  # same length: a copy in place, no resize
            offset = end
    return (ctypes.c_char * offset).from_buffer(buf), offset


def _compression(value: Compression | str) -> int:
    if isinstance(value, str):
        try:
            return _COMPRESSION_NAMES[value]
        except KeyError:
            raise InvalidArgumentError(
                f"unknown compression {value!r}; expected one of {', '.join(_COMPRESSION_NAMES)}"
            ) from None
    # Any int reaches the library, which rejects unknown algorithms with its own message.
    return int(value)


#: A key id: any bytes, the empty id included; a str stands for its UTF-8 bytes.
KeyId = str | bytes


def _key_id(what: str, value: object) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be a str or bytes, got {type(value).__name__}")


def _unsigned(what: str, value: int, bits: int) -> int:
    # ctypes would silently wrap a negative or oversized int; say what was wrong instead.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, got {type(value).__name__}")
    if not 0 <= value < 1 << bits:
        raise InvalidArgumentError(f"{what} {value} is out of range")
    return value


def _as_bytes(data: bytes | bytearray | memoryview) -> bytes:
    # bytes(5) would be five zero bytes: only take what holds bytes (bytes itself uncopied).
    return data if type(data) is bytes else memoryview(data).tobytes()


# tpc_codec_decode_into's retry pattern ends after at most two retries (the library's contract).
_DECODE_INTO_CALLS: Final = 3
_BUFFER_TOO_SMALL: Final = BufferTooSmallError.status_code


def _free_codec(handle: int) -> None:
    lib.tpc_codec_free(handle)


class Codec(PayloadCodec):
    """A Temporal payload codec backed by the shared temporal-payload-codec library.

    ``Codec()`` is the reference codec of Temporal's documentation, byte for byte (snappy
    framing format of each serialized payload, metadata ``{"encoding": "binary/snappy"}``):
    the library's codec built with no options. Keyword arguments mirror the library's builder
    options, by the same names; see the README for their meaning. Key ids are ``str`` (passed
    as UTF-8) or ``bytes``; the empty id is an id like any other.

    Encode compresses, then encrypts (when ``encryption_key_id`` is set). Decode peels every
    layer the library knows, whatever this codec encodes with, and passes anything else
    through. A codec may be shared by any number of threads and asyncio tasks.
    """

    def __init__(
        self,
        *,
        compression: Compression | str | None = None,
        keys: Mapping[str, bytes] | Mapping[bytes, bytes] | Mapping[KeyId, bytes] | None = None,
        encryption_key_id: KeyId | None = None,
        max_decoded_size: int | None = None,
        max_total_decoded_size: int | None = None,
        only_if_smaller: bool = False,
        zlib_level: int | None = None,
    ) -> None:
        super().__init__()
        algorithm = None if compression is None else _compression(compression)
        self._key_ids = tuple(keys or ())
        self._encryption_key_id = encryption_key_id
        self._closed = False
        self._in_flight = 0
        self._idle = threading.Condition(threading.Lock())
        # Every codec is a native one; with no options it is the library's default codec.
        self._handle: int | None = self._build(
            algorithm,
            keys or {},
            encryption_key_id,
            max_decoded_size,
            max_total_decoded_size,
            only_if_smaller,
            zlib_level,
        )
        self._finalizer = weakref.finalize(self, _free_codec, self._handle)
        # The library accepted it: a known value (unset: the builder's default, snappy).
        self._compression = Compression.SNAPPY if algorithm is None else Compression(algorithm)

    @staticmethod
    def _build(
        algorithm: int | None,
        keys: Mapping[Any, bytes],
        encryption_key_id: KeyId | None,
        max_decoded_size: int | None,
        max_total_decoded_size: int | None,
        only_if_smaller: bool,
        zlib_level: int | None,
    ) -> int:
        # Convert everything before the builder exists, so a Python-side error leaks nothing.
        c_algorithm = None if algorithm is None else _unsigned("compression", algorithm, 32)
        c_keys = []
        for key_id, key in keys.items():
            if not isinstance(key, (bytes, bytearray, memoryview)):
                raise TypeError(f"the key for id {key_id!r} must be bytes, got {type(key).__name__}")
            c_keys.append((_key_id("a key id", key_id), bytes(key)))
        c_encryption = None if encryption_key_id is None else _key_id("encryption_key_id", encryption_key_id)
        c_max = None if max_decoded_size is None else _unsigned("max_decoded_size", max_decoded_size, 64)
        c_max_total = (
            None if max_total_decoded_size is None else _unsigned("max_total_decoded_size", max_total_decoded_size, 64)
        )
        c_level = None if zlib_level is None else _unsigned("zlib_level", zlib_level, 32)

        builder = lib.tpc_codec_builder_new()
        # A failing setter poisons the builder and tpc_codec_build reports the first error
        # with its message, so the setters' statuses need no check of their own.
        if c_algorithm is not None:
            lib.tpc_codec_builder_set_compression(builder, c_algorithm)
        if only_if_smaller:
            lib.tpc_codec_builder_set_only_if_smaller(builder, 1)
        if c_level is not None:
            lib.tpc_codec_builder_set_zlib_level(builder, c_level)
        if c_max is not None:
            lib.tpc_codec_builder_set_max_decoded_size(builder, c_max)
        if c_max_total is not None:
            lib.tpc_codec_builder_set_max_total_decoded_size(builder, c_max_total)
        for c_id, key in c_keys:
            lib.tpc_codec_builder_add_key(builder, c_id, len(c_id), key, len(key))
        if c_encryption is not None:  # encryption is on exactly when an id was given, even ""
            lib.tpc_codec_builder_set_encryption_key_id(builder, c_encryption, len(c_encryption))
        handle = ctypes.c_void_p()
        err = Buffer()
        check(lib.tpc_codec_build(builder, ctypes.byref(handle), ctypes.byref(err)), err)  # consumes builder
        assert handle.value is not None
        return handle.value

    def __repr__(self) -> str:
        compression = self._compression.name.lower().replace("_", "-")
        return (
            f"Codec(compression={compression!r}, key_ids={list(self._key_ids)!r}, "
            f"encryption_key_id={self._encryption_key_id!r})"
        )

    def close(self) -> None:
        """Releases the native codec and wipes its keys; waits for calls in flight.

        Later calls raise :class:`CodecClosedError`. Closing twice is harmless. A codec that
        is never closed is released when it is garbage-collected.
        """
        with self._idle:
            if self._closed:
                return
            self._closed = True
            while self._in_flight:
                self._idle.wait()
        if self._handle is not None:
            self._finalizer()
            self._handle = None

    def __enter__(self) -> Codec:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _enter(self) -> None:
        """Counts a call in flight, so that close() waits for it; refuses a closed codec."""
        with self._idle:
            if self._closed:
                raise CodecClosedError("the codec was closed")
            self._in_flight += 1

    def _leave(self) -> None:
        """Ends a call counted by _enter, waking close() after the last one."""
        with self._idle:
            self._in_flight -= 1
            if self._closed and not self._in_flight:
                self._idle.notify_all()

    def _call(self, fn: Any, data: _Input, size: int, parse: bool = False, count: int = 0) -> Any:
        """Calls the library's `fn` with this codec on `data` (`size` bytes, or `size` slices)."""
        self._enter()
        try:
            out, err = Buffer(), Buffer()
            # ctypes drops the GIL for the duration of this call.
            status = fn(self._handle, data, size, ctypes.byref(out), ctypes.byref(err))
            check(status, err)
            return take_payloads(out, count) if parse else take(out)
        finally:
            self._leave()

    def encode_bytes(self, payloads: bytes | bytearray | memoryview) -> bytes:
        """Encodes a serialized ``Payloads``; returns the serialized encoded ``Payloads``."""
        data = _as_bytes(payloads)
        return self._call(lib.tpc_codec_encode, data, len(data))  # type: ignore[no-any-return]

    def decode_bytes(self, payloads: bytes | bytearray | memoryview) -> bytes:
        """Decodes a serialized ``Payloads``; returns the serialized decoded ``Payloads``."""
        data = _as_bytes(payloads)
        return self._call(lib.tpc_codec_decode, data, len(data))  # type: ignore[no-any-return]

    def encode_sync(self, payloads: Sequence[Payload]) -> list[Payload]:
        """:meth:`encode` without the event loop: same count and order out."""
        datas = list(map(_serialize, payloads))
        count = len(datas)
        size = sum(map(len, datas))
        if size >= _SCATTER_FROM and size >= _SCATTER_AVERAGE * count:
            # Pointers to each bytes object's storage; the array holds references to them.
            # ctypes takes a tuple as a structure's initializer; the stubs only know Slice.
            slices = (Slice * count)(*zip(datas, map(len, datas), strict=True))  # type: ignore[misc]
            return self._call(lib.tpc_codec_encode_gather, slices, count, parse=True, count=count)  # type: ignore[no-any-return]
        return self._call(lib.tpc_codec_encode, *_frame_serialized(datas, size), parse=True, count=count)  # type: ignore[no-any-return]

    def decode_sync(self, payloads: Sequence[Payload]) -> list[Payload]:
        """:meth:`decode` without the event loop: same count and order out."""
        return self._decode_into(*_frame(payloads), len(payloads))

    def _decode_into(self, data: _Framed, size: int, count: int) -> list[Payload]:
        """Decodes into a buffer this thread keeps (tpc_codec_decode_into), then parses it in
        place. A fresh output buffer per call (the library's own, or a new bytearray) costs
        more than the decoding itself at 64 KiB and up: malloc hands large blocks back to the
        OS on free, and the next call faults every page in again."""
        self._enter()
        try:
            out: bytearray = getattr(_local, "out", None) or bytearray(_OUT_INITIAL)
            need = ctypes.c_size_t()
            # The library's one pattern, starting from the buffer this thread keeps rather than
            # from (NULL, 0): while the status is TPC_ERR_BUFFER_TOO_SMALL, grow the buffer to
            # the size needed and call again. It ends after at most two retries.
            for _ in range(_DECODE_INTO_CALLS):
                err = Buffer()
                dst = (ctypes.c_char * len(out)).from_buffer(out)
                status = lib.tpc_codec_decode_into(
                    self._handle, data, size, dst, len(out), ctypes.byref(need), ctypes.byref(err)
                )
                del dst  # release the bytearray's export before it may be replaced
                if status != _BUFFER_TOO_SMALL:
                    check(status, err)
                    if len(out) <= _REUSE_UP_TO:
                        _local.out = out
                    return parse_payloads(memoryview(out)[: need.value], count)
                lib.tpc_buffer_free(ctypes.byref(err))  # filled for this status too
                out = bytearray(need.value)
            raise InternalError(
                f"tpc_codec_decode_into still reported TPC_ERR_BUFFER_TOO_SMALL after "
                f"{_DECODE_INTO_CALLS - 1} retries (the library promises at most two)"
            )
        finally:
            self._leave()

    # The work runs inline on the event loop, as the reference codec's does: a whole batch is
    # one native call (about a millisecond per MiB), cheaper than a hop to a thread pool.
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encodes a batch of payloads (compress, then encrypt if configured)."""
        return self.encode_sync(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decodes a batch of payloads, peeling every layer the library knows."""
        return self.decode_sync(payloads)


def version() -> str:
    """The loaded library's version, e.g. ``"0.2.0"``."""
    raw: bytes = lib.tpc_version()
    return raw.decode("ascii")


def library_path() -> str:
    """Where the loaded shared library lives (the packaged copy or ``TPC_LIBRARY_PATH``)."""
    return str(_native.library_path)
