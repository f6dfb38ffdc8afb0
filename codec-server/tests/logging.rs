//! The request log line, captured through one process-wide subscriber. It lives in its own test
//! binary: tracing caches each call site's interest process-wide, so a thread-local subscriber
//! set while other tests log from other threads could miss every line (it did, 1 run in 3).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use tower::ServiceExt;
use tpc_codec_server::config::Config;
use tpc_codec_server::routes::{app, CUT_MARK, LOG_FIELD_MAX};

const KEY_HEX: &str = "8f1c0e7d2b3a4958a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f80910a1b";
const READER: &str = "reader-token-5b2f0c9a1e";
const WRITER: &str = "writer-token-77d1e4a3c2";

/// Everything every test of this binary logs.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the one subscriber (the first call) and hands out the capture. Tests hold the
/// guard for their whole run, so each one's lines are its own.
async fn capture() -> (Capture, tokio::sync::MutexGuard<'static, ()>) {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let guard = ONE_AT_A_TIME.lock().await;
    let cap = CAPTURE
        .get_or_init(|| {
            let cap = Capture::default();
            let writer = cap.clone();
            let subscriber = tracing_subscriber::fmt()
                .json()
                .flatten_event(true)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
            cap
        })
        .clone();
    cap.0.lock().unwrap().clear();
    (cap, guard)
}

fn lines(cap: &Capture) -> (String, Vec<Value>) {
    let logs = String::from_utf8(cap.0.lock().unwrap().clone()).unwrap();
    let lines = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &Value| l["target"] == "request")
        .collect();
    (logs, lines)
}

fn config() -> Arc<Config> {
    let text = r#"
        [namespaces.default]
        encryption_key_id = "k1"
        keys = [{ id = "k1", env = "KEY" }]
        [namespaces.locked]
        keys = [{ id = "k1", env = "KEY" }]
        encryption_key_id = "k1"
        [namespaces.locked.auth]
        tokens = [{ role = "reader", env = "READER" }, { role = "writer", env = "WRITER" }]
    "#;
    let env = [("KEY", KEY_HEX), ("READER", READER), ("WRITER", WRITER)];
    Arc::new(Config::from_toml(text, Path::new("."), &env).unwrap())
}

fn sample_json() -> Value {
    json!({"payloads": [
        {"metadata": {"encoding": B64.encode("json/plain")}, "data": B64.encode("{\"customer\":\"Ada\"}")},
        {"metadata": {"encoding": B64.encode("binary/null")}},
    ]})
}

fn post(path: &str) -> axum::http::request::Builder {
    Request::post(path).header("content-type", "application/json")
}

fn bearer(path: &str, token: &str) -> Request<Body> {
    post(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(sample_json().to_string()))
        .unwrap()
}

async fn status(config: &Arc<Config>, r: Request<Body>) -> (StatusCode, String) {
    let resp = app(config.clone()).oneshot(r).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn one_json_log_line_per_request_without_data_or_secrets() {
    let (cap, _one_at_a_time) = capture().await;
    let c = config();
    let secret_data = "{\"customer\":\"Ada\"}";
    assert_eq!(
        status(&c, bearer("/locked/encode", WRITER)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        status(&c, bearer("/locked/encode", READER)).await.0,
        StatusCode::FORBIDDEN
    );
    let r = post("/default/decode?token=abc")
        .body(Body::from(sample_json().to_string()))
        .unwrap();
    assert_eq!(status(&c, r).await.0, StatusCode::OK);
    // serde quotes an unexpected string in its error: the caller sees it, the log must not.
    let r = post("/default/decode")
        .body(Body::from(format!(
            "{{\"payloads\":\"{}\"}}",
            B64.encode(secret_data)
        )))
        .unwrap();
    let (s, body) = status(&c, r).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains(&B64.encode(secret_data)), "{body}");
    let (logs, lines) = lines(&cap);
    assert_eq!(lines.len(), 4, "{logs}");
    assert_eq!(lines[3]["status"], 400);
    assert!(
        lines[3]["error"]
            .as_str()
            .unwrap()
            .contains("Data error at line 1"),
        "{logs}"
    );
    assert_eq!(lines[0]["namespace"], "locked");
    assert_eq!(lines[0]["path"], "/locked/encode");
    assert_eq!(lines[0]["status"], 200);
    assert_eq!(lines[0]["payloads"], 2);
    assert!(lines[0]["latency_ms"].is_number());
    assert_eq!(lines[1]["status"], 403);
    assert!(lines[1]["error"].as_str().unwrap().contains("Writer role needed"));
    assert_eq!(lines[2]["path"], "/default/decode");
    for secret in [
        WRITER,
        READER,
        KEY_HEX,
        secret_data,
        &B64.encode(secret_data),
        "abc",
    ] {
        assert!(!logs.contains(secret), "the log shows {secret}: {logs}");
    }
}

#[tokio::test]
async fn caller_supplied_log_fields_are_cut_at_the_documented_length() {
    let (cap, _one_at_a_time) = capture().await;
    let c = config();
    let long = "n".repeat(8192);
    // An unknown namespace named by the header, by the path, and a path naming another one
    // than the header: each error quotes what the caller sent.
    let r = post("/decode")
        .header("x-namespace", &long)
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(status(&c, r).await.0, StatusCode::NOT_FOUND);
    let r = post(&format!("/{long}/decode")).body(Body::from("{}")).unwrap();
    assert_eq!(status(&c, r).await.0, StatusCode::NOT_FOUND);
    let r = post("/default/decode")
        .header("x-namespace", &long)
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(status(&c, r).await.0, StatusCode::BAD_REQUEST);
    // Multi-byte characters are cut on a character boundary.
    let r = post(&format!("/{}/decode", "%C3%A9".repeat(2000)))
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(status(&c, r).await.0, StatusCode::NOT_FOUND);
    let (logs, lines) = lines(&cap);
    assert_eq!(lines.len(), 4, "{logs}");
    for line in logs.lines() {
        assert!(line.len() < 1200, "a log line of {} bytes: {line}", line.len());
    }
    let cut = |v: &Value| {
        let s = v.as_str().unwrap();
        assert!(s.ends_with(CUT_MARK), "not marked as cut: {s}");
        assert!(s.len() <= LOG_FIELD_MAX + CUT_MARK.len(), "{} bytes", s.len());
    };
    cut(&lines[0]["error"]);
    assert!(lines[0]["error"].as_str().unwrap().starts_with("namespace \"nnn"));
    cut(&lines[1]["path"]);
    cut(&lines[1]["error"]);
    cut(&lines[2]["error"]);
    assert_eq!(lines[2]["path"], "/default/decode");
    cut(&lines[3]["path"]);
    cut(&lines[3]["error"]);
    assert!(lines[3]["error"].as_str().unwrap().contains("éé"), "{logs}");
}
