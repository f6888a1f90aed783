"""Host-side tests: every executable tests/host/*.sh, run on the host, in
name order, before the guest suites when the runner is given --host-tests
(make check does). They test what the host side of the project does (the
scripts that fetch sources and build the bench), where no guest is needed.

A host test is a TAP producer on its stdout:
  1..N                        the plan (optional; when given, it must match)
  ok N - text / not ok N - text, with the `# SKIP why` and `# TODO why`
                              directives read as for guest results
  # text                      a diagnostic, printed as it comes
  Bail out! text              a failure that ends the test's TAP
Other lines are shown with -v. Its results join the one Results list,
numbered with the guest's and prefixed `[host] NN-name:` (so a description
need not name the test). The rules for a guest test hold: at least one
result, the plan kept, and a non-zero exit status only with a `not ok`.
Its stderr is shown when anything about it failed. It runs in the checkout's
top directory, stdin /dev/null, in its own process group, which is killed
after --timeout seconds."""

import os
import re
import signal
import subprocess
import tempfile
import threading
import time

from . import TOP
from .results import TestPhase, tap_status

HOST_DIR = TOP / "tests/host"
PLAN_RE = re.compile(r"^1\.\.(\d+)\s*(?:#.*)?$")
BAIL_RE = re.compile(r"^Bail out!\s*(.*)$")
STDERR_LINES = 40       # the end of a failed test's stderr that is shown


def host_tests(directory=HOST_DIR):
    """The executable *.sh in tests/host, in name order."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.sh") if p.is_file() and os.access(p, os.X_OK))


def run_host_tests(results, timeout, verbose=False):
    """Runs every host test; its results go into results."""
    tests = host_tests()
    print(f"# host tests: {len(tests)} in {HOST_DIR.relative_to(TOP)}/", flush=True)
    for path in tests:
        HostTest(path, results, timeout, verbose).run()


class HostTest:
    """One run of one host test script."""

    def __init__(self, path, results, timeout, verbose):
        self.path = path
        self.results = results
        self.timeout = timeout
        self.verbose = verbose
        self.current = TestPhase(path.stem, "host")
        self.where = f"[host] {path.stem}"
        self.timed_out = False
        self.failed = 0         # results that failed (a recorded "not ok" is no failure)

    def run(self):
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen([str(self.path)], cwd=TOP, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=err, encoding="utf-8",
                                    errors="replace", start_new_session=True)
            timer = threading.Timer(self.timeout, self.kill, (proc,))
            timer.start()
            try:
                for line in proc.stdout:
                    self.take(line.rstrip("\r\n"))
                rc = proc.wait()
            finally:
                timer.cancel()
                if proc.poll() is None:         # interrupted: leave nothing behind
                    self.kill(proc)
                proc.stdout.close()
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
        self.close(None if self.timed_out else rc, stderr)

    def kill(self, proc):
        """The whole process group: what the script started goes with it."""
        self.timed_out = proc.poll() is None
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()

    def take(self, line):
        """One line of the test's stdout."""
        parsed = tap_status(line)
        if parsed:
            status, desc, ok = parsed
            self.results.add(status, f"{self.where}: {desc}", ok)
            self.current.record(ok)
            self.failed += status == "fail"
        elif PLAN_RE.match(line):
            self.current.plan = int(PLAN_RE.match(line).group(1))
        elif BAIL_RE.match(line):
            self.results.add("fail", f"{self.where}: Bail out! {BAIL_RE.match(line).group(1)}")
            self.current.record(False)
            self.failed += 1
        elif line.startswith("#"):
            print(f"# {self.where}: {line.lstrip('# ')}", flush=True)
        elif self.verbose:
            print(f"# {self.where} | {line}", flush=True)

    def close(self, rc, stderr):
        """The checks of a finished test, and its stderr if anything failed."""
        t = self.current
        print(f"# {self.where}: {time.monotonic() - t.started:.1f} s", flush=True)
        problems = t.problems(rc)
        if self.timed_out:
            problems.insert(0, f"no end within {self.timeout:g} s: killed")
        for problem in problems:
            self.results.add("fail", f"{self.where}: {problem}")
        if problems or self.failed:
            lines = stderr.rstrip().splitlines()[-STDERR_LINES:]
            print(f"# {self.where}: its stderr:\n" +
                  ("\n".join("  | " + ln for ln in lines) or "  (empty)"), flush=True)
