"""The command line (the options docs/testing.md lists) and main(): the host
tests, then each bench variant's suite per driver (per kernel series with
--matrix), one closing line `N passed, N failed, N skipped, N recorded`, and
the exit status."""

import argparse
import copy
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import TOP
from .host import run_host_tests
from .initrd import guest_inputs
from .system import SystemSuite
from .layout import (BENCH_ANCHORS, CHECK_DEBUG_KERNELS, CHECK_KERNELS, CONTROLLERS,
                     DEBUG_CHECK_ROWS, DEBUG_SERIES, LAYOUTS, RECORD_ONLY, ROW_DRIVERS,
                     ROW_EXPECT, expand_tests)
from .parallel import run_units
from .results import Results
from .suite import Suite

SYSTEM_COST = 20         # the Debian system's suite, in suite_units' weights (~as 20 tests)
BOOT_STALL_S = 120      # no /init by then: the guest kernel stalled before any test ran
SERIES = list(dict.fromkeys([series for series, _ in CHECK_KERNELS] + [DEBUG_SERIES]))  # guest-kernel.sh's, debug-kernel.sh's


def default_qemu(controller):
    built = TOP / "build/qemu-system-x86_64"
    if built.exists() or controller == "lsi3108":
        return str(built)
    return shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"


def parse_args(argv):
    p = argparse.ArgumentParser(description="Run the lsi3108 guest test suite under QEMU (TCG).")
    p.add_argument("--qemu", help="QEMU binary (default build/qemu-system-x86_64; for "
                   "megasas-gen2, the system QEMU when that is not built)")
    p.add_argument("--controller", choices=sorted(CONTROLLERS), default="lsi3108")
    p.add_argument("--controller-opts", default="", help="extra ,key=value for the controller device")
    p.add_argument("--driver", action="append",
                   choices=["megaraid_sas", "lsi3108"] + sorted(BENCH_ANCHORS),
                   help="guest driver; give it twice to run the suite once per driver "
                        "(default megaraid_sas; the anchors virtio_scsi (with --controller "
                        "virtio-scsi) and null_blk are for make bench's bench-fio.sh only)")
    p.add_argument("--tests", default="all",
                   help="comma list: NN-name, NN or name (default all: every test but PENDING)")
    p.add_argument("--kernel-series", default="6.1", choices=SERIES,
                   help="guest kernel (default 6.1; 6.1-debug: scripts/debug-kernel.sh's); "
                        "--kernel-dir, --kver, --initrd and --module describe it")
    p.add_argument("--kernel-dir", help="dir with vmlinux (booted, or its bzImage where there is one) and "
                   "root/lib/modules (default: guest-kernel.sh)")
    p.add_argument("--kver", help="kernel version (default: the one guest-kernel.sh resolves)")
    p.add_argument("--initrd", help="initramfs (default: build/initramfs-<kver>.cpio.lz4, rebuilt if stale)")
    p.add_argument("--module", action="append", default=[],
                   help="extra .ko for the initramfs (default ./lsi3108.ko or src/lsi3108.ko if built)")
    p.add_argument("--series-module", action="append", default=[], type=series_path,
                   metavar="SERIES=PATH",
                   help="extra .ko for another kernel series' initramfs with --matrix "
                        "(default build/SERIES/lsi3108.ko and lsi3108_test.ko if built)")
    p.add_argument("--host-tests", action="store_true",
                   help="first run every executable tests/host/*.sh on the host (TAP on stdout)")
    p.add_argument("--matrix", nargs="?", const="all", choices=["all", "debug"] + SERIES,
                   metavar="SERIES",
                   help="run every bench variant of every kernel series in CHECK_KERNELS (what "
                        "make check does), or only those of SERIES; debug: CHECK_DEBUG_KERNELS, "
                        "the whole debug-kernel variant (make check-debug)")
    p.add_argument("--system", action="store_true",
                   help="also run the Debian system's journey (tests/system/: a debootstrapped "
                        "Debian booting from an LD; scripts/debian-image.sh); --tests none "
                        "runs only that")
    p.add_argument("--machine-variant", choices=["none", "iommu", "swiotlb", "intx", "smp1", "smp4"],
                   default="none")
    p.add_argument("--expect", action="append", default=[], metavar="KEY=VALUE",
                   help="override an expectation passed to the guest, e.g. expect_unflushed=any")
    p.add_argument("--append", action="append", default=[], help="extra kernel parameter")
    p.add_argument("--timeout", type=float, default=600,
                   help="seconds a test (phase), or a boot before its first test, may run "
                        "(a test's own LIMIT can be shorter)")
    p.add_argument("--boot-stall", type=float, default=BOOT_STALL_S,
                   help="seconds without /init after which a boot is started again")
    p.add_argument("--interactive", action="store_true", help="shell on the console (stdio)")
    p.add_argument("--run", help="guest runs this instead of the tests: demo or a /tests script")
    p.add_argument("--layout", choices=sorted(LAYOUTS), default="standard",
                   help="LDs: standard (the suite's three) or bench (one null-co LD, for make bench)")
    p.add_argument("--keep", action="store_true", help="keep the work dir (disks, console logs)")
    p.add_argument("-v", "--verbose", action="store_true", help="print every host request and reply")
    p.add_argument("--jobs", type=int, default=1,
                   help="suites (QEMU guests) run at once, each with its own work dir; their "
                        "output is printed whole when each ends (default 1: one after another)")
    p.add_argument("--workdir", help="parent of the work dir (default /dev/shm, else /tmp)")
    args = p.parse_args(argv)
    args.driver = args.driver or ["megaraid_sas"]
    args.qemu = args.qemu or default_qemu(args.controller)
    if args.jobs < 1:
        p.error(f"--jobs wants a number of at least 1, got {args.jobs}")
    for kv in args.expect:
        if "=" not in kv:
            p.error(f"--expect wants KEY=VALUE, got '{kv}'")
    return args


