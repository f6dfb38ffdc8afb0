//! The HTTP surface end to end, in process: every status, the auth matrix (static tokens and
//! JWTs from a JWKS file and URL), CORS, limits, timeouts, the log line and graceful shutdown.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use temporal_payload_codec_core::Codec;
use tower::ServiceExt;
use tpc_codec_server::config::Config;
use tpc_codec_server::payloads::{json_to_proto, proto_to_json};
use tpc_codec_server::reload::Live;
use tpc_codec_server::routes::app;

const KEY_HEX: &str = "8f1c0e7d2b3a4958a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f80910a1b";
const READER: &str = "reader-token-5b2f0c9a1e";
const WRITER: &str = "writer-token-77d1e4a3c2";
const ORIGIN: &str = "http://localhost:8233";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn config_with(extra: &str) -> Arc<Config> {
    let text = format!(
        r#"
        [server]
        max_body_bytes = 65536
        request_timeout_ms = 2000
        [cors]
        allowed_origins = ["{ORIGIN}"]
        [namespaces.default]
        encryption_key_id = "k1"
        keys = [{{ id = "k1", env = "KEY" }}]
        [namespaces.locked]
        keys = [{{ id = "k1", env = "KEY" }}]
        encryption_key_id = "k1"
        [namespaces.locked.auth]
        tokens = [{{ role = "reader", env = "READER" }}, {{ role = "writer", env = "WRITER" }}]
        [namespaces.jwt.auth.jwt]
        jwks_file = "jwks.json"
        issuer = "https://idp.test"
        audience = "codec"
        [namespaces.nokeys]
        compression = "zlib"
        {extra}
        "#
    );
    let env = [("KEY", KEY_HEX), ("READER", READER), ("WRITER", WRITER)];
    Arc::new(Config::from_toml(&text, &fixtures(), &env).unwrap())
}

async fn loaded(config: Arc<Config>) -> Arc<Config> {
    for ns in config.namespaces.values() {
        if let Some(jwt) = ns.auth.as_ref().and_then(|a| a.jwt()) {
            jwt.load().await.unwrap();
        }
    }
    config
}

async fn config() -> Arc<Config> {
    loaded(config_with("")).await
}

fn sample_json() -> Value {
    json!({"payloads": [
        {"metadata": {"encoding": B64.encode("json/plain")}, "data": B64.encode("{\"customer\":\"Ada\"}")},
        {"metadata": {"encoding": B64.encode("binary/null")}, "externalPayloads": [{"sizeBytes": "1234"}]},
    ]})
}

fn post(path: &str) -> axum::http::request::Builder {
    Request::post(path).header("content-type", "application/json")
}

fn req(path: &str, body: &Value) -> Request<Body> {
    post(path).body(Body::from(body.to_string())).unwrap()
}

