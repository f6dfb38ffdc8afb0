//! Who may call: static bearer tokens and JWTs verified against a JWKS, each granting a role.
//! A reader may decode; a writer may also encode.
//!
//! Static tokens are kept only as SHA-256 digests and compared in constant time (a digest of
//! the presented token against every configured digest, without stopping at the first match),
//! so neither timing nor a memory dump of the config reveals them.

use crate::limits::ClientKey;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokio::sync::RwLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Reader,
    Writer,
}

/// Why a request was refused. The reason is for the log line and the response body: it never
/// holds the credential itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// 401: no credentials, or none that verify.
    Unauthenticated(String),
    /// 403: valid credentials without the role this operation needs.
    Forbidden(String),
}

pub struct StaticToken {
    role: Role,
    digest: [u8; 32],
}

impl StaticToken {
    pub fn new(role: Role, secret: &[u8]) -> Self {
        StaticToken {
            role,
            digest: Sha256::digest(secret).into(),
        }
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StaticToken({:?}, <redacted>)", self.role)
    }
}

fn default_roles_claim() -> String {
    "roles".into()
}
fn default_reader_role() -> String {
    "codec-reader".into()
}
fn default_writer_role() -> String {
    "codec-writer".into()
}
fn default_algorithms() -> Vec<Algorithm> {
    vec![Algorithm::RS256, Algorithm::ES256]
}
fn default_refresh_secs() -> u64 {
    300
}
fn default_leeway_secs() -> u64 {
    30
}
fn default_max_age_secs() -> u64 {
    900
}

/// `[namespaces.NAME.auth.jwt]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtConfig {
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// Required `iss`, when set.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Required `aud`, when set.
    #[serde(default)]
    pub audience: Option<String>,
    /// The claim holding roles: an array of strings or one space-separated string.
    #[serde(default = "default_roles_claim")]
    pub roles_claim: String,
    #[serde(default = "default_reader_role")]
    pub reader_role: String,
    #[serde(default = "default_writer_role")]
    pub writer_role: String,
    /// Accepted signature algorithms; HMAC ones are refused (a JWKS is for public keys).
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<Algorithm>,
    /// How often keys are reloaded; an unknown `kid` also reloads, at most every 30 s.
    #[serde(default = "default_refresh_secs")]
    pub refresh_secs: u64,
    #[serde(default = "default_leeway_secs")]
    pub leeway_secs: u64,
    /// `/readyz` says not ready while the keys in use were loaded longer ago than this (the
    /// identity provider has been unreachable for that long).
    #[serde(default = "default_max_age_secs")]
    pub max_age_secs: u64,
}

impl JwtConfig {
    pub fn validate(self) -> Result<JwtVerifier, String> {
        match (&self.jwks_file, &self.jwks_url) {
            (Some(_), None) | (None, Some(_)) => {}
            _ => return Err("set exactly one of `jwks_file` and `jwks_url`".into()),
        }
        if let Some(url) = &self.jwks_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(format!("jwks_url {url:?} is not an http(s) URL"));
            }
        }
        if self.algorithms.is_empty() {
            return Err("algorithms is empty".into());
        }
        if let Some(a) = self
            .algorithms
            .iter()
            .find(|a| matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512))
        {
            return Err(format!("algorithm {a:?} is symmetric; a JWKS holds public keys"));
        }
        if self.reader_role == self.writer_role {
            return Err("reader_role and writer_role must differ".into());
        }
        if self.max_age_secs <= self.refresh_secs {
            return Err(format!(
                "max_age_secs ({}) must be more than refresh_secs ({}), or readiness would flap between refreshes",
                self.max_age_secs, self.refresh_secs
            ));
        }
        Ok(JwtVerifier {
            config: self,
            keys: RwLock::new(None),
            last_load: Mutex::new(None),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| format!("HTTP client: {e}"))?,
        })
    }
}

struct LoadedKey {
    kid: Option<String>,
    alg: Option<String>,
    key: DecodingKey,
}

