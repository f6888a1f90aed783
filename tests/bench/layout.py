"""The bench: the logical drives (LDs) and the controller they sit on, the
QEMU arguments that build them, the machine variants, the guest tests and
the check matrix (the bench variants make check runs), and the lsi.*
kernel parameters that describe all this to the guest tests."""

import os
import shutil
import subprocess
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from . import TOP

MiB = 1 << 20
TiB = 1 << 40


@dataclass
class LogicalDrive:
    index: int
    target: int
    size: int            # bytes
    fmt: str             # raw | qcow2
    serial: str
    role: str            # scratch | fs | big
    write_back: Optional[bool] = None
    present: bool = True            # False: its backend is there, the LD is hot-added later
    backing: Optional[Path] = None  # qcow2 only: a raw image it starts as (copy-on-write)
    pds: str = ""                   # lsi3108 only: member PD device ids ("8,9")
    raid_level: int = 0             # ... and the RAID level they form

    @property
    def blocks(self):
        return self.size // 512


# The standard layout the guest tests expect (roles are passed as lsi.ld_<role>).
STANDARD_LDS = [
    LogicalDrive(0, 0, 512 * MiB, "raw", "LSI3108LD0S0001", "scratch", write_back=True,
                 pds="8,9", raid_level=1),
    LogicalDrive(1, 1, 512 * MiB, "raw", "LSI3108LD1S0002", "fs", write_back=True),
    LogicalDrive(2, 2, 66 * TiB, "qcow2", "LSI3108LD2S0003", "big"),
]

# `make bench` (scripts/bench.sh, --layout bench): one write-through LD on a
# null-co backend (reads return zeros, writes are dropped), so neither the
# host's storage nor the model's write-back cache is in the measurement.
BENCH_LDS = [
    LogicalDrive(0, 0, 4096 * MiB, "null", "LSI3108BENCH001", "scratch", write_back=False),
]
# make bench's BENCH_LDS=8 (--layout bench8): eight such LDs, fio on all at once.
BENCH8_LDS = BENCH_LDS + [
    LogicalDrive(i, i, 4096 * MiB, "null", f"LSI3108BENCH{i + 1:03d}", f"bench{i}", write_back=False)
    for i in range(1, 8)
]
LAYOUTS = {"standard": STANDARD_LDS, "bench": BENCH_LDS, "bench8": BENCH8_LDS}


@dataclass
class PhysicalDisk:
    """A disk in one of the lsi3108 model's slots (-device lsi3108-pd). A
    RAID member's or a spare's backend is null-co (it only gives the size);
    a JBOD's is a raw image of its own (fmt raw), since a system PD's data
    lives on it. The SMART values are what 45-pds expects smartctl to
    report."""
    device_id: int
    slot: int
    interface: str       # sas | sata
    state: str           # unconfigured-good | online | jbod | failed | rebuild | hotspare
    product: str
    serial: str
    temperature: int
    realloc: int         # reallocated sectors (SAS: grown defect list)
    poh: int             # power-on hours
    health: str = "ok"   # ok | failing
    size: int = 1024 * MiB
    fmt: str = "null"    # null | raw (pd<id>.raw in the work directory)

    def device(self):
        return (f"lsi3108-pd,id=pd{self.device_id},bus=mr0.0,drive=pd{self.device_id},"
                f"device-id={self.device_id},slot={self.slot},interface={self.interface},"
                f"state={self.state},product={self.product},serial={self.serial},"
                f"temperature={self.temperature},reallocated-sectors={self.realloc},"
                f"power-on-hours={self.poh},health={self.health}")

    def param(self):
        """lsi.pd<i>: id,interface,slot,serial,product,temperature,realloc,poh,health,state,MiB"""
        return (f"{self.device_id},{self.interface},{self.slot},{self.serial},{self.product},"
                f"{self.temperature},{self.realloc},{self.poh},{self.health},{self.state},"
                f"{self.size // MiB}")


