//! Reloading the configuration of a running server: a request keeps the configuration it
//! started with, the next one on the same connection gets the new one, a bad file changes
//! nothing, settings bound to the socket wait for a restart, and the change log names ids only.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tpc_codec_server::config::{Config, ProcessEnv};
use tpc_codec_server::reload::{describe_changes, reload, Live};
use tpc_codec_server::routes::app;
use tpc_codec_server::server::{self, Limits};

const KEY_A: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const KEY_B: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const KEY_B2: &str = "3333333333333333333333333333333333333333333333333333333333333333";
const ENV: [(&str, &str); 3] = [("KEY_A", KEY_A), ("KEY_B", KEY_B), ("KEY_B2", KEY_B2)];

/// A folder of its own for one test's config file.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("tpc-cs-reload-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }
    fn config(&self) -> PathBuf {
        self.0.join("codec.toml")
    }
    fn write(&self, text: &str) {
        let tmp = self.0.join("codec.toml.new");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(tmp, self.config()).unwrap();
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn namespace(keys: &str, encrypting: &str) -> String {
    format!("[namespaces.default]\nencryption_key_id = \"{encrypting}\"\nkeys = [{keys}]\n")
}

const ONLY_A: &str = r#"{ id = "A", env = "KEY_A" }"#;
const A_AND_B: &str = r#"{ id = "A", env = "KEY_A" }, { id = "B", env = "KEY_B" }"#;

fn load(path: &Path) -> Arc<Config> {
    Arc::new(Config::load(path, &ENV).unwrap())
}

fn body() -> String {
    json!({"payloads": [{"metadata": {"encoding": B64.encode("json/plain")}, "data": B64.encode("\"Ada\"")}]})
        .to_string()
}

/// Reads one HTTP/1.1 response with a Content-Length; returns its status and JSON body.
async fn response(reader: &mut BufReader<TcpStream>) -> (u16, Value) {
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).await.unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
        }
    }
    let mut data = vec![0; length];
    reader.read_exact(&mut data).await.unwrap();
    (status, serde_json::from_slice(&data).unwrap_or(Value::Null))
}

fn key_id(encoded: &Value) -> String {
    let id = encoded["payloads"][0]["metadata"]["encryption-key-id"]
        .as_str()
        .unwrap();
    String::from_utf8(B64.decode(id).unwrap()).unwrap()
}

#[tokio::test]
async fn a_request_keeps_its_config_and_the_next_one_on_the_connection_gets_the_new_one() {
    let dir = Dir::new("inflight");
    dir.write(&namespace(ONLY_A, "A"));
    let live = Live::new(load(&dir.config()), app);
    let listener = server::listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = Limits {
        header_read_timeout: Duration::from_secs(5),
        max_connections: 8,
        shutdown_grace: Duration::from_secs(1),
        ..Default::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, Arc::clone(&live), limits, async {
        let _ = stopped.await;
    }));

    let body = body();
    let head = format!(
        "POST /default/encode HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let mut conn = BufReader::new(TcpStream::connect(addr).await.unwrap());
    // Headers and half the body: the request is under way when the config changes.
    conn.get_mut().write_all(head.as_bytes()).await.unwrap();
    conn.get_mut().write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    dir.write(&namespace(A_AND_B, "B"));
    reload(&live, &dir.config(), &ENV, None).await.unwrap();
    assert_eq!(
        live.current().namespaces["default"].encryption_key_id.as_deref(),
        Some("B")
    );
    conn.get_mut().write_all(&body.as_bytes()[10..]).await.unwrap();
    let (status, encoded) = response(&mut conn).await;
    assert_eq!(status, 200, "{encoded}");
    assert_eq!(
        key_id(&encoded),
        "A",
        "the request in flight finished on its own config"
    );

    // The same connection, the next request: the new config.
    conn.get_mut().write_all(head.as_bytes()).await.unwrap();
    conn.get_mut().write_all(body.as_bytes()).await.unwrap();
    let (status, encoded) = response(&mut conn).await;
    assert_eq!(status, 200, "{encoded}");
    assert_eq!(key_id(&encoded), "B");
    let _ = stop.send(());
}