struct KeySet {
    keys: Vec<LoadedKey>,
    loaded_at: Instant,
}

pub struct JwtVerifier {
    config: JwtConfig,
    keys: RwLock<Option<KeySet>>,
    /// When the last load was tried, for rate limiting reloads on an unknown kid.
    last_load: Mutex<Option<Instant>>,
    http: reqwest::Client,
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("jwks_file", &self.config.jwks_file)
            .field("jwks_url", &self.config.jwks_url)
            .field("issuer", &self.config.issuer)
            .field("audience", &self.config.audience)
            .finish_non_exhaustive()
    }
}

/// Names a JWT error without quoting the token: serde and base64 errors may show parts of it,
/// and the reason ends up in the log line.
fn jwt_error(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::Json(_) => "malformed JSON".into(),
        K::Base64(_) => "malformed base64".into(),
        K::Utf8(_) => "malformed UTF-8".into(),
        K::MissingRequiredClaim(c) => format!("missing claim {c:?}"),
        K::InvalidClaimFormat(c) => format!("claim {c:?} has the wrong type"),
        other => format!("{other:?}"),
    }
}

const MIN_RELOAD: Duration = Duration::from_secs(30);

fn parse_jwks(bytes: &[u8]) -> Result<Vec<LoadedKey>, String> {
    let set: JwkSet = serde_json::from_slice(bytes).map_err(|e| format!("not a JWKS: {e}"))?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        keys.push(load_jwk(jwk)?);
    }
    if keys.is_empty() {
        return Err("the JWKS holds no keys".into());
    }
    Ok(keys)
}

fn load_jwk(jwk: &Jwk) -> Result<LoadedKey, String> {
    let kid = jwk.common.key_id.clone();
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("key {kid:?}: {e}"))?;
    let alg = jwk.common.key_algorithm.map(|a| format!("{a:?}"));
    Ok(LoadedKey { kid, alg, key })
}

impl JwtVerifier {
    /// Reads the JWKS from its file or URL. Errors name the source, not key material.
    pub async fn load(&self) -> Result<usize, String> {
        *self.last_load.lock().expect("not poisoned") = Some(Instant::now());
        let bytes = if let Some(path) = &self.config.jwks_file {
            tokio::fs::read(path)
                .await
                .map_err(|e| format!("cannot read JWKS file {}: {e}", path.display()))?
        } else {
            let url = self.config.jwks_url.as_deref().expect("validated: file or url");
            let resp = self
                .http
                .get(url)
                .send()
                .await
                .map_err(|e| format!("cannot fetch JWKS {url}: {e}"))?;
            if !resp.status().is_success() {
                return Err(format!("JWKS {url} answered {}", resp.status()));
            }
            resp.bytes()
                .await
                .map_err(|e| format!("cannot read JWKS {url}: {e}"))?
                .to_vec()
        };
        let keys = parse_jwks(&bytes)?;
        let n = keys.len();
        *self.keys.write().await = Some(KeySet {
            keys,
            loaded_at: Instant::now(),
        });
        Ok(n)
    }

    /// Whether the last load was tried at least `min` ago (or never).
    fn may_reload(&self, min: Duration) -> bool {
        let last = *self.last_load.lock().expect("not poisoned");
        last.is_none_or(|t| t.elapsed() >= min)
    }

