//! The codec server: the Temporal Web UI and CLI decode (and encode) payloads through
//! temporal-payload-codec, called directly in Rust, so what they show is decoded by the very
//! code the workers use.
//!
//! Modules by concern: [`config`] (TOML, secrets from env/files), [`payloads`] (proto3 JSON of
//! `Payloads` to protobuf and back), [`auth`] (bearer tokens, JWT/JWKS, roles), [`cors`],
//! [`routes`] (the HTTP surface and its log line), [`server`] (connections, timeouts, shutdown),
//! [`reload`] (the configuration in force, SIGHUP), [`tls`] (HTTPS, client certificates),
//! [`metrics`] (Prometheus), [`limits`] (per-client limits), [`health`] (readiness).

#![forbid(unsafe_code)]

pub mod auth;
pub mod config;
pub mod cors;
pub mod health;
pub mod limits;
pub mod metrics;
pub mod payloads;
pub mod reload;
pub mod routes;
pub mod server;
pub mod tls;
