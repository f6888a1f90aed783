#!/usr/bin/env python3
"""make bench's tables (scripts/bench.sh), from the results.tsv files it wrote.

Usage:
  bench-report.py one <results.tsv> <workloads> <rounds> <seconds> <insn seconds>
                      <vCPUs> <LDs> <driver>...
      the tables of one combination of vCPUs and LDs: rates, ratios to the
      anchors, instructions per I/O by region, memory after load;
  bench-report.py scaling <logs dir> <workloads> "<n>cpu-<m>ld ..." <driver>...
      with more than one combination: per workload and driver the rate, its
      growth over the first combination and the instructions per I/O (total /
      driver) of each; the memory drop of each and per LD.

results.tsv rows: <driver> <round> <kind> <name> <key> <value>, tab-separated.
"""
import statistics
import sys


def load(path):
    """{(kind, name, key, driver): [value per round]} of one results.tsv."""
    data = {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) != 6:
            continue
        driver, _round, kind, name, key, value = f
        try:
            data.setdefault((kind, name, key, driver), []).append(float(value))
        except ValueError:
            pass
    return data


def cell(data, kind, name, key, driver, scale=1.0):
    """The median of a figure over the rounds, and its text with the min-max."""
    vals = [v / scale for v in data.get((kind, name, key, driver), [])]
    if not vals:
        return None, "-"
    med = statistics.median(vals)
    text = f"{med:.0f}"
    if len(vals) > 1:
        text += f" ({min(vals):.0f}-{max(vals):.0f})"
    return med, text


def ratio(a, b):
    # a delta at or below zero is noise: no ratio
    return f"{b / a:.2f}" if a is not None and b is not None and a > 0 and b > 0 else "-"


def table(title, header, lines):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)]
    print(title)
    for line in [header] + lines:
        print("  " + "  ".join(str(x).rjust(w) if i else str(x).ljust(w)
                               for i, (x, w) in enumerate(zip(line, widths))))
    print()


def rate_key(w):
    seq = not w.split("-")[0].startswith("rand")
    return ("kib_s", "MiB/s", 1024.0) if seq else ("iops", "IOPS", 1.0)


def one(path, workloads, rounds, seconds, insn_seconds, cpus, lds, *drivers):
    data = load(path)
    drivers = list(drivers)
    what = "one null-co write-through LD" if lds == "1" else \
        f"{lds} null-co write-through LDs (fio on all at once, the depth per LD)"
    print(f"\nmake bench: lsi3108 model, {what}, {cpus} vCPU(s); "
          f"{rounds} round(s) per driver, "
          f"{seconds} s per workload; median over the rounds (min-max)\n")
    lines = []
    for w in workloads.split(","):
        key, unit, scale = rate_key(w)
        lines.append([w, unit] + [cell(data, "fio", w, key, d, scale)[1] for d in drivers])
        lines.append(["", "mean lat us"] + [cell(data, "fio", w, "lat_us", d)[1] for d in drivers])
    table("throughput (higher is better; latency lower is better)",
          ["workload", "metric"] + drivers, lines)

    # Each driver's rate over each anchor's (medians): a fraction of the ceiling,
    # and the ratio to virtio-scsi and to upstream.
    anchors = [a for a in ("null_blk", "virtio_scsi", "megaraid_sas") if a in drivers]
    lines = []
    for w in workloads.split(","):
        key, _unit, scale = rate_key(w)
        for d in drivers:
            if d == "null_blk":
                continue
            mine = cell(data, "fio", w, key, d, scale)[0]
            lines.append([w, d] + [ratio(cell(data, "fio", w, key, a, scale)[0], mine) if a != d else ""
                                   for a in anchors])
    if lines and anchors:
        table("rate ratios (IOPS, MiB/s for sequential), medians: the driver's over the anchor's",
              ["workload", "driver"] + [f"/{a}" for a in anchors], lines)

    regions = [("total", "total"), ("driver", "driver"), ("scsi_block", "SCSI+block"),
               ("kernel", "other kernel"), ("user", "user"), ("idle", "idle (not in total)")]
    if int(insn_seconds) > 0:
        lines = []
        for w in workloads.split(","):
            for d in drivers:
                lines.append([w, d] + [cell(data, "insn", w, k, d)[1] for k, _ in regions] +
                             [cell(data, "insn", w, "ios", d)[1]])
        table(f"guest instructions per I/O (TCG plugin, {insn_seconds} s window in fio's steady "
              f"state; lower is better)", ["workload", "driver"] + [label for _, label in regions] +
              ["I/Os counted"], lines)
        if "megaraid_sas" in drivers and "lsi3108" in drivers:
            lines = []
            for w in workloads.split(","):
                lines.append([w] + [ratio(cell(data, "insn", w, k, "megaraid_sas")[0],
                                          cell(data, "insn", w, k, "lsi3108")[0]) for k, _ in regions])
            table("instructions per I/O, lsi3108/megaraid_sas", ["workload"] +
                  [label for _, label in regions], lines)

    mem_rows = [("module", "module size (/proc/modules)"),
                ("deps", "modules it pulled in"),
                ("used", "free memory drop after load"),
                ("sunreclaim", "  Slab, unreclaimable"),
                ("percpu", "  Percpu"),
                ("vmalloc", "  VmallocUsed (module text too)"),
                ("pages", "  other pages (DMA memory ...)")]
    base, ours = "megaraid_sas", "lsi3108"
    if base in drivers and ours in drivers:
        lines = []
        for key, label in mem_rows:
            a, at = cell(data, "mem", key, "kib", base)
            b, bt = cell(data, "mem", key, "kib", ours)
            lines.append([label, at, bt, ratio(a, b)])
        table("memory after load, KiB (caches dropped before and after; lower is better)",
              ["", base, ours, f"{ours}/{base}"], lines)