    async fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<DecodingKey> {
        let guard = self.keys.read().await;
        let set = guard.as_ref()?;
        let alg = format!("{alg:?}");
        let fits = |k: &&LoadedKey| k.alg.as_deref().is_none_or(|a| a == alg);
        match kid {
            Some(kid) => set
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid))
                .filter(fits),
            // Without a kid, only an unambiguous set will do.
            None if set.keys.len() == 1 => set.keys.first().filter(fits),
            None => None,
        }
        .map(|k| k.key.clone())
    }

    /// How long ago the keys in use were loaded; None: never.
    pub async fn age(&self) -> Option<Duration> {
        self.keys.read().await.as_ref().map(|s| s.loaded_at.elapsed())
    }

    /// `max_age_secs`: past it, the server is not ready.
    pub fn max_age(&self) -> Duration {
        Duration::from_secs(self.config.max_age_secs)
    }

    /// Reloads the keys when `refresh_secs` have passed since they were loaded, trying again
    /// at most every `refresh_secs` (or 30 s, if shorter) while the provider fails; a failure
    /// keeps the keys already loaded.
    pub async fn refresh_if_due(&self) {
        let retry = Duration::from_secs(self.config.refresh_secs).min(MIN_RELOAD);
        if self.stale().await && self.may_reload(retry) {
            if let Err(e) = self.load().await {
                tracing::warn!(error = %e, "JWKS reload failed; keeping the keys already loaded");
            }
        }
    }

    async fn stale(&self) -> bool {
        let refresh = Duration::from_secs(self.config.refresh_secs);
        match &*self.keys.read().await {
            None => true,
            Some(s) => s.loaded_at.elapsed() >= refresh,
        }
    }

    /// Verifies a JWT and returns the role it grants (None: valid, but no codec role).
    pub async fn verify(&self, token: &str) -> Result<Option<Role>, String> {
        self.verify_claims(token).await.map(|v| v.role)
    }

    /// Verifies a JWT: the role it grants and who it names.
    async fn verify_claims(&self, token: &str) -> Result<Verified, String> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| format!("not a valid JWT: {}", jwt_error(&e)))?;
        if !self.config.algorithms.contains(&header.alg) {
            return Err(format!("JWT algorithm {:?} is not accepted", header.alg));
        }
        self.refresh_if_due().await;
        let mut key = self.find(header.kid.as_deref(), header.alg).await;
        if key.is_none() && self.may_reload(MIN_RELOAD) {
            // A key rotation at the issuer: look again, once in a while.
            if let Err(e) = self.load().await {
                tracing::warn!(error = %e, "JWKS reload failed");
            }
            key = self.find(header.kid.as_deref(), header.alg).await;
        }
        let key = key.ok_or_else(|| format!("no JWKS key for kid {:?}", header.kid))?;
        let mut v = Validation::new(header.alg);
        v.leeway = self.config.leeway_secs;
        v.validate_nbf = true;
        // jsonwebtoken checks `iss` and `aud` only when the token has them: a configured one
        // must also be present, or a token minted for another service without them would do.
        let mut required = vec!["exp"];
        match &self.config.issuer {
            Some(iss) => {
                v.set_issuer(&[iss]);
                required.push("iss");
            }
            None => v.iss = None,
        }
        match &self.config.audience {
            Some(aud) => {
                v.set_audience(&[aud]);
                required.push("aud");
            }
            None => v.validate_aud = false,
        }
        v.set_required_spec_claims(&required);
        let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &v)
            .map_err(|e| format!("JWT rejected: {}", jwt_error(&e)))?;
        let roles: Vec<&str> = match data.claims.get(&self.config.roles_claim) {
            Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
            Some(serde_json::Value::String(s)) => s.split_whitespace().collect(),
            _ => Vec::new(),
        };
        let role = if roles.contains(&self.config.writer_role.as_str()) {
            Some(Role::Writer)
        } else if roles.contains(&self.config.reader_role.as_str()) {
            Some(Role::Reader)
        } else {
            None
        };
        let claim = |name: &str| data.claims.get(name).and_then(|v| v.as_str());
        let client = claim("sub").map(|sub| {
            ClientKey::credential(&[b"jwt", claim("iss").unwrap_or("").as_bytes(), sub.as_bytes()])
        });
        Ok(Verified { role, client })
    }
}

struct Verified {
    role: Option<Role>,
    client: Option<ClientKey>,
}

/// Credentials that passed: the role, and the client they identify (for the per-client
/// limits; None for a JWT without a subject).
#[derive(Debug)]
pub struct Grant {
    pub role: Role,
    pub client: Option<ClientKey>,
}

