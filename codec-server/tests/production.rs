//! The production features over real loopback connections: metrics and their label folding,
//! readiness against a JWKS server that goes away, the per-client limits (rate, requests in
//! progress, connections per address, idle connections), each shown refusing one client while
//! another is unaffected.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tpc_codec_server::config::Config;
use tpc_codec_server::reload::Live;
use tpc_codec_server::routes::{app_with, Shared};
use tpc_codec_server::server::{self, Limits};

const KEY_HEX: &str = "8f1c0e7d2b3a4958a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f80910a1b";
const TOKEN_A: &str = "token-a-5b2f0c9a1e77d1";
const TOKEN_B: &str = "token-b-77d1e4a3c25b2f";
/// One json/plain payload: `/decode` passes it through.
const BODY: &str = r#"{"payloads":[{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"e30="}]}"#;
const CLIENT_A: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const CLIENT_B: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn config(extra: &str) -> Arc<Config> {
    let text = format!(
        r#"
        [namespaces.default]
        keys = [{{ id = "k1", env = "KEY" }}]
        encryption_key_id = "k1"
        [namespaces.locked.auth]
        tokens = [{{ role = "reader", env = "TOKEN_A" }}, {{ role = "reader", env = "TOKEN_B" }}]
        {extra}
        "#
    );
    let env = [("KEY", KEY_HEX), ("TOKEN_A", TOKEN_A), ("TOKEN_B", TOKEN_B)];
    Arc::new(Config::from_toml(&text, &fixtures(), &env).unwrap())
}

struct Running {
    addr: SocketAddr,
    shared: Shared,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A real server on a loopback port (clients may come from any of 127.0.0.0/8), stopped
/// when dropped.
async fn start(config: Arc<Config>) -> Running {
    let listener = server::listen(SocketAddr::new(CLIENT_A, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let shared = Shared::default();
    let limits = Limits {
        max_connections_per_address: config.server.max_connections_per_address,
        idle_timeout: config.server.idle_timeout(),
        header_read_timeout: config.server.header_read_timeout(),
        metrics: Some(Arc::clone(&shared.metrics)),
        ..Limits::default()
    };
    let for_app = shared.clone();
    let live = Live::new(config, move |c| app_with(c, &for_app));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, live, limits, async {
        let _ = stopped.await;
    }));
    Running {
        addr,
        shared,
        _stop: stop,
    }
}

async fn connect_from(from: IpAddr, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    socket.connect(addr).await.unwrap()
}

fn post(path: &str, token: Option<&str>, body: &str) -> String {
    let auth = token.map_or(String::new(), |t| format!("authorization: Bearer {t}\r\n"));
    format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n{auth}content-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Reads one response off a keep-alive connection: its status and its head (lower case).
async fn read_response(s: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            while buf.len() < end + 4 + length {
                let n = s.read(&mut chunk).await.unwrap();
                assert!(n > 0, "connection closed mid-body");
                buf.extend_from_slice(&chunk[..n]);
            }
            let status = head[9..12].parse().unwrap();
            let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + length]).to_lowercase();
            return (status, format!("{head}\r\n\r\n{body}"));
        }
        let n = s.read(&mut chunk).await.unwrap();
        assert!(
            n > 0,
            "connection closed before a response: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// One request on a new connection from `from`.
async fn request(from: IpAddr, addr: SocketAddr, raw: &str) -> (u16, String) {
    let mut s = connect_from(from, addr).await;
    s.write_all(raw.as_bytes()).await.unwrap();
    read_response(&mut s).await
}

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    request(CLIENT_A, addr, &format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n")).await
}

/// Whether the server closed `s` within `within` (EOF or reset), sending nothing.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 64];
    match tokio::time::timeout(within, s.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => true,
        Ok(Ok(n)) => panic!("the server sent {:?}", String::from_utf8_lossy(&buf[..n])),
        Err(_) => false,
    }
}

