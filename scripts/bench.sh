#!/usr/bin/env bash
# make bench: side-by-side performance runs of lsi3108 and upstream
# megaraid_sas on the same controller model and the same LD (one write-through
# LD on a null-co backend: tests/runner.py --layout bench), with two anchors in
# the same run: null_blk in the guest (the ceiling: the block layer with no
# device) and virtio-scsi (scsi-hd on the same null-co backend). One boot per
# driver per round, the order rotated each round, so drift in the machine's
# load hits all alike. Each boot runs tests/guest/bench-fio.sh: the driver's
# memory footprint after load, then fio (libaio, O_DIRECT) 4k randread QD1 and
# QD32, 4k randwrite QD32, 128k sequential read QD8, and 4k randread QD1
# polled (io_uring --hipri, the driver reloaded with poll_queues=1; skipped
# where the disk cannot poll); then each workload again
# with QEMU's TCG plugin (qemu/plugins/insn-count.c) counting the guest's
# instructions in an INSN_SECONDS window, which scripts/bench-insns.py splits
# by region (driver, SCSI/block layers, rest of the kernel, user space) and
# divides by the I/Os completed in the window. Prints per driver the median
# over the rounds (with min-max), the IOPS as a fraction of null_blk and as a
# ratio to virtio-scsi and megaraid_sas, and the instructions per I/O.
#
# Benchmarks never fail on a ratio: the exit status is non-zero only when a
# run failed (build, boot, driver load, fio, kernel log).
#
# Environment: ROUNDS (default 4), SECONDS (per workload, default 8; also
# BENCH_SECONDS), INSN_SECONDS (the counting window, default 3; 0: no
# instruction counts), BENCH_WORKLOADS (comma list of <rw>-<bs>-qd<n>[-poll],
# fio's rw names), BENCH_DRIVERS (default null_blk,virtio_scsi,megaraid_sas,lsi3108),
# BENCH_CPUS (comma list of vCPU counts, each 1, 2 or 4; default 2) and
# BENCH_LDS (comma list of LD counts, 1 or 8; default 1: with 8, every workload
# runs on 8 LDs at once, each at the workload's depth): the whole bench runs
# once per combination, and with more than one a scaling table follows.
# BENCH_KEEP=1 keeps the runner's work dirs. Logs of the last run stay in
# build/bench/logs/<n>cpu-<m>ld/ (the plugin's raw counts in <round>-<driver>.insn,
# the driver's functions by instructions per I/O in <round>-<driver>.profile).
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
workloads=${BENCH_WORKLOADS:-randread-4k-qd1,randread-4k-qd32,randwrite-4k-qd32,read-128k-qd8,randread-4k-qd1-poll}
insn_seconds=${INSN_SECONDS:-3}
IFS=, read -r -a drivers <<<"${BENCH_DRIVERS:-null_blk,virtio_scsi,megaraid_sas,lsi3108}"
[[ $insn_seconds =~ ^[0-9]+$ ]] || die "INSN_SECONDS must be a number of seconds, got '$insn_seconds'"
for d in "${drivers[@]}"; do
	case $d in
	null_blk | virtio_scsi | megaraid_sas | lsi3108) ;;
	*) die "BENCH_DRIVERS: unknown driver '$d'" ;;
	esac
done
IFS=, read -r -a cpu_counts <<<"${BENCH_CPUS:-2}"
for c in "${cpu_counts[@]}"; do
	case $c in
	1 | 2 | 4) ;;
	*) die "BENCH_CPUS: a vCPU count is 1, 2 or 4, got '$c'" ;;
	esac
done
IFS=, read -r -a ld_counts <<<"${BENCH_LDS:-1}"
for l in "${ld_counts[@]}"; do
	case $l in
	1 | 8) ;;
	*) die "BENCH_LDS: an LD count is 1 or 8, got '$l'" ;;
	esac
done
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
	chmod +x "$1/qemu-system-x86_64"
	cp build/libinsn-count.so "$1/libinsn-count.so"' _ "$out" >/dev/null
# The counting runs load the plugin: BENCH_INSN_OUT (set per run below) names
# its output file; without it QEMU runs as built.
sed -i "s|^exec \([^ ]*\) |exec \1 \${BENCH_INSN_OUT:+-plugin $PWD/$out/libinsn-count.so,out=\$BENCH_INSN_OUT} |" \
	"$out/qemu-system-x86_64"
eval "$(bash scripts/guest-kernel.sh 6.1)"
make --no-print-directory module KDIR="$HEADERS" >&2
cp lsi3108.ko "$out/lsi3108.ko"
initrd=$out/initramfs-$KVER.cpio.lz4
MODROOT=$MODROOT bash scripts/mkinitramfs.sh "$KVER" "$initrd" "$out/lsi3108.ko"
echo "bench: built in ${SECONDS} s; ${rounds} round(s), ${bench_seconds} s per workload:" \
	"$workloads" >&2

# --- runs -------------------------------------------------------------------
logs_top=$out/logs
rm -rf "$logs_top"
mkdir -p "$logs_top"
nwork=$(tr ',' '\n' <<<"$workloads" | wc -l)
timeout=$((240 + nwork * (bench_seconds + 1) * 3 + nwork * (insn_seconds + 6) * 4))
failed=0
keep=()
[ -n "${BENCH_KEEP:-}" ] && keep=(--keep)

