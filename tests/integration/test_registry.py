"""Schema Registry records against a real registry (Apicurio, scripts/schema-registry-local)
and a real broker. An independent client, PyPI confluent-kafka with its own Avro,
Protobuf and JSON Schema serializers (registry_client.py), writes the records kpipe
decodes and decodes the records kpipe encodes. Schema ids are read from the registry,
never assumed.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

CLIENT = Path(__file__).with_name("registry_client.py")
PYPI = Path(os.environ.get("KPIPE_CACHE") or Path.home() / ".cache" / "kpipe") / "pypi-registry"

EVERYTHING = {
    "type": "record",
    "name": "Everything",
    "namespace": "kpipe.test",
    "fields": [
        {"name": "n", "type": "null"},
        {"name": "b", "type": "boolean"},
        {"name": "i", "type": "int"},
        {"name": "l", "type": "long"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "by", "type": "bytes"},
        {"name": "s", "type": "string"},
        {"name": "e", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
        {"name": "fx", "type": {"type": "fixed", "name": "Four", "size": 4}},
        {"name": "arr", "type": {"type": "array", "items": "long"}},
        {"name": "m", "type": {"type": "map", "values": "string"}},
        {"name": "opt", "type": ["null", "string"]},
        {"name": "multi", "type": ["null", "int", "string", "Color"]},
        {
            "name": "nested",
            "type": {
                "type": "record",
                "name": "Inner",
                "fields": [{"name": "x", "type": "int"}, {"name": "tags", "type": {"type": "array", "items": "string"}}],
            },
        },
        {"name": "optrec", "type": ["null", "Inner"]},
        {"name": "dec", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 3}},
        {
            "name": "decfx",
            "type": {"type": "fixed", "name": "Dec8", "size": 8, "logicalType": "decimal", "precision": 18, "scale": 2},
        },
        {"name": "bigdec", "type": {"type": "bytes", "logicalType": "decimal", "precision": 30, "scale": 4}},
        {"name": "date", "type": {"type": "int", "logicalType": "date"}},
        {"name": "tm", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "tsm", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "tsu", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "recs", "type": {"type": "array", "items": "Inner"}},
        {"name": "mrec", "type": {"type": "map", "values": ["null", "Inner"]}},
    ],
}

# What the independent client writes (tagged where JSON has no such value)...
EVERYTHING_IN = {
    "n": None,
    "b": True,
    "i": -7,
    "l": 2**40,
    "f": 1.5,
    "d": 0.1,
    "by": {"$bytes": base64.b64encode(b"\x00\x01\xff").decode()},
    "s": "h\u00e9llo \u2603",
    "e": "GREEN",
    "fx": {"$bytes": base64.b64encode(b"abcd").decode()},
    "arr": [1, 2, 3],
    "m": {"a": "x"},
    "opt": "here",
    "multi": 42,
    "nested": {"x": 1, "tags": ["a", "b"]},
    "optrec": None,
    "dec": {"$decimal": "-1234.567"},
    "decfx": {"$decimal": "12.50"},
    "bigdec": {"$decimal": "12345678901234567890.1234"},
    "date": {"$date": "2025-01-02"},
    "tm": {"$time": "12:00:00.123000"},
    "tsm": {"$datetime": "2025-01-01T00:00:00.123000+00:00"},
    "tsu": {"$datetime": "2025-01-01T00:00:00.123456+00:00"},
    "id": {"$uuid": "12345678-1234-5678-1234-567812345678"},
    "recs": [{"x": 2, "tags": []}],
    "mrec": {"k": None, "j": {"x": 3, "tags": ["t"]}},
}

# ...and the plain JSON kpipe shows for it.
EVERYTHING_JSON = {
    **{k: v for k, v in EVERYTHING_IN.items() if not isinstance(v, dict) or "$" not in "".join(v)},
    "by": "AAH/",
    "fx": "YWJjZA==",
    "m": {"a": "x"},
    "nested": {"x": 1, "tags": ["a", "b"]},
    "mrec": {"k": None, "j": {"x": 3, "tags": ["t"]}},
    "dec": -1234.567,
    "decfx": 12.5,
    "bigdec": "12345678901234567890.1234",
    "date": 20090,
    "tm": 43200123,
    "tsm": 1735689600123,
    "tsu": 1735689600123456,
    "id": "12345678-1234-5678-1234-567812345678",
}

CLICK = {
    "type": "record",
    "name": "Click",
    "fields": [
        {"name": "page", "type": "string"},
        {"name": "rating", "type": "int"},
        {"name": "ref", "type": ["null", "string"], "default": None},
    ],
}


def registry_get(url: str, path: str):
    with urllib.request.urlopen(url + path, timeout=10) as r:
        return json.loads(r.read())


def registry_post(url: str, path: str, body: dict):
    req = urllib.request.Request(
        url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/vnd.schemaregistry.v1+json"}
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def register(url: str, subject: str, schema, schema_type: str | None = None, references=None) -> int:
    body = {"schema": schema if isinstance(schema, str) else json.dumps(schema)}
    if schema_type:
        body["schemaType"] = schema_type
    if references:
        body["references"] = references
    return registry_post(url, f"/subjects/{subject}/versions", body)["id"]


def frame(schema_id: int, payload: bytes) -> bytes:
    return b"\x00" + struct.pack(">I", schema_id) + payload


@pytest.fixture
def client(schema_registry: str, brokers: str, tmp_path: Path):
    """client(*args, input="") runs registry_client.py; returns its stdout."""
    if not (PYPI / "confluent_kafka").is_dir():
        pytest.fail(f"the PyPI confluent-kafka client is not in {PYPI}: run scripts/bootstrap", pytrace=False)

    def _client(*args: str, input: str = "") -> str:
        env = {**os.environ, "PYTHONPATH": str(PYPI), "KPIPE_SCHEMA_REGISTRY": schema_registry, "KPIPE_BROKERS": brokers}
        r = subprocess.run(
            ["/usr/bin/python3", str(CLIENT), *map(str, args)],
            input=input, capture_output=True, text=True, env=env, timeout=120,
        )
        assert r.returncode == 0, r.stderr
        return r.stdout

    return _client


@pytest.fixture
def sr_run(run, schema_registry: str):
    """run() with --schema-registry after the subcommand, and a --timeout that leaves the
    registry's JVM room on a busy machine (tests of a timeout give their own)."""

    def _run(cmd: str, *args, **kwargs):
        wait = () if "--timeout" in args else ("--timeout", "60s")
        return run(cmd, "--schema-registry", schema_registry, *wait, *args, **kwargs)

    return _run


