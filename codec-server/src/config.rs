//! The TOML configuration: what it may say, and turning it into codecs and authenticators.
//!
//! Secrets (AES keys, bearer tokens) are never written in the file itself: the file names an
//! environment variable or a file that holds each one, so the config can be committed, shown
//! and logged. What is read from those sources is kept out of every `Debug` and error message.

use crate::auth::{Auth, JwtConfig, Role, StaticToken};
use crate::limits::LimitsConfig;
use crate::metrics::MetricsConfig;
use crate::tls::{ClientCa, ServerTls};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use temporal_payload_codec_core::{Codec, Compression};
use zeroize::Zeroizing;

/// The namespace entry that applies to namespaces not listed (and to requests naming none).
pub const ANY_NAMESPACE: &str = "*";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub cors: CorsConfig,
    #[serde(default)]
    pub namespaces: BTreeMap<String, NamespaceConfig>,
    #[serde(default)]
    pub limits: LimitsConfig,
    #[serde(default)]
    pub metrics: MetricsConfig,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Request bodies larger than this are refused with 413.
    pub max_body_bytes: usize,
    /// Whole request, from the end of its headers to the response: 408 after it.
    pub request_timeout_ms: u64,
    /// Time a client has to send its request headers (slow clients hold connections otherwise).
    pub header_read_timeout_ms: u64,
    /// On SIGTERM, requests in flight get this long to finish.
    pub shutdown_grace_ms: u64,
    /// Connections served at once; more wait in the accept queue.
    pub max_connections: usize,
    /// Connections open at once from one address (an IPv6 /64); more are closed at accept.
    pub max_connections_per_address: usize,
    /// A connection with no request in progress (before its first request's headers are
    /// complete, or between keep-alive requests) closes after this long; shorter than
    /// `header_read_timeout_ms`, so idle sockets give way to new clients first.
    pub idle_timeout_ms: u64,
    /// HTTPS instead of plain HTTP.
    pub tls: Option<TlsFiles>,
}

/// `[server.tls]`: PEM files, relative to the config file's folder.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The server's certificate, then any intermediates.
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8888)),
            max_body_bytes: 16 << 20,
            request_timeout_ms: 30_000,
            header_read_timeout_ms: 10_000,
            shutdown_grace_ms: 10_000,
            max_connections: 1024,
            max_connections_per_address: 256,
            idle_timeout_ms: 5_000,
            tls: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsConfig {
    /// Exact origins (`scheme://host[:port]`) allowed to call from a browser, such as the Web UI.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceConfig {
    /// none | snappy | snappy-raw | zlib; what `/encode` writes. `/decode` peels every layer.
    #[serde(default = "default_compression")]
    pub compression: String,
    #[serde(default)]
    pub zlib_level: Option<u32>,
    #[serde(default)]
    pub only_if_smaller: bool,
    /// Id of the key that encrypts on `/encode`; without it, `/encode` does not encrypt. The
    /// empty id is an id like any other (Temporal's Go encryption sample writes one).
    /// `encryption_key` is the deprecated name.
    #[serde(default, alias = "encryption_key")]
    pub encryption_key_id: Option<String>,
    /// Largest decoded size of one payload. `max_decoded_bytes` is the deprecated name.
    #[serde(default, alias = "max_decoded_bytes")]
    pub max_decoded_size: Option<usize>,
    /// Most bytes one request's decode may produce, every payload and layer counted (the
    /// core's default when unset): what bounds the memory a hostile batch can take.
    #[serde(default)]
    pub max_total_decoded_size: Option<usize>,
    #[serde(default)]
    pub keys: Vec<KeyConfig>,
    /// Without it, anyone who reaches the server may encode and decode this namespace.
    #[serde(default)]
    pub auth: Option<AuthConfig>,
    /// mTLS: requests for this namespace need a client certificate signed by this CA (PEM).
    #[serde(default)]
    pub client_ca_file: Option<PathBuf>,
}

fn default_compression() -> String {
    "snappy".into()
}

/// Where a secret comes from: exactly one of `env` and `file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSource {
    #[serde(default)]
    pub env: Option<String>,
    #[serde(default)]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    pub id: String,
    #[serde(flatten)]
    pub source: SecretSource,
    /// hex (default) | base64 | raw (files only: the 32 bytes themselves).
    #[serde(default = "default_key_format")]
    pub format: String,
}

