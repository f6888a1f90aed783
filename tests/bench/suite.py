"""One suite: every boot of the test list for one driver on one bench
variant, on one set of disks. A boot that ends early (a power cut, a clean
shutdown, a restart after a hang, a guest that died) is followed by the next
with the tests it had left; at the end every boot's console is scanned for
kernel warnings."""

import re

from .boot import Boot
from .expect import expectations
from .layout import (CONTROLLERS, LAYOUTS, create_disks, create_pd_disks, expand_tests,
                     layout_pds, lsi_params)

MAX_BOOTS = 40          # per suite: power cuts (65-powercut-rounds alone makes 20) and restarts
MAX_STALL_RETRIES = 2   # per suite: such a boot is started again, with the same tests
# Kernel log lines that fail the test that was running. Besides oopses,
# warnings and IOMMU faults: the debug kernel's checkers (debug-kernel.sh).
# Most of their reports start with a WARNING: or BUG: line (lockdep,
# DMA-API, debug objects, KFENCE, sleeping in atomic context); these name
# the rest: KASAN, a debug-objects or DMA-API report line, a kmemleak scan
# that found leaks (and /init's copy of its report), an RCU stall, UBSAN,
# and the DMA-API checker giving up for want of entries.
BAD_KLOG = re.compile(r"WARNING:|BUG:|Oops|general protection|KASAN|hung task|"
                      r"blocked for more than|Call Trace|Kernel panic|"
                      r"DMAR: \[DMA|DMAR:.*fault|IO_PAGE_FAULT|"
                      r"ODEBUG: .*object|DMA-API: .*device driver|DMA-API: debugging out of memory|"
                      r"suspected memory leak|unreferenced object|detected stalls?\b|UBSAN:|"
                      r"possible circular locking|inconsistent lock state")
KLOG_LINE = re.compile(r"^\[\s*\d+\.\d+\] ")
INIT_TEST_LINE = re.compile(r"init: === (\S+) \(phase")


class Suite:
    """All boots of the test list for one driver, on one set of disks."""

    def __init__(self, args, driver, vmlinux, initrd, results, workdir):
        self.args = args
        self.driver = driver
        self.vmlinux = vmlinux
        self.initrd = initrd
        self.results = results
        self.workdir = workdir
        self.ctrl = CONTROLLERS[args.controller]
        self.lds = LAYOUTS[args.layout]
        expect = expectations(args.controller, driver, args.controller_opts)
        expect.update(dict(kv.split("=", 1) for kv in args.expect))
        if driver in getattr(args, "record_only", ()):
            # Every result of this driver on this kernel is recorded, none counted.
            expect["todo"] = expand_tests(args.tests, driver)
        self.params = lsi_params(driver, self.ctrl, self.lds, expect, args.machine_variant)
        # Tests whose results are recorded, not required, for this driver.
        self.todo = {t for t in expect.get("todo", "").split(",") if t}
        self.store = {}
        self.boot_times = []
        self.finished_tests = set()
        self.stalls = []

    def run(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.create_disks()
        tests, phase = self.first_tests(), "1"
        extra = getattr(self.args, "lsi3108_tests", "") if self.driver == "lsi3108" else ""
        tests = ",".join(t for t in (tests, extra) if t)
        for number in range(1, MAX_BOOTS + 1):
            outcome = Boot(self, number, tests, phase).run()
            if outcome.kind == "stalled" and len(self.stalls) > MAX_STALL_RETRIES:
                self.results.add("fail", f"[{self.driver}] guest kernel stalled before /init "
                                         f"{len(self.stalls)} times:\n" + "\n".join(self.stalls))
                break
            if outcome.kind in ("done", "interactive") or not outcome.tests:
                break
            tests, phase = outcome.tests, outcome.phase
        else:
            self.results.add("fail", f"[{self.driver}] suite still not done after {MAX_BOOTS} boots")
        if not self.args.interactive:
            self.check_console_logs()

    def create_disks(self):
        create_disks(self.lds, self.workdir)
        create_pd_disks(layout_pds(self.ctrl, self.lds), self.workdir)

    def first_tests(self):
        return expand_tests(self.args.tests, self.driver)

    def boot_files(self, number):
        """(kernel, initramfs, extra kernel parameters, extra QEMU arguments) of boot <number>:
        the bench's own for every boot (the Debian system's suite reads them off its disk)."""
        return self.vmlinux, self.initrd, [], []

    def fail(self, test, desc):
        """A failure the runner finds (not a guest result): recorded for a todo test."""
        if test in self.todo:
            self.results.add("todo", f"{desc} # TODO upstream", ok=False)
        else:
            self.results.add("fail", desc)

    def check_console_logs(self):
        """Kernel lines of every boot's console; those logged while a todo test
        ran (after its '=== name' line from /init) are recorded, not failed."""
        bad, recorded, logs = {}, {}, 0
        for log in sorted(self.workdir.glob(f"console-{self.driver}-*.log")):
            test, klines = None, 0
            for ln in log.read_text(errors="replace").splitlines():
                m = INIT_TEST_LINE.search(ln)
                if m:
                    test = m.group(1)
                    continue
                if not KLOG_LINE.match(ln):
                    continue
                klines += 1
                if not BAD_KLOG.search(ln):
                    continue
                if test in self.todo:
                    recorded.setdefault(test, []).append(f"  | {log.name}: {ln}")
                else:
                    bad.setdefault(test or "boot", []).append(f"  | {log.name}: {ln}")
            logs += bool(klines)
        if not logs:
            return
        for test, lines in sorted(recorded.items()):
            self.results.add("todo", f"[{self.driver}] kernel log while {test} ran: {len(lines)} bad "
                                     f"line(s), first ones:\n" + "\n".join(lines[:10]) +
                                     "\n# TODO upstream", ok=False)
        # A report is attributed to the test that ran when it was logged
        # ("boot" before the first test of a boot).
        for test, lines in sorted(bad.items()):
            self.results.add("fail", f"[{self.driver}] kernel log while {test} ran: {len(lines)} "
                                     f"bad line(s), first ones:\n" + "\n".join(lines[:10]))
        if not bad:
            self.results.add("pass", f"[{self.driver}] kernel log clean ({logs} boot(s))")