def envelopes(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines()]


def write_schema(tmp_path: Path, name: str, schema) -> Path:
    p = tmp_path / name
    p.write_text(schema if isinstance(schema, str) else json.dumps(schema))
    return p


# --- Avro ----------------------------------------------------------------------


def test_avro_every_type_from_the_client_decodes_to_plain_json(client, sr_run, topic, tmp_path, schema_registry):
    t = topic()
    client("produce", t, "avro", write_schema(tmp_path, "e.avsc", EVERYTHING), input=json.dumps(EVERYTHING_IN) + "\n")
    r = sr_run("consume", t, "-e")
    assert r.returncode == 0, r.stderr
    [env] = envelopes(r.stdout)
    assert env["value"] == EVERYTHING_JSON
    assert "value_encoding" not in env
    # Decimals are exact: the scale's digits are all there.
    assert b'"decfx":12.50' in r.stdout and b'"dec":-1234.567' in r.stdout
    latest = registry_get(schema_registry, f"/subjects/{t}-value/versions/latest")
    assert env["value_schema"] == {"type": "avro", "subject": f"{t}-value", "id": latest["id"]}


def test_avro_json_flag_writes_unions_and_bytes_as_avro_json(client, sr_run, topic, tmp_path):
    t = topic()
    client("produce", t, "avro", write_schema(tmp_path, "e.avsc", EVERYTHING), input=json.dumps(EVERYTHING_IN) + "\n")
    r = sr_run("consume", t, "-e", "--avro-json")
    assert r.returncode == 0, r.stderr
    [env] = envelopes(r.stdout)
    assert env["value"]["opt"] == {"string": "here"}
    assert env["value"]["multi"] == {"int": 42}
    assert env["value"]["optrec"] is None
    assert env["value"]["by"] == "\u0000\u0001\u00ff"


