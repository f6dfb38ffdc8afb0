"""One workflow, every language, on a real Temporal server (run by scripts/demo.sh).

A Python client starts CrossLanguageWorkflow, hosted by a Go worker; the workflow calls the
DescribeOrder activity, hosted by a Java worker, then the QuoteShipping activity, hosted by a
TypeScript worker. Every one of them encodes payloads with this project's codec (snappy, then
AES-256-GCM under one key). Then .NET and C decode the stored
result fetched from the server's history, the Temporal CLI shows it through the codec server,
and every binding decodes every other binding's payloads.

  crosslang.py            runs the flow, prints what happened, and asserts every claim along
                          the way: exit 1 on any failure (so the demo is also the end-to-end test)

All servers listen on loopback ports the kernel picks, and every process started here is
stopped at the end, whatever happens. Components are built beforehand by scripts/demo.sh.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.converter import default as default_converter

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "target" / "demo"  # scripts/demo.sh puts the built programs here
VENV_BIN = REPO / ".venv" / "bin"
DOTNET = REPO / "bindings" / "dotnet" / "out" / "examples"  # bindings/dotnet/test.sh --build-only
JAVA_JAR = REPO / "examples" / "java" / "target" / "tpc-examples.jar"  # examples/java/run.sh build
NODE = REPO / "bindings" / "node" / "build" / "examples"  # npm run build:tests in bindings/node
SHIPPING_QUEUE = "tpc-node"
KEY_ID = "demo-key"
ORDER = {"customer": "Ada Lovelace", "items": ["analytical engine", "punch cards"]}
EXPECTED_RESULT = {
    "summary": "Order for Ada Lovelace: analytical engine, punch cards (described by java)",
    "itemCount": 2,
    "workflowLanguage": "go",
    "shipping": "2 items to Ada Lovelace in 2 days (quoted by typescript)",
}
# The payload tool of each binding: `<tool> encode|decode FILE|-`, same environment and exit
# codes everywhere (see the README's "payload tools"). Exit 3 means a codec error.
TOOLS = {
    "C": [str(BUILD / "payload_tool")],
    "Go": [str(BUILD / "go" / "payloadtool")],
    "Java": ["java", "-cp", str(JAVA_JAR), "io.github.temporalpayloadcodec.examples.PayloadTool"],
    ".NET": ["mono", str(DOTNET / "PayloadTool.exe")],
    "Python": [str(VENV_BIN / "python"), str(REPO / "examples" / "python" / "payload_tool.py")],
    "Node": ["node", str(NODE / "payload-tool.js")],
}
# How each language reports TPC_ERR_UNKNOWN_KEY (6) and TPC_ERR_DECRYPT_FAILED (7): the error
# type its tool names on stderr, next to "(6)" or "(7)".
ERROR_TYPES = {
    "C": {6: "decode failed: unknown key", 7: "decode failed: decryption failed"},
    "Go": {6: "tpc.Error", 7: "tpc.Error"},
    "Java": {6: "TpcException", 7: "TpcException"},
    ".NET": {6: "TpcException", 7: "TpcException"},
    "Python": {6: "UnknownKeyError", 7: "DecryptFailedError"},
    "Node": {6: "UnknownKeyError", 7: "DecryptFailedError"},
}


class Failure(Exception):
    """A step of the demo went wrong; the message says what, in plain words."""


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path


@dataclass
class Demo:
    work: Path
    procs: list[Proc] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    key_hex: str = field(default_factory=lambda: secrets.token_hex(32))

    # -- processes ----------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            TEMPORAL_ADDRESS=self.address,
            TEMPORAL_NAMESPACE="default",
            TPC_KEY_ID=KEY_ID,
            TPC_KEY_HEX=self.key_hex,
            LD_LIBRARY_PATH=str(REPO / "target" / "release"),
            TPC_LIBRARY_PATH=str(REPO / "target" / "release" / "libtemporal_payload_codec.so"),
        )
        env.update(extra)
        return env

    def start(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> Proc:
        log = self.work / f"{name}.log"
        out = open(log, "wb")
        popen = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env or self.env(), cwd=REPO, start_new_session=True
        )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        # Newest first, one at a time: workers leave before the server they talk to.
        for proc in reversed(self.procs):
            if proc.popen.poll() is None:
                os.killpg(proc.popen.pid, signal.SIGTERM)
                try:
                    proc.popen.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.popen.pid, signal.SIGKILL)
                    proc.popen.wait()

    def print_logs(self) -> None:
        for proc in self.procs:
            text = proc.log.read_text(errors="replace").splitlines()
            print(f"\n---- last lines of {proc.name} ({proc.log}) ----", file=sys.stderr)
            print("\n".join(text[-40:]), file=sys.stderr)

    def wait_for(self, what: str, ready, timeout: float, proc: Proc | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.popen.poll() is not None:
                raise Failure(f"{proc.name} exited (status {proc.popen.returncode}) before {what}")
            try:
                if ready():
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise Failure(f"{what} did not happen within {timeout:.0f} s")

    def run(self, cmd: list[str], what: str, stdin: bytes | None = None, env=None, timeout=120):
        result = subprocess.run(cmd, input=stdin, capture_output=True, env=env or self.env(), cwd=REPO, timeout=timeout)
        if result.returncode != 0:
            raise Failure(f"{what} failed (exit {result.returncode}): {result.stderr.decode(errors='replace').strip()}")
        return result.stdout

    def expect(self, ok: bool, claim: str) -> None:
        if not ok:
            self.failures.append(claim)
            print(f"  FAILED: {claim}")

    # -- the flow -----------------------------------------------------------------------

    def temporal(self, *args: str, codec: bool = False) -> bytes:
        cmd = [str(VENV_BIN / "temporal"), *args, "--address", self.address, "--namespace", "default"]
        if codec:
            cmd += ["--codec-endpoint", f"http://127.0.0.1:{self.codec_port}", "--codec-auth", f"Bearer {self.token}"]
        return self.run(cmd, "temporal " + " ".join(args[:2]))

    def start_servers(self) -> None:
        self.port, self.codec_port = free_port(), free_port()
        self.address = f"127.0.0.1:{self.port}"
        server = self.start(
            "temporal-server",
            [
                str(VENV_BIN / "temporal"),
                "server",
                "start-dev",
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--headless",
                "--log-level",
                "warn",
            ],
        )
        self.wait_for("the Temporal server to answer", self.server_ready, 60, server)

        self.token = secrets.token_urlsafe(24)
        config = self.work / "codec-server.toml"
        # Keys and tokens come from the environment: the config file itself holds no secret.
        config.write_text(
            f'[server]\nlisten = "127.0.0.1:{self.codec_port}"\n\n'
            '[namespaces.default]\ncompression = "snappy"\nencryption_key_id = "demo-key"\n'
            'keys = [{ id = "demo-key", env = "TPC_KEY_HEX", format = "hex" }]\n\n'
            '[namespaces.default.auth]\ntokens = [{ role = "reader", env = "TPC_CODEC_TOKEN" }]\n'
        )
        codec = self.start(
            "codec-server",
            [str(BUILD / "tpc-codec-server"), "--config", str(config)],
            env=self.env(TPC_CODEC_TOKEN=self.token),
        )
        url = f"http://127.0.0.1:{self.codec_port}/healthz"
        self.wait_for(
            "the codec server to answer /healthz",
            lambda: urllib.request.urlopen(url, timeout=1).status == 200,
            30,
            codec,
        )

    def server_ready(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            pass
        health = subprocess.run(
            [str(VENV_BIN / "temporal"), "operator", "cluster", "health", "--address", self.address],
            capture_output=True,
            timeout=10,
        )
        return health.returncode == 0 and b"SERVING" in health.stdout

    def start_workers(self) -> None:
        go = self.start("go-worker", [str(BUILD / "go" / "worker")], env=self.env(TPC_SHIPPING_QUEUE=SHIPPING_QUEUE))
        java = self.start(
            "java-worker", ["java", "-cp", str(JAVA_JAR), "io.github.temporalpayloadcodec.examples.Worker"]
        )
        node = self.start("node-worker", ["node", str(NODE / "demo-worker.js")])
        # A worker is ready once it polls its task queue: the server then lists a poller.
        queues = [(go, "tpc-go", "workflow"), (java, "tpc-java", "activity"), (node, SHIPPING_QUEUE, "activity")]
        for proc, queue, kind in queues:
            self.wait_for(f"the {proc.name} to poll {queue}", lambda q=queue, k=kind: self.has_poller(q, k), 60, proc)

    def has_poller(self, queue: str, kind: str) -> bool:
        out = self.temporal("task-queue", "describe", "--task-queue", queue, "--task-queue-type", kind, "-o", "json")
        return b"identity" in out

    def run_workflow(self) -> dict:
        self.workflow_id = f"tpc-demo-{secrets.token_hex(4)}"
        out = self.run(
            [
                str(VENV_BIN / "python"),
                str(REPO / "examples" / "python" / "starter.py"),
                "--workflow-id",
                self.workflow_id,
            ],
            "the Python starter",
        )
        return json.loads(out.decode().strip().splitlines()[-1])

    def history(self, codec: bool) -> dict:
        args = ["workflow", "show", "--workflow-id", self.workflow_id, "-o", "json"]
        if not codec:
            args.append("--no-json-shorthand-payloads")
        return json.loads(self.temporal(*args, codec=codec))

    def tool(self, lang: str, mode: str, data: bytes, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            TOOLS[lang] + [mode, "-"], input=data, capture_output=True, env=self.env(**env), cwd=REPO, timeout=120
        )


# -- helpers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stored_payloads(history: dict) -> list[tuple[str, str, dict]]:
    """(event, field path, payload JSON) for every payload in a raw history; an activity's
    events are named with its type, as in "ActivityTaskCompleted (QuoteShipping)"."""
    found = []
    activity_of = {}  # the ActivityTaskScheduled event id -> the activity type

    def walk(node, event: str, path: str) -> None:
        if isinstance(node, dict):
            if (
                "metadata" in node
                and isinstance(node["metadata"], dict)
                and set(node) <= {"metadata", "data", "externalPayloads"}
            ):
                found.append((event, path, node))
                return
            for key, value in node.items():
                # Search attributes are indexed by the server: Temporal never runs codecs on them.
                if key != "searchAttributes":
                    walk(value, event, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            for _i, value in enumerate(node):
                walk(value, event, path)

    for event in history.get("events", []):
        kind = event.get("eventType", "?").removeprefix("EVENT_TYPE_").title().replace("_", "")
        scheduled = event.get("activityTaskScheduledEventAttributes")
        if scheduled:
            activity_of[event.get("eventId")] = scheduled.get("activityType", {}).get("name", "?")
            kind += f" ({activity_of[event.get('eventId')]})"
        completed = event.get("activityTaskCompletedEventAttributes")
        if completed:
            kind += f" ({activity_of.get(completed.get('scheduledEventId'), '?')})"
        for key, value in event.items():
            if key.endswith("Attributes"):
                walk(value, kind, "")
    return found


def encoding_of(payload: dict) -> str:
    raw = payload.get("metadata", {}).get("encoding")
    return base64.b64decode(raw).decode(errors="replace") if raw else "(none)"


def to_payloads(payload_json: list[dict]) -> bytes:
    return json_format.ParseDict({"payloads": payload_json}, Payloads()).SerializeToString()


def json_values(serialized: bytes) -> list:
    """The JSON values inside decoded json/plain payloads."""
    values = []
    for p in Payloads.FromString(serialized).payloads:
        if p.metadata.get("encoding") != b"json/plain":
            raise Failure(f"decoded payload has encoding {p.metadata.get('encoding')!r}, not json/plain")
        values.append(json.loads(p.data))
    return values


def same_payloads(a: bytes, b: bytes) -> bool:
    return a == b or Payloads.FromString(a) == Payloads.FromString(b)


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [*rows, header]) for i in range(len(header))]
    line = lambda r: "  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


# -- the demo -----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()  # no options: --help says what this is
    needed = [
        BUILD / "payload_tool",
        BUILD / "go" / "worker",
        BUILD / "go" / "payloadtool",
        BUILD / "tpc-codec-server",
        JAVA_JAR,
        NODE / "demo-worker.js",
        NODE / "payload-tool.js",
        DOTNET / "PayloadTool.exe",
        DOTNET / "DecodePayloads.exe",
    ]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        print(f"not built: {', '.join(missing)}; run scripts/demo.sh, which builds everything first", file=sys.stderr)
        return 2

    started = time.monotonic()
    demo = Demo(work=Path(tempfile.mkdtemp(prefix="tpc-demo-")))
    ok = False
    try:
        run_demo(demo)
        ok = not demo.failures
    except Failure as e:
        print(f"\nThe demo stopped: {e}", file=sys.stderr)
    except subprocess.TimeoutExpired as e:
        print(f"\nThe demo stopped: {e.cmd[0]} took longer than {e.timeout:.0f} s", file=sys.stderr)
    finally:
        demo.stop_all()
    if not ok:
        demo.print_logs()
        for claim in demo.failures:
            print(f"FAILED: {claim}", file=sys.stderr)
        print(f"\nlogs kept in {demo.work}", file=sys.stderr)
        return 1
    shutil.rmtree(demo.work, ignore_errors=True)
    print(f"\nAll checks passed in {time.monotonic() - started:.0f} s; every process stopped.")
    return 0


def run_demo(demo: Demo) -> None:
    print("Starting a Temporal dev server and the codec server on loopback ...")
    demo.start_servers()
    print(f"  Temporal at {demo.address}; codec server at http://127.0.0.1:{demo.codec_port}")
    print(
        "Starting the Go worker (workflow, queue tpc-go), the Java worker (DescribeOrder, queue tpc-java)"
        f" and the TypeScript worker (QuoteShipping, queue {SHIPPING_QUEUE}) ..."
    )
    demo.start_workers()

    print("Python client: starting CrossLanguageWorkflow with", json.dumps(ORDER))
    result = demo.run_workflow()
    print("  result:", json.dumps(result))
    demo.expect(result == EXPECTED_RESULT, f"workflow result {result} == {EXPECTED_RESULT}")

    # What the server stored: every payload must be encrypted (no plaintext reaches it).
    raw = demo.history(codec=False)
    stored = stored_payloads(raw)
    print(f"\nPayloads stored in the server's history ({len(stored)}):")
    rows, writer = (
        [],
        {
            "WorkflowExecutionStarted": "Python (client)",
            "ActivityTaskScheduled (DescribeOrder)": "Go (workflow)",
            "ActivityTaskCompleted (DescribeOrder)": "Java (activity)",
            "ActivityTaskScheduled (QuoteShipping)": "Go (workflow)",
            "ActivityTaskCompleted (QuoteShipping)": "TypeScript (activity)",
            "WorkflowExecutionCompleted": "Go (workflow)",
        },
    )
    for event, path, payload in stored:
        size = len(base64.b64decode(payload.get("data", "")))
        rows.append([event, path, writer.get(event, "?"), encoding_of(payload), str(size)])
    print(table(rows, ["event", "field", "encoded by", "stored encoding", "bytes"]))
    demo.expect(
        len(stored) >= 6,
        f"at least 6 payloads in history (input, each activity's input and result, result), found {len(stored)}",
    )
    unknown = [r[0] for r in rows if r[2] == "?"]
    demo.expect(not unknown, f"every stored payload comes from a known writer; not: {unknown}")
    plain = [r for r in rows if r[3] != "binary/encrypted"]
    demo.expect(not plain, f"every stored payload is binary/encrypted; not: {plain}")
    leaked = [e for e, _, p in stored if b"Lovelace" in base64.b64decode(p.get("data", ""))]
    demo.expect(not leaked, f"no stored payload holds the customer's name in clear; found in {leaked}")

    completed = [p for e, path, p in stored if e == "WorkflowExecutionCompleted"]
    demo.expect(len(completed) == 1, "one result payload in WorkflowExecutionCompleted")
    result_bin = to_payloads(completed[:1])

    print("\nThe stored result, decoded outside the workers with the same key:")
    rows = []
    net = demo.run(["mono", str(DOTNET / "DecodePayloads.exe"), "-"], ".NET DecodePayloads", stdin=result_bin)
    net_text = net.decode().strip()
    rows.append([".NET (DecodePayloads)", net_text.removeprefix("payload 0: ")])
    # It prints "payload 0: encoding=json/plain data=<the JSON text>".
    net_value = json.loads(net_text.split(" data=", 1)[1]) if " data=" in net_text else None
    demo.expect(
        "encoding=json/plain" in net_text and net_value == EXPECTED_RESULT, f".NET decoded the result: {net_text}"
    )
    c_out = demo.run([str(BUILD / "payload_tool"), "decode", "-"], "the C payload_tool", stdin=result_bin)
    c_value = json_values(c_out)
    rows.append(["C (payload_tool)", json.dumps(c_value[0])])
    demo.expect(c_value == [EXPECTED_RESULT], f"C decoded the result: {c_value}")
    decoded = demo.history(codec=True)
    shown = [p for e, path, p in stored_payloads_shorthand(decoded) if e == "WorkflowExecutionCompleted"]
    rows.append(["temporal CLI via codec server", json.dumps(shown[0]) if shown else "(nothing)"])
    demo.expect(shown == [EXPECTED_RESULT], f"temporal workflow show --codec-endpoint shows the result: {shown}")
    print(table(rows, ["decoded by", "result"]))

    matrix(demo)
    same_bytes_and_empty_variables(demo)
    wrong_keys(demo)


def stored_payloads_shorthand(history: dict) -> list[tuple[str, str, object]]:
    """The result payloads of a history the CLI printed through the codec server, as JSON
    values: the CLI shows a decoded json/plain payload either as its value (its shorthand) or
    as {metadata, data} with base64, depending on the version."""
    found = []
    for event in history.get("events", []):
        kind = event.get("eventType", "?").removeprefix("EVENT_TYPE_").title().replace("_", "")
        attrs = event.get("workflowExecutionCompletedEventAttributes")
        if attrs and "result" in attrs:
            for value in attrs["result"].get("payloads", []):
                if isinstance(value, dict) and set(value) <= {"metadata", "data"} and "metadata" in value:
                    if encoding_of(value) != "json/plain":
                        value = f"(still encoded: {encoding_of(value)})"
                    else:
                        value = json.loads(base64.b64decode(value.get("data", "")))
                found.append((kind, "result", value))
    return found


def matrix(demo: Demo) -> None:
    """Each binding encodes the workflow input; every binding decodes each of those."""
    plain = Payloads(payloads=default_converter().payload_converter.to_payloads([ORDER])).SerializeToString()
    langs = list(TOOLS)
    encoded = {}
    for lang in langs:
        out = demo.tool(lang, "encode", plain)
        demo.expect(out.returncode == 0, f"{lang} encodes: {out.stderr.decode(errors='replace').strip()}")
        encoded[lang] = out.stdout
        if out.returncode == 0:
            enc = Payloads.FromString(out.stdout).payloads[0].metadata.get("encoding")
            demo.expect(enc == b"binary/encrypted", f"{lang}'s encoding is binary/encrypted, got {enc!r}")
    print("\nDecode matrix: rows encoded, columns decoded (each cell must give the plain payload back)")
    rows = []
    for src in langs:
        row = [src]
        for dst in langs:
            out = demo.tool(dst, "decode", encoded[src])
            good = out.returncode == 0 and same_payloads(out.stdout, plain)
            demo.expect(good, f"{dst} decodes {src}'s payload: {out.stderr.decode(errors='replace').strip()}")
            row.append("ok" if good else "FAIL")
        rows.append(row)
    print(table(rows, ["encoded by \\ decoded by", *langs]))


def same_bytes_and_empty_variables(demo: Demo) -> None:
    """Without a key every tool writes the reference snappy codec's bytes: the same bytes in
    every language. An empty TPC_KEY_HEX or TPC_KEY_ID counts as unset in every tool."""
    plain = Payloads(payloads=default_converter().payload_converter.to_payloads([ORDER, "x" * 300])).SerializeToString()
    print("\nSame bytes everywhere: each tool's unencrypted encoding, and empty variables as unset")
    outputs = {}
    for lang in TOOLS:
        out = demo.tool(lang, "encode", plain, TPC_KEY_HEX="", TPC_KEY_ID="")
        demo.expect(
            out.returncode == 0, f"{lang} encodes with TPC_KEY_HEX empty: {out.stderr.decode(errors='replace').strip()}"
        )
        outputs[lang] = out.stdout
        keyed = demo.tool(lang, "encode", plain, TPC_KEY_ID="")
        demo.expect(
            keyed.returncode == 0,
            f"{lang} encodes with TPC_KEY_ID empty: {keyed.stderr.decode(errors='replace').strip()}",
        )
        if keyed.returncode == 0:
            key_id = Payloads.FromString(keyed.stdout).payloads[0].metadata.get("encryption-key-id")
            demo.expect(key_id == KEY_ID.encode(), f"{lang} treats an empty TPC_KEY_ID as unset (key id {key_id!r})")
    first = outputs["C"]
    rows = [[lang, f"{len(out)} bytes", "identical" if out == first else "DIFFERENT"] for lang, out in outputs.items()]
    for lang, out in outputs.items():
        demo.expect(out == first, f"{lang}'s unencrypted encoding is byte-identical to C's")
    print(table(rows, ["language", "encoded", "vs C"]))


def wrong_keys(demo: Demo) -> None:
    """A different key under the same id must fail authentication (7); an id the codec does
    not hold must be reported as unknown (6). Each language names its own error."""
    sample = demo.tool(
        "C",
        "encode",
        Payloads(payloads=default_converter().payload_converter.to_payloads(["secret"])).SerializeToString(),
    )
    print("\nWrong keys: each language, decoding a payload it cannot decrypt")
    rows = []
    for lang in TOOLS:
        for case, env, code in [
            ("other key, same id", {"TPC_KEY_HEX": secrets.token_hex(32)}, 7),
            ("unknown key id", {"TPC_KEY_ID": "not-the-demo-key"}, 6),
        ]:
            out = demo.tool(lang, "decode", sample.stdout, **env)
            message = out.stderr.decode(errors="replace").strip().splitlines()[-1] if out.stderr.strip() else ""
            kind = ERROR_TYPES[lang][code]
            good = out.returncode == 3 and f"({code})" in message and kind in message
            demo.expect(good, f"{lang}, {case}: exit 3 with {kind} ({code}); got exit {out.returncode}: {message}")
            rows.append([lang, case, message[:100]])
    print(table(rows, ["language", "case", "error"]))


if __name__ == "__main__":
    sys.exit(main())
