//! The HTTP surface: `POST /encode`, `POST /decode`, the same under `/{namespace}/`,
//! `GET /healthz` and `GET /readyz`; plus the one log line and the metrics each request gets.
//!
//! Checks run from the cheapest and least revealing to the costliest: route and method (404,
//! 405), namespace (404), client certificate and credentials (401, 403) before any body byte
//! is read, the client's limits (429), content type (415), body size (413), then JSON and the
//! codec (400).

use crate::auth::{AuthError, Role};
use crate::config::{Config, Namespace, ANY_NAMESPACE};
use crate::cors::{self, X_NAMESPACE};
use crate::health;
use crate::limits::{ClientKey, ClientLimiter, Permit, Refusal};
use crate::metrics::{self, Metrics, NamespaceMetrics, Route, OTHER_NAMESPACE};
use crate::payloads;
use crate::tls::ClientCert;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use http_body_util::BodyExt;
use std::borrow::Cow;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;
use tower_http::timeout::TimeoutLayer;

/// Bodies at least this large are decoded on the blocking pool, so a 16 MiB request does not
/// hold up the requests sharing its runtime thread.
const BLOCKING_THRESHOLD: usize = 256 << 10;
/// An oversized body up to this size is read and discarded so the client gets its 413.
const DRAIN_MAX: u64 = 64 << 20;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);
/// The most bytes of one caller-supplied value (path, method, an error quoting the request)
/// that a log line carries; longer values are cut and end in [`CUT_MARK`]. A client must not
/// be able to turn each request into kilobytes of log.
pub const LOG_FIELD_MAX: usize = 256;
pub const CUT_MARK: &str = "…";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Encode,
    Decode,
}

impl Op {
    fn needs(self) -> Role {
        match self {
            Op::Encode => Role::Writer,
            Op::Decode => Role::Reader,
        }
    }
}

impl Op {
    fn route(self) -> Route {
        match self {
            Op::Encode => Route::Encode,
            Op::Decode => Route::Decode,
        }
    }
}

/// The client's address, put on each request by [`crate::server`] (absent in tests that call
/// the router directly: those requests count as one unspecified address).
#[derive(Clone, Copy, Debug)]
pub struct PeerAddr(pub SocketAddr);

/// What outlives a configuration (a reload builds a new router around the same ones): the
/// metrics and the per-client limiter.
#[derive(Clone, Default)]
pub struct Shared {
    pub metrics: Arc<Metrics>,
    pub clients: Arc<ClientLimiter>,
}

/// One router's state, cloned for each request and its middleware: one `Arc`.
#[derive(Clone)]
struct AppState(Arc<RouterState>);

/// Its configuration, and the metrics handles of its namespaces, resolved once when the
/// router is built.
struct RouterState {
    config: Arc<Config>,
    shared: Shared,
    namespaces: HashMap<String, Arc<NamespaceMetrics>>,
    other: Arc<NamespaceMetrics>,
}

impl std::ops::Deref for AppState {
    type Target = RouterState;
    fn deref(&self) -> &RouterState {
        &self.0
    }
}

impl RouterState {
    /// The metrics of a resolved namespace: its own, or `_other` for the `"*"` entry (which
    /// has none of its own).
    fn metrics_of(&self, ns: &Namespace) -> Arc<NamespaceMetrics> {
        Arc::clone(self.namespaces.get(&ns.name).unwrap_or(&self.other))
    }
}

/// What the handler tells the log line and the metrics (as a response extension): never
/// payload data.
#[derive(Clone, Default)]
struct Outcome {
    route: Option<Route>,
    namespace: Option<String>,
    metrics: Option<Arc<NamespaceMetrics>>,
    payloads: Option<usize>,
    error: Option<String>,
}

/// An error response: plain-text message, as the Go SDK's handler answers.
struct Failure {
    status: StatusCode,
    message: String,
    /// For the log line, when `message` may quote the request (the caller may see that; the
    /// log must not).
    log: Option<String>,
    /// Seconds, for a 429's `Retry-After`.
    retry_after: Option<u64>,
}

fn fail(status: StatusCode, message: impl Into<String>) -> Failure {
    Failure {
        status,
        message: message.into(),
        log: None,
        retry_after: None,
    }
}

/// The router for `config`, with metrics and limits of its own (tests; one configuration).
pub fn app(config: Arc<Config>) -> Router {
    app_with(config, &Shared::default())
}

