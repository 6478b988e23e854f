"""Man pages and shell completions are generated from the CLI definition and checked in;
these tests keep the checked-in copies honest and check that the completions work."""

from __future__ import annotations

import filecmp
import subprocess

import kafkautil
import shells


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
    env = {"PATH": f"{kpipe_bin.parent}:/usr/bin:/bin", "KPIPE_BROKERS": brokers}
    return shells.bash_complete(words, env, script=kafkautil.REPO_ROOT / "completions" / "kpipe.bash")


def test_bash_completion_of_commands_flags_choices_and_topics(kpipe_bin, brokers, topic):
    t = topic()
    assert "topics" in bash_complete(kpipe_bin, brokers, ["kpipe", "to"])
    assert set(bash_complete(kpipe_bin, brokers, ["kpipe", "topics", ""])) >= {"create", "describe", "delete"}
    assert bash_complete(kpipe_bin, brokers, ["kpipe", "--color", ""]) == ["auto", "always", "never"]
    assert bash_complete(kpipe_bin, brokers, ["kpipe", "-q", "to"]) == ["topics"]  # a flag takes no value
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


def test_zsh_completion_stands_alone_on_fpath(kpipe_bin, tmp_path):
    # Installed alone in a directory on $fpath (site-functions, vendor-completions), with
    # no kpipe.bash beside it; the first TAB already completes.
    fpath = tmp_path / "site-functions"
    fpath.mkdir()
    (fpath / "_kpipe").write_bytes((kafkautil.REPO_ROOT / "completions" / "_kpipe").read_bytes())
    env = {"PATH": f"{kpipe_bin.parent}:/usr/bin:/bin", "HOME": str(tmp_path)}
    assert "kpipe topics " in shells.zsh_complete("kpipe top", env, fpath)
    assert "kpipe --color " in shells.zsh_complete("kpipe --colo", env, fpath)
    shown = shells.zsh_complete("kpipe topics de", env, fpath)
    assert "delete" in shown and "describe" in shown


def test_fish_completion_of_commands_and_choices(kpipe_bin, tmp_path):
    vendor = tmp_path / "share" / "fish" / "vendor_completions.d"
    vendor.mkdir(parents=True)
    (vendor / "kpipe.fish").write_bytes((kafkautil.REPO_ROOT / "completions" / "kpipe.fish").read_bytes())
    env = {"PATH": f"{kpipe_bin.parent}:/usr/bin:/bin", "HOME": str(tmp_path),
           "XDG_DATA_DIRS": f"{tmp_path / 'share'}:/usr/share"}
    assert "topics" in shells.fish_complete("kpipe top", env)
    assert {"create", "describe", "delete"} <= set(shells.fish_complete("kpipe topics ", env))
    assert sorted(shells.fish_complete("kpipe --color ", env)) == ["always", "auto", "never"]  # no file names
