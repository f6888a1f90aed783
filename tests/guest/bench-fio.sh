#!/bin/sh
# bench-fio: one boot's worth of `make bench` (not part of the suite: no NN-
# prefix, so /init only runs it as `lsi.run=bench-fio.sh`). scripts/bench.sh
# starts it with `tests/runner.py --layout bench --run bench-fio.sh`: one
# write-through LD on a null-co backend (--layout bench8: eight, lsi.lds=8,
# and every workload runs on all of them at once: one fio job per disk at the
# workload's depth, reported as one group).
#
# 1. memory: with scsi_mod, sd_mod and sg already loaded and caches dropped,
#    /proc/meminfo before and after loading $LSI_DRIVER (and its disk
#    appearing), plus the module's size from /proc/modules;
# 2. fio (libaio, O_DIRECT, time based, 1 s ramp) on the LD, each workload
#    for lsi.bench_seconds (default 8). A workload named ...-poll runs with
#    io_uring --hipri (completions polled): lsi3108 and megaraid_sas are
#    reloaded with poll_queues=1 for it (and without for the others, the
#    driver's map reported again); a disk that cannot poll then (io_poll 0:
#    virtio_scsi, megaraid_sas on 2 CPUs) skips it (SKIP line).
#
# 3. with lsi.bench_insn=<seconds> (QEMU runs qemu/plugins/insn-count.c):
#    per workload, fio again, and in its steady state one counting window of
#    that many seconds (insn-window); the host divides the window's guest
#    instructions by the I/Os the disk completed in it.
#
# The anchors run the same script: LSI_DRIVER=virtio_scsi (a virtio-scsi
# controller, scsi-hd on null-co) and null_blk (the block layer's own null
# device, no controller: the ceiling).
#
# Results go to the host as diagnostics on the control channel, one line each:
#   TAP # bench: MEM <key>=<KiB> ...
#   TAP # bench: RESULT <workload> iops=<n> kib_s=<n> lat_us=<mean> usr=<%> sys=<%>
#   TAP # bench: MAP text=<_text> mods=<name>:<address>:<size>,...
#   TAP # bench: BLOCK <start>-<end>,... (block layer text, offsets from _text)
#   TAP # bench: IDLE <start>-<end>,... (the idle loop's text, likewise)
#   TAP # bench: SYMS <function>:<address>,... (the driver module's text symbols)
#   TAP # bench: INSN <workload> window=<n> ios=<n> reads=<n> writes=<n> ms=<n>
#   TAP # bench: SKIP <workload> <why>
# and one TAP result per step (a failing fio or driver load is `not ok`).
. /tests/lib.sh
export LSI_TEST=bench
seconds=${LSI_BENCH_SECONDS:-8}
insn_seconds=${LSI_BENCH_INSN:-0}
workloads=${LSI_BENCH_WORKLOADS:-randread-4k-qd1,randread-4k-qd32,randwrite-4k-qd32,read-128k-qd8,randread-4k-qd1-poll}

# "<key> <KiB>" for the meminfo fields the memory report uses, and PcpFree:
# free pages parked on the per-cpu lists (/proc/zoneinfo), which MemFree
# does not count.
meminfo() {
    awk '/^(MemFree|Buffers|Cached|AnonPages|Slab|SUnreclaim|Percpu|VmallocUsed|KernelStack|PageTables):/ {
        print $1, $2 }' /proc/meminfo | tr -d :
    awk '$1 == "count:" { n += $2 } END { print "PcpFree", n * 4 }' /proc/zoneinfo
}

# Write back and drop caches, let deferred frees run.
quiesce() {
    sync
    echo 3 >/proc/sys/vm/drop_caches
    sleep 1
}

# --- memory -------------------------------------------------------------
# The SCSI core, disk and sg modules are loaded first, and udevd (whose
# workers come and go, each a few MB) is stopped: the deltas are then the
# driver's and its disk's. Nothing below needs udev (devtmpfs makes /dev/sdX).
for m in scsi_mod sd_mod sg; do
    modprobe "$m" 2>/dev/null
done
udevadm settle --timeout=20
udevadm control --exit 2>/dev/null
sleep 1
quiesce
meminfo >/tmp/mem.before
awk '{ print $1 }' /proc/modules >/tmp/mods.before

