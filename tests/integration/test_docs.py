"""Man pages and shell completions are generated from the CLI definition and checked in;
these tests keep the checked-in copies honest and check that the completions work."""

from __future__ import annotations

import filecmp
import subprocess

import kafkautil


def test_checked_in_docs_match_the_binary(run, tmp_path):
    r = run("generate-docs", tmp_path)
    assert r.returncode == 0, r.stderr
    for sub in ("man", "completions"):
        generated = sorted(p.name for p in (tmp_path / sub).iterdir())
        checked_in = sorted(p.name for p in (kafkautil.REPO_ROOT / sub).iterdir())
        assert generated == checked_in, f"{sub}/ is stale: run `build/kpipe generate-docs .`"
        match, mismatch, errors = filecmp.cmpfiles(tmp_path / sub, kafkautil.REPO_ROOT / sub, generated, shallow=False)
        assert not mismatch and not errors, f"stale {sub}/ files {mismatch + errors}: run `build/kpipe generate-docs .`"


def test_man_pages_render(tmp_path, run):
    run("generate-docs", tmp_path)
    for page in (tmp_path / "man").iterdir():
        r = subprocess.run(["man", "--warnings", "-l", "-E", "UTF-8", str(page)], capture_output=True,
                           env={"MANWIDTH": "80", "PATH": "/usr/bin:/bin"}, timeout=30)
        assert r.returncode == 0, (page.name, r.stderr)
        assert b"EXIT STATUS" in r.stdout, page.name
        assert r.stderr == b"", (page.name, r.stderr)


def bash_complete(kpipe_bin, brokers, words: list[str]) -> list[str]:
    script = (
        f"source {kafkautil.REPO_ROOT}/completions/kpipe.bash\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        "_kpipe; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    r = subprocess.run(["bash", "-c", script], capture_output=True, timeout=30,
                       env={"PATH": f"{kpipe_bin.parent}:/usr/bin:/bin", "KPIPE_BROKERS": brokers})
    assert r.returncode == 0, r.stderr
    return r.stdout.decode().split()


def test_bash_completion_of_commands_flags_choices_and_topics(kpipe_bin, brokers, topic):
    t = topic()
    assert "topics" in bash_complete(kpipe_bin, brokers, ["kpipe", "to"])
    assert set(bash_complete(kpipe_bin, brokers, ["kpipe", "topics", ""])) >= {"create", "describe", "delete"}
    assert bash_complete(kpipe_bin, brokers, ["kpipe", "--color", ""]) == ["auto", "always", "never"]
    assert bash_complete(kpipe_bin, brokers, ["kpipe", "topics", "describe", t[:-3]]) == [t]


def test_bash_completion_of_group_names(kpipe_bin, brokers, topic):
    from confluent_kafka import Consumer, TopicPartition

    t = topic()
    group = f"completion-{t}"
    c = Consumer({"bootstrap.servers": brokers, "group.id": group})
    try:
        c.commit(offsets=[TopicPartition(t, 0, 0)], asynchronous=False)
    finally:
        c.close()
    assert group in bash_complete(kpipe_bin, brokers, ["kpipe", "lag", group[:-4]])
    assert group in bash_complete(kpipe_bin, brokers, ["kpipe", "consume", t, "--group", group[:-4]])
