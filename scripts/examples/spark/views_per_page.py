"""The seed's PySpark job, runnable: views per page of the clickstream that kpipe wrote.

Spark Structured Streaming reads the topic, parses each JSON value with the seed's
schema {timestamp, userid, page, action}, keeps the views and counts them per page. Each
result is printed (the seed's console sink) and written back to a topic as JSON
{"page", "views"} keyed by page, for `kpipe consume` to read: the hand-off both ways.

    scripts/examples/spark/setup     # once: pyspark and the Kafka connector, cached
    ~/.cache/kpipe/spark-3.5.7/venv/bin/python scripts/examples/spark/views_per_page.py \\
        --brokers "$KPIPE_BROKERS" --topic clickstream --out-topic views-per-page

By default the job reads what the topic holds and stops (trigger availableNow); --live
keeps it running and updates the counts every few seconds, as in the seed.
scripts/examples/spark/views-per-page runs it end to end and checks its counts against
kpipe's.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile


def java_home() -> str | None:
    """A JDK Spark 3.5 runs on (8, 11 or 17): JAVA_HOME, else java on PATH, else Debian's 17."""
    candidates = [os.environ.get("JAVA_HOME", "")]
    java = shutil.which("java")
    if java:
        candidates.append(os.path.dirname(os.path.dirname(os.path.realpath(java))))
    candidates += sorted(glob.glob("/usr/lib/jvm/java-17-openjdk-*"))
    for home in filter(None, candidates):
        try:
            out = subprocess.run([os.path.join(home, "bin", "java"), "-version"], capture_output=True,
                                 text=True, timeout=30).stderr
        except OSError:
            continue
        m = re.search(r'version "(?:1\.)?(\d+)', out)
        if m and m.group(1) in ("8", "11", "17"):
            return home
    return None


def connector_jars() -> list[str]:
    """spark-sql-kafka and its dependencies, as scripts/examples/spark/setup cached them."""
    import pyspark

    default = os.path.join(os.environ.get("KPIPE_CACHE") or os.path.expanduser("~/.cache/kpipe"),
                           f"spark-{pyspark.__version__}", "jars")
    jars = sorted(glob.glob(os.path.join(os.environ.get("KPIPE_SPARK_JARS") or default, "*.jar")))
    if not any("spark-sql-kafka" in os.path.basename(j) for j in jars):
        sys.exit(f"views_per_page: no spark-sql-kafka jar in {default}: run scripts/examples/spark/setup")
    return jars


def main() -> int:
    parser = argparse.ArgumentParser(description="Views per page with Spark Structured Streaming")
    parser.add_argument("--brokers", default=os.environ.get("KPIPE_BROKERS", "localhost:9092"))
    parser.add_argument("--topic", default="clickstream")
    parser.add_argument("--out-topic", default="views-per-page", help="where the counts go, as JSON keyed by page")
    parser.add_argument("--live", action="store_true", help="keep running, updating every 5 s (Ctrl-C stops)")
    args = parser.parse_args()

    home = java_home()
    if home is None:
        sys.exit("views_per_page: Spark 3.5 needs Java 8, 11 or 17 (set JAVA_HOME)")
    os.environ["JAVA_HOME"] = home
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # one machine: stay on loopback

    from pyspark.sql import SparkSession
    from pyspark.sql.functions import col, desc, from_json, struct, to_json
    from pyspark.sql.types import StringType, StructField, StructType

    # The seed's job, with what it leaves out: a master, the connector jars, a schema.
    spark = (
        SparkSession.builder.appName("clickstream-consumer")
        .master("local[2]")
        .config("spark.jars", ",".join(connector_jars()))
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")

    schema = StructType([StructField(name, StringType()) for name in ("timestamp", "userid", "page", "action")])

    # Read stream from Kafka 'clickstream'
    df = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", args.brokers)
        .option("subscribe", args.topic)
        .option("startingOffsets", "earliest")
        .load()
    )
    # Parse JSON from value
    df = df.selectExpr("CAST(value AS STRING)")
    df = df.select(from_json(col("value"), schema).alias("data"))
    # Filter for 'page view' events
    views = df.filter(col("data.action") == "view")
    # Count views per page URL
    counts = views.groupBy(col("data.page").alias("page")).count().withColumnRenamed("count", "views")

    def each_batch(batch, batch_id: int) -> None:
        batch = batch.orderBy(desc("views"), "page").cache()
        print(f"views per page, batch {batch_id}: {batch.count()} pages", flush=True)
        batch.show(10, truncate=False)
        (batch.select(col("page").alias("key"), to_json(struct("page", "views")).alias("value"))
         .write.format("kafka")
         .option("kafka.bootstrap.servers", args.brokers)
         .option("topic", args.out_topic)
         .save())
        batch.unpersist()

    checkpoint = tempfile.mkdtemp(prefix="views-per-page-")
    try:
        writer = counts.writeStream.outputMode("complete").foreachBatch(each_batch) \
            .option("checkpointLocation", checkpoint)
        writer = writer.trigger(processingTime="5 seconds") if args.live else writer.trigger(availableNow=True)
        query = writer.start()
        try:
            query.awaitTermination()
        except KeyboardInterrupt:
            query.stop()
    finally:
        spark.stop()
        shutil.rmtree(checkpoint, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
