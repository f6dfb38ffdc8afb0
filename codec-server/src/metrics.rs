//! Prometheus metrics, served in the OpenMetrics text format on their own listener
//! (`[metrics] listen`), apart from the codec endpoint.
//!
//! Label values are never chosen by the caller: a namespace is a configured name or
//! [`OTHER_NAMESPACE`], a route one of a fixed set, a status a number, a reason a fixed word.
//! Nothing is labelled by token, subject or address.
//!
//! The codec routes' series for every configured namespace are resolved once per
//! configuration ([`NamespaceMetrics`]): a request then counts through handles it already
//! holds, with no label lookup, hashing or allocation.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use temporal_payload_codec_core::ErrorKind;

/// The namespace label of every request whose namespace is not configured by name (served by
/// the `"*"` entry, refused with 404, or naming none): callers cannot create series.
pub const OTHER_NAMESPACE: &str = "_other";

/// The version of temporal-payload-codec whose core this server links (checked against
/// core/Cargo.toml by a test).
pub const LIBRARY_VERSION: &str = "0.2.0";
/// The C ABI version of that library release (`TPC_ABI_VERSION`; checked by a test). The
/// server calls the core directly, but operators match releases by it.
pub const ABI_VERSION: u32 = 2;

/// The content type of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `[metrics]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Where `GET /metrics` is served; unset: no metrics endpoint.
    #[serde(default)]
    pub listen: Option<SocketAddr>,
}

/// Routes, as labelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Encode,
    Decode,
    Healthz,
    Readyz,
    /// A CORS preflight.
    Preflight,
    /// Any other path or method.
    Other,
}

impl Route {
    pub fn label(self) -> &'static str {
        match self {
            Route::Encode => "encode",
            Route::Decode => "decode",
            Route::Healthz => "healthz",
            Route::Readyz => "readyz",
            Route::Preflight => "preflight",
            Route::Other => "other",
        }
    }

    /// Index into a [`NamespaceMetrics`]'s per-route arrays, for the two codec routes.
    fn codec_index(self) -> Option<usize> {
        match self {
            Route::Encode => Some(0),
            Route::Decode => Some(1),
            _ => None,
        }
    }
}

const CODEC_ROUTES: [Route; 2] = [Route::Encode, Route::Decode];

/// The statuses a codec route answers, pre-resolved; any other goes through the family.
const CODEC_STATUSES: [u16; 10] = [200, 400, 401, 403, 404, 408, 413, 415, 429, 500];

