"""--where, --map, --count-by, --schema and --dead-letter against the real broker; results
checked against the jq command and against counts computed here from the records sent."""

from __future__ import annotations

import collections
import concurrent.futures
import json
import os
import random
import subprocess
import time
import uuid

import pytest
from streams import Running, envelopes, produce

BASE = 1764000000000  # 2025-11-24T16:00:00Z, on a minute boundary


def events(n: int, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        e = {"id": i, "userid": f"user{rng.randrange(50)}", "page": f"/p{rng.randrange(8)}",
             "action": rng.choice(["view", "view", "click", "rating"])}
        if e["action"] == "rating":
            e["rating"] = rng.choice([1, 2, 3, 4, 5, 4.5, "5"])
        if rng.random() < 0.1:
            del e["page"]
        if rng.random() < 0.05:
            e["tags"] = ["a", "b"][: rng.randrange(3)]
        out.append(e)
    return out


def awkward() -> list[dict]:
    """Records of every shape the envelope has: JSON, text, binary, empty, null, headers."""
    return [
        dict(key=b"u1", value=b'{"page":"/p1","action":"view"}', headers=[("h", b"1"), ("h", b"2")]),
        dict(key=None, value=b"plain text"),
        dict(key=b"\xff\x00", value=b"\xff\xfebinary"),
        dict(key=b"", value=b""),
        dict(key=b"u2", value=None),
        dict(key=b'{"id":7}', value=b'"a JSON string"'),
        dict(key=b"u3", value=b'{"page":"/p2","action":"click","n":[1,2]}'),
    ]


# --- where and map ------------------------------------------------------------------


def test_where_and_map_on_awkward_records(run, brokers, topic):
    name = topic()
    produce(brokers, name, awkward())
    r = run("consume", name, "-e", "--where", ".key == null or .value_encoding == \"base64\"")
    assert r.returncode == 0, r.stderr
    assert [(e["key"], e["value"]) for e in envelopes(r.stdout)] == [(None, "plain text"), ("/wA=", "//5iaW5hcnk=")]
    r = run("consume", name, "-e", "--where", ".value.page? != null", "--map", "{p: .value.page, k: .key}")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == ['{"p":"/p1","k":"u1"}', '{"p":"/p2","k":"u3"}']
    # Zero or more outputs per record; headers are in the envelope.
    r = run("consume", name, "-e", "--map", '.headers[] | .[1]')
    assert r.stdout.decode().splitlines() == ['"1"', '"2"']
    r = run("consume", name, "-e", "--map", ".value | objects | .n[]?")
    assert r.stdout.decode().splitlines() == ["1", "2"]


def test_a_jq_error_stops_the_run_or_is_skipped(run, brokers, topic):
    name = topic()
    produce(brokers, name, [dict(value=b'{"page":"/p1"}'), dict(value=b'{"page":5}'), dict(value=b'{"page":"/p2"}')])
    r = run("consume", name, "-e", "--where", '.value.page | startswith("/p")')
    assert r.returncode == 3
    assert [e["offset"] for e in envelopes(r.stdout)] == [0]
    assert f"{name} [0] at offset 1: --where: startswith() requires string inputs".encode() in r.stderr, r.stderr
    r = run("consume", name, "-e", "--where", '.value.page | startswith("/p")', "--on-error", "skip")
    assert r.returncode == 3
    assert [e["offset"] for e in envelopes(r.stdout)] == [0, 2]
    r = run("consume", name, "-e", "--map", ".value.page + 1", "--on-error", "skip")
    assert r.returncode == 3
    assert r.stdout == b"6\n"
    assert b"cannot be added" in r.stderr


def test_tail_where_and_map(kpipe_bin, brokers, topic):
    name = topic()
    k = Running(kpipe_bin, brokers, "tail", name, "--where", ".value.action == \"view\"", "--map", ".value.page")
    try:
        time.sleep(0.5)  # tail starts at the end: let it take its positions (it reads nothing before)
        produce(brokers, name, [dict(value=json.dumps(e).encode()) for e in
                                [{"action": "view", "page": "/a"}, {"action": "click", "page": "/b"},
                                 {"action": "view", "page": "/c"}]])
        assert k.wait_lines(2) == [b'"/a"\n', b'"/c"\n']
        assert k.interrupt() == 0, k.err_lines
    finally:
        k.kill()


def test_produce_where_and_map_before_key_and_timestamp(run, topic, read_topic):
    name = topic()
    lines = b'{"u":"a","v":1}\n{"u":"b","v":2}\n{"u":"c","v":3}\n'
    r = run("produce", name, "--where", ".v != 2", "--map", '{key: (.u + "-k"), at: 1764000000000, v}',
            "--key", ".key", "--timestamp", ".at", input=lines)
    assert r.returncode == 0, r.stderr
    got = [(x.key, json.loads(x.value), x.timestamp) for x in read_topic(name)]
    assert got == [(b"a-k", {"key": "a-k", "at": 1764000000000, "v": 1}, 1764000000000),
                   (b"c-k", {"key": "c-k", "at": 1764000000000, "v": 3}, 1764000000000)]
    r = run("produce", name, "--format", "text", "--where", "true", input=b"x\n")
    assert r.returncode == 2 and b"--format json" in r.stderr


# A few hundred expressions over a few thousand records, through kpipe and through jq.
PATHS = [".value.page", ".value.action", ".value.rating", ".value.userid", ".value.tags", ".value.tags[0]",
         ".value.missing", ".key", ".partition", ".offset", ".value.id", ".value"]
LITERALS = ['"view"', '"/p3"', "3", "4.5", "null", "true", '"5"', "0"]
OPS = ["==", "!=", "<", "<=", ">", ">="]


def where_expressions() -> list[str]:
    rng = random.Random(11)
    exprs = set()
    for p in PATHS:
        for op in OPS:
            exprs.add(f"{p} {op} {rng.choice(LITERALS)}")
    for _ in range(60):
        a = f"{rng.choice(PATHS)} {rng.choice(OPS)} {rng.choice(LITERALS)}"
        b = f"{rng.choice(PATHS)} {rng.choice(OPS)} {rng.choice(LITERALS)}"
        exprs.add(f"{a} {rng.choice(['and', 'or'])} {b}")
        exprs.add(f"({a}) | not")
    exprs.update([
        '.value.page | startswith("/p1")', '.value.page? // "" | startswith("/p")', '.value.page // "none" | endswith("2")',
        '.value.userid | contains("1")', 'select(.value.action == "view")', '.value.page | test("^/p[0-3]$")',
        '.value.rating + 1 > 4', '.value.id % 7 == 0', '(.value.id * 2) - 3 > 100', '.value.tags | length > 0',
        '{a: .value.page} | .a == "/p1"', '[.value.action, .value.page] | contains(["view"])',
        '.value | has("rating")', '.value.page == .value.userid', '.value.rating? // 0 | . > 3',
        '.value.tags[]? == "a"', '(.value.page | ascii_upcase) == "/P1"', '.key | startswith("user1")',
        '.value.action | IN("view", "click")', 'any(.value.tags[]?; . == "b")', '.value.id > 100 and .value.id < 200',
        '.offset % 2 == 0 or .partition == 1', '(.value.rating | type) == "string"', '.value.rating | tostring == "5"',
        '.timestamp_type == "create"', '.value.page? | not', '.value.missing // .value.page // "x" | . == "x"',
    ])
    return sorted(exprs)


MAP_EXPRESSIONS = [".value.page", "{p: .value.page, a: .value.action}", ".value.tags[]?", ".value.rating? // empty",
                   "[.key, .value.id]", ".value | keys", ".value.id * 2", '.value.page // "none"', "select(.value.id < 10) | .value",
                   ".value | del(.userid)", "(.value.rating | numbers) + 0.5", ".value | to_entries | length",
                   '.value.action | ascii_upcase', ".value | .page, .action", "if .value.action == \"view\" then 1 else empty end"]


def test_where_and_map_give_jq_s_own_answers(kpipe_bin, brokers, topic, tmp_path):
    name = topic(partitions=2)
    evs = events(3000)
    produce(brokers, name, [dict(key=e["userid"].encode(), value=json.dumps(e).encode(), partition=e["id"] % 2)
                            for e in evs])
    env = {**os.environ, "KPIPE_BROKERS": brokers}
    base = subprocess.run([str(kpipe_bin), "consume", name, "-e"], capture_output=True, env=env, timeout=60)
    assert base.returncode == 0 and base.stdout.count(b"\n") == 3000, base.stderr
    recorded = tmp_path / "envelopes.jsonl"
    recorded.write_bytes(base.stdout)

    def compare(kind: str, expr: str):
        flag = "--where" if kind == "where" else "--map"
        mine = subprocess.run([str(kpipe_bin), "consume", name, "-e", flag, expr, "--on-error", "skip"],
                              capture_output=True, env=env, timeout=120)
        program = f"select({expr})" if kind == "where" else expr
        theirs = subprocess.run(["jq", "-c", program, str(recorded)], capture_output=True, timeout=120)
        same = [json.loads(x) for x in mine.stdout.splitlines()] == [json.loads(x) for x in theirs.stdout.splitlines()]
        errors_mine = mine.returncode == 3
        errors_jq = b"jq: error" in theirs.stderr  # jq 1.6's exit status tells only of the last input
        return expr, same, errors_mine == errors_jq, mine.stderr[-300:], theirs.stderr[-300:]

    exprs = [("where", e) for e in where_expressions()] + [("map", e) for e in MAP_EXPRESSIONS]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda ke: compare(*ke), exprs))
    wrong = [r for r in results if not (r[1] and r[2])]
    print(f"differential: {len(exprs)} expressions x 3000 records, {len(wrong)} differ")
    assert len(exprs) >= 150
    assert not wrong, wrong[:5]