/// The value of the metric line named `series` (exactly, labels included).
fn metric(shared: &Shared, series: &str) -> Option<f64> {
    let text = shared.metrics.encode();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_and_fold_unconfigured_namespaces() {
    let c = config("[namespaces.\"*\"]\ncompression = \"none\"");
    let r = start(c).await;
    for _ in 0..3 {
        assert_eq!(
            request(CLIENT_A, r.addr, &post("/default/decode", None, BODY))
                .await
                .0,
            200
        );
    }
    // Names nobody configured: served by "*", or refused (the header and path disagree).
    for name in ["made-up-1", "made-up-2"] {
        assert_eq!(
            request(CLIENT_A, r.addr, &post(&format!("/{name}/decode"), None, BODY))
                .await
                .0,
            200
        );
    }
    let mismatch =
        post("/made-up-3/decode", None, BODY).replace("host: x\r\n", "host: x\r\nx-namespace: other\r\n");
    assert_eq!(request(CLIENT_A, r.addr, &mismatch).await.0, 400);
    assert_eq!(
        request(CLIENT_A, r.addr, &post("/default/decode", None, "{not json"))
            .await
            .0,
        400
    );
    let tampered = r#"{"payloads":[{"metadata":{"encoding":"YmluYXJ5L2VuY3J5cHRlZA==","encryption-key-id":"azE="},"data":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}"#;
    assert_eq!(
        request(CLIENT_A, r.addr, &post("/default/decode", None, tampered))
            .await
            .0,
        400
    );
    assert_eq!(
        request(CLIENT_A, r.addr, &post("/locked/decode", None, BODY))
            .await
            .0,
        401
    );
    assert_eq!(
        request(
            CLIENT_A,
            r.addr,
            &post("/locked/decode", Some("wrong-token-0123456789"), BODY)
        )
        .await
        .0,
        401
    );
    assert_eq!(
        request(CLIENT_A, r.addr, &post("/locked/decode", Some(TOKEN_A), BODY))
            .await
            .0,
        200
    );
    let s = &r.shared;
    let ns = |route: &str, ns: &str, status: u16| {
        format!("tpc_codec_server_requests_total{{route=\"{route}\",namespace=\"{ns}\",status=\"{status}\"}}")
    };
    assert_eq!(metric(s, &ns("decode", "default", 200)), Some(3.0));
    assert_eq!(metric(s, &ns("decode", "_other", 200)), Some(2.0));
    assert_eq!(metric(s, &ns("decode", "_other", 400)), Some(1.0));
    assert_eq!(metric(s, &ns("decode", "default", 400)), Some(2.0));
    assert_eq!(metric(s, &ns("decode", "locked", 401)), Some(2.0));
    assert_eq!(metric(s, &ns("decode", "locked", 200)), Some(1.0));
    assert_eq!(
        metric(
            s,
            "tpc_codec_server_request_duration_seconds_count{route=\"decode\",namespace=\"default\"}"
        ),
        Some(5.0)
    );
    assert_eq!(
        metric(
            s,
            "tpc_codec_server_payloads_total{route=\"decode\",namespace=\"default\",direction=\"in\"}"
        ),
        Some(3.0)
    );
    let bytes_in =
        "tpc_codec_server_body_bytes_total{route=\"decode\",namespace=\"default\",direction=\"in\"}";
    assert_eq!(metric(s, bytes_in), Some(3.0 * BODY.len() as f64));
    for (status, n) in [("invalid_json", 1.0), ("decrypt_failed", 1.0)] {
        let series = format!(
            "tpc_codec_server_codec_errors_total{{route=\"decode\",namespace=\"default\",status=\"{status}\"}}"
        );
        assert_eq!(metric(s, &series), Some(n), "{series}");
    }
    for (reason, n) in [("missing", 1.0), ("invalid_token", 1.0)] {
        let series =
            format!("tpc_codec_server_auth_failures_total{{namespace=\"locked\",reason=\"{reason}\"}}");
        assert_eq!(metric(s, &series), Some(n), "{series}");
    }
    // Every connection above was closed by the client after its answer.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(metric(s, "tpc_codec_server_open_connections"), Some(0.0));
    let open = connect_from(CLIENT_A, r.addr).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(metric(s, "tpc_codec_server_open_connections"), Some(1.0));
    drop(open);
    // What a caller chose never becomes a label value; no token is ever shown.
    let text = s.metrics.encode();
    for secret in ["made-up", "namespace=\"other\"", TOKEN_A, "wrong-token"] {
        assert!(!text.contains(secret), "{secret} in:\n{text}");
    }
}

#[tokio::test]
async fn rate_limit_refuses_one_client_and_not_another() {
    let r = start(config(
        "[limits]\nrequests_per_second = 1\nburst = 3\nmax_concurrent_requests = 0",
    ))
    .await;
    for i in 0..3 {
        let (status, resp) = request(CLIENT_A, r.addr, &post("/default/decode", None, BODY)).await;
        assert_eq!(status, 200, "request {i}: {resp}");
    }
    let (status, resp) = request(CLIENT_A, r.addr, &post("/default/decode", None, BODY)).await;
    assert_eq!(status, 429, "{resp}");
    assert!(resp.contains("\r\nretry-after: 1\r\n"), "{resp}");
    assert!(resp.contains("over the limit of request rate"), "{resp}");
    // Another address has its own allowance; the probes are never limited.
    assert_eq!(
        request(CLIENT_B, r.addr, &post("/default/decode", None, BODY))
            .await
            .0,
        200
    );
    let healthz = "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n";
    assert_eq!(request(CLIENT_A, r.addr, healthz).await.0, 200);
    // The allowance refills at the rate.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        request(CLIENT_A, r.addr, &post("/default/decode", None, BODY))
            .await
            .0,
        200
    );
    assert_eq!(
        metric(&r.shared, "tpc_codec_server_limited_total{reason=\"rate\"}"),
        Some(1.0)
    );
    let series = "tpc_codec_server_requests_total{route=\"decode\",namespace=\"default\",status=\"429\"}";
    assert_eq!(metric(&r.shared, series), Some(1.0));
}