# The standard layout's disks: two SAS disks forming the scratch LD (RAID 1),
# two SATA disks: a global hot spare and an unconfigured one that is failing,
# and a SAS disk in JBOD state. The controller exposes JBODs to the host
# (system PDs) only with expose-jbod=on: the "JBOD exposed" rows of the
# check matrix (JBOD_OPTS); elsewhere the JBOD is listed, not addressable.
STANDARD_PDS = [
    PhysicalDisk(8, 0, "sas", "online", "ST1200MM0009", "Z1WSAS008A", 31, 3, 12000),
    PhysicalDisk(9, 1, "sas", "online", "ST1200MM0009", "Z1WSAS009B", 33, 0, 12001),
    PhysicalDisk(10, 2, "sata", "hotspare", "ST1000NM0033-9ZM173", "Z1WSATA10C",
                 29, 5, 4000),
    PhysicalDisk(11, 3, "sata", "unconfigured-good", "ST1000NM0033-9ZM173", "Z1WSATA11D",
                 45, 250, 30000, health="failing"),
    PhysicalDisk(12, 4, "sas", "jbod", "ST1200MM0009", "Z1WSAS012E", 30, 0, 5000,
                 size=256 * MiB, fmt="raw"),
]
# The controller option that exposes the JBOD (49-jbod skips without it).
JBOD_OPTS = "expose-jbod=on"


def layout_pds(ctrl, lds):
    """The PDs of a layout on a controller: the standard layout's on lsi3108."""
    return STANDARD_PDS if ctrl.device == "lsi3108" and lds is STANDARD_LDS else []


def pds_on(ctrl, lds):
    """Whether the LDs of this layout are built from PDs on this controller."""
    return bool(layout_pds(ctrl, lds))


@dataclass
class Controller:
    device: str
    ld_device: str
    vendor: str          # INQUIRY identity the LDs report
    model: str


CONTROLLERS = {
    # Our model. The INQUIRY strings must match qemu/lsi3108*.c.
    "lsi3108": Controller("lsi3108", "lsi3108-ld", "AVAGO", "MR9361-8i"),
    # QEMU's MFI model (LSI 2108) with scsi-hd disks: the stock-QEMU bench.
    "megasas-gen2": Controller("megasas-gen2", "scsi-hd", "QEMU", "QEMU HARDDISK"),
    # make bench's anchor: virtio-scsi with scsi-hd disks on the same null-co backend.
    "virtio-scsi": Controller("virtio-scsi-pci", "scsi-hd", "QEMU", "QEMU HARDDISK"),
}

# make bench's anchors (scripts/bench.sh) beside the two drivers of the 3108:
# guest driver -> the controller it runs on. null_blk (the ceiling: the block
# layer with no device) needs none; it boots beside an lsi3108 whose drivers
# stay unloaded (the initramfs blacklists both).
BENCH_ANCHORS = {"virtio_scsi": "virtio-scsi", "null_blk": "lsi3108"}


# Tests that "all" (and so make check) leaves out, for the drivers named,
# until the model or driver feature they need has landed: test -> (drivers,
# what it waits for). --tests NAME still runs them.
BOTH = ("megaraid_sas", "lsi3108")
PENDING = {
    # e.g. "93-flr": (BOTH, "model: FLR; driver: reset_prepare/reset_done"),
}


def suite_tests():
    """Every guest test (tests/guest/NN-name.sh, as /init finds them), in order."""
    return sorted(p.stem for p in (TOP / "tests/guest").glob("[0-9][0-9]-*.sh"))


def expand_tests(tests, driver):
    """'all' is every test but those PENDING for the driver; anything else as given."""
    if tests != "all":
        return tests
    return ",".join(t for t in suite_tests() if driver not in PENDING.get(t, ((), ""))[0])


# The core suite: binding, identity, block I/O, fio, a file system, flushes,
# a power cut and online controller resets (86-ocr).
CORE_TESTS = "10-bind,20-identity,30-dd,40-fio,50-fs,55-flush,60-powercut,86-ocr"