# The driver under test and its disk (the virtio transport is loaded first:
# virtio_scsi does not pull it in).
load_bench_driver() {
    case "$LSI_DRIVER" in
    null_blk)
        modprobe null_blk nr_devices="$LSI_LDS" || bail "modprobe null_blk failed"
        bench_disks
        return ;;
    virtio_scsi)
        modprobe virtio_pci || bail "modprobe virtio_pci failed" ;;
    esac
    out=$(load_driver) || bail "driver $LSI_DRIVER: $out"
    bench_disks
}
# The disk of bench LD <i>: null_blk's /dev/nullb<i>, else LD <i>'s.
bench_disk() {
    if [ "$LSI_DRIVER" = null_blk ]; then
        [ -b "/dev/nullb$1" ] && echo "/dev/nullb$1"
    else
        ld_dev "$1"
    fi
}
# bench_devs: every bench disk (LSI_LDS of them), bench_dev: the first.
bench_disks() {
    local i d
    bench_devs=
    for i in $(seq 0 $((LSI_LDS - 1))); do
        d=$(bench_disk "$i") || bail "$LSI_DRIVER loaded but disk $i of $LSI_LDS is missing"
        bench_devs="$bench_devs$d "
    done
    bench_dev=${bench_devs%% *}
}
load_bench_driver
tap_ok "driver $LSI_DRIVER loaded, disk(s) $bench_devs"
quiesce
meminfo >/tmp/mem.after
awk '{ print $1 }' /proc/modules >/tmp/mods.after

# Modules the load brought in: the driver and whatever it depends on that
# was not loaded yet (sizes in bytes in /proc/modules).
new_mods=$(awk 'FNR == NR { old[$1] = 1; next } !($1 in old)' /tmp/mods.before /tmp/mods.after |
    tr '\n' ' ')