def series_path(text):
    """--series-module's SERIES=PATH, as (series, path)."""
    series, sep, path = text.partition("=")
    if not sep or series not in SERIES or not path:
        raise argparse.ArgumentTypeError(f"want SERIES=PATH with SERIES one of {', '.join(SERIES)}")
    return series, path


def bench_runs(args):
    """(kernel series, label, args) per bench variant: one (on --kernel-series),
    or with --matrix the rows of CHECK_KERNELS (of one series with --matrix SERIES;
    of CHECK_DEBUG_KERNELS with --matrix debug; DEBUG_CHECK_ROWS, the debug kernel's
    shorter part, with --matrix 6.1-debug)."""
    if not args.matrix:
        args.record_only = RECORD_ONLY.get(args.kernel_series, ())
        return [(args.kernel_series, "the bench as given", args)]
    runs = []
    kernels = {"debug": CHECK_DEBUG_KERNELS,
               DEBUG_SERIES: [(DEBUG_SERIES, DEBUG_CHECK_ROWS)]}.get(args.matrix, CHECK_KERNELS)
    for series, rows in kernels:
        if args.matrix not in ("all", "debug", series):
            continue
        for label, opts, variant, tests, lsi_tests in rows:
            run_args = copy.copy(args)
            run_args.controller_opts = ",".join(o for o in (args.controller_opts, opts) if o)
            run_args.machine_variant, run_args.tests = variant, tests
            run_args.lsi3108_tests = lsi_tests
            run_args.record_only = RECORD_ONLY.get(series, ())
            run_args.row_drivers = ROW_DRIVERS.get(label)
            run_args.expect = list(ROW_EXPECT.get(label, ())) + args.expect
            runs.append((series, label, run_args))
    return runs


def suite_units(args, runs, guests, workdir):
    """Every suite of the run as (cost, title, run(results) -> boot times): one
    per bench variant and driver, and the Debian system's. The cost (a rough
    weight: its number of tests, the debug kernel's three times) orders them
    for --jobs, longest first."""
    units = []

    def suite_unit(run_args, driver, series, n, title):
        kver, vmlinux, initrd = guests[series]
        cost = len(expand_tests(run_args.tests, driver).split(","))
        if driver == "lsi3108" and getattr(run_args, "lsi3108_tests", ""):
            cost += len(run_args.lsi3108_tests.split(","))
        cost *= 3 if series == DEBUG_SERIES else 1

        def run(results):
            suite = Suite(run_args, driver, vmlinux, initrd, results, workdir / f"{n}-{driver}")
            suite.run()
            return suite.boot_times
        units.append((cost, f"{title}, kernel {kver}", run))

    for n, (series, label, run_args) in enumerate(runs):
        for driver in args.driver:
            if driver in (getattr(run_args, "row_drivers", None) or args.driver):
                suite_unit(run_args, driver, series, n, f"{driver} on {label}")
    if args.system:
        def run_system(results):
            suite = SystemSuite(args, results, workdir / "system")
            suite.run()
            return suite.boot_times
        units.append((SYSTEM_COST, "the Debian system (tests/system/)", run_system))
    return units


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not Path(args.qemu).exists():
        sys.exit(f"runner: QEMU binary {args.qemu} does not exist (build it with qemu/build.sh, "
                 f"or use --controller megasas-gen2 with the system QEMU)")
    results = Results()
    if args.host_tests:
        run_host_tests(results, args.timeout, args.verbose)
    runs = [] if args.system and args.tests == "none" else bench_runs(args)
    # Every series' kernel and initramfs first, so a missing module stops the run at once.
    guests = {series: guest_inputs(args, series) for series in dict.fromkeys(s for s, _, _ in runs)}
    parent = args.workdir or ("/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir())
    workdir = Path(tempfile.mkdtemp(prefix="lsi3108-run.", dir=parent))
    kvers = ", ".join(kver for kver, _, _ in guests.values())
    print(f"# kernel {kvers}, QEMU {args.qemu}, controller {args.controller}, "
          f"variant {args.machine_variant}, work dir {workdir}", flush=True)
    t0 = time.monotonic()
    boot_times = []
    try:
        units = suite_units(args, runs, guests, workdir)
        if args.jobs > 1:
            units.sort(key=lambda u: -u[0])
            boot_times = run_units(args.jobs, [(title, run) for _, title, run in units], results)
        else:
            for _, title, run in units:
                print(f"# --- {title}", flush=True)
                boot_times += run(results)
    except KeyboardInterrupt:
        results.add("fail", "interrupted")
    finally:
        if args.keep:
            print(f"# kept {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if boot_times:
        print(f"# boot to /init: min {min(boot_times):.2f} s, max {max(boot_times):.2f} s "
              f"over {len(boot_times)} boot(s); total {time.monotonic() - t0:.1f} s", flush=True)
    passed, failed, skipped, recorded = (results.count(s) for s in ("pass", "fail", "skip", "todo"))
    if recorded:
        print(f"# recorded (# TODO: upstream's results, not counted as passed or failed): "
              f"{results.count('todo', True)} ok, {results.count('todo', False)} not ok", flush=True)
    print(f"{passed} passed, {failed} failed, {skipped} skipped, {recorded} recorded", flush=True)
    return 1 if failed or (passed + skipped == 0 and not args.interactive and not args.run) else 0