# `make check`: the bench variants every driver must pass, as
# (label, controller options, machine variant, tests, tests for lsi3108 only).
# The full suite runs on the default bench; the others run the tests whose
# outcome they change. The last field adds reliability tests where only
# lsi3108's result matters (upstream's would only be recorded again).
CHECK_MATRIX = [
    ("default", "", "none", "all", ""),
    ("firmware without sync-cache", "sync-cache=off", "none", "55-flush,60-powercut", ""),
    # Interrupt remapping for the MSI-X vectors; DMA unmapped strictly across
    # reloads, and every buffer mapped again by a reset or a resume.
    ("vIOMMU strict", "", "iommu", "10-bind,20-identity,40-fio,80-vectors,85-reload",
     "86-ocr,93-flr,94-suspend,98-busmaster"),
    ("swiotlb=force", "", "swiotlb", "10-bind,20-identity,40-fio", ""),
    # Firmware without pad 1 bit 25: control structures below 4 GiB, the
    # drivers' 32-bit coherent path, no 64-bit mode at IOC INIT (82-regs checks it).
    ("firmware without 64-bit DMA", "dma64=off", "none", CORE_TESTS + ",82-regs", ""),
    # The legacy interrupt set up again by every reset.
    ("INTx only (pci=nomsi)", "", "intx", "10-bind,30-dd,40-fio", "86-ocr"),
    # The other value of two firmware properties (docs/model.md, "LD I/O
    # rules"): LDs the RAID map marks TM-capable (89-abort: ABORT TASK instead
    # of a controller reset) and management replies always on queue 0.
    ("TM-capable LDs, MFI/TM replies on queue 0", "tm-capable=on,mfi-reply-queue=zero", "none",
     "10-bind,32-ldio", "89-abort,94-suspend"),
    # The JBOD disk a host may address (a system PD on channel 0): its own
    # identity, data and flushes (49-jbod), beside the LDs and PDs.
    ("JBOD exposed", JBOD_OPTS, "none", "10-bind,45-pds,49-jbod", "86-ocr"),
    # Poll queues where upstream makes one too (the oracle for the model's
    # poll path): on a 3108 it polls only in combined mode (more than 8
    # vectors) and with more than 2 CPUs; lsi3108 in combined mode, 4 CPUs.
    ("poll queues: 16 vectors, 4 CPUs", "msix-vectors=16", "smp4", "42-poll", ""),
]

# The kernel dimension of `make check` (runner --matrix): each guest kernel
# series with its bench variants, rows as in CHECK_MATRIX. Each series boots
# its own Debian kernel and initramfs, with both drivers: upstream megaraid_sas
# from that kernel and lsi3108 built against its headers. 6.1 runs the whole
# matrix; 6.12 the core suite on the default bench (scripts/lint.sh also
# builds the driver against 6.12's headers); 6.1-debug, appended below,
# DEBUG_CHECK_ROWS.
CHECK_KERNELS = [
    ("6.1", CHECK_MATRIX),
    ("6.12", [("default (6.12)", "", "none", CORE_TESTS, "")]),
]

# The debug kernel (issue 9; scripts/debug-kernel.sh): Debian's 6.1 source
# with KASAN, lockdep, DMA-API debug, KFENCE, debug objects, kmemleak, the
# lockup detectors and real KUnit. Any report of theirs fails the test that
# was running (suite.BAD_KLOG; /init has kmemleak scan after each test).
# lsi3108 runs the core suite, its KUnit cases and the reliability tests;
# upstream megaraid_sas runs the same, every result only recorded (TODO):
# what it trips on this kernel is upstream's, not ours to fix.
DEBUG_SERIES = "6.1-debug"
# (86-ocr is in CORE_TESTS already.)
DEBUG_RELIABILITY = "46-ioctl,85-reload,89-abort,91-hotplug,92-unplug,93-flr,94-suspend,95-garbage,96-fuzz"
DEBUG_ROWS = [
    ("debug kernel", "", "none", CORE_TESTS, "90-unit," + DEBUG_RELIABILITY),
]
# Expectations a row sets for its suites (as runner --expect KEY=VALUE):
# under KASAN a reload takes ~40 s, so the debug kernel reloads 10 times,
# not 50 (the production kernel's rows keep 50).
ROW_EXPECT = {"debug kernel": ("reloads=10", "fio_mib=64"),
              # The vIOMMU row proves every buffer is unmapped and mapped again
              # across a reload, a reset, a resume and a PCI fault; the rounds
              # the default bench makes (50 reloads, 20 resets, 10 resumes, 30 s
              # of toggling) would only repeat the same maps for CI's time.
              "vIOMMU strict": ("reloads=20", "ocr_rounds=5", "suspend_rounds=3",
                                "bm_seconds=10"),
              # 6.12 proves the driver against that kernel's API: 5 online
              # resets run its reset path as well as 20 (the 6.1 default's).
              "default (6.12)": ("ocr_rounds=5",)}