fn default_key_format() -> String {
    "hex".into()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
    #[serde(default)]
    pub jwt: Option<JwtConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// reader (may decode) or writer (may also encode).
    pub role: Role,
    #[serde(flatten)]
    pub source: SecretSource,
}

/// A configuration error: names the setting, never a secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

fn cerr(msg: impl Into<String>) -> ConfigError {
    ConfigError(msg.into())
}

/// One namespace, ready to serve. Its Debug shows key ids, codec settings and auth kinds only:
/// the codec's own Debug shows no key bytes.
#[derive(Debug)]
pub struct Namespace {
    pub name: String,
    pub codec: Codec,
    pub auth: Option<Auth>,
    /// mTLS: the CA a client certificate must lead to.
    pub client_ca: Option<ClientCa>,
    /// The ids of its keys, as configured, and the one `/encode` encrypts with.
    pub key_ids: Vec<String>,
    pub encryption_key_id: Option<String>,
    /// What a reload compares to say what changed, without keeping any secret.
    pub(crate) fingerprints: Fingerprints,
}

/// Digests of a namespace's key material (per key id) and of everything else it holds
/// (settings, token digests, the JWT settings, client CA): a reload tells from them that a
/// key's bytes or a token changed without logging or keeping either. Debug shows none.
#[derive(Default, PartialEq, Eq)]
pub(crate) struct Fingerprints {
    pub keys: BTreeMap<String, [u8; 32]>,
    pub rest: [u8; 32],
}

impl fmt::Debug for Fingerprints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fingerprints(..)")
    }
}

/// The whole configuration, resolved: secrets read, codecs built.
#[derive(Debug)]
pub struct Config {
    pub server: ServerConfig,
    pub cors: CorsConfig,
    pub namespaces: BTreeMap<String, Namespace>,
    /// `[limits]`: per client.
    pub limits: LimitsConfig,
    /// `[metrics]`.
    pub metrics: MetricsConfig,
    /// `[server.tls]`, loaded.
    pub tls: Option<ServerTls>,
}

impl ServerConfig {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms)
    }
}

/// Reads environment variables; a seam so tests need not change the process environment.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn var(&self, name: &str) -> Option<String> {
        self.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }
}

impl SecretSource {
    fn describe(&self) -> String {
        match (&self.env, &self.file) {
            (Some(e), None) => format!("environment variable {e}"),
            (None, Some(f)) => format!("file {}", f.display()),
            _ => "secret source".into(),
        }
    }

    /// Reads the secret; relative files are relative to the config file's folder.
    fn read(&self, what: &str, base: &Path, env: &dyn Env) -> Result<Zeroizing<Vec<u8>>, ConfigError> {
        match (&self.env, &self.file) {
            (Some(name), None) => env
                .var(name)
                .filter(|v| !v.is_empty())
                .map(|v| Zeroizing::new(v.into_bytes()))
                .ok_or_else(|| cerr(format!("{what}: environment variable {name} is not set or empty"))),
            (None, Some(path)) => {
                let path = base.join(path);
                std::fs::read(&path)
                    .map(Zeroizing::new)
                    .map_err(|e| cerr(format!("{what}: cannot read file {}: {e}", path.display())))
            }
            _ => Err(cerr(format!("{what}: set exactly one of `env` and `file`"))),
        }
    }
}

fn read_key(k: &KeyConfig, ns: &str, base: &Path, env: &dyn Env) -> Result<Zeroizing<Vec<u8>>, ConfigError> {
    let what = format!("namespace {ns:?} key {:?}", k.id);
    let raw = k.source.read(&what, base, env)?;
    let key = match k.format.as_str() {
        "raw" if k.source.file.is_some() => raw,
        "raw" => return Err(cerr(format!("{what}: format \"raw\" is for files only"))),
        "hex" => Zeroizing::new(
            hex::decode(raw.trim_ascii())
                .map_err(|_| cerr(format!("{what}: {} does not hold hex", k.source.describe())))?,
        ),
        "base64" => Zeroizing::new(
            base64_simd::STANDARD
                .decode_to_vec(raw.trim_ascii())
                .map_err(|_| cerr(format!("{what}: {} does not hold base64", k.source.describe())))?,
        ),
        other => {
            return Err(cerr(format!(
                "{what}: unknown format {other:?} (hex, base64 or raw)"
            )))
        }
    };
    if key.len() != 32 {
        return Err(cerr(format!(
            "{what}: {} holds {} bytes, AES-256 needs 32",
            k.source.describe(),
            key.len()
        )));
    }
    Ok(key)
}

