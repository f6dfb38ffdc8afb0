"""temporal-payload-codec for Python: a ``temporalio`` PayloadCodec backed by the shared library.

    import dataclasses, temporalio.converter
    from temporal_payload_codec import Codec

    converter = dataclasses.replace(temporalio.converter.default(), payload_codec=Codec())

Importing the package loads the shared library (the copy inside the package, or the one
``TPC_LIBRARY_PATH`` names) and refuses one whose ABI version differs from ``ABI_VERSION``.
"""

from ._codec import Codec, Compression, library_path, version
from ._errors import (
    BufferTooSmallError,
    CodecClosedError,
    CorruptPayloadError,
    DecryptFailedError,
    InternalError,
    InvalidArgumentError,
    LimitExceededError,
    MalformedInputError,
    NullArgumentError,
    TpcError,
    UnknownKeyError,
)
from ._native import ABI_VERSION

__all__ = [
    "ABI_VERSION",
    "BufferTooSmallError",
    "Codec",
    "CodecClosedError",
    "Compression",
    "CorruptPayloadError",
    "DecryptFailedError",
    "InternalError",
    "InvalidArgumentError",
    "LimitExceededError",
    "MalformedInputError",
    "NullArgumentError",
    "TpcError",
    "UnknownKeyError",
    "library_path",
    "version",
]