#[tokio::test]
async fn a_bad_config_is_refused_and_the_old_one_stays() {
    let dir = Dir::new("bad");
    dir.write(&namespace(ONLY_A, "A"));
    let live = Live::new(load(&dir.config()), app);
    let before = live.current();
    std::fs::write(dir.0.join("short.hex"), "abcd\n").unwrap();
    let cases = [
        (
            namespace(
                r#"{ id = "A", env = "KEY_A" }, { id = "S", file = "short.hex" }"#,
                "A",
            ),
            "namespace \"default\" key \"S\"",
        ),
        (namespace(ONLY_A, "B"), "\"B\" was never added"),
        (
            "[namespaces.default]\nbogus = 1\n".to_owned(),
            "unknown field `bogus`",
        ),
        (String::new(), "no [namespaces"),
    ];
    for (text, needle) in cases {
        dir.write(&text);
        let e = reload(&live, &dir.config(), &ENV, None).await.unwrap_err().0;
        assert!(e.contains(needle), "{text:?}: {e}");
        assert!(!e.contains("abcd") && !e.contains(KEY_A), "{e}");
        assert!(
            Arc::ptr_eq(&before, &live.current()),
            "{text:?} replaced the config"
        );
    }
    std::fs::remove_file(dir.config()).unwrap();
    let e = reload(&live, &dir.config(), &ProcessEnv, None)
        .await
        .unwrap_err()
        .0;
    assert!(e.contains("cannot read config"), "{e}");
    assert!(Arc::ptr_eq(&before, &live.current()));
}

#[tokio::test]
async fn settings_of_the_socket_wait_for_a_restart() {
    let dir = Dir::new("fixed");
    let server = |listen: &str, conns: u32, body: u32| {
        format!("[server]\nlisten = \"{listen}\"\nmax_connections = {conns}\nmax_body_bytes = {body}\n")
    };
    dir.write(&(server("127.0.0.1:7001", 10, 1000) + &namespace(ONLY_A, "A")));
    let live = Live::new(load(&dir.config()), app);
    dir.write(&(server("127.0.0.1:7002", 20, 2000) + &namespace(ONLY_A, "A")));
    reload(&live, &dir.config(), &ENV, None).await.unwrap();
    let s = &live.current().server;
    assert_eq!(s.listen.port(), 7001);
    assert_eq!(s.max_connections, 10);
    assert_eq!(s.max_body_bytes, 2000, "a per-request limit reloads");
    // --listen on the command line wins over the file, at startup and at each reload.
    let mut config = Config::load(&dir.config(), &ENV).unwrap();
    config.server.listen = "127.0.0.1:7003".parse().unwrap();
    let live = Live::new(Arc::new(config), app);
    reload(
        &live,
        &dir.config(),
        &ENV,
        Some("127.0.0.1:7003".parse().unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(live.current().server.listen.port(), 7003);
}

#[test]
fn changes_name_namespaces_and_key_ids_never_key_bytes() {
    let from = |text: &str| Config::from_toml(text, Path::new("/nonexistent"), &ENV).unwrap();
    let old = from(&(namespace(A_AND_B, "A") + "[namespaces.gone]\n"));
    let new = from(
        &(namespace(
            r#"{ id = "B", env = "KEY_B2" }, { id = "C", env = "KEY_A" }"#,
            "C",
        ) + "[namespaces.fresh]\ncompression = \"zlib\"\n"),
    );
    let changes = describe_changes(&old, &new).join("\n");
    for expected in [
        "namespace \"gone\" removed",
        "namespace \"fresh\" added",
        "namespace \"default\": keys added [\"C\"]",
        "namespace \"default\": keys removed [\"A\"]",
        "namespace \"default\": keys [\"B\"] hold different key material now",
        "namespace \"default\": encryption key id \"A\" -> \"C\"",
    ] {
        assert!(
            changes.contains(expected),
            "{expected:?} missing from:\n{changes}"
        );
    }
    for secret in [KEY_A, KEY_B, KEY_B2, "1111", "2222", "3333"] {
        assert!(!changes.contains(secret), "{changes}");
    }
    assert_eq!(describe_changes(&old, &old), ["nothing changed"]);
    // A token changed: the namespace is named, the token is not.
    let token = |t: &str| {
        let text = "[namespaces.n.auth]\ntokens = [{ role = \"reader\", env = \"T\" }]\n";
        Config::from_toml(text, Path::new("/"), &[("T", t)]).unwrap()
    };
    let changes = describe_changes(
        &token("first-token-0123456789"),
        &token("second-token-0123456789"),
    );
    assert_eq!(
        changes,
        ["namespace \"n\": settings, tokens, JWT or client CA changed"]
    );
}