fn parse_compression(name: &str) -> Option<Compression> {
    Some(match name {
        "none" => Compression::None,
        "snappy" => Compression::Snappy,
        "snappy-raw" => Compression::SnappyRaw,
        "zlib" => Compression::Zlib,
        _ => return None,
    })
}

fn build_namespace(
    name: &str,
    c: NamespaceConfig,
    base: &Path,
    env: &dyn Env,
) -> Result<Namespace, ConfigError> {
    let what = format!("namespace {name:?}");
    // Keys and the encryption key id are compared apart, by id.
    let mut rest = Sha256::new();
    rest.update(format!(
        "{:?}",
        (
            &c.compression,
            c.zlib_level,
            c.only_if_smaller,
            c.max_decoded_size,
            c.max_total_decoded_size,
            &c.auth,
            &c.client_ca_file,
        )
    ));
    let mut fingerprints = Fingerprints::default();
    let mut b = Codec::builder();
    let compression = parse_compression(&c.compression).ok_or_else(|| {
        cerr(format!(
            "{what}: unknown compression {:?} (none, snappy, snappy-raw or zlib)",
            c.compression
        ))
    })?;
    b.compression(compression).only_if_smaller(c.only_if_smaller);
    let codec_err = |e: temporal_payload_codec_core::Error| cerr(format!("{what}: {}", e.message()));
    if let Some(level) = c.zlib_level {
        b.zlib_level(level).map_err(codec_err)?;
    }
    if let Some(max) = c.max_decoded_size {
        b.max_decoded_size(max).map_err(codec_err)?;
    }
    if let Some(max) = c.max_total_decoded_size {
        b.max_total_decoded_size(max).map_err(codec_err)?;
    }
    for k in &c.keys {
        let key = read_key(k, name, base, env)?;
        b.add_key(&k.id, &key).map_err(codec_err)?;
        let digest = Sha256::new().chain_update(b"key material\0").chain_update(&*key);
        fingerprints.keys.insert(k.id.clone(), digest.finalize().into());
    }
    if let Some(id) = &c.encryption_key_id {
        b.encryption_key_id(id);
    }
    let codec = b.build().map_err(codec_err)?;
    let auth = match c.auth {
        None => None,
        Some(a) => {
            if a.tokens.is_empty() && a.jwt.is_none() {
                return Err(cerr(format!(
                    "{what}: [auth] lists no tokens and no jwt, so nobody could call it; remove [auth] to turn auth off"
                )));
            }
            let mut tokens = Vec::new();
            for (i, t) in a.tokens.iter().enumerate() {
                let secret = t.source.read(&format!("{what} auth token {i}"), base, env)?;
                let secret = secret.trim_ascii();
                if secret.len() < 16 {
                    return Err(cerr(format!(
                        "{what} auth token {i}: {} holds fewer than 16 characters",
                        t.source.describe()
                    )));
                }
                rest.update(Sha256::digest(secret));
                tokens.push(StaticToken::new(t.role, secret));
            }
            let jwt = match a.jwt {
                None => None,
                Some(mut j) => {
                    if let Some(f) = &j.jwks_file {
                        j.jwks_file = Some(base.join(f));
                    }
                    Some(j.validate().map_err(|e| cerr(format!("{what} auth jwt: {e}")))?)
                }
            };
            Some(Auth::new(tokens, jwt))
        }
    };
    let client_ca = match &c.client_ca_file {
        None => None,
        Some(file) => {
            let ca = ClientCa::load(&format!("{what} client_ca_file"), &base.join(file)).map_err(cerr)?;
            rest.update(ca.fingerprints().concat());
            Some(ca)
        }
    };
    fingerprints.rest = rest.finalize().into();
    Ok(Namespace {
        name: name.to_owned(),
        codec,
        auth,
        client_ca,
        key_ids: c.keys.iter().map(|k| k.id.clone()).collect(),
        encryption_key_id: c.encryption_key_id,
        fingerprints,
    })
}

