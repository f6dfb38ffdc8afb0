//! CORS for the Temporal Web UI, which calls the codec server from the browser with
//! credentials (cookies or its access token): only exact, configured origins are answered, as
//! the CORS rules require of a credentialed request (no `*`).

use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, Method};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub const X_NAMESPACE: HeaderName = HeaderName::from_static("x-namespace");

/// Checks an origin is `scheme://host[:port]`, the only form a browser sends in `Origin`.
pub fn check_origin(origin: &str) -> Result<(), String> {
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .ok_or_else(|| {
            format!("{origin:?} is not an http(s) origin (a `*` is never allowed with credentials)")
        })?;
    if rest.is_empty() || rest.contains('/') || rest.bytes().any(|b| b.is_ascii_whitespace() || !b.is_ascii())
    {
        return Err(format!(
            "{origin:?} must be scheme://host[:port], without a path or a trailing slash"
        ));
    }
    HeaderValue::from_str(origin).map_err(|_| format!("{origin:?} is not a valid header value"))?;
    Ok(())
}

/// The layer: preflights answered for the listed origins, `Content-Type`, `X-Namespace` and
/// `Authorization` allowed, credentials allowed. An origin not listed gets no CORS headers, so
/// the browser blocks the call.
pub fn layer(origins: &[String]) -> CorsLayer {
    let list: Vec<HeaderValue> = origins
        .iter()
        .map(|o| HeaderValue::from_str(o).expect("origins are checked when the config loads"))
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(list))
        .allow_methods([Method::POST])
        .allow_headers([CONTENT_TYPE, AUTHORIZATION, X_NAMESPACE])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked() {
        check_origin("http://localhost:8233").unwrap();
        check_origin("https://temporal.example.com").unwrap();
        for bad in [
            "*",
            "null",
            "localhost:8233",
            "http://localhost:8233/",
            "http://a/b",
            "http://",
            "http://a b",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
    }
}
