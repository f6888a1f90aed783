#!/bin/sh
# 30-dd: 64 MiB of random data written and read back with O_DIRECT, sha256
# compared: at the start of the scratch LD, and on the big LD at 2 TiB + 1 MiB
# (LBA 2^32 + 2048: beyond 32-bit LBAs, so READ/WRITE(16) must be right).
. /tests/lib.sh
plan 4
need_driver

random_file /tmp/dd.src 64
want=$(sha_of /tmp/dd.src)
want_first=$(dd if=/tmp/dd.src bs=1M count=1 status=none | sha256sum | cut -d' ' -f1)

# Usage: roundtrip <role> <offset MiB>
roundtrip() {
    local dev before after
    dev=$(ld_dev "$(ld_index "$1")") || { tap_fail "$1 LD has no disk"; return; }
    # The first MiB is enough to show the readback cannot be stale data.
    before=$(dev_sha "$dev" "$2" 1)
    expect_ne "$1 LD $dev @${2}MiB holds other data before the write (first MiB)" "$want_first" "$before"
    dev_write /tmp/dd.src "$dev" "$2" || { tap_fail "O_DIRECT write of 64 MiB to $dev @${2}MiB failed"; return; }
    after=$(dev_sha "$dev" "$2" 64)
    expect_eq "$1 LD $dev @${2}MiB O_DIRECT readback sha256" "$want" "$after"
}

roundtrip scratch 0
roundtrip big $((2 * 1024 * 1024 + 1))
rm -f /tmp/dd.src
finish
