//! The C ABI of temporal-payload-codec, version 2: `include/temporal_payload_codec.h`,
//! generated from this crate by cbindgen (build.rs), over the safe core in `core/`
//! (`temporal-payload-codec-core`).
//!
//! This crate is the only place with `unsafe` code (the core forbids it): each block says why
//! it is sound. One module per C object, as rustls-ffi lays its C API out, in the order the
//! header shows them, which is the order of the tiers (zstd.h's layout):
//! - `simple`: `tpc_encode` / `tpc_decode` with the default codec;
//! - `builder` and `codec`: a configured `tpc_codec`, and its advanced calls (decode into
//!   caller memory, scatter-gather encode);
//! - `workspace`: the advanced tier's reusable encode memory;
//! - `buffer` and `status`: library-owned bytes, status codes and versions, common to all.
//!
//! `boundary` holds what every export shares: NULL checks, borrowing caller memory, and the
//! guard that turns errors and panics into statuses, so no panic crosses the boundary.
//!
//! Conventions (the header's opening comment is the user-facing version):
//! - Fallible calls return a `tpc_status` (0 = OK); results go out through pointers, written
//!   only on success (and, for `TPC_ERR_BUFFER_TOO_SMALL`, the size needed). `err`, when not
//!   NULL, receives a UTF-8 message (not NUL-terminated) on failure, to be released with
//!   `tpc_buffer_free`.
//! - Bytes handed out are owned by the library and released only by `tpc_buffer_free`.
//! - No global or thread-local mutable state: a `tpc_codec` is immutable and shareable.

#![deny(unsafe_op_in_unsafe_fn)]
#![allow(non_camel_case_types)]

mod boundary;
mod buffer;
mod builder;
mod codec;
mod simple;
mod status;
mod workspace;

pub use buffer::*;
pub use builder::*;
pub use codec::*;
pub use simple::*;
pub use status::*;
pub use workspace::*;
