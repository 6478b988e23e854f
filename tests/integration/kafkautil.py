"""Helpers for kpipe's integration tests, built on confluent_kafka only.

They talk to the broker through an independent client (librdkafka via
confluent_kafka), never through kpipe, so a test can check kpipe's work.

    from kafkautil import create_topic, read_all
    records = read_all(brokers, "my-topic")   # [Record(partition, offset, ...)]
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

REPO_ROOT = Path(__file__).resolve().parents[2]

# For clients that expect a node to be down: librdkafka logs no connection errors.
QUIET = {"log_level": 0}


class Record(NamedTuple):
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]
    timestamp: int  # epoch ms; -1 when the broker has none


def kafka_local_dir() -> Path:
    """The state dir of scripts/kafka-local (same rule as the script)."""
    default = Path(os.environ.get("TMPDIR") or "/tmp") / f"kpipe-kafka-{os.getuid()}"
    return Path(os.environ.get("KPIPE_KAFKA_DIR") or default)


def pypi_dir() -> Path:
    """Where scripts/bootstrap installs the PyPI packages tests use (AWS's MSK IAM signer)."""
    cache = os.environ.get("KPIPE_CACHE") or Path.home() / ".cache" / "kpipe"
    return Path(cache) / "pypi"


def _address(env_var: str, file_name: str) -> str | None:
    """$env_var, else the address scripts/kafka-local wrote to file_name, else None."""
    if os.environ.get(env_var):
        return os.environ[env_var]
    path = kafka_local_dir() / file_name
    if path.is_file():
        return path.read_text().strip() or None
    return None


def find_brokers() -> str | None:
    """KPIPE_BROKERS, else the address scripts/kafka-local wrote, else None."""
    return _address("KPIPE_BROKERS", "brokers")


def find_sasl_brokers() -> str | None:
    """The SASL/PLAIN listener of scripts/kafka-local (user alice, password alice-secret)."""
    return _address("KPIPE_TEST_SASL_BROKERS", "brokers-sasl")


def security_env() -> dict[str, str] | None:
    """What scripts/kafka-local's security listeners need (KPIPE_TEST_SSL_BROKERS, KPIPE_TEST_CA...):
    from the environment when `eval "$(scripts/kafka-local env)"` set them, else from the
    security.env file the script writes; None when there is neither."""
    out = {k: v for k, v in os.environ.items() if k.startswith("KPIPE_TEST_")}
    if "KPIPE_TEST_SSL_BROKERS" in out:
        return out
    path = kafka_local_dir() / "security.env"
    if not path.is_file():
        return None
    for line in path.read_text().splitlines():
        key, _, value = line.partition("=")
        out[key] = value.strip("'")
    return out


def unique_topic_name(base: str) -> str:
    """A valid, unique topic name derived from `base` (e.g. a test name)."""
    clean = re.sub(r"[^a-zA-Z0-9._-]+", "-", base).strip("-.")[:200] or "topic"
    return f"{clean}-{uuid.uuid4().hex[:8]}"


def admin_client(brokers: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": brokers})


def check_reachable(brokers: str, timeout: float = 15) -> None:
    """Raise KafkaException unless the cluster answers a metadata request."""
    admin_client(brokers).list_topics(timeout=timeout)


def create_topic(
    admin: AdminClient,
    name: str,
    partitions: int = 1,
    config: dict[str, str] | None = None,
    timeout: float = 30,
) -> str:
    """Create a topic and wait until every partition has a leader."""
    new = NewTopic(name, num_partitions=partitions, replication_factor=1, config=config or {})
    admin.create_topics([new], operation_timeout=timeout)[name].result(timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        meta = admin.list_topics(topic=name, timeout=timeout).topics.get(name)
        if (
            meta is not None
            and meta.error is None
            and len(meta.partitions) == partitions
            and all(p.leader >= 0 for p in meta.partitions.values())
        ):
            return name
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic {name} has no leader for every partition after {timeout}s")
        time.sleep(0.1)


def delete_topic(admin: AdminClient, name: str, timeout: float = 30) -> None:
    """Delete a topic; a topic that is already gone is fine."""
    try:
        admin.delete_topics([name], operation_timeout=timeout)[name].result(timeout=timeout)
    except KafkaException as e:
        if e.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
            raise


def partitions_of(admin: AdminClient, topic: str, timeout: float = 10) -> list[int]:
    meta = admin.list_topics(topic=topic, timeout=timeout).topics[topic]
    if meta.error is not None:
        raise KafkaException(meta.error)
    return sorted(meta.partitions)


# Answers of a partition that is still settling (just created, or its leader just moved).
_SETTLING = {KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE, KafkaError.UNKNOWN_TOPIC_OR_PART}


def high_watermark(consumer: Consumer, topic: str, partition: int, timeout: float) -> int:
    """The end of one partition, asked again while the partition settles (a topic a moment
    old can answer "not leader for partition")."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            left = max(1.0, deadline - time.monotonic())
            return consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=left, cached=False)[1]
        except KafkaException as e:
            if e.args[0].code() not in _SETTLING or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def read_all(
    brokers: str,
    topic: str,
    timeout: float = 30,
    isolation_level: str = "read_committed",
) -> list[Record]:
    """Every record of `topic`, from the start to the current end of each partition.

    Sorted by (partition, offset). Raises TimeoutError when the end of every
    partition is not reached within `timeout` seconds.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": brokers,
            "group.id": f"kpipe-test-reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "fetch.wait.max.ms": 100,
            "isolation.level": isolation_level,
        }
    )
    try:
        meta = consumer.list_topics(topic=topic, timeout=timeout).topics[topic]
        if meta.error is not None:
            raise KafkaException(meta.error)
        pending = set(meta.partitions)
        # The end of each partition now: an end-of-partition event before it (a fetch that
        # raced the last writes) does not end the read.
        ends = {p: high_watermark(consumer, topic, p, timeout) for p in pending}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(pending)])
        records: list[Record] = []
        deadline = time.monotonic() + timeout
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"read_all({topic}): end of partitions {sorted(pending)} not reached in {timeout}s"
                )
            for msg in consumer.consume(10_000, 0.5):
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        if msg.offset() >= ends[msg.partition()]:
                            pending.discard(msg.partition())
                        continue
                    raise KafkaException(msg.error())
                records.append(
                    Record(
                        partition=msg.partition(),
                        offset=msg.offset(),
                        key=msg.key(),
                        value=msg.value(),
                        headers=list(msg.headers() or []),
                        timestamp=msg.timestamp()[1],
                    )
                )
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()


