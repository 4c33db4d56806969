"""Processes by /proc: who descends from whom, which session they are in, whether they still run."""

from __future__ import annotations

import time
from pathlib import Path


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, session id) of a process, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[3])


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped counts as gone)."""
    found = _stat(pid)
    return found is not None and found[0] != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def live_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and alive(int(p.name))]


def descendants(root: int) -> dict[int, str]:
    """pid -> command line of every live process below ``root``."""
    children: dict[int, list[int]] = {}
    for pid in live_pids():
        found = _stat(pid)
        if found:
            children.setdefault(found[1], []).append(pid)
    result, todo = {}, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        result[pid] = command_line(pid)
        todo.extend(children.get(pid, []))
    return result


def session_members(sessions: set[int]) -> dict[int, str]:
    """pid -> command line of every live process in one of ``sessions``."""
    found = {}
    for pid in live_pids():
        stat = _stat(pid)
        if stat and stat[2] in sessions:
            found[pid] = command_line(pid)
    return found


def session_of(pid: int) -> int | None:
    found = _stat(pid)
    return found[2] if found else None


def wait_until(condition, seconds: float, interval: float = 0.2):
    """The first truthy value of ``condition()`` within ``seconds``, else the last (falsy) one."""
    deadline = time.monotonic() + seconds
    value = condition()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = condition()
    return value