# Drivers whose every result is recorded, never counted, per kernel series.
RECORD_ONLY = {DEBUG_SERIES: ("megaraid_sas",)}

# DEBUG_CHECK_ROWS, make check's part of the debug kernel: lsi3108 alone
# (ROW_DRIVERS) on the core suite's I/O tests, its KUnit cases and the
# shorter reliability tests (runner --matrix 6.1-debug). make check runs
# suites side by side (runner --jobs), so this part runs beside the
# production kernel's; the rest of DEBUG_ROWS (the power cuts, hot-plug,
# unplug, suspend, reload, fuzz, and upstream's recorded results) is in
# `make check-debug` (runner --matrix debug), which runs DEBUG_ROWS whole,
# both drivers (docs/testing.md, "The debug kernel").
DEBUG_CHECK_LABEL = "debug kernel (make check's part: lsi3108)"
DEBUG_CHECK_ROWS = [
    (DEBUG_CHECK_LABEL, "", "none", "10-bind,30-dd,40-fio,55-flush,86-ocr",
     "90-unit,89-abort,93-flr,95-garbage"),
]
ROW_DRIVERS = {DEBUG_CHECK_LABEL: ("lsi3108",)}
# Under KASAN a 4k I/O costs several times the production kernel's, and CI's
# machine can be twice as slow as ours: 256 MiB of fio took 187 s here and,
# by CI's result counts, ran into the runner's 600 s limit there. The checkers look at every path
# once per command; 64 MiB and 6 resets run each path thousands of times.
ROW_EXPECT[DEBUG_CHECK_LABEL] = ("fio_mib=64", "ocr_rounds=6")
CHECK_DEBUG_KERNELS = [(DEBUG_SERIES, DEBUG_ROWS)]
# make check: the debug kernel's part too (after CHECK_KERNELS' own rows).
CHECK_KERNELS.append((DEBUG_SERIES, DEBUG_CHECK_ROWS))


def ld_device(ctrl: Controller, ld):
    """The -device argument of one LD (also what 91-hotplug's device_add uses)."""
    if ctrl.ld_device == "scsi-hd":
        return (f"scsi-hd,bus=mr0.0,scsi-id={ld.target},lun=0,"
                f"drive=ld{ld.index},serial={ld.serial}")
    dev = (f"{ctrl.ld_device},id=ld{ld.index},bus=mr0.0,target={ld.target},"
           f"drive=ld{ld.index},serial={ld.serial}")
    if ld.write_back is not None:
        dev += ",write-back=" + ("on" if ld.write_back else "off")
    if ld.pds:
        dev += f",pds={ld.pds.replace(',', ':')},raid-level={ld.raid_level}"
    return dev


def controller_args(ctrl: Controller, lds, workdir: Path, ctrl_opts=""):
    """-blockdev/-device arguments for the controller mr0 and its LDs."""
    opts = f",{ctrl_opts}" if ctrl_opts else ""
    args = ["-device", f"{ctrl.device},id=mr0{opts}"]
    for pd in layout_pds(ctrl, lds):
        if pd.fmt == "raw":
            args += ["-blockdev", f"driver=file,filename={workdir / f'pd{pd.device_id}.raw'},"
                                  f"node-name=pdf{pd.device_id}",
                     "-blockdev", f"driver=raw,file=pdf{pd.device_id},node-name=pd{pd.device_id}"]
        else:
            args += ["-blockdev", f"driver=null-co,size={pd.size},read-zeroes=on,"
                                  f"node-name=pd{pd.device_id}"]
        args += ["-device", pd.device()]
    for ld in lds:
        path = workdir / f"ld{ld.index}.{ld.fmt}"
        if ld.fmt == "null":
            args += ["-blockdev", f"driver=null-co,size={ld.size},read-zeroes=on,"
                                  f"node-name=ld{ld.index}"]
        else:
            args += ["-blockdev", f"driver=file,filename={path},node-name=f{ld.index}",
                     "-blockdev", f"driver={ld.fmt},file=f{ld.index},node-name=ld{ld.index}"]
        if ld.present:
            args += ["-device", ld_device(ctrl, ld)]
    return args