def test_avro_encoded_by_kpipe_decodes_in_the_client_to_the_events(client, sr_run, topic, schema_registry):
    t = topic()
    schema_id = register(schema_registry, f"{t}-value", EVERYTHING)
    r = sr_run("produce", t, "--value-schema", f"{t}-value", input=(json.dumps(EVERYTHING_JSON) + "\n").encode())
    assert r.returncode == 0, r.stderr
    [got] = [json.loads(line) for line in client("consume", t, "avro", 1).splitlines()]
    expected = dict(EVERYTHING_IN)
    assert got == json.loads(json.dumps(expected, sort_keys=True))
    # By id too, and the record carries that id.
    r = sr_run("produce", t, "--value-schema", str(schema_id), input=(json.dumps(EVERYTHING_JSON) + "\n").encode())
    assert r.returncode == 0, r.stderr


def test_avro_consume_then_produce_envelope_reproduces_the_bytes(client, sr_run, topic, tmp_path, read_topic):
    src, dst = topic(), topic()
    client("produce", src, "avro", write_schema(tmp_path, "e.avsc", EVERYTHING),
           input=json.dumps(EVERYTHING_IN) + "\n" + json.dumps({**EVERYTHING_IN, "opt": None, "multi": "GREEN"}) + "\n")
    consumed = sr_run("consume", src, "-e")
    assert consumed.returncode == 0, consumed.stderr
    produced = sr_run("produce", dst, "--format", "envelope", input=consumed.stdout)
    assert produced.returncode == 0, produced.stderr
    assert [r.value for r in read_topic(dst)] == [r.value for r in read_topic(src)]


ADDRESS = {"type": "record", "name": "Address", "namespace": "kpipe.shared",
           "fields": [{"name": "city", "type": "string"},
                      {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["HOME", "WORK"]}}]}
# Uses kpipe.shared.Address, defined under another subject, three times (the first use
# must carry the definition) and its enum by name; Item is its own.
SHIPMENT = {"type": "record", "name": "Shipment", "namespace": "kpipe.test",
            "fields": [{"name": "to", "type": "kpipe.shared.Address"},
                       {"name": "from", "type": ["null", "kpipe.shared.Address"], "default": None},
                       {"name": "stops", "type": {"type": "array", "items": "kpipe.shared.Address"}},
                       {"name": "prefer", "type": "kpipe.shared.Kind"},
                       {"name": "item", "type": {"type": "record", "name": "Item",
                                                 "fields": [{"name": "sku", "type": "string"}]}}]}
SHIPMENTS = [
    {"to": {"city": "Oslo", "kind": "HOME"}, "from": None, "stops": [], "prefer": "WORK", "item": {"sku": "a"}},
    {"to": {"city": "Rome", "kind": "WORK"}, "from": {"city": "Bonn", "kind": "HOME"},
     "stops": [{"city": "Lyon", "kind": "WORK"}, {"city": "Pisa", "kind": "HOME"}], "prefer": "HOME",
     "item": {"sku": "b"}},
]


def test_avro_references_to_another_subject_both_ways(client, sr_run, topic, schema_registry, read_topic):
    t, dst = topic(), topic()
    register(schema_registry, f"{t}-address", ADDRESS)
    version = registry_get(schema_registry, f"/subjects/{t}-address/versions/latest")["version"]
    schema_id = register(schema_registry, f"{t}-value", SHIPMENT,
                         references=[{"name": "kpipe.shared.Address", "subject": f"{t}-address", "version": version}])
    lines = "".join(json.dumps(x) + "\n" for x in SHIPMENTS).encode()
    r = sr_run("produce", t, "--value-schema", f"{t}-value", input=lines)
    assert r.returncode == 0, r.stderr
    # The independent client resolves the reference itself and reads kpipe's records.
    assert [json.loads(line) for line in client("consume", t, "avro", 2).splitlines()] == SHIPMENTS
    r = sr_run("consume", t, "-e")
    assert r.returncode == 0, r.stderr
    envs = envelopes(r.stdout)
    assert [e["value"] for e in envs] == SHIPMENTS
    assert envs[0]["value_schema"] == {"type": "avro", "subject": f"{t}-value", "id": schema_id}
    produced = sr_run("produce", dst, "--format", "envelope", input=r.stdout)
    assert produced.returncode == 0, produced.stderr
    assert [x.value for x in read_topic(dst)] == [x.value for x in read_topic(t)]
    # A line that does not fit the referenced type is bad input naming the field.
    bad = dict(SHIPMENTS[0], to={"city": "Oslo", "kind": "SHED"})
    r = sr_run("produce", t, "--value-schema", f"{t}-value", input=(json.dumps(bad) + "\n").encode())
    assert r.returncode == 3 and b".to.kind" in r.stderr, r.stderr


