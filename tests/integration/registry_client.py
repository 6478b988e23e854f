"""The independent Schema Registry client of the registry tests: PyPI confluent-kafka
with its own Avro, Protobuf and JSON Schema serializers (scripts/bootstrap installs it
into ~/.cache/kpipe/pypi-registry; Debian's confluent_kafka 1.7 has none). It runs as
a subprocess with that directory on PYTHONPATH, so the other tests keep Debian's.

    python3 registry_client.py produce TOPIC TYPE SCHEMA_FILE [--key-schema FILE] < values
    python3 registry_client.py consume TOPIC TYPE COUNT [--message NAME] > values

TYPE is avro, protobuf or json. Values are JSON lines; values JSON cannot carry are
tagged: {"$decimal": "12.34"}, {"$bytes": "<base64>"}, {"$datetime": "<ISO-8601>"},
{"$date": "2025-01-02"}, {"$time": "12:00:00.123"}, {"$uuid": "..."}. For protobuf
the schema file is a FileDescriptorSet made by protoc (--include_imports), for consume
given as --schema FILE; the message is the last file's first unless --message NAME.
Prints on stderr and exits 1 on any failure.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import faulthandler
import json
import os
import sys
import uuid


def tagged_in(v):
    if isinstance(v, dict):
        if len(v) == 1:
            (k, x), = v.items()
            if k == "$decimal":
                return decimal.Decimal(x)
            if k == "$bytes":
                return base64.b64decode(x)
            if k == "$datetime":
                return datetime.datetime.fromisoformat(x)
            if k == "$date":
                return datetime.date.fromisoformat(x)
            if k == "$time":
                return datetime.time.fromisoformat(x)
            if k == "$uuid":
                return uuid.UUID(x)
        return {k: tagged_in(x) for k, x in v.items()}
    if isinstance(v, list):
        return [tagged_in(x) for x in v]
    return v


def tagged_out(v):
    if isinstance(v, decimal.Decimal):
        return {"$decimal": str(v)}
    if isinstance(v, bytes):
        return {"$bytes": base64.b64encode(v).decode()}
    if isinstance(v, datetime.datetime):
        return {"$datetime": v.isoformat()}
    if isinstance(v, datetime.date):
        return {"$date": v.isoformat()}
    if isinstance(v, datetime.time):
        return {"$time": v.isoformat()}
    if isinstance(v, uuid.UUID):
        return {"$uuid": str(v)}
    if isinstance(v, dict):
        return {k: tagged_out(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [tagged_out(x) for x in v]
    return v


def proto_pool(path):
    """The files of a FileDescriptorSet (protoc --include_imports --descriptor_set_out),
    added to the default pool (the serializer looks imports up there); the last file is
    the one the messages come from."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    from google.protobuf import timestamp_pb2  # noqa: F401 - the well-known types, in the default pool

    fds = descriptor_pb2.FileDescriptorSet()
    fds.ParseFromString(open(path, "rb").read())
    pool = descriptor_pool.Default()
    for f in fds.file:
        try:
            pool.FindFileByName(f.name)
        except KeyError:
            pool.Add(f)
    return pool, fds.file[-1], message_factory


def serializer(kind, schema_text, sr, message=None, conf=None):
    conf = conf or {}
    if kind == "avro":
        from confluent_kafka.schema_registry.avro import AvroSerializer

        return AvroSerializer(sr, schema_text, conf=conf), None
    if kind == "json":
        from confluent_kafka.schema_registry.json_schema import JSONSerializer

        return JSONSerializer(schema_text, sr, conf=conf), None
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer

    pool, last, factory = proto_pool(schema_text)
    name = message or (last.package + "." if last.package else "") + last.message_type[0].name
    cls = factory.GetMessageClass(pool.FindMessageTypeByName(name))
    return ProtobufSerializer(cls, sr, conf={"use.deprecated.format": False, **conf}), cls


def deserializer(kind, sr, message=None, schema_text=None):
    if kind == "avro":
        from confluent_kafka.schema_registry.avro import AvroDeserializer

        return AvroDeserializer(sr)
    if kind == "json":
        from confluent_kafka.schema_registry.json_schema import JSONDeserializer

        return JSONDeserializer(None, schema_registry_client=sr)
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer

    pool, last, factory = proto_pool(schema_text)
    name = message or (last.package + "." if last.package else "") + last.message_type[0].name
    cls = factory.GetMessageClass(pool.FindMessageTypeByName(name))
    return ProtobufDeserializer(cls, {"use.deprecated.format": False})


def main(argv):
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.serialization import MessageField, SerializationContext

    # A stuck client says where it was stuck (all threads' stacks) instead of being
    # killed silently by the test's timeout; the registry's requests time out on their own.
    faulthandler.dump_traceback_later(90, exit=True)
    sr = SchemaRegistryClient({"url": os.environ["KPIPE_SCHEMA_REGISTRY"], "timeout": 20})
    brokers = os.environ["KPIPE_BROKERS"]
    cmd, topic, kind = argv[1], argv[2], argv[3]
    message = None
    if "--message" in argv:
        message = argv[argv.index("--message") + 1]
    if cmd == "produce":
        schema_text = argv[4] if kind == "protobuf" else open(argv[4]).read()
        ser, cls = serializer(kind, schema_text, sr, message)
        p = Producer({"bootstrap.servers": brokers})
        for line in sys.stdin:
            if not line.strip():
                continue
            v = tagged_in(json.loads(line))
            if cls is not None:
                from google.protobuf import json_format

                v = json_format.ParseDict(v, cls())
            p.produce(topic, value=ser(v, SerializationContext(topic, MessageField.VALUE)))
        if p.flush(30) != 0:
            sys.exit("registry_client: records not delivered")
        return
    if cmd == "consume":
        count = int(argv[4])
        schema_text = argv[argv.index("--schema") + 1] if "--schema" in argv else None
        de = deserializer(kind, sr, message, schema_text)
        c = Consumer({"bootstrap.servers": brokers, "group.id": "registry-client-" + uuid.uuid4().hex,
                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
        c.subscribe([topic])
        got = 0
        while got < count:
            m = c.poll(30)
            if m is None:
                sys.exit(f"registry_client: only {got} of {count} records within 30 s")
            if m.error():
                print(f"registry_client: {m.error()}", file=sys.stderr)
                continue
            v = de(m.value(), SerializationContext(topic, MessageField.VALUE))
            if kind == "protobuf":
                from google.protobuf import json_format

                v = json_format.MessageToDict(v, preserving_proto_field_name=True)
            print(json.dumps(tagged_out(v), sort_keys=True))
            got += 1
        c.close()
        return
    sys.exit(f"registry_client: unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
