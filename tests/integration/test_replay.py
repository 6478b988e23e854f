"""kpipe replay against the real broker, checked with an independent client (confluent_kafka).

Records with old timestamps (2025, even 1970) live in topics with retention.ms=-1: the
broker would otherwise delete them by time within minutes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import uuid

import pytest
from kafkautil import Record
from streams import committed, envelopes, produce
from test_lag import commit, fill, member, now_ms  # noqa: F401  (member is a fixture)
from test_produce import AWKWARD, VanishingBroker, envelope_line, java_partition
from test_transform import SCHEMA

KEEP = {"retention.ms": "-1"}
SUMMARY = re.compile(
    rb"replay (?P<topic>\S+): read (?P<read>\d+), delivered (?P<delivered>\d+), failed (?P<failed>\d+)"
    rb"(?: \((?P<bad>\d+) bad input\))?, \d+ bytes, [\d.]+ s, \d+ records/s"
    rb"(?:, schedule (?P<schedule>[\w.]+), at most (?P<behind>[\w.]+) behind)?"
    rb"(?:, (?P<filtered>\d+) filtered out)?"
)


def summary(stderr: bytes) -> dict:
    m = SUMMARY.search(stderr)
    assert m, f"no summary line in stderr:\n{stderr.decode(errors='replace')}"
    return {k: (v.decode() if k in ("schedule", "behind") else int(v))
            for k, v in m.groupdict().items() if k != "topic" and v is not None}


def exact(records: list[Record]) -> list[tuple]:
    """What a replay keeps: partition and order, key, value, headers, timestamp."""
    return [(r.partition, r.offset, r.key, r.value, r.headers, r.timestamp) for r in records]


def payload(records: list[Record]) -> list[tuple]:
    return [(r.key, r.value, r.headers, r.timestamp) for r in records]


def write_envelopes(path, source: str, records: list[Record]) -> None:
    """Envelope lines as kpipe consume writes them, encoded independently of kpipe."""
    path.write_bytes(b"".join(envelope_line(source, r) for r in records))


def line(ts: int | None, value: str, key: str | None = None, partition: int = 0) -> bytes:
    """One envelope line with a JSON value."""
    return json.dumps({"topic": "recorded", "partition": partition, "offset": 0, "timestamp": ts,
                       "timestamp_type": "create", "key": key, "value": value, "value_encoding": "text",
                       "headers": []}).encode() + b"\n"


# --- exactly as they were ---------------------------------------------------------


def test_file_replay_is_byte_exact(brokers, run, topic, read_topic, tmp_path):
    source, target = topic(partitions=2, config=KEEP), topic(partitions=2, config=KEEP)
    produce(brokers, source, AWKWARD)
    original = read_topic(source)
    recorded = tmp_path / "recorded.jsonl"
    write_envelopes(recorded, source, original)
    r = run("replay", recorded, "--to", target)
    assert r.returncode == 0, r.stderr
    assert summary(r.stderr) == {"read": len(AWKWARD), "delivered": len(AWKWARD), "failed": 0}
    assert exact(read_topic(target)) == exact(original)


def test_stdin_replay_of_kpipe_consume_output_is_byte_exact(brokers, run, topic, read_topic):
    source, target = topic(partitions=2, config=KEEP), topic(partitions=2, config=KEEP)
    produce(brokers, source, AWKWARD)
    consumed = run("consume", source, "-e")
    assert consumed.returncode == 0, consumed.stderr
    r = run("replay", "-", "--to", target, input=consumed.stdout)
    assert r.returncode == 0, r.stderr
    assert exact(read_topic(target)) == exact(read_topic(source))


def test_topic_replay_is_byte_exact(brokers, run, topic, read_topic):
    source, target = topic(partitions=2, config=KEEP), topic(partitions=2, config=KEEP)
    produce(brokers, source, AWKWARD)
    r = run("replay", f"topic:{source}", "--to", target)
    assert r.returncode == 0, r.stderr
    assert summary(r.stderr)["delivered"] == len(AWKWARD)
    assert exact(read_topic(target)) == exact(read_topic(source))
    # Paced, the partitions are merged into one stream by time: each keeps its order.
    again = topic(partitions=2, config=KEEP)
    r = run("replay", f"topic:{source}", "--to", again, "--speed", "1000x")
    assert r.returncode == 0, r.stderr
    assert exact(read_topic(again)) == exact(read_topic(source))


def test_origin_and_h_headers_come_after_the_records_own(brokers, run, topic, read_topic, tmp_path):
    source, target = topic(), topic()
    produce(brokers, source, [dict(key=b"k", value=b"v", headers=[("h", b"1"), ("h", b"2")])])
    r = run("replay", f"topic:{source}", "--to", target, "-H", "env=test", "-H", "env=again", "--header-origin")
    assert r.returncode == 0, r.stderr
    [rec] = read_topic(target)
    assert rec.headers == [("h", b"1"), ("h", b"2"), ("kpipe.source.topic", source.encode()),
                           ("kpipe.source.partition", b"0"), ("kpipe.source.offset", b"0"),
                           ("env", b"test"), ("env", b"again")]
    recorded = tmp_path / "one.jsonl"
    recorded.write_bytes(line(now_ms(), "from a file"))
    target2 = topic()
    r = run("replay", recorded, "--to", target2, "--header-origin")
    assert r.returncode == 0, r.stderr
    [rec] = read_topic(target2)
    assert rec.headers == [("kpipe.source.file", str(recorded).encode()), ("kpipe.source.line", b"1")]


# --- which records ----------------------------------------------------------------


def test_time_window_selects_records_from_until(brokers, run, topic, read_topic):
    source = topic(partitions=2)
    now = now_ms()
    # One record every 10 minutes over the last 3 hours, alternating partitions; none
    # closer than 5 minutes to a window edge.
    times = [now - 3 * 3600_000 + 5 * 60_000 + i * 600_000 for i in range(18)]
    produce(brokers, source, [dict(partition=i % 2, value=str(t).encode(), timestamp=t) for i, t in enumerate(times)])
    target = topic()
    r = run("replay", f"topic:{source}", "--from", "@-2h", "--until", "@-1h", "--to", target)
    assert r.returncode == 0, r.stderr
    want = sorted(t for t in times if now - 2 * 3600_000 <= t < now - 3600_000)
    assert len(want) == 6
    assert sorted(r.timestamp for r in read_topic(target)) == want
    # Offsets, per partition: records 1 and 2 of partition 0, everything of partition 1 from 7.
    target = topic()
    r = run("replay", f"topic:{source}", "--from", "0=1,1=7", "--until", "0=3", "--to", target)
    assert r.returncode == 0, r.stderr
    got = sorted(r.timestamp for r in read_topic(target))
    assert got == sorted([times[2], times[4], times[15], times[17]])


def test_several_sources_merge_in_timestamp_order(brokers, run, topic, read_topic, tmp_path):
    base = now_ms() - 60_000
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_bytes(line(base + 10, "a1") + line(base + 40, "a2") + line(base + 100, "a-tie") + line(base + 110, "a4"))
    # A record without a timestamp goes first; equal times go in the order of the sources.
    b.write_bytes(line(None, "b-none") + line(base + 20, "b2") + line(base + 100, "b-tie") + line(base + 120, "b4"))
    source = topic(partitions=2)
    produce(brokers, source, [dict(partition=0, value=b"t1", timestamp=base + 30),
                              dict(partition=0, value=b"t-tie", timestamp=base + 100),
                              dict(partition=1, value=b"t2", timestamp=base + 35),
                              dict(partition=1, value=b"t3", timestamp=base + 105)])
    target = topic()
    r = run("replay", a, f"topic:{source}", b, "--to", target)
    assert r.returncode == 0, r.stderr
    got = [rec.value.decode() for rec in read_topic(target)]
    assert got == ["b-none", "a1", "b2", "t1", "t2", "a2", "a-tie", "t-tie", "b-tie", "t3", "a4", "b4"]


def test_where_selects_by_jq_on_the_envelope(brokers, run, topic, read_topic):
    source, target = topic(), topic()
    events = [{"n": i, "action": "view" if i % 3 == 0 else "click"} for i in range(12)]
    produce(brokers, source, [dict(key=b"k%d" % e["n"], value=json.dumps(e).encode()) for e in events])
    r = run("replay", f"topic:{source}", "--to", target, "--where", '.value.action == "view" and .key != "k6"')
    assert r.returncode == 0, r.stderr
    s = summary(r.stderr)
    assert (s["read"], s["delivered"], s["filtered"]) == (12, 3, 9)
    assert [json.loads(rec.value)["n"] for rec in read_topic(target)] == [0, 3, 9]


def test_map_rewrites_envelopes_schema_checks_them_dead_letters_keep_the_bad(brokers, run, topic, read_topic,
                                                                           tmp_path):
    source, target, dead = topic(), topic(), topic()
    events = [{"page": "/a", "action": "view"}, {"page": "/b", "action": "rating", "rating": 7},
              {"page": "/c", "action": "rating", "rating": 4}]
    produce(brokers, source, [dict(key=b"u%d" % i, value=json.dumps(e).encode(), timestamp=now_ms() - 1000 + i)
                              for i, e in enumerate(events)])
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(SCHEMA))
    ck = tmp_path / "replay.ck"
    # --map's outputs are envelopes: here the same record with a marked value.
    r = run("replay", f"topic:{source}", "--to", target, "--map", ".value.replayed = true", "--schema", schema,
            "--on-error", "skip", "--dead-letter", dead, "--checkpoint", ck)
    assert r.returncode == 3, r.stderr
    assert f"{source} [0] at offset 1: /rating: expected number less than or equal to 5 (got 7)".encode() in r.stderr
    original = read_topic(source)
    sent = read_topic(target)
    assert [(x.key, json.loads(x.value), x.timestamp) for x in sent] == \
        [(original[i].key, {**events[i], "replayed": True}, original[i].timestamp) for i in (0, 2)]
    [bad] = read_topic(dead)
    assert json.loads(bad.value) == {**events[1], "replayed": True}
    assert bad.headers == [("kpipe.error", b"/rating: expected number less than or equal to 5 (got 7)"),
                           ("kpipe.source", f"{source} [0] at offset 1".encode())]
    assert checkpoint_next(ck) == 3  # reported bad input is finished, like the records sent


# --- where they go and with what time ---------------------------------------------


def test_partition_rules_keep_key_and_fixed(brokers, run, topic, read_topic):
    source = topic(partitions=3)
    keys = [f"user{i}".encode() for i in range(30)]
    produce(brokers, source, [dict(partition=i % 3, key=k, value=b"v") for i, k in enumerate(keys)] +
            [dict(partition=2, key=None, value=b"no key")])
    original = read_topic(source)

    def sent(*args) -> list[Record]:
        target = topic(partitions=2)
        r = run("replay", f"topic:{source}", "--to", target, *args)
        assert r.returncode == 0, r.stderr
        got = read_topic(target)
        assert sorted(payload(got), key=repr) == sorted(payload(original), key=repr)
        return got

    # keep: the source partition when the target has it, else the key's (Java's murmur2)
    for rec in sent():
        src = next(o for o in original if o.key == rec.key and o.value == rec.value)
        if src.partition < 2:
            assert rec.partition == src.partition
        elif rec.key is not None:
            assert rec.partition == java_partition(rec.key, 2)
    for rec in sent("--partition", "key"):
        if rec.key is not None:
            assert rec.partition == java_partition(rec.key, 2)
    assert {rec.partition for rec in sent("--partition", "1")} == {1}

    # --dry-run says which
    target = topic(partitions=2)
    r = run("replay", f"topic:{source}", "--to", target, "--dry-run")
    assert r.returncode == 0, r.stderr
    rows = {int(l.split()[1]): l for l in r.stdout.decode().splitlines() if l.startswith(source)}
    assert rows[0].split()[-3] == "0" and rows[1].split()[-3] == "1"
    by_key = [java_partition(k, 2) for i, k in enumerate(keys) if i % 3 == 2]
    assert 0 < by_key.count(0) < len(by_key)
    want = f"any (1), 0 by key ({by_key.count(0)}), 1 by key ({by_key.count(1)})"
    assert want in rows[2], rows[2]
    r = run("topics", "describe", target, "-o", "json")
    assert sum(p["messages"] for p in json.loads(r.stdout)[0]["partitions"]) == 0


def test_partition_beyond_the_target_exits_5(brokers, run, topic):
    source, target = topic(), topic(partitions=2)
    r = run("replay", f"topic:{source}", "--to", target, "--partition", "2")
    assert r.returncode == 5 and b"partition 2" in r.stderr


def test_timestamp_shift_and_now(brokers, run, topic, read_topic):
    source = topic(config=KEEP)
    t0 = 1_600_000_000_000
    produce(brokers, source, [dict(value=b"a", timestamp=t0), dict(value=b"b", timestamp=t0 + 1000),
                              dict(value=b"c", timestamp=t0 + 6000)])
    target = topic()
    before = now_ms()
    r = run("replay", f"topic:{source}", "--to", target, "--timestamp", "shift")
    after = now_ms()
    assert r.returncode == 0, r.stderr
    ts = [rec.timestamp for rec in read_topic(target)]
    assert before <= ts[0] <= after
    assert [t - ts[0] for t in ts] == [0, 1000, 6000]
    target = topic()
    before = now_ms()
    assert run("replay", f"topic:{source}", "--to", target, "--timestamp", "now").returncode == 0
    after = now_ms()
    assert all(before <= rec.timestamp <= after for rec in read_topic(target))


# --- pace -------------------------------------------------------------------------


def test_speed_follows_the_records_own_pace(run, topic, read_topic, tmp_path):
    # 31 records over 2.4 s, then a 10 s silence and a last one.
    base = now_ms() - 3600_000
    times = [base + 80 * i for i in range(31)] + [base + 80 * 30 + 10_000]
    recorded = tmp_path / "recorded.jsonl"
    recorded.write_bytes(b"".join(line(t, f"r{i}") for i, t in enumerate(times)))
    target = topic()
    # --max-gap takes the silence down to 200 ms: a schedule of 2.6 s at 1x.
    r = run("replay", recorded, "--to", target, "--speed", "1x", "--max-gap", "200ms")
    assert r.returncode == 0, r.stderr
    s = summary(r.stderr)
    assert (s["delivered"], s["schedule"]) == (32, "2.6s"), r.stderr
    assert [rec.timestamp for rec in read_topic(target)] == times
    # 4x: the same records in a quarter of the 12.4 s schedule, paced by their own times
    # also when they are sent with the time of sending
    target = topic()
    before = now_ms()
    r = run("replay", recorded, "--to", target, "--speed", "4x", "--timestamp", "now")
    after = now_ms()
    assert r.returncode == 0, r.stderr
    assert summary(r.stderr)["schedule"] == "3.1s"
    assert all(before <= rec.timestamp <= after for rec in read_topic(target))
    r = run("replay", recorded, "--to", topic(), "--speed", "4x", "--max-gap", "1s", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert b"duration: 850ms (at 4x the records' pace, gaps over 1s shortened)" in r.stdout, r.stdout


def test_progress_line_on_a_terminal_shows_schedule_and_eta(kpipe_bin, brokers, topic, tmp_path):
    import pty

    base = now_ms() - 3600_000
    recorded = tmp_path / "recorded.jsonl"
    recorded.write_bytes(b"".join(line(base + 50 * i, f"r{i}") for i in range(41)))  # 2 s
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(kpipe_bin), "replay", recorded, "--to", topic(), "--speed", "1x", "--color", "never"],
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                            env={**os.environ, "KPIPE_BROKERS": brokers})
    os.close(slave)
    out = b""
    try:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            out += chunk
    finally:
        assert proc.wait(timeout=60) == 0, out
        os.close(master)
    text = out.decode(errors="replace")
    progress = [p for p in re.split(r"[\r\n]", text) if "delivered" in p and "records/s" in p and "ETA" in p]
    assert progress, text
    assert "behind schedule" in progress[-1]
    assert summary(out)["delivered"] == 41


# --- bad input and failures -------------------------------------------------------


def test_bad_line_names_file_and_line_skip_goes_on_failed_keeps_it(run, topic, read_topic, tmp_path):
    base = now_ms() - 60_000
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_bytes(b"".join(line(base + 10 * i, f"a{i}") for i in range(5)) + b'{"value": oops\n' +
                  b"".join(line(base + 10 * i, f"a{i}") for i in range(5, 10)))
    b.write_bytes(b"".join(line(base + 10 * i + 5, f"b{i}") for i in range(10)))
    # fail (default): stop at the bad line; what came before it in every source is sent
    target = topic()
    r = run("replay", a, b, "--to", target)
    assert r.returncode == 3
    assert f"{a}:6: not a valid envelope".encode() in r.stderr
    # merged by time, the bad line is next once a4 is out: it stops the run there
    assert [rec.value.decode() for rec in read_topic(target)] == ["a0", "b0", "a1", "b1", "a2", "b2", "a3", "b3", "a4"]
    # skip: report it, send the rest, keep the line with --failed, exit 3
    target = topic()
    failed = tmp_path / "failed.jsonl"
    r = run("replay", a, b, "--to", target, "--on-error", "skip", "--failed", failed)
    assert r.returncode == 3
    assert f"{a}:6: not a valid envelope".encode() in r.stderr
    assert summary(r.stderr) == {"read": 21, "delivered": 20, "failed": 1, "bad": 1}
    assert len(read_topic(target)) == 20
    [kept] = envelopes(failed.read_bytes())
    assert (kept["value"], kept["value_encoding"]) == ('{"value": oops', "text")


def test_delivery_failures_name_the_source_position_and_go_to_failed(brokers, run, topic, read_topic, tmp_path):
    source = topic()
    produce(brokers, source, [dict(value=b"small"), dict(value=b"x" * 3000), dict(value=b"small too")])
    target = topic(config={"max.message.bytes": "2000"})
    failed = tmp_path / "failed.jsonl"
    # One record per batch: the broker refuses a whole batch that is too large.
    r = run("replay", f"topic:{source}", "--to", target, "--failed", failed, "-X", "batch.num.messages=1")
    assert r.returncode == 3, r.stderr
    assert f"{source} [0] at offset 1: not delivered: Broker: Message size too large".encode() in r.stderr
    assert [rec.value for rec in read_topic(target)] == [b"small", b"small too"]
    [kept] = envelopes(failed.read_bytes())
    assert kept["value"] == "x" * 3000


# --- dry run ----------------------------------------------------------------------


def test_dry_run_sends_nothing_and_tells_what_would_be(brokers, run, topic, read_topic, tmp_path):
    base = 1_764_000_000_000
    source = topic(partitions=2, config=KEEP)
    produce(brokers, source, [dict(partition=i % 2, key=b"k", value=b"0123456789", timestamp=base + 1000 * i)
                              for i in range(10)])
    recorded = tmp_path / "recorded.jsonl"
    recorded.write_bytes(line(base + 500, "x") + line(base + 20_400, "y"))
    target = topic(partitions=3)
    ck, failed = tmp_path / "ck.json", tmp_path / "failed.jsonl"
    r = run("replay", f"topic:{source}", recorded, "--to", target, "--dry-run", "--speed", "2x",
            "--checkpoint", ck, "--failed", failed)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    rows = [l.split() for l in out.splitlines()[1:4]]
    assert [row[:4] for row in rows] == [[source, "0", "5", "55"], [source, "1", "5", "55"],
                                         [str(recorded), "-", "2", "2"]]
    assert rows[0][4:7] == ["2025-11-24T16:00:00.000Z", "2025-11-24T16:00:08.000Z", "0"]
    assert "12 record(s) to " + target + " (3 partition(s)), nothing sent (dry run)" in out
    assert "time span: 2025-11-24T16:00:00.000Z to 2025-11-24T16:00:20.400Z (20.4s)" in out
    assert "duration: 10.2s (at 2x the records' pace)" in out
    r = run("replay", f"topic:{source}", recorded, "--to", target, "--dry-run", "--speed", "2x", "-o", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["records"], doc["target_partitions"], doc["first"], doc["span_ms"], doc["duration_ms"]) == \
        (12, 3, base, 20_400, 10_200)
    assert doc["sources"][0] == {"source": source, "partition": 0, "records": 5, "bytes": 55, "first": base,
                                 "last": base + 8000, "filtered": 0, "bad": 0,
                                 "to": [{"partition": 0, "by_key": False, "records": 5}]}
    assert doc["sources"][2]["to"] == [{"partition": 0, "by_key": False, "records": 2}]  # as recorded
    assert read_topic(target) == []
    assert not ck.exists() and not failed.exists()
    r = run("replay", f"topic:{source}", "--to", target, "-o", "json")
    assert r.returncode == 2 and b"-o json" in r.stderr


# --- resumable --------------------------------------------------------------------


def checkpoint_next(path) -> int:
    """Records finished per the checkpoint (sources that start at offset 0 / line 1)."""
    try:
        doc = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return 0
    return sum(o["next"] for o in doc["offsets"]) + sum(doc["lines"].values())


def wait_for(predicate, what: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc.poll() is None, f"kpipe exited {proc.returncode} before {what}: {proc.stderr.read()}"
        assert time.monotonic() < deadline, f"no {what} within {timeout}s"
        time.sleep(0.05)


def test_checkpoint_resumes_after_kill_9_with_every_record_counted(kpipe_bin, brokers, topic, read_topic, tmp_path):
    total, rate = 16000, 4000
    source = topic(partitions=3)
    produce(brokers, source, [dict(partition=i % 3, value=b"%d" % i) for i in range(total)])
    target = topic(partitions=3)
    ck = tmp_path / "replay.ck"
    args = [str(kpipe_bin), "-b", brokers, "replay", f"topic:{source}", "--to", target, "--checkpoint", str(ck),
            "--rate", str(rate)]
    kills = 0
    for stop_at in (3000, 8000):
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: checkpoint_next(ck) >= stop_at, f"checkpoint at {stop_at}", p)
        finally:
            p.kill()
            p.wait()
        kills += 1
    r = subprocess.run(args, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert checkpoint_next(ck) == total
    values = [int(rec.value) for rec in read_topic(target)]
    duplicates = len(values) - len(set(values))
    print(f"checkpoint: {kills} kill -9, {total} records, {total - len(set(values))} lost, {duplicates} sent twice")
    assert set(values) == set(range(total))
    # Sent twice: what was in flight, and what was acknowledged since the last save
    # (written every 100 ms): about 400 records at 4000/s; 1000 allowed per kill.
    assert duplicates <= kills * 1000, duplicates
    # Run again when done: nothing more to send.
    r = subprocess.run(args, capture_output=True, timeout=60)
    assert r.returncode == 0 and summary(r.stderr)["read"] == 0, r.stderr


def test_ctrl_c_then_resume_sends_every_line_once(kpipe_bin, brokers, topic, read_topic, tmp_path):
    recorded = tmp_path / "recorded.jsonl"
    base = now_ms() - 60_000
    recorded.write_bytes(b"".join(line(base + i, f"r{i}") for i in range(3000)))
    target = topic()
    ck = tmp_path / "replay.ck"
    args = [str(kpipe_bin), "-b", brokers, "replay", str(recorded), "--to", target, "--checkpoint", str(ck),
            "--rate", "2000"]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for(lambda: checkpoint_next(ck) >= 500, "checkpoint at 500", p)
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=30) == 130, p.stderr.read()
    first = checkpoint_next(ck)
    assert 500 <= first < 3000
    assert len(read_topic(target)) == first  # what was read was delivered and counted
    r = subprocess.run(args, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert summary(r.stderr)["read"] == 3000 - first
    assert [rec.value for rec in read_topic(target)] == [f"r{i}".encode() for i in range(3000)]


def test_checkpoint_keeps_the_window_of_the_first_run(brokers, run, topic, read_topic, tmp_path):
    # Without --until a topic is read to where it ended when the replay started; a resumed
    # replay ends there too, whatever arrived since.
    source = topic()
    produce(brokers, source, [dict(value=b"%d" % i) for i in range(5)])
    target = topic()
    ck = tmp_path / "replay.ck"
    r = run("replay", f"topic:{source}", "--to", target, "--checkpoint", ck)
    assert r.returncode == 0, r.stderr
    doc = json.loads(ck.read_text())
    assert [(o["next"], o["end"]) for o in doc["offsets"]] == [(5, 5)]
    produce(brokers, source, [dict(value=b"late")])
    r = run("replay", f"topic:{source}", "--to", target, "--checkpoint", ck)
    assert r.returncode == 0 and summary(r.stderr)["read"] == 0, r.stderr
    # Another replay's checkpoint is refused.
    r = run("replay", f"topic:{source}", "--to", target, "--checkpoint", ck, "--from", "2")
    assert r.returncode == 2 and b"is of another replay" in r.stderr


def test_records_not_delivered_hold_the_checkpoint_and_go_again(brokers, run, topic, read_topic, tmp_path):
    # The target's broker vanishes at the first produce request: every record fails after
    # the delivery timeout. The checkpoint must not pass them: run again (the profile now
    # names a live broker) and they are sent.
    source, target = topic(), topic()
    produce(brokers, source, [dict(value=b"%d" % i) for i in range(5)])
    lost = VanishingBroker(target)
    cfg = tmp_path / "config.toml"
    # The stand-in speaks the oldest protocol, which has no idempotent producer.
    cfg.write_text(f'[profiles.target]\nbrokers = "127.0.0.1:{lost.port}"\n[profiles.target.properties]\n'
                   '"api.version.request" = "false"\n"broker.version.fallback" = "0.9.0"\n'
                   '"enable.idempotence" = "false"\n')
    ck = tmp_path / "replay.ck"
    args = ["--config", cfg, "replay", f"topic:{source}", "--to", target, "--to-profile", "target",
            "--checkpoint", ck, "--delivery-timeout", "3s"]
    r = run(*args)
    lost.vanish()
    assert r.returncode == 3, r.stderr
    assert f"{source} [0] offsets 0-4: not delivered".encode() in r.stderr, r.stderr
    assert checkpoint_next(ck) == 0
    cfg.write_text(f'[profiles.target]\nbrokers = "{brokers}"\n')
    r = run(*args)
    assert r.returncode == 0, r.stderr
    assert [rec.value for rec in read_topic(target)] == [b"%d" % i for i in range(5)]
    assert checkpoint_next(ck) == 5


# --- refusals ---------------------------------------------------------------------


def test_replaying_a_topic_into_itself_is_refused_unless_allowed(brokers, run, topic, read_topic):
    name = topic()
    produce(brokers, name, [dict(value=b"a"), dict(value=b"b")])
    r = run("replay", f"topic:{name}", "--to", name)
    assert r.returncode == 2 and b"into itself" in r.stderr and b"--allow-loop" in r.stderr
    r = run("replay", f"topic:^{re.escape(name)}$", "--to", name)  # a regex that matches it
    assert r.returncode == 2 and b"into itself" in r.stderr
    assert len(read_topic(name)) == 2
    r = run("replay", f"topic:{name}", "--to", name, "--allow-loop")
    assert r.returncode == 0, r.stderr
    assert [rec.value for rec in read_topic(name)] == [b"a", b"b", b"a", b"b"]


def test_unknown_topics_exit_5(run, topic):
    name = topic()
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    r = run("replay", f"topic:{missing}", "--to", name)
    assert r.returncode == 5 and missing.encode() in r.stderr
    r = run("replay", f"topic:{name}", "--to", missing, "-X", "allow.auto.create.topics=false")
    assert r.returncode == 5 and missing.encode() in r.stderr


@pytest.mark.parametrize("args, message", [
    (["--from", "@yesterday"], b"yesterday"),
    (["--speed", "fast"], b"--speed fast"),
    (["--speed", "0x"], b"--speed 0x"),
    (["--partition", "first"], b"--partition first"),
    (["-H", "novalue"], b"-H novalue"),
    (["--max-gap", "1s"], b"--max-gap"),
    (["--timestamp", "later"], b"--timestamp"),
])
def test_bad_specs_exit_2(run, topic, args, message):
    r = run("replay", f"topic:{topic()}", "--to", topic(), *args)
    assert r.returncode == 2 and message in r.stderr, r.stderr


def test_usage_errors_exit_2(run, topic, tmp_path):
    name = topic()
    recorded = tmp_path / "r.jsonl"
    recorded.write_bytes(line(now_ms(), "x"))
    for args, message in [
        ([recorded], b"--to TOPIC is required"),
        (["--to", name], b"give sources"),
        ([tmp_path / "missing.jsonl", "--to", name], b"missing.jsonl"),
        ([recorded, recorded, "--to", name], b"given twice"),
        ([recorded, "--to", name, "--from", "beginning"], b"topic: sources"),
        ([recorded, "--to", name, "--group", "g"], b"--group"),
    ]:
        r = run("replay", *args)
        assert r.returncode == 2 and message in r.stderr, (args, r.stderr)


# --- another cluster --------------------------------------------------------------


def test_to_profile_sends_with_the_profiles_settings_only(brokers, sasl_brokers, run, topic, read_topic, tmp_path):
    # The source is read through the SASL listener (-b and -X); the target is the plain
    # listener of a profile. Were -b, -X or KPIPE_BROKERS applied to the target, it would
    # speak SASL to the plain listener or go to a dead address.
    source, target = topic(partitions=2, config=KEEP), topic(partitions=2, config=KEEP)
    produce(brokers, source, AWKWARD)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[profiles.staging]\nbrokers = "{brokers}"\n')
    sasl = ["-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=PLAIN",
            "-X", "sasl.username=alice", "-X", "sasl.password=alice-secret"]
    r = run("--config", cfg, "-b", sasl_brokers, *sasl, "--timeout", "10s", "replay", f"topic:{source}",
            "--to", target, "--to-profile", "staging", env={"KPIPE_BROKERS": "127.0.0.1:1"})
    assert r.returncode == 0, r.stderr
    assert payload(read_topic(target)) == payload(read_topic(source))
    # Into itself on the same cluster through a profile: refused all the same.
    r = run("--config", cfg, "replay", f"topic:{source}", "--to", source, "--to-profile", "staging")
    assert r.returncode == 2 and b"into itself" in r.stderr
    r = run("--config", cfg, "replay", f"topic:{source}", "--to", target, "--to-profile", "nope")
    assert r.returncode == 2 and b"unknown profile 'nope'" in r.stderr


# --- rewinding a consumer group ---------------------------------------------------


def test_group_rewind_shows_then_executes(brokers, run, topic, request):
    name = topic(partitions=2)
    start = now_ms() - 3600_000
    fill(brokers, name, {0: 10, 1: 10}, first_ts=start, step_ms=60_000)  # one a minute
    group = f"rewind-{uuid.uuid4().hex[:8]}"
    commit(brokers, group, {(name, 0): 10, (name, 1): 8})
    when = start + 4 * 60_000 + 30_000  # between records 4 and 5
    r = run("replay", "--group", group, "--from", f"@{when}")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert lines[0].split() == ["TOPIC", "PARTITION", "CURRENT", "NEW", "RE-READ"]
    assert [l.split() for l in lines[1:3]] == [[name, "0", "10", "5", "5"], [name, "1", "8", "5", "3"]]
    assert "8 record(s) to read again; nothing changed (--execute sets them)" in r.stdout.decode()
    assert committed(brokers, group, name, [0, 1]) == {0: 10, 1: 8}

    r = run("replay", "--group", group, "--from", "-3", "-p", "1", "-o", "json", "--execute")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc == {"group": group, "executed": True, "members": [],
                   "partitions": [{"topic": name, "partition": 1, "current": 8, "new": 7, "reread": 1}]}
    assert committed(brokers, group, name, [0, 1]) == {0: 10, 1: 7}
    # Only partition 0 named: partition 1 keeps its offset. Forward is a skip.
    r = run("replay", "--group", group, "--from", "0=end", "--execute")
    assert r.returncode == 0, r.stderr
    assert "1 partition(s), 0 record(s) to read again; offsets set" in r.stdout.decode(), r.stdout
    assert [l.split() for l in r.stdout.decode().splitlines()[1:2]] == [[name, "0", "10", "10", "0"]]
    r = run("replay", "--group", group, "--from", "0=2", "--execute")
    assert r.returncode == 0 and "8 record(s) to read again; offsets set" in r.stdout.decode(), r.stdout
    assert committed(brokers, group, name, [0, 1]) == {0: 2, 1: 7}
    r = run("replay", "--group", group, "--from", "-1", "-p", "0")
    assert "0 record(s) to read again, 7 to skip" in r.stdout.decode(), r.stdout
    r = run("replay", "--group", group, "--from", "2:5")  # a range means nothing here
    assert r.returncode == 2 and b"not a range" in r.stderr
    r = run("replay", "--group", group, "--from", "beginning", "--topic", name, "--execute")
    assert r.returncode == 0, r.stderr
    assert committed(brokers, group, name, [0, 1]) == {0: 0, 1: 0}


def test_group_rewind_refused_while_members_are_active(brokers, run, topic, member):
    name = topic()
    fill(brokers, name, {0: 5}, first_ts=now_ms() - 60_000)
    group = f"rewind-busy-{uuid.uuid4().hex[:8]}"
    commit(brokers, group, {(name, 0): 5})
    member(name, group, "busy-member")
    r = run("replay", "--group", group, "--from", "beginning", "--execute")
    assert r.returncode == 1
    assert b"active member" in r.stderr and b"busy-member" in r.stderr
    assert b"nothing changed" in r.stdout and b"--execute sets them" not in r.stdout
    assert committed(brokers, group, name, [0]) == {0: 5}
    # Showing is fine while it runs.
    assert run("replay", "--group", group, "--from", "beginning").returncode == 0


def test_group_rewind_of_unknown_group_or_topic_exits_5(run, topic):
    group = f"rewind-none-{uuid.uuid4().hex[:8]}"
    r = run("replay", "--group", group, "--from", "beginning")
    assert r.returncode == 5 and group.encode() in r.stderr
    r = run("replay", "--group", group, "--from", "beginning", "--topic", f"missing-{uuid.uuid4().hex[:8]}")
    assert r.returncode == 5
