"""Ask bash, zsh and fish what kpipe's completion offers, the way an interactive shell
would: the completion files are found where each shell looks for them.

    bash_complete(words, env, script=None)  COMPREPLY for `words` (the last is completed);
                                            script: source this file, else bash-completion's
                                            own loader finds kpipe's (XDG_DATA_DIRS)
    zsh_complete(line, env, fpath)          what the terminal shows after one TAB (the
                                            completed line or the candidates), with `fpath`
                                            first on zsh's $fpath and compinit run
    fish_complete(line, env)                fish's candidates for `line` (complete -C),
                                            vendor completions found through XDG_DATA_DIRS
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")


def bash_complete(words: list[str], env: dict[str, str], script: Path | None = None) -> list[str]:
    load = f"source {script}" if script else f"source {BASH_COMPLETION} && __load_completion kpipe"
    program = (
        f"{load}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        "_kpipe; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    r = subprocess.run(["bash", "-c", program], capture_output=True, timeout=30, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode().split()


def zsh_complete(line: str, env: dict[str, str], fpath: Path, timeout: float = 20) -> str:
    pid, fd = pty.fork()
    if pid == 0:  # the child: an interactive zsh without any user's start-up files
        os.execve("/usr/bin/zsh", ["zsh", "-f", "-i"], {**env, "TERM": "dumb"})
    output = b""

    def read_until(pattern: bytes) -> bytes:
        nonlocal output
        deadline = time.monotonic() + timeout
        while pattern not in output and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    output += os.read(fd, 65536)
                except OSError:
                    break
        found, _, output = output.partition(pattern)
        return found

    try:
        os.write(fd, f"fpath=({fpath} $fpath); autoload -U compinit; compinit -u -D; "
                     "PS1=READY; print SETUP''DONE\n".encode())
        read_until(b"SETUPDONE")
        read_until(b"READY")
        # TAB, then the mark (echoed after the completed line), then Ctrl-U clears the line.
        os.write(fd, line.encode() + b"\t")
        time.sleep(0.5)
        os.write(fd, b"@@END\x15print EXIT''ED\n")
        edited = read_until(b"@@END")
        read_until(b"EXITED")
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)
    # What the terminal shows (the line, and candidates listed below it): escape sequences
    # and carriage returns dropped, backspaces applied.
    text = re.sub(rb"\x1b\[[0-9;?]*[a-zA-Z]|\r", b"", edited).decode(errors="replace")
    shown: list[str] = []
    for ch in text:
        if ch != "\b":
            shown.append(ch)
        elif shown:
            shown.pop()
    return "".join(shown)


def fish_complete(line: str, env: dict[str, str]) -> list[str]:
    r = subprocess.run(["fish", "-c", f"complete -C {line!r}"], capture_output=True, timeout=30, env=env)
    assert r.returncode == 0, r.stderr
    return [c.split("\t")[0] for c in r.stdout.decode().splitlines()]
