"""The seed's Python consumer, runnable: polls a topic in a consumer group, parses each
value as JSON and acts on the views; --exit-at-end stops at the end of every partition
(so that it can be timed) instead of polling forever.

    /usr/bin/python3 scripts/examples/seed/consumer.py clickstream [--exit-at-end]

kpipe does the same job with
`kpipe consume clickstream -g clickstream-processor --where '.value.action == "view"' --output value`.
scripts/bench seed times the two side by side.
"""

import json
import os
import sys
import uuid

from confluent_kafka import Consumer, KafkaError

topic = sys.argv[1]
exit_at_end = "--exit-at-end" in sys.argv[2:]
# Kafka consumer configuration
conf = {"bootstrap.servers": os.environ.get("KPIPE_BROKERS", "localhost:9092"),
        "group.id": os.environ.get("GROUP", "clickstream-processor-" + uuid.uuid4().hex[:8]),
        "auto.offset.reset": "earliest",
        "enable.partition.eof": exit_at_end}
# Create consumer instance
consumer = Consumer(conf)
# Subscribe to 'clickstream' topic
consumer.subscribe([topic])
partitions = len(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
at_end = set()
# Poll Kafka for messages infinitely
while len(at_end) < partitions or not exit_at_end:
    msg = consumer.poll(1.0)
    if msg is None:
        continue
    if msg.error():
        if msg.error().code() == KafkaError._PARTITION_EOF:
            at_end.add(msg.partition())
            continue
        raise SystemExit(str(msg.error()))
    # Parse JSON from message value
    event = json.loads(msg.value())
    # Process event based on business logic
    if event["action"] == "view":
        print(event)  # Print event
# Close consumer
consumer.close()
