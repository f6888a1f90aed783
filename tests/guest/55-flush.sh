#!/bin/sh
# 55-flush: where SYNCHRONIZE CACHE goes, read from the controller's counters.
# The runner says what to expect in LSI_EXPECT_FLUSH_PATH:
#   cdb   the firmware receives the SYNCHRONIZE CACHE CDB (x-flush-count rises)
#   dcmd  the driver sends MR_DCMD_CTRL_CACHE_FLUSH instead
#         (x-cache-flush-dcmd-count rises, x-flush-count does not)
#   none  nothing reaches the firmware: the driver completes it itself
# and, for SYNCHRONIZE CACHE(16), LSI_EXPECT_FLUSH16_PATH (default: the same):
# upstream megaraid_sas intercepts only the 10-byte opcode.
# Three kinds of flush are tried on the scratch LD after a write that lands
# in the write-back cache: SYNCHRONIZE CACHE(10) and (16) from sg_sync, and a
# block-layer flush (fsync of the block device, sent by sd). After the
# cache-flush DCMD the LD's share of the cache (the LD device's own
# x-dirty-bytes, /machine/peripheral/ld<N>) must be empty; a SYNCHRONIZE
# CACHE the firmware answers itself writes nothing back (the model's strict
# reading; LSI_EXPECT_SYNC_WRITEBACK=yes where the bench sets the model's
# sync-cache-writeback), and one the driver completes never reaches it: the
# data stays in the (on the default bench protected) cache.
. /tests/lib.sh
need_driver
idx=$(ld_index scratch)
dev=$(ld_dev "$idx") || bail "scratch LD has no disk"
ld_dirty() { qom_get x-dirty-bytes "/machine/peripheral/ld$idx"; }
want10=${LSI_EXPECT_FLUSH_PATH:-cdb}
want16=${LSI_EXPECT_FLUSH16_PATH:-$want10}
# QEMU's megasas-gen2 has no counters: skip there. On the model they must be there and read.
skip_unless_inject "flush path" "controller has no counters"
plan 9
need_qom x-flush-count x-cache-flush-dcmd-count

counters() { echo "$(qom_get x-flush-count) $(qom_get x-cache-flush-dcmd-count)"; }

# Usage: check_flush <name> <expected path> <command...>
check_flush() {
    local name=$1 want=$2 before after cdb dcmd seen dirty
    shift 2
    random_file /tmp/flushdata 4
    dev_write /tmp/flushdata "$dev" 128 || bail "O_DIRECT write to $dev failed"
    dirty=$(ld_dirty)
    before=$(counters)
    out=$("$@" 2>&1)
    expect_eq "$name on $dev succeeds (output: '$out')" 0 "$?"
    after=$(counters)
    cdb=$(( ${after% *} - ${before% *} ))
    dcmd=$(( ${after#* } - ${before#* } ))
    if [ "$cdb" -gt 0 ]; then seen=cdb; elif [ "$dcmd" -gt 0 ]; then seen=dcmd; else seen=none; fi
    expect_eq "$name reached the firmware as (cdb +$cdb, dcmd +$dcmd)" "$want" "$seen"
    if [ "$want" = dcmd ] || { [ "$want" = cdb ] && [ "${LSI_EXPECT_SYNC_WRITEBACK:-no}" = yes ]; }; then
        expect_eq "$name left no dirty bytes on the LD (before: $dirty)" 0 "$(ld_dirty)"
    else
        tap_diag "$name: LD x-dirty-bytes $dirty before, $(ld_dirty) after"
        expect_ne "$name left the data in the cache (LD x-dirty-bytes after the flush)" 0 "$(ld_dirty)"
    fi
}

check_flush "SYNCHRONIZE CACHE(10)" "$want10" sg_sync "$dev"
check_flush "SYNCHRONIZE CACHE(16)" "$want16" sg_sync --16 "$dev"
check_flush "block-layer flush (fsync)" "$want10" \
    dd if=/dev/zero of="$dev" bs=4k count=1 seek=1 conv=notrunc,fsync status=none
finish