/// Request latency buckets, seconds: a small decode takes well under a millisecond, a 16 MiB
/// one hundreds.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    namespace: Arc<str>,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
    namespace: Arc<str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FlowLabels {
    route: &'static str,
    namespace: Arc<str>,
    direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodecErrorLabels {
    route: &'static str,
    namespace: Arc<str>,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AuthLabels {
    namespace: Arc<str>,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    library_version: &'static str,
    abi_version: String,
}

/// The library status a codec error is counted under (the C ABI's `TPC_ERR_*` names, lower
/// case); JSON the server could not read is `invalid_json`.
pub fn error_status(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArgument => "invalid_argument",
        ErrorKind::MalformedInput => "malformed_input",
        ErrorKind::CorruptPayload => "corrupt_payload",
        ErrorKind::LimitExceeded => "limit_exceeded",
        ErrorKind::UnknownKey => "unknown_key",
        ErrorKind::DecryptFailed => "decrypt_failed",
        _ => "internal",
    }
}

/// Every series of the two codec routes for one namespace label.
pub struct NamespaceMetrics {
    label: Arc<str>,
    requests: [[Counter; CODEC_STATUSES.len()]; 2],
    latency: [Histogram; 2],
    payloads_in: [Counter; 2],
    payloads_out: [Counter; 2],
    bytes_in: [Counter; 2],
    bytes_out: [Counter; 2],
}

impl NamespaceMetrics {
    pub fn label(&self) -> &str {
        &self.label
    }
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    payloads: Family<FlowLabels, Counter>,
    bytes: Family<FlowLabels, Counter>,
    codec_errors: Family<CodecErrorLabels, Counter>,
    auth_failures: Family<AuthLabels, Counter>,
    limited: Family<ReasonLabels, Counter>,
    open_connections: Gauge,
    /// The namespace label of routes that have none.
    no_namespace: Arc<str>,
    /// Handles by namespace label, kept across reloads (bounded by the names ever configured).
    namespaces: Mutex<HashMap<Arc<str>, Arc<NamespaceMetrics>>>,
}

/// Histograms need their buckets: the family makes each with this.
type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("tpc_codec_server");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = LatencyFamily::new_with_constructor(latency_histogram as fn() -> Histogram);
        let payloads = Family::<FlowLabels, Counter>::default();
        let bytes = Family::<FlowLabels, Counter>::default();
        let codec_errors = Family::<CodecErrorLabels, Counter>::default();
        let auth_failures = Family::<AuthLabels, Counter>::default();
        let limited = Family::<ReasonLabels, Counter>::default();
        let open_connections = Gauge::default();
        registry.register(
            "requests",
            "Requests answered, by route, namespace (configured name or _other) and HTTP status",
            requests.clone(),
        );
        registry.register_with_unit(
            "request_duration",
            "Time from the request's headers to its response, by route and namespace",
            Unit::Seconds,
            latency.clone(),
        );
        registry.register(
            "payloads",
            "Payloads received (in) and answered (out) by successful codec requests",
            payloads.clone(),
        );
        registry.register_with_unit(
            "body",
            "Request (in) and response (out) body bytes of successful codec requests",
            Unit::Bytes,
            bytes.clone(),
        );
        registry.register(
            "codec_errors",
            "Codec requests refused for their content, by library status (invalid_json: not readable as Payloads)",
            codec_errors.clone(),
        );
        registry.register(
            "auth_failures",
            "Requests refused by auth (401 or 403), by reason",
            auth_failures.clone(),
        );
        registry.register(
            "limited",
            "Requests (429) and connections refused by the per-client limits, by reason",
            limited.clone(),
        );
        registry.register(
            "open_connections",
            "Connections open on the codec listener",
            open_connections.clone(),
        );
        registry.register(
            "build",
            "This build: server version, temporal-payload-codec library version and C ABI version",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
                library_version: LIBRARY_VERSION,
                abi_version: ABI_VERSION.to_string(),
            }),
        );
        Metrics {
            registry,
            requests,
            latency,
            payloads,
            bytes,
            codec_errors,
            auth_failures,
            limited,
            open_connections,
            no_namespace: Arc::from(""),
            namespaces: Mutex::new(HashMap::new()),
        }
    }

    /// The handles of namespace label `label` (a configured name, or [`OTHER_NAMESPACE`]),
    /// made once: every series they hold appears at once, at zero.
    pub fn namespace(&self, label: &str) -> Arc<NamespaceMetrics> {
        let mut known = self.namespaces.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = known.get(label) {
            return Arc::clone(m);
        }
        let label: Arc<str> = Arc::from(label);
        let per_route = |family: &Family<FlowLabels, Counter>, direction| {
            CODEC_ROUTES.map(|route| {
                family
                    .get_or_create(&FlowLabels {
                        route: route.label(),
                        namespace: Arc::clone(&label),
                        direction,
                    })
                    .clone()
            })
        };
        let m = Arc::new(NamespaceMetrics {
            requests: CODEC_ROUTES.map(|route| {
                CODEC_STATUSES.map(|status| {
                    self.requests
                        .get_or_create(&RequestLabels {
                            route: route.label(),
                            namespace: Arc::clone(&label),
                            status,
                        })
                        .clone()
                })
            }),
            latency: CODEC_ROUTES.map(|route| {
                self.latency
                    .get_or_create(&RouteLabels {
                        route: route.label(),
                        namespace: Arc::clone(&label),
                    })
                    .clone()
            }),
            payloads_in: per_route(&self.payloads, "in"),
            payloads_out: per_route(&self.payloads, "out"),
            bytes_in: per_route(&self.bytes, "in"),
            bytes_out: per_route(&self.bytes, "out"),
            label: Arc::clone(&label),
        });
        known.insert(label, Arc::clone(&m));
        m
    }

    /// One request answered. `ns` is None for requests outside the codec routes.
    pub fn request(&self, route: Route, ns: Option<&NamespaceMetrics>, status: u16, latency: Duration) {
        let secs = latency.as_secs_f64();
        if let (Some(ns), Some(r)) = (ns, route.codec_index()) {
            match CODEC_STATUSES.iter().position(|&s| s == status) {
                Some(i) => {
                    ns.requests[r][i].inc();
                }
                None => self.count_request(route, Arc::clone(&ns.label), status),
            }
            ns.latency[r].observe(secs);
            return;
        }
        let namespace = Arc::clone(ns.map_or(&self.no_namespace, |n| &n.label));
        self.count_request(route, Arc::clone(&namespace), status);
        self.latency
            .get_or_create(&RouteLabels {
                route: route.label(),
                namespace,
            })
            .observe(secs);
    }

    fn count_request(&self, route: Route, namespace: Arc<str>, status: u16) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.label(),
                namespace,
                status,
            })
            .inc();
    }

    /// A codec request that succeeded: its payloads and body bytes, in and out.
    pub fn transferred(
        &self,
        route: Route,
        ns: &NamespaceMetrics,
        payloads: usize,
        bytes_in: usize,
        bytes_out: usize,
    ) {
        if let Some(r) = route.codec_index() {
            ns.payloads_in[r].inc_by(payloads as u64);
            ns.payloads_out[r].inc_by(payloads as u64);
            ns.bytes_in[r].inc_by(bytes_in as u64);
            ns.bytes_out[r].inc_by(bytes_out as u64);
        }
    }

    /// A codec request refused for its content; `status` from [`error_status`] or
    /// `"invalid_json"`.
    pub fn codec_error(&self, route: Route, ns: &NamespaceMetrics, status: &'static str) {
        self.codec_errors
            .get_or_create(&CodecErrorLabels {
                route: route.label(),
                namespace: Arc::clone(&ns.label),
                status,
            })
            .inc();
    }

    pub fn auth_failure(&self, ns: &NamespaceMetrics, reason: &'static str) {
        self.auth_failures
            .get_or_create(&AuthLabels {
                namespace: Arc::clone(&ns.label),
                reason,
            })
            .inc();
    }

    /// A request or connection refused by a limit: `rate`, `concurrency`, `clients`,
    /// `connections_per_address`.
    pub fn limited(&self, reason: &'static str) {
        self.limited.get_or_create(&ReasonLabels { reason }).inc();
    }

    pub fn connection_opened(&self) {
        self.open_connections.inc();
    }

    pub fn connection_closed(&self) {
        self.open_connections.dec();
    }

    /// The whole registry in the OpenMetrics text format ([`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(16 << 10);
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// Serves `GET /metrics` on `listener` until the process exits. No auth: bind it where only
/// the scraper reaches (it shows no secret, payload or caller-chosen value).
pub async fn serve(listener: tokio::net::TcpListener, metrics: Arc<Metrics>) {
    use axum::http::header;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = Arc::clone(&metrics);
            async move { ([(header::CONTENT_TYPE, CONTENT_TYPE)], metrics.encode()) }
        }),
    );
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(target: "server", error = %e, "the metrics listener failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_output_has_every_metric_and_the_build_info() {
        let m = Metrics::new();
        let ns = m.namespace("default");
        m.request(Route::Decode, Some(&ns), 200, Duration::from_micros(700));
        m.request(Route::Decode, Some(&ns), 200, Duration::from_millis(30));
        m.request(Route::Encode, Some(&ns), 418, Duration::from_millis(1));
        m.request(Route::Healthz, None, 200, Duration::from_micros(10));
        m.transferred(Route::Decode, &ns, 3, 1000, 800);
        m.codec_error(Route::Decode, &ns, error_status(ErrorKind::DecryptFailed));
        m.auth_failure(&ns, "missing");
        m.limited("rate");
        m.connection_opened();
        let text = m.encode();
        for line in [
            "tpc_codec_server_requests_total{route=\"decode\",namespace=\"default\",status=\"200\"} 2",
            "tpc_codec_server_requests_total{route=\"decode\",namespace=\"default\",status=\"429\"} 0",
            "tpc_codec_server_requests_total{route=\"encode\",namespace=\"default\",status=\"418\"} 1",
            "tpc_codec_server_requests_total{route=\"healthz\",namespace=\"\",status=\"200\"} 1",
            "tpc_codec_server_request_duration_seconds_bucket{le=\"0.001\",route=\"decode\",namespace=\"default\"} 1",
            "tpc_codec_server_request_duration_seconds_bucket{le=\"0.05\",route=\"decode\",namespace=\"default\"} 2",
            "tpc_codec_server_request_duration_seconds_count{route=\"decode\",namespace=\"default\"} 2",
            "tpc_codec_server_payloads_total{route=\"decode\",namespace=\"default\",direction=\"in\"} 3",
            "tpc_codec_server_body_bytes_total{route=\"decode\",namespace=\"default\",direction=\"out\"} 800",
            "tpc_codec_server_codec_errors_total{route=\"decode\",namespace=\"default\",status=\"decrypt_failed\"} 1",
            "tpc_codec_server_auth_failures_total{namespace=\"default\",reason=\"missing\"} 1",
            "tpc_codec_server_limited_total{reason=\"rate\"} 1",
            "tpc_codec_server_open_connections 1",
            "# TYPE tpc_codec_server_build info",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in:\n{text}");
        }
        let build = format!(
            "tpc_codec_server_build_info{{version=\"{}\",library_version=\"{LIBRARY_VERSION}\",abi_version=\"{ABI_VERSION}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        assert!(text.lines().any(|l| l == build), "missing {build:?} in:\n{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
        // Handles are made once per label.
        assert!(Arc::ptr_eq(&ns, &m.namespace("default")));
    }

    /// The versions written here are the ones of this checkout's library.
    #[test]
    fn library_and_abi_versions_match_the_library() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let core = std::fs::read_to_string(root.join("core/Cargo.toml")).unwrap();
        let version = core
            .lines()
            .find_map(|l| l.strip_prefix("version = "))
            .unwrap()
            .trim_matches('"');
        assert_eq!(version, LIBRARY_VERSION);
        let status = std::fs::read_to_string(root.join("src/status.rs")).unwrap();
        let abi = format!("pub const TPC_ABI_VERSION: u32 = {ABI_VERSION};");
        assert!(status.contains(&abi), "src/status.rs does not say {abi}");
    }
}
