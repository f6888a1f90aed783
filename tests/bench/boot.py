"""One boot: a QEMU run of the guest, from its command line to its end.

The runner listens on the control socket before it starts QEMU, which
connects to it as the guest's second serial port (ttyS1). The guest sends
lines (BOOT, TESTS, BEGIN, PLAN, LIMIT, TAP, END, REQ, DONE: see
docs/testing.md); the runner answers each REQ with a REP, reading and
setting the model's properties over QMP, and serves the requests that end
the boot: a power cut, a clean shutdown, a restart after a hang. Every boot
ends in a BootOutcome that says how, and with which tests to go on."""

import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .layout import cmdline_words, controller_args, machine_args
from .qmp import Qmp, QmpError, json_text, parse_value, qom_path
from .results import TestPhase, tap_status

CTRL_QOM = "/machine/peripheral/mr0"
SHUTDOWN_COUNTERS = ("x-cache-flush-dcmd-count", "x-dirty-bytes", "x-flush-count")
WAKE_REPEAT_S = 2       # the "wake" request's WAKE line, until the guest's next request


class StartError(Exception):
    """QEMU did not come up (bad command line, missing device, crash)."""


class RequestError(Exception):
    """A guest request the host cannot serve; its text goes back in the REP."""


@dataclass
class BootOutcome:
    kind: str                       # done | powercut | shutdown | restart | died | timeout | stalled | interactive
    tests: str = ""                 # for the next boot
    phase: str = "1"


