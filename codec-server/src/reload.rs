//! The configuration in force, and replacing it without a restart (SIGHUP).
//!
//! [`Live`] holds the current [`Config`] and the router built from it behind one lock that is
//! held only to clone an `Arc`. Each request takes the generation current when it starts and
//! keeps it to the end, so a reload never changes a request halfway, and no connection is
//! closed by it: a keep-alive connection's next request simply runs on the new generation.
//! A TLS connection keeps the certificate it was accepted with; new ones get the new one.
//!
//! A reload is all or nothing: the whole file, every key, token, certificate and JWKS it
//! names, must load, or the old configuration stays and the log says which setting was wrong.
//! Settings bound to the listening sockets and the accept loop (`server.listen`,
//! `header_read_timeout_ms`, `max_connections`, `max_connections_per_address`,
//! `idle_timeout_ms`, `shutdown_grace_ms`, `metrics.listen`) keep their values until a restart
//! (a warning says so when the file changed them); turning TLS on or off is refused.

use crate::config::{Config, ConfigError, Env, Namespace};
use axum::Router;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

type BuildApp = dyn Fn(Arc<Config>) -> Router + Send + Sync;

/// One configuration and the router serving it.
pub struct Generation {
    pub config: Arc<Config>,
    pub app: Router,
}

/// The configuration in force; see the module docs.
pub struct Live {
    current: RwLock<Arc<Generation>>,
    build_app: Box<BuildApp>,
}

impl Live {
    /// `build_app` makes the router for a configuration (`routes::app`, or a closure around it
    /// holding state that outlives reloads).
    pub fn new(
        config: Arc<Config>,
        build_app: impl Fn(Arc<Config>) -> Router + Send + Sync + 'static,
    ) -> Arc<Live> {
        let app = build_app(Arc::clone(&config));
        Arc::new(Live {
            current: RwLock::new(Arc::new(Generation { config, app })),
            build_app: Box::new(build_app),
        })
    }

    /// The configuration in force now.
    pub fn current(&self) -> Arc<Config> {
        Arc::clone(&self.generation().config)
    }

