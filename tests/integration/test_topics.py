"""kpipe topics: every verb against the real broker, cross-checked with kcat -L and confluent_kafka."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import kafkautil
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import ConfigResource


def kcat_metadata(brokers: str, topic: str) -> dict:
    out = subprocess.run(
        ["kcat", "-b", brokers, "-L", "-J", "-t", topic], capture_output=True, check=True, timeout=30
    )
    meta = json.loads(out.stdout)
    (t,) = [t for t in meta["topics"] if t["topic"] == topic]
    return t


def produce_n(brokers: str, topic: str, n: int, partition: int | None = None) -> None:
    p = Producer({"bootstrap.servers": brokers})
    for i in range(n):
        if partition is None:
            p.produce(topic, value=f"v{i}".encode())
        else:
            p.produce(topic, value=f"v{i}".encode(), partition=partition)
    assert p.flush(30) == 0


def topic_configs(admin, topic: str) -> dict[str, str]:
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = admin.describe_configs([res])[res].result(timeout=30)
    return {k: v.value for k, v in entries.items() if not v.is_default}


def test_create_describe_alter_add_partitions_delete(run, brokers, admin, request):
    name = kafkautil.unique_topic_name(request.node.name)
    r = run("topics", "create", name, "--partitions", "3", "--replication-factor", "1",
            "--config", "retention.ms=3600000", "--config", "segment.ms=86400000")
    assert r.returncode == 0, r.stderr
    assert f"created {name}".encode() in r.stderr
    try:
        meta = kcat_metadata(brokers, name)
        assert len(meta["partitions"]) == 3
        assert topic_configs(admin, name)["retention.ms"] == "3600000"

        produce_n(brokers, name, 5, partition=1)
        r = run("topics", "describe", name, "-o", "json")
        assert r.returncode == 0, r.stderr
        (doc,) = json.loads(r.stdout)
        assert doc["name"] == name
        assert [p["partition"] for p in doc["partitions"]] == [0, 1, 2]
        p1 = doc["partitions"][1]
        assert (p1["low"], p1["high"], p1["messages"]) == (0, 5, 5)
        kcat_leaders = {p["partition"]: p["leader"] for p in meta["partitions"]}
        assert {p["partition"]: p["leader"] for p in doc["partitions"]} == kcat_leaders
        assert all(p["replicas"] == [p["leader"]] and p["isr"] == [p["leader"]] for p in doc["partitions"])
        assert doc["configs"]["retention.ms"] == "3600000"

        r = run("topics", "describe", name)
        assert r.returncode == 0, r.stderr
        table = r.stdout.decode()
        assert "PARTITION" in table and "retention.ms" in table and "3600000" in table

        r = run("topics", "alter", name, "--config", "retention.ms=7200000", "--config", "max.message.bytes=2000000")
        assert r.returncode == 0, r.stderr
        cfg = topic_configs(admin, name)
        assert cfg["retention.ms"] == "7200000"
        assert cfg["max.message.bytes"] == "2000000"
        assert cfg["segment.ms"] == "86400000"  # untouched override is kept

        r = run("topics", "alter", name, "--delete-config", "max.message.bytes")
        assert r.returncode == 0, r.stderr
        cfg = topic_configs(admin, name)
        assert "max.message.bytes" not in cfg and cfg["retention.ms"] == "7200000"

        r = run("topics", "add-partitions", name, "--total", "5")
        assert r.returncode == 0, r.stderr
        deadline = time.monotonic() + 10
        while len(kcat_metadata(brokers, name)["partitions"]) != 5:
            assert time.monotonic() < deadline, "partitions never reached 5"
            time.sleep(0.2)

        r = run("topics", "list", "-o", "json")
        assert r.returncode == 0, r.stderr
        (entry,) = [t for t in json.loads(r.stdout) if t["name"] == name]
        assert entry == {"name": name, "partitions": 5, "replication_factor": 1, "messages": 5, "internal": False}
    finally:
        r = run("topics", "delete", name, "--yes")
    assert r.returncode == 0, r.stderr
    deadline = time.monotonic() + 15
    while name in admin.list_topics(timeout=10).topics:
        assert time.monotonic() < deadline, "topic still listed after delete"
        time.sleep(0.2)


def ensure_offsets_topic(brokers: str, topic: str) -> None:
    """__consumer_offsets exists once some group has committed."""
    c = Consumer({"bootstrap.servers": brokers, "group.id": f"kpipe-test-{topic}"})
    try:
        c.commit(offsets=[TopicPartition(topic, 0, 1)], asynchronous=False)
    finally:
        c.close()


def test_list_table_filter_and_internal(run, topic, brokers):
    a = topic(partitions=2)
    produce_n(brokers, a, 3)
    ensure_offsets_topic(brokers, a)
    r = run("topics", a)  # `topics` alone lists, with an optional regex filter
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert lines[0].split() == ["TOPIC", "PARTITIONS", "REPLICAS", "MESSAGES"]
    assert [l.split() for l in lines[1:]] == [[a, "2", "1", "3"]]

    r = run("topics", "list", "-o", "json")
    names = [t["name"] for t in json.loads(r.stdout)]
    assert a in names and "__consumer_offsets" not in names
    r = run("topics", "list", "--all", "-o", "json")
    internal = [t for t in json.loads(r.stdout) if t["name"] == "__consumer_offsets"]
    assert internal and internal[0]["internal"] is True


def test_create_if_not_exists_and_duplicates(run, topic):
    t = topic()
    r = run("topics", "create", t)
    assert r.returncode == 1
    assert b"already exists" in r.stderr
    r = run("topics", "create", t, "--if-not-exists")
    assert r.returncode == 0, r.stderr


def test_bad_requests_are_usage_errors(run, topic, request):
    name = kafkautil.unique_topic_name(request.node.name)
    r = run("topics", "create", name, "--replication-factor", "3")
    assert r.returncode == 2, r.stderr
    assert name.encode() in r.stderr and b"replication" in r.stderr.lower()
    r = run("topics", "create", name, "--config", "retention.ms=abc")
    assert r.returncode == 2, r.stderr
    t = topic(partitions=2)
    r = run("topics", "add-partitions", t, "--total", "2")
    assert r.returncode == 2 and b"must be larger" in r.stderr
    r = run("topics", "alter", t)
    assert r.returncode == 2 and b"nothing to change" in r.stderr
    r = run("topics", "alter", t, "--delete-config", "no.such.config")
    assert r.returncode == 2 and b"no.such.config" in r.stderr


def test_unknown_topic_is_exit_5(run, request):
    missing = kafkautil.unique_topic_name("missing")
    for args in (
        ["topics", "describe", missing],
        ["topics", "delete", missing, "--yes"],
        ["topics", "alter", missing, "--config", "retention.ms=1000"],
        ["topics", "add-partitions", missing, "--total", "3"],
    ):
        r = run(*args)
        assert r.returncode == 5, (args, r.stderr)
        assert missing.encode() in r.stderr
        assert len(r.stderr.decode().strip().splitlines()) == 1, r.stderr
    r = run("topics", "delete", missing, "--yes", "--if-exists")
    assert r.returncode == 0, r.stderr


def test_delete_needs_yes_when_not_a_terminal(run, topic, admin):
    t = topic()
    r = run("topics", "delete", t)  # stdin is a pipe here
    assert r.returncode == 2
    assert b"--yes" in r.stderr
    assert t in admin.list_topics(timeout=10).topics


def run_on_terminal(kpipe_bin, brokers, args: list[str], answer: bytes) -> tuple[int, bytes]:
    """Run kpipe with a pseudo-terminal as stdin and stderr, type `answer`, return (code, output)."""
    import os
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([str(kpipe_bin), *args], stdin=slave, stdout=subprocess.PIPE, stderr=slave,
                            env={**os.environ, "KPIPE_BROKERS": brokers})
    os.close(slave)
    output = b""
    while b"[y/N]" not in output:
        output += os.read(master, 1024)
    os.write(master, answer)
    code = proc.wait(timeout=30)
    os.close(master)
    return code, output


def test_delete_asks_on_a_terminal(kpipe_bin, brokers, topic, admin):
    t = topic()
    code, prompt = run_on_terminal(kpipe_bin, brokers, ["topics", "delete", t], b"n\n")
    assert code == 0 and t.encode() in prompt
    assert t in admin.list_topics(timeout=10).topics
    code, _ = run_on_terminal(kpipe_bin, brokers, ["topics", "delete", t], b"y\n")
    assert code == 0
    deadline = time.monotonic() + 15
    while t in admin.list_topics(timeout=10).topics:
        assert time.monotonic() < deadline, "topic still listed after a confirmed delete"
        time.sleep(0.2)


def test_list_and_describe_tolerate_topics_created_and_deleted_meanwhile(run, topic, admin, request):
    # Found by running `topics list` in a loop while another loop created and deleted
    # topics: librdkafka fails the whole watermarks request when its metadata is stale
    # (a topic just deleted: "unknown topic"; just created: "not leader"), so the whole
    # command failed with empty stdout.
    stable = topic(partitions=2)
    stop = threading.Event()
    churned: list[str] = []

    def churn():
        for i in range(40):
            if stop.is_set():
                return
            name = kafkautil.unique_topic_name(f"{request.node.name}-{i}")
            churned.append(name)
            kafkautil.create_topic(admin, name, partitions=3)
            kafkautil.delete_topic(admin, name)

    worker = threading.Thread(target=churn, daemon=True)
    worker.start()
    try:
        for i in range(40):
            r = run("topics", "list", "-o", "json")
            assert r.returncode == 0, r.stderr
            assert stable in [t["name"] for t in json.loads(r.stdout)]
            if churned:
                other = churned[-1]
                r = run("topics", "describe", stable, other, "-o", "json")
                assert r.returncode in (0, 5), r.stderr
                docs = json.loads(r.stdout)
                assert docs[0]["name"] == stable and len(docs[0]["partitions"]) == 2
                if r.returncode == 5:
                    assert r.stderr.decode() == f"kpipe: topic '{other}' does not exist\n"
    finally:
        stop.set()
        worker.join(timeout=120)