/// Credentials refused: the error, and its reason as the metrics count it (a fixed word).
#[derive(Debug)]
pub struct Denied {
    pub error: AuthError,
    pub reason: &'static str,
}

fn denied(reason: &'static str, error: AuthError) -> Denied {
    Denied { error, reason }
}

/// The token of an `Authorization: Bearer <token>` value. The scheme name is
/// case-insensitive (RFC 9110, 11.1): `bearer` and `BEARER` are the same scheme.
fn bearer_token(header: &[u8]) -> Option<&[u8]> {
    let space = header.iter().position(|&b| b == b' ')?;
    let (scheme, rest) = header.split_at(space);
    let token = rest.trim_ascii();
    (scheme.eq_ignore_ascii_case(b"Bearer") && !token.is_empty()).then_some(token)
}

#[derive(Debug)]
pub struct Auth {
    tokens: Vec<StaticToken>,
    jwt: Option<JwtVerifier>,
}

impl Auth {
    pub fn new(tokens: Vec<StaticToken>, jwt: Option<JwtVerifier>) -> Self {
        Auth { tokens, jwt }
    }

    pub fn jwt(&self) -> Option<&JwtVerifier> {
        self.jwt.as_ref()
    }

    /// The role of the static token equal to `presented`, compared in constant time, and the
    /// presented token's digest.
    fn static_role(&self, presented: &[u8]) -> (Option<Role>, [u8; 32]) {
        let digest: [u8; 32] = Sha256::digest(presented).into();
        let mut best = None;
        for t in &self.tokens {
            // No early exit: every configured token is compared on every request.
            let equal: bool = t.digest.ct_eq(&digest).into();
            if equal {
                best = best.max(Some(t.role));
            }
        }
        (best, digest)
    }

    /// Checks an `Authorization` header value for an operation needing `need`.
    pub async fn authorize(&self, header: Option<&[u8]>, need: Role) -> Result<Role, AuthError> {
        self.authorize_client(header, need)
            .await
            .map(|g| g.role)
            .map_err(|d| d.error)
    }

    /// [`Auth::authorize`], also saying who the client is, or why it was refused.
    pub async fn authorize_client(&self, header: Option<&[u8]>, need: Role) -> Result<Grant, Denied> {
        use AuthError::{Forbidden, Unauthenticated};
        let header =
            header.ok_or_else(|| denied("missing", Unauthenticated("no Authorization header".into())))?;
        let token = bearer_token(header).ok_or_else(|| {
            denied(
                "malformed",
                Unauthenticated("Authorization is not `Bearer <token>`".into()),
            )
        })?;
        let (role, client) = match self.static_role(token) {
            (Some(role), digest) => (Some(role), Some(ClientKey::credential(&[b"token", &digest]))),
            (None, _) => match (&self.jwt, std::str::from_utf8(token)) {
                // Three dot-separated parts: worth verifying as a JWT.
                (Some(jwt), Ok(t)) if t.split('.').count() == 3 => {
                    let v = jwt
                        .verify_claims(t)
                        .await
                        .map_err(|m| denied("invalid_jwt", Unauthenticated(m)))?;
                    (v.role, v.client)
                }
                _ => {
                    return Err(denied(
                        "invalid_token",
                        Unauthenticated("invalid bearer token".into()),
                    ))
                }
            },
        };
        let Some(role) = role else {
            return Err(denied(
                "no_role",
                Forbidden("the JWT grants no codec role".into()),
            ));
        };
        if role < need {
            return Err(denied(
                "role",
                Forbidden(format!("{need:?} role needed, credentials grant {role:?}")),
            ));
        }
        Ok(Grant { role, client })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth::new(
            vec![
                StaticToken::new(Role::Reader, b"reader-secret-0123456789"),
                StaticToken::new(Role::Writer, b"writer-secret-0123456789"),
            ],
            None,
        )
    }

