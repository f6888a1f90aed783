#!/usr/bin/env bash
# make bench: side-by-side performance runs of lsi3108 and upstream
# megaraid_sas on the same controller model and the same LD (one write-through
# LD on a null-co backend: tests/runner.py --layout bench), one boot per
# driver per round, the drivers interleaved (round 1: megaraid_sas then
# lsi3108, round 2 the other way round, ...), so drift in the machine's load
# hits both alike. Each boot runs tests/guest/bench-fio.sh: the driver's memory
# footprint after load, then fio (libaio, O_DIRECT) 4k randread QD1 and QD32,
# 4k randwrite QD32, 128k sequential read QD8. Prints per driver the median
# over the rounds (with min-max) and the ratio lsi3108/megaraid_sas.
#
# Benchmarks never fail on a ratio: the exit status is non-zero only when a
# run failed (build, boot, driver load, fio, kernel log).
#
# Environment: ROUNDS (default 4), SECONDS (per workload, default 8; also
# BENCH_SECONDS), BENCH_WORKLOADS (comma list of <rw>-<bs>-qd<n>, fio's rw
# names), BENCH_KEEP=1 keeps the runner's work dirs. Logs of the last run stay
# in build/bench/logs/.
#
# SECONDS is bash's own clock: an override is only taken from the
# environment (make bench SECONDS=5, or SECONDS=5 make bench).
if [[ $(declare -p SECONDS 2>/dev/null) == "declare -"*x* ]]; then
	bench_seconds=$SECONDS
else
	bench_seconds=${BENCH_SECONDS:-8}
fi
SECONDS=0
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
explain_exits

rounds=${ROUNDS:-4}
workloads=${BENCH_WORKLOADS:-randread-4k-qd1,randread-4k-qd32,randwrite-4k-qd32,read-128k-qd8}
drivers=(megaraid_sas lsi3108)
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, got '$rounds'"
[[ $bench_seconds =~ ^[1-9][0-9]*$ ]] || die "SECONDS must be a positive integer, got '$bench_seconds'"

out=build/bench
mkdir -p "$out"
exec 9>"$out/.lock"
flock -n 9 || die "another make bench is running (lock $out/.lock)"

# --- prerequisites, the way scripts/run.sh builds them ---------------------
# Private copies of QEMU, the module and the initramfs: others rebuilding
# them in the meantime must not change the bench between rounds.
need_pkgs python3 make gcc kmod
echo "bench: building QEMU, the guest kernel and the module" >&2
flock /tmp/lsi3108-qemu.lock bash -c '
	set -e
	wrapper=$(bash qemu/build.sh)
	real=$(sed -n "s/^exec \([^ ]*\) .*/\1/p" "$wrapper")
	if [ -x "$real" ]; then
		cp "$real" "$1/qemu-system-x86_64.bin"
		sed "s|^exec $real |exec $PWD/$1/qemu-system-x86_64.bin |" "$wrapper" >"$1/qemu-system-x86_64"
	else
		cp "$wrapper" "$1/qemu-system-x86_64"
	fi
	chmod +x "$1/qemu-system-x86_64"' _ "$out" >/dev/null
eval "$(bash scripts/guest-kernel.sh 6.1)"
make --no-print-directory module KDIR="$HEADERS" >&2
cp lsi3108.ko "$out/lsi3108.ko"
initrd=$out/initramfs-$KVER.cpio.lz4
MODROOT=$MODROOT bash scripts/mkinitramfs.sh "$KVER" "$initrd" "$out/lsi3108.ko"
echo "bench: built in ${SECONDS} s; ${rounds} round(s), ${bench_seconds} s per workload:" \
	"$workloads" >&2

# --- runs -------------------------------------------------------------------
logs=$out/logs
rm -rf "$logs"
mkdir -p "$logs"
results=$logs/results.tsv	# driver round kind name key value
: >"$results"
nwork=$(tr ',' '\n' <<<"$workloads" | wc -l)
timeout=$((240 + nwork * (bench_seconds + 1) * 3))
failed=0
keep=()
[ -n "${BENCH_KEEP:-}" ] && keep=(--keep)

