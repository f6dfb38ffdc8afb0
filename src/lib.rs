//! One Temporal payload codec for every SDK language.
//!
//! The codec works on serialized `temporal.api.common.v1.Payloads` and returns serialized
//! `Payloads`, so every language binds it the same way: bytes in, bytes out. Rust users (such
//! as the codec server) call [`Codec`] directly; everyone else goes through the C ABI in
//! [`ffi`] and `include/temporal_payload_codec.h`.
//!
//! Layout: [`wire`] reads and writes the protobuf framing without re-serializing payloads,
//! [`codec`] holds one module per layer (snappy, zlib, encryption), [`chain`] runs the layers,
//! [`error`] names what went wrong, and [`ffi`] is the C surface (the only `unsafe` code).

#![deny(unsafe_op_in_unsafe_fn)]

pub mod chain;
pub mod codec;
pub mod error;
pub mod ffi;
pub mod wire;

pub use chain::{
    Codec, CodecBuilder, Workspace, DEFAULT_MAX_DECODED_SIZE, DEFAULT_MAX_TOTAL_DECODED_SIZE, MAX_LAYERS,
};
pub use codec::Compression;
pub use error::{Error, ErrorKind, Result};
