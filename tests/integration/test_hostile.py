"""Hostile input reaches a clear error and the documented exit code: never a crash, a
hang or silent loss. Results checked with an independent client where records are sent."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import threading
import time

import pytest
from streams import envelopes, produce


def run_limited(kpipe_bin, brokers, *args, input=b"", stdin=None, stdout=subprocess.PIPE, timeout=120):
    """kpipe with its peak RSS (MB) measured: (CompletedProcess, rss_mb)."""
    env = {**os.environ, "KPIPE_BROKERS": brokers}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.run([str(kpipe_bin), *map(str, args)], input=None if stdin is not None else input, stdin=stdin,
                       stdout=stdout, stderr=subprocess.PIPE, env=env, timeout=timeout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return p, max(after, before) / 1024


def sanitized(kpipe_bin) -> bool:
    """An ASan build: its memory figures are not the release binary's."""
    out = subprocess.run([str(kpipe_bin), "version", "-o", "json"], capture_output=True, check=True).stdout
    return bool(json.loads(out)["build"]["sanitizers"])


def test_a_200_mb_line_is_bad_input_and_is_never_held_in_memory(kpipe_bin, brokers, topic, read_topic, tmp_path):
    name = topic()
    path = tmp_path / "huge.jsonl"
    with open(path, "wb") as f:
        f.write(b'{"n":1}\n{"blob":"')
        chunk = b"x" * (1 << 20)
        for _ in range(200):
            f.write(chunk)
        f.write(b'"}\n{"n":3}\n')
    r, rss = run_limited(kpipe_bin, brokers, "produce", name, path, "--on-error", "skip")
    assert r.returncode == 3, r.stderr
    assert f"{path}:2: line of 209715211 bytes is longer than any record can be".encode() in r.stderr, r.stderr
    assert [x.value for x in read_topic(name)] == [b'{"n":1}', b'{"n":3}']
    if not sanitized(kpipe_bin):
        assert rss < 200, f"peak RSS {rss:.0f} MB"


def test_json_nested_a_million_deep_is_bad_input_not_a_crash(run, topic, read_topic):
    name = topic()
    deep = b"[" * 1_000_000 + b"]" * 1_000_000
    r = run("produce", name, "--on-error", "skip", input=b'{"n":1}\n' + deep + b"\n")
    assert r.returncode == 3, r.stderr
    assert b"<stdin>:2: not valid JSON" in r.stderr
    assert [x.value for x in read_topic(name)] == [b'{"n":1}']
    # Sent as text (400,000 deep, to fit message.max.bytes), it comes back out of consume
    # as text, and jq filters see a string.
    deep = b"[" * 400_000 + b"]" * 400_000
    r = run("produce", name, "--format", "text", input=deep + b"\n")
    assert r.returncode == 0, r.stderr
    r = run("consume", name, "-e", "--where", ".value_encoding == \"text\"", "-f", "%S\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"800000\n"


def test_nul_bytes_and_invalid_utf8_go_through_byte_for_byte(run, brokers, topic, read_topic):
    name = topic()
    produce(brokers, name, [dict(key=b"\xff\xfe\x00k", value=b"a\x00b", headers=[("h\x00", b"\xc3\x28"), ("n", None)])])
    r = run("consume", name, "-e")
    assert r.returncode == 0, r.stderr
    copy = topic()
    r = run("produce", copy, "--format", "envelope", input=r.stdout)
    assert r.returncode == 0, r.stderr
    [a], [b] = read_topic(name), read_topic(copy)
    assert (b.key, b.value, b.headers) == (a.key, a.value, a.headers)
    # A NUL inside a JSON line is not JSON: bad input naming the line.
    r = run("produce", name, input=b'{"a":"x\x00y"}\n')
    assert r.returncode == 3 and b"<stdin>:1: not valid JSON" in r.stderr


def test_a_file_name_that_is_not_utf8_is_named_in_errors(run, topic, tmp_path):
    name = topic()
    odd = os.fsencode(str(tmp_path)) + b"/ev\xff.jsonl"
    with open(odd, "wb") as f:
        f.write(b'{"n":1}\nnot json\n')
    r = run("produce", name, os.fsdecode(odd))
    assert r.returncode == 3
    assert b"ev\xff.jsonl:2: not valid JSON" in r.stderr


def test_a_directory_as_input_is_a_usage_error_and_a_fifo_is_read(run, kpipe_bin, brokers, topic, read_topic, tmp_path):
    name = topic()
    r = run("produce", name, tmp_path)
    assert r.returncode == 2 and f"{tmp_path}: is a directory".encode() in r.stderr
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(b'{"n":1}\n{"n":2}\n'))
    writer.start()
    r = run("produce", name, fifo)
    writer.join()
    assert r.returncode == 0, r.stderr
    assert [x.value for x in read_topic(name)] == [b'{"n":1}', b'{"n":2}']


def test_a_full_disk_for_failed_records_is_reported(run, topic, read_topic):
    name = topic()
    r = run("produce", name, "--failed", "/dev/full", "--on-error", "skip", input=b'{"n":1}\nbad\n{"n":3}\n')
    assert r.returncode == 3, r.stderr
    assert b"--failed /dev/full: write failed: No space left on device" in r.stderr, r.stderr
    assert [x.value for x in read_topic(name)] == [b'{"n":1}', b'{"n":3}']


def test_stdout_closed_is_an_error_not_a_crash(kpipe_bin, brokers, topic):
    name = topic()
    produce(brokers, name, [dict(value=b'{"n":1}')])
    env = {**os.environ, "KPIPE_BROKERS": brokers}
    p = subprocess.run(f'"{kpipe_bin}" consume {name} -e >&-', shell=True, stderr=subprocess.PIPE, env=env, timeout=60)
    assert p.returncode == 1, p.stderr
    assert b"cannot write to standard output" in p.stderr


def test_produce_from_a_terminal_says_it_waits_for_lines(kpipe_bin, brokers, topic, read_topic):
    import pty

    name = topic()
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(kpipe_bin), "produce", name], stdin=slave, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "KPIPE_BROKERS": brokers})
    os.close(slave)
    try:
        line = proc.stderr.readline()
        assert b"reading JSON lines from the terminal" in line, line
        os.write(master, b'{"n":1}\n')
        os.write(master, b"\x04")  # Ctrl-D: end of input
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert [x.value for x in read_topic(name)] == [b'{"n":1}']


class SilentPort:
    """Accepts TCP connections and never answers (or answers HTTP)."""

    def __init__(self, http: bool = False):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.http = http
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.server.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.http:
                try:
                    c.recv(4096)
                    c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    c.close()
                except OSError:
                    pass

    def close(self):
        self.server.close()
        for c in self.conns:
            c.close()


@pytest.mark.slow
def test_a_port_that_is_not_kafka_or_never_answers_exits_4_within_timeout(kpipe_bin, brokers):
    for http in (False, True):
        port = SilentPort(http=http)
        try:
            for args in (["produce", "t"], ["consume", "t", "-e"], ["tail", "t"]):
                t0 = time.monotonic()
                r, _ = run_limited(kpipe_bin, f"127.0.0.1:{port.port}", *args, "-b", f"127.0.0.1:{port.port}",
                                   "--timeout", "3s", input=b'{"n":1}\n', timeout=30)
                took = time.monotonic() - t0
                assert r.returncode == 4, (args, http, r.stderr)
                assert f"127.0.0.1:{port.port}".encode() in r.stderr, r.stderr
                assert took < 20, (args, took)
        finally:
            port.close()
