"""Results: every result of a run, numbered in one TAP stream, whether it came
from a guest test, a host test or the runner itself; tap_status() reads one
TAP result line; TestPhase keeps what one test (phase) planned and reported."""

import re
import time
from dataclasses import dataclass, field
from typing import Optional

TAP_RE = re.compile(r"^(not ok|ok)\b(?:\s+\d+)?\s*(?:-\s*)?(.*)$")
TODO_RE = re.compile(r"#\s*TODO\b", re.I)
TRAILING_TODO_RE = re.compile(r"\s*#\s*TODO\s+(.*?)\s*$", re.I)


@dataclass
class Results:
    """Every result: pass, fail, skip, or todo (recorded, not required: a
    "# TODO" directive, used for upstream megaraid_sas where it lacks a
    feature the issue asks of lsi3108); a todo result keeps its ok/not ok."""
    items: list = field(default_factory=list)      # (status, description, ok)

    def add(self, status, desc, ok=None):
        ok = status != "fail" if ok is None else ok
        head, details, todo = one_line(desc)
        directive = ""
        if status == "skip" and "# SKIP" not in head:
            directive = " # SKIP"
        elif status == "todo" and not TODO_RE.search(head):
            directive = f" # TODO {todo or 'recorded'}"
        self.items.append((status, head + directive, ok))
        word = "ok" if ok else "not ok"
        print(f"{word} {len(self.items)} - {head}{directive}", flush=True)
        for line in details:
            print(line if line.startswith("  |") else f"  | {line}", flush=True)

    def count(self, status, ok=None):
        return sum(1 for s, _, o in self.items if s == status and (ok is None or o == ok))


def one_line(desc):
    """(the result line's text, the detail lines after it, the reason of a
    TODO directive written at the end of the details or None) of a
    description that may span lines (a console tail, say): TAP reads a result
    and its directive off one line, so add() moves the directive there."""
    head, *details = desc.split("\n")
    todo = None
    if details:
        last = TRAILING_TODO_RE.search(details[-1])
        if last:
            todo = last.group(1)
            details[-1] = details[-1][:last.start()]
            details = [d for d in details if d.strip()]
    return head, details, todo


def tap_status(line):
    """('pass'|'fail'|'skip'|'todo', description, ok) for a TAP result line, else None."""
    m = TAP_RE.match(line)
    if not m:
        return None
    desc, ok = m.group(2), m.group(1) == "ok"
    if TODO_RE.search(desc):
        return "todo", desc, ok
    if not ok:
        return "fail", desc, ok
    if re.search(r"#\s*SKIP", desc, re.I):
        return "skip", desc, ok
    return "pass", desc, ok


@dataclass
class TestPhase:
    """One test (or one phase of it, between power cuts) while it runs."""
    name: str
    phase: str
    plan: Optional[int] = None
    results: int = 0
    fails: int = 0
    limit: Optional[float] = None   # seconds, from the test's LIMIT line
    started: float = field(default_factory=time.monotonic)

    def record(self, ok):
        self.results += 1
        self.fails += not ok

    def problems(self, rc, check_plan=True):
        """What the runner holds against the test when it ended with exit
        status rc (None: unknown): it reported nothing, it did not keep its
        plan, or it failed without saying so in a result."""
        found = []
        if self.results == 0:
            found.append(f"reported no result (exit status {rc})")
        elif check_plan and self.plan is not None and self.results != self.plan:
            found.append(f"planned {self.plan} results, reported {self.results}")
        if rc not in (None, 0) and self.fails == 0:
            found.append(f"exited with status {rc} without a failing result")
        return found
