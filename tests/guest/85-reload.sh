#!/bin/sh
# 85-reload: the driver survives being unloaded and loaded again, 20 times
# (LSI_RELOADS overrides: the runner asks 50 of lsi3108), with data checked
# across each reload: 1 MiB of
# random data written O_DIRECT at a different offset of the scratch LD each
# round and flushed (sg_sync); rmmod; modprobe; all LSI_LDS disks back (udev
# settled); the 1 MiB read back O_DIRECT has the same sha256. One result per
# round; the kernel log is checked at the end, for DMA and interrupt
# remapping faults too (the vIOMMU bench: DMA left running across a reload
# faults there). The same runs for upstream
# megaraid_sas (the fidelity peer): LSI_EXPECT_RELOAD=ok|fail says what a
# round must do (ok unless the runner knows better).
. /tests/lib.sh
ROUNDS=${LSI_RELOADS:-20}
want=${LSI_EXPECT_RELOAD:-ok}
plan $((ROUNDS + 3))
need_driver
idx=$(ld_index scratch)
dev=$(ld_dev "$idx") || bail "scratch LD has no disk"
mib=$(($(ld_field "$idx" blocks) / 2048))
expect_eq "$LSI_DRIVER bound with all $LSI_LDS LDs before the first reload" "$LSI_LDS" "$(driver_disks | wc -l)"

# rmmod, retried while udev or a late probe still holds a disk open.
unload() {
    local i out
    for i in 1 2 3 4 5 6 7 8 9 10; do
        udevadm settle --timeout=20
        out=$(rmmod "$LSI_DRIVER" 2>&1) && return 0
        sleep 0.5
    done
    echo "$out"
    return 1
}

t0=$(date +%s)
i=1
while [ "$i" -le "$ROUNDS" ]; do
    start=$(date +%s)
    off=$((16 + (i * 37) % (mib - 48)))
    random_file /tmp/reload 1
    want_sha=$(sha_of /tmp/reload)
    problems=
    dev=$(ld_dev "$idx") || problems="$problems scratch LD missing before the round;"
    if [ -z "$problems" ]; then
        dev_write /tmp/reload "$dev" "$off" || problems="$problems O_DIRECT write to $dev failed;"
        out=$(sg_sync "$dev" 2>&1) || problems="$problems sg_sync $dev: $out;"
    fi
    out=$(unload) || problems="$problems rmmod: $out;"
    [ -d "/sys/module/$LSI_DRIVER" ] && problems="$problems module still loaded;"
    [ "$(driver_disks | wc -l)" -eq 0 ] || problems="$problems disks still present after rmmod;"
    out=$(load_driver) || problems="$problems $out;"
    n=$(driver_disks | wc -l)
    [ "$n" -eq "$LSI_LDS" ] || problems="$problems $n of $LSI_LDS LDs after the load;"
    if dev=$(ld_dev "$idx"); then
        got=$(dev_sha "$dev" "$off" 1)
        [ "$got" = "$want_sha" ] || problems="$problems 1 MiB at $off MiB differs after the reload;"
    else
        problems="$problems scratch LD missing after the load;"
    fi
    if [ -z "$problems" ]; then seen=ok; else seen=fail; fi
    desc="reload $i/$ROUNDS ($(($(date +%s) - start)) s): $LSI_DRIVER unloaded and loaded, $n LDs, 1 MiB at $off MiB intact"
    if [ "$seen" = "$want" ]; then
        tap_ok "$desc${problems:+ (failed as expected:$problems)}"
    else
        tap_fail "$desc: expected $want, got$problems"
        [ "$want" = ok ] && [ ! -d "/sys/module/$LSI_DRIVER" ] && bail "$LSI_DRIVER is not loaded any more; stopping"
    fi
    i=$((i + 1))
done
tap_diag "$ROUNDS reloads in $(($(date +%s) - t0)) s"
faults=$(dmesg_since_start | grep -iE 'DMAR.*fault|IO_PAGE_FAULT|swiotlb buffer is full' | head -n 3 | tr '\n' '|')
expect_eq "no DMA or interrupt remapping faults in the kernel log" none "${faults:-none}"
check_dmesg
finish