def end_offsets(brokers: str, topic: str, timeout: float = 10) -> dict[int, int]:
    """The high watermark of every partition of `topic`."""
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "kpipe-test-marks", **QUIET})
    try:
        meta = consumer.list_topics(topic=topic, timeout=timeout).topics[topic]
        if meta.error is not None:
            raise KafkaException(meta.error)
        return {p: high_watermark(consumer, topic, p, timeout) for p in sorted(meta.partitions)}
    finally:
        consumer.close()


# --- counting records by content ------------------------------------------------


# Rows "fault | sent N | lost N | duplicated N | exit N" that fault tests add; the
# terminal summary (conftest.py) prints them after the run.
FAULT_REPORT: list[str] = []


class Tally(NamedTuple):
    """How the records read back compare with the unique ids that were sent."""

    sent: int
    read: int
    lost: list  # ids sent and not read back
    duplicated: dict  # id -> times read, for ids read more than once
    unexpected: list  # ids read back that were never sent

    @property
    def exactly_once(self) -> bool:
        return not self.lost and not self.duplicated and not self.unexpected

    @property
    def at_least_once(self) -> bool:
        return not self.lost and not self.unexpected

    def __str__(self) -> str:
        extra = sum(n - 1 for n in self.duplicated.values())
        return (
            f"sent {self.sent}, read back {self.read}, lost {len(self.lost)}, "
            f"duplicated {len(self.duplicated)} ({extra} extra copies), unexpected {len(self.unexpected)}"
            + (f"; first lost {self.lost[:5]}" if self.lost else "")
            + (f"; first duplicated {sorted(self.duplicated)[:5]}" if self.duplicated else "")
        )


def tally_ids(sent_ids, read_ids) -> Tally:
    """Counts every sent id in the ids read back: lost, duplicated, unexpected."""
    sent = set(sent_ids)
    seen = Counter(read_ids)
    return Tally(
        sent=len(sent),
        read=sum(seen.values()),
        lost=sorted(sent - seen.keys()),
        duplicated={i: n for i, n in seen.items() if n > 1 and i in sent},
        unexpected=sorted(i for i in seen if i not in sent),
    )


def json_field(name: str):
    """An id_of for JSON values: the value's field `name`."""
    return lambda value: json.loads(value)[name]


def read_ids(brokers: str, topic: str, id_of=json_field("id"), timeout: float = 120) -> list[Record]:
    """Every record of `topic` (sorted by partition, offset), checked to carry an id."""
    records = read_all(brokers, topic, timeout=timeout)
    for r in records:
        id_of(r.value)  # raises on a record without an id
    return records


# --- a cluster of its own, driven by scripts/kafka-local --------------------------

KAFKA_LOCAL = REPO_ROOT / "scripts" / "kafka-local"