def test_replay_with_a_registry_filters_on_decoded_values_and_keeps_the_bytes(client, sr_run, run, topic, tmp_path,
                                                                             read_topic, schema_registry):
    src, dst = topic(), topic()
    client("produce", src, "avro", write_schema(tmp_path, "c.avsc", CLICK),
           input='{"page": "/a", "rating": 1}\n{"page": "/b", "rating": 5, "ref": "x"}\n')
    r = run("replay", f"topic:{src}", "--to", dst, "--schema-registry", schema_registry,
            "--where", ".value.rating > 2")
    assert r.returncode == 0, r.stderr
    assert [x.value for x in read_topic(dst)] == [read_topic(src)[1].value]


def test_tail_decodes_too(client, kpipe_bin, brokers, schema_registry, topic, tmp_path):
    t = topic()
    client("produce", t, "avro", write_schema(tmp_path, "c.avsc", CLICK), input='{"page": "/a", "rating": 1}\n')
    p = subprocess.Popen([str(kpipe_bin), "tail", t, "-n", "1", "--schema-registry", schema_registry],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "KPIPE_BROKERS": brokers})
    timer = threading.Timer(30, p.kill)
    timer.start()
    try:
        line = p.stdout.readline()
    finally:
        timer.cancel()
        p.terminate()
        p.communicate(timeout=10)
    env = json.loads(line)
    assert env["value"] == {"page": "/a", "rating": 1, "ref": None}
    assert env["value_schema"]["type"] == "avro"


def test_register_a_schema_file_under_the_topic_name(sr_run, topic, tmp_path, schema_registry, client):
    t = topic()
    f = write_schema(tmp_path, "click.avsc", CLICK)
    r = sr_run("produce", t, "--value-schema", f, "--register", input=b'{"page": "/p", "rating": 4}\n')
    assert r.returncode == 0, r.stderr
    latest = registry_get(schema_registry, f"/subjects/{t}-value/versions/latest")
    assert json.loads(latest["schema"])["name"] == "Click"
    assert json.loads(client("consume", t, "avro", 1)) == {"page": "/p", "rating": 4, "ref": None}
    # Without --register a registered file is looked up, and an unregistered one is named.
    r = sr_run("produce", t, "--value-schema", f, input=b'{"page": "/q", "rating": 2}\n')
    assert r.returncode == 0, r.stderr
    other = write_schema(tmp_path, "other.avsc", {**CLICK, "name": "Other"})
    r = sr_run("produce", t, "--value-schema", other, input=b'{"page": "/q", "rating": 2}\n')
    assert r.returncode == 5, r.stderr
    assert b"not registered" in r.stderr


def test_a_line_that_does_not_fit_the_schema_is_bad_input(sr_run, topic, tmp_path, schema_registry, read_topic):
    t = topic()
    register(schema_registry, f"{t}-value", CLICK)
    events = tmp_path / "events.jsonl"
    events.write_text('{"page": "/a", "rating": 1}\n{"page": "/b", "rating": "five"}\n{"page": "/c", "rating": 3}\n'
                      '{"page": "/d"}\n{"page": "/e", "rating": 1, "extra": 1}\n')
    failed = tmp_path / "failed.jsonl"
    r = sr_run("produce", t, events, "--value-schema", f"{t}-value", "--on-error", "skip", "--failed", failed)
    assert r.returncode == 3
    err = r.stderr.decode()
    assert f"{events}:2: .rating: expected int, got string" in err
    assert f"{events}:4: .rating: missing" in err
    assert f"{events}:5: .extra: not a field of record Click" in err
    assert len(read_topic(t)) == 2
    kept = [json.loads(line) for line in failed.read_text().splitlines()]
    assert [k["value"]["page"] for k in kept] == ["/b", "/d", "/e"]


# --- JSON Schema ---------------------------------------------------------------

