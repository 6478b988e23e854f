"""kpipe consume against the real broker; records are written and checked with confluent_kafka."""

from __future__ import annotations

import base64
import json
import random
import signal
import subprocess
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from streams import Running, committed, envelopes, produce

BASE = 1764000000000  # 2025-11-24T16:00:00Z


def iso(ms: int) -> str:
    t = time.gmtime(ms // 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{ms % 1000:03d}Z"


def offsets(stdout: bytes) -> list[tuple[int, int]]:
    return [(e["partition"], e["offset"]) for e in envelopes(stdout)]


def numbered(brokers, name, n=10, partition=0):
    produce(brokers, name, [dict(partition=partition, key=f"k{i}".encode(), value=str(i).encode(),
                                 timestamp=BASE + i * 1000) for i in range(n)])


# --- output forms -----------------------------------------------------------------


def test_envelope_embeds_json_and_marks_text_base64_and_null(run, brokers, topic):
    name = topic()
    produce(brokers, name, [
        dict(key=b"u1", value=b'{"page":"/p1","action":"view"}', timestamp=BASE,
             headers=[("source", b"web"), ("source", b"app"), ("nul", None), ("bin", b"\xff\x00")]),
        dict(key=None, value=b"hello", timestamp=BASE + 1),
        dict(key=b"", value=b"", timestamp=BASE + 2),
        dict(key=b"\xff\x00k", value=b"\x00\xfe\x02", timestamp=BASE + 3),
        dict(key=b"tomb", value=None, timestamp=BASE + 4),
        dict(key=b"n", value=b"null", timestamp=BASE + 5),
        dict(key=b"s", value=b'"hello"', timestamp=BASE + 6),
        dict(key=b"ws", value=b' {"a": 1}', timestamp=BASE + 7),
        dict(key=b"42", value=b"[1, 2]", timestamp=BASE + 8),
    ])
    r = run("consume", name, "-e")
    assert r.returncode == 0, r.stderr
    e = envelopes(r.stdout)
    assert len(e) == 9
    assert e[0] == {"topic": name, "partition": 0, "offset": 0, "timestamp": BASE, "timestamp_type": "create",
                    "key": "u1", "key_encoding": "text", "value": {"page": "/p1", "action": "view"},
                    "headers": [["source", "web"], ["source", "app"], ["nul", None],
                                ["bin", base64.b64encode(b"\xff\x00").decode(), "base64"]]}
    assert (e[1]["key"], e[1]["value"], e[1]["value_encoding"]) == (None, "hello", "text")
    assert "key_encoding" not in e[1]
    assert (e[2]["key"], e[2]["key_encoding"], e[2]["value"], e[2]["value_encoding"]) == ("", "text", "", "text")
    assert (e[3]["key"], e[3]["key_encoding"]) == (base64.b64encode(b"\xff\x00k").decode(), "base64")
    assert (e[3]["value"], e[3]["value_encoding"]) == (base64.b64encode(b"\x00\xfe\x02").decode(), "base64")
    assert e[4]["value"] is None and "value_encoding" not in e[4]
    assert (e[5]["value"], e[5]["value_encoding"]) == ("null", "text")
    assert e[6]["value"] == "hello" and "value_encoding" not in e[6]  # the JSON string "hello"
    assert (e[7]["value"], e[7]["value_encoding"]) == (' {"a": 1}', "text")
    assert e[8]["key"] == 42 and e[8]["value"] == [1, 2]
    assert r.stdout.count(b"\n") == 9


def test_envelope_embeds_json_with_numbers_of_any_size(run, brokers, topic, read_topic):
    name = topic()
    values = [b'{"n":99999999999999999999}', b"1e400", b'[18446744073709551616,-2e999]']
    produce(brokers, name, [dict(key=v, value=v, timestamp=BASE) for v in values])
    r = run("consume", name, "-e")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    for line, v in zip(lines, values, strict=True):
        assert b'"key":' + v + b',"value":' + v + b',"headers"' in line  # embedded verbatim, no *_encoding
    # and produce --format envelope takes them back byte for byte
    copy = topic()
    r = run("produce", copy, "--format", "envelope", input=r.stdout)
    assert r.returncode == 0, r.stderr
    assert [(x.key, x.value) for x in read_topic(copy)] == [(v, v) for v in values]


def test_value_template_and_iso_time(run, brokers, topic):
    name = topic()
    produce(brokers, name, [
        dict(key=b"u1", value=b'{"a":1}', timestamp=BASE + 123, headers=[("h", b"v"), ("n", None)]),
        dict(key=None, value=None, timestamp=BASE + 124),
    ])
    r = run("consume", name, "-e", "--output", "value")
    assert (r.returncode, r.stdout) == (0, b'{"a":1}\n\n')
    r = run("consume", name, "-e", "-f", "%t|%p|%o|%k|%s|%T|%h|%K|%S|%%\\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == [
        f'{name}|0|0|u1|{{"a":1}}|{BASE + 123}|h=v,n|2|7|%',
        f"{name}|0|1|||{BASE + 124}||-1|-1|%",
    ]
    r = run("consume", name, "-e", "-f", "%T\\t%o\\n", "--time-format", "iso")
    assert r.stdout == b"2025-11-24T16:00:00.123Z\t0\n2025-11-24T16:00:00.124Z\t1\n"
    r = run("consume", name, "-e", "--time-format", "iso")
    assert envelopes(r.stdout)[0]["timestamp"] == "2025-11-24T16:00:00.123Z"


def test_filter_keeps_records_where_jq_is_true(run, brokers, topic):
    name = topic()
    produce(brokers, name, [dict(value=f'{{"page":"/p{i}","action":"{a}"}}'.encode())
                            for i, a in enumerate(["view", "click", "view", "rating"])] + [dict(value=b"text")])
    # The last value is not JSON: `?` makes indexing it null instead of an error (exit 3).
    r = run("consume", name, "-e", "--filter", '.value.action? == "view"', "--output", "value")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b'{"page":"/p0","action":"view"}\n{"page":"/p2","action":"view"}\n'
    r = run("consume", name, "-e", "--filter", ".value |")
    assert r.returncode == 2
    assert b"--where" in r.stderr  # --filter is its alias


def test_regex_topics_expand_without_a_group(run, brokers, topic):
    a, b = topic(), topic()
    produce(brokers, a, [dict(value=b"1")])
    produce(brokers, b, [dict(value=b"2")])
    prefix = a[: a.rindex("-")]
    r = run("consume", f"^{prefix}-.*", "-e")
    assert r.returncode == 0, r.stderr
    assert sorted((e["topic"], e["value"]) for e in envelopes(r.stdout)) == sorted([(a, 1), (b, 2)])


# --- where to start and stop --------------------------------------------------------


def test_offset_forms(run, brokers, topic):
    name = topic()
    numbered(brokers, name)

    def offs(*args):
        r = run("consume", name, *args)
        assert r.returncode == 0, (args, r.stderr)
        return [o for _, o in offsets(r.stdout)]

    assert offs("-e") == list(range(10))
    assert offs("--from", "beginning", "-e") == list(range(10))
    assert offs("--from", "3", "-e") == list(range(3, 10))
    assert offs("--from", "+2", "-e") == list(range(2, 10))
    assert offs("--from", "-3", "-e") == [7, 8, 9]
    assert offs("--from", "end", "-e") == []
    assert offs("--from", "2:5") == [2, 3, 4]  # a range ends by itself
    assert offs("--from", "2", "--until", "5") == [2, 3, 4]
    assert offs("--from", "-4:-1") == [6, 7, 8]
    assert offs("--from", f"@{BASE + 4000}", "-e") == list(range(4, 10))
    assert offs("--from", f"@{BASE + 3500}", "-e") == list(range(4, 10))
    assert offs("--from", f"@{iso(BASE + 4000)}", "-e") == list(range(4, 10))
    assert offs("--from", f"@{iso(BASE + 2000)}:@{iso(BASE + 5000)}") == [2, 3, 4]
    assert offs("--until", f"@{BASE + 2000}") == [0, 1]
    assert offs("-n", "4") == [0, 1, 2, 3]
    assert offs("--from", "5", "-n", "2") == [5, 6]


def test_duration_ago_offsets(run, brokers, topic):
    name = topic()
    now = int(time.time() * 1000)
    produce(brokers, name, [dict(value=b"old", timestamp=now - 2 * 3600_000),
                            dict(value=b"recent", timestamp=now - 10 * 60_000)])
    r = run("consume", name, "--from", "@-1h", "-e", "--output", "value")
    assert (r.returncode, r.stdout) == (0, b"recent\n")
    r = run("consume", name, "--from", "@-3h:@-1h", "--output", "value")
    assert (r.returncode, r.stdout) == (0, b"old\n")


def test_per_partition_offsets_and_partition_list(run, brokers, topic):
    name = topic(partitions=2)
    numbered(brokers, name, partition=0)
    numbered(brokers, name, partition=1)
    r = run("consume", name, "--from", "0=7,1=end", "-e")
    assert offsets(r.stdout) == [(0, 7), (0, 8), (0, 9)]
    r = run("consume", name, "--from", "-1,0=2:4", "-e")
    assert sorted(offsets(r.stdout)) == [(0, 2), (0, 3), (1, 9)]
    r = run("consume", name, "-p", "1", "--from", "8", "-e")
    assert offsets(r.stdout) == [(1, 8), (1, 9)]
    r = run("consume", name, "-p", "5", "-e")
    assert r.returncode == 5
    assert b"partition 5" in r.stderr


def test_exit_at_end_on_an_empty_topic(run, topic):
    r = run("consume", topic(partitions=3), "-e", timeout=30)
    assert (r.returncode, r.stdout) == (0, b"")


def test_idle_ends_a_consume(run, brokers, topic):
    name = topic()
    numbered(brokers, name, n=3)
    r = run("consume", name, "--idle", "2s", "--output", "value")
    assert (r.returncode, r.stdout) == (0, b"0\n1\n2\n")


def test_exit_at_end_on_a_compacted_topic_with_gaps(run, brokers, topic, read_topic):
    name = topic(config={"cleanup.policy": "compact", "segment.ms": "100",
                         "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "100"})
    produce(brokers, name, [dict(key=f"k{i % 3}".encode(), value=str(i).encode()) for i in range(30)])
    deadline = time.monotonic() + 90
    while True:
        time.sleep(0.5)
        produce(brokers, name, [dict(key=b"roll", value=b"x")])  # rolls segments so the cleaner runs
        records = read_topic(name)
        offs = [r.offset for r in records]
        if len(offs) < offs[-1] + 1 and len([r for r in records if r.key == b"k0"]) == 1:
            break
        assert time.monotonic() < deadline, "the cleaner left no gap within 90 s"
    r = run("consume", name, "-e", timeout=60)
    assert r.returncode == 0, r.stderr
    got = offsets(r.stdout)
    assert [o for _, o in got][: len(offs)] == offs[: len(got)]
    assert len(got) >= len(offs)  # the roll records produced meanwhile may be there too


def test_exit_at_end_on_a_transactional_topic(run, brokers, topic):
    name = topic()
    p = Producer({"bootstrap.servers": brokers, "transactional.id": f"kpipe-test-{uuid.uuid4().hex[:8]}"})
    p.init_transactions(30)
    for values, commit in [([b"c1", b"c2", b"c3"], True), ([b"a1", b"a2"], False), ([b"c4"], True)]:
        p.begin_transaction()
        for v in values:
            p.produce(name, value=v)
        p.flush(30)
        (p.commit_transaction if commit else p.abort_transaction)(30)
    r = run("consume", name, "-e", "--output", "value", timeout=60)
    assert (r.returncode, r.stdout) == (0, b"c1\nc2\nc3\nc4\n")
    # An open transaction: -e stops at the last stable offset instead of waiting for it.
    p.begin_transaction()
    p.produce(name, value=b"open")
    p.flush(30)
    r = run("consume", name, "-e", "--output", "value", timeout=60)
    assert (r.returncode, r.stdout) == (0, b"c1\nc2\nc3\nc4\n")
    p.abort_transaction(30)


# --- groups, pipes, signals ---------------------------------------------------------


def test_head_commits_exactly_the_records_it_printed(kpipe_bin, brokers, topic):
    name = topic(partitions=3)
    produce(brokers, name, [dict(partition=i % 3, value=str(i).encode()) for i in range(300)])
    group = f"kpipe-test-head-{uuid.uuid4().hex[:8]}"
    seen = []
    for round_ in range(2):
        shell = (f'"{kpipe_bin}" consume {name} -g {group} | head -n 5; '
                 'echo "kpipe-exit=${PIPESTATUS[0]}" >&2')
        r = subprocess.run(["bash", "-c", shell], capture_output=True, timeout=60,
                           env={"KPIPE_BROKERS": brokers, "PATH": "/usr/bin:/bin"})
        assert b"kpipe-exit=0" in r.stderr, r.stderr
        printed = offsets(r.stdout)
        assert len(printed) == 5
        seen += printed
        marks = committed(brokers, group, name, [0, 1, 2])
        # Committed = one past the last printed record of each partition, nothing more.
        expect = {p: max([o for q, o in seen if q == p], default=-1001 - 1) + 1 for p in range(3)}
        assert marks == expect, (round_, printed, marks)
    assert len(set(seen)) == 10  # the second run went on where the first stopped


def test_head_ends_an_endless_consume_at_once(kpipe_bin, brokers, topic):
    name = topic()
    produce(brokers, name, [dict(value=b"1"), dict(value=b"2")])
    # No -e and no more records coming: kpipe notices that head has gone without writing.
    r = subprocess.run(["bash", "-c", f'"{kpipe_bin}" consume {name} --output value | head -n 1; '
                        'echo "kpipe-exit=${PIPESTATUS[0]}" >&2'],
                       capture_output=True, timeout=30, env={"KPIPE_BROKERS": brokers, "PATH": "/usr/bin:/bin"})
    assert r.stdout == b"1\n"
    assert b"kpipe-exit=0" in r.stderr, r.stderr


def test_ctrl_c_commits_what_was_written_and_exits_0(kpipe_bin, brokers, topic):
    name = topic(partitions=2)
    produce(brokers, name, [dict(partition=i % 2, value=str(i).encode()) for i in range(40)])
    group = f"kpipe-test-int-{uuid.uuid4().hex[:8]}"
    k = Running(kpipe_bin, brokers, "consume", name, "-g", group)
    try:
        k.wait_lines(40)
        assert k.interrupt() == 0, k.err_lines
    finally:
        k.kill()
    assert committed(brokers, group, name, [0, 1]) == {0: 20, 1: 20}
    r = subprocess.run([str(kpipe_bin), "consume", name, "-g", group, "-e"], capture_output=True, timeout=60,
                       env={"KPIPE_BROKERS": brokers})
    assert (r.returncode, r.stdout) == (0, b"")  # nothing left for the group


def test_two_group_members_split_six_partitions_without_loss(kpipe_bin, brokers, topic):
    name = topic(partitions=6)
    group = f"kpipe-test-split-{uuid.uuid4().hex[:8]}"
    members = [Running(kpipe_bin, brokers, "consume", name, "-g", group, "-v") for _ in range(2)]
    try:
        def balanced(lines):
            got = [line for line in lines if "assigned" in line]
            return bool(got) and "assigned 3 partition(s)" in got[-1]
        for m in members:
            m.wait_stderr(balanced)
        produce(brokers, name, [dict(partition=i % 6, value=str(i).encode()) for i in range(600)])
        deadline = time.monotonic() + 60
        while sum(len(m.lines) + m.out.qsize() for m in members) < 600:
            assert time.monotonic() < deadline, "not every record arrived"
            time.sleep(0.2)
        for m in members:
            m.wait_lines(len(m.lines) + m.out.qsize())
            assert m.interrupt() == 0, m.err_lines
    finally:
        for m in members:
            m.kill()
    got = [offsets(b"".join(m.lines)) for m in members]
    parts = [{p for p, _ in g} for g in got]
    assert len(parts[0]) == 3 and len(parts[1]) == 3 and not parts[0] & parts[1]
    everything = sorted(got[0] + got[1])
    assert everything == sorted((p, o) for p in range(6) for o in range(100))
    assert committed(brokers, group, name, list(range(6))) == {p: 100 for p in range(6)}


def test_exit_at_end_with_a_group(run, brokers, topic):
    name = topic(partitions=2)
    produce(brokers, name, [dict(partition=i % 2, value=str(i).encode()) for i in range(10)])
    group = f"kpipe-test-ge-{uuid.uuid4().hex[:8]}"
    r = run("consume", name, "-g", group, "-e", timeout=60)
    assert r.returncode == 0, r.stderr
    assert len(envelopes(r.stdout)) == 10
    assert committed(brokers, group, name, [0, 1]) == {0: 5, 1: 5}
    r = run("consume", name, "-g", group, "-e", "--from", "beginning", "--no-commit", timeout=60)
    assert len(envelopes(r.stdout)) == 10


def test_without_a_group_nothing_is_committed(run, brokers, topic, admin):
    name = topic()
    numbered(brokers, name, n=3)
    before = {g.id for g in admin.list_groups(timeout=10)}
    assert run("consume", name, "-e").returncode == 0
    after = {g.id for g in admin.list_groups(timeout=10)}
    assert not [g for g in after - before if g.startswith("kpipe-assign")]


# --- round trip with produce --------------------------------------------------------


def test_round_trip_with_produce_is_byte_exact(kpipe_bin, brokers, topic, read_topic):
    src, dst = topic(partitions=2), topic(partitions=2)
    produce(brokers, src, [
        dict(partition=0, key=b"u1", value=b'{"page":"/p1", "n": 1.50}', timestamp=BASE,
             headers=[("a", b"1"), ("a", b"2"), ("nul", None), ("bin", b"\x00\xff")]),
        dict(partition=0, key=None, value=b"", timestamp=BASE + 1),
        dict(partition=1, key=b"", value=None, timestamp=BASE + 2),
        dict(partition=1, key=b"\xff\x00", value=b"\x00\x01\xfe", timestamp=BASE + 3),
        dict(partition=1, key=b"null", value=b"null", timestamp=BASE + 4),
        dict(partition=0, key=b'"q"', value=b"line one\nline two", timestamp=BASE + 5),
    ])
    r = subprocess.run(["bash", "-c", f'"{kpipe_bin}" consume {src} -e | "{kpipe_bin}" produce {dst} --format envelope'],
                       capture_output=True, timeout=60, env={"KPIPE_BROKERS": brokers, "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    assert read_topic(dst) == read_topic(src)


# --- errors -------------------------------------------------------------------------


def test_unknown_topic_exits_5_at_once(run):
    r = run("consume", f"no-such-topic-{uuid.uuid4().hex[:8]}", timeout=20)
    assert r.returncode == 5
    assert b"does not exist" in r.stderr


def test_wait_for_topic(kpipe_bin, brokers, admin):
    import kafkautil
    name = kafkautil.unique_topic_name("test_wait_for_topic")
    k = Running(kpipe_bin, brokers, "consume", name, "--wait-for-topic", "-n", "1", "--output", "value")
    try:
        k.wait_stderr(lambda lines: any("waiting" in x for x in lines))
        kafkautil.create_topic(admin, name)
        produce(brokers, name, [dict(value=b"first")])
        assert k.wait_lines(1) == [b"first\n"]
        assert k.proc.wait(timeout=30) == 0
    finally:
        k.kill()
        kafkautil.delete_topic(admin, name)


def test_unreachable_broker_exits_4_within_timeout(kpipe_bin):
    start = time.monotonic()
    r = subprocess.run([str(kpipe_bin), "consume", "t", "-b", "127.0.0.1:1", "--timeout", "2s"],
                       capture_output=True, timeout=60)
    assert r.returncode == 4, r.stderr
    assert b"127.0.0.1:1" in r.stderr
    assert time.monotonic() - start < 30


def test_bad_offsets_and_templates_exit_2_naming_the_part(run, topic):
    name = topic()
    for args, part in [(["--from", "bogus"], b"bogus"), (["--from", "1:nope"], b"nope"),
                       (["--from", "@-1y"], b"1y"), (["--until", "x"], b"x"),
                       (["-f", "%t %x"], b"%x"), (["-f", "a\\q"], b"\\q"),
                       (["-p", "1-"], b"1-"), (["--from", "stored"], b"group"),
                       (["--from", "100:50"], b"invalid range '100:50': it ends (50) before it starts (100)"),
                       (["--from", "@2025-11-24T17:00:00Z:@2025-11-24T16:00:00Z"], b"before it starts"),
                       (["--from", "100", "--until", "50"], b"it ends (50) before it starts (100)")]:
        r = run("consume", name, *args)
        assert r.returncode == 2, (args, r.stderr)
        assert part in r.stderr, (args, r.stderr)
        assert r.stderr.startswith(b"kpipe: ")


def test_from_applies_only_to_the_first_assignment_of_a_group_member(kpipe_bin, brokers, topic):
    # A rebalance must not send a member back to --from: later assignments continue from
    # the group's committed offsets (no duplicates with beginning, no loss with end).
    name = topic(partitions=2)
    produce(brokers, name, [dict(partition=i % 2, value=str(i).encode()) for i in range(20)])
    group = f"kpipe-test-from-{uuid.uuid4().hex[:8]}"
    a = Running(kpipe_bin, brokers, "consume", name, "-g", group, "--from", "beginning", "-v")
    b = None
    try:
        a.wait_lines(20)

        def assignments(n):
            return lambda lines: sum("assigned" in line for line in lines) >= n
        b = Running(kpipe_bin, brokers, "consume", name, "-g", group, "--from", "beginning", "-v")
        a.wait_stderr(assignments(2))
        b.wait_stderr(assignments(1))
        time.sleep(2)
        assert b.interrupt() == 0, b.err_lines
        a.wait_stderr(assignments(3))
        time.sleep(2)
        assert a.interrupt() == 0, a.err_lines
    finally:
        a.kill()
        if b:
            b.kill()
    assert sorted(offsets(b"".join(a.lines))) == sorted((p, o) for p in range(2) for o in range(10))
    assert committed(brokers, group, name, [0, 1]) == {0: 10, 1: 10}


def test_filter_error_stops_without_committing_the_record(run, brokers, topic):
    # A jq error is not "filtered out": it is reported, the record's offset is not
    # committed, and kpipe exits 3 after writing (and committing) the records before it.
    name = topic()
    produce(brokers, name, [dict(value=b'{"page":"/p1"}'), dict(value=b'{"other":1}'), dict(value=b'{"page":"/p2"}')])
    group = f"kpipe-test-filter-{uuid.uuid4().hex[:8]}"
    r = run("consume", name, "-g", group, "-e", "--output", "value",
            "--filter", '.value.page | startswith("/p")')
    assert r.returncode == 3, r.stderr
    assert r.stdout == b'{"page":"/p1"}\n'
    assert f"{name} [0] at offset 1".encode() in r.stderr, r.stderr
    assert b"startswith" in r.stderr, r.stderr
    assert committed(brokers, group, name, [0]) == {0: 1}


def test_per_partition_ends_make_a_bounded_run(run, kpipe_bin, brokers, topic):
    name = topic(partitions=2)
    produce(brokers, name, [dict(partition=i % 2, value=str(i).encode()) for i in range(4)])
    # Every partition's range is empty: nothing to read, exit 0 at once (no hang).
    r = run("consume", name, "--from", "0=2:2,1=0:0", timeout=20)
    assert (r.returncode, r.stdout) == (0, b""), r.stderr
    r = run("consume", name, "--until", "0=1,1=2", timeout=20)
    assert r.returncode == 0, r.stderr
    assert sorted(offsets(r.stdout)) == [(0, 0), (1, 0), (1, 1)]
    # Every partition has an end not reached yet: Ctrl-C is an interruption (130).
    k = Running(kpipe_bin, brokers, "consume", name, "--until", "0=5,1=5")
    try:
        k.wait_lines(4)
        assert k.interrupt() == 130, k.err_lines
    finally:
        k.kill()


# --- groups under trouble -----------------------------------------------------------


def wait_committed(brokers, group, name, expected, timeout=20):
    """Commits happen every 250 ms: wait until the group's offsets are `expected`."""
    deadline = time.monotonic() + timeout
    while (got := committed(brokers, group, name, sorted(expected))) != expected:
        assert time.monotonic() < deadline, got
        time.sleep(0.2)


def wait_group_empty(brokers, group, timeout=60):
    """Until the coordinator has no member in the group (e.g. after a kill -9)."""
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": brokers})
    deadline = time.monotonic() + timeout
    while admin.list_groups(group, timeout=10)[0].members:
        assert time.monotonic() < deadline, f"group {group} still has members"
        time.sleep(0.3)


def test_group_member_paused_past_its_session_rejoins_and_goes_on(kpipe_bin, brokers, topic):
    # The group takes the partitions away while the process is stopped (as in a long
    # broker outage). kpipe must release them, rejoin, read what arrives next, commit it,
    # and stop at SIGTERM; it used to spin forever at 100% CPU and ignore SIGTERM.
    name = topic(partitions=2)
    produce(brokers, name, [dict(partition=i % 2, value=f"a{i}".encode()) for i in range(20)])
    group = f"kpipe-test-lost-{uuid.uuid4().hex[:8]}"
    k = Running(kpipe_bin, brokers, "consume", name, "-g", group, "--output", "value", "-v",
                "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500")
    try:
        k.wait_lines(20)
        wait_committed(brokers, group, name, {0: 10, 1: 10})
        k.proc.send_signal(signal.SIGSTOP)
        wait_group_empty(brokers, group)  # the coordinator expired the stopped member
        k.proc.send_signal(signal.SIGCONT)
        produce(brokers, name, [dict(partition=i % 2, value=f"b{i}".encode()) for i in range(10)])
        lines = k.wait_lines(30, timeout=60)
        assert sorted(l.strip() for l in lines[20:]) == sorted(f"b{i}".encode() for i in range(10))
        k.wait_stderr(lambda err: any("lost 2 partition(s)" in l and "0 record(s)" in l for l in err))
        wait_committed(brokers, group, name, {0: 15, 1: 15})
        k.proc.send_signal(signal.SIGTERM)
        assert k.proc.wait(timeout=30) == 0, k.err_lines
        # A failed commit (-v) names its own reason, not the last message of another kind.
        failed_commits = [l for l in k.err_lines if "offset commit failed" in l]
        assert not any("end of partition" in l for l in failed_commits), failed_commits
    finally:
        k.proc.send_signal(signal.SIGCONT)
        k.kill()


@pytest.mark.slow
def test_crash_duplicates_are_bounded_by_the_commit_interval(kpipe_bin, brokers, topic, read_topic, tmp_path):
    # A grouped consumer following a topic that is being written is killed -9 at 20 random
    # points and restarted each time, its output appended to one file: every record
    # arrives at least once, and few twice (offsets of written records are committed every
    # 250 ms). Static membership (group.instance.id) lets each restart take the dead
    # member's place at once instead of waiting for its session to expire.
    name = topic(partitions=3)
    total, rate, kills_wanted = 600000, 1500, 20  # the writer is stopped after the 20th kill
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"".join(b'{"id":%d}\n' % i for i in range(total)))
    writer = subprocess.Popen([str(kpipe_bin), "produce", name, events, "--rate", str(rate), "-q", "-b", brokers],
                              stderr=subprocess.PIPE)
    group = f"kpipe-test-crash-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "out.jsonl"
    member = ["consume", name, "-g", group, "--output", "value", "-b", brokers, "-X", "session.timeout.ms=6000",
              "-X", f"group.instance.id={group}-member"]
    kills = 0
    rng = random.Random(7)
    with open(out, "ab") as sink:
        while kills < kills_wanted:
            assert writer.poll() is None, "the writer finished before the 20th kill"
            size = out.stat().st_size
            p = subprocess.Popen([str(kpipe_bin), *member], stdout=sink, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 30
            while out.stat().st_size == size:  # joined and reading
                assert time.monotonic() < deadline and p.poll() is None, p.stderr.read()
                time.sleep(0.05)
            # Past the catch-up burst after the join, then a random point: what was written
            # since the last commit is then at most about 250 ms of traffic.
            time.sleep(1.5 + rng.uniform(0.0, 1.0))
            p.kill()
            p.wait()
            kills += 1
        writer.send_signal(signal.SIGINT)
        assert writer.wait(timeout=60) == 130, writer.stderr.read()
        rest = subprocess.run([str(kpipe_bin), *member, "-e"], stdout=sink, stderr=subprocess.PIPE, timeout=120)
        assert rest.returncode == 0, rest.stderr
    ids = [json.loads(line)["id"] for line in out.read_bytes().splitlines() if line.strip()]
    seen = set(ids)
    duplicates = len(ids) - len(seen)
    written = {json.loads(r.value)["id"] for r in read_topic(name, timeout=60)}
    print(f"crash test: {kills} kill -9, {len(written)} records, {len(written - seen)} lost, {duplicates} read twice")
    assert seen == written
    # Each kill repeats what was written since the last commit: about 250 ms at 1500/s
    # (375 records), 1000 allowed. Before commits on an interval (every 5 s), a kill
    # within 5 s of a start repeated everything read since that start.
    assert duplicates <= kills * 1000, duplicates
