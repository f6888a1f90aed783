#!/usr/bin/env python3
"""Guest instructions per I/O, split by where they ran (make bench).

Usage: bench-insns.py <driver> <round> <runner log> <plugin output>

The plugin (qemu/plugins/insn-count.c) wrote, per counting window, every
translated block that ran in it: start address, instructions, executions.
The guest (tests/guest/bench-fio.sh) told where the code lies: the kernel's
_text and every module's core (MAP), the block layer's text runs (BLOCK,
offsets from _text), and per window the workload and the I/Os its disk
completed (INSN). Each block is attributed by its start address to one
region:

  driver      the driver's module(s): lsi3108, megaraid_sas, null_blk, or
              virtio_scsi with its transport (virtio, virtio_ring, virtio_pci...)
  scsi_block  the SCSI midlayer and disk modules (scsi_mod, sd_mod, ...) and
              the built-in block layer (BLOCK)
  kernel      the rest of the kernel (system calls, aio, scheduler, IRQs, ...)
  user        user space (fio)

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
REGIONS = ("driver", "scsi_block", "kernel", "user")
KERNEL_HALF = 1 << 63


def parse_log(path, driver):
    """(text, modules [(start, end, name)], block runs [(start, end)], windows {n: (workload, ios)})."""
    tag = re.compile(r"# \[" + re.escape(driver) + r"\] bench: (MAP|BLOCK|INSN) (.*)")
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
        elif kind == "BLOCK":
            for run in rest.strip().split(","):
                a, b = run.split("-")
                runs.append((int(a, 16), int(b, 16)))
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
            return "scsi_block"
        return "kernel"


def main():
    driver, rnd, log, plugin = sys.argv[1:5]
    text, mods, runs, windows = parse_log(log, driver)
    counted = parse_plugin(plugin)
    attr = Attributor(driver, text, mods, runs)
    for n, (workload, ios) in sorted(windows.items()):
        if n not in counted or ios <= 0:
            print(f"bench-insns: {driver} round {rnd}: window {n} ({workload}) "
                  f"{'not in the plugin output' if n not in counted else 'saw no I/O'}",
                  file=sys.stderr)
            continue
        sums = dict.fromkeys(REGIONS, 0)
        for pc, insns in counted[n]:
            sums[attr.region(pc)] += insns
        sums["total"] = sum(sums.values())
        for key, value in sums.items():
            print(f"{driver}\t{rnd}\tinsn\t{workload}\t{key}\t{value / ios:.0f}")
        print(f"{driver}\t{rnd}\tinsn\t{workload}\tios\t{ios}")


if __name__ == "__main__":
    main()