async fn call(config: &Arc<Config>, r: Request<Body>) -> (StatusCode, Response<()>, String) {
    let resp = app(config.clone()).oneshot(r).await.unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        Response::from_parts(parts, ()),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

async fn status(config: &Arc<Config>, r: Request<Body>) -> (StatusCode, String) {
    let (s, _, b) = call(config, r).await;
    (s, b)
}

#[tokio::test]
async fn encode_then_decode_round_trips_through_the_core() {
    let c = config().await;
    let (s, encoded) = status(&c, req("/default/encode", &sample_json())).await;
    assert_eq!(s, StatusCode::OK, "{encoded}");
    let encoded: Value = serde_json::from_str(&encoded).unwrap();
    let enc = encoded["payloads"][0]["metadata"]["encoding"].as_str().unwrap();
    assert_eq!(B64.decode(enc).unwrap(), b"binary/encrypted");
    assert_eq!(
        B64.decode(
            encoded["payloads"][0]["metadata"]["encryption-key-id"]
                .as_str()
                .unwrap()
        )
        .unwrap(),
        b"k1"
    );
    let r = Request::post("/decode")
        .header("content-type", "application/json; charset=utf-8")
        .header("x-namespace", "default")
        .body(Body::from(encoded.to_string()))
        .unwrap();
    let (s, decoded) = status(&c, r).await;
    assert_eq!(s, StatusCode::OK, "{decoded}");
    // Lossless, externalPayloads (int64 as a string) included.
    assert_eq!(serde_json::from_str::<Value>(&decoded).unwrap(), sample_json());
}

#[tokio::test]
async fn decodes_what_the_core_encoded_elsewhere() {
    // As a worker would: the core codec with the same key, serialized protobuf in and out.
    let mut b = Codec::builder();
    b.add_key("k1", &hex::decode(KEY_HEX).unwrap()).unwrap();
    b.encryption_key_id("k1");
    let worker = b.build().unwrap();
    let (proto, _) = json_to_proto(sample_json().to_string().as_bytes()).unwrap();
    let (encoded, _) = proto_to_json(&worker.encode(&proto).unwrap()).unwrap();
    let body: Value = serde_json::from_slice(&encoded).unwrap();
    let c = config().await;
    let (s, decoded) = status(&c, req("/default/decode", &body)).await;
    assert_eq!(s, StatusCode::OK, "{decoded}");
    assert_eq!(serde_json::from_str::<Value>(&decoded).unwrap(), sample_json());
    // A namespace without the key passes encrypted payloads through untouched.
    let (s, passthrough) = status(&c, req("/nokeys/decode", &body)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(serde_json::from_str::<Value>(&passthrough).unwrap(), body);
}

#[tokio::test]
async fn every_error_status() {
    let c = config().await;
    let body = sample_json();
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (req("/nope", &body), StatusCode::NOT_FOUND, "not found"),
        (req("/a/b/decode", &body), StatusCode::NOT_FOUND, "not found"),
        (
            req("/unknown/decode", &body),
            StatusCode::NOT_FOUND,
            "namespace \"unknown\" is not configured",
        ),
        (req("/decode", &body), StatusCode::NOT_FOUND, "no namespace given"),
        (
            post("/default/decode")
                .header("x-namespace", "other")
                .body(Body::from(body.to_string()))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "X-Namespace says \"other\"",
        ),
        (
            Request::get("/default/decode").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "",
        ),
        (
            Request::put("/encode").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "",
        ),
        (
            Request::post("/healthz").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "",
        ),
        (
            Request::post("/default/decode")
                .body(Body::from(body.to_string()))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        (
            Request::post("/default/decode")
                .header("content-type", "text/plain")
                .body(Body::from(body.to_string()))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        (
            post("/default/decode")
                .body(Body::from("{\"payloads\":["))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid Payloads JSON",
        ),
        (
            post("/default/decode")
                .body(Body::from("{\"payload\":[]}"))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "unknown field `payload`",
        ),
        // An array where Payloads is an object: protojson refuses it, so do we.
        (
            post("/default/decode")
                .body(Body::from("[[{\"data\":\"aGk=\"}]]"))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid type: sequence, expected a Payloads object",
        ),
        (
            req(
                "/default/decode",
                &json!({"payloads":[{"metadata":{"encoding": B64.encode("binary/snappy")}, "data": B64.encode("not snappy")}]}),
            ),
            StatusCode::BAD_REQUEST,
            "decode failed: ",
        ),
        (
            req(
                "/default/decode",
                &json!({"payloads":[{"metadata":{"encoding": B64.encode("binary/encrypted"), "encryption-key-id": B64.encode("k9")}, "data": B64.encode([0u8; 40])}]}),
            ),
            StatusCode::BAD_REQUEST,
            "k9",
        ),
        (
            post("/default/decode")
                .body(Body::from(vec![b' '; 70_000]))
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "limit of 65536 bytes",
        ),
    ];
    for (r, want, needle) in cases {
        let what = format!("{} {}", r.method(), r.uri());
        let (s, resp, b) = call(&c, r).await;
        assert_eq!(s, want, "{what}: {b}");
        assert!(b.contains(needle), "{what}: {b}");
        if s == StatusCode::METHOD_NOT_ALLOWED {
            assert!(resp.headers().contains_key("allow"), "{what}");
        }
    }
    let (s, b) = status(&c, Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!((s, b.as_str()), (StatusCode::OK, "{\"status\":\"ok\"}"));
}

#[tokio::test]
async fn oversized_streamed_body_without_length_is_413() {
    let c = config().await;
    let chunks = (0..20).map(|_| Ok::<_, std::io::Error>(vec![b' '; 4096]));
    let r = post("/default/decode")
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap();
    assert_eq!(status(&c, r).await.0, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn stalled_body_times_out_with_408() {
    let c = loaded(config_with("")).await;
    let mut c = Arc::try_unwrap(c).unwrap();
    c.server.request_timeout_ms = 100;
    let c = Arc::new(c);
    let r = post("/default/decode")
        .body(Body::from_stream(futures_util::stream::pending::<
            Result<Vec<u8>, std::io::Error>,
        >()))
        .unwrap();
    assert_eq!(status(&c, r).await.0, StatusCode::REQUEST_TIMEOUT);
}

fn bearer(path: &str, token: &str) -> Request<Body> {
    post(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(sample_json().to_string()))
        .unwrap()
}

#[tokio::test]
async fn static_token_matrix() {
    let c = config().await;
    for (path, token, want) in [
        ("/locked/decode", READER, StatusCode::OK),
        ("/locked/decode", WRITER, StatusCode::OK),
        ("/locked/encode", WRITER, StatusCode::OK),
        ("/locked/encode", READER, StatusCode::FORBIDDEN),
        (
            "/locked/decode",
            "reader-token-5b2f0c9a1f",
            StatusCode::UNAUTHORIZED,
        ),
        ("/locked/decode", "", StatusCode::UNAUTHORIZED),
        // A token of another namespace's kind does not cross over.
        ("/default/decode", "anything", StatusCode::OK),
    ] {
        let (s, resp, b) = call(&c, bearer(path, token)).await;
        assert_eq!(s, want, "{path} {token}: {b}");
        if s == StatusCode::UNAUTHORIZED {
            assert_eq!(resp.headers()["www-authenticate"], "Bearer");
        }
        assert!(
            !b.contains(token) || token.is_empty() || s == StatusCode::OK,
            "{b}"
        );
    }
    // The scheme name is case-insensitive (RFC 9110); the token is not.
    for header in [
        format!("bearer {READER}"),
        format!("BEARER {READER}"),
        format!("Bearer   {READER}"),
    ] {
        let r = post("/locked/decode")
            .header("authorization", &header)
            .body(Body::from(sample_json().to_string()))
            .unwrap();
        assert_eq!(status(&c, r).await.0, StatusCode::OK, "{header}");
    }
    let r = post("/locked/decode")
        .header("authorization", format!("Bearer {}", READER.to_uppercase()))
        .body(Body::from(sample_json().to_string()))
        .unwrap();
    assert_eq!(status(&c, r).await.0, StatusCode::UNAUTHORIZED);
    let r = post("/locked/decode")
        .body(Body::from(sample_json().to_string()))
        .unwrap();
    assert_eq!(status(&c, r).await.0, StatusCode::UNAUTHORIZED);
    // Auth runs before the content type and body are looked at.
    let r = Request::post("/locked/encode").body(Body::from("x")).unwrap();
    assert_eq!(status(&c, r).await.0, StatusCode::UNAUTHORIZED);
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn jwt(kid_file: &str, kid: Option<&str>, claims: Value) -> String {
    let pem = std::fs::read(fixtures().join(format!("{kid_file}.pem"))).unwrap();
    let mut h = Header::new(Algorithm::ES256);
    h.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&h, &claims, &EncodingKey::from_ec_pem(&pem).unwrap()).unwrap()
}

fn claims(roles: Value) -> Value {
    json!({"iss": "https://idp.test", "aud": "codec", "sub": "ada", "exp": now() + 300, "roles": roles})
}

async fn jwt_matrix(c: &Arc<Config>) {
    let a = "test-es256-a";
    let good = |roles| jwt(a, Some(a), claims(roles));
    let mut expired = claims(json!(["codec-reader"]));
    expired["exp"] = json!(now() - 3600);
    let mut wrong_iss = claims(json!(["codec-reader"]));
    wrong_iss["iss"] = json!("https://evil.test");
    let mut wrong_aud = claims(json!(["codec-reader"]));
    wrong_aud["aud"] = json!("other");
    let unsigned = {
        // alg "none": header and claims, no signature.
        let enc = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.",
            enc(json!({"alg": "none", "typ": "JWT"})),
            enc(claims(json!(["codec-writer"])))
        )
    };
    let cases = [
        ("/jwt/decode", good(json!(["codec-reader"])), StatusCode::OK),
        (
            "/jwt/encode",
            good(json!(["codec-reader"])),
            StatusCode::FORBIDDEN,
        ),
        ("/jwt/encode", good(json!("openid codec-writer")), StatusCode::OK),
        ("/jwt/decode", good(json!(["other"])), StatusCode::FORBIDDEN),
        (
            "/jwt/decode",
            jwt(a, None, claims(json!(["codec-reader"]))),
            StatusCode::OK,
        ),
        ("/jwt/decode", jwt(a, Some(a), expired), StatusCode::UNAUTHORIZED),
        (
            "/jwt/decode",
            jwt(a, Some(a), wrong_iss),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "/jwt/decode",
            jwt(a, Some(a), wrong_aud),
            StatusCode::UNAUTHORIZED,
        ),
        // Signed by a key the JWKS does not publish, under its own kid and under key a's.
        (
            "/jwt/decode",
            jwt(
                "test-es256-b",
                Some("test-es256-b"),
                claims(json!(["codec-reader"])),
            ),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "/jwt/decode",
            jwt("test-es256-b", Some(a), claims(json!(["codec-reader"]))),
            StatusCode::UNAUTHORIZED,
        ),
        ("/jwt/decode", unsigned, StatusCode::UNAUTHORIZED),
        ("/jwt/decode", "x.y.z".into(), StatusCode::UNAUTHORIZED),
    ];
    for (i, (path, token, want)) in cases.into_iter().enumerate() {
        let (s, b) = status(c, bearer(path, &token)).await;
        assert_eq!(s, want, "case {i} {path}: {b}");
    }
}

#[tokio::test]
async fn jwt_from_jwks_file() {
    jwt_matrix(&config().await).await;
}

#[tokio::test]
async fn configured_issuer_and_audience_are_required_claims() {
    let extra = "[namespaces.open.auth.jwt]\njwks_file = \"jwks.json\"";
    let c = loaded(config_with(extra)).await;
    let a = "test-es256-a";
    for claim in ["aud", "iss"] {
        let mut without = claims(json!(["codec-reader"]));
        without.as_object_mut().unwrap().remove(claim);
        let token = jwt(a, Some(a), without);
        let (s, b) = status(&c, bearer("/jwt/decode", &token)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "without {claim}: {b}");
        assert!(b.contains(&format!("missing claim \"{claim}\"")), "{b}");
        // A namespace that configures neither does not ask for them.
        let (s, b) = status(&c, bearer("/open/decode", &token)).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "without {claim}, no issuer or audience configured: {b}"
        );
    }
}

#[tokio::test]
async fn jwt_from_jwks_url() {
    // The identity provider: a loopback server handing out the JWKS.
    let jwks = std::fs::read_to_string(fixtures().join("jwks.json")).unwrap();
    let idp = axum::Router::new().route("/jwks", axum::routing::get(move || async move { jwks }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, idp).await.unwrap() });
    let extra = format!(
        "[namespaces.url.auth.jwt]\njwks_url = \"http://{addr}/jwks\"\nissuer = \"https://idp.test\"\naudience = \"codec\""
    );
    let c = loaded(config_with(&extra)).await;
    let a = "test-es256-a";
    let (s, b) = status(
        &c,
        bearer("/url/decode", &jwt(a, Some(a), claims(json!(["codec-reader"])))),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = status(
        &c,
        bearer("/url/encode", &jwt(a, Some(a), claims(json!(["codec-reader"])))),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn cors_exact_origin_with_credentials() {
    let c = config().await;
    let preflight = |origin: &str| {
        Request::options("/default/decode")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,x-namespace,authorization",
            )
            .body(Body::empty())
            .unwrap()
    };
    let (s, resp, _) = call(&c, preflight(ORIGIN)).await;
    assert!(s.is_success(), "{s}");
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], ORIGIN);
    assert_eq!(h["access-control-allow-credentials"], "true");
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for name in ["content-type", "x-namespace", "authorization"] {
        assert!(allowed.contains(name), "{allowed}");
    }
    assert!(h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    // Preflights need no credentials even on a locked namespace.
    let mut p = preflight(ORIGIN);
    *p.uri_mut() = "/locked/decode".parse().unwrap();
    assert!(call(&c, p).await.0.is_success());
    for other in [
        "http://localhost:8234",
        "http://evil.test",
        "http://localhost:8233.evil.test",
        "null",
    ] {
        let (_, resp, _) = call(&c, preflight(other)).await;
        assert!(
            !resp.headers().contains_key("access-control-allow-origin"),
            "{other}"
        );
    }
    let r = post("/default/decode")
        .header("origin", ORIGIN)
        .body(Body::from(sample_json().to_string()))
        .unwrap();
    let (s, resp, _) = call(&c, r).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(resp.headers()["access-control-allow-origin"], ORIGIN);
    assert_eq!(resp.headers()["access-control-allow-credentials"], "true");
    assert!(resp.headers()["vary"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("origin"));
}

#[test]
fn debug_of_the_config_shows_no_key_material() {
    let c = config_with("");
    let dbg = format!("{c:?}");
    let key_bytes = hex::decode(KEY_HEX).unwrap();
    for needle in [
        KEY_HEX.to_string(),
        READER.into(),
        WRITER.into(),
        format!("{:?}", &key_bytes[..4]).trim_end_matches(']').to_string(),
    ] {
        assert!(!dbg.contains(&needle), "Debug shows {needle}");
    }
    assert!(dbg.contains("k1"));
}

#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_flight() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let c = config().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = tpc_codec_server::server::Limits {
        header_read_timeout: Duration::from_secs(5),
        max_connections: 8,
        shutdown_grace: Duration::from_secs(5),
        ..Default::default()
    };
    let server = tokio::spawn(tpc_codec_server::server::serve(
        listener,
        Live::new(c, app),
        limits,
        async {
            let _ = stopped.await;
        },
    ));
    let body = sample_json().to_string();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /default/encode HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // New connections are no longer accepted...
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    // ...but the request in flight completes.
    s.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).await.unwrap();
    let resp = String::from_utf8_lossy(&resp);
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(server.await.unwrap(), "drained within the grace period");
}

#[tokio::test]
async fn slow_headers_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = tpc_codec_server::server::Limits {
        header_read_timeout: Duration::from_millis(200),
        max_connections: 8,
        shutdown_grace: Duration::from_secs(1),
        ..Default::default()
    };
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(tpc_codec_server::server::serve(
        listener,
        Live::new(config().await, app),
        limits,
        async {
            let _ = stopped.await;
        },
    ));
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    // Half a request line, then nothing: the server must not hold the socket for ever.
    s.write_all(b"POST /default/dec").await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection was still open after 3 s");
}

/// `Payloads` JSON of `n` payloads with this encoding and data.
fn batch(n: usize, encoding: &str, data: &[u8]) -> String {
    let one = json!({"metadata": {"encoding": B64.encode(encoding)}, "data": B64.encode(data)});
    json!({"payloads": vec![one; n]}).to_string()
}

fn with_max_body(config: Arc<Config>, max_body_bytes: usize) -> Arc<Config> {
    let mut c = Arc::try_unwrap(config).unwrap();
    c.server.max_body_bytes = max_body_bytes;
    Arc::new(c)
}

#[tokio::test]
async fn a_batch_of_size_claims_gets_400_and_the_server_stays_up() {
    // tests/hostile's "claims" batch: 1000 raw snappy blocks of 4 bytes, each claiming to
    // decode to 64 MiB. Before the core bounded this, the decode tried to reserve 62.5 GiB
    // and aborted the whole process.
    let c = with_max_body(config_with(""), 1 << 20);
    let claim = [0x80, 0x80, 0x80, 0x20]; // varint 64 MiB
    let r = post("/nokeys/decode")
        .body(Body::from(batch(1000, "binary/snappy", &claim)))
        .unwrap();
    let (s, b) = status(&c, r).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b.starts_with("decode failed: ") && b.contains("payload 0"), "{b}");
    let (s, _) = status(&c, Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn max_total_decoded_size_bounds_each_request() {
    let c = config_with("[namespaces.small]\nmax_total_decoded_size = 1000");
    // Two zlib payloads of 600 bytes each, as a worker would write them: one fits under
    // 1000 bytes, both do not.
    let mut b = Codec::builder();
    b.compression(temporal_payload_codec_core::Compression::Zlib);
    let worker = b.build().unwrap();
    let plain = batch(2, "binary/plain", &[b'a'; 600]);
    let (proto, _) = json_to_proto(plain.as_bytes()).unwrap();
    let (encoded, _) = proto_to_json(&worker.encode(&proto).unwrap()).unwrap();
    let encoded = String::from_utf8(encoded).unwrap();
    let (s, b) = status(
        &c,
        post("/small/decode").body(Body::from(encoded.clone())).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b.contains("payload 1"), "{b}");
    // The default (the core's, 256 MiB) lets the same body through, and one payload fits.
    let (s, b) = status(&c, post("/nokeys/decode").body(Body::from(encoded)).unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        serde_json::from_str::<Value>(&b).unwrap(),
        serde_json::from_str::<Value>(&plain).unwrap()
    );
    let (proto, _) = json_to_proto(batch(1, "binary/plain", &[b'a'; 600]).as_bytes()).unwrap();
    let (one, _) = proto_to_json(&worker.encode(&proto).unwrap()).unwrap();
    let (s, b) = status(&c, post("/small/decode").body(Body::from(one)).unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

/// A real server on a loopback port, stopped when the returned sender is dropped.
async fn start_server(max_connections: usize) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tpc_codec_server::server::listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = tpc_codec_server::server::Limits {
        header_read_timeout: Duration::from_secs(10),
        max_connections,
        shutdown_grace: Duration::from_secs(1),
        ..Default::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(tpc_codec_server::server::serve(
        listener,
        Live::new(config().await, app),
        limits,
        async {
            let _ = stopped.await;
        },
    ));
    (addr, stop)
}

/// GET /healthz on a new connection; the answer's status line.
async fn healthz(addr: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).await.unwrap();
    String::from_utf8_lossy(&resp)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn idle_connections_at_the_cap_make_room_for_new_clients() {
    use tokio::io::AsyncReadExt;
    // Five times the cap in sockets that send nothing. Before, they held every slot until
    // the header read timeout (10 s here) and a new client waited that long.
    let (addr, _stop) = start_server(8).await;
    let mut idle = Vec::new();
    for _ in 0..40 {
        idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    let started = std::time::Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(5), healthz(addr))
        .await
        .expect("/healthz answered within 5 s");
    let took = started.elapsed();
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(took < Duration::from_secs(1), "/healthz took {took:?}");
    // The room was made by closing the longest-idle connections: the first ones opened.
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(2), idle[0].read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the oldest idle connection is still open: {read:?}"
    );
}

#[tokio::test]
async fn connections_that_never_finish_their_headers_make_room_too() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Half a request line each: hyper's graceful shutdown would keep these until the header
    // read timeout (10 s here), since it has read something.
    let (addr, _stop) = start_server(4).await;
    let mut partial = Vec::new();
    for _ in 0..12 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"POST /default/dec").await.unwrap();
        partial.push(s);
    }
    let started = std::time::Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(5), healthz(addr))
        .await
        .expect("/healthz answered within 5 s");
    let took = started.elapsed();
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(took < Duration::from_secs(1), "/healthz took {took:?}");
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(2), partial[0].read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the oldest partial connection is still open: {read:?}"
    );
}

#[tokio::test]
async fn requests_in_progress_are_never_closed_to_make_room() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (addr, _stop) = start_server(2).await;
    let body = sample_json().to_string();
    let head = format!(
        "POST /default/encode HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    // Two requests in progress, each waiting for the rest of its body: both slots busy.
    let mut busy = Vec::new();
    for _ in 0..2 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&body.as_bytes()[..10]).await.unwrap();
        busy.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let waiting = tokio::spawn(healthz(addr));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "a third connection was served while both slots were busy"
    );
    // The requests finish unharmed; then the waiting client gets a slot.
    for mut s in busy {
        s.write_all(&body.as_bytes()[10..]).await.unwrap();
        let mut resp = Vec::new();
        s.read_to_end(&mut resp).await.unwrap();
        let resp = String::from_utf8_lossy(&resp);
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    }
    let status = tokio::time::timeout(Duration::from_secs(2), waiting)
        .await
        .expect("served once a slot was free")
        .unwrap();
    assert_eq!(status, "HTTP/1.1 200 OK");
}
