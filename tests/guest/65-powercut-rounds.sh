#!/bin/sh
# 65-powercut-rounds: flushed data survives repeated power cuts. Phase k
# (k = 1..R, R = LSI_POWERCUT_ROUNDS, default 10; the runner asks 20 of
# lsi3108, at most 20 fit the layout below) first checks every region
# written so far, then writes region k (4 MiB of fresh random data at its own
# offset of the scratch LD), flushes it (sg_sync), writes 1 MiB more without
# a flush, stores the checksums on the host and cuts the power. Phase R + 1
# checks all R regions once more. The unflushed 1 MiB of each round is checked
# against LSI_EXPECT_UNFLUSHED (kept on the model's default bench: its good
# BBU protects the cache; 57-cache runs the volatile configurations). Where LSI_EXPECT_FLUSHED is not "kept" (upstream megaraid_sas
# without the firmware's sync-cache bit never forwards a flush), the premise
# does not hold: the test skips (60-powercut checks that case).
. /tests/lib.sh
ROUNDS=${LSI_POWERCUT_ROUNDS:-10}
REGION_AT=256       # MiB: region k is 4 MiB at REGION_AT + 8 (k - 1)
UNFLUSHED_AT=448    # MiB: round k's unflushed 1 MiB is at UNFLUSHED_AT + 2 (k - 1)
k=$LSI_PHASE

if [ "${LSI_EXPECT_FLUSHED:-kept}" != kept ]; then
    plan 1
    tap_skip "flushed data across $ROUNDS power cuts" "flushed data is expected '$LSI_EXPECT_FLUSHED' on this bench and driver"
    finish
fi
case "$k" in
    '' | *[!0-9]*) plan 1; bail "unknown phase '$k'" ;;
esac
[ "$k" -ge 1 ] && [ "$k" -le $((ROUNDS + 1)) ] || { plan 1; bail "phase $k out of 1..$((ROUNDS + 1))"; }
if [ "$k" -eq 1 ]; then
    plan 2
elif [ "$k" -le "$ROUNDS" ]; then
    plan 4
else
    plan 2
fi
need_driver
dev=$(ld_dev "$(ld_index scratch)") || bail "scratch LD has no disk"

region_at() { echo $((REGION_AT + 8 * ($1 - 1))); }
unflushed_at() { echo $((UNFLUSHED_AT + 2 * ($1 - 1))); }

# Everything written and flushed in rounds 1..k-1 is intact.
check_regions() {
    local r want bad=""
    r=1
    while [ "$r" -lt "$k" ]; do
        if ! want=$(host_req get "rounds.region$r"); then
            bad="$bad $r (no checksum on the host: $want)"
        elif [ "$(dev_sha "$dev" "$(region_at "$r")" 4)" != "$want" ]; then
            bad="$bad $r"
        fi
        r=$((r + 1))
    done
    bad=${bad# }
    expect_eq "after power cut $((k - 1)): flushed regions 1..$((k - 1)) of $dev intact (regions lost or changed)" \
        none "${bad:-none}"
}

# The previous round's unflushed 1 MiB: kept, lost (old data) or mixed.
check_unflushed() {
    local p=$((k - 1)) new old got seen
    new=$(host_req get "rounds.unflushed$p") || bail "host has no rounds.unflushed$p: $new"
    old=$(host_req get "rounds.unflushed_old$p") || bail "host has no rounds.unflushed_old$p: $old"
    got=$(dev_sha "$dev" "$(unflushed_at "$p")" 1)
    if [ "$got" = "$new" ]; then seen=kept; elif [ "$got" = "$old" ]; then seen=lost; else seen=mixed; fi
    case "${LSI_EXPECT_UNFLUSHED:-any}" in
        any) tap_skip "round $p's unflushed 1 MiB after the cut: $seen" "no expectation set" ;;
        *) expect_eq "round $p's unflushed 1 MiB after the cut" "$LSI_EXPECT_UNFLUSHED" "$seen" ;;
    esac
}

# Round k: write and flush region k, write the unflushed 1 MiB, cut.
round() {
    local at u out rc old dirty stored=0
    at=$(region_at "$k")
    u=$(unflushed_at "$k")
    random_file /tmp/region 4
    random_file /tmp/unflushed 1
    old=$(dev_sha "$dev" "$u" 1)
    dev_write /tmp/region "$dev" "$at" || bail "O_DIRECT write of region $k to $dev failed"
    out=$(sg_sync "$dev" 2>&1)
    rc=$?
    expect_eq "round $k/$ROUNDS: sg_sync after 4 MiB at $at MiB (output: '$out')" 0 "$rc"
    dev_write /tmp/unflushed "$dev" "$u" || bail "O_DIRECT write of round $k's unflushed MiB failed"
    host_req put "rounds.region$k" "$(sha_of /tmp/region)" >/dev/null && stored=$((stored + 1))
    host_req put "rounds.unflushed$k" "$(sha_of /tmp/unflushed)" >/dev/null && stored=$((stored + 1))
    host_req put "rounds.unflushed_old$k" "$old" >/dev/null && stored=$((stored + 1))
    expect_eq "round $k/$ROUNDS: host stored the 3 checksums" 3 "$stored"
    dirty=$(qom_get x-dirty-bytes) && tap_diag "round $k: controller x-dirty-bytes before the cut: $dirty"
    powercut_and_continue $((k + 1))
}

if [ "$k" -gt 1 ]; then
    check_regions
    check_unflushed
fi
[ "$k" -le "$ROUNDS" ] && round
finish