# --- count-by ---------------------------------------------------------------------


def test_count_by_totals_and_windows_match_counts_made_here(run, brokers, topic):
    name = topic(partitions=3)
    evs = events(2000, seed=5)
    # Known record times across minute boundaries: 2000 records over about 5 minutes.
    stamps = [BASE + i * 150 - 7000 for i in range(len(evs))]
    produce(brokers, name, [dict(value=json.dumps(e).encode(), timestamp=t, partition=i % 3)
                            for i, (e, t) in enumerate(zip(evs, stamps))])
    views = collections.Counter(e.get("page") for e in evs if e["action"] == "view")
    r = run("consume", name, "-e", "--where", '.value.action == "view"', "--count-by", ".value.page", "-o", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["count"] == sum(views.values())
    assert {k["key"]: k["count"] for k in doc["keys"]} == {("null" if p is None else p): n for p, n in views.items()}

    # Per minute and action, with the average and maximum of numeric ratings.
    r = run("consume", name, "-e", "--count-by", ".value.action", "--avg", ".value.rating", "--max", ".value.rating",
            "--window", "1m", "-o", "json")
    assert r.returncode == 0, r.stderr
    docs = [json.loads(x) for x in r.stdout.splitlines()]
    want = collections.defaultdict(lambda: collections.defaultdict(list))
    for e, t in zip(evs, stamps):
        w = t // 60000 * 60000
        want[w][e["action"]].append(e.get("rating"))
    assert [d["window_start"] for d in docs] == sorted(want)
    for d in docs:
        got = {k["key"]: k for k in d["keys"]}
        assert d["window_end"] - d["window_start"] == 60000
        for action, ratings in want[d["window_start"]].items():
            assert got[action]["count"] == len(ratings)
            numbers = [x for x in ratings if isinstance(x, (int, float))]
            if numbers:
                assert got[action]["max"] == max(numbers)
                assert abs(got[action]["avg"] - sum(numbers) / len(numbers)) < 1e-9
            else:
                assert got[action]["avg"] is None

    # The table, the top N, and several paths at once.
    r = run("consume", name, "-e", "--count-by", ".value.action,.value.page", "--top", "3")
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode()
    pairs = collections.Counter((e["action"], e.get("page")) for e in evs)
    (a, p), n = pairs.most_common(1)[0]
    first = text.splitlines()[1].split()
    assert first[:4] == ["1", a, p or "null", str(n)], text
    assert "top 3 shown" in text


def test_count_by_keeps_at_most_max_keys(run, brokers, topic):
    name = topic()
    produce(brokers, name, [dict(value=json.dumps({"u": f"user{i}"}).encode()) for i in range(50)])
    r = run("consume", name, "-e", "--count-by", ".value.u", "--max-keys", "10", "-o", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    keys = {k["key"]: k["count"] for k in doc["keys"]}
    assert len(keys) == 11 and keys["(other)"] == 40 and doc["count"] == 50
    assert b"more than 10 distinct keys" in r.stderr


def test_tail_count_by_piped_writes_a_document_per_window(kpipe_bin, brokers, topic):
    name = topic()
    k = Running(kpipe_bin, brokers, "tail", name, "--count-by", ".value.page", "--window", "1m")
    try:
        time.sleep(0.5)
        # Two records in the first minute, one in the second, then one two minutes on: the
        # first window is complete once records are two windows on.
        produce(brokers, name, [dict(value=b'{"page":"/a"}', timestamp=BASE + 1000),
                                dict(value=b'{"page":"/b"}', timestamp=BASE + 2000),
                                dict(value=b'{"page":"/a"}', timestamp=BASE + 61000),
                                dict(value=b'{"page":"/c"}', timestamp=BASE + 125000)])
        doc = json.loads(k.wait_lines(1)[0])
        assert doc["window_start"] == BASE and doc["count"] == 2
        assert {x["key"]: x["count"] for x in doc["keys"]} == {"/a": 1, "/b": 1}
        assert k.interrupt() == 0, k.err_lines
        rest = [json.loads(x) for x in k.lines[1:]]
        assert [d["window_start"] for d in rest] == [BASE + 60000, BASE + 120000]
    finally:
        k.kill()


def test_tail_count_by_on_a_terminal_redraws_a_live_table(kpipe_bin, brokers, topic):
    import fcntl
    import pty
    import signal
    import struct
    import termios

    name = topic()
    produce(brokers, name, [dict(value=json.dumps({"page": p}).encode()) for p in ["/a", "/a", "/b"]])
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen([str(kpipe_bin), "tail", name, "-n", "3", "--count-by", ".value.page", "--color", "never"],
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                            env={**os.environ, "KPIPE_BROKERS": brokers})
    os.close(slave)
    out = b""
    try:
        deadline = time.monotonic() + 30
        while b"RATE/S" not in out or b"3 record(s)" not in out:
            assert time.monotonic() < deadline, out
            out += os.read(master, 4096)
        produce(brokers, name, [dict(value=b'{"page":"/b"}'), dict(value=b'{"page":"/b"}')])
        while b"5 record(s)" not in out:  # redrawn in place with the new counts
            assert time.monotonic() < deadline, out
            out += os.read(master, 4096)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        os.close(master)
    text = out.decode()
    assert "\x1b[" in text and "A\x1b[J" in text  # cursor up and clear: a redraw, not a scroll
    last = text[text.rindex("#"):]
    rows = [l.split() for l in last.replace("\r", "").splitlines()[1:3]]
    assert rows[0][:3] == ["1", "/b", "3"] and rows[1][:3] == ["2", "/a", "2"], last
    assert "\u2588" in last  # the bar


# --- schema and dead letters ------------------------------------------------------------


SCHEMA = {"type": "object", "required": ["page", "action"],
          "properties": {"page": {"type": "string"}, "rating": {"type": "integer", "maximum": 5}}}


def test_produce_schema_reports_keeps_and_dead_letters_bad_events(run, topic, read_topic, tmp_path):
    name, dead = topic(), topic()
    schema = tmp_path / "view.schema.json"
    schema.write_text(json.dumps(SCHEMA))
    lines = [b'{"page":"/a","action":"view"}', b'{"page":"/b","action":"rating","rating":7}',
             b'{"action":"view"}', b'{"page":"/c","action":"rating","rating":4}']
    src = tmp_path / "events.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    failed = tmp_path / "failed.jsonl"
    r = run("produce", name, src, "--schema", schema, "--on-error", "skip", "--failed", failed, "--dead-letter", dead)
    assert r.returncode == 3, r.stderr
    err = r.stderr.decode()
    assert f"kpipe: {src}:2: /rating: expected number less than or equal to 5 (got 7)" in err, err
    assert f"kpipe: {src}:3: /: missing required property 'page'" in err, err
    assert [x.value for x in read_topic(name)] == [lines[0], lines[3]]
    dead_records = read_topic(dead)
    assert [x.value for x in dead_records] == [lines[1], lines[2]]
    assert dead_records[0].headers == [("kpipe.error", b"/rating: expected number less than or equal to 5 (got 7)"),
                                       ("kpipe.source", f"{src}:2".encode())]
    # What failed is kept, ready to send again once fixed.
    kept = [json.loads(x) for x in failed.read_bytes().splitlines()]
    assert [k["value"] for k in kept] == [json.loads(lines[1]), json.loads(lines[2])]
    r = run("produce", name, "--format", "envelope", failed)
    assert r.returncode == 0, r.stderr
    assert len(read_topic(name)) == 4


def test_consume_schema_stops_at_the_first_bad_record_or_skips_it(run, brokers, topic, tmp_path):
    name, dead = topic(), topic()
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps(SCHEMA))
    produce(brokers, name, [dict(value=b'{"page":"/a","action":"view"}'), dict(value=b'{"page":1,"action":"view"}'),
                            dict(value=b"text"), dict(value=b'{"page":"/b","action":"view"}')])
    r = run("consume", name, "-e", "--schema", schema)
    assert r.returncode == 3
    assert [e["offset"] for e in envelopes(r.stdout)] == [0]
    assert f"{name} [0] at offset 1: /page: ".encode() in r.stderr, r.stderr
    r = run("consume", name, "-e", "--schema", schema, "--on-error", "skip", "--dead-letter", dead)
    assert r.returncode == 3
    assert [e["offset"] for e in envelopes(r.stdout)] == [0, 3]
    r = run("consume", dead, "-e")
    got = envelopes(r.stdout)
    assert [e["value"] for e in got] == [{"page": 1, "action": "view"}, "text"]
    assert [h[0] for h in got[1]["headers"]] == ["kpipe.error", "kpipe.source"]
    assert got[1]["headers"][1][1] == f"{name} [0] at offset 2"


def test_bad_schema_or_paths_are_usage_errors(run, topic, tmp_path):
    name = topic()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = run("consume", name, "-e", "--schema", bad)
    assert r.returncode == 2 and f"schema {bad}: not JSON".encode() in r.stderr
    r = run("consume", name, "-e", "--count-by", ".value.page |")
    assert r.returncode == 2 and b"--count-by" in r.stderr
    r = run("consume", name, "-e", "--map", "{")
    assert r.returncode == 2 and b"--map" in r.stderr
    r = run("consume", name, "-e", "-o", "json")
    assert r.returncode == 2 and b"--count-by" in r.stderr
