"""Benchmark: the service under a stream of result messages, and the API under 16 clients.

Everything real, on loopback: RabbitMQ, PostgreSQL (a fresh schema, dropped afterwards),
the consumer run the fedora-messaging way (``fedora-messaging consume --callback
gatekeeper_messaging.consumer:Consumer``, a separate process with its outbox
dispatcher, publishing gatekeeper's messages), and ``gatekeeper serve``. Figures:

- **bare RabbitMQ round trip** (the baseline): a message published with pika to a queue and
  received by a pika consumer in this process, at the same steady rate.
- **steady stream**: Fedora CI ``productmd-compose.test.complete`` messages published at
  ``RATE``/s for ``SECONDS`` s over ``COMPOSES`` composes (one gated testcase each). For
  each result, the latency from its publication to the receipt of the first
  ``gatekeeper.decision.update`` whose decision holds it (or a later result of the same
  requirement): p50/p99 (targets <= 100 ms / <= 500 ms), and the sustained rate: results
  stored per second from the first publication to the last result stored (target >= 300/s).
- **saturation**: ``BURST`` messages published at once; results stored per second until
  the last is stored (the most the consumer can take).
- **API**: ``GET /api/v1/composes/{id}/decision`` by 16 concurrent clients (keep-alive),
  p50/p99, next to ``GET /healthz`` measured the same way in the same run.

    .venv/bin/python bench/run.py service
    BENCH_CONSUMERS=2 .venv/bin/python bench/run.py service   # two consumers on the queue

Needs RabbitMQ and PostgreSQL (``GATEKEEPER_TEST_DATABASE_URL``, default the local ``test``
database); without them it says so and measures nothing. Figures are in docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pika
import sqlalchemy as sa
from _common import machine

from gatekeeper.testing import postgres_schema, stop_processes

PG_URL = os.environ.get(
    "GATEKEEPER_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
AMQP_URL = os.environ.get("GATEKEEPER_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
EXCHANGE = "amq.topic"
RATE = int(os.environ.get("BENCH_RATE", "320"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
BURST = int(os.environ.get("BENCH_BURST", "3000"))
COMPOSES = int(os.environ.get("BENCH_COMPOSES", "3"))
CLIENTS, REQUESTS = 16, 100
CONSUMERS = int(os.environ.get("BENCH_CONSUMERS", "2"))
DISPATCH = float(os.environ.get("BENCH_DISPATCH", "0"))  # the consumers' own dispatchers
WARMUP = 1.0  # seconds of the stream published (and waited for) before measuring
BIN = Path(sys.executable).parent
TESTCASE = "t_functional.tier0.functional"
POLICY = f"""\
team: t_functional
owns: ["t_functional.*"]
reporters: {{users: [t-functional-bot]}}
gates:
  - testcase: {TESTCASE}
    arches: [x86_64]
"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values) or [float("nan")]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# -- set-up ----------------------------------------------------------------------------------
def write_configs(root: Path, database_url: str, prefix: str, queue: str) -> tuple[Path, Path]:
    (root / "policies").mkdir()
    (root / "policies" / "t_functional.yaml").write_text(POLICY, encoding="utf-8")
    gk = root / "gatekeeper.toml"
    gk.write_text(
        f'database_url = "{database_url}"\nvar_dir = "{root / "var"}"\n'
        f'policies_dir = "{root / "policies"}"\n\n'
        f'[messaging]\nenabled = true\ntopic_prefix = "{prefix}"\npublish_timeout = 10\n',
        encoding="utf-8",
    )
    fm = root / "fedora-messaging.toml"
    fm.write_text(
        f"""\
amqp_url = "{AMQP_URL}"
publish_exchange = "{EXCHANGE}"
topic_prefix = ""
[client_properties]
app = "gatekeeper-bench"
[queues."{queue}"]
durable = true
auto_delete = false
exclusive = false
arguments = {{}}
[[bindings]]
queue = "{queue}"
exchange = "{EXCHANGE}"
routing_keys = ["{prefix}.ci.productmd-compose.test.*"]
[consumer_config]
topic_prefixes = ["{prefix}"]
dispatch_interval = {DISPATCH}
[consumer_config.identities]
"{prefix}.ci.productmd-compose.test.*" = "t-functional-bot"
[qos]
prefetch_size = 0
prefetch_count = 50
[log_config]
version = 1
disable_existing_loggers = false
[log_config.formatters.simple]
format = "%(asctime)s %(levelname)s %(name)s %(message)s"
[log_config.handlers.console]
class = "logging.StreamHandler"
formatter = "simple"
stream = "ext://sys.stderr"
[log_config.root]
level = "INFO"
handlers = ["console"]
""",
        encoding="utf-8",
    )
    return gk, fm


