"""Exceptions: one class per library status, all under TpcError."""

from __future__ import annotations

from typing import ClassVar


class TpcError(Exception):
    """A call into the codec library failed.

    ``status`` is the library's status code (``TPC_ERR_*``), ``status_name`` its name and
    ``message`` the library's explanation, which names the payload index and the fault but
    never key bytes or payload data.
    """

    status_code: ClassVar[int] = 255
    status_name_default: ClassVar[str] = "TPC_ERR_INTERNAL"

    def __init__(self, message: str, *, status: int | None = None, status_name: str | None = None) -> None:
        self.status: int = self.status_code if status is None else status
        self.status_name: str = status_name or self.status_name_default
        self.message: str = message
        super().__init__(f"{self.status_name} ({self.status}): {message}")


class NullArgumentError(TpcError):
    """A required pointer was NULL: a bug in this binding, please report it."""

    status_code = 1
    status_name_default = "TPC_ERR_NULL_ARGUMENT"


class InvalidArgumentError(TpcError, ValueError):
    """A bad option: unknown compression, key not 32 bytes, duplicate key id, an encryption
    key id that was never added, a size or level out of range."""

    status_code = 2
    status_name_default = "TPC_ERR_INVALID_ARGUMENT"


class MalformedInputError(TpcError, ValueError):
    """The input is not a valid serialized Payloads, or a Payload in it is malformed."""

    status_code = 3
    status_name_default = "TPC_ERR_MALFORMED_INPUT"


class CorruptPayloadError(TpcError, ValueError):
    """An encoded payload does not decode: bad stream, CRC mismatch, inner bytes not a Payload."""

    status_code = 4
    status_name_default = "TPC_ERR_CORRUPT_PAYLOAD"


class LimitExceededError(TpcError):
    """A decoded payload would exceed ``max_decoded_size``, or layers nest too deeply."""

    status_code = 5
    status_name_default = "TPC_ERR_LIMIT_EXCEEDED"


class UnknownKeyError(TpcError):
    """An encrypted payload names a key id the codec does not hold (the message names it)."""

    status_code = 6
    status_name_default = "TPC_ERR_UNKNOWN_KEY"


class DecryptFailedError(TpcError):
    """Authenticated decryption failed: wrong key, tampered payload, or unsupported cipher."""

    status_code = 7
    status_name_default = "TPC_ERR_DECRYPT_FAILED"


class BufferTooSmallError(TpcError):
    """A caller's buffer was too small for a decoded result (``TPC_ERR_BUFFER_TOO_SMALL``).

    The codec retries with the size the library reports, so this never escapes it; it exists
    so that the status table is complete."""

    status_code = 8
    status_name_default = "TPC_ERR_BUFFER_TOO_SMALL"


class InternalError(TpcError):
    """A caught panic or an operating-system failure inside the library: please report it."""

    status_code = 255
    status_name_default = "TPC_ERR_INTERNAL"


class CodecClosedError(RuntimeError):
    """The codec was used after :meth:`Codec.close`."""


_BY_STATUS: dict[int, type[TpcError]] = {
    cls.status_code: cls
    for cls in (
        NullArgumentError,
        InvalidArgumentError,
        MalformedInputError,
        CorruptPayloadError,
        LimitExceededError,
        UnknownKeyError,
        DecryptFailedError,
        BufferTooSmallError,
        InternalError,
    )
}


def error_for(status: int, message: str, description: str) -> TpcError:
    """The exception for a status the library returned. A code this binding does not know
    (from a newer library) gives a plain TpcError named by the library's description."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        return TpcError(f"{description}: {message}", status=status, status_name="TPC_ERR_UNKNOWN_STATUS")
    return cls(message, status=status)