ORDER_SCHEMA = {
    "title": "Order",
    "type": "object",
    "properties": {"id": {"type": "integer"}, "items": {"type": "array", "items": {"type": "string"}}},
    "required": ["id"],
}


def test_json_schema_records_both_ways(client, sr_run, topic, tmp_path, schema_registry, read_topic):
    t = topic()
    client("produce", t, "json", write_schema(tmp_path, "o.json", ORDER_SCHEMA), input='{"id": 1, "items": ["a"]}\n')
    r = sr_run("consume", t, "-e")
    assert r.returncode == 0, r.stderr
    [env] = envelopes(r.stdout)
    assert env["value"] == {"id": 1, "items": ["a"]}
    schema_id = registry_get(schema_registry, f"/subjects/{t}-value/versions/latest")["id"]
    assert env["value_schema"] == {"type": "json", "subject": f"{t}-value", "id": schema_id}
    # kpipe encodes, the client decodes; a document that does not fit is bad input.
    r = sr_run("produce", t, "--value-schema", f"{t}-value", input=b'{"id": 2, "items": []}\n{"id": "x"}\n')
    assert r.returncode == 3
    assert b"<stdin>:2: /id:" in r.stderr
    out = client("consume", t, "json", 2).splitlines()
    assert json.loads(out[1]) == {"id": 2, "items": []}
    # Round trip of the bytes.
    dst = topic()
    consumed = sr_run("consume", t, "-e")
    assert sr_run("produce", dst, "--format", "envelope", input=consumed.stdout).returncode == 0
    assert [x.value for x in read_topic(dst)] == [x.value for x in read_topic(t)]


# --- failures ------------------------------------------------------------------


def test_unreachable_registry_exits_4_within_the_timeout(run, topic):
    t = topic()
    started = time.monotonic()
    r = run("consume", t, "-e", "--schema-registry", "http://127.0.0.1:9", "--timeout", "2s")
    assert r.returncode == 4, r.stderr
    assert b"schema registry http://127.0.0.1:9" in r.stderr
    assert time.monotonic() - started < 15
    r = run("produce", t, "--value-schema", "x-value", "--schema-registry", "http://127.0.0.1:9", "--timeout", "2s",
            input=b"{}\n")
    assert r.returncode == 4, r.stderr


def test_unknown_schema_id_is_reported_and_kept(sr_run, run, topic, read_topic):
    t = topic()
    raw = frame(987654, b"\x02hi")
    r = run("produce", t, "--format", "envelope",
            input=json.dumps({"value": base64.b64encode(raw).decode(), "value_encoding": "base64"}).encode() + b"\n")
    assert r.returncode == 0, r.stderr
    r = sr_run("consume", t, "-e")
    assert r.returncode == 0, r.stderr
    assert f"{t} [0] at offset 0: value kept undecoded (base64): schema id 987654".encode() in r.stderr
    [env] = envelopes(r.stdout)
    assert "value_schema" not in env
    assert env["value_encoding"] == "base64" and base64.b64decode(env["value"]) == raw
    r = sr_run("consume", t, "-e", "--decode", "strict")
    assert r.returncode == 3
    assert b"schema id 987654" in r.stderr


def test_bytes_after_an_avro_record_keep_the_value_undecoded(sr_run, run, topic, schema_registry):
    t = topic()
    sid = register(schema_registry, f"{t}-value", CLICK)
    good = frame(sid, b"\x04/a\x02\x00")  # {"page": "/a", "rating": 1, "ref": null}
    lines = [json.dumps({"value": base64.b64encode(v).decode(), "value_encoding": "base64"}) for v in (good, good + b"\xff")]
    assert run("produce", t, "--format", "envelope", input="\n".join(lines).encode() + b"\n").returncode == 0
    r = sr_run("consume", t, "-e")
    assert r.returncode == 0, r.stderr
    assert f"{t} [0] at offset 1: value kept undecoded (base64): schema id {sid}: 1 byte after the Avro record".encode() \
        in r.stderr
    first, second = envelopes(r.stdout)
    assert first["value"] == {"page": "/a", "rating": 1, "ref": None}
    assert second["value_encoding"] == "base64" and base64.b64decode(second["value"]) == good + b"\xff"
    r = sr_run("consume", t, "-e", "--decode", "strict")
    assert r.returncode == 3
    assert b"1 byte after the Avro record" in r.stderr