impl Config {
    /// Parses TOML text; `base` resolves relative file paths.
    pub fn from_toml(text: &str, base: &Path, env: &dyn Env) -> Result<Config, ConfigError> {
        let file: FileConfig = toml::from_str(text).map_err(|e| cerr(format!("invalid config: {e}")))?;
        let s = &file.server;
        if s.max_body_bytes == 0 {
            return Err(cerr("server.max_body_bytes must be at least 1"));
        }
        if s.request_timeout_ms == 0 || s.header_read_timeout_ms == 0 {
            return Err(cerr("server timeouts must be at least 1 ms"));
        }
        if s.max_connections == 0 {
            return Err(cerr("server.max_connections must be at least 1"));
        }
        if s.max_connections_per_address == 0 {
            return Err(cerr("server.max_connections_per_address must be at least 1"));
        }
        if s.idle_timeout_ms == 0 || s.idle_timeout_ms >= s.header_read_timeout_ms {
            return Err(cerr(format!(
                "server.idle_timeout_ms ({}) must be at least 1 and less than server.header_read_timeout_ms ({})",
                s.idle_timeout_ms, s.header_read_timeout_ms
            )));
        }
        file.limits.validate().map_err(cerr)?;
        for o in &file.cors.allowed_origins {
            crate::cors::check_origin(o).map_err(|e| cerr(format!("cors.allowed_origins: {e}")))?;
        }
        if file.namespaces.is_empty() {
            return Err(cerr(
                "no [namespaces.NAME] configured: add one, or [namespaces.\"*\"] for every namespace",
            ));
        }
        let mut namespaces = BTreeMap::new();
        for (name, c) in file.namespaces {
            if name.is_empty() {
                return Err(cerr("a namespace name is empty"));
            }
            let ns = build_namespace(&name, c, base, env)?;
            namespaces.insert(name, ns);
        }
        let client_cas: Vec<&ClientCa> = namespaces.values().filter_map(|n| n.client_ca.as_ref()).collect();
        let tls = match &file.server.tls {
            Some(t) => Some(
                ServerTls::load(&base.join(&t.cert_file), &base.join(&t.key_file), &client_cas)
                    .map_err(cerr)?,
            ),
            None if !client_cas.is_empty() => {
                let ns = namespaces
                    .values()
                    .find(|n| n.client_ca.is_some())
                    .map_or("", |n| &n.name);
                return Err(cerr(format!(
                    "namespace {ns:?} client_ca_file: client certificates need TLS; add [server.tls]"
                )));
            }
            None => None,
        };
        Ok(Config {
            server: file.server,
            cors: file.cors,
            namespaces,
            limits: file.limits,
            metrics: file.metrics,
            tls,
        })
    }

