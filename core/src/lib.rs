//! One Temporal payload codec for every SDK language: the codec itself, as a safe Rust library.
//!
//! A [`Codec`] works on serialized `temporal.api.common.v1.Payloads` and returns serialized
//! `Payloads`, so every language binds it the same way: bytes in, bytes out. The codec server
//! calls it directly; every other language goes through the C ABI, which is the
//! `temporal-payload-codec` crate at the repository's root (`include/temporal_payload_codec.h`).
//!
//! ```
//! use temporal_payload_codec_core::{Codec, Compression};
//!
//! let mut builder = Codec::builder();
//! builder.compression(Compression::Zlib);
//! builder.add_key("2026-11", &[7u8; 32])?;
//! builder.encryption_key_id("2026-11");
//! let codec = builder.build()?;
//!
//! // A Payloads holding one json/plain payload.
//! let payloads = b"\x0a\x18\x0a\x16\x0a\x08encoding\x12\x0ajson/plain".to_vec();
//! let encoded = codec.encode(&payloads)?;
//! assert_eq!(codec.decode(&encoded)?, payloads);
//! # Ok::<(), temporal_payload_codec_core::Error>(())
//! ```
//!
//! Inside: `wire` reads and writes the protobuf framing without re-serializing payloads,
//! `codec` holds one module per layer (snappy, zlib, encryption), `chain` runs the layers
//! (its builder, encode and decode apart), and `error` names what went wrong. None of it is
//! public: the API is [`Codec`], its [`CodecBuilder`], [`Workspace`], [`Compression`] and
//! [`Error`].

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod chain;
mod codec;
mod error;
mod wire;

pub use chain::{
    Codec, CodecBuilder, Workspace, DEFAULT_MAX_DECODED_SIZE, DEFAULT_MAX_TOTAL_DECODED_SIZE, MAX_LAYERS,
};
pub use codec::Compression;
pub use error::{Error, ErrorKind, Result};