mod_kib=$(awk -v m="$LSI_DRIVER" '$1 == m { printf "%d", $2 / 1024 }' /proc/modules)
deps_kib=$(for m in $new_mods; do
    [ "$m" = "$LSI_DRIVER" ] || awk -v m="$m" '$1 == m { print $2 }' /proc/modules
done | awk '{ s += $1 } END { printf "%d", s / 1024 }')
# MemFree drop and per-field growth; "pages" is what no field accounts for
# (page allocations such as the driver's coherent DMA memory and the block
# layer's request pools). Kernel stacks are vmalloc'ed (VMAP_STACK), so
# KernelStack is already in VmallocUsed.
mem=$(awk '
    FNR == NR { before[$1] = $2; next }
    { d[$1] = $2 - before[$1] }
    END {
        used = -(d["MemFree"] + d["PcpFree"])
        other = used - d["Slab"] - d["Percpu"] - d["VmallocUsed"] - d["PageTables"]
        printf "used=%d slab=%d sunreclaim=%d percpu=%d vmalloc=%d kstack=%d pages=%d" \
            " memfree=%d pcpfree=%d buffers=%d cached=%d anon=%d",
            used, d["Slab"], d["SUnreclaim"], d["Percpu"], d["VmallocUsed"], d["KernelStack"], other,
            d["MemFree"], d["PcpFree"], d["Buffers"], d["Cached"], d["AnonPages"]
    }' /tmp/mem.before /tmp/mem.after)
tap_diag "MEM module=${mod_kib:-0} deps=${deps_kib:-0} $mem"
tap_diag "modules loaded with $LSI_DRIVER: $new_mods"
for h in $(driver_hosts); do
    s=/sys/class/scsi_host/host$h
    tap_diag "host$h: can_queue=$(cat "$s/can_queue")" \
        "nr_hw_queues=$(cat "$s/nr_hw_queues" 2>/dev/null || echo ?)" \
        "sg_tablesize=$(cat "$s/sg_tablesize")"
done

# --- fio ------------------------------------------------------------------
dev=$bench_dev devs=$bench_devs

# fio's job list: one job per disk (options before the first --name are
# global), reported as one group.
fio_jobs() {
    local i=0 d
    for d in $devs; do
        echo "--name=$1-$i --filename=$d"
        i=$((i + 1))
    done
}

# Sets rw, bs, qd, engine (fio's options) and poll (1 or 0) from a workload
# <rw>-<bs>-qd<n>[-poll].
parse_workload() {
    local w=$1
    poll=0
    engine=--ioengine=libaio
    case "$w" in
    *-poll)
        poll=1
        engine="--ioengine=io_uring --hipri"
        w=${w%-poll} ;;
    esac
    rw=${w%%-*}
    rest=${w#*-}
    bs=${rest%%-*}
    qd=${rest#*-qd}
}

# The driver's module parameters for polled (1) or interrupt (0) completions.
poll_params() {
    case "$LSI_DRIVER:$1" in
    lsi3108:1 | megaraid_sas:1) echo poll_queues=1 ;;
    esac
}

# Usage: poll_mode 0|1 — reload lsi3108 or megaraid_sas with or without
# poll_queues=1 when it has the other (then reports the new module's map
# with $1 = "map"); 1 if the disk then cannot poll but should ($why says so).
mode=0
poll_mode() {
    local out
    if [ "$1" != "$mode" ] && [ -n "$(poll_params 1)" ]; then
        out=$(unload_driver) || bail "rmmod $LSI_DRIVER for poll mode $1: $out"
        # shellcheck disable=SC2046 # no parameter, or one
        out=$(modprobe "$LSI_DRIVER" $(poll_params "$1") 2>&1) ||
            bail "modprobe $LSI_DRIVER $(poll_params "$1"): $out"
        out=$(load_driver) || bail "driver $LSI_DRIVER (poll mode $1): $out"
        bench_disks
        dev=$bench_dev devs=$bench_devs
        mode=$1
        [ "${2:-}" = map ] && report_map
    fi
    why="$dev cannot poll (queue/io_poll $(cat "/sys/block/${dev#/dev/}/queue/io_poll"))"
    [ "$1" = 0 ] || [ "$(cat "/sys/block/${dev#/dev/}/queue/io_poll")" = 1 ]
}
tap_diag "$dev: queue_depth=$(cat /sys/block/${dev#/dev/}/device/queue_depth 2>/dev/null || echo -)" \
    "nr_requests=$(cat /sys/block/${dev#/dev/}/queue/nr_requests)" \
    "hw_queues=$(ls /sys/block/${dev#/dev/}/mq | wc -l)" \
    "scheduler=$(cat /sys/block/${dev#/dev/}/queue/scheduler)" \
    "max_sectors_kb=$(cat /sys/block/${dev#/dev/}/queue/max_sectors_kb)"

for w in $(echo "$workloads" | tr ',' ' '); do
    parse_workload "$w"
    if ! poll_mode "$poll"; then
        tap_diag "SKIP $w $why"
        tap_skip "fio $w" "$why"
        continue
    fi
    # shellcheck disable=SC2086 # $engine: one or two options
    # shellcheck disable=SC2046 # the job list: words
    fio --rw="$rw" --bs="$bs" --iodepth="$qd" \
        $engine --direct=1 --time_based --runtime="$seconds" --ramp_time=1 \
        --norandommap --randrepeat=0 --group_reporting $(fio_jobs "$w") \
        --output-format=terse --terse-version=3 >/tmp/fio.terse 2>/tmp/fio.err
    rc=$?
    # terse v3: 5 error; read 7 KiB/s, 8 IOPS, 40 mean lat (us); write 48,
    # 49, 81; 88 usr%, 89 sys%.
    line=$(awk -F';' -v rw="$rw" '$1 == 3 {
        r = (rw ~ /write/) ? 41 : 0
        printf "err=%d iops=%.0f kib_s=%d lat_us=%.1f usr=%s sys=%s",
            $5, $(8 + r), $(7 + r), $(40 + r), $88, $89 }' /tmp/fio.terse)
    err=$(echo "$line" | sed -n 's/^err=\([0-9]*\) .*/\1/p')
    if [ "$rc" -ne 0 ] || [ "${err:-x}" != 0 ]; then
        tap_fail "fio $w: exit $rc, ${line:-no terse output}: $(head -c 300 /tmp/fio.err | tr '\n' ' ')"
        continue
    fi
    tap_diag "RESULT $w ${line#err=0 }"
    tap_ok "fio $w: ${seconds} s"
done

# --- guest instructions per I/O (the TCG plugin) ---------------------------
[ "$insn_seconds" -gt 0 ] 2>/dev/null || finish
# Where the code ran: the kernel's _text (KASLR moves it; the host has
# System.map) and every module's core (name:address:size); and the driver
# module's functions (name:address), for a per-function profile. Again after
# each reload (poll_mode): the host takes every module range it was told of.
report_map() {
    tap_diag "MAP text=0x$(awk '$3 == "_text" { print $1 }' /proc/kallsyms)" \
        "mods=$(awk '{ printf "%s%s:%s:%s", sep, $1, $6, $2; sep = "," }' /proc/modules)"
    awk -v m="[$LSI_DRIVER]" '$4 == m && $2 ~ /^[tT]$/ {
        printf "%s:%s%s", $3, $1, (++n % 40) ? "," : "\n" }
        END { printf "\n" }' /proc/kallsyms | sed 's/,$//' | grep . | while read -r syms; do
        tap_diag "SYMS $syms"
    done
}
report_map
# The block layer is built in: its code is found by name in /proc/kallsyms,
# as runs of consecutive text symbols, <start>-<end> offsets from _text
# (hex); 100 runs a line. So is the idle loop (do_idle, cpuidle, the nohz
# tick's idle entry and exit, the idle task's scheduler class), reported on
# its own: it runs because a CPU waits, not for the I/O. (busybox awk's
# numbers are doubles: only the low 32 bits of an address are used; the
# kernel's text lies in one 1 GiB window.)
text_runs() { # $1 = regex of the names (put into the program: a constant
    # regex is compiled once, a -v string one per line by busybox awk)
    awk '
    function hex(s,   i, n) {
        n = 0
        s = tolower(s)
        for (i = 1; i <= length(s); i++)
            n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
        return n
    }
    NF == 3 && $2 ~ /^[tT]$/ {
        a = hex(substr($1, 9))
        if ($3 == "_text")
            text = a
        if (text == "")
            next
        hit = ($3 ~ /'"$1"'/)
        if (open && !hit) {
            printf "%x-%x%s", start - text, a - text, (++n % 100) ? "," : "\n"
            open = 0
        }
        if (!open && hit) {
            start = a
            open = 1
        }
    }
    END { printf "\n" }' /proc/kallsyms | sed 's/,$//' | grep .
}
block_re='^_*((blk|bio|bdev|blkdev|elv|elevator|disk|part|bvec|sbitmap|sbq|blkg|blkcg|bsg|dd|deadline|kyber|bfq|rq_qos|wbt|ioc|ioprio|hctx|bd|get_disk|put_disk|set_disk|req_bio)_|submit_bio|bio_endio)'
idle_re='^(do_idle|cpu_startup_entry|default_idle|default_idle_call|arch_cpu_idle|arch_cpu_idle_enter|arch_cpu_idle_exit|cpu_idle_poll|call_cpuidle|poll_idle|native_safe_halt|pv_native_safe_halt|acpi_safe_halt|cpuidle_[a-z_]*|menu_[a-z_]*|haltpoll_[a-z_]*|mwait_idle[a-z_]*|intel_idle[a-z_]*|acpi_idle_[a-z_]*|tick_nohz_idle_[a-z_]*|tick_nohz_(stop|restart)_[a-z_]*|tick_nohz_get_sleep_length|pick_next_task_idle|put_prev_task_idle|set_next_task_idle|balance_idle)($|[.])'
text_runs "$block_re" | while read -r runs; do
    tap_diag "BLOCK $runs"
done
text_runs "$idle_re" | while read -r runs; do
    tap_diag "IDLE $runs"
done
window=0
for w in $(echo "$workloads" | tr ',' ' '); do
    parse_workload "$w"
    poll_mode "$poll" map || continue
    # fio runs 2 s before the window (warm, in its steady state) and 2 s after it
    # shellcheck disable=SC2086 # $engine: one or two options
    # shellcheck disable=SC2046 # the job list: words
    fio --rw="$rw" --bs="$bs" --iodepth="$qd" \
        $engine --direct=1 --time_based --runtime=$((insn_seconds + 4)) \
        --norandommap --randrepeat=0 --group_reporting $(fio_jobs "$w") \
        --output-format=terse >/dev/null 2>/tmp/fio.err &
    fio_pid=$!
    sleep 2
    window=$((window + 1))
    # shellcheck disable=SC2046 # the disks' names: words
    counted=$(insn-window "$insn_seconds" $(for d in $devs; do echo "${d#/dev/}"; done) 2>&1)
    rc=$?
    wait "$fio_pid"
    frc=$?
    if [ "$rc" -ne 0 ] || [ "$frc" -ne 0 ]; then
        tap_fail "counted fio $w: window exit $rc ($counted), fio exit $frc: $(head -c 300 /tmp/fio.err | tr '\n' ' ')"
        continue
    fi
    tap_diag "INSN $w window=$window $counted"
    tap_ok "counted fio $w: ${insn_seconds} s window"
done
finish