def test_values_not_in_the_wire_format_are_kept_counted_and_said_once(sr_run, run, topic):
    t = topic()
    assert run("produce", t, input=b'{"a":1}\n{"a":2}\n{"a":3}\n').returncode == 0
    r = sr_run("consume", t, "-e")
    assert r.returncode == 0, r.stderr
    assert [e["value"] for e in envelopes(r.stdout)] == [{"a": 1}, {"a": 2}, {"a": 3}]
    assert r.stderr.count(b"not in the Schema Registry wire format") == 2  # the warning and the count
    assert b"3 values were not in the Schema Registry wire format" in r.stderr


def test_an_envelope_with_a_value_schema_needs_a_registry(run, topic):
    t = topic()
    line = {"value": {"a": 1}, "value_schema": {"type": "avro", "id": 1}}
    r = run("produce", t, "--format", "envelope", input=json.dumps(line).encode() + b"\n")
    assert r.returncode == 3
    assert b"value_schema" in r.stderr


def test_the_registry_from_a_profile(run, client, topic, tmp_path, schema_registry):
    t = topic()
    client("produce", t, "avro", write_schema(tmp_path, "c.avsc", CLICK), input='{"page": "/a", "rating": 1}\n')
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[profiles.sr.schema_registry]\nurl = "{schema_registry}"\n')
    r = run("consume", t, "-e", "-o", "value", "--config", cfg, "--profile", "sr")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"page": "/a", "rating": 1, "ref": None}


# --- Protobuf ------------------------------------------------------------------

COMMON_PROTO = """syntax = "proto3";
package kpipe.common;
message Money { string currency = 1; int64 units = 2; }
enum Status { UNKNOWN = 0; OPEN = 1; PAID = 2; }
"""

ORDER_PROTO = """syntax = "proto3";
package kpipe.shop;
import "kpipe/common.proto";
import "google/protobuf/timestamp.proto";
message Order {
  string id = 1;
  message Line { string sku = 1; int32 qty = 2; }
  repeated Line lines = 2;
  kpipe.common.Money total = 3;
  kpipe.common.Status status = 4;
  map<string, string> labels = 5;
  google.protobuf.Timestamp at = 6;
  bytes blob = 7;
  repeated int32 codes = 8;
}
message Refund { string order_id = 1; }
"""

ORDER = {
    "id": "o1",
    "lines": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 1}],
    "total": {"currency": "EUR", "units": "12"},
    "status": "PAID",
    "labels": {"k": "v"},
    "at": "2025-01-01T00:00:00Z",
    "blob": "AAE=",
    "codes": [1, 2],
}


@pytest.fixture
def order_descriptors(tmp_path: Path) -> Path:
    """A FileDescriptorSet of order.proto and its imports, made by protoc."""
    (tmp_path / "kpipe").mkdir()
    (tmp_path / "kpipe" / "common.proto").write_text(COMMON_PROTO)
    (tmp_path / "kpipe" / "order.proto").write_text(ORDER_PROTO)
    out = tmp_path / "order.pb"
    subprocess.run(["protoc", "--include_imports", f"--descriptor_set_out={out}", f"-I{tmp_path}",
                    str(tmp_path / "kpipe" / "order.proto")], check=True)
    return out


def test_protobuf_with_references_from_the_client_decodes(client, sr_run, topic, order_descriptors, schema_registry,
                                                          read_topic):
    t = topic()
    client("produce", t, "protobuf", order_descriptors, input=json.dumps(ORDER) + "\n")
    latest = registry_get(schema_registry, f"/subjects/{t}-value/versions/latest")
    assert latest["references"], "the client registers the import as a reference"
    r = sr_run("consume", t, "-e")
    assert r.returncode == 0, r.stderr
    [env] = envelopes(r.stdout)
    assert env["value"] == ORDER
    assert env["value_schema"] == {"type": "protobuf", "subject": f"{t}-value", "id": latest["id"],
                                   "message": "kpipe.shop.Order"}
    # The round trip reproduces the bytes.
    dst = topic()
    produced = sr_run("produce", dst, "--format", "envelope", input=r.stdout)
    assert produced.returncode == 0, produced.stderr
    assert [x.value for x in read_topic(dst)] == [x.value for x in read_topic(t)]


