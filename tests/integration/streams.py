"""Helpers for tests that run kpipe as a long-lived process (consume -g, tail)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition
from test_broker import produce  # noqa: F401  (one helper for every test module)


def committed(brokers: str, group: str, topic: str, partitions: list[int]) -> dict[int, int]:
    """The group's committed offset per partition (-1001 when none)."""
    c = Consumer({"bootstrap.servers": brokers, "group.id": group, "enable.auto.commit": False})
    try:
        tps = c.committed([TopicPartition(topic, p) for p in partitions], timeout=15)
        return {tp.partition: tp.offset for tp in tps}
    finally:
        c.close()


def envelopes(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]


class Running:
    """kpipe as a background process whose stdout and stderr lines are collected."""

    def __init__(self, kpipe_bin: Path, brokers: str, *args: str):
        env = {**os.environ, "KPIPE_BROKERS": brokers}
        self.proc = subprocess.Popen(
            [str(kpipe_bin), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        self.out: queue.Queue[bytes] = queue.Queue()
        self.lines: list[bytes] = []
        self.err_lines: list[str] = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.out), daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()

    @staticmethod
    def _pump(stream, q):
        for line in iter(stream.readline, b""):
            q.put(line)

    def _pump_err(self):
        for line in iter(self.proc.stderr.readline, b""):
            self.err_lines.append(line.decode(errors="replace"))

    def wait_lines(self, n: int, timeout: float = 60) -> list[bytes]:
        """Waits until n stdout lines arrived in total; returns all of them."""
        deadline = time.monotonic() + timeout
        while len(self.lines) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(self.lines)} of {n} lines after {timeout}s; stderr: {self.err_lines}")
            try:
                self.lines.append(self.out.get(timeout=min(left, 0.5)))
            except queue.Empty:
                if self.proc.poll() is not None and self.out.empty():
                    raise AssertionError(f"kpipe exited {self.proc.returncode}; stderr: {self.err_lines}")
        return self.lines

    def wait_stderr(self, predicate, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.err_lines):
            if time.monotonic() > deadline:
                raise TimeoutError(f"stderr condition not met after {timeout}s: {self.err_lines}")
            if self.proc.poll() is not None:
                raise AssertionError(f"kpipe exited {self.proc.returncode}; stderr: {self.err_lines}")
            time.sleep(0.1)

    def interrupt(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout=timeout)
        time.sleep(0.2)  # let the pump threads take the last lines
        while not self.out.empty():
            self.lines.append(self.out.get())
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
