"""Fixtures for kpipe's integration tests: the built binary against a real broker.

Run them with scripts/test, or by hand:

    scripts/kafka-local start
    KPIPE_BIN=$PWD/build/kpipe /usr/bin/python3 -m pytest tests/integration

The broker comes from KPIPE_BROKERS, else from the `brokers` file that
scripts/kafka-local writes. Integration tests never skip: no broker, or no
kpipe binary for a test that needs one, is a failure.

Fixtures:
    kpipe_bin   path of the kpipe binary (KPIPE_BIN, default build/kpipe)
    brokers     bootstrap address of the running broker
    security    the broker's TLS listeners and what a client needs (dict of KPIPE_TEST_*)
    admin       confluent_kafka AdminClient on that broker
    run         run(*args, input=b"", timeout=60, env={}) -> CompletedProcess (bytes);
                fails the test when the output holds one of the test secrets (SECRETS)
    topic       topic(partitions=1, config=None) -> name of a new, unique topic,
                deleted when the test ends
    read_topic  read_topic(name) -> [Record(partition, offset, key, value,
                headers, timestamp)] read by an independent consumer

Schema Registry (test_registry.py):
    schema_registry  base URL of a real Apicurio Registry's Confluent API:
                     KPIPE_SCHEMA_REGISTRY, else one started by
                     scripts/schema-registry-local for the session (stopped at its end)
    auth_registry    the same with --auth (basic auth, user alice, password alice-secret),
                     always started for the session, in a state dir of its own

Fault injection (tests marked `fault`, run last; each cluster is started on first
use in a state dir of its own next to scripts/kafka-local's, and stopped at the end
of the session; it cannot start: the test fails):
    cluster      a 3-node kafkautil.LocalCluster (replication factor 3,
                 min.insync.replicas=2) with kill/stop_node/start_node/restart(N),
                 leader(), wait_fenced(), wait_in_sync(); every node runs when a
                 test starts and again after it
    single_node  the same for a 1-node cluster (kill and restart with its data)
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import kafkautil  # found next to this file (pytest's default "prepend" import mode)
import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "fault: kills or restarts brokers of a cluster of its own (run last)")
    config.addinivalue_line(
        "markers", "slow: mostly waits (timeouts, token lifetimes, kill -9 cycles); the sanitizer pass leaves it out"
    )


def pytest_collection_modifyitems(config, items):
    # Fault tests start clusters of their own: run them after the rest, so those
    # JVMs run only while they are needed.
    items.sort(key=lambda item: item.get_closest_marker("fault") is not None)


def pytest_terminal_summary(terminalreporter):
    if kafkautil.FAULT_REPORT:
        terminalreporter.section("faults: records sent, lost, duplicated; kpipe's exit code")
        for row in kafkautil.FAULT_REPORT:
            terminalreporter.write_line(row)


@pytest.fixture(scope="session")
def kpipe_bin() -> Path:
    path = Path(os.environ.get("KPIPE_BIN") or kafkautil.REPO_ROOT / "build" / "kpipe")
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"kpipe binary not found at {path}: build it (scripts/test does) or set KPIPE_BIN",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def brokers() -> str:
    address = kafkautil.find_brokers()
    if address is None:
        pytest.fail(
            "no Kafka broker: set KPIPE_BROKERS or run `scripts/kafka-local start` "
            f"(looked for {kafkautil.kafka_local_dir() / 'brokers'})",
            pytrace=False,
        )
    try:
        kafkautil.check_reachable(address)
    except Exception as e:  # noqa: BLE001 - any failure means the same thing here
        pytest.fail(f"Kafka broker at {address} not reachable: {e}", pytrace=False)
    return address


@pytest.fixture(scope="session")
def sasl_brokers(brokers: str) -> str:
    """The broker's SASL/PLAIN listener: user alice, password alice-secret."""
    address = kafkautil.find_sasl_brokers()
    if address is None:
        pytest.fail("no SASL listener: restart the broker with scripts/kafka-local stop && start", pytrace=False)
    return address


@pytest.fixture(scope="session")
def security(brokers: str) -> dict[str, str]:
    """scripts/kafka-local's TLS listeners and what a client needs for them (KPIPE_TEST_*)."""
    env = kafkautil.security_env()
    if env is None:
        pytest.fail("no TLS listeners: restart the broker with scripts/kafka-local stop && start", pytrace=False)
    return env


# Secrets the tests use: no kpipe output may ever hold one (checked for every run).
SECRETS = [b"alice-secret", b"p12-secret", b"kpipe-client-secret", b"short-lived-secret", b"expired-secret",
           b"foreign-secret", b"hubs-secret-key", b"wJalrXUtnFEMI", b"pa55-from-env", b"very-secret-pw",
           b"wrong-pw-123", b"from-a-command-pw"]


def assert_no_secrets(*outputs: bytes) -> None:
    for out in outputs:
        for secret in SECRETS:
            assert secret not in out, f"a secret ({secret.decode()}) in kpipe's output:\n{out.decode(errors='replace')}"


