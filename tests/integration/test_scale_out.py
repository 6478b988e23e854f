"""Scaling out with consumer groups: several `kpipe consume -g` processes share a topic.

The seed's advice for a consumer that cannot keep up is to add consumers to the group.
Three kpipe processes split six partitions; one is killed with SIGKILL and its
partitions move to the other two; restarted, it gets its share back. Every record is
processed at least once (counted by content across the output of all three), and
`kpipe lag -o json` shows the group catching up to 0.
"""

from __future__ import annotations

import json
import time
import uuid

from streams import Running, produce

SESSION = ["-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"]


def wait_until(what: str, condition, timeout: float = 45):
    """Polls condition() until it returns something true; returns that."""
    deadline = time.monotonic() + timeout
    while not (got := condition()):
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        time.sleep(0.2)
    return got


def seen_ids(members: list[Running]) -> list[int]:
    """Every id written so far by every member, the killed ones included."""
    ids = []
    for m in members:
        while not m.out.empty():
            m.lines.append(m.out.get_nowait())
        ids += [json.loads(line)["id"] for line in m.lines if line.strip()]
    return ids


def test_three_group_members_share_partitions_across_a_kill_and_a_restart(run, kpipe_bin, brokers, topic):
    name = topic(partitions=6)
    group = f"kpipe-test-scale-{uuid.uuid4().hex[:8]}"
    next_id = 0

    def send(n: int) -> set[int]:
        nonlocal next_id
        ids = range(next_id, next_id + n)
        produce(brokers, name, [dict(key=f"k{i}".encode(), value=json.dumps({"id": i}).encode()) for i in ids])
        next_id += n
        return set(ids)

    def lag() -> dict:
        r = run("lag", group, "-o", "json")
        assert r.returncode == 0, r.stderr.decode()
        return json.loads(r.stdout)["groups"][0]

    def owners() -> dict[int, str]:
        return {p["partition"]: (p["owner"] or {}).get("client_id") for p in lag()["partitions"]}

    def owned_by(ids: set[str]):
        """True once every partition is owned, by exactly the members `ids`."""
        got = owners()
        return len(got) == 6 and None not in got.values() and set(got.values()) == ids and got

    def start(i: int) -> Running:
        return Running(kpipe_bin, brokers, "consume", name, "-g", group, "--output", "value",
                       "-X", f"client.id=member-{i}", *SESSION)

    # A backlog before anyone reads: the group starts at the beginning, 3000 records behind.
    expected = send(3000)
    r = run("replay", "--group", group, "--topic", name, "--from", "beginning", "--execute")
    assert r.returncode == 0, r.stderr.decode()
    samples = [lag()["totals"]["lag"]]
    assert samples == [3000]

    members = [start(i) for i in (1, 2, 3)]
    try:
        # Three members, two partitions each; they read the backlog and the lag goes to 0.
        first = wait_until("three members own two partitions each", lambda: owned_by({"member-1", "member-2", "member-3"}))
        assert sorted(list(first.values()).count(m) for m in set(first.values())) == [2, 2, 2]

        def caught_up():
            samples.append(lag()["totals"]["lag"])
            return samples[-1] == 0
        wait_until("the group catches up", caught_up)
        backlog = list(samples)
        assert set(seen_ids(members)) == expected

        # kill -9 one member: once its session expires, its partitions move to the others.
        members[1].kill()
        expected |= send(3000)
        moved = wait_until("the partitions of the killed member move", lambda: owned_by({"member-1", "member-3"}))
        assert {p for p, m in first.items() if m == "member-2"} <= set(moved)
        wait_until("the records of every partition arrive", lambda: set(seen_ids(members)) >= expected)

        # Restarted, it gets a share again; what is sent next is read by all three.
        members.append(start(2))
        wait_until("the restarted member gets partitions back", lambda: owned_by({"member-1", "member-2", "member-3"}))
        expected |= send(3000)
        wait_until("the group catches up again", caught_up)
        ids = seen_ids(members)
        assert set(ids) == expected  # every record at least once
        assert any(json.loads(line)["id"] >= 6000 for line in members[-1].lines)  # the restarted member worked

        for m in (members[0], members[2], members[3]):
            assert m.interrupt() == 0, m.err_lines
    finally:
        for m in members:
            m.kill()

    # The lag went down from the backlog to 0, never up while nothing was being sent.
    assert backlog[0] == 3000 and backlog[-1] == 0
    assert all(a >= b for a, b in zip(backlog, backlog[1:])), backlog
    assert samples[-1] == 0
    print(f"scale-out: {len(ids)} records written for {len(expected)} ({len(ids) - len(expected)} read twice), "
          f"lag while catching up: {backlog}")
