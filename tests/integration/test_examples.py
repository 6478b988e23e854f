"""The examples in scripts/examples/, run as a user runs them, checked against counts
made here from the same sample events (scripts/sample-events, same seed)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import kafkautil
import pytest

REPO = kafkautil.REPO_ROOT
EXAMPLES = REPO / "scripts" / "examples"
ROW = re.compile(r"^\s*\d+\s+(\S+)\s+(\d+)\s+[\d.]+%")  # a --count-by table row: rank, key, count, share


def sample(kind: str, n: int, *args: str) -> list[dict]:
    out = subprocess.run([str(REPO / "scripts" / "sample-events"), kind, str(n), "--seed", "1", *args],
                         capture_output=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def ms(iso: str) -> int:
    t = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return int(t.timestamp()) * 1000 + t.microsecond // 1000


def clock(ms_: int) -> str:
    return dt.datetime.fromtimestamp(ms_ / 1000, dt.timezone.utc).strftime("%H:%M:%S")


def section(out: str, title: str) -> list[str]:
    """The lines under the step whose title starts with `title`, up to the next step."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"==> {title}"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("==> ")), len(lines))
    return lines[start + 1:end]


def table(lines: list[str]) -> dict[str, int]:
    return {m[1]: int(m[2]) for line in lines if (m := ROW.match(line))}


def ranked(counts: Counter, top: int) -> dict[str, int]:
    """kpipe's order: count descending, then key."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top])


@pytest.fixture
def example(kpipe_bin: Path, brokers: str, admin, request):
    """example(name) runs scripts/examples/NAME with its defaults, its topics under a
    prefix of this test's own; returns (stdout, prefix). The topics are deleted after."""
    prefix = kafkautil.unique_topic_name(request.node.name) + "-"

    def _run(name: str, timeout: float = 120) -> tuple[str, str]:
        env = {**os.environ, "KPIPE_BIN": str(kpipe_bin), "KPIPE_BROKERS": brokers}
        r = subprocess.run([str(EXAMPLES / name), "--prefix", prefix], capture_output=True, env=env,
                           timeout=timeout)
        out = r.stdout.decode()
        assert r.returncode == 0, f"{name} exited {r.returncode}\n{out[-3000:]}\n{r.stderr.decode()[-3000:]}"
        return out, prefix

    yield _run
    for name in admin.list_topics(timeout=15).topics:
        if name.startswith(prefix):
            kafkautil.delete_topic(admin, name)