@pytest.fixture(scope="session")
def admin(brokers: str):
    return kafkautil.admin_client(brokers)


@pytest.fixture
def run(kpipe_bin: Path, brokers: str):
    """Run kpipe with KPIPE_BROKERS set; returns the CompletedProcess (bytes)."""

    def _run(
        *args: str | os.PathLike,
        input: bytes = b"",
        timeout: float = 60,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess:
        cmd = [str(kpipe_bin), *map(str, args)]
        full_env = {**os.environ, "KPIPE_BROKERS": brokers, **(env or {})}
        try:
            r = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout, env=full_env)
            assert_no_secrets(r.stdout, r.stderr)
            return r
        except subprocess.TimeoutExpired as e:
            stderr = (e.stderr or b"").decode(errors="replace")
            pytest.fail(f"{' '.join(cmd)} timed out after {timeout}s; stderr:\n{stderr}")

    return _run


@pytest.fixture
def topic(request: pytest.FixtureRequest, admin):
    """Factory: topic(partitions=1, config=None) creates a unique topic for this test."""
    created: list[str] = []

    def _topic(partitions: int = 1, config: dict[str, str] | None = None) -> str:
        name = kafkautil.unique_topic_name(request.node.name)
        kafkautil.create_topic(admin, name, partitions=partitions, config=config)
        created.append(name)
        return name

    yield _topic
    for name in created:
        kafkautil.delete_topic(admin, name)


@pytest.fixture
def read_topic(brokers: str):
    """read_topic(name, timeout=30) -> every record, sorted by (partition, offset)."""

    def _read(name: str, timeout: float = 30, **kwargs) -> list[kafkautil.Record]:
        return kafkautil.read_all(brokers, name, timeout=timeout, **kwargs)

    return _read


@pytest.fixture(scope="session")
def schema_registry() -> str:
    """A real registry: KPIPE_SCHEMA_REGISTRY, else scripts/schema-registry-local's."""
    if os.environ.get("KPIPE_SCHEMA_REGISTRY"):
        yield os.environ["KPIPE_SCHEMA_REGISTRY"]
        return
    script = str(kafkautil.REPO_ROOT / "scripts" / "schema-registry-local")
    running = subprocess.run([script, "status"], capture_output=True).returncode == 0
    if not running:
        started = subprocess.run([script, "start"], capture_output=True, text=True, timeout=300)
        if started.returncode != 0:
            pytest.fail(f"cannot start the schema registry: {started.stderr}", pytrace=False)
    env = subprocess.run([script, "env"], capture_output=True, text=True, check=True).stdout
    url = env.strip().split("=", 1)[1]
    yield url
    if not running:
        subprocess.run([script, "stop"], capture_output=True, timeout=60)


def _registry_dir() -> Path:
    default = Path(os.environ.get("TMPDIR") or "/tmp") / f"kpipe-registry-{os.getuid()}"
    return Path(os.environ.get("KPIPE_REGISTRY_DIR") or default)


@pytest.fixture(scope="session")
def auth_registry() -> str:
    """A registry that takes only user alice, password alice-secret."""
    script = str(kafkautil.REPO_ROOT / "scripts" / "schema-registry-local")
    env = {**os.environ, "KPIPE_REGISTRY_DIR": f"{_registry_dir()}-auth"}
    started = subprocess.run([script, "start", "--auth"], capture_output=True, text=True, timeout=300, env=env)
    if started.returncode != 0:
        pytest.fail(f"cannot start the schema registry with --auth: {started.stderr}", pytrace=False)
    out = subprocess.run([script, "env"], capture_output=True, text=True, check=True, env=env).stdout
    yield out.strip().split("=", 1)[1]
    subprocess.run([script, "stop"], capture_output=True, timeout=60, env=env)


def _own_cluster(name: str, nodes: int):
    state_dir = Path(f"{kafkautil.kafka_local_dir()}-{name}")
    c = kafkautil.LocalCluster(state_dir, nodes)
    try:
        c.start()
    except Exception as e:  # noqa: BLE001 - a fault test without its cluster fails
        pytest.fail(f"cannot start a {nodes}-node cluster in {state_dir}: {e}", pytrace=False)
    yield c
    if c.started_here:
        c.stop()


@pytest.fixture(scope="session")
def _cluster3():
    yield from _own_cluster("cluster3", 3)


@pytest.fixture(scope="session")
def _single_node():
    yield from _own_cluster("single", 1)


@pytest.fixture
def cluster(_cluster3):
    """A 3-node cluster with every node running (also after the test)."""
    _cluster3.start_stopped_nodes()
    yield _cluster3
    _cluster3.start_stopped_nodes()


@pytest.fixture
def single_node(_single_node):
    """A 1-node cluster of its own, running (also after the test)."""
    _single_node.start_stopped_nodes()
    yield _single_node
    _single_node.start_stopped_nodes()