for ((r = 1; r <= rounds; r++)); do
	order=("${drivers[@]}")
	((r % 2 == 0)) && order=("${drivers[1]}" "${drivers[0]}")
	for d in "${order[@]}"; do
		log=$logs/$r-$d.log
		t0=$SECONDS
		rc=0
		python3 tests/runner.py --kver "$KVER" --kernel-dir "$KDIR" --initrd "$initrd" \
			--qemu "$PWD/$out/qemu-system-x86_64" --layout bench --run bench-fio.sh \
			--driver "$d" --timeout "$timeout" --append "lsi.bench_seconds=$bench_seconds" \
			--append "lsi.bench_workloads=$workloads" "${keep[@]}" >"$log" 2>&1 || rc=$?
		# The runner echoes the console for --run; the control channel's
		# diagnostics are the lines "# [driver] bench: ..." (maybe glued to
		# the end of an unterminated console line).
		{ grep -o "# \[$d\] bench: \(RESULT\|MEM\) .*" "$log" || true; } |
			awk -v d="$d" -v r="$r" -v OFS='\t' '
			$4 == "RESULT" { for (i = 6; i <= NF; i++) { split($i, kv, "="); print d, r, "fio", $5, kv[1], kv[2] } }
			$4 == "MEM" { for (i = 5; i <= NF; i++) { split($i, kv, "="); print d, r, "mem", kv[1], "kib", kv[2] } }' \
			>>"$results"
		got=$(awk -v d="$d" -v r="$r" '$1 == d && $2 == r && $3 == "fio" && $5 == "iops"' "$results" | wc -l)
		summary=$(awk -v d="$d" -v r="$r" '$1 == d && $2 == r && $3 == "fio" && $5 == "iops" {
			printf "%s%s %d", sep, $4, $6; sep = ", " }' "$results")
		if ((rc != 0 || got != nwork)); then
			failed=$((failed + 1))
			echo "bench: round $r $d FAILED (runner exit $rc, $got of $nwork workloads); log $log" >&2
			grep -E "^not ok [0-9]+ - \[$d\]|^# .*(timeout|died)" "$log" | head -n 5 | sed 's/^/  | /' >&2 || true
		else
			echo "bench: round $r $d: $summary IOPS ($((SECONDS - t0)) s)" >&2
		fi
	done
done

# --- report -----------------------------------------------------------------
python3 - "$results" "$workloads" "$rounds" "$bench_seconds" "${drivers[@]}" <<'EOF'
import statistics
import sys

path, workloads, rounds, seconds, base, ours = sys.argv[1:7]
rows = [line.rstrip("\n").split("\t") for line in open(path) if line.strip()]
data = {}
for driver, _round, kind, name, key, value in rows:
    try:
        data.setdefault((kind, name, key, driver), []).append(float(value))
    except ValueError:
        pass


def cell(kind, name, key, driver, scale=1.0):
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


print(f"\nmake bench: lsi3108 model, one null-co write-through LD; {rounds} round(s) per driver, "
      f"{seconds} s per workload; median over the rounds (min-max)\n")
lines = []
for w in workloads.split(","):
    seq = not w.split("-")[0].startswith("rand")
    key, unit, scale = ("kib_s", "MiB/s", 1024.0) if seq else ("iops", "IOPS", 1.0)
    a, at = cell("fio", w, key, base, scale)
    b, bt = cell("fio", w, key, ours, scale)
    lines.append([w, unit, at, bt, ratio(a, b)])
    a, at = cell("fio", w, "lat_us", base)
    b, bt = cell("fio", w, "lat_us", ours)
    lines.append(["", "mean lat us", at, bt, ratio(a, b)])
table("throughput (higher is better; latency lower is better)",
      ["workload", "metric", base, ours, f"{ours}/{base}"], lines)

mem_rows = [("module", "module size (/proc/modules)"),
            ("deps", "modules it pulled in"),
            ("used", "free memory drop after load"),
            ("sunreclaim", "  Slab, unreclaimable"),
            ("percpu", "  Percpu"),
            ("vmalloc", "  VmallocUsed (module text too)"),
            ("pages", "  other pages (DMA memory ...)")]
lines = []
for key, label in mem_rows:
    a, at = cell("mem", key, "kib", base)
    b, bt = cell("mem", key, "kib", ours)
    lines.append([label, at, bt, ratio(a, b)])
table("memory after load, KiB (caches dropped before and after; lower is better)",
      ["", base, ours, f"{ours}/{base}"], lines)
EOF

echo "bench: ${SECONDS} s in all; logs in $logs" >&2
if ((failed)); then
	echo "bench: $failed run(s) failed" >&2
	exit 1
fi
