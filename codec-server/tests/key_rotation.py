"""Key rotation on a running codec server, with SIGHUP, while clients keep calling it.

    python3 key_rotation.py URL SERVER_PID CONFIG LOG KEY_DIR

The server was started (by test.sh) on CONFIG, which this script rewrites: namespace
"default" with key A encrypting. Meanwhile four clients each keep one keep-alive connection
busy with /encode and /decode round trips. Then:
  1. payloads encode under key A;
  2. key B is added and made the encryption key, SIGHUP: new payloads are under B, and the
     payloads encoded under A still decode;
  3. a key file of the wrong length is refused: the log names the setting, and the server
     still encodes under B and decodes A;
  4. more reloads while the clients run;
and at the end every client request succeeded, each client on the one connection it opened
(its local port never changed), and the log shows the key ids that changed but no key bytes.
"""

import base64
import http.client
import json
import os
import secrets
import signal
import sys
import threading
import time
import urllib.parse

url, pid, config, log_path, key_dir = sys.argv[1:]
pid = int(pid)
host, port = urllib.parse.urlsplit(url).hostname, urllib.parse.urlsplit(url).port

keys = {"A": secrets.token_hex(32), "B": secrets.token_hex(32)}
for kid, hex_key in keys.items():
    with open(os.path.join(key_dir, f"{kid}.hex"), "w") as f:
        f.write(hex_key + "\n")
with open(os.path.join(key_dir, "short.hex"), "w") as f:
    f.write(secrets.token_hex(16) + "\n")  # 16 bytes: AES-256 needs 32


def write_config(key_ids, encrypting, compression="snappy"):
    listed = ", ".join(f'{{ id = "{k}", file = "{key_dir}/{k if k != "C" else "short"}.hex" }}' for k in key_ids)
    head = open(config).read().split("[namespaces.default]")[0]
    with open(config + ".new", "w") as f:
        f.write(head)
        f.write("[namespaces.default]\n")
        f.write(f'compression = "{compression}"\n')
        f.write(f'encryption_key_id = "{encrypting}"\n')
        f.write(f"keys = [{listed}]\n")
    os.replace(config + ".new", config)  # the server never reads half a file


def log_lines():
    with open(log_path) as f:
        return [json.loads(line) for line in f if line.startswith("{")]


def reload(expect):
    """SIGHUP, then waits for the log line saying the reload was done (or refused)."""
    before = len(log_lines())
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in log_lines()[before:]:
            if line.get("message") in ("config reloaded", "config reload refused; the previous config stays in force"):
                assert line["message"].startswith(expect), f"expected {expect!r}, got {line}"
                return line
        time.sleep(0.02)
    raise AssertionError(f"no reload log line within 10 s after SIGHUP ({expect})")


def body(texts):
    return json.dumps(
        {
            "payloads": [
                {
                    "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                    "data": base64.b64encode(json.dumps(t).encode()).decode(),
                }
                for t in texts
            ]
        }
    )


def call(conn, path, payload):
    conn.request("POST", path, body=payload, headers={"content-type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise AssertionError(f"{path}: HTTP {r.status}: {data[:200]!r}")
    return json.loads(data)


def key_ids(encoded):
    return {base64.b64decode(p["metadata"]["encryption-key-id"]).decode() for p in encoded["payloads"]}


def decoded_texts(conn, encoded):
    out = call(conn, "/default/decode", json.dumps(encoded))
    return [json.loads(base64.b64decode(p["data"])) for p in out["payloads"]]


stop = threading.Event()
results = []


def client(n):
    conn = http.client.HTTPConnection(host, port, timeout=10)
    ok, failures, ports = 0, [], set()
    while not stop.is_set():
        texts = [f"client {n} request {ok}", "x" * (n * 300)]
        try:
            encoded = call(conn, "/default/encode", body(texts))
            ports.add(conn.sock.getsockname()[1])
            assert decoded_texts(conn, encoded) == texts
            ports.add(conn.sock.getsockname()[1])
            ok += 1
        except Exception as e:
            failures.append(repr(e))
            conn.close()
    results.append((n, ok, failures, ports))


write_config(["A"], "A")
assert reload("config reloaded")  # the config the clients start on: key A, from files
# Daemons, and stopped in any case: a failed check must end the script, not leave it waiting.
threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(4)]
for t in threads:
    t.start()

try:
    main = http.client.HTTPConnection(host, port, timeout=10)
    under_a = call(main, "/default/encode", body(["encoded under A", 1]))
    assert key_ids(under_a) == {"A"}, key_ids(under_a)
    print("1. encodes under key A")

    write_config(["A", "B"], "B")
    line = reload("config reloaded")
    changes = line["changes"]
    assert 'namespace "default": keys added ["B"]' in changes, changes
    assert 'namespace "default": encryption key id "A" -> "B"' in changes, changes
    under_b = call(main, "/default/encode", body(["encoded under B", 2]))
    assert key_ids(under_b) == {"B"}, key_ids(under_b)
    assert decoded_texts(main, under_a) == ["encoded under A", 1]
    assert decoded_texts(main, under_b) == ["encoded under B", 2]
    print(f"2. after adding B and SIGHUP: encodes under B, A's payloads still decode ({changes})")

    write_config(["A", "B", "C"], "B")
    line = reload("config reload refused")
    assert 'namespace "default" key "C"' in line["error"], line
    assert "holds 16 bytes" in line["error"] and "short.hex" in line["error"], line
    assert key_ids(call(main, "/default/encode", body(["still B"]))) == {"B"}
    assert decoded_texts(main, under_a) == ["encoded under A", 1]
    print(f"3. a 16-byte key file is refused ({line['error']}); B still encrypts, A still decodes")

    for i in range(6):
        write_config(["A", "B"], "B", compression=["zlib", "snappy"][i % 2])
        reload("config reloaded")
        time.sleep(0.1)
    assert decoded_texts(main, under_a) == ["encoded under A", 1]
    print("4. six more reloads")

    time.sleep(0.3)
finally:
    stop.set()
for t in threads:
    t.join()
for n, ok, failures, ports in sorted(results):
    print(f"client {n}: {ok} round trips, {len(failures)} failures, local ports {sorted(ports)}")
    assert not failures, failures[:3]
    assert ok >= 20, f"client {n} made only {ok} round trips"
    assert len(ports) == 1, f"client {n} had to reconnect: ports {ports}"

text = open(log_path).read()
for kid, hex_key in keys.items():
    assert hex_key not in text, f"the log shows key {kid}"
print("the log names key ids, never key bytes")