class LocalCluster:
    """A scripts/kafka-local cluster (1 or more nodes) in its own state dir.

    Faults go through the script's verbs: kill (SIGKILL), stop_node (controlled
    shutdown), start_node and restart (with the node's data). Waits are for
    conditions (metadata, ISR), never for fixed times.
    """

    def __init__(self, state_dir: Path, nodes: int):
        self.state_dir = Path(state_dir)
        self.nodes = nodes
        self.started_here = False
        self._admin: AdminClient | None = None

    def _script(self, *args: str, timeout: float = 240) -> str:
        env = {**os.environ, "KPIPE_KAFKA_DIR": str(self.state_dir)}
        p = subprocess.run(
            [str(KAFKA_LOCAL), *args], env=env, capture_output=True, text=True, timeout=timeout
        )
        if p.returncode != 0 and not (args[0] == "status" and p.returncode in (3, 4)):
            raise RuntimeError(
                f"scripts/kafka-local {' '.join(args)} (KPIPE_KAFKA_DIR={self.state_dir}) "
                f"exited {p.returncode}:\n{p.stdout}{p.stderr}"
            )
        return p.stdout

    def status(self) -> dict[int, bool]:
        """Node id -> running, as `scripts/kafka-local status` lists them."""
        nodes = {}
        for line in self._script("status").splitlines():
            m = re.match(r"node (\d+) (running|stopped) ", line)
            if m:
                nodes[int(m[1])] = m[2] == "running"
        return nodes

    def start(self) -> None:
        """Starts the cluster unless it runs already with every node (then it is kept)."""
        status = self.status()
        if len(status) == self.nodes and all(status.values()):
            return
        if any(status.values()):
            self._script("stop")
        self._script("start", "--brokers", str(self.nodes))
        self.started_here = True

    def stop(self) -> None:
        self._script("stop")

    @property
    def brokers(self) -> str:
        return (self.state_dir / "brokers").read_text().strip()

    def address(self, node: int) -> str:
        return self.brokers.split(",")[node - 1]

    def kill(self, node: int) -> None:
        self._script("kill", str(node))

    def stop_node(self, node: int) -> None:
        self._script("stop-node", str(node))

    def start_node(self, node: int) -> None:
        self._script("start-node", str(node))

    def restart(self, node: int) -> None:
        self._script("restart", str(node))

    def start_stopped_nodes(self) -> None:
        for node, running in self.status().items():
            if not running:
                self.start_node(node)

    def admin(self) -> AdminClient:
        """One admin client for the cluster (its connection errors to down nodes not logged)."""
        if self._admin is None:
            self._admin = AdminClient({"bootstrap.servers": self.brokers, **QUIET})
        return self._admin

    def create_topic(self, name: str, partitions: int = 1, replication_factor: int | None = None,
                     config: dict[str, str] | None = None, timeout: float = 30) -> str:
        """Creates a topic and waits until every partition has a leader and a full ISR."""
        rf = replication_factor or min(self.nodes, 3)
        admin = self.admin()
        new = NewTopic(name, num_partitions=partitions, replication_factor=rf, config=config or {})
        admin.create_topics([new], operation_timeout=timeout)[name].result(timeout=timeout)
        self.wait_in_sync(name, timeout=timeout)
        self.wait_known_everywhere(name, partitions, timeout=timeout)
        return name

    def wait_known_everywhere(self, topic: str, partitions: int, timeout: float = 30) -> None:
        """Until each node's own metadata lists every partition of `topic` with a leader
        (a node a moment behind the controller says the topic does not exist)."""

        def known(node: int) -> bool:
            # A client of its own, knowing only this node, asks it and no other.
            one = AdminClient({"bootstrap.servers": self.address(node), **QUIET})
            meta = one.list_topics(topic=topic, timeout=10).topics.get(topic)
            return (meta is not None and meta.error is None and len(meta.partitions) == partitions
                    and all(p.leader >= 0 for p in meta.partitions.values()))

        for node in range(1, self.nodes + 1):
            self.wait_until(f"node {node} knows {topic}", lambda: known(node), timeout)

    def partitions(self, topic: str):
        """PartitionMetadata per partition id (leader, replicas, isrs), fresh from the cluster."""
        meta = self.admin().list_topics(topic=topic, timeout=10).topics.get(topic)
        if meta is None or meta.error is not None:
            return {}
        return meta.partitions

    def leader(self, topic: str, partition: int = 0) -> int:
        """The partition's leader (waits while the metadata has none)."""

        def known():
            p = self.partitions(topic).get(partition)
            return p.leader if p is not None and p.leader >= 0 else None

        return self.wait_until(f"a leader for {topic} [{partition}]", known, timeout=30)

    def live_nodes(self) -> set[int]:
        """Node ids in the cluster's metadata (fenced nodes are left out)."""
        return set(self.admin().list_topics(timeout=10).brokers)

    def wait_until(self, what: str, condition, timeout: float = 60, interval: float = 0.2):
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = condition()
            except KafkaException:
                result = None
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not reached within {timeout}s")
            time.sleep(interval)

    def wait_in_sync(self, topic: str, timeout: float = 60) -> None:
        """Until every partition of `topic` has a leader and all its replicas in the ISR."""

        def in_sync():
            parts = self.partitions(topic)
            return parts and all(
                p.leader >= 0 and sorted(p.isrs) == sorted(p.replicas) for p in parts.values()
            )

        self.wait_until(f"every replica of {topic} in sync", in_sync, timeout)

    def wait_fenced(self, node: int, topic: str | None = None, timeout: float = 60) -> None:
        """Until the cluster has dropped `node`: gone from the metadata, leader of nothing
        in `topic` and out of its ISRs."""

        def fenced():
            if node in self.live_nodes():
                return False
            if topic is None:
                return True
            parts = self.partitions(topic)
            return parts and all(p.leader != node and node not in p.isrs for p in parts.values())

        self.wait_until(f"node {node} fenced", fenced, timeout)