/// The router for `config`, counting into and limiting through `shared`.
pub fn app_with(config: Arc<Config>, shared: &Shared) -> Router {
    let timeout = config.server.request_timeout();
    let cors = cors::layer(&config.cors.allowed_origins);
    let namespaces = config
        .namespaces
        .keys()
        .filter(|name| *name != ANY_NAMESPACE)
        .map(|name| (name.clone(), shared.metrics.namespace(name)))
        .collect();
    let state = AppState(Arc::new(RouterState {
        config,
        shared: shared.clone(),
        namespaces,
        other: shared.metrics.namespace(OTHER_NAMESPACE),
    }));
    type Peer = Option<Extension<PeerAddr>>;
    type Cert = Option<Extension<ClientCert>>;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(
            "/encode",
            post(|s, p: Peer, c: Cert, h, b| codec(s, Op::Encode, None, p, c, h, b)),
        )
        .route(
            "/decode",
            post(|s, p: Peer, c: Cert, h, b| codec(s, Op::Decode, None, p, c, h, b)),
        )
        .route(
            "/{namespace}/encode",
            post(|s, Path(ns): Path<String>, p: Peer, c: Cert, h, b| {
                codec(s, Op::Encode, Some(ns), p, c, h, b)
            }),
        )
        .route(
            "/{namespace}/decode",
            post(|s, Path(ns): Path<String>, p: Peer, c: Cert, h, b| {
                codec(s, Op::Decode, Some(ns), p, c, h, b)
            }),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found: POST /encode or /decode\n") })
        .with_state(state.clone())
        // Inner to outer: timeout (408), CORS (preflights answered before any auth), log line
        // and metrics.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(cors)
        .layer(middleware::from_fn_with_state(state, log_request))
}

async fn healthz() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], "{\"status\":\"ok\"}")
}

async fn readyz(State(state): State<AppState>) -> Response {
    match health::readiness(&state.config).await {
        Ok(()) => ([(CONTENT_TYPE, "application/json")], "{\"status\":\"ready\"}").into_response(),
        Err(reasons) => {
            let body = serde_json::json!({"status": "not ready", "reasons": reasons});
            let mut r = (
                StatusCode::SERVICE_UNAVAILABLE,
                [(CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response();
            r.extensions_mut().insert(Outcome {
                error: Some(reasons.join("; ")),
                ..Outcome::default()
            });
            r
        }
    }
}

async fn codec(
    State(state): State<AppState>,
    op: Op,
    path_ns: Option<String>,
    peer: Option<Extension<PeerAddr>>,
    cert: Option<Extension<ClientCert>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut outcome = Outcome {
        route: Some(op.route()),
        ..Outcome::default()
    };
    let mut body = Some(body);
    let request = Incoming {
        op,
        path_ns,
        peer: peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.0 .0.ip()),
        cert: cert.map(|c| c.0),
        headers: &headers,
    };
    let result = run(&state, request, &mut body, &mut outcome).await;
    if let Some(unread) = body {
        drain(unread, &headers);
    }
    let mut response = match result {
        Ok(json) => ([(CONTENT_TYPE, "application/json")], json).into_response(),
        Err(f) => {
            outcome.error = Some(f.log.unwrap_or_else(|| f.message.clone()));
            let mut r = (
                f.status,
                [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                f.message + "\n",
            )
                .into_response();
            if f.status == StatusCode::UNAUTHORIZED {
                r.headers_mut()
                    .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            if let Some(secs) = f.retry_after {
                r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
            }
            r
        }
    };
    response.extensions_mut().insert(outcome);
    response
}

/// A codec request, as far as `run` needs it.
struct Incoming<'a> {
    op: Op,
    path_ns: Option<String>,
    peer: IpAddr,
    cert: Option<ClientCert>,
    headers: &'a HeaderMap,
}

fn resolve<'a>(
    config: &'a Config,
    path_ns: Option<String>,
    headers: &HeaderMap,
) -> Result<&'a Namespace, Failure> {
    let header_ns = headers
        .get(X_NAMESPACE)
        .map(|v| v.to_str())
        .transpose()
        .map_err(|_| fail(StatusCode::BAD_REQUEST, "X-Namespace is not valid text"))?;
    let name = match (path_ns.as_deref(), header_ns) {
        (Some(p), Some(h)) if p != h => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                format!("the path names namespace {p:?} but X-Namespace says {h:?}"),
            ))
        }
        (p, h) => p.or(h),
    };
    config.namespace(name).ok_or_else(|| match name {
        Some(n) => fail(
            StatusCode::NOT_FOUND,
            format!("namespace {n:?} is not configured"),
        ),
        None => fail(
            StatusCode::NOT_FOUND,
            "no namespace given (X-Namespace or /{namespace}/...) and no \"*\" namespace configured",
        ),
    })
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = ct.split(';').next().unwrap_or("").trim();
    mime.eq_ignore_ascii_case("application/json")
}