def env_for(gk: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    return {**env, "GATEKEEPER_CONFIG": str(gk)}


def start_consumer(root: Path, gk: Path, fm: Path, n: int) -> subprocess.Popen[bytes]:
    log = root / f"consumer-{n}.log"
    command = [str(BIN / "fedora-messaging"), "--conf", str(fm), "consume",
               "--callback", "gatekeeper_messaging.consumer:Consumer"]  # fmt: skip
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL, stderr=log.open("wb"), cwd=root, env=env_for(gk),
    )  # fmt: skip
    wait_for(lambda: "Successfully registered AMQP consumer" in log.read_text(errors="replace"),
             f"consumer {n} to start", proc, log)  # fmt: skip
    if os.environ.get("BENCH_PROFILE"):  # py-spy's collapsed stacks of the consumer(s)
        out = f"{os.environ['BENCH_PROFILE']}.{n}"
        subprocess.Popen(["py-spy", "record", "-r", "100", "-d", "20", "--format", "raw",
                          "-o", out, "--pid", str(proc.pid)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)  # fmt: skip
    return proc


def start_server(root: Path, gk: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = root / "serve.log"
    proc = subprocess.Popen(
        [str(BIN / "gatekeeper"), "serve", "--port", str(port)],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=root, env=env_for(gk),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, "gatekeeper serve to answer", proc, log)
    if os.environ.get("BENCH_PROFILE"):  # py-spy's collapsed stacks of the server
        subprocess.Popen(["py-spy", "record", "-r", "100", "-d", "25", "--format", "raw",
                          "-o", f"{os.environ['BENCH_PROFILE']}.serve", "--pid", str(proc.pid)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return proc, base


def wait_for(ready: Callable[[], bool], what: str, proc: subprocess.Popen[bytes] | None = None,
             log: Path | None = None, timeout: float = 60) -> None:  # fmt: skip
    deadline = time.monotonic() + timeout
    while not ready():
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log else ""
            raise RuntimeError(f"waiting for {what}: the process exited\n{tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"waiting for {what}: gave up after {timeout} s")
        time.sleep(0.05)


# -- the bus ---------------------------------------------------------------------------------
class Receiver(threading.Thread):
    """Collects (monotonic receive time, body) of messages on ``routing_key``."""

    def __init__(self, routing_key: str, queue: str | None = None) -> None:
        super().__init__(daemon=True)
        self.got: list[tuple[float, Any]] = []
        self.connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
        self.channel = self.connection.channel()
        self.queue = queue or f"gk-bench-{uuid.uuid4().hex[:8]}"
        self.channel.queue_declare(self.queue, exclusive=True, auto_delete=True)
        self.channel.queue_bind(self.queue, EXCHANGE, routing_key=routing_key)
        self.stopping = threading.Event()

    def run(self) -> None:
        def on_message(channel: Any, method: Any, properties: Any, body: bytes) -> None:
            self.got.append((time.monotonic(), json.loads(body)))

        self.channel.basic_consume(self.queue, on_message, auto_ack=True)
        while not self.stopping.is_set():
            self.connection.process_data_events(time_limit=0.05)
        self.connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(10)


class Publisher:
    def __init__(self) -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
        self.channel = self.connection.channel()

    def publish(self, routing_key: str, body: dict[str, Any], message_id: str) -> None:
        properties = pika.BasicProperties(
            content_type="application/json", content_encoding="utf-8", delivery_mode=2,
            message_id=message_id,
            headers={"fedora_messaging_schema": "base.message", "fedora_messaging_severity": 20,
                     "sent-at": datetime.now(UTC).isoformat()},
        )  # fmt: skip
        self.channel.basic_publish(EXCHANGE, routing_key, json.dumps(body).encode(), properties)

    def close(self) -> None:
        self.connection.close()


def paced(count: int, rate: float) -> Iterator[int]:
    """0..count-1, each yielded at its time on a steady schedule of ``rate`` per second."""
    start = time.monotonic()
    for k in range(count):
        due = start + k / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield k


def bare_round_trip(rate: float, count: int) -> list[float]:
    queue = f"gk-bench-bare-{uuid.uuid4().hex[:8]}"
    receiver = Receiver(queue, queue)
    receiver.channel.queue_bind(queue, EXCHANGE, routing_key=queue)
    receiver.start()
    publisher = Publisher()
    sent: dict[int, float] = {}
    for k in paced(count, rate):
        sent[k] = time.monotonic()
        publisher.publish(queue, {"k": k}, str(k))
    wait_for(lambda: len(receiver.got) >= count, "the bare round trips", timeout=60)
    receiver.stop()
    publisher.close()
    return [at - sent[body["k"]] for at, body in receiver.got]


def ci_body(compose: str, k: int, outcome: str) -> dict[str, Any]:
    return {
        "contact": {"name": "CentOS QA", "team": "t_functional", "email": "qa@example.org"},
        "run": {"url": f"https://ci.example.org/run/{k}", "log": "https://ci.example.org/log"},
        "artifact": {"type": "productmd-compose", "id": compose, "compose_type": "production"},
        "pipeline": {"id": f"pipeline-{k}", "name": "t_functional"},
        "test": {
            "namespace": "t_functional",
            "type": "tier0",
            "category": "functional",
            "result": outcome,
        },
        "system": [{"architecture": "x86_64", "variant": "BaseOS", "provider": "openstack"}],
        "generated_at": datetime.now(UTC).isoformat(),
        "version": "1.1.14",
    }


def stream(prefix: str, composes: list[str], count: int, rate: float | None, tag: str
           ) -> tuple[dict[str, tuple[str, float]], float]:  # fmt: skip
    """Publish ``count`` results round-robin over the composes; returns message id ->
    (compose, publication time), and the time of the first publication."""
    publisher = Publisher()
    sent: dict[str, tuple[str, float]] = {}
    key = f"{prefix}.ci.productmd-compose.test.complete"
    ticks = paced(count, rate) if rate else iter(range(count))
    first = time.monotonic()
    for k in ticks:
        compose = composes[k % len(composes)]
        mid = f"{tag}-{k}"
        sent[mid] = (compose, time.monotonic())
        publisher.publish(key, ci_body(compose, k, "failed" if k % 10 == 3 else "passed"), mid)
    publisher.close()
    return sent, first


class Counting(threading.Thread):
    """Samples how many results of a stream are stored, every 50 ms."""

    def __init__(self, database_url: str, tag: str) -> None:
        super().__init__(daemon=True)
        self.engine = sa.create_engine(database_url)
        self.tag, self.samples = tag, list[tuple[float, int]]()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.samples.append((time.monotonic(), count_stored(self.engine, self.tag)))
            time.sleep(0.05)

    def __enter__(self) -> Counting:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.join(5)
        self.engine.dispose()

    def rate(self, count: int) -> float:
        """Results stored per second between 10% and 90% of the stream stored."""
        t10 = next(t for t, n in self.samples if n >= 0.1 * count)
        t90 = next(t for t, n in self.samples if n >= 0.9 * count)
        return 0.8 * count / (t90 - t10)


def stored_map(database_url: str) -> dict[str, int]:
    """Message id -> the stored result's database id (the consumer's ids are msg:<id>)."""
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, external_id FROM results")).all()
    engine.dispose()
    return {str(ext).removeprefix("msg:"): int(db_id) for db_id, ext in rows if ext}


def count_stored(engine: sa.Engine, tag: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM results WHERE external_id LIKE :t"),
                                {"t": f"msg:{tag}-%"}).scalar_one())  # fmt: skip


def wait_stored(database_url: str, tag: str, count: int, timeout: float = 300) -> float:
    """Monotonic time when ``count`` results of the stream ``tag`` are stored."""
    engine = sa.create_engine(database_url)
    try:
        wait_for(lambda: count_stored(engine, tag) >= count, f"{count} {tag} results stored",
                 timeout=timeout)  # fmt: skip
    finally:
        engine.dispose()
    return time.monotonic()


def latencies(sent: dict[str, tuple[str, float]], ids: dict[str, int],
              updates: list[tuple[float, Any]]) -> tuple[list[float], int]:  # fmt: skip
    """Per result: publication -> first decision.update holding it or a later result of its
    requirement. Returns the latencies and how many results no update showed."""
    order = {mid: n for n, mid in enumerate(sent)}  # publication order
    by_db = {db: mid for mid, db in ids.items()}
    seen: dict[str, list[tuple[float, int]]] = {}  # compose -> (received, newest index)
    for at, body in sorted(updates, key=lambda u: u[0]):
        decision = body["body"]["decision"] if "body" in body else body["decision"]
        shown = [order[by_db[int(a["result_id"])]]
                 for a in decision["satisfied_requirements"] + decision["unsatisfied_requirements"]
                 if a.get("result_id") and int(a["result_id"]) in by_db
                 and by_db[int(a["result_id"])] in order]  # fmt: skip
        if shown:
            seen.setdefault(decision["compose"], []).append((at, max(shown)))
    found, missing = [], 0
    timeline: list[tuple[float, float]] = []
    for mid, (compose, published) in sent.items():
        index = order[mid]
        hit = next((at for at, newest in seen.get(compose, ()) if newest >= index), None)
        if hit is None:
            missing += 1
        else:
            found.append(hit - published)
            timeline.append((published, hit - published))
    if os.environ.get("BENCH_DEBUG"):
        start = min(t for t, _ in timeline)
        per_second: dict[int, list[float]] = {}
        for t, lat in timeline:
            per_second.setdefault(int(t - start), []).append(lat)
        for second, lats in sorted(per_second.items()):
            print(f"  second {second}: p50 {ms(pct(lats, 0.5))} max {ms(max(lats))} n={len(lats)}")
    return found, missing


# -- the API ---------------------------------------------------------------------------------
def hammer(url: str) -> tuple[list[float], float]:
    """CLIENTS threads x REQUESTS keep-alive GETs of ``url``: latencies, and requests/s."""
    barrier = threading.Barrier(CLIENTS)
    times: list[float] = []
    lock = threading.Lock()

    def client() -> None:
        mine = []
        with httpx.Client(timeout=30) as http:
            http.get(url).raise_for_status()  # connect before the clock starts
            barrier.wait()
            for _ in range(REQUESTS):
                start = time.perf_counter()
                http.get(url).raise_for_status()
                mine.append(time.perf_counter() - start)
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, len(times) / (time.perf_counter() - start)


# -- main ------------------------------------------------------------------------------------
def reachable() -> str | None:
    try:
        pika.BlockingConnection(pika.URLParameters(AMQP_URL)).close()
    except Exception as exc:
        return f"RabbitMQ at {AMQP_URL}: {exc!r}"
    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL: {exc}"
    return None


def main() -> int:
    print(f"machine: {machine()}")
    problem = reachable()
    if problem:
        print(f"SKIPPED: needs RabbitMQ and PostgreSQL ({problem})")
        return 0
    from gatekeeper.config import load_settings
    from gatekeeper.service import open_app

    prefix = f"gkbench{uuid.uuid4().hex[:8]}"
    with (
        tempfile.TemporaryDirectory(prefix="gk-bench-service-") as tmp,
        postgres_schema("gk_bench") as url,
    ):
        root = Path(tmp)
        gk, fm = write_configs(root, url, prefix, f"{prefix}.consumer")
        app = open_app(load_settings(gk))
        composes = [f"CentOS-Stream-9-202611{10 + n:02d}.0" for n in range(COMPOSES)]
        for compose in composes:
            app.announce(compose)
        app.store.dispose()
        procs: list[subprocess.Popen[bytes]] = []
        try:
            server, base = start_server(root, gk)  # its dispatcher works beside the consumers'
            procs.append(server)
            procs += [start_consumer(root, gk, fm, n) for n in range(CONSUMERS)]
            count = int(RATE * SECONDS)
            print(f"{CONSUMERS} consumer(s), {COMPOSES} composes; bare round trip at "
                  f"{RATE}/s ...", flush=True)  # fmt: skip
            bare = bare_round_trip(RATE, min(count, 2000))

            warm = int(RATE * WARMUP)
            stream(prefix, composes, warm, RATE, "warm")
            wait_stored(url, "warm", warm)
            print(f"steady stream: {count} results at {RATE}/s ...", flush=True)
            updates = Receiver(f"{prefix}.gatekeeper.decision.update.v1")
            updates.start()
            with Counting(url, "steady") as counting:
                sent, _ = stream(prefix, composes, count, RATE, "steady")
                wait_stored(url, "steady", count)
            time.sleep(1.0)  # the last decisions' updates
            updates.stop()
            lat, missing = latencies(sent, stored_map(url), updates.got)
            sustained = counting.rate(count)

            print(f"saturation: {BURST} results at once ...", flush=True)
            _, burst_first = stream(prefix, composes, BURST, None, "burst")
            burst_rate = BURST / (wait_stored(url, "burst", BURST) - burst_first)

            print(f"API: {CLIENTS} clients x {REQUESTS} GETs ...", flush=True)
            decision_times, decision_rps = hammer(f"{base}/api/v1/composes/{composes[0]}/decision")
            health_times, health_rps = hammer(f"{base}/healthz")
        finally:
            stop_processes(procs)
            handled = [float(part[3:]) for log in root.glob("consumer-*.log")
                       for line in log.read_text(errors="replace").splitlines()
                       if "outcome=stored" in line
                       for part in line.split() if part.startswith("ms=")]  # fmt: skip
            if handled:
                print(f"consumer callback per stored result: median {statistics.median(handled)}"
                      f" ms, p99 {pct(handled, 0.99)} ms ({len(handled)} logged)")  # fmt: skip
            for log in sorted(root.glob("*.log")):
                errors = [line for line in log.read_text(errors="replace").splitlines()
                          if " ERROR " in line or "Traceback" in line]  # fmt: skip
                if errors:
                    print(f"{log.name}: {len(errors)} error lines, e.g. {errors[0][:200]}")

    print()
    print(f"{'what':52} {'p50':>10} {'p99':>10}  target")
    print(f"{'bare RabbitMQ publish -> consume (baseline)':52} "
          f"{ms(pct(bare, .5)):>10} {ms(pct(bare, .99)):>10}")  # fmt: skip
    p50, p99 = pct(lat, 0.5), pct(lat, 0.99)
    print(f"{'result published -> its decision.update received':52} {ms(p50):>10} "
          f"{ms(p99):>10}  p50 <= 100 ms, p99 <= 500 ms")  # fmt: skip
    print(f"{'  ratio to the bare round trip':52} {p50 / pct(bare, .5):>9.1f}x "
          f"{p99 / pct(bare, .99):>9.1f}x")  # fmt: skip
    print(f"  ({len(lat)} results timed, {missing} shown by no update; "
          f"{len(updates.got)} decision updates)")  # fmt: skip
    print(f"{'GET /healthz, 16 clients (baseline)':52} {ms(pct(health_times, .5)):>10} "
          f"{ms(pct(health_times, .99)):>10}  ({health_rps:.0f} req/s)")  # fmt: skip
    print(f"{'GET .../decision, 16 clients':52} {ms(pct(decision_times, .5)):>10} "
          f"{ms(pct(decision_times, .99)):>10}  ({decision_rps:.0f} req/s)")  # fmt: skip
    print(f"{'  ratio to /healthz':52} "
          f"{pct(decision_times, .5) / pct(health_times, .5):>9.1f}x "
          f"{pct(decision_times, .99) / pct(health_times, .99):>9.1f}x")  # fmt: skip
    print()
    print(f"sustained: {sustained:.0f} results/s stored (10% to 90% of the stream) while "
          f"publishing {RATE}/s "
          f"(target >= 300/s); saturation: {burst_rate:.0f} results/s")  # fmt: skip
    checks = [
        ("sustained results/s >= 300", sustained >= 300),
        ("p50 publish -> decision.update <= 100 ms", p50 <= 0.100),
        ("p99 publish -> decision.update <= 500 ms", p99 <= 0.500),
    ]
    for what, met in checks:
        print(f"{'MET' if met else 'MISSED'}: {what}")
    print(f"(median decision GET {statistics.median(decision_times) * 1000:.1f} ms)")
    return 0


if __name__ == "__main__":
    if str(Path(__file__).parent) not in sys.path:
        sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
