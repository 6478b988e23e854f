"""kpipe tail, piped: the same envelope lines as consume; records checked against confluent_kafka."""

from __future__ import annotations

import json
import time
import uuid

from streams import Running, produce


def values(lines: list[bytes]) -> list:
    return [json.loads(line)["value"] for line in lines]


def test_tail_piped_writes_envelopes_of_new_records_and_stats(kpipe_bin, brokers, topic):
    name = topic(partitions=2)
    produce(brokers, name, [dict(partition=i % 2, value=f'{{"n":{i}}}'.encode()) for i in range(6)])
    k = Running(kpipe_bin, brokers, "tail", name, "-n", "1", "--stats")
    try:
        first = k.wait_lines(2)  # the last record of each partition
        assert sorted(values(first), key=lambda v: v["n"]) == [{"n": 4}, {"n": 5}]
        produce(brokers, name, [dict(partition=0, key=b"u1", value=b'{"page":"/p1"}', headers=[("h", b"v")])])
        line = json.loads(k.wait_lines(3)[2])
        assert line["topic"] == name and line["partition"] == 0 and line["offset"] == 3
        assert line["key"] == "u1" and line["value"] == {"page": "/p1"} and line["headers"] == [["h", "v"]]
        k.wait_stderr(lambda lines: any(x.startswith("kpipe: stats: ") for x in lines))
        assert k.interrupt() == 0, k.err_lines
    finally:
        k.kill()
    stats = [x for x in k.err_lines if x.startswith("kpipe: stats: ")]
    assert "records total" in stats[-1] and "rec/s" in stats[-1] and "/s" in stats[-1]
    assert any(x.startswith("kpipe: tail: 3 records") for x in k.err_lines), k.err_lines


def test_tail_starts_at_the_end(kpipe_bin, brokers, topic):
    name = topic()
    produce(brokers, name, [dict(value=b'"before"') for _ in range(3)])
    k = Running(kpipe_bin, brokers, "tail", name)
    try:
        # Keep producing until tail shows something: whatever it shows is new.
        deadline = time.monotonic() + 60
        n = 0
        while not k.lines and k.out.empty():
            assert time.monotonic() < deadline
            produce(brokers, name, [dict(value=f'"after{n}"'.encode())])
            n += 1
            time.sleep(0.3)
        k.wait_lines(1)
        assert k.interrupt() == 0
    finally:
        k.kill()
    assert values(k.lines) and all(v.startswith("after") for v in values(k.lines))


def test_tail_since_shows_recent_records_first(kpipe_bin, brokers, topic):
    name = topic()
    now = int(time.time() * 1000)
    produce(brokers, name, [dict(value=b'"old"', timestamp=now - 3600_000),
                            dict(value=b'"recent"', timestamp=now - 60_000)])
    k = Running(kpipe_bin, brokers, "tail", name, "--since", "10m")
    try:
        assert values(k.wait_lines(1)) == ["recent"]
        assert k.interrupt() == 0
    finally:
        k.kill()
    assert values(k.lines) == ["recent"]


def test_tail_never_commits(kpipe_bin, brokers, topic, admin):
    name = topic()
    before = {g.id for g in admin.list_groups(timeout=10)}
    k = Running(kpipe_bin, brokers, "tail", name, "-n", "5")
    try:
        produce(brokers, name, [dict(value=str(uuid.uuid4().int % 1000).encode())])
        k.wait_lines(1)
        assert k.interrupt() == 0
    finally:
        k.kill()
    after = {g.id for g in admin.list_groups(timeout=10)}
    # tail reads with assign(): the group id librdkafka wants is never registered.
    assert not [g for g in after - before if g.startswith("kpipe-assign")]


def test_tail_on_a_terminal_writes_compact_lines_cut_to_its_width(kpipe_bin, brokers, topic):
    import fcntl
    import os
    import pty
    import signal
    import struct
    import subprocess
    import termios

    name = topic()
    long_value = '{"page":"/search?q=' + "x" * 200 + '","action":"view"}'
    produce(brokers, name, [dict(key=b"user1", value=long_value.encode()), dict(key=b"user2", value=b'{"n":1}')])
    width = 80
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, width, 0, 0))
    proc = subprocess.Popen([str(kpipe_bin), "tail", name, "-n", "2", "--color", "never"], stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, env={**os.environ, "KPIPE_BROKERS": brokers})
    os.close(slave)
    out = b""
    try:
        while out.count(b"\n") < 2:
            out += os.read(master, 4096)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        os.close(master)
    lines = out.decode().replace("\r", "").splitlines()[:2]
    assert len(lines[0]) == width and lines[0].endswith("\u2026"), lines[0]  # cut, ellipsis in the last column
    assert " 0/0 user1 {\"page\":\"/search?q=xxx" in lines[0]
    assert lines[1].endswith(' 0/1 user2 {"n":1}'), lines[1]  # short lines are whole
    assert not lines[1].startswith("{")  # a compact line, not the envelope