def test_protobuf_nested_message_types_keep_their_indexes(client, sr_run, topic, order_descriptors, read_topic):
    t = topic()
    client("produce", t, "protobuf", order_descriptors, "--message", "kpipe.shop.Order.Line",
           input='{"sku": "z", "qty": 9}\n')
    r = sr_run("consume", t, "-e")
    assert r.returncode == 0, r.stderr
    [env] = envelopes(r.stdout)
    assert env["value"] == {"sku": "z", "qty": 9}
    assert env["value_schema"]["message"] == "kpipe.shop.Order.Line"
    dst = topic()
    assert sr_run("produce", dst, "--format", "envelope", input=r.stdout).returncode == 0
    assert [x.value for x in read_topic(dst)] == [x.value for x in read_topic(t)]


def test_protobuf_encoded_by_kpipe_decodes_in_the_client(client, sr_run, topic, order_descriptors):
    src, t = topic(), topic()
    client("produce", src, "protobuf", order_descriptors, input=json.dumps(ORDER) + "\n")  # registers the schema
    r = sr_run("produce", t, "--value-schema", f"{src}-value",
               input=(json.dumps(ORDER) + "\n" + '{"id": "o2", "lines": [{"qty": "many"}]}\n').encode())
    assert r.returncode == 3
    assert b"<stdin>:2: " in r.stderr and b"qty" in r.stderr
    [got] = [json.loads(line) for line in
             client("consume", t, "protobuf", 1, "--schema", order_descriptors).splitlines()]
    assert got == ORDER


def test_protobuf_schema_file_registered_by_kpipe(client, sr_run, topic, tmp_path, schema_registry):
    t = topic()
    f = tmp_path / "ping.proto"
    f.write_text('syntax = "proto3";\npackage p;\nmessage Ping { int64 n = 1; string note = 2; }\n')
    r = sr_run("produce", t, "--value-schema", f, "--register", input=b'{"n": 5, "note": "hi"}\n')
    assert r.returncode == 0, r.stderr
    latest = registry_get(schema_registry, f"/subjects/{t}-value/versions/latest")
    assert latest.get("schemaType") == "PROTOBUF"
    r = sr_run("consume", t, "-e", "-o", "value")
    assert json.loads(r.stdout) == {"n": "5", "note": "hi"}


def test_protobuf_schema_file_with_imports_registers_them_as_references(client, sr_run, topic, order_descriptors,
                                                                      schema_registry):
    """A .proto file that imports another: the imported file (found in a directory above
    it, as protoc -I would) is registered under its import name and referenced."""
    t = topic()
    order = order_descriptors.parent / "kpipe" / "order.proto"
    r = sr_run("produce", t, "--value-schema", order, "--register", input=(json.dumps(ORDER) + "\n").encode())
    assert r.returncode == 0, r.stderr
    latest = registry_get(schema_registry, f"/subjects/{t}-value/versions/latest")
    [ref] = latest["references"]
    assert ref["name"] == ref["subject"] == "kpipe/common.proto"
    common = registry_get(schema_registry, f"/subjects/kpipe%2Fcommon.proto/versions/{ref['version']}")
    assert "message Money" in common["schema"]
    [got] = [json.loads(line) for line in
             client("consume", t, "protobuf", 1, "--schema", order_descriptors).splitlines()]
    assert got == ORDER
    # Looked up, not registered, the second time: the same schema id.
    again = sr_run("produce", t, "--value-schema", order, input=(json.dumps(ORDER) + "\n").encode())
    assert again.returncode == 0, again.stderr
    values = sr_run("consume", t, "-e", "-o", "value")
    assert [json.loads(line) for line in values.stdout.decode().splitlines()] == [ORDER, ORDER]


