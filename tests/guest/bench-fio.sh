#!/bin/sh
# bench-fio: one boot's worth of `make bench` (not part of the suite: no NN-
# prefix, so /init only runs it as `lsi.run=bench-fio.sh`). scripts/bench.sh
# starts it with `tests/runner.py --layout bench --run bench-fio.sh`: one
# write-through LD on a null-co backend.
#
# 1. memory: with scsi_mod, sd_mod and sg already loaded and caches dropped,
#    /proc/meminfo before and after loading $LSI_DRIVER (and its disk
#    appearing), plus the module's size from /proc/modules;
# 2. fio (libaio, O_DIRECT, time based, 1 s ramp) on the LD, each workload
#    for lsi.bench_seconds (default 8).
#
# Results go to the host as diagnostics on the control channel, one line each:
#   TAP # bench: MEM <key>=<KiB> ...
#   TAP # bench: RESULT <workload> iops=<n> kib_s=<n> lat_us=<mean> usr=<%> sys=<%>
# and one TAP result per step (a failing fio or driver load is `not ok`).
. /tests/lib.sh
export LSI_TEST=bench
seconds=${LSI_BENCH_SECONDS:-8}
workloads=${LSI_BENCH_WORKLOADS:-randread-4k-qd1,randread-4k-qd32,randwrite-4k-qd32,read-128k-qd8}

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

out=$(load_driver) || bail "driver $LSI_DRIVER: $out"
tap_ok "driver $LSI_DRIVER loaded, $(driver_disks | wc -l) disk(s)"
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
dev=$(ld_dev "$(ld_index scratch)") || bail "scratch LD has no disk"
tap_diag "$dev: queue_depth=$(cat /sys/block/${dev#/dev/}/device/queue_depth)" \
    "scheduler=$(cat /sys/block/${dev#/dev/}/queue/scheduler)" \
    "max_sectors_kb=$(cat /sys/block/${dev#/dev/}/queue/max_sectors_kb)"

for w in $(echo "$workloads" | tr ',' ' '); do
    # <rw>-<bs>-qd<n>
    rw=${w%%-*}
    rest=${w#*-}
    bs=${rest%%-*}
    qd=${rest#*-qd}
    fio --name="$w" --filename="$dev" --rw="$rw" --bs="$bs" --iodepth="$qd" \
        --ioengine=libaio --direct=1 --time_based --runtime="$seconds" --ramp_time=1 \
        --norandommap --randrepeat=0 \
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
finish