def qemu_memory(pid):
    """'rss_kb=N peak_kb=N' of the QEMU process (VmRSS, VmHWM of /proc/PID/status):
    what the guest's memory-bound tests (81-bounds) check."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = value.split()[0]
    if len(fields) != 2:
        raise RequestError(f"no VmRSS/VmHWM in /proc/{pid}/status")
    return f"rss_kb={fields['VmRSS']} peak_kb={fields['VmHWM']}"


class Boot:
    """One QEMU run: serves the control channel until the guest is done or gone."""

    def __init__(self, suite, number, tests, phase):
        self.suite = suite
        self.number = number
        self.tests = tests
        self.phase = phase
        self.console = suite.workdir / f"console-{suite.driver}-{number}.log"
        self.stderr = suite.workdir / f"qemu-{suite.driver}-{number}.err"
        self.ctl_path = suite.workdir / "ctl.sock"
        self.qmp_path = suite.workdir / "qmp.sock"
        self.proc = None
        self.qmp = None
        self.conn = None
        self.buf = b""
        self.current: Optional[TestPhase] = None
        self.planned_tests = []
        self.ctrl_props = None
        self.started = 0.0
        self.last_progress = 0.0        # start, or the last BEGIN/END: --timeout runs from here
        self.wake_at = None             # when to send the next WAKE (the "wake" request)
        self.booted = False

    # --- QEMU
    def qemu_command(self):
        s = self.suite
        machine, kernel_extra = machine_args(s.args.machine_variant)
        params = dict(s.params, tests=self.tests, phase=self.phase)
        if s.args.interactive:
            params["shell"] = "1"
        if s.args.run:
            params["run"] = s.args.run
        kernel, initrd, system_append, system_args = s.boot_files(self.number)
        # no_timer_check: the kernel's IO-APIC timer check counts timer ticks
        # against a busy loop, which a loaded TCG host (suites side by side,
        # other guests) can fail, and then panics ("IO-APIC + timer doesn't
        # work!"); virtual machines' kernels skip it (as Debian's cloud images do).
        append = ["console=ttyS0", "tsc=reliable", "no_timer_check", "panic=-1",
                  "printk.time=1"] + kernel_extra
        append += system_append + s.args.append + cmdline_words(params)
        console = "mon:stdio" if s.args.interactive else f"file:{self.console}"
        return ([s.args.qemu, "-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", "2G"] + machine +
                ["-nodefaults", "-nographic", "-no-reboot",
                 "-kernel", str(kernel), "-initrd", str(initrd)] + system_args +
                ["-append", " ".join(append),
                 "-serial", console,
                 "-chardev", f"socket,id=ctl,path={self.ctl_path}",
                 "-serial", "chardev:ctl",
                 "-qmp", f"unix:{self.qmp_path},server=on,wait=off"] +
                controller_args(s.ctrl, s.lds, s.workdir, s.args.controller_opts))

    def start(self):
        for p in (self.ctl_path, self.qmp_path):
            p.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.ctl_path))
        listener.listen(1)
        cmd = self.qemu_command()
        (self.suite.workdir / f"qemu-{self.suite.driver}-{self.number}.cmd").write_text(
            " ".join(cmd) + "\n")
        self.started = self.last_progress = time.monotonic()
        interactive = self.suite.args.interactive
        with open(self.stderr, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdin=None if interactive else subprocess.DEVNULL,
                                         stderr=None if interactive else err)
        try:
            self.conn = self.accept_control(listener)
        finally:
            listener.close()
        self.conn.setblocking(False)
        try:
            self.qmp = Qmp(self.qmp_path, self.proc)
        except QmpError as e:
            raise StartError(str(e))

    def accept_control(self, listener, timeout=30):
        """QEMU connects to the control socket while it starts, or it failed to start."""
        listener.settimeout(0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return listener.accept()[0]
            except socket.timeout:
                if self.proc.poll() is not None:
                    raise StartError(f"QEMU exited with status {self.proc.returncode} "
                                     f"before connecting to the control socket")
        raise StartError(f"QEMU did not connect to the control socket {self.ctl_path} "
                         f"within {timeout} s")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        if self.qmp:
            self.qmp.close()
        if self.conn:
            self.conn.close()

    # --- control channel
    def send(self, line):
        """Best effort: if the guest is gone, the main loop notices."""
        try:
            self.conn.setblocking(True)
            self.conn.sendall(line.encode() + b"\n")
            self.conn.setblocking(False)
        except OSError as e:
            print(f"# [{self.suite.driver}] could not send '{line}': {e}", flush=True)

    def read_lines(self):
        try:
            data = self.conn.recv(65536)
        except BlockingIOError:
            return []
        except OSError:                 # reset by QEMU exiting (a guest panic)
            data = b""
        if not data:
            return None
        self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        return [ln.decode("utf-8", "replace").rstrip("\r") for ln in lines]

    def run(self):
        try:
            self.start()
        except StartError as e:
            self.kill()
            return self.fail_boot("died", f"QEMU did not start: {e}", "its stderr:\n" + self.stderr_text())
        timeout = None if self.suite.args.interactive else self.suite.args.timeout
        sel = selectors.DefaultSelector()
        sel.register(self.conn, selectors.EVENT_READ)
        console_pos = 0
        try:
            while True:
                if self.suite.args.run:
                    console_pos = self.echo_console(console_pos)
                now = time.monotonic()
                if timeout and now - self.last_progress > timeout:
                    where = "test (phase)" if self.current else "boot step"
                    return self.fail_boot("timeout", f"no end of the {where} within {timeout} s")
                if self.current and self.current.limit and now - self.current.started > self.current.limit:
                    return self.fail_boot("timeout", f"exceeded its own limit of {self.current.limit:g} s")
                if timeout and not self.booted and time.monotonic() - self.started > self.suite.args.boot_stall:
                    return self.stalled()
                sel.select(timeout=0.1 if self.wake_at else 0.5)
                self.send_wakes()
                exited = self.proc.poll() is not None
                lines = self.read_lines()
                for line in lines or []:
                    outcome = self.handle(line)
                    if outcome:
                        return outcome
                if lines is None or (exited and not lines):
                    return self.fail_boot("died", f"guest died (QEMU exited with status {self.proc.wait()})")
        finally:
            sel.close()
            self.kill()

    # --- messages from the guest
    def handle(self, line):
        kind, _, rest = line.partition(" ")
        handler = {"BOOT": self.on_boot, "TESTS": self.on_tests, "BEGIN": self.on_begin,
                   "PLAN": self.on_plan, "LIMIT": self.on_limit, "TAP": self.on_tap, "END": self.on_end,
                   "REQ": self.on_req, "DONE": self.on_done}.get(kind)
        if handler is None:
            print(f"guest(ctl): {line}", flush=True)
            return None
        return handler(rest)

    def stalled(self):
        """
        The guest kernel stopped before /init (seen once in CI, under TCG, in
        early boot: no module of ours was loaded yet). Record where the vCPUs
        were and let the suite start this boot again.
        """
        try:
            where = self.qmp.cmd("human-monitor-command", **{"command-line": "info registers -a"})
            rips = re.findall(r"RIP=([0-9a-f]+)", where)
            state = self.qmp.cmd("query-status").get("status")
        except (QmpError, OSError) as e:
            rips, state = [], f"QMP failed: {e}"
        self.suite.stalls.append(f"boot {self.number}: no /init after {self.suite.args.boot_stall} s, "
                                 f"VM {state}, vCPU RIPs {' '.join(rips) or '?'}; "
                                 f"console tail:\n{self.console_tail(8)}")
        print(f"# [{self.suite.driver}] {self.suite.stalls[-1]}", flush=True)
        return BootOutcome("stalled", tests=self.tests, phase=self.phase)

    def on_boot(self, rest):
        self.booted = True
        wall = time.monotonic() - self.started
        self.suite.boot_times.append(wall)
        print(f"# [{self.suite.driver}] boot {self.number}: /init after {wall:.2f} s "
              f"(guest uptime {rest} s); tests={self.tests} phase={self.phase}", flush=True)

    def on_tests(self, rest):
        self.planned_tests = [t for t in rest.split(",") if t]

    def on_begin(self, rest):
        if self.current:
            self.close_test(None, "began the next test without END")
        name, _, phase = rest.partition(" ")
        self.current = TestPhase(name, phase or "1")
        self.last_progress = time.monotonic()

    def on_plan(self, rest):
        if self.current and rest.strip().isdigit():
            self.current.plan = int(rest)

    def on_limit(self, rest):
        """LIMIT <s>: the test (phase) fails, and the boot ends, if it runs longer."""
        if self.current and rest.strip().isdigit():
            self.current.limit = float(rest)

    def on_tap(self, rest):
        parsed = tap_status(rest)
        if parsed is None:
            if rest.startswith("#"):
                print(f"# [{self.suite.driver}] {rest.lstrip('# ')}", flush=True)
            return None
        status, desc, ok = parsed
        self.suite.results.add(status, f"[{self.suite.driver}] {desc}", ok)
        if self.current:
            self.current.record(ok)
        return None

    def on_end(self, rest):
        _, _, rc = rest.partition(" ")
        self.close_test(int(rc) if rc.strip().lstrip("-").isdigit() else None)
        self.last_progress = time.monotonic()
        return None

    def on_done(self, _):
        return BootOutcome("interactive" if self.suite.args.interactive else "done")

    def close_test(self, rc, why=None, check_plan=True):
        """Checks that a test (phase) reported what it planned and exited 0 when it passed."""
        t, self.current = self.current, None
        if t is None:
            return
        where = f"[{self.suite.driver}] {t.name} (phase {t.phase})"
        print(f"# {where}: {time.monotonic() - t.started:.1f} s", flush=True)
        if why:
            self.suite.fail(t.name, f"{where}: {why}")
        for problem in t.problems(rc, check_plan):
            self.suite.fail(t.name, f"{where}: {problem}")
        self.suite.finished_tests.add(t.name)

    def fail_boot(self, kind, why, details=None):
        """The guest died or hung: fail the running test (or the boot) and say where to go on."""
        details = details if details is not None else "console tail:\n" + self.console_tail()
        if self.current:
            t, self.current = self.current, None
            self.suite.fail(t.name, f"[{self.suite.driver}] {t.name} (phase {t.phase}): "
                                    f"{why} during the test; {details}")
            self.suite.finished_tests.add(t.name)
        else:
            self.suite.results.add("fail", f"[{self.suite.driver}] boot {self.number} "
                                           f"(tests={self.tests} phase={self.phase}): {why}; {details}")
        rest = [t for t in self.planned_tests if t not in self.suite.finished_tests]
        return BootOutcome(kind, tests=",".join(rest))

    def echo_console(self, pos):
        """Copies new console output to stdout (for --run); returns the new position."""
        try:
            with open(self.console, "rb") as f:
                f.seek(pos)
                data = f.read()
        except OSError:
            return pos
        sys.stdout.write(data.decode("utf-8", "replace"))
        sys.stdout.flush()
        return pos + len(data)

    def stderr_text(self):
        try:
            text = self.stderr.read_text(errors="replace").strip()
        except OSError:
            text = ""
        return "\n".join("  | " + ln for ln in text.splitlines()[-15:]) or "  (empty)"

    def console_tail(self, n=25):
        try:
            lines = self.console.read_text(errors="replace").splitlines()
        except OSError:
            return "  (no console log)"
        return "\n".join("  | " + ln for ln in lines[-n:])

    # --- host requests
    def on_req(self, rest):
        rid, _, command = rest.partition(" ")
        words = command.split(" ")
        name, args = words[0], words[1:]
        self.wake_at = None             # the guest is awake: no more WAKE lines
        if name in ("powercut", "shutdown", "restart"):
            try:
                return {"powercut": self.powercut, "shutdown": self.shutdown,
                        "restart": self.restart}[name](rid, args)
            except QmpError as e:
                return self.fail_boot("died", f"{name} request failed: {e}")
        try:
            text = self.host_command(name, args)
            status = "ok"
        except (QmpError, RequestError) as e:
            status, text = "err", str(e)
        text = str(text).rstrip().replace("\r", "").replace("\n", "\\n")
        if self.suite.args.verbose:
            print(f"# [{self.suite.driver}] REQ {command} -> {status} {text}", flush=True)
        self.send(f"REP {rid} {status} {text}")
        return None

    def send_wakes(self):
        """A WAKE line when a "wake" request's time has come: input on the
        control serial port wakes a guest in s2idle when the port is an enabled
        wakeup source. (QEMU's RTC alarm wakes only a guest QEMU itself
        suspended, S3; s2idle keeps the VM running, so rtcwake's alarm cannot.)
        Repeated every 2 s until the guest's next request: a line that came
        while the guest was still on its way into suspend wakes nothing."""
        if self.wake_at and time.monotonic() >= self.wake_at:
            self.wake_at += WAKE_REPEAT_S
            self.send("WAKE")

    def host_command(self, name, args):
        if name == "ping":
            return "pong"
        if name == "wake" and len(args) == 1 and args[0].isdigit():
            self.wake_at = time.monotonic() + int(args[0]) / 1000
            return f"WAKE in {args[0]} ms, then every {WAKE_REPEAT_S:g} s until the next request"
        if name == "qom-get" and len(args) == 2:
            return json_text(self.qmp.cmd("qom-get", path=qom_path(args[0]), property=args[1]))
        if name == "qom-list" and len(args) == 1:
            return " ".join(sorted(p["name"] for p in self.qmp.cmd("qom-list", path=qom_path(args[0]))))
        if name == "qom-set" and len(args) == 3:
            self.qmp.cmd("qom-set", path=qom_path(args[0]), property=args[1],
                         value=parse_value(args[2]))
            return "done"
        if name == "rss" and not args:
            return qemu_memory(self.proc.pid)
        if name == "rss-reset" and not args:
            # "5" resets the peak (VmHWM) to the current RSS (proc(5), clear_refs)
            Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")
            return qemu_memory(self.proc.pid)
        if name == "hmp" and args:
            return self.qmp.cmd("human-monitor-command", **{"command-line": " ".join(args)})
        if name == "put" and len(args) >= 2:
            self.suite.store[args[0]] = " ".join(args[1:])
            return "stored"
        if name == "get" and len(args) == 1:
            if args[0] not in self.suite.store:
                raise RequestError(f"no value stored under '{args[0]}'")
            return self.suite.store[args[0]]
        raise RequestError(f"unknown request or wrong arguments: {name} {' '.join(args)}")

    def controller_props(self):
        if self.ctrl_props is None:
            try:
                self.ctrl_props = {p["name"] for p in self.qmp.cmd("qom-list", path=CTRL_QOM)}
            except QmpError:
                self.ctrl_props = set()
        return self.ctrl_props

    def continuation(self, args):
        """(test, phase, remaining tests) from 'powercut|shutdown <test> <phase> <remaining>'."""
        if len(args) < 2:
            raise RequestError("expected <test> <phase> [<remaining tests>]")
        remaining = args[2] if len(args) > 2 and args[2] else args[0]
        return args[0], args[1], remaining

    def powercut(self, rid, args):
        try:
            test, phase, remaining = self.continuation(args)
        except RequestError as e:
            self.send(f"REP {rid} err {e}")
            return None
        cut = "x-power-cut" in self.controller_props()
        if cut:
            self.qmp.cmd("qom-set", path=CTRL_QOM, property="x-power-cut", value=True)
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        how = "power-cut property set, then SIGKILL" if cut else "SIGKILL (no power-cut property)"
        print(f"# [{self.suite.driver}] power cut in {test}: {how}; next boot: {remaining} phase {phase}",
              flush=True)
        self.close_test(None)
        return BootOutcome("powercut", tests=remaining, phase=phase)

    def restart(self, rid, args):
        """restart <test> [<remaining tests>]: the test found the guest wedged
        (a task stuck in the kernel) and reported it; SIGKILL QEMU and boot
        again with the tests after it, so they do not inherit the hang."""
        if not args:
            self.send(f"REP {rid} err expected <test> [<remaining tests>]")
            return None
        remaining = args[1] if len(args) > 1 else ""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        print(f"# [{self.suite.driver}] {args[0]} found the guest wedged: restarting it"
              f"{' with ' + remaining if remaining else ''}", flush=True)
        self.close_test(None, check_plan=False)
        return BootOutcome("restart", tests=remaining)

    def shutdown(self, rid, args):
        try:
            test, phase, remaining = self.continuation(args)
        except RequestError as e:
            self.send(f"REP {rid} err {e}")
            return None
        # Keep QEMU (paused) after the guest powers off, to read the counters.
        self.qmp.cmd("set-action", shutdown="pause")
        self.send(f"REP {rid} ok powering off")
        deadline = time.monotonic() + 120
        while self.qmp.cmd("query-status").get("status") != "shutdown":
            if self.proc.poll() is not None or time.monotonic() > deadline:
                return self.fail_boot("died", "guest did not power off within 120 s of the request")
            time.sleep(0.2)
        for prop in SHUTDOWN_COUNTERS:
            if prop in self.controller_props():
                value = self.qmp.cmd("qom-get", path=CTRL_QOM, property=prop)
                self.suite.store[f"shutdown.{prop}"] = json_text(value)
                print(f"# [{self.suite.driver}] at power-off: {prop} = {value}", flush=True)
        self.close_test(None)
        return BootOutcome("shutdown", tests=remaining, phase=phase)