def test_protobuf_schema_file_whose_import_is_missing_or_unregistered(sr_run, topic, tmp_path):
    t = topic()
    (tmp_path / "lost.proto").write_text('syntax = "proto3";\nimport "nowhere/gone.proto";\nmessage A { int32 n = 1; }\n')
    r = sr_run("produce", t, "--value-schema", tmp_path / "lost.proto", input=b'{"n": 1}\n')
    assert r.returncode == 2, r.stderr
    assert f"{tmp_path / 'lost.proto'} imports nowhere/gone.proto: no such file".encode() in r.stderr
    # The imported file exists, but nobody registered it (and --register is not given).
    name = f"{t}/unregistered.proto"
    (tmp_path / t).mkdir()
    (tmp_path / name).write_text('syntax = "proto3";\nmessage B { int32 m = 1; }\n')
    (tmp_path / "uses.proto").write_text(f'syntax = "proto3";\nimport "{name}";\nmessage C {{ B b = 1; }}\n')
    r = sr_run("produce", t, "--value-schema", tmp_path / "uses.proto", input=b'{"b": {"m": 1}}\n')
    assert r.returncode == 5, r.stderr
    assert f"imports {name}, which is not registered under subject '{name}'".encode() in r.stderr
    broken = tmp_path / "broken.proto"
    broken.write_text('syntax = "proto3";\nmessage {\n')
    r = sr_run("produce", t, "--value-schema", broken, input=b'{}\n')
    assert r.returncode == 2, r.stderr
    assert f"schema {broken}: not a .proto file libprotobuf can read: line 2".encode() in r.stderr


def test_credentials_from_the_profile_and_wrong_ones(run, topic, tmp_path, auth_registry):
    t = topic()
    cfg = tmp_path / "config.toml"

    def profile(password: str) -> list:
        cfg.write_text(f'[profiles.cloud.schema_registry]\nurl = "{auth_registry}"\nuser = "alice"\n'
                       f'password = "{password}"\n')
        return ["--config", cfg, "--profile", "cloud"]

    r = run("produce", t, "--value-schema", write_schema(tmp_path, "c.avsc", CLICK), "--register",
            *profile("alice-secret"), input=b'{"page": "/a", "rating": 1}\n')
    assert r.returncode == 0, r.stderr
    r = run("consume", t, "-e", "-o", "value", *profile("alice-secret"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"page": "/a", "rating": 1, "ref": None}
    r = run("consume", t, "-e", *profile("wrong"))
    assert r.returncode == 4
    assert b"authentication failed (HTTP 401): check the user and password" in r.stderr
    assert b"wrong" not in r.stderr
    r = run("consume", t, "-e", "--schema-registry", auth_registry)
    assert r.returncode == 4
    # config show names the registry's settings and hides the password.
    r = run("config", "show", *profile("alice-secret"))
    assert b"schema_registry.url" in r.stdout and b"alice-secret" not in r.stdout


def test_keys_are_encoded_and_decoded_too(sr_run, topic, schema_registry, read_topic, tmp_path):
    t = topic()
    register(schema_registry, f"{t}-key", "{\"type\": \"string\"}")
    register(schema_registry, f"{t}-value", CLICK)
    r = sr_run("produce", t, "--key", ".page", "--key-schema", f"{t}-key", "--value-schema", f"{t}-value",
               input=b'{"page": "/a", "rating": 1}\n')
    assert r.returncode == 0, r.stderr
    [rec] = read_topic(t)
    assert rec.key[:1] == b"\x00" and rec.key.endswith(b"\x04/a")
    r = sr_run("consume", t, "-e")
    [env] = envelopes(r.stdout)
    assert env["key"] == "/a"
    assert env["key_schema"]["subject"] == f"{t}-key"
    assert env["value"] == {"page": "/a", "rating": 1, "ref": None}
    # --decode none shows the bytes.
    r = sr_run("consume", t, "-e", "--decode", "none")
    [env] = envelopes(r.stdout)
    assert "value_schema" not in env and "key_schema" not in env


def test_replay_of_decoded_recordings_merged_by_time_encodes_them_again(client, sr_run, run, topic, tmp_path,
                                                                         read_topic, schema_registry):
    src, dst = topic(), topic()
    client("produce", src, "avro", write_schema(tmp_path, "c.avsc", CLICK),
           input="".join(json.dumps({"page": f"/{i}", "rating": i}) + "\n" for i in range(4)))
    lines = sr_run("consume", src, "-e").stdout.decode().splitlines()
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(lines[0] + "\n" + lines[2] + "\n")
    b.write_text(lines[1] + "\n" + lines[3] + "\n")
    r = run("replay", a, b, "--to", dst, "--schema-registry", schema_registry)
    assert r.returncode == 0, r.stderr
    assert sorted(x.value for x in read_topic(dst)) == sorted(x.value for x in read_topic(src))