    /// The configuration in force now, with its router.
    pub fn generation(&self) -> Arc<Generation> {
        // The lock only guards an Arc swap, which cannot panic halfway: a poisoned lock still
        // holds a whole generation.
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Puts `config` in force for requests that start from now on; returns the one it replaced.
    pub fn replace(&self, config: Config) -> Arc<Config> {
        let config = Arc::new(config);
        let app = (self.build_app)(Arc::clone(&config));
        let new = Arc::new(Generation { config, app });
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        let old = std::mem::replace(&mut *current, new);
        Arc::clone(&old.config)
    }
}

/// Loads every JWKS of `config` once; the first failure, naming its namespace.
pub async fn load_jwks(config: &Config) -> Result<(), ConfigError> {
    for ns in config.namespaces.values() {
        if let Some(jwt) = ns.auth.as_ref().and_then(|a| a.jwt()) {
            let n = jwt
                .load()
                .await
                .map_err(|e| ConfigError(format!("namespace {:?} auth jwt: {e}", ns.name)))?;
            tracing::info!(target: "server", namespace = %ns.name, keys = n, "JWKS loaded");
        }
    }
    Ok(())
}

/// Reads the config file again and puts it in force, or leaves the current one and says why.
/// `listen` is the `--listen` override of the command line, if any.
pub async fn reload(
    live: &Live,
    path: &Path,
    env: &(dyn Env + Sync),
    listen: Option<SocketAddr>,
) -> Result<(), ConfigError> {
    let mut new = Config::load(path, env)?;
    if let Some(listen) = listen {
        new.server.listen = listen;
    }
    let old = live.current();
    if old.tls.is_some() != new.tls.is_some() {
        return Err(ConfigError(
            "server.tls: turning TLS on or off needs a restart (clients would have to change scheme)".into(),
        ));
    }
    keep_fixed_settings(&old, &mut new);
    load_jwks(&new).await?;
    let changes = describe_changes(&old, &new);
    live.replace(new);
    tracing::info!(target: "server", changes = %changes.join("; "), "config reloaded");
    Ok(())
}

/// Settings the running server cannot change: the old values stay, with a warning.
fn keep_fixed_settings(old: &Config, new: &mut Config) {
    let mut kept = Vec::new();
    macro_rules! keep {
        ($($field:ident).+) => {
            if old.$($field).+ != new.$($field).+ {
                kept.push(stringify!($($field).+));
                new.$($field).+ = old.$($field).+;
            }
        };
    }
    // Bound to the listening sockets and the accept loop, made once at startup.
    keep!(server.listen);
    keep!(server.header_read_timeout_ms);
    keep!(server.max_connections);
    keep!(server.max_connections_per_address);
    keep!(server.idle_timeout_ms);
    keep!(server.shutdown_grace_ms);
    keep!(metrics.listen);
    if !kept.is_empty() {
        let kept: Vec<String> = kept.iter().map(|s| s.replace(' ', "")).collect();
        tracing::warn!(target: "server", settings = ?kept, "changed in the file; they take effect at the next restart");
    }
}

/// What a reload changed, in words fit for the log: namespaces, key ids, the encryption key
/// id, and which namespaces changed otherwise; never a key, a token or a digest of one.
pub fn describe_changes(old: &Config, new: &Config) -> Vec<String> {
    let mut out = Vec::new();
    for name in old.namespaces.keys().filter(|n| !new.namespaces.contains_key(*n)) {
        out.push(format!("namespace {name:?} removed"));
    }
    for (name, n) in &new.namespaces {
        match old.namespaces.get(name) {
            None => out.push(format!("namespace {name:?} added with keys {:?}", n.key_ids)),
            Some(o) => describe_namespace(o, n, &mut out),
        }
    }
    if let (Some(o), Some(n)) = (&old.tls, &new.tls) {
        if o.cert_fingerprint() != n.cert_fingerprint() {
            out.push(format!(
                "server certificate now SHA-256 {} for new connections",
                n.cert_fingerprint()
            ));
        }
    }
    if old.cors.allowed_origins != new.cors.allowed_origins {
        out.push(format!("cors.allowed_origins now {:?}", new.cors.allowed_origins));
    }
    let (o, n) = (&old.server, &new.server);
    if (o.max_body_bytes, o.request_timeout_ms) != (n.max_body_bytes, n.request_timeout_ms) {
        out.push("server limits changed (max_body_bytes, request_timeout_ms)".into());
    }
    if out.is_empty() {
        out.push("nothing changed".into());
    }
    out
}

fn describe_namespace(o: &Namespace, n: &Namespace, out: &mut Vec<String>) {
    let (ok, nk) = (&o.fingerprints.keys, &n.fingerprints.keys);
    let name = &n.name;
    let added: Vec<&String> = nk.keys().filter(|k| !ok.contains_key(*k)).collect();
    let removed: Vec<&String> = ok.keys().filter(|k| !nk.contains_key(*k)).collect();
    let replaced: Vec<&String> = nk
        .iter()
        .filter(|(id, digest)| ok.get(*id).is_some_and(|d| d != *digest))
        .map(|(id, _)| id)
        .collect();
    if !added.is_empty() {
        out.push(format!("namespace {name:?}: keys added {added:?}"));
    }
    if !removed.is_empty() {
        out.push(format!("namespace {name:?}: keys removed {removed:?}"));
    }
    if !replaced.is_empty() {
        // Payloads encrypted with the old bytes under these ids no longer decode: say so.
        out.push(format!(
            "namespace {name:?}: keys {replaced:?} hold different key material now"
        ));
    }
    if o.encryption_key_id != n.encryption_key_id {
        let shown = |id: &Option<String>| {
            id.as_ref()
                .map_or("none (no encryption)".into(), |id| format!("{id:?}"))
        };
        out.push(format!(
            "namespace {name:?}: encryption key id {} -> {}",
            shown(&o.encryption_key_id),
            shown(&n.encryption_key_id)
        ));
    }
    if o.fingerprints.rest != n.fingerprints.rest {
        out.push(format!(
            "namespace {name:?}: settings, tokens, JWT or client CA changed"
        ));
    }
}

/// Reloads on every SIGHUP until the process ends. A refused reload is logged and the server
/// carries on with the configuration it has. The handler is installed by this call, before
/// the returned future first runs: a SIGHUP right after startup must not kill the process
/// (the default action) while the spawned task waits for its first turn.
pub fn on_sighup(
    live: Arc<Live>,
    path: PathBuf,
    env: Arc<dyn Env + Send + Sync>,
    listen: Option<SocketAddr>,
) -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let hup = signal(SignalKind::hangup());
    async move {
        let mut hup = match hup {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(target: "server", error = %e, "cannot handle SIGHUP; reload is off");
                return;
            }
        };
        while hup.recv().await.is_some() {
            tracing::info!(target: "server", file = %path.display(), "SIGHUP: reloading the config");
            if let Err(e) = reload(&live, &path, &*env, listen).await {
                tracing::error!(target: "server", error = %e, "config reload refused; the previous config stays in force");
            }
        }
    }
}
