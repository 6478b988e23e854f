"""Global options, settings, config show and connection errors of the kpipe binary."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time

import pytest


def test_bad_flag_is_usage_error_with_usage_line(run):
    r = run("topics", "list", "--no-such-flag")
    assert r.returncode == 2
    err = r.stderr.decode()
    assert "--no-such-flag" in err and "usage: kpipe topics list" in err


def test_unreachable_broker_fails_within_timeout_naming_it(kpipe_bin):
    start = time.monotonic()
    r = subprocess.run(
        [str(kpipe_bin), "-b", "127.0.0.1:1", "--timeout", "3s", "topics"],
        capture_output=True, timeout=30,
    )
    elapsed = time.monotonic() - start
    assert r.returncode == 4, r.stderr
    assert b"127.0.0.1:1" in r.stderr
    assert len(r.stderr.decode().strip().splitlines()) == 1
    assert elapsed < 10  # generous bound: the point is "no hang"


def test_bad_timeout_and_property_are_usage_errors(run):
    r = run("--timeout", "soon", "topics")
    assert r.returncode == 2 and b"soon" in r.stderr
    r = run("-X", "no.such.property=1", "topics")
    assert r.returncode == 2 and b"no.such.property" in r.stderr
    r = run("-X", "novalue", "topics")
    assert r.returncode == 2 and b"key=value" in r.stderr


def write_config(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_profile_brokers_and_precedence(run, brokers, tmp_path, topic):
    t = topic()
    cfg = write_config(tmp_path, f'default_profile = "local"\n[profiles.local]\nbrokers = "{brokers}"\n'
                                 '[profiles.dead]\nbrokers = "127.0.0.1:1"\n')
    env = {"KPIPE_BROKERS": ""}
    r = run("--config", cfg, "topics", "-o", "json", env=env)
    assert r.returncode == 0, r.stderr
    assert t.encode() in r.stdout
    r = run("--config", cfg, "--profile", "dead", "--timeout", "1s", "topics", env=env)
    assert r.returncode == 4 and b"127.0.0.1:1" in r.stderr
    # environment beats the profile, the flag beats the environment
    r = run("--config", cfg, "--profile", "dead", "--timeout", "5s", "topics", "-o", "json",
            env={"KPIPE_BROKERS": brokers})
    assert r.returncode == 0, r.stderr
    r = run("--config", cfg, "-b", "127.0.0.1:1", "--timeout", "1s", "topics", env={"KPIPE_BROKERS": brokers})
    assert r.returncode == 4


def test_config_show_origins_and_redaction(run, tmp_path):
    cfg = write_config(
        tmp_path,
        '[profiles.cloud]\nbrokers = "pkc.example:9092"\nsecurity_protocol = "SASL_SSL"\n'
        'sasl_mechanism = "PLAIN"\nuser = "alice"\npassword = "${KAFKA_PASSWORD}"\n',
    )
    env = {"KAFKA_PASSWORD": "pa55-from-env", "KPIPE_BROKERS": ""}
    r = run("--config", cfg, "--profile", "cloud", "-X", "ssl.key.password=flag-secret",
            "config", "show", "-o", "json", env=env)
    assert r.returncode == 0, r.stderr
    assert b"pa55-from-env" not in r.stdout + r.stderr
    assert b"flag-secret" not in r.stdout + r.stderr
    import json
    doc = json.loads(r.stdout)
    assert doc["sasl.password"]["value"] == "[redacted]"
    assert doc["sasl.password"]["origin"] == "file"
    assert doc["ssl.key.password"]["origin"] == "flag"
    assert doc["bootstrap.servers"] == {"value": "pkc.example:9092", "origin": "file",
                                        "source": f"{cfg} [profiles.cloud]"}
    assert doc["client.id"]["origin"] == "default"
    assert doc["profile"]["value"] == "cloud" and doc["profile"]["origin"] == "flag"
    r = run("--config", cfg, "--profile", "cloud", "config", "show", env=env)
    assert r.returncode == 0 and b"[redacted]" in r.stdout and b"pa55-from-env" not in r.stdout


def test_verbose_output_never_shows_secrets(run, tmp_path):
    cfg = write_config(
        tmp_path,
        '[profiles.p]\nbrokers = "127.0.0.1:1"\nsecurity_protocol = "SASL_PLAINTEXT"\n'
        'sasl_mechanism = "PLAIN"\nuser = "alice"\npassword = "${KAFKA_PASSWORD}"\n',
    )
    r = run("--config", cfg, "--profile", "p", "-vvv", "--timeout", "2s", "topics",
            env={"KAFKA_PASSWORD": "very-secret-pw", "KPIPE_BROKERS": ""})
    assert r.returncode == 4
    assert b"librdkafka" in r.stderr  # the debug output is really there
    assert b"very-secret-pw" not in r.stdout + r.stderr


def test_bad_config_file_is_usage_error_naming_file_line_key(run, tmp_path):
    cfg = write_config(tmp_path, '[profiles.p]\nbrokers = "x:1"\nbrokerz = "y:1"\n')
    r = run("--config", cfg, "--profile", "p", "topics")
    assert r.returncode == 2
    assert f"{cfg}:3".encode() in r.stderr and b"brokerz" in r.stderr
    cfg = write_config(tmp_path, "[profiles.p\n")
    r = run("--config", cfg, "topics")
    assert r.returncode == 2 and f"{cfg}:1".encode() in r.stderr
    cfg = write_config(tmp_path, '[profiles.p]\nbrokers = "x:1"\n')
    r = run("--config", cfg, "--profile", "nope", "topics")
    assert r.returncode == 2 and b"unknown profile 'nope'" in r.stderr
    r = run("--profile", "p", "topics", env={"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert r.returncode == 2 and b"no config file" in r.stderr


def test_a_directory_where_a_file_belongs_is_a_usage_error_naming_it(run, tmp_path, topic):
    """A directory given as the config file, a CA file, a JSON Schema or a replay checkpoint is
    refused on one line naming it (not a crash, not silently ignored)."""
    d = tmp_path / "adir"
    d.mkdir()
    r = run("--config", d, "topics")
    assert r.returncode == 2 and f"config file {d}: is a directory".encode() in r.stderr, r.stderr
    cfg = write_config(tmp_path, f'[profiles.p]\nbrokers = "x:1"\nca_file = "{d}"\n')
    r = run("--config", cfg, "--profile", "p", "topics")
    assert r.returncode == 2 and f"{cfg}:3".encode() in r.stderr and b"ca_file" in r.stderr
    assert b"is a directory" in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr
    name = topic()
    r = run("consume", name, "-e", "--schema", d)
    assert r.returncode == 2 and f"schema {d}: is a directory".encode() in r.stderr, r.stderr
    src = tmp_path / "events.jsonl"
    src.write_text('{"value": {"a": 1}}\n')
    r = run("replay", src, "--to", name, "--checkpoint", d)
    assert r.returncode == 2 and f"checkpoint {d}: is a directory".encode() in r.stderr, r.stderr


def sasl_profile(tmp_path, sasl_brokers: str):
    return write_config(
        tmp_path,
        f'[profiles.cloud]\nbrokers = "{sasl_brokers}"\nsecurity_protocol = "SASL_PLAINTEXT"\n'
        'sasl_mechanism = "PLAIN"\nuser = "alice"\npassword = "${KAFKA_PASSWORD}"\n',
    )


def test_profile_with_sasl_credentials_reaches_the_cluster(run, tmp_path, sasl_brokers, topic):
    t = topic()
    cfg = sasl_profile(tmp_path, sasl_brokers)
    r = run("--config", cfg, "--profile", "cloud", "topics", "-o", "json",
            env={"KAFKA_PASSWORD": "alice-secret", "KPIPE_BROKERS": ""})
    assert r.returncode == 0, r.stderr
    assert t in [x["name"] for x in __import__("json").loads(r.stdout)]
    assert b"alice-secret" not in r.stdout + r.stderr


def test_wrong_password_is_exit_4_naming_authentication_without_the_password(kpipe_bin, tmp_path, sasl_brokers):
    cfg = sasl_profile(tmp_path, sasl_brokers)
    start = time.monotonic()
    r = subprocess.run([str(kpipe_bin), "--config", str(cfg), "--profile", "cloud", "--timeout", "20s", "-v", "topics"],
                       capture_output=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin", "KAFKA_PASSWORD": "wrong-pw-123"})
    elapsed = time.monotonic() - start
    assert r.returncode == 4, r.stderr
    err = r.stderr.decode()
    assert "authentication" in err.lower() and sasl_brokers in err
    assert "wrong-pw-123" not in err and b"wrong-pw-123" not in r.stdout
    assert elapsed < 15  # fails on the broker's answer, not by waiting out --timeout


@pytest.mark.parametrize("command", [["topics"], ["topics", "describe", "T"], ["lag"], ["produce", "T"],
                                     ["consume", "T", "-e"], ["consume", "T", "-g", "G"], ["tail", "T"]])
def test_wrong_password_names_the_reason_on_one_line_without_verbose(kpipe_bin, tmp_path, sasl_brokers, topic,
                                                                     command):
    t = topic()
    cfg = sasl_profile(tmp_path, sasl_brokers)
    args = [t if a == "T" else a for a in command]
    r = subprocess.run([str(kpipe_bin), "--config", str(cfg), "--profile", "cloud", "--timeout", "20s", *args],
                       capture_output=True, timeout=60, input=b'{"n":1}\n',
                       env={"PATH": "/usr/bin:/bin", "KAFKA_PASSWORD": "wrong-pw-123"})
    assert r.returncode == 4, r.stderr
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert "authentication" in lines[0] and sasl_brokers in lines[0]
    assert "Invalid username or password" in lines[0]  # the broker's reason, not "brokers are down"
    assert "wrong-pw-123" not in lines[0]


class FakeListener:
    """A TCP port on loopback that is not Kafka: it answers HTTP, stays silent, or hangs up."""

    def __init__(self, kind: str):
        self.kind = kind
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        deadline = time.monotonic() + 60
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            if self.kind == "http":
                conn.settimeout(2)
                try:
                    conn.recv(4096)
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass
                conn.close()
            elif self.kind == "hangup":
                conn.close()
            else:  # silent: keep it open, say nothing
                self.conns.append(conn)

    def close(self):
        self.stop.set()
        self.thread.join()
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.mark.parametrize("kind, reason", [("http", 'starting "HTTP"'), ("silent", "no Kafka response"),
                                          ("hangup", "closed the connection before any Kafka response")])
@pytest.mark.parametrize("command", [["topics"], ["lag"]])
def test_a_port_that_is_not_kafka_is_named_with_a_reason_within_timeout(kpipe_bin, kind, reason, command):
    listener = FakeListener(kind)
    try:
        start = time.monotonic()
        r = subprocess.run([str(kpipe_bin), "-b", f"127.0.0.1:{listener.port}", "--timeout", "2s", *command],
                           capture_output=True, timeout=30, env={"PATH": "/usr/bin:/bin"})
        elapsed = time.monotonic() - start
    finally:
        listener.close()
    assert r.returncode == 4, r.stderr
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert f"127.0.0.1:{listener.port}" in lines[0]
    assert "is this a Kafka listener?" in lines[0] and reason in lines[0]
    assert elapsed < 8  # --timeout 2s, with room for a loaded machine


# Every numeric option of every command: (command, option, bad value, the message after "option: ").
NUMERIC_OPTIONS = [
    (["produce", "t"], "--partition", "-1", "must be 0 or more, got -1"),
    (["produce", "t"], "--partition", "99999999999", "must be at most 2147483647, got 99999999999"),
    (["produce", "t"], "--batch-size", "0", "must be 1 or more, got 0"),
    (["produce", "t"], "--rate", "0", "must be more than 0, got 0"),
    (["produce", "t"], "--rate", "nan", "expected a number, got nan"),
    (["consume", "t"], "--count", "-1", "must be 0 or more, got -1"),
    (["consume", "t"], "--count", "99999999999999999999", "must be at most 9223372036854775807, got 99999999999999999999"),
    (["tail", "t"], "--last", "-1", "must be 0 or more, got -1"),
    (["topics", "create", "t"], "--partitions", "0", "must be 1 or more, got 0"),
    (["topics", "create", "t"], "--replication-factor", "-1", "must be 1 or more, got -1"),
    (["topics", "add-partitions", "t"], "--total", "0", "must be 1 or more, got 0"),
    (["lag"], "--count", "0", "must be 1 or more, got 0"),
    (["lag"], "--window", "1", "must be from 2 to 1000, got 1"),
    (["lag"], "--max-lag", "-1", "must be 0 or more, got -1"),
    (["consume", "t"], "--top", "-1", "must be 0 or more, got -1"),
    (["consume", "t"], "--max-keys", "0", "must be 1 or more, got 0"),
    (["tail", "t"], "--top", "-1", "must be 0 or more, got -1"),
    (["tail", "t"], "--max-keys", "0", "must be 1 or more, got 0"),
    (["replay", "f", "--to", "t"], "--rate", "0", "must be more than 0, got 0"),
    (["replay", "f", "--to", "t"], "--rate", "inf", "expected a number, got inf"),
]


def kpipe_usage(kpipe_bin, *args: str) -> list[str]:
    r = subprocess.run([str(kpipe_bin), *args], capture_output=True, timeout=30, env={"PATH": "/usr/bin:/bin"})
    assert r.returncode == 2, r.stderr
    return r.stderr.decode().splitlines()


@pytest.mark.parametrize("command, option, value, message", NUMERIC_OPTIONS)
def test_numeric_option_errors_are_plain(kpipe_bin, command, option, value, message):
    lines = kpipe_usage(kpipe_bin, *command, option, value)
    assert lines[0] == f"kpipe: {option}: {message}"
    if option != "--rate":
        lines = kpipe_usage(kpipe_bin, *command, option, "1.5")
        assert lines[0] == f"kpipe: {option}: expected a whole number, got 1.5"


def test_consume_short_count_flag_says_what_is_wrong(kpipe_bin):
    assert kpipe_usage(kpipe_bin, "consume", "t", "-n", "-1")[0] == "kpipe: --count: must be 0 or more, got -1"


def test_every_numeric_option_is_checked_above(kpipe_bin):
    commands = [["produce"], ["consume"], ["tail"], ["topics"], ["topics", "list"], ["topics", "describe"],
                ["topics", "create"], ["topics", "delete"], ["topics", "alter"], ["topics", "add-partitions"],
                ["lag"], ["replay"], ["config", "show"]]
    words = {w for c in commands for w in c}
    checked = {(tuple(a for a in c if a in words), o) for c, o, _, _ in NUMERIC_OPTIONS}
    found = set()
    for command in commands:
        out = subprocess.run([str(kpipe_bin), *command, "--help"], capture_output=True, check=True).stdout.decode()
        for m in re.finditer(r"^\s+(?:-\w,)?(--[\w-]+) (N|INT|UINT|FLOAT|NUMBER|BYTES)\b", out, re.M):
            found.add((tuple(command), m.group(1)))
    assert found and found <= checked, found - checked
