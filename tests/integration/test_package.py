"""The Debian package (scripts/package): installed with dpkg into a scratch root, it brings
the binary, every man page and the bash, zsh and fish completions where man and each shell
find them, its dependencies are met by Debian's packages, lintian has nothing to say, and
it removes cleanly.

scripts/test builds the package and sets KPIPE_DEB; by hand: `scripts/package build`,
then KPIPE_DEB=build/kpipe_VERSION-1_ARCH.deb (default: the one .deb in build/).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import kafkautil
import pytest
import shells

# What Debian's own tools need on PATH (dpkg looks for ldconfig and start-stop-daemon).
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


@pytest.fixture(scope="module")
def deb() -> Path:
    if os.environ.get("KPIPE_DEB"):
        return Path(os.environ["KPIPE_DEB"])
    found = sorted((kafkautil.REPO_ROOT / "build").glob("kpipe_*.deb"))
    if len(found) != 1:
        pytest.fail(f"need one kpipe .deb in build/, found {len(found)}: run `scripts/package build` "
                    "(scripts/test does) or set KPIPE_DEB", pytrace=False)
    return found[0]


def project_version() -> str:
    text = (kafkautil.REPO_ROOT / "CMakeLists.txt").read_text()
    return re.search(r"project\(kpipe VERSION (\S+)", text).group(1)


def dpkg(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["dpkg", f"--root={root}", "--log=/dev/null", *args], capture_output=True,
                          text=True, timeout=120, env={"PATH": SYSTEM_PATH})


@pytest.fixture(scope="module")
def installed(deb: Path, tmp_path_factory) -> Path:
    """A scratch root with an empty package database and the package installed by dpkg.
    Its dependencies are the host's libraries (test_dependencies_are_met checks them)."""
    root = tmp_path_factory.mktemp("root")
    admin = root / "var" / "lib" / "dpkg"
    for sub in ("info", "updates", "triggers"):
        (admin / sub).mkdir(parents=True)
    for name in ("status", "available"):
        (admin / name).touch()
    r = dpkg(root, "--force-depends", "-i", str(deb))
    assert r.returncode == 0, r.stdout + r.stderr
    return root


def test_control_fields(deb):
    fields = subprocess.run(["dpkg-deb", "--field", str(deb)], capture_output=True, text=True,
                            check=True).stdout
    control = dict(re.findall(r"^(\S+): (.*)$", fields, re.M))
    assert control["Package"] == "kpipe"
    assert control["Version"] == f"{project_version()}-1"
    assert control["Section"] == "net" and control["Priority"] == "optional"
    assert control["Maintainer"]
    assert control["Description"].startswith("pipe JSON events between the shell and Apache Kafka")
    assert "\n  * lag: consumer-group lag" in fields  # the extended description
    # Computed from the binary by dpkg-shlibdeps, with versions.
    depends = {d.split(" ")[0] for d in control["Depends"].split(", ")}
    assert {"libc6", "librdkafka1", "libjq1", "libssl3", "libstdc++6"} <= depends, depends
    assert re.search(r"librdkafka1 \(>= [0-9.]+\)", control["Depends"])


def test_dependencies_are_met_by_the_system(deb):
    # apt resolves the package's Depends against this machine without installing it.
    r = subprocess.run(["apt-get", "install", "--simulate", "--no-install-recommends", str(deb)],
                       capture_output=True, text=True, timeout=120, env={"PATH": SYSTEM_PATH})
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^Inst kpipe ", r.stdout, re.M), r.stdout


def test_lintian_is_clean(deb):
    r = subprocess.run(["lintian", "--fail-on", "error,warning", str(deb)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not re.search(r"^[EW]: ", r.stdout, re.M), r.stdout


def test_installed_binary_reports_its_version(installed):
    r = subprocess.run([str(installed / "usr/bin/kpipe"), "--version"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"kpipe {project_version()}")
    assert re.search(r"^librdkafka 2\.\S+ \(.*ssl", r.stdout, re.M), r.stdout


def test_every_man_page_is_installed_compressed_and_found_by_man(installed):
    pages = sorted(p.stem for p in (kafkautil.REPO_ROOT / "man").glob("*.1"))
    assert "kpipe-consume" in pages
    man1 = installed / "usr/share/man/man1"
    for page in pages:
        r = subprocess.run(["man", "-w", page], capture_output=True, text=True, timeout=30,
                           env={"PATH": SYSTEM_PATH, "MANPATH": str(installed / "usr/share/man")})
        assert r.returncode == 0, (page, r.stderr)
        assert r.stdout.strip() == str(man1 / f"{page}.1.gz")
    # gzip -9n: no file name or time stamp in the header.
    header = (man1 / "kpipe-consume.1.gz").read_bytes()[:10]
    assert header[3] & 0x08 == 0 and header[4:8] == b"\0\0\0\0" and header[8] == 2


def test_completions_load_where_each_shell_looks(installed, tmp_path):
    share = installed / "usr/share"
    for path in ("bash-completion/completions/kpipe", "zsh/vendor-completions/_kpipe",
                 "fish/vendor_completions.d/kpipe.fish"):
        assert (share / path).is_file(), path
    env = {"PATH": f"{installed / 'usr/bin'}:{SYSTEM_PATH}", "HOME": str(tmp_path),
           "XDG_DATA_DIRS": f"{share}:/usr/share"}
    # bash-completion's loader finds it in its completionsdir below XDG_DATA_DIRS.
    assert shells.bash_complete(["kpipe", "top"], env) == ["topics"]
    # Debian's zsh has /usr/share/zsh/vendor-completions on $fpath.
    assert "kpipe topics " in shells.zsh_complete("kpipe top", env, share / "zsh/vendor-completions")
    # fish reads vendor_completions.d below each XDG_DATA_DIRS entry.
    assert shells.fish_complete("kpipe top", env) == ["topics"]


def test_removes_cleanly(installed):
    assert (installed / "usr/bin/kpipe").exists()
    r = dpkg(installed, "--purge", "kpipe")
    assert r.returncode == 0, r.stdout + r.stderr
    left = [p for p in installed.rglob("*") if not p.is_relative_to(installed / "var/lib/dpkg")]
    assert left in ([], [installed / "var", installed / "var/lib"]), left
    r = dpkg(installed, "--status", "kpipe")
    assert r.returncode != 0 or "Status: deinstall ok not-installed" in r.stdout
