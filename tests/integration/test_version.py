"""kpipe --version and `kpipe version`: what is running, for a bug report; and
cmake/git-describe.cmake, the build step that keeps the git commit in it current."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import kafkautil

SCRIPT = kafkautil.REPO_ROOT / "cmake" / "git-describe.cmake"


def kpipe(kpipe_bin: Path, *args: str, env: dict[str, str] | None = None) -> str:
    r = subprocess.run([str(kpipe_bin), *args], capture_output=True, text=True, timeout=30,
                       env={**os.environ, **(env or {})})
    assert r.returncode == 0, r.stderr
    return r.stdout


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd,
                          capture_output=True, text=True, check=True).stdout.strip()


def project_version() -> str:
    return re.search(r"project\(kpipe VERSION (\S+)", (kafkautil.REPO_ROOT / "CMakeLists.txt").read_text())[1]


def test_short_form_names_version_commit_librdkafka_and_its_features(kpipe_bin):
    first, second = kpipe(kpipe_bin, "--version").splitlines()
    m = re.fullmatch(rf"kpipe {re.escape(project_version())} \(git (\S+)\)", first)
    assert m, first
    # The binary under test was built from this checkout, at its current commit.
    assert m[1].removesuffix("-dirty") == git(kafkautil.REPO_ROOT, "describe", "--tags", "--always")
    m = re.fullmatch(r"librdkafka (2\.\d+\.\d+) \((.+)\)", second)
    assert m, second
    assert {"ssl", "sasl_plain", "sasl_scram", "zstd"} <= set(m[2].split(", "))


def test_long_form_the_same_whichever_way_it_is_asked(kpipe_bin):
    forms = {kpipe(kpipe_bin, *args) for args in (["--version", "-v"], ["-v", "--version"], ["version"])}
    assert len(forms) == 1
    text = forms.pop()
    assert text.startswith(kpipe(kpipe_bin, "--version"))
    assert re.search(r"^build: +\w+, (GNU|Clang) \d+", text, re.M), text
    assert re.search(r"^built with: librdkafka 2\.\S+, OpenSSL \d", text, re.M), text
    assert re.search(r"^OpenSSL: +OpenSSL \d", text, re.M), text
    assert re.search(r"^system: +Linux ", text, re.M), text


def test_json_form(kpipe_bin):
    doc = json.loads(kpipe(kpipe_bin, "version", "-o", "json"))
    assert doc["version"] == project_version()
    assert doc["git"] and kpipe(kpipe_bin, "--version").startswith(f"kpipe {doc['version']} (git {doc['git']})")
    assert doc["librdkafka"]["version"].startswith("2.") and "ssl" in doc["librdkafka"]["features"]
    assert doc["build"]["type"] and isinstance(doc["build"]["sanitizers"], bool)
    assert set(doc["build"]["built_with"]) >= {"librdkafka", "OpenSSL", "fmt", "simdjson", "CLI11"}
    assert doc["system"].startswith("Linux ")


def test_version_needs_no_config(kpipe_bin, tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text("this is [not toml\n")
    assert kpipe(kpipe_bin, "version", env={"KPIPE_CONFIG": str(bad)}).startswith("kpipe ")
    assert kpipe(kpipe_bin, "--version", "--profile", "nowhere").startswith("kpipe ")


def describe(source: Path, output: Path) -> str:
    subprocess.run(["cmake", f"-DSOURCE_DIR={source}", f"-DOUTPUT={output}", "-P", str(SCRIPT)], check=True,
                   timeout=60)
    return re.search(r'git_describe = "(.*)";', output.read_text())[1]


def test_git_describe_follows_the_checkout_and_rewrites_only_on_change(tmp_path):
    repo, out = tmp_path / "repo", tmp_path / "git_describe.cpp"
    repo.mkdir()
    assert describe(repo, out) == ""  # not a checkout: a release tarball
    git(repo, "init", "-q")
    (repo / "a").write_text("1")
    git(repo, "add", "a")
    git(repo, "commit", "-qm", "one")
    first = git(repo, "rev-parse", "--short", "HEAD")
    assert describe(repo, out) == first
    written = out.stat().st_mtime_ns
    os.utime(out, ns=(written - 10**9, written - 10**9))
    assert describe(repo, out) == first
    assert out.stat().st_mtime_ns == written - 10**9  # unchanged: nothing to recompile
    (repo / "a").write_text("2")
    assert describe(repo, out) == f"{first}-dirty"
    git(repo, "commit", "-qam", "two")
    assert describe(repo, out) == git(repo, "rev-parse", "--short", "HEAD") != first
    git(repo, "tag", "-a", "v1.0", "-m", "v1.0")
    assert describe(repo, out) == "v1.0"
    # Sources unpacked inside some other repository do not take its commit.
    (repo / "src").mkdir()
    assert describe(repo / "src", out) == ""