    pub fn load(path: &Path, env: &dyn Env) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| cerr(format!("cannot read config {}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::from_toml(&text, base, env)
    }

    /// The namespace a request names, or the `"*"` entry when that one is not listed.
    pub fn namespace(&self, name: Option<&str>) -> Option<&Namespace> {
        name.and_then(|n| self.namespaces.get(n))
            .or_else(|| self.namespaces.get(ANY_NAMESPACE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const TOKEN: &str = "reader-token-0123456789";

    fn load(text: &str, env: &dyn Env) -> Result<Config, ConfigError> {
        Config::from_toml(text, Path::new("/nonexistent"), env)
    }

    #[test]
    fn full_config_loads_and_debug_shows_no_secret() {
        let text = r#"
            [server]
            listen = "127.0.0.1:0"
            max_body_bytes = 1024
            [cors]
            allowed_origins = ["http://localhost:8233"]
            [namespaces.default]
            compression = "zlib"
            zlib_level = 9
            encryption_key_id = "k1"
            max_decoded_size = 4096
            max_total_decoded_size = 65536
            keys = [{ id = "k1", env = "KEY" }]
            [namespaces.default.auth]
            tokens = [{ role = "reader", env = "TOK" }]
        "#;
        let c = load(text, &[("KEY", KEY_HEX), ("TOK", TOKEN)]).unwrap();
        let dbg = format!("{c:?}");
        assert!(dbg.contains("k1"), "{dbg}");
        for secret in [KEY_HEX, "0, 1, 2, 3", "[0, 1, 2", TOKEN, "000102"] {
            assert!(!dbg.contains(secret), "Debug shows {secret}: {dbg}");
        }
        assert!(c.namespace(Some("default")).is_some());
        assert!(c.namespace(Some("other")).is_none());
        assert!(c.namespace(None).is_none());
    }

    #[test]
    fn star_namespace_is_the_fallback() {
        let c = load("[namespaces.\"*\"]\n[namespaces.a]\ncompression = \"none\"", &[]).unwrap();
        assert_eq!(c.namespace(Some("a")).unwrap().name, "a");
        assert_eq!(c.namespace(Some("b")).unwrap().name, "*");
        assert_eq!(c.namespace(None).unwrap().name, "*");
    }

    #[test]
    fn key_files_in_every_format() {
        let dir = std::env::temp_dir().join(format!("tpc-cs-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("k.hex"), format!("{KEY_HEX}\n")).unwrap();
        std::fs::write(dir.join("k.raw"), [7u8; 32]).unwrap();
        std::fs::write(
            dir.join("k.b64"),
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        )
        .unwrap();
        let text = r#"[namespaces.n]
            keys = [{ id = "a", file = "k.hex" }, { id = "b", file = "k.raw", format = "raw" },
                    { id = "c", file = "k.b64", format = "base64" }]"#;
        Config::from_toml(text, &dir, &[]).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn errors_name_the_setting_and_never_the_secret() {
        let short = "abcd";
        let cases: &[(&str, &str)] = &[
            ("", "no [namespaces"),
            (
                "[namespaces.n]\ncompression = \"lz4\"",
                "unknown compression \"lz4\"",
            ),
            ("[namespaces.n]\nbogus = 1", "unknown field `bogus`"),
            (
                "[namespaces.n]\nkeys = [{ id = \"k\", env = \"MISSING\" }]",
                "MISSING is not set",
            ),
            (
                "[namespaces.n]\nkeys = [{ id = \"k\", env = \"SHORT\" }]",
                "holds 2 bytes",
            ),
            (
                "[namespaces.n]\nkeys = [{ id = \"k\", env = \"NOTHEX\" }]",
                "does not hold hex",
            ),
            (
                "[namespaces.n]\nkeys = [{ id = \"k\", env = \"SHORT\", format = \"raw\" }]",
                "files only",
            ),
            (
                "[namespaces.n]\nkeys = [{ id = \"k\" }]",
                "exactly one of `env` and `file`",
            ),
            (
                "[namespaces.n]\nkeys = [{ id = \"k\", file = \"nope\" }]",
                "cannot read file /nonexistent/nope",
            ),
            ("[namespaces.n]\nencryption_key_id = \"k\"", "never added"),
            ("[namespaces.n]\nencryption_key = \"k\"", "never added"),
            (
                "[namespaces.n]\nencryption_key_id = \"\"",
                "encryption key \"\" was never added",
            ),
            (
                "[namespaces.n]\nencryption_key = \"k\"\nencryption_key_id = \"k\"",
                "duplicate field `encryption_key_id`",
            ),
            (
                "[namespaces.n]\nmax_decoded_bytes = 9\nmax_decoded_size = 9",
                "duplicate field `max_decoded_size`",
            ),
            ("[namespaces.n]\nmax_decoded_size = 0", "at least 1 byte"),
            ("[namespaces.n]\nmax_decoded_bytes = 0", "at least 1 byte"),
            ("[namespaces.n]\nzlib_level = 10", "out of range"),
            ("[namespaces.n]\n[namespaces.n.auth]", "no tokens and no jwt"),
            (
                "[namespaces.n]\nauth = { tokens = [{ role = \"reader\", env = \"SHORT\" }] }",
                "fewer than 16",
            ),
            (
                "[namespaces.n]\nauth = { tokens = [{ role = \"admin\", env = \"SHORT\" }] }",
                "unknown variant",
            ),
            (
                "[cors]\nallowed_origins = [\"*\"]\n[namespaces.n]",
                "cors.allowed_origins",
            ),
            ("[server]\nmax_body_bytes = 0\n[namespaces.n]", "max_body_bytes"),
            (
                "[namespaces.n]\nmax_total_decoded_size = 0",
                "max total decoded size must be at least 1 byte",
            ),
            (
                "[server.tls]\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n[namespaces.n]",
                "server.tls.cert_file: cannot read file /nonexistent/c.pem",
            ),
            (
                "[server.tls]\ncert_file = \"c.pem\"\n[namespaces.n]",
                "missing field `key_file`",
            ),
            (
                "[namespaces.n]\nclient_ca_file = \"ca.pem\"",
                "namespace \"n\" client_ca_file: cannot read file /nonexistent/ca.pem",
            ),
        ];
        let env = [("SHORT", short), ("NOTHEX", "zz-secret-zz")];
        for (text, needle) in cases {
            let e = load(text, &env).unwrap_err().0;
            assert!(e.contains(needle), "{text:?}: {e}");
            assert!(!e.contains("zz-secret-zz") && !e.contains(short), "{e}");
        }
    }

    /// A namespace's codec, used: encodes `data_len` bytes of json/plain, returns the encoded
    /// JSON and the result of decoding it back.
    fn encode_and_decode(c: &Config, data_len: usize) -> (serde_json::Value, Result<Vec<u8>, String>) {
        use crate::payloads::{json_to_proto, proto_to_json};
        let codec = &c.namespace(Some("n")).unwrap().codec;
        let body = serde_json::json!({"payloads": [{
            "metadata": {"encoding": "anNvbi9wbGFpbg=="},
            "data": base64_simd::STANDARD.encode_to_string(vec![b'x'; data_len]),
        }]});
        let (proto, _) = json_to_proto(body.to_string().as_bytes()).unwrap();
        let encoded = codec.encode(&proto).unwrap();
        let (json, _) = proto_to_json(&encoded).unwrap();
        let decoded = codec.decode(&encoded).map_err(|e| e.message().to_owned());
        if let Ok(d) = &decoded {
            assert_eq!(*d, proto, "decode is not the input");
        }
        (serde_json::from_slice(&json).unwrap(), decoded)
    }

    fn metadata(v: &serde_json::Value, key: &str) -> Option<Vec<u8>> {
        let b64 = v["payloads"][0]["metadata"][key].as_str()?;
        Some(base64_simd::STANDARD.decode_to_vec(b64).unwrap())
    }

    #[test]
    fn new_names_and_deprecated_aliases_configure_the_same_codec() {
        for (enc, max) in [
            ("encryption_key_id", "max_decoded_size"),
            ("encryption_key", "max_decoded_bytes"),
        ] {
            let text = format!(
                "[namespaces.n]\ncompression = \"none\"\n{enc} = \"k1\"\n{max} = 1000\n\
                 keys = [{{ id = \"k0\", env = \"KEY\" }}, {{ id = \"k1\", env = \"KEY\" }}]"
            );
            let c = load(&text, &[("KEY", KEY_HEX)]).unwrap();
            let (json, decoded) = encode_and_decode(&c, 100);
            assert_eq!(metadata(&json, "encoding").unwrap(), b"binary/encrypted", "{enc}");
            assert_eq!(metadata(&json, "encryption-key-id").unwrap(), b"k1", "{enc}");
            decoded.unwrap();
            // The per-payload limit is in force: 2000 bytes of data decode past 1000.
            let (_, decoded) = encode_and_decode(&c, 2000);
            let e = decoded.unwrap_err();
            assert!(e.contains("1000"), "{max}: {e}");
        }
    }

    #[test]
    fn the_empty_key_id_is_a_key_id() {
        // As Temporal's Go encryption sample writes it: `encryption-key-id: ""`.
        let text = "[namespaces.n]\nencryption_key_id = \"\"\nkeys = [{ id = \"\", env = \"KEY\" }]";
        let c = load(text, &[("KEY", KEY_HEX)]).unwrap();
        let (json, decoded) = encode_and_decode(&c, 100);
        assert_eq!(metadata(&json, "encoding").unwrap(), b"binary/encrypted");
        assert_eq!(metadata(&json, "encryption-key-id").unwrap(), b"");
        decoded.unwrap();
        // The key alone, not named for encryption: /encode compresses only.
        let text = "[namespaces.n]\ncompression = \"zlib\"\nkeys = [{ id = \"\", env = \"KEY\" }]";
        let c = load(text, &[("KEY", KEY_HEX)]).unwrap();
        let (json, decoded) = encode_and_decode(&c, 100);
        assert_eq!(metadata(&json, "encoding").unwrap(), b"binary/zlib");
        decoded.unwrap();
        // Added twice: refused, naming the id.
        let text = "[namespaces.n]\nkeys = [{ id = \"\", env = \"KEY\" }, { id = \"\", env = \"KEY\" }]";
        let e = load(text, &[("KEY", KEY_HEX)]).unwrap_err().0;
        assert!(e.contains("\"\" was added twice"), "{e}");
    }
}
