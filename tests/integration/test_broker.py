"""The broker itself and the test helpers, through confluent_kafka only (no kpipe)."""

from __future__ import annotations

import time

from confluent_kafka import Producer
from kafkautil import Record, partitions_of


def produce(brokers: str, topic: str, messages: list[dict], **conf) -> None:
    """Produce messages (kwargs of Producer.produce) and fail on any delivery error."""
    errors = []

    def on_delivery(err, _msg):
        if err is not None:
            errors.append(err)

    producer = Producer({"bootstrap.servers": brokers, **conf})
    for m in messages:
        producer.produce(topic, on_delivery=on_delivery, **m)
    assert producer.flush(30) == 0, "messages still queued after 30 s"
    assert errors == []


def test_topic_fixture_creates_unique_topics_with_partitions(topic, admin):
    a = topic(partitions=3)
    b = topic()
    assert a != b
    assert a.startswith("test_topic_fixture_creates_unique_topics_with_partitions-")
    assert partitions_of(admin, a) == [0, 1, 2]
    assert partitions_of(admin, b) == [0]


def test_round_trip_keeps_keys_values_headers_and_timestamps(brokers, topic, read_topic):
    name = topic(partitions=2)
    messages = [
        dict(partition=0, key=b"k1", value=b'{"page":"/p1"}', timestamp=1764000000123,
             headers=[("source", b"web"), ("source", b"app"), ("empty", b"")]),
        dict(partition=0, key=None, value=b"", timestamp=1764000000124),
        dict(partition=1, key=b"", value=None, timestamp=1764000000125,
             headers=[("nul", None)]),
        dict(partition=1, key=b"\xff\x00bin", value=b"\x00\x01\x02", timestamp=1764000000126),
    ]
    produce(brokers, name, messages)

    assert read_topic(name) == [
        Record(0, 0, b"k1", b'{"page":"/p1"}',
               [("source", b"web"), ("source", b"app"), ("empty", b"")], 1764000000123),
        Record(0, 1, None, b"", [], 1764000000124),
        Record(1, 0, b"", None, [("nul", None)], 1764000000125),
        Record(1, 1, b"\xff\x00bin", b"\x00\x01\x02", [], 1764000000126),
    ]


def test_empty_topic_reads_as_no_records(topic, read_topic):
    assert read_topic(topic(partitions=3)) == []


def test_compaction_runs_quickly(brokers, topic, read_topic):
    """The broker is configured so that tests can see log compaction happen."""
    name = topic(config={
        "cleanup.policy": "compact",
        "segment.ms": "100",
        "min.cleanable.dirty.ratio": "0.01",
        "delete.retention.ms": "100",
    })
    produce(brokers, name, [dict(key=b"k", value=str(i).encode()) for i in range(10)])
    deadline = time.monotonic() + 60
    while True:
        # Each produce after segment.ms rolls a segment, so older ones become cleanable.
        time.sleep(0.5)
        produce(brokers, name, [dict(key=b"roll", value=b"x")])
        values = [r.value for r in read_topic(name) if r.key == b"k"]
        if values == [b"9"]:
            break
        assert time.monotonic() < deadline, f"not compacted after 60 s: {values}"