_QEMU_IMG_LOCK = threading.Lock()


def ensure_qemu_img():
    """qemu-img, installed once if missing: suites side by side (--jobs) ask at
    the same time, and two apt-gets fight over dpkg's lock (a fresh machine's
    make check lost every suite to it); apt also waits for any other apt."""
    with _QEMU_IMG_LOCK:
        if shutil.which("qemu-img"):
            return
        print("runner: installing qemu-utils for qemu-img", flush=True)
        subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq",
                        "qemu-utils"], check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def create_pd_disks(pds, workdir: Path):
    """The raw images of the PDs that have one (JBODs: their data is theirs)."""
    for pd in pds:
        if pd.fmt == "raw":
            with open(workdir / f"pd{pd.device_id}.raw", "wb") as f:
                f.truncate(pd.size)


def create_disks(lds, workdir: Path):
    for ld in lds:
        path = workdir / f"ld{ld.index}.{ld.fmt}"
        if ld.fmt == "null":
            continue
        if ld.fmt == "raw":
            with open(path, "wb") as f:
                f.truncate(ld.size)
        elif ld.backing:
            ensure_qemu_img()
            subprocess.run(["qemu-img", "create", "-q", "-f", ld.fmt, "-F", "raw",
                            "-b", str(ld.backing), str(path), str(ld.size)], check=True)
        else:
            ensure_qemu_img()
            subprocess.run(["qemu-img", "create", "-q", "-f", ld.fmt, str(path), str(ld.size)],
                           check=True)


def machine_args(variant):
    if variant == "iommu":
        return (["-machine", "q35,kernel-irqchip=split", "-device", "intel-iommu,intremap=on"],
                ["intel_iommu=on", "iommu.strict=1"])
    if variant == "swiotlb":
        return ["-machine", "q35"], ["swiotlb=force"]
    if variant == "intx":
        # No MSI or MSI-X: the drivers' legacy-interrupt fallback.
        return ["-machine", "q35"], ["pci=nomsi"]
    if variant in ("smp1", "smp4"):
        # 1 or 4 vCPUs (the later -smp wins): upstream's poll queues need more
        # than 2; make bench's BENCH_CPUS measures 1, 2 and 4.
        return ["-machine", "q35", "-smp", variant[3:]], []
    return ["-machine", "q35"], []


def lsi_params(driver, ctrl: Controller, lds, expect, variant):
    """lsi.* kernel parameters describing the bench to the guest tests."""
    params = {"driver": driver, "lds": str(len(lds)), "vendor": ctrl.vendor,
              "model": ctrl.model, "bs": "512", "variant": variant}
    for ld in lds:
        # target,blocks,serial,raid level,member PD ids (":"-separated, "-": none)
        pds = ld.pds.replace(",", ":") if ld.pds and pds_on(ctrl, lds) else "-"
        raid = ld.raid_level if pds != "-" else 0
        params[f"ld{ld.index}"] = f"{ld.target},{ld.blocks},{ld.serial},raid{raid},{pds}"
        params[f"ld_{ld.role}"] = str(ld.index)
    # The hot-plug test removes and re-adds the big LD with exactly this.
    big = next((ld for ld in lds if ld.role == "big"), None)
    if big:
        params["ld_big_device"] = ld_device(ctrl, big)
    pds = layout_pds(ctrl, lds)
    if pds:
        params["pds"] = str(len(pds))
        for i, pd in enumerate(pds):
            params[f"pd{i}"] = pd.param()
            if pd.state == "jbod":
                # 49-jbod pulls the JBOD out (device_del) and puts it back with this.
                params["pd_jbod_device"] = pd.device()
    params.update(expect)
    return params


def cmdline_words(params):
    return [f"lsi.{k}={urllib.parse.quote(str(v), safe=',:+-_.')}" for k, v in params.items()]