/// The `Content-Length` the client declared, if it is a number.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

fn auth_failure(e: AuthError) -> Failure {
    match e {
        AuthError::Unauthenticated(m) => fail(StatusCode::UNAUTHORIZED, format!("unauthorized: {m}")),
        AuthError::Forbidden(m) => fail(StatusCode::FORBIDDEN, format!("forbidden: {m}")),
    }
}

/// Admits the request under its client's limits, or refuses it with 429.
fn admit(state: &AppState, client: ClientKey) -> Result<Permit, Failure> {
    state
        .shared
        .clients
        .admit(client, &state.config.limits)
        .map_err(|refusal| {
            state.shared.metrics.limited(refusal.reason());
            let secs = refusal.retry_after_secs();
            let why = match refusal {
                Refusal::Rate { .. } => "request rate",
                Refusal::Concurrency => "requests in progress",
                Refusal::TooManyClients => "clients tracked by the server",
            };
            Failure {
                retry_after: Some(secs),
                ..fail(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("too many requests: over the limit of {why}; retry after {secs} s"),
                )
            }
        })
}

async fn run(
    state: &AppState,
    request: Incoming<'_>,
    body: &mut Option<Body>,
    outcome: &mut Outcome,
) -> Result<Vec<u8>, Failure> {
    let Incoming {
        op,
        path_ns,
        peer,
        cert,
        headers,
    } = request;
    let config = &state.config;
    let metrics = &state.shared.metrics;
    let ns = resolve(config, path_ns, headers)
        .inspect_err(|_| outcome.metrics = Some(Arc::clone(&state.other)))?;
    // The configured name ("*" for the fallback) is what the log shows: a caller cannot fill
    // the logs with made-up namespace names.
    outcome.namespace = Some(ns.name.clone());
    let ns_metrics = state.metrics_of(ns);
    outcome.metrics = Some(Arc::clone(&ns_metrics));
    if let Some(ca) = &ns.client_ca {
        ca.check(cert.as_ref()).map_err(|e| {
            metrics.auth_failure(&ns_metrics, "client_certificate");
            auth_failure(e)
        })?;
    }
    let mut client = None;
    if let Some(auth) = &ns.auth {
        let header = headers.get(AUTHORIZATION).map(|v| v.as_bytes());
        let grant = auth.authorize_client(header, op.needs()).await.map_err(|d| {
            metrics.auth_failure(&ns_metrics, d.reason);
            auth_failure(d.error)
        })?;
        client = grant.client;
    }
    // Held until the answer is made: the request counts as in progress for its client.
    let _permit = admit(state, client.unwrap_or_else(|| ClientKey::address(peer)))?;
    if !is_json(headers) {
        return Err(fail(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        ));
    }
    let limit = config.server.max_body_bytes;
    let too_large = || {
        fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body exceeds the limit of {limit} bytes"),
        )
    };
    // A declared length over the limit is refused before reading anything.
    if declared_length(headers).is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let body = body.take().expect("the body is read once");
    let bytes = read_body(body, limit, declared_length(headers)).await?;
    let bytes_in = bytes.len();
    let result = if bytes.len() >= BLOCKING_THRESHOLD {
        // The blocking pool needs owned data: share the config, look the namespace up again.
        let config = Arc::clone(config);
        let name = ns.name.clone();
        tokio::task::spawn_blocking(move || {
            let ns = config.namespaces.get(&name).expect("resolved above");
            transform(ns, op, bytes)
        })
        .await
        .map_err(|_| fail(StatusCode::INTERNAL_SERVER_ERROR, "the codec task failed"))?
    } else {
        transform(ns, op, bytes)
    };
    let (json, count) = result.map_err(|(f, status)| {
        metrics.codec_error(op.route(), &ns_metrics, status);
        f
    })?;
    metrics.transferred(op.route(), &ns_metrics, count, bytes_in, json.len());
    outcome.payloads = Some(count);
    Ok(json)
}

/// Reads the whole body into one buffer, sized from `Content-Length` when the client sent
/// one (collecting the frames and then joining them would hold the body twice).
async fn read_body(mut body: Body, limit: usize, declared: Option<u64>) -> Result<Vec<u8>, Failure> {
    let too_large = || {
        fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body exceeds the limit of {limit} bytes"),
        )
    };
    // Over the limit was refused already; a smaller lie only costs a reallocation.
    let mut bytes = Vec::with_capacity(declared.map_or(0, |n| n as usize).min(limit));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            fail(
                StatusCode::BAD_REQUEST,
                format!("cannot read the request body: {e}"),
            )
        })?;
        if let Some(data) = frame.data_ref() {
            if bytes.len() + data.len() > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(data);
        }
    }
    Ok(bytes)
}

