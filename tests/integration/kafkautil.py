"""Helpers for kpipe's integration tests, built on confluent_kafka only.

They talk to the broker through an independent client (librdkafka via
confluent_kafka), never through kpipe, so a test can check kpipe's work.

    from kafkautil import create_topic, read_all
    records = read_all(brokers, "my-topic")   # [Record(partition, offset, ...)]
"""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path
from typing import NamedTuple

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

REPO_ROOT = Path(__file__).resolve().parents[2]


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
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(pending)])
        records: list[Record] = []
        deadline = time.monotonic() + timeout
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"read_all({topic}): end of partitions {sorted(pending)} not reached in {timeout}s"
                )
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
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