# run_config <n> <m>: every round of every driver on an n-vCPU guest (the
# runner's machine variant smp<n>; 2 is the bench's own) with m LDs (layout
# bench or bench8), logs and results.tsv in $logs_top/<n>cpu-<m>ld/.
run_config() {
	local c=$1 l=$2 variant=none layout=bench r n i d order
	[[ $c == 2 ]] || variant=smp$c
	[[ $l == 1 ]] || layout=bench$l
	logs=$logs_top/${c}cpu-${l}ld
	mkdir -p "$logs"
	results=$logs/results.tsv	# driver round kind name key value
	: >"$results"
	for ((r = 1; r <= rounds; r++)); do
		# rotated: each driver goes first in one round of every len(drivers)
		n=${#drivers[@]}
		order=()
		for ((i = 0; i < n; i++)); do
			order+=("${drivers[(i + r - 1) % n]}")
		done
		for d in "${order[@]}"; do
			log=$logs/$r-$d.log
			insn=$PWD/$logs/$r-$d.insn
			ctrl=lsi3108
			[[ $d == virtio_scsi ]] && ctrl=virtio-scsi
			t0=$SECONDS
			rc=0
			BENCH_INSN_OUT=$( ((insn_seconds > 0)) && echo "$insn") \
			python3 tests/runner.py --kver "$KVER" --kernel-dir "$KDIR" --initrd "$initrd" \
				--qemu "$PWD/$out/qemu-system-x86_64" --layout "$layout" --run bench-fio.sh \
				--controller "$ctrl" --driver "$d" --timeout "$timeout" --machine-variant "$variant" \
				--append "lsi.bench_seconds=$bench_seconds" --append "lsi.bench_insn=$insn_seconds" \
				--append "lsi.bench_workloads=$workloads" "${keep[@]}" >"$log" 2>&1 || rc=$?
			# The runner echoes the console for --run; the control channel's
			# diagnostics are the lines "# [driver] bench: ..." (maybe glued to
			# the end of an unterminated console line).
			{ grep -o "# \[$d\] bench: \(RESULT\|MEM\|SKIP\) .*" "$log" || true; } |
				awk -v d="$d" -v r="$r" -v OFS='\t' '
				$4 == "RESULT" { for (i = 6; i <= NF; i++) { split($i, kv, "="); print d, r, "fio", $5, kv[1], kv[2] } }
				$4 == "SKIP" { print d, r, "skip", $5, "skipped", "-" }
				$4 == "MEM" { for (i = 5; i <= NF; i++) { split($i, kv, "="); print d, r, "mem", kv[1], "kib", kv[2] } }' \
				>>"$results"
			if ((insn_seconds > 0)) && [[ -s $insn ]]; then
				python3 scripts/bench-insns.py "$d" "$r" "$log" "$insn" "$logs/$r-$d.profile" \
					>>"$results" || rc=$?
			fi
			# A workload the disk cannot run (SKIP: polled, where it cannot poll) counts as run.
			got=$(awk -v d="$d" -v r="$r" '$1 == d && $2 == r && ($3 == "fio" && $5 == "iops" || $3 == "skip")' \
				"$results" | wc -l)
			summary=$(awk -v d="$d" -v r="$r" '$1 == d && $2 == r && $3 == "fio" && $5 == "iops" {
				printf "%s%s %d", sep, $4, $6; sep = ", " }
				$1 == d && $2 == r && $3 == "skip" { printf "%s%s skipped", sep, $4; sep = ", " }' "$results")
			if ((rc != 0 || got != nwork)); then
				failed=$((failed + 1))
				echo "bench: $c vCPU(s), $l LD(s), round $r $d FAILED (runner exit $rc, $got of $nwork workloads); log $log" >&2
				grep -E "^not ok [0-9]+ - \[$d\]|^# .*(timeout|died)" "$log" | head -n 5 | sed 's/^/  | /' >&2 || true
			else
				echo "bench: $c vCPU(s), $l LD(s), round $r $d: $summary IOPS ($((SECONDS - t0)) s)" >&2
			fi
		done
	done
}


# Every combination of vCPUs and LDs, then each one's tables
# (scripts/bench-report.py) and, with more than one, the scaling table.
configs=()
for c in "${cpu_counts[@]}"; do
	for l in "${ld_counts[@]}"; do
		configs+=("${c}cpu-${l}ld")
		run_config "$c" "$l"
	done
done
for cfg in "${configs[@]}"; do
	c=${cfg%%cpu-*} l=${cfg#*cpu-}
	python3 scripts/bench-report.py one "$logs_top/$cfg/results.tsv" "$workloads" "$rounds" \
		"$bench_seconds" "$insn_seconds" "$c" "${l%ld}" "${drivers[@]}"
done
if ((${#configs[@]} > 1)); then
	python3 scripts/bench-report.py scaling "$logs_top" "$workloads" "${configs[*]}" "${drivers[@]}"
fi

echo "bench: ${SECONDS} s in all; logs in $logs_top" >&2
if ((failed)); then
	echo "bench: $failed run(s) failed" >&2
	exit 1
fi