/// JSON in, codec, JSON out; returns the response body and the number of payloads, or the
/// failure and the status the metrics count it under. Each stage's input is dropped as soon
/// as the next stage has its output, so a request holds at most two forms of its payloads at
/// a time.
fn transform(ns: &Namespace, op: Op, body: Vec<u8>) -> Result<(Vec<u8>, usize), (Failure, &'static str)> {
    const INVALID_JSON: &str = "invalid_json";
    let (proto, _) = payloads::json_to_proto(&body).map_err(|e| {
        let f = Failure {
            log: Some(e.log),
            ..fail(StatusCode::BAD_REQUEST, e.message)
        };
        (f, INVALID_JSON)
    })?;
    drop(body);
    let result = match op {
        Op::Encode => ns.codec.encode(&proto),
        Op::Decode => ns.codec.decode(&proto),
    }
    .map_err(|e| {
        let verb = if op == Op::Encode { "encode" } else { "decode" };
        let f = fail(StatusCode::BAD_REQUEST, format!("{verb} failed: {e}"));
        (f, metrics::error_status(e.kind()))
    })?;
    drop(proto);
    payloads::proto_to_json(&result).map_err(|e| (fail(StatusCode::BAD_REQUEST, e.0), INVALID_JSON))
}

/// Reads a request body nobody will use and discards it, in the background, as Go's server
/// does: a connection closed with unread data is reset, and a client still writing its body
/// (an oversized one, say) would see the reset instead of our 401 or 413; a client that
/// finished writing would reuse a connection we are closing. Bounded in bytes and time, so a
/// client cannot make us read forever; past the bound the connection closes.
fn drain(body: Body, headers: &HeaderMap) {
    if declared_length(headers).is_some_and(|n| n > DRAIN_MAX) {
        return;
    }
    tokio::spawn(async move {
        let read_all = async {
            let mut body = body;
            let mut total = 0u64;
            while let Some(Ok(frame)) = body.frame().await {
                total += frame.data_ref().map_or(0, |d| d.len() as u64);
                if total > DRAIN_MAX {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIME, read_all).await;
    });
}

/// `value`, or its first `LOG_FIELD_MAX` bytes (to a character boundary) and [`CUT_MARK`].
pub fn clip(value: &str) -> Cow<'_, str> {
    if value.len() <= LOG_FIELD_MAX {
        return Cow::Borrowed(value);
    }
    let mut end = LOG_FIELD_MAX;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}{CUT_MARK}", &value[..end]))
}

/// The route of a request no codec handler answered (a probe, a preflight, a 404 or 405).
/// (A codec path lands here too when the timeout answered 408 before its handler did.)
fn route_of(method: &Method, path: &str) -> Route {
    match path {
        _ if method == Method::OPTIONS => Route::Preflight,
        "/healthz" => Route::Healthz,
        "/readyz" => Route::Readyz,
        p if p.ends_with("/encode") => Route::Encode,
        p if p.ends_with("/decode") => Route::Decode,
        _ => Route::Other,
    }
}

async fn log_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = clip(request.method().as_str()).into_owned();
    // The path only: a query string is not ours to log.
    let path = clip(request.uri().path()).into_owned();
    let fallback_route = route_of(request.method(), request.uri().path());
    let mut response = next.run(request).await;
    let outcome = response.extensions_mut().remove::<Outcome>().unwrap_or_default();
    let status = response.status().as_u16();
    let elapsed = start.elapsed();
    let route = outcome.route.unwrap_or(fallback_route);
    let ns_metrics = match (&outcome.metrics, route) {
        (Some(m), _) => Some(&**m),
        // A codec path the handler did not answer: its namespace is not known.
        (None, Route::Encode | Route::Decode) => Some(&*state.other),
        (None, _) => None,
    };
    state.shared.metrics.request(route, ns_metrics, status, elapsed);
    let latency_ms = elapsed.as_secs_f64() * 1e3;
    tracing::info!(
        target: "request",
        method = %method,
        path = %path,
        status,
        namespace = outcome.namespace.as_deref(),
        payloads = outcome.payloads,
        latency_ms = (latency_ms * 1000.0).round() / 1000.0,
        error = outcome.error.as_deref().map(clip).as_deref(),
    );
    response
}