#[tokio::test]
async fn concurrency_limit_is_per_token_subject() {
    let r = start(config(
        "[limits]\nrequests_per_second = 0\nmax_concurrent_requests = 1",
    ))
    .await;
    // Token A's request stays in progress: headers sent, body not finished.
    let full = post("/locked/decode", Some(TOKEN_A), BODY);
    let mut slow = connect_from(CLIENT_A, r.addr).await;
    slow.write_all(&full.as_bytes()[..full.len() - 10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, resp) = request(CLIENT_A, r.addr, &post("/locked/decode", Some(TOKEN_A), BODY)).await;
    assert_eq!(status, 429, "{resp}");
    assert!(resp.contains("over the limit of requests in progress"), "{resp}");
    assert!(resp.contains("\r\nretry-after: 1\r\n"), "{resp}");
    // Token B, from the same address, is another client; so is an unauthenticated request.
    assert_eq!(
        request(CLIENT_A, r.addr, &post("/locked/decode", Some(TOKEN_B), BODY))
            .await
            .0,
        200
    );
    assert_eq!(
        request(CLIENT_A, r.addr, &post("/default/decode", None, BODY))
            .await
            .0,
        200
    );
    // The slow request finishes normally, and frees its slot.
    slow.write_all(&full.as_bytes()[full.len() - 10..]).await.unwrap();
    assert_eq!(read_response(&mut slow).await.0, 200);
    assert_eq!(
        request(CLIENT_A, r.addr, &post("/locked/decode", Some(TOKEN_A), BODY))
            .await
            .0,
        200
    );
    let series = "tpc_codec_server_limited_total{reason=\"concurrency\"}";
    assert_eq!(metric(&r.shared, series), Some(1.0));
}

#[tokio::test]
async fn connections_per_address_are_capped() {
    let r = start(config("[server]\nmax_connections_per_address = 2")).await;
    let mut first = connect_from(CLIENT_A, r.addr).await;
    let _second = connect_from(CLIENT_A, r.addr).await;
    let mut third = connect_from(CLIENT_A, r.addr).await;
    assert!(
        closed_within(&mut third, Duration::from_secs(2)).await,
        "the third connection stayed open"
    );
    // Another address is served; so are the first two connections.
    assert_eq!(
        request(CLIENT_B, r.addr, "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .0,
        200
    );
    first
        .write_all(post("/default/decode", None, BODY).as_bytes())
        .await
        .unwrap();
    assert_eq!(read_response(&mut first).await.0, 200);
    // A closed connection gives its place back.
    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        request(CLIENT_A, r.addr, "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .0,
        200
    );
    let series = "tpc_codec_server_limited_total{reason=\"connections_per_address\"}";
    assert_eq!(metric(&r.shared, series), Some(1.0));
}

#[tokio::test]
async fn idle_connections_close_before_the_header_timeout() {
    let r = start(config(
        "[server]\nidle_timeout_ms = 300\nheader_read_timeout_ms = 5000",
    ))
    .await;
    // After a request (keep-alive), and without any request.
    let mut served = connect_from(CLIENT_A, r.addr).await;
    served
        .write_all(post("/default/decode", None, BODY).as_bytes())
        .await
        .unwrap();
    assert_eq!(read_response(&mut served).await.0, 200);
    let mut silent = connect_from(CLIENT_A, r.addr).await;
    let start = Instant::now();
    assert!(
        closed_within(&mut served, Duration::from_secs(3)).await,
        "the idle keep-alive connection stayed open"
    );
    assert!(
        closed_within(&mut silent, Duration::from_secs(3)).await,
        "the silent connection stayed open"
    );
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(250),
        "closed after {took:?}, before the idle timeout"
    );
    assert!(took < Duration::from_secs(3), "closed after {took:?}");
    // A request in progress is not idle, however long it takes.
    let full = post("/default/decode", None, BODY);
    let mut busy = connect_from(CLIENT_A, r.addr).await;
    busy.write_all(&full.as_bytes()[..full.len() - 5]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(900)).await;
    busy.write_all(&full.as_bytes()[full.len() - 5..]).await.unwrap();
    assert_eq!(read_response(&mut busy).await.0, 200);
}

#[tokio::test]
async fn a_full_client_map_refuses_new_clients_only() {
    let r = start(config(
        "[limits]\nrequests_per_second = 1\nburst = 100\nmax_clients = 1",
    ))
    .await;
    assert_eq!(
        request(CLIENT_A, r.addr, &post("/default/decode", None, BODY))
            .await
            .0,
        200
    );
    // Client A's allowance is still refilling: it is remembered, and B cannot take its place.
    let (status, resp) = request(CLIENT_B, r.addr, &post("/default/decode", None, BODY)).await;
    assert_eq!(status, 429, "{resp}");
    assert!(resp.contains("clients tracked by the server"), "{resp}");
    assert_eq!(
        request(CLIENT_A, r.addr, &post("/default/decode", None, BODY))
            .await
            .0,
        200
    );
}

/// A JWKS server that can stop answering.
async fn idp() -> (SocketAddr, Arc<AtomicBool>) {
    let jwks = std::fs::read_to_string(fixtures().join("jwks.json")).unwrap();
    let up = Arc::new(AtomicBool::new(true));
    let up2 = Arc::clone(&up);
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let (jwks, up) = (jwks.clone(), up2.load(Ordering::Relaxed));
            async move {
                if up {
                    (axum::http::StatusCode::OK, jwks)
                } else {
                    (axum::http::StatusCode::SERVICE_UNAVAILABLE, String::new())
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, up)
}

#[tokio::test]
async fn readyz_needs_fresh_jwks_and_healthz_does_not() {
    let (idp_addr, up) = idp().await;
    let c = config(&format!(
        "[namespaces.sso.auth.jwt]\njwks_url = \"http://{idp_addr}/jwks\"\nrefresh_secs = 1\nmax_age_secs = 2"
    ));
    let jwt = c.namespaces["sso"].auth.as_ref().unwrap().jwt().unwrap();
    let r = start(Arc::clone(&c)).await;
    let probe = |path| get(r.addr, path);
    // Not loaded yet: not ready, saying why; alive all the same.
    let (status, resp) = probe("/readyz").await;
    assert_eq!(status, 503, "{resp}");
    assert!(
        resp.contains("namespace \\\"sso\\\": jwks not loaded yet"),
        "{resp}"
    );
    assert_eq!(probe("/healthz").await.0, 200);
    jwt.load().await.unwrap();
    assert_eq!(probe("/readyz").await.0, 200);
    // With no traffic, the probes keep the keys fresh: past max_age_secs, still ready.
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (status, resp) = probe("/readyz").await;
        assert_eq!(status, 200, "{resp}");
    }
    // The identity provider goes away: not ready once the keys are older than 2 s.
    up.store(false, Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(8);
    let resp = loop {
        let (status, resp) = probe("/readyz").await;
        if status == 503 {
            break resp;
        }
        assert!(
            Instant::now() < deadline,
            "still ready 8 s after the JWKS went away: {resp}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(resp.contains("more than max_age_secs (2)"), "{resp}");
    assert!(resp.contains("\"status\":\"not ready\""), "{resp}");
    assert_eq!(probe("/healthz").await.0, 200);
    // Back: ready again at the next refresh.
    up.store(true, Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(5);
    while probe("/readyz").await.0 != 200 {
        assert!(
            Instant::now() < deadline,
            "not ready 5 s after the JWKS came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[test]
fn bad_settings_are_refused_naming_them() {
    let cases = [
        ("[server]\nidle_timeout_ms = 10000", "server.idle_timeout_ms (10000) must be at least 1 and less than server.header_read_timeout_ms (10000)"),
        ("[server]\nidle_timeout_ms = 0", "server.idle_timeout_ms (0)"),
        ("[server]\nmax_connections_per_address = 0", "server.max_connections_per_address must be at least 1"),
        ("[limits]\nrequests_per_second = 5\nburst = 0", "limits.burst must be at least 1"),
        ("[limits]\nmax_clients = 0", "limits.max_clients must be at least 1"),
        ("[limits]\nrate = 5", "unknown field `rate`"),
        ("[metrics]\nlisten = \"nowhere\"", "invalid socket address"),
        (
            "[namespaces.sso.auth.jwt]\njwks_file = \"jwks.json\"\nrefresh_secs = 600\nmax_age_secs = 600",
            "max_age_secs (600) must be more than refresh_secs (600)",
        ),
    ];
    let env = [("KEY", KEY_HEX), ("TOKEN_A", TOKEN_A), ("TOKEN_B", TOKEN_B)];
    for (extra, needle) in cases {
        let text = format!("[namespaces.default]\n{extra}");
        let e = Config::from_toml(&text, &fixtures(), &env).unwrap_err().0;
        assert!(e.contains(needle), "{extra:?}: {e}");
    }
}