    #[tokio::test]
    async fn static_token_matrix() {
        let a = auth();
        let r = Some(&b"Bearer reader-secret-0123456789"[..]);
        let w = Some(&b"Bearer writer-secret-0123456789"[..]);
        assert_eq!(a.authorize(r, Role::Reader).await, Ok(Role::Reader));
        assert!(matches!(
            a.authorize(r, Role::Writer).await,
            Err(AuthError::Forbidden(_))
        ));
        assert_eq!(a.authorize(w, Role::Reader).await, Ok(Role::Writer));
        assert_eq!(a.authorize(w, Role::Writer).await, Ok(Role::Writer));
        for scheme in ["bearer", "BEARER", "bEaReR"] {
            let h = format!("{scheme} reader-secret-0123456789");
            assert_eq!(
                a.authorize(Some(h.as_bytes()), Role::Reader).await,
                Ok(Role::Reader),
                "{scheme}"
            );
        }
        for bad in [
            None,
            Some(&b""[..]),
            Some(b"Bearer "),
            Some(b"Bearer"),
            Some(b"Bearerreader-secret-0123456789"),
            Some(b"Bearer: reader-secret-0123456789"),
            Some(b"Token reader-secret-0123456789"),
            Some(b"reader-secret-0123456789"),
            Some(b"Basic cmVhZGVyOnNlY3JldA=="),
            Some(b"Bearer reader-secret-012345678"),
            Some(b"Bearer reader-secret-01234567890"),
            Some(b"Bearer a.b.c"),
        ] {
            let e = a.authorize(bad, Role::Reader).await.unwrap_err();
            assert!(matches!(e, AuthError::Unauthenticated(_)), "{bad:?}: {e:?}");
        }
    }

    #[tokio::test]
    async fn refusals_have_a_reason_and_grants_a_client() {
        let a = auth();
        for (header, reason) in [
            (None, "missing"),
            (Some(&b"Basic abc"[..]), "malformed"),
            (Some(b"Bearer not-a-configured-token"), "invalid_token"),
            (Some(b"Bearer reader-secret-0123456789"), "role"),
        ] {
            let d = a.authorize_client(header, Role::Writer).await.unwrap_err();
            assert_eq!(d.reason, reason, "{header:?}");
        }
        let r = a
            .authorize_client(Some(b"Bearer reader-secret-0123456789"), Role::Reader)
            .await
            .unwrap();
        let w = a
            .authorize_client(Some(b"Bearer writer-secret-0123456789"), Role::Reader)
            .await
            .unwrap();
        // Each token is its own client, identified by a digest, never the token itself.
        assert_ne!(r.client, w.client);
        assert!(r.client.is_some());
        assert!(!format!("{:?}", r.client).contains("secret"));
    }

    #[test]
    fn debug_hides_tokens() {
        let dbg = format!("{:?}", auth());
        assert!(!dbg.contains("secret"), "{dbg}");
        assert!(dbg.contains("Reader") && dbg.contains("redacted"), "{dbg}");
    }

    #[test]
    fn jwt_config_is_checked() {
        let base = || JwtConfig {
            jwks_file: Some("x".into()),
            jwks_url: None,
            issuer: None,
            audience: None,
            roles_claim: default_roles_claim(),
            reader_role: default_reader_role(),
            writer_role: default_writer_role(),
            algorithms: default_algorithms(),
            refresh_secs: 300,
            leeway_secs: 0,
            max_age_secs: 900,
        };
        assert!(base().validate().is_ok());
        let mut c = base();
        c.jwks_url = Some("https://idp/jwks".into());
        assert!(c.validate().unwrap_err().contains("exactly one"));
        let mut c = base();
        c.algorithms = vec![Algorithm::HS256];
        assert!(c.validate().unwrap_err().contains("symmetric"));
        let mut c = base();
        c.jwks_file = None;
        c.jwks_url = Some("ftp://x".into());
        assert!(c.validate().unwrap_err().contains("not an http"));
        let mut c = base();
        c.max_age_secs = 300;
        assert!(c
            .validate()
            .unwrap_err()
            .contains("max_age_secs (300) must be more than refresh_secs (300)"));
    }
}
