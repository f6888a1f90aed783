#!/bin/sh
# 70-shutdown: data written without a flush survives a clean power-off,
# because the driver's shutdown path flushes the controller cache
# (MR_DCMD_CTRL_CACHE_FLUSH). Phase 1 writes and powers off with poweroff -f
# (the host records the controller counters before it stops QEMU); phase 2
# verifies the data and, where the model has them, the counters.
. /tests/lib.sh
need_driver
dev=$(ld_dev "$(ld_index scratch)") || bail "scratch LD has no disk"
AT=128     # MiB offset of the 16 MiB region

phase1() {
    plan 1
    random_file /tmp/data 16
    dev_write /tmp/data "$dev" "$AT" || bail "O_DIRECT write to $dev failed"
    out=$(host_req put shutdown.data "$(sha_of /tmp/data)")
    rc=$?
    expect_eq "host stored the checksum (reply: '$out')" 0 "$rc"
    shutdown_and_continue 2
}

phase2() {
    plan 3
    want=$(host_req get shutdown.data) || bail "host has no shutdown.data checksum: $want"
    expect_eq "unflushed 16 MiB on $dev intact after a clean power-off" "$want" "$(dev_sha "$dev" "$AT" 16)"
    if count=$(host_req get shutdown.x-cache-flush-dcmd-count); then
        expect_eq "MR_DCMD_CTRL_CACHE_FLUSH received before power-off (count $count)" yes \
            "$([ "$count" -ge 1 ] && echo yes || echo no)"
    else
        tap_skip "MR_DCMD_CTRL_CACHE_FLUSH received before power-off" "controller has no x-cache-flush-dcmd-count"
    fi
    if dirty=$(host_req get shutdown.x-dirty-bytes); then
        expect_eq "controller x-dirty-bytes at power-off" 0 "$dirty"
    else
        tap_skip "controller x-dirty-bytes at power-off is 0" "controller has no x-dirty-bytes"
    fi
}

case "$LSI_PHASE" in
    1) phase1 ;;
    2) phase2 ;;
    *) bail "unknown phase '$LSI_PHASE'" ;;
esac
finish
