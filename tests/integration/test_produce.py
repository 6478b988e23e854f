"""kpipe produce against the real broker, checked with an independent client (confluent_kafka)."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest
from confluent_kafka.admin import ConfigResource

REPO = Path(__file__).resolve().parents[2]
SAMPLE_EVENTS = REPO / "scripts" / "sample-events"
SUMMARY = re.compile(
    rb"produce (?P<topic>\S+): read (?P<read>\d+), delivered (?P<delivered>\d+), failed (?P<failed>\d+)"
    rb"(?: \((?P<bad>\d+) bad input\))?, (?P<bytes>\d+) bytes, "
)


def summary(stderr: bytes) -> dict[str, int]:
    m = SUMMARY.search(stderr)
    assert m, f"no summary line in stderr:\n{stderr.decode(errors='replace')}"
    return {k: int(v) for k, v in m.groupdict().items() if k != "topic" and v is not None}


def sample(kind: str, n: int, seed: int = 1) -> bytes:
    return subprocess.run(
        ["/usr/bin/python3", str(SAMPLE_EVENTS), kind, str(n), "--seed", str(seed)],
        check=True, capture_output=True,
    ).stdout


# Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as Java's default
# partitioner uses it: toPositive(murmur2(key)) % partitions.
def murmur2(data: bytes) -> int:
    m, r = 0x5BD1E995, 24
    h = (0x9747B28C ^ len(data)) & 0xFFFFFFFF
    n4 = len(data) // 4
    for i in range(n4):
        k = int.from_bytes(data[4 * i: 4 * i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    tail = data[4 * n4:]
    if len(tail) >= 3:
        h ^= tail[2] << 16
    if len(tail) >= 2:
        h ^= tail[1] << 8
    if len(tail) >= 1:
        h ^= tail[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h  # Java int


def java_partition(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def test_murmur2_reference_matches_kafkas_test_vectors():
    # From Kafka's UtilsTest.testMurmur2.
    assert murmur2(b"21") == -973932308
    assert murmur2(b"foobar") == -790332482
    assert murmur2(b"a-little-bit-long-string") == -985981536
    assert murmur2(b"a-little-bit-longer-string") == -1486304829
    assert murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971
    assert murmur2(b"abc") == 479470107


# --- formats -----------------------------------------------------------------


def test_json_lines_are_sent_byte_for_byte_with_counts_and_bytes(run, topic, read_topic):
    name = topic()
    events = sample("clickstream", 300)
    odd = b'{"spaced" : [1, 2] }\r\n\n   \n"just a string"\n42\n'
    res = run("produce", name, input=events + odd)
    assert res.returncode == 0, res.stderr
    lines = events.splitlines() + [b'{"spaced" : [1, 2] }', b'"just a string"', b"42"]
    records = read_topic(name)
    assert [r.value for r in records] == lines
    assert all(r.key is None for r in records)
    s = summary(res.stderr)
    assert s == {"read": 303, "delivered": 303, "failed": 0, "bytes": sum(map(len, lines))}


def test_numbers_of_any_size_are_valid_json_sent_byte_for_byte(run, topic, read_topic):
    # JSON has no number limit: nothing here fits an int64, a uint64 or a double.
    name = topic()
    lines = [b'{"n":99999999999999999999}', b"1e400", b"18446744073709551616",
             b'{"id":"u1","big":-1.5E+400,"list":[1, 2e999]}']
    res = run("produce", name, input=b"\n".join(lines) + b"\n")
    assert res.returncode == 0, res.stderr
    assert [r.value for r in read_topic(name)] == lines
    # still refused when it is not JSON
    res = run("produce", name, input=b'[1e400,]\n')
    assert res.returncode == 3 and b"<stdin>:1: not valid JSON" in res.stderr


def test_key_and_timestamp_next_to_big_numbers(run, topic, read_topic):
    name = topic()
    data = (b'{"user":"u1","n":99999999999999999999,"ts":1764000000123}\n'
            b'{"user":{"id":1e400, "tags": ["a"]},"ts":"2025-11-24T16:00:00Z"}\n'
            b'{"user":18446744073709551616}\n')
    res = run("produce", name, "--key", ".user", "--timestamp", ".ts", input=data)
    assert res.returncode == 0, res.stderr
    records = read_topic(name)
    assert [r.key for r in records] == [b"u1", b'{"id":1e400,"tags":["a"]}', b"18446744073709551616"]
    assert [r.timestamp for r in records[:2]] == [1764000000123, 1764000000000]
    # a timestamp from a big number is a bad line naming the field
    res = run("produce", name, "--timestamp", ".n", input=b'{"n":99999999999999999999}\n')
    assert res.returncode == 3
    assert b"<stdin>:1: field .n: expected epoch milliseconds or an ISO-8601 time, got 99999999999999999999" in res.stderr


def test_quiet_silences_the_summary(run, topic, read_topic):
    name = topic()
    res = run("produce", name, "-q", input=b'{"a":1}\n')
    assert res.returncode == 0
    assert res.stderr == b""
    assert [r.value for r in read_topic(name)] == [b'{"a":1}']


def test_files_in_order_and_stdin_dash(run, topic, read_topic, tmp_path):
    name = topic()
    a = tmp_path / "a.jsonl"
    a.write_bytes(b'{"n":1}\n{"n":2}')  # no final newline
    b = tmp_path / "b.jsonl"
    b.write_bytes(b'{"n":4}\n')
    res = run("produce", name, a, "-", b, input=b'{"n":3}\n')
    assert res.returncode == 0, res.stderr
    assert [r.value for r in read_topic(name)] == [b'{"n":1}', b'{"n":2}', b'{"n":3}', b'{"n":4}']


def test_text_format_with_key_delimiter(run, topic, read_topic):
    name = topic()
    data = b"u1\thello world\nno delimiter here\nu2\t{not json\tat all\n\nu3\t\n"
    res = run("produce", name, "--format", "text", "--key-delim", "\t", input=data)
    assert res.returncode == 0, res.stderr
    got = [(r.key, r.value) for r in read_topic(name)]
    expected = [
        (b"u1", b"hello world"),
        (None, b"no delimiter here"),
        (b"u2", b"{not json\tat all"),
        (b"u3", b""),
    ]
    assert got == expected
    s = summary(res.stderr)
    assert (s["read"], s["delivered"]) == (4, 4)
    assert s["bytes"] == sum(len(k or b"") + len(v) for k, v in expected)


def test_text_format_sends_any_bytes(run, topic, read_topic):
    name = topic()
    data = b"\xff\xfe binary \x00 bytes\r\nplain\n"
    res = run("produce", name, "--format", "text", input=data)
    assert res.returncode == 0, res.stderr
    assert [r.value for r in read_topic(name)] == [b"\xff\xfe binary \x00 bytes\r", b"plain"]


def test_key_timestamp_headers_and_partition_from_flags(run, topic, read_topic):
    name = topic(partitions=3)
    data = (
        b'{"user":{"id":"u-1"},"ts":"2025-11-24T16:00:00.123Z"}\n'
        b'{"user":{"id":42},"ts":1764000000999}\n'
        b'{"user":{},"ts":null}\n'
    )
    before = int(time.time() * 1000)
    res = run("produce", name, "--key", ".user.id", "--timestamp", ".ts", "-H", "source=web", "-H",
              "source=cli", "-H", "empty=", "--partition", "2", input=data)
    assert res.returncode == 0, res.stderr
    records = read_topic(name)
    assert [(r.partition, r.key) for r in records] == [(2, b"u-1"), (2, b"42"), (2, None)]
    assert records[0].timestamp == 1764000000123
    assert records[1].timestamp == 1764000000999
    assert records[2].timestamp >= before - 60_000  # no field: the time of sending
    for r in records:
        assert r.headers == [("source", b"web"), ("source", b"cli"), ("empty", b"")]


def test_same_key_lands_on_the_partition_java_would_choose(run, topic, read_topic):
    partitions = 6
    name = topic(partitions=partitions)
    events = sample("clickstream", 2000, seed=3)
    res = run("produce", name, "--key", ".userid", input=events)
    assert res.returncode == 0, res.stderr
    records = read_topic(name)
    assert len(records) == 2000
    seen: dict[bytes, set[int]] = {}
    for r in records:
        assert r.key == json.loads(r.value)["userid"].encode()
        assert r.partition == java_partition(r.key, partitions), r.key
        seen.setdefault(r.key, set()).add(r.partition)
    assert all(len(p) == 1 for p in seen.values())
    assert len({p for ps in seen.values() for p in ps}) == partitions  # keys spread over all


def test_another_partitioner_from_x_is_honoured(run, topic, read_topic):
    name = topic(partitions=4)
    events = sample("clickstream", 500, seed=5)
    res = run("produce", name, "--key", ".userid", "-X", "partitioner=consistent", input=events)
    assert res.returncode == 0, res.stderr
    records = read_topic(name)
    assert sorted(r.value for r in records) == sorted(events.splitlines())
    partition_of: dict[bytes, int] = {}
    for r in records:
        assert partition_of.setdefault(r.key, r.partition) == r.partition
    assert any(p != java_partition(k, 4) for k, p in partition_of.items())  # CRC32, not murmur2


def test_records_without_key_all_arrive_on_a_multi_partition_topic(run, topic, read_topic):
    name = topic(partitions=3)
    events = sample("clickstream", 3000, seed=6)
    res = run("produce", name, input=events)
    assert res.returncode == 0, res.stderr
    records = read_topic(name)
    assert sorted(r.value for r in records) == sorted(events.splitlines())
    assert all(r.key is None for r in records)


def test_compression_is_transparent(run, topic, read_topic):
    name = topic()
    events = sample("iot", 200)
    res = run("produce", name, "--compression", "zstd", "--linger", "20ms", "--batch-size", "65536",
              "--rate", "100000", input=events)
    assert res.returncode == 0, res.stderr
    assert [r.value for r in read_topic(name)] == events.splitlines()


# --- envelope round trip -----------------------------------------------------


def envelope_payload(name: str, data: bytes | None) -> str:
    """The envelope encoding of design.md, written independently of kpipe."""
    if data is None:
        return f'"{name}":null'
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f'"{name}":{json.dumps(base64.b64encode(data).decode())},"{name}_encoding":"base64"'
    embeddable = text and text == text.strip(" \t\r\n") and "\n" not in text and "\r" not in text and text != "null"
    if embeddable:
        try:
            json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
            if not re.match(r"^-?0\d", text):
                return f'"{name}":{text}'
        except ValueError:
            pass
    return f'"{name}":{json.dumps(text, ensure_ascii=False)},"{name}_encoding":"text"'


def envelope_line(topic: str, r, iso_time: str | None = None) -> bytes:
    headers = []
    for hname, hvalue in r.headers:
        if hvalue is None:
            headers.append([hname, None])
        else:
            try:
                headers.append([hname, hvalue.decode("utf-8")])
            except UnicodeDecodeError:
                headers.append([hname, base64.b64encode(hvalue).decode(), "base64"])
    ts = json.dumps(iso_time) if iso_time else str(r.timestamp)
    return (
        f'{{"topic":{json.dumps(topic)},"partition":{r.partition},"offset":{r.offset},"timestamp":{ts},'
        f'"timestamp_type":"create",{envelope_payload("key", r.key)},{envelope_payload("value", r.value)},'
        f'"headers":{json.dumps(headers, ensure_ascii=False)}}}\n'
    ).encode()


AWKWARD = [
    dict(partition=0, key=b"user123", value=b'{"page":"/p1", "n":1}', timestamp=1764000000123,
         headers=[("source", b"web"), ("source", b"app"), ("source", b"web")]),
    dict(partition=1, key=None, value=b"", timestamp=1764000000124),
    dict(partition=0, key=b"", value=None, timestamp=1764000000125, headers=[("nul", None), ("e", b"")]),
    dict(partition=1, key=b"\xff\x00bin", value=b"\x00\x01\x02\xfe", timestamp=1764000000126,
         headers=[("bin", b"\xff\xfe\x00")]),
    dict(partition=1, key=b'"quoted"', value=b'"hello"', timestamp=1764000000127),
    dict(partition=0, key=b"k", value=b"hello world", timestamp=1),
    dict(partition=0, key=b"k", value=b"null", timestamp=1764000000128),
    dict(partition=1, key=b"k", value=b' {"a":1} ', timestamp=1764000000129),
    dict(partition=1, key=b"k", value=b'{"a":\n1}', timestamp=1764000000130),
    dict(partition=0, key="caf\u00e9 \u20ac".encode(), value="t\u00e9xt \"q\" \\ \t".encode(),
         timestamp=1764000000131),
    dict(partition=0, key=b"01", value=b"01", timestamp=1764000000132),
    dict(partition=1, key=b"[1, 2]", value=b"-1.5e3", timestamp=1764000000133),
]


def test_envelope_round_trip_is_byte_for_byte(brokers, run, topic, read_topic):
    from test_broker import produce as produce_with_python

    source, target = topic(partitions=2), topic(partitions=2)
    produce_with_python(brokers, source, AWKWARD)
    original = read_topic(source)
    assert len(original) == len(AWKWARD)
    lines = b"".join(envelope_line(source, r) for r in original)
    res = run("produce", target, "--format", "envelope", input=lines)
    assert res.returncode == 0, res.stderr
    copied = read_topic(target)

    def strip(records):
        return [(r.partition, r.offset, r.key, r.value, r.headers, r.timestamp) for r in records]

    assert strip(copied) == strip(original)


def test_kpipe_consume_then_produce_reproduces_every_record(brokers, run, topic, read_topic):
    from test_broker import produce as produce_with_python

    source, target = topic(partitions=2), topic(partitions=2)
    produce_with_python(brokers, source, AWKWARD)
    consumed = run("consume", source, "-e")
    assert consumed.returncode == 0, consumed.stderr
    res = run("produce", target, "--format", "envelope", input=consumed.stdout)
    assert res.returncode == 0, res.stderr

    def strip(records):
        return [(r.partition, r.offset, r.key, r.value, r.headers, r.timestamp) for r in records]

    assert strip(read_topic(target)) == strip(read_topic(source))


def test_envelope_iso_time_ignore_partition_and_partition_override(brokers, run, topic, read_topic):
    name = topic(partitions=3)
    line = (b'{"partition":2,"timestamp":"2025-11-24T16:00:00.123Z","key":"k1","key_encoding":"text",'
            b'"value":{"a":1},"headers":[["h","v"]]}\n')
    assert run("produce", name, "--format", "envelope", input=line).returncode == 0
    assert run("produce", name, "--format", "envelope", "--partition", "0", input=line).returncode == 0
    assert run("produce", name, "--format", "envelope", "--ignore-partition", input=line).returncode == 0
    records = read_topic(name)
    assert len(records) == 3
    assert all((r.key, r.value, r.headers, r.timestamp) == (b"k1", b'{"a":1}', [("h", b"v")], 1764000000123)
               for r in records)
    assert sorted(r.partition for r in records) == sorted([2, 0, java_partition(b"k1", 3)])


# --- bad input -----------------------------------------------------------------


def test_bad_line_in_the_middle_stops_and_keeps_what_came_before(run, topic, read_topic, tmp_path):
    name = topic()
    good = sample("clickstream", 50).splitlines()
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(good[:20] + [b'{"userid":"u1","page":'] + good[20:]) + b"\n")
    res = run("produce", name, path, "--key", ".userid")
    assert res.returncode == 3
    assert f"kpipe: {path}:21: not valid JSON".encode() in res.stderr
    assert b"stopped reading" in res.stderr
    assert [r.value for r in read_topic(name)] == good[:20]
    assert summary(res.stderr) == {"read": 21, "delivered": 20, "failed": 1, "bad": 1,
                                   "bytes": sum(len(g) + len(json.loads(g)["userid"]) for g in good[:20])}


def test_skip_reports_every_bad_line_and_writes_it_to_failed(run, topic, read_topic, tmp_path):
    name = topic()
    data = (
        b'{"ok":1}\n'
        b"not json\n"                               # 2
        b'{"ok":2}\n'
        b'{"bad utf8":"\xff\xfe"}\n'                # 4
        b'{"ok":3}\n'
        b'{"ts":"yesterday-ish"}\n'                 # 6: --timestamp field not a time
        b'{"ok":4}\n'
        b'{"a":1} {"b":2}\n'                        # 8: two values on one line
    )
    failed = tmp_path / "failed.jsonl"
    res = run("produce", name, "--on-error", "skip", "--timestamp", ".ts", "--failed", failed, input=data)
    assert res.returncode == 3
    err = res.stderr.decode(errors="replace")
    for n in (2, 4, 6, 8):
        assert f"kpipe: <stdin>:{n}: " in err
    assert "<stdin>:6: field .ts" in err
    assert "stopped reading" not in err
    assert [r.value for r in read_topic(name)] == [b'{"ok":1}', b'{"ok":2}', b'{"ok":3}', b'{"ok":4}']
    assert summary(res.stderr)["failed"] == 4
    kept = failed.read_bytes().splitlines()
    assert len(kept) == 4
    values = [json.loads(k) for k in kept]
    assert values[0]["value"] == "not json" and values[0]["value_encoding"] == "text"
    assert base64.b64decode(values[1]["value"]) == b'{"bad utf8":"\xff\xfe"}'
    assert values[2]["value"] == {"ts": "yesterday-ish"}
    assert values[3]["value"] == '{"a":1} {"b":2}'


def test_bad_envelope_line_names_the_field(run, topic, read_topic):
    name = topic()
    data = b'{"value":"x","value_encoding":"text"}\n{"value":"%%%","value_encoding":"base64"}\n{"key":1}\n'
    res = run("produce", name, "--format", "envelope", "--on-error", "skip", input=data)
    assert res.returncode == 3
    assert b"<stdin>:2: field 'value': invalid base64" in res.stderr
    assert b"<stdin>:3: not a valid envelope: field 'value' is missing" in res.stderr
    assert [r.value for r in read_topic(name)] == [b"x"]


def test_envelope_fields_of_the_wrong_kind_are_bad_lines_naming_the_field(run, topic, read_topic):
    name = topic()
    data = (b'{"timestamp_type":"bogus","value":"a","value_encoding":"text"}\n'
            b'{"offset":"abc","value":"b","value_encoding":"text"}\n'
            b'{"topic":5,"value":"c","value_encoding":"text"}\n'
            b'{"partition":"x","value":"d","value_encoding":"text"}\n'
            # what consume writes (and --failed: offset -1, null timestamp), and nulls
            b'{"topic":"t","partition":0,"offset":-1,"timestamp":null,"timestamp_type":"none","key":null,'
            b'"value":"e","value_encoding":"text","headers":[]}\n'
            b'{"topic":"t","partition":0,"offset":12,"timestamp":"2025-11-24T16:00:00.123Z",'
            b'"timestamp_type":"log_append","key":null,"value":"f","value_encoding":"text","headers":[]}\n'
            b'{"topic":null,"partition":null,"offset":null,"timestamp_type":null,"value":"g","value_encoding":"text"}\n')
    res = run("produce", name, "--format", "envelope", "--on-error", "skip", input=data)
    assert res.returncode == 3
    err = res.stderr.decode()
    for line, field in [(1, "timestamp_type"), (2, "offset"), (3, "topic"), (4, "partition")]:
        assert f"kpipe: <stdin>:{line}: field '{field}': expected " in err, err
    assert [r.value for r in read_topic(name)] == [b"e", b"f", b"g"]


def test_record_larger_than_message_max_bytes_is_bad_input(run, topic, read_topic, tmp_path):
    name = topic()
    big = b'{"blob":"' + b"x" * 3000 + b'"}'
    failed = tmp_path / "failed.jsonl"
    res = run("produce", name, "-X", "message.max.bytes=2000", "--failed", failed,
              input=b'{"a":1}\n' + big + b'\n{"a":2}\n')
    assert res.returncode == 3
    assert b"<stdin>:2: not sent: record of 3011 bytes is larger than message.max.bytes 2000" in res.stderr
    assert [r.value for r in read_topic(name)] == [b'{"a":1}']
    assert json.loads(failed.read_bytes())["value"] == {"blob": "x" * 3000}


def test_line_too_long_to_hold_is_reported_and_skipped(run, topic, read_topic):
    name = topic()
    # Lines longer than twice message.max.bytes plus 1 MiB are not held in memory.
    huge = b'{"blob":"' + b"y" * (1 << 21) + b'"}'
    res = run("produce", name, "-X", "message.max.bytes=1000", "--on-error", "skip",
              input=b'{"a":1}\n' + huge + b'\n{"a":2}\n')
    assert res.returncode == 3
    assert f"<stdin>:2: line of {len(huge)} bytes is longer than any record can be".encode() in res.stderr
    assert [r.value for r in read_topic(name)] == [b'{"a":1}', b'{"a":2}']


# --- delivery failures ---------------------------------------------------------


def test_broker_rejection_is_reported_with_position_and_failed_file_resends(
        run, topic, read_topic, admin, tmp_path):
    name = topic(config={"max.message.bytes": "1000"})
    small = [json.dumps({"n": i}).encode() for i in range(5)]
    big = json.dumps({"blob": "z" * 2000}).encode()
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"\n".join(small[:2] + [big, big] + small[2:]) + b"\n")
    failed = tmp_path / "failed.jsonl"
    # The broker refuses a whole batch when it is too large: one record per batch here,
    # so that only the large records fail.
    res = run("produce", name, events, "--failed", failed, "-H", "h=1", "-X", "batch.num.messages=1")
    assert res.returncode == 3
    assert f"kpipe: {events}:3-4: not delivered: Broker: Message size too large (2 records)".encode() in res.stderr
    assert [r.value for r in read_topic(name)] == small
    s = summary(res.stderr)
    assert (s["read"], s["delivered"], s["failed"]) == (7, 5, 2)

    lines = failed.read_bytes().splitlines()
    assert len(lines) == 2
    assert all(json.loads(x)["value"] == json.loads(big) for x in lines)
    assert all(json.loads(x)["headers"] == [["h", "1"]] for x in lines)

    resource = ConfigResource("topic", name, set_config={"max.message.bytes": "100000"})
    admin.alter_configs([resource])[resource].result(timeout=30)
    res = run("produce", name, "--format", "envelope", failed)
    assert res.returncode == 0, res.stderr
    records = read_topic(name)
    assert [r.value for r in records] == small + [big, big]
    assert records[-1].headers == [("h", b"1")]


def test_many_delivery_failures_are_grouped_in_a_screenful(run, topic, read_topic, tmp_path):
    # Every third line is too large for the topic: 30 failures spread over as many
    # ranges. The report shows at most 20 ranges, counts the rest, keeps every failed
    # record in --failed and gives the total per reason.
    name = topic(config={"max.message.bytes": "1000"})
    big = json.dumps({"blob": "z" * 2000}).encode()
    lines = [big if i % 3 == 0 else json.dumps({"n": i}).encode() for i in range(90)]
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"\n".join(lines) + b"\n")
    failed = tmp_path / "failed.jsonl"
    res = run("produce", name, events, "--failed", failed, "-X", "batch.num.messages=1")
    assert res.returncode == 3, res.stderr
    err = res.stderr.decode().splitlines()
    ranges = [l for l in err if re.match(rf"kpipe: {re.escape(str(events))}:\d+(-\d+)?: not delivered", l)]
    assert 1 <= len(ranges) <= 20, err
    assert any(re.match(r"kpipe: \.\.\. and \d+ more range\(s\) of \d+ record\(s\); every failed record is in ", l)
               for l in err), err
    assert "kpipe: 30 record(s) failed: not delivered: Broker: Message size too large" in err, err
    assert len(err) <= 25, err
    assert len(failed.read_bytes().splitlines()) == 30
    assert summary(res.stderr)["failed"] == 30
    assert len(read_topic(name)) == 60


@pytest.mark.parametrize("value, why", [
    ("0", "0 (1970-01-01T00:00:00Z) cannot be sent"),
    ('"1970-01-01T00:00:00Z"', "0 (1970-01-01T00:00:00Z) cannot be sent"),
    ('"1969-12-31T23:59:59Z"', "-1000 is before 1970"),
    ("-1000", "-1000 is before 1970"),
])
def test_timestamps_kafka_cannot_carry_are_bad_input_never_now(run, topic, read_topic, value, why):
    name = topic()
    events = b'{"n":1,"ts":1764000000123}\n{"n":2,"ts":%s}\n{"n":3,"ts":1764000000125}\n' % value.encode()
    res = run("produce", name, "--timestamp", ".ts", "--on-error", "skip", input=events)
    assert res.returncode == 3, res.stderr
    assert f"<stdin>:2: field .ts: {why}".encode() in res.stderr, res.stderr
    assert [(r.value, r.timestamp) for r in read_topic(name)] == [
        (b'{"n":1,"ts":1764000000123}', 1764000000123), (b'{"n":3,"ts":1764000000125}', 1764000000125)]


def test_envelope_timestamp_zero_is_bad_input(run, topic, read_topic):
    name = topic()
    line = b'{"topic":"t","partition":0,"offset":0,"timestamp":0,"timestamp_type":"create","key":null,' \
           b'"value":"x","value_encoding":"text","headers":[]}\n'
    res = run("produce", name, "--format", "envelope", input=line)
    assert res.returncode == 3
    assert b"<stdin>:1: timestamp 0 (1970-01-01T00:00:00Z) cannot be sent" in res.stderr, res.stderr
    assert read_topic(name) == []


class VanishingBroker:
    """A stand-in broker that answers metadata (Kafka protocol v0) for one topic and
    disappears, closing every connection and its port, at the first produce request:
    what a client sees when its broker is lost mid-stream."""

    def __init__(self, topic: str):
        self.topic = topic.encode()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.gone = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.gone.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _string(b: bytes) -> bytes:
        return struct.pack(">h", len(b)) + b

    def _metadata(self, correlation: int) -> bytes:
        body = struct.pack(">i", correlation)
        body += struct.pack(">ii", 1, 0) + self._string(b"127.0.0.1") + struct.pack(">i", self.port)
        body += struct.pack(">ih", 1, 0) + self._string(self.topic)
        body += struct.pack(">ihiiiiii", 1, 0, 0, 0, 1, 0, 1, 0)  # partition 0, leader 0, replicas [0], isr [0]
        return struct.pack(">i", len(body)) + body

    def _serve(self, conn: socket.socket):
        buf = b""
        try:
            while True:
                while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                size = struct.unpack(">i", buf[:4])[0]
                request, buf = buf[4:4 + size], buf[4 + size:]
                api_key, _version, correlation = struct.unpack(">hhi", request[:8])
                if api_key == 3:  # Metadata
                    conn.sendall(self._metadata(correlation))
                elif api_key == 0:  # Produce: the broker is lost
                    self.vanish()
                    return
        except OSError:
            return

    def vanish(self):
        self.gone.set()
        self.server.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()


def test_broker_lost_mid_stream_fails_records_after_delivery_timeout(run, topic, read_topic, tmp_path):
    lost = VanishingBroker("lost-broker-topic")
    failed = tmp_path / "failed.jsonl"
    events = sample("clickstream", 5)
    # The stand-in speaks the oldest protocol, which has no idempotent producer.
    res = run("produce", "lost-broker-topic", "-b", f"127.0.0.1:{lost.port}", "-X", "api.version.request=false",
              "-X", "broker.version.fallback=0.9.0", "-X", "enable.idempotence=false",
              "--delivery-timeout", "3s", "--failed", failed, input=events)
    lost.vanish()
    assert res.returncode == 3, res.stderr
    err = res.stderr.decode()
    assert re.search(r"kpipe: <stdin>:1-5: not delivered: Local: Message timed out \(after the delivery timeout; "
                     r".*last error: .*Connection refused.*\)"
                     r".* \(5 records\)", err), err
    assert summary(res.stderr) == {"read": 5, "delivered": 0, "failed": 5, "bytes": 0}

    # What failed is re-sent as it was, here to the real broker.
    name = topic()
    res = run("produce", name, "--format", "envelope", failed)
    assert res.returncode == 0, res.stderr
    assert [r.value for r in read_topic(name)] == events.splitlines()


# --- other failures -------------------------------------------------------------


def test_missing_topic_that_will_not_be_created_exits_5(run, brokers):
    name = f"kpipe-missing-{os.getpid()}-{time.monotonic_ns()}"
    res = run("produce", name, "-X", "allow.auto.create.topics=false", input=b'{"a":1}\n', timeout=20)
    assert res.returncode == 5
    assert f"topic '{name}' does not exist".encode() in res.stderr


def test_partition_that_does_not_exist_exits_5(run, topic):
    name = topic(partitions=2)
    res = run("produce", name, "--partition", "2", input=b'{"a":1}\n')
    assert res.returncode == 5
    assert b"partition 2 of topic" in res.stderr


def test_unreachable_broker_exits_4_within_timeout(run):
    res = run("produce", "anything", "-b", "127.0.0.1:1", "--timeout", "2s", input=b'{"a":1}\n', timeout=30)
    assert res.returncode == 4
    assert b"127.0.0.1:1" in res.stderr


@pytest.mark.parametrize("args, message", [
    (["--format", "text", "--key", ".id"], b"--key and --timestamp"),
    (["--key", "id"], b"invalid field path 'id'"),
    (["--key-delim", ","], b"--key-delim needs --format text"),
    (["--ignore-partition"], b"--ignore-partition needs --format envelope"),
    (["/nonexistent/events.jsonl"], b"/nonexistent/events.jsonl"),
    (["-H", "novalue"], b"expected name=value"),
    (["--linger", "soon"], b"--linger"),
    (["--format", "xml"], b"--format"),
])
def test_usage_errors_exit_2(run, topic, args, message):
    res = run("produce", topic(), *args, input=b'{"a":1}\n')
    assert res.returncode == 2, res.stderr
    assert message in res.stderr


# --- signals ---------------------------------------------------------------------


def start_kpipe(kpipe_bin, brokers, *args):
    return subprocess.Popen(
        [str(kpipe_bin), "produce", *map(str, args)],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "KPIPE_BROKERS": brokers},
    )


def wait_until(predicate, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def signal_when(proc, ready, what: str, sig) -> bytes:
    """Once ready() holds, sends sig and waits for kpipe to end: its stderr (killed if it hangs)."""
    try:
        wait_until(ready, what)
        proc.send_signal(sig)
        return proc.communicate(timeout=30)[1]
    finally:
        proc.kill()


def test_sigint_delivers_what_was_read_and_exits_130(kpipe_bin, brokers, topic, read_topic, tmp_path):
    name = topic()
    events = sample("clickstream", 100)
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    # A long linger keeps what was read waiting in the send queue. kpipe opens the FIFO
    # (opening blocks until the writer below comes), reads it to its end, closes it and
    # then waits on the pipe of stdin, which stays open.
    proc = start_kpipe(kpipe_bin, brokers, name, fifo, "-", "--linger", "60s")
    with open(fifo, "wb") as w:  # returns once kpipe has the FIFO open
        w.write(events)

    def fifo_done():
        fds = Path(f"/proc/{proc.pid}/fd")
        return all(os.readlink(fds / fd) != str(fifo) for fd in os.listdir(fds))

    stderr = signal_when(proc, fifo_done, "kpipe to read all of the FIFO", signal.SIGINT)
    assert proc.returncode == 130, stderr
    assert b"interrupted" in stderr
    assert [r.value for r in read_topic(name)] == events.splitlines()
    s = summary(stderr)
    assert (s["read"], s["delivered"], s["failed"]) == (100, 100, 0)


def test_sigterm_while_waiting_on_stdin_exits_130(kpipe_bin, brokers, topic, read_topic):
    name = topic()
    proc = start_kpipe(kpipe_bin, brokers, name)
    proc.stdin.write(b'{"n":1}\n{"n":2}\n')
    proc.stdin.flush()
    stderr = signal_when(proc, lambda: len(read_topic(name)) == 2, "the first records to arrive", signal.SIGTERM)
    assert proc.returncode == 130, stderr
    assert [r.value for r in read_topic(name)] == [b'{"n":1}', b'{"n":2}']


def test_sigterm_while_waiting_to_open_a_fifo_exits_130(kpipe_bin, brokers, topic, read_topic, tmp_path):
    name = topic()
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    proc = start_kpipe(kpipe_bin, brokers, name, fifo)

    # Opening a FIFO for reading blocks until a writer comes: wait for kpipe's main
    # thread to sit in openat(2) (x86_64: 257; open(2): 2) before signalling.
    def opening():
        fields = Path(f"/proc/{proc.pid}/syscall").read_text().split()
        return fields[0] in ("257", "2")

    stderr = signal_when(proc, opening, "kpipe to block opening the FIFO", signal.SIGTERM)
    assert proc.returncode == 130, stderr
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert str(fifo) in lines[0] and "interrupted" in lines[0]
    assert "Interrupted system call" not in lines[0]
    assert read_topic(name) == []


def test_gzip_files_are_read_decompressed_and_a_truncated_one_is_named(run, topic, read_topic, tmp_path):
    import gzip

    name = topic()
    whole = b"".join(b'{"id":%d}\n' % i for i in range(5000))
    gz = tmp_path / "events.jsonl.gz"
    gz.write_bytes(gzip.compress(whole) + gzip.compress(b'{"id":"last"}\n'))  # two members
    r = run("produce", name, gz)
    assert r.returncode == 0, r.stderr
    assert [x.value for x in read_topic(name)] == whole.splitlines() + [b'{"id":"last"}']

    packed = gzip.compress(whole)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    other = topic()
    r = run("produce", other, cut)
    assert r.returncode == 1, r.stderr
    assert r.stderr.decode().splitlines()[0] == f"kpipe: {cut}: gzip data ends early (truncated file)"
    sent = [x.value for x in read_topic(other)]
    assert 0 < len(sent) < 5000 and sent == whole.splitlines()[: len(sent)]
