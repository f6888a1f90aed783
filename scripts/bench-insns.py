#!/usr/bin/env python3
"""Guest instructions per I/O, split by where they ran (make bench).

Usage: bench-insns.py <driver> <round> <runner log> <plugin output> [<profile>]

The plugin (qemu/plugins/insn-count.c) wrote, per counting window, every
translated block that ran in it: start address, instructions, executions.
The guest (tests/guest/bench-fio.sh) told where the code lies: the kernel's
_text and every module's core (MAP), the block layer's and the idle loop's
text runs (BLOCK, IDLE: offsets from _text), and per window the workload and the I/Os its disk
completed (INSN). Each block is attributed by its start address to one
region:

  driver      the driver's module(s): lsi3108, megaraid_sas, null_blk, or
              virtio_scsi with its transport (virtio, virtio_ring, virtio_pci...)
  scsi_block  the SCSI midlayer and disk modules (scsi_mod, sd_mod, ...) and
              the built-in block layer (BLOCK)
  kernel      the rest of the kernel (system calls, aio, scheduler, IRQs, ...)
  user        user space (fio)
  idle        the idle loop (do_idle, cpuidle, the nohz tick's idle entry and
              exit, the idle task's scheduler class): instructions a CPU runs
              because it waits. Reported on its own and left out of the total,
              which is the work done for the I/O.

With <profile>, also writes there, per workload, the driver module's
functions by instructions per I/O (from the guest's SYMS lines: the
module's text symbols), to see where the driver's own share goes.

Prints tab-separated rows for scripts/bench.sh's results file:
  <driver> <round> insn <workload> <region|total> <instructions per I/O>
  <driver> <round> insn <workload> ios <I/Os in the window>
"""

import bisect
import re
import sys

DRIVER_MODULES = {
    "lsi3108": {"lsi3108"},
    "megaraid_sas": {"megaraid_sas"},
    "null_blk": {"null_blk"},
    "virtio_scsi": {"virtio_scsi", "virtio_ring", "virtio_pci", "virtio",
                    "virtio_pci_modern_dev", "virtio_pci_legacy_dev"},
}
SCSI_BLOCK_MODULES = {"scsi_mod", "sd_mod", "scsi_common", "sg", "t10_pi",
                      "crc_t10dif", "crct10dif_generic", "crct10dif_pclmul",
                      "crc64_rocksoft", "crc64_rocksoft_generic", "crc64"}
REGIONS = ("driver", "scsi_block", "kernel", "user", "idle")
KERNEL_HALF = 1 << 63
SYMS = []      # the driver module's text symbols: (address, name)


def parse_log(path, driver):
    """(text, modules [(start, end, name)], text runs [(start, end, region)],
    windows {n: (workload, ios)})."""
    tag = re.compile(r"# \[" + re.escape(driver) + r"\] bench: (MAP|BLOCK|IDLE|SYMS|INSN) (.*)")
    text, mods, runs, windows = None, [], [], {}
    for line in open(path, errors="replace"):
        m = tag.search(line)
        if not m:
            continue
        kind, rest = m.groups()
        if kind == "MAP":
            fields = dict(kv.split("=", 1) for kv in rest.split())
            text = int(fields["text"], 16)
            for mod in filter(None, fields.get("mods", "").split(",")):
                name, addr, size = mod.split(":")
                start = int(addr, 16)
                mods.append((start, start + int(size), name))
        elif kind == "SYMS":
            for sym in rest.strip().split(","):
                name, _, addr = sym.rpartition(":")
                SYMS.append((int(addr, 16), name))
        elif kind in ("BLOCK", "IDLE"):
            region = "scsi_block" if kind == "BLOCK" else "idle"
            for run in rest.strip().split(","):
                a, b = run.split("-")
                runs.append((int(a, 16), int(b, 16), region))
        else:
            words = rest.split()
            fields = dict(kv.split("=", 1) for kv in words[1:] if "=" in kv)
            windows[int(fields["window"])] = (words[0], int(fields["ios"]))
    if text is None:
        sys.exit(f"bench-insns: no MAP line for {driver} in {path}")
    return text, sorted(mods), sorted(runs), windows


def parse_plugin(path):
    """{window: [(pc, instructions)]}"""
    windows, cur = {}, None
    for line in open(path):
        words = line.split()
        if words[0] == "window":
            cur = windows.setdefault(int(words[1]), [])
        elif words[0] == "end":
            cur = None
        elif cur is not None:
            cur.append((int(words[0], 16), int(words[1]) * int(words[2])))
    return windows


class Attributor:
    def __init__(self, driver, text, mods, runs):
        self.text = text
        self.mods = mods
        self.mod_starts = [m[0] for m in mods]
        self.runs = runs
        self.run_starts = [r[0] for r in runs]
        self.driver_mods = DRIVER_MODULES[driver]

    def region(self, pc):
        if pc < KERNEL_HALF:
            return "user"
        i = bisect.bisect_right(self.mod_starts, pc) - 1
        if i >= 0 and pc < self.mods[i][1]:
            name = self.mods[i][2]
            if name in self.driver_mods:
                return "driver"
            return "scsi_block" if name in SCSI_BLOCK_MODULES else "kernel"
        off = pc - self.text
        i = bisect.bisect_right(self.run_starts, off) - 1
        if i >= 0 and off < self.runs[i][1]:
            return self.runs[i][2]
        return "kernel"


def write_profile(path, attr, counted, windows, top=12):
    """Per workload, the driver's functions by instructions per I/O."""
    syms = sorted(set(SYMS))
    starts = [a for a, _ in syms]
    with open(path, "w") as out:
        for n, (workload, ios) in sorted(windows.items()):
            if n not in counted or ios <= 0:
                continue
            per = {}
            for pc, insns in counted[n]:
                if attr.region(pc) != "driver":
                    continue
                i = bisect.bisect_right(starts, pc) - 1
                name = syms[i][1] if i >= 0 else f"{pc:x}"
                per[name] = per.get(name, 0) + insns
            out.write(f"{workload}: driver instructions per I/O by function\n")
            for name, insns in sorted(per.items(), key=lambda kv: -kv[1])[:top]:
                out.write(f"  {insns / ios:8.1f}  {name}\n")


def main():
    driver, rnd, log, plugin = sys.argv[1:5]
    text, mods, runs, windows = parse_log(log, driver)
    counted = parse_plugin(plugin)
    attr = Attributor(driver, text, mods, runs)
    if len(sys.argv) > 5 and SYMS:
        write_profile(sys.argv[5], attr, counted, windows)
    for n, (workload, ios) in sorted(windows.items()):
        if n not in counted or ios <= 0:
            print(f"bench-insns: {driver} round {rnd}: window {n} ({workload}) "
                  f"{'not in the plugin output' if n not in counted else 'saw no I/O'}",
                  file=sys.stderr)
            continue
        sums = dict.fromkeys(REGIONS, 0)
        for pc, insns in counted[n]:
            sums[attr.region(pc)] += insns
        sums["total"] = sum(v for k, v in sums.items() if k != "idle")
        for key, value in sums.items():
            print(f"{driver}\t{rnd}\tinsn\t{workload}\t{key}\t{value / ios:.0f}")
        print(f"{driver}\t{rnd}\tinsn\t{workload}\tios\t{ios}")


if __name__ == "__main__":
    main()
