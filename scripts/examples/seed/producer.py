"""The seed's Python producer, runnable: JSON events, one per line (a file or stdin), to a
topic with confluent_kafka, flushed at the end so nothing is lost.

    /usr/bin/python3 scripts/examples/seed/producer.py clickstream events.jsonl

kpipe does the same job with `kpipe produce clickstream events.jsonl` (and reports every
record not delivered). scripts/bench seed times the two side by side.
"""

import json
import os
import sys

from confluent_kafka import Producer

topic, path = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "-")
# Kafka producer configuration
conf = {"bootstrap.servers": os.environ.get("KPIPE_BROKERS", "localhost:9092"), "client.id": "clickstream-producer"}
# Create producer instance
producer = Producer(conf)
failed = 0


def on_delivery(err, msg):
    global failed
    if err is not None:
        failed += 1


with open(path, "rb") if path != "-" else sys.stdin.buffer as events:
    for line in events:
        event = json.loads(line)  # the seed's event, a dict
        # Convert to JSON
        event_json = json.dumps(event)
        # Publish event (the local queue full: wait for deliveries, then try again)
        while True:
            try:
                producer.produce(topic=topic, value=event_json, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
# Flush and close producer
producer.flush()
sys.exit(1 if failed else 0)
