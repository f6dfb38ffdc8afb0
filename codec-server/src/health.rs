//! Liveness and readiness, for Kubernetes probes and load balancers.
//!
//! `/healthz` answers while the process serves HTTP at all. `/readyz` answers 200 only when
//! the server can serve every namespace it is configured for: a configuration is in force
//! (the server does not start, and a reload is refused, unless every key and token of it
//! loaded), and every namespace with JWT auth has JWKS keys loaded no longer ago than its
//! `max_age_secs`. Otherwise 503, with the reasons.
//!
//! The identity provider is never called while a probe waits: a probe that finds a JWKS due
//! for its refresh starts the refresh in the background and answers from what is loaded, so
//! keys stay fresh with no traffic and a probe's timeout is never spent on the network.

use crate::config::Config;
use std::sync::Arc;

/// Why the server is not ready: one line per namespace at fault (names settings, never a
/// secret).
pub async fn readiness(config: &Arc<Config>) -> Result<(), Vec<String>> {
    let mut reasons = Vec::new();
    for ns in config.namespaces.values() {
        let Some(jwt) = ns.auth.as_ref().and_then(|a| a.jwt()) else {
            continue;
        };
        let background = Arc::clone(config);
        let name = ns.name.clone();
        tokio::spawn(async move {
            if let Some(jwt) = background
                .namespaces
                .get(&name)
                .and_then(|ns| ns.auth.as_ref())
                .and_then(|a| a.jwt())
            {
                jwt.refresh_if_due().await;
            }
        });
        let max = jwt.max_age();
        match jwt.age().await {
            None => reasons.push(format!("namespace {:?}: JWKS not loaded yet", ns.name)),
            Some(age) if age > max => reasons.push(format!(
                "namespace {:?}: JWKS last loaded {} s ago, more than max_age_secs ({})",
                ns.name,
                age.as_secs(),
                max.as_secs()
            )),
            Some(_) => {}
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons)
    }
}
