"""Suites side by side (runner --jobs N): each suite is a QEMU guest of its
own, with its own work dir, disks and sockets, so N of them can run at once;
most of a suite's time is the guest waiting (resets, timeouts, power cuts),
not the host's CPU.

While a suite runs in a worker thread, what it prints and every result it
adds are kept in its own log (a Unit); when it ends, the log is replayed in
one piece onto the real stdout and the run's Results, so each suite's lines
stay together and the TAP numbering stays one stream. Only a line when a
suite starts and when it ends is printed as it happens."""

import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed


class Unit:
    """One suite's log while it runs in a worker: text written to stdout and
    results added, in order; it stands in for Results (add only)."""

    def __init__(self, title):
        self.title = title
        self.events = []            # ("text", str) | ("result", status, desc, ok)
        self.boot_times = []
        self.seconds = 0.0

    def write_text(self, text):
        self.events.append(("text", text))

    def add(self, status, desc, ok=None):
        self.events.append(("result", status, desc, ok))

    def replay(self, out, results):
        for event in self.events:
            if event[0] == "text":
                out.write(event[1])
            else:
                out.flush()
                results.add(*event[1:])
        out.flush()


class _Router:
    """sys.stdout while workers run: a worker thread's text goes to its
    Unit, everything else (the main thread) to the real stdout."""

    def __init__(self, real):
        self.real = real
        self.local = threading.local()

    def write(self, text):
        unit = getattr(self.local, "unit", None)
        if unit is None:
            return self.real.write(text)
        unit.write_text(text)
        return len(text)

    def flush(self):
        if getattr(self.local, "unit", None) is None:
            self.real.flush()

    def __getattr__(self, name):
        return getattr(self.real, name)


def run_units(jobs, units, results):
    """Runs units, a list of (title, run(unit) -> boot times), jobs at a time,
    in the order given (put the longest first); each one's output and results
    land on stdout and in results when it ends. Returns every boot time."""
    real = sys.stdout
    router = _Router(real)
    lock = threading.Lock()

    def work(title, run):
        unit = Unit(title)
        router.local.unit = unit
        t0 = time.monotonic()
        with lock:
            real.write(f"# [jobs] started: {title}\n")
            real.flush()
        try:
            unit.boot_times = run(unit) or []
        except Exception:   # a runner bug in one suite must not lose the others' results
            unit.add("fail", f"{title}: the runner failed:\n" +
                     "".join("  | " + ln + "\n" for ln in traceback.format_exc().splitlines()))
        finally:
            router.local.unit = None
            unit.seconds = time.monotonic() - t0
        return unit

    boot_times = []
    sys.stdout = router
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(work, title, run) for title, run in units]
            for future in as_completed(futures):
                unit = future.result()
                with lock:
                    real.write(f"# [jobs] ended: {unit.title} ({unit.seconds:.0f} s); its log:\n")
                    unit.replay(real, results)
                boot_times += unit.boot_times
    finally:
        sys.stdout = real
    return boot_times