def test_clickstream_counts_views_per_page_and_finds_the_flash_sale(example):
    out, prefix = example("clickstream")
    views = [e for e in sample("clickstream", 20000, "--burst", "/deals") if e["action"] == "view"]
    per_page = Counter(e["page"] for e in views)

    # Live: tail's counts, piped, are JSON documents, one a second.
    live = [json.loads(line) for line in section(out, "live") if line.startswith("{")]
    assert live and all(doc["count"] <= len(views) for doc in live)

    # One shot: the top 10 pages and their views.
    once = section(out, "the same count, once")
    assert table(once) == ranked(per_page, 10)
    assert f"{len(views)} record(s), {len(per_page)} key(s), top 10 shown" in once

    # Anomalies: views per page in 10 s windows of record time; an alert where a page has
    # more than 3x its average per window before, and at least 20.
    windows: dict[int, Counter] = defaultdict(Counter)
    for e in views:
        windows[ms(e["timestamp"]) // 10_000 * 10_000][e["page"]] += 1
    alerts, total = [], Counter()
    for n, start in enumerate(sorted(windows)):
        for page, count in windows[start].items():
            if n and count >= 20 and count > 3 * total[page] / n:
                alerts.append((clock(start), page, count))
        total.update(windows[start])
    assert alerts and all(page == "/deals" for _, page, _ in alerts)
    got = [(m[1], m[2], int(m[3])) for m in re.finditer(r"^ALERT (\S+) (\S+): (\d+) views", out, re.M)]
    assert sorted(got) == sorted(alerts)
    assert f"==> result: {len(alerts)} alert(s) over {len(windows)} windows of 10 s" in out


def test_iot_routes_readings_out_of_range_and_averages_per_device_and_minute(example, read_topic):
    out, prefix = example("iot")
    readings = sample("iot", 20000)

    def valid(e):
        return 0 <= e["temperature"] <= 40 and 950 <= e["pressure"] <= 1050

    def problem(e):
        return "overheating" if e["temperature"] > 40 else "freezing" if e["temperature"] < 0 else "pressure"

    bad = [e for e in readings if not valid(e)]
    assert 50 < len(bad) < 400  # about 1 in 200

    # The alerts topic holds exactly the readings out of range, each with its problem.
    alerts = [json.loads(r.value) for r in read_topic(f"{prefix}iot-alerts")]
    assert sorted((a["device_id"], a["timestamp"]) for a in alerts) == sorted((e["device_id"], e["timestamp"]) for e in bad)
    assert all(a["problem"] == problem(a) for a in alerts)
    assert table(section(out, "alerts per problem")[:6]) == ranked(Counter(map(problem, bad)), 10)
    assert f"==> result: {len(bad)} of 20000 readings out of range went to {prefix}iot-alerts" in out

    # Per device and minute, the average temperature and pressure of the valid readings.
    sums: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for e in filter(valid, readings):
        s = sums[(e["device_id"], ms(e["timestamp"]) // 60_000)]
        s[0] += 1
        s[1] += e["temperature"]
        s[2] += e["pressure"]
    minutes = sorted({m for _, m in sums})
    rows = [line.split() for line in section(out, "per device and minute") if line.startswith("sensor-")]
    assert [r[0] for r in rows] == [f"sensor-{i:04d}" for i in range(1, 11)]
    for device, *cells in rows:
        assert len(cells) == 2 * len(minutes)
        for i, minute in enumerate(minutes):
            n, temperature, pressure = sums[(device, minute)]
            assert abs(float(cells[2 * i]) - temperature / n) <= 0.051, (device, minute)
            assert abs(float(cells[2 * i + 1]) - pressure / n) <= 0.051, (device, minute)
    assert "... 200 devices in all" in out


def test_support_chat_routes_urgent_messages_and_counts_per_agent_and_hour(example, read_topic):
    out, prefix = example("support-chat")
    messages = sample("chat", 5000)
    keywords = re.compile(r"urgent|asap|immediately|right now|hacked|refund|charged twice|broken|crashing"
                          r"|still hasn.t arrived", re.I)
    customer = [m for m in messages if m["sender"] == "customer"]
    urgent = [m for m in customer if keywords.search(m["text"])]
    assert 0 < len(urgent) < len(customer)

    # support-urgent holds those messages exactly as they were (replay keeps key and time).
    records = read_topic(f"{prefix}support-urgent")
    assert sorted(json.loads(r.value)["timestamp"] for r in records) == sorted(m["timestamp"] for m in urgent)
    assert all(r.key.decode() == json.loads(r.value)["conversation_id"] for r in records)
    assert all(r.timestamp == ms(json.loads(r.value)["timestamp"]) for r in records)

    per_agent = Counter(m["agent_id"] for m in urgent)
    assert table(section(out, "urgent or negative messages per agent")) == ranked(per_agent, 100)

    hours = defaultdict(lambda: [0, 0, Counter()])  # messages, customer messages, urgent per agent
    for m in messages:
        h = hours[m["timestamp"][11:13] + ":00"]
        h[0] += 1
        h[1] += m["sender"] == "customer"
    for m in urgent:
        hours[m["timestamp"][11:13] + ":00"][2][m["agent_id"]] += 1
    got = {m[1]: (int(m[2]), int(m[3]), int(m[4]), m[5], int(m[6]))
           for line in section(out, "per hour")
           if (m := re.match(r"^(\d\d:\d\d)\s+(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+%\s+(\S+) \((\d+)\)", line))}
    assert got == {hour: (n, c, sum(u.values()), *next(iter(ranked(u, 1).items())))
                   for hour, (n, c, u) in hours.items()}
    assert f"==> result: {len(urgent)} of {len(customer)} customer messages were urgent or negative" in out


def test_spark_counts_views_per_page_like_kpipe(example, run, read_topic):
    # The seed's PySpark job on Spark itself (scripts/examples/spark/setup installs pyspark
    # and the Kafka connector, once): never skipped, Spark is part of what is tested.
    out, prefix = example("spark/views-per-page", timeout=290)
    views = Counter(e["page"] for e in sample("clickstream", 20000, "--burst", "/deals") if e["action"] == "view")

    # What Spark wrote back, read by an independent client: the last count per page.
    spark: dict[str, int] = {}
    for r in read_topic(f"{prefix}views-per-page"):
        doc = json.loads(r.value)
        assert r.key.decode() == doc["page"]
        spark[doc["page"]] = doc["views"]

    r = run("consume", f"{prefix}clickstream", "-e", "--where", '.value.action == "view"', "--count-by", ".value.page",
            "-o", "json")
    assert r.returncode == 0, r.stderr.decode()
    kpipe = {k["key"]: k["count"] for k in json.loads(r.stdout)["keys"]}
    assert spark == kpipe == dict(views)
    assert f"counts match: {len(views)} pages, {sum(views.values())} views" in out
