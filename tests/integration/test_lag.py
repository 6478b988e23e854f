"""kpipe lag against the real broker.

Groups are put at known positions by an independent client (confluent_kafka commits),
records carry timestamps in the past so their age is known, and a subscribed
confluent_kafka consumer stands in for a live member.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from kafkautil import unique_topic_name

TEN_MINUTES = 600_000


def now_ms() -> int:
    return int(time.time() * 1000)


def fill(brokers: str, topic: str, per_partition: dict[int, int], first_ts: int, step_ms: int = 1000) -> None:
    """Produce per_partition[p] records to partition p; record i has timestamp first_ts + i*step_ms."""
    failed = []
    producer = Producer({"bootstrap.servers": brokers})
    for partition, n in per_partition.items():
        for i in range(n):
            producer.produce(topic, value=f"r{i}".encode(), partition=partition,
                             timestamp=first_ts + i * step_ms,
                             on_delivery=lambda err, _m: err and failed.append(err))
    assert producer.flush(30) == 0
    assert failed == []


def commit(brokers: str, group: str, offsets: dict[tuple[str, int], int]) -> None:
    """Commit offsets for a group without joining it."""
    c = Consumer({"bootstrap.servers": brokers, "group.id": group, "enable.auto.commit": False})
    try:
        c.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()], asynchronous=False)
    finally:
        c.close()


def group_name(request) -> str:
    return unique_topic_name(f"grp-{request.node.name}")


def lag_json(run, *args) -> dict:
    r = run("lag", *args, "-o", "json")
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(r.stdout)


def only_group(doc: dict, group: str) -> dict:
    groups = [g for g in doc["groups"] if g["group"] == group]
    assert len(groups) == 1, doc
    return groups[0]


def by_partition(group: dict) -> dict[tuple[str, int], dict]:
    return {(p["topic"], p["partition"]): p for p in group["partitions"]}


@pytest.fixture
def member(brokers):
    """member(topic, group, client_id): a subscribed consumer polling in the background
    until the test ends; returns once it owns partitions."""
    stops: list[tuple[threading.Event, threading.Thread]] = []

    def _start(topic: str, group: str, client_id: str) -> None:
        stop = threading.Event()
        assigned = threading.Event()

        def loop():
            c = Consumer({"bootstrap.servers": brokers, "group.id": group, "client.id": client_id,
                          "enable.auto.commit": False, "auto.offset.reset": "latest"})
            c.subscribe([topic], on_assign=lambda _c, parts: parts and assigned.set())
            try:
                while not stop.is_set():
                    c.poll(0.1)
            finally:
                c.close()

        t = threading.Thread(target=loop, daemon=True)
        t.start()
        stops.append((stop, t))
        assert assigned.wait(60), "the background consumer got no partitions"

    yield _start
    for stop, t in stops:
        stop.set()
        t.join(30)


def test_lag_is_exact_and_follows_new_records(run, brokers, topic, request):
    name = topic(partitions=3)
    group = group_name(request)
    first_ts = now_ms() - TEN_MINUTES
    fill(brokers, name, {0: 10, 1: 10, 2: 10}, first_ts)
    commit(brokers, group, {(name, 0): 4, (name, 1): 10})

    g = only_group(lag_json(run, group), group)
    assert g["state"] == "Empty"
    assert g["members"] == 0
    parts = by_partition(g)
    assert [parts[(name, p)]["committed"] for p in range(3)] == [4, 10, None]
    assert [parts[(name, p)]["end"] for p in range(3)] == [10, 10, 10]
    assert [parts[(name, p)]["lag"] for p in range(3)] == [6, 0, None]
    assert g["totals"]["lag"] == 6
    assert g["totals"]["uncommitted"] == 1
    assert g["topics"] == [dict(topic=name, lag=6, time_lag_ms=g["totals"]["time_lag_ms"], partitions=3,
                                uncommitted=1, consume_rate=None, produce_rate=None, catch_up_ms=None)]

    fill(brokers, name, {0: 5, 1: 3}, now_ms())
    parts = by_partition(only_group(lag_json(run, group), group))
    assert [parts[(name, p)]["lag"] for p in range(3)] == [11, 3, None]
    assert [parts[(name, p)]["end"] for p in range(3)] == [15, 13, 10]


def test_time_lag_is_the_age_of_the_record_at_the_committed_offset(run, brokers, topic, request):
    name = topic(partitions=2)
    group = group_name(request)
    first_ts = now_ms() - TEN_MINUTES
    fill(brokers, name, {0: 10, 1: 10}, first_ts)
    commit(brokers, group, {(name, 0): 3, (name, 1): 10})

    before = now_ms()
    g = only_group(lag_json(run, group), group)
    after = now_ms()
    parts = by_partition(g)
    age_at = lambda t: t - (first_ts + 3 * 1000)  # record at offset 3  # noqa: E731
    got = parts[(name, 0)]["time_lag_ms"]
    assert age_at(before) - 1000 <= got <= age_at(after) + 1000
    assert parts[(name, 1)]["time_lag_ms"] == 0  # caught up
    assert g["totals"]["time_lag_ms"] == got


def test_table_shows_uncommitted_partitions_as_dash_not_zero(run, brokers, topic, request):
    name = topic(partitions=2)
    group = group_name(request)
    fill(brokers, name, {0: 5, 1: 5}, now_ms() - 60_000)
    commit(brokers, group, {(name, 0): 2})

    r = run("lag", group)
    assert r.returncode == 0, r.stderr.decode()
    lines = r.stdout.decode().splitlines()
    assert lines[0].startswith(f"{group}  Empty, 0 members  lag 3")
    assert "STOP" in lines[0]
    assert lines[1].split() == ["TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "TIME", "LAG", "CLIENT", "HOST"]
    rows = [line.split() for line in lines[2:] if line.strip()]
    assert rows[0][:5] == [name, "0", "2", "5", "3"]
    assert rows[1] == [name, "1", "-", "5", "-", "-", "-", "-"]
    assert rows[2][:3] == [name, "all", "3"]


def test_max_lag_and_max_time_lag_gate_with_exit_codes(run, brokers, topic, request):
    name = topic(partitions=2)
    group = group_name(request)
    fill(brokers, name, {0: 10, 1: 10}, now_ms() - TEN_MINUTES)
    commit(brokers, group, {(name, 0): 4, (name, 1): 8})  # lags 6 and 2

    above = run("lag", group, "--max-lag", "5")
    assert above.returncode == 6
    err = above.stderr.decode().splitlines()
    assert err == [f"kpipe: group '{group}' topic '{name}' partition 0: lag 6 exceeds --max-lag 5"]

    assert run("lag", group, "--max-lag", "6").returncode == 0
    assert run("lag", group, "--max-lag", "100", "--max-time-lag", "1h").returncode == 0

    old = run("lag", group, "--max-time-lag", "5m")
    assert old.returncode == 6
    lines = old.stderr.decode().splitlines()
    assert len(lines) == 2
    assert all("exceeds --max-time-lag 5m" in line for line in lines)
    assert f"topic '{name}' partition 0: time lag" in lines[0]
    assert f"topic '{name}' partition 1: time lag" in lines[1]


def test_unknown_group_or_topic_exits_5(run, brokers, topic, request):
    r = run("lag", group_name(request))
    assert r.returncode == 5
    assert b"does not exist" in r.stderr
    assert r.stdout == b""

    name = topic()
    group = group_name(request) + "-known"
    fill(brokers, name, {0: 2}, now_ms())
    commit(brokers, group, {(name, 0): 1})
    missing = group_name(request) + "-missing"
    both = run("lag", group, missing, "-o", "json")
    assert both.returncode == 5
    assert both.stderr.decode() == f"kpipe: consumer group '{missing}' does not exist\n"
    assert [g["group"] for g in json.loads(both.stdout)["groups"]] == [group]

    r = run("lag", group, "--topic", name + "-nope")
    assert r.returncode == 5
    assert b"does not exist" in r.stderr


def test_unreachable_broker_exits_4(run):
    r = run("lag", "-b", "127.0.0.1:1", "--timeout", "1s", timeout=30)
    assert r.returncode == 4
    assert r.stderr.startswith(b"kpipe: cannot reach the Kafka cluster at 127.0.0.1:1 within 1s")


def test_empty_group_has_no_members_and_is_stopped(run, brokers, topic, request):
    name = topic()
    group = group_name(request)
    fill(brokers, name, {0: 8}, now_ms())
    commit(brokers, group, {(name, 0): 5})
    g = only_group(lag_json(run, group), group)
    assert (g["state"], g["members"], g["status"]) == ("Empty", 0, "STOP")
    assert g["reason"] == "no members and no commits; lag 3 on 1 partition"
    assert g["partitions"][0]["owner"] is None

    commit(brokers, group, {(name, 0): 8})
    caught_up = only_group(lag_json(run, group), group)
    assert (caught_up["status"], caught_up["reason"]) == ("OK", "caught up")
    assert caught_up["partitions"][0]["time_lag_ms"] == 0


def test_running_consumer_is_shown_as_the_owner(run, brokers, topic, request, member):
    name = topic(partitions=2)
    group = group_name(request)
    fill(brokers, name, {0: 4, 1: 4}, now_ms())
    commit(brokers, group, {(name, 0): 1, (name, 1): 4})
    member(name, group, "lag-test-member")

    g = only_group(lag_json(run, group), group)
    assert g["state"] == "Stable"
    assert g["members"] == 1
    parts = by_partition(g)
    for p in range(2):
        owner = parts[(name, p)]["owner"]
        assert owner["client_id"] == "lag-test-member"
        assert owner["host"]  # e.g. "/127.0.0.1"
    assert parts[(name, 0)]["lag"] == 3
    assert g["status"] == "OK"  # a member and one sample: no verdict on trends yet

    table = run("lag", group).stdout.decode()
    assert f"{group}  Stable, 1 member" in table
    assert "lag-test-member" in table


def test_all_groups_and_topic_filter(run, brokers, topic, request):
    a, b = topic(), topic()
    group = group_name(request)
    other = group_name(request) + "-other"
    fill(brokers, a, {0: 3}, now_ms())
    fill(brokers, b, {0: 7}, now_ms())
    commit(brokers, group, {(a, 0): 1, (b, 0): 2})
    commit(brokers, other, {(b, 0): 7})

    g = only_group(lag_json(run, group), group)
    assert [(p["topic"], p["lag"]) for p in g["partitions"]] == sorted([(a, 2), (b, 5)])
    assert g["totals"]["lag"] == 7

    # No group named: every group that consumes the topic.
    doc = lag_json(run, "--topic", b)
    mine = {x["group"]: x for x in doc["groups"] if x["group"] in (group, other)}
    assert set(mine) == {group, other}
    assert [(p["topic"], p["lag"]) for p in mine[group]["partitions"]] == [(b, 5)]
    assert [(p["topic"], p["lag"]) for p in mine[other]["partitions"]] == [(b, 0)]
    assert all(p["topic"] == b for x in doc["groups"] for p in x["partitions"])
    assert not any(x["group"] == group for x in lag_json(run, "--topic", topic())["groups"])


def test_no_time_lag_reads_no_records(run, brokers, topic, request):
    name = topic()
    group = group_name(request)
    fill(brokers, name, {0: 4}, now_ms() - TEN_MINUTES)
    commit(brokers, group, {(name, 0): 1})
    p = only_group(lag_json(run, group, "--no-time-lag"), group)["partitions"][0]
    assert (p["lag"], p["time_lag_ms"]) == (3, None)


def test_watch_emits_one_json_document_per_interval_with_rates(run, brokers, topic, request):
    name = topic()
    group = group_name(request)
    fill(brokers, name, {0: 10}, now_ms())
    commit(brokers, group, {(name, 0): 10})

    stop = threading.Event()

    def produce_and_commit():
        producer = Producer({"bootstrap.servers": brokers, "linger.ms": 0})
        committer = Consumer({"bootstrap.servers": brokers, "group.id": group, "enable.auto.commit": False})
        end = 10
        try:
            while not stop.is_set():
                producer.produce(name, value=b"more", partition=0)
                producer.flush(10)
                end += 1
                committer.commit(offsets=[TopicPartition(name, 0, end - 2)], asynchronous=False)
                time.sleep(0.05)
        finally:
            committer.close()

    t = threading.Thread(target=produce_and_commit, daemon=True)
    t.start()
    try:
        r = run("lag", group, "--watch", "2s", "--count", "2")
    finally:
        stop.set()
        t.join(30)
    assert r.returncode == 0, r.stderr.decode()
    docs = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert len(docs) == 2
    first, second = (only_group(d, group) for d in docs)
    assert docs[1]["time"] > docs[0]["time"]
    assert first["totals"]["consume_rate"] is None and first["totals"]["produce_rate"] is None
    assert second["totals"]["produce_rate"] > 0
    assert second["totals"]["consume_rate"] > 0
    assert second["topics"][0]["produce_rate"] == second["totals"]["produce_rate"]
    p1, p2 = first["partitions"][0], second["partitions"][0]
    seconds = (docs[1]["time"] - docs[0]["time"]) / 1000
    assert second["totals"]["produce_rate"] == pytest.approx((p2["end"] - p1["end"]) / seconds, abs=0.01)
    assert second["totals"]["consume_rate"] == pytest.approx((p2["committed"] - p1["committed"]) / seconds, abs=0.01)
    for g in (first, second):
        assert g["status"] in ("OK", "WARN", "STALL", "STOP") and g["reason"]


@pytest.mark.parametrize("stop", ["ctrl-c", "closed pipe"])
def test_watch_stops_cleanly(kpipe_bin, brokers, topic, request, stop):
    name = topic()
    group = group_name(request)
    fill(brokers, name, {0: 3}, now_ms())
    commit(brokers, group, {(name, 0): 1})
    p = subprocess.Popen([str(kpipe_bin), "lag", group, "--watch", "200ms"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env={**os.environ, "KPIPE_BROKERS": brokers})
    try:
        doc = json.loads(p.stdout.readline())
        assert only_group(doc, group)["totals"]["lag"] == 2
        if stop == "ctrl-c":
            p.send_signal(signal.SIGINT)
        else:
            p.stdout.close()
        assert p.wait(30) == 0
        assert p.stderr.read() == b""
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_group_made_by_kpipe_consume(run, brokers, topic, request):
    name = topic()
    group = group_name(request)
    fill(brokers, name, {0: 10}, now_ms() - TEN_MINUTES)
    consumed = run("consume", name, "-g", group, "-n", "4")
    assert consumed.returncode == 0, consumed.stderr.decode()
    assert len(consumed.stdout.splitlines()) == 4

    p = only_group(lag_json(run, group), group)["partitions"][0]
    assert (p["committed"], p["end"], p["lag"]) == (4, 10, 6)
    assert p["time_lag_ms"] >= TEN_MINUTES - 4 * 1000