def scaling(top, workloads, configs, *drivers):
    configs = configs.split()
    data = {c: load(f"{top}/{c}/results.tsv") for c in configs}

    def med(c, kind, name, key, driver):
        return cell(data[c], kind, name, key, driver)[0]

    def fmt(v):
        return "-" if v is None else f"{v:.0f}"

    lines = []
    for w in workloads.split(","):
        key = rate_key(w)[0]
        for d in drivers:
            rates = [med(c, "fio", w, key, d) for c in configs]
            grow = [f"{r / rates[0]:.2f}" if r and rates[0] else "-" for r in rates[1:]]
            insns = [f"{fmt(med(c, 'insn', w, 'total', d))}/{fmt(med(c, 'insn', w, 'driver', d))}"
                     for c in configs]
            lines.append([w, d] + [fmt(r) for r in rates] + grow + insns)
    table(f"scaling over {', '.join(configs)}, medians; x: the rate over {configs[0]}'s",
          ["workload", "driver"] + [f"{c} rate" for c in configs] +
          [f"{c} x" for c in configs[1:]] + [f"{c} insn total/driver" for c in configs], lines)

    # The drop in free memory after load per combination, and per LD: the
    # growth from 1 to m LDs at the same vCPU count, over m - 1.
    lines = []
    for d in drivers:
        used = {c: med(c, "mem", "used", "kib", d) for c in configs}
        per_ld = []
        for c in configs:
            n, m = c.split("-")
            one_ld = used.get(f"{n}-1ld")
            if m != "1ld" and used[c] is not None and one_ld is not None:
                per_ld.append(f"{c}: {(used[c] - one_ld) / (int(m[:-2]) - 1):.0f}")
        lines.append([d] + [fmt(used[c]) for c in configs] + ["; ".join(per_ld) or "-"])
    table("memory after load, KiB: the free memory drop per configuration; per LD: "
          "(m LDs - 1 LD) / (m - 1) at the same vCPU count", ["driver"] + configs + ["per LD"], lines)


if __name__ == "__main__":
    modes = {"one": one, "scaling": scaling}
    if len(sys.argv) < 2 or sys.argv[1] not in modes:
        sys.exit(__doc__)
    modes[sys.argv[1]](*sys.argv[2:])
