#!/bin/sh
# 57-cache: cache protection and the flush policy, across power cuts. Each
# phase k = 1..4 sets up one configuration of the scratch LD at run time
# (qom-set: the controller's bbu, the LD's write-back and disk-cache), checks
# what the host sees (sd's cache_type, i.e. WCE from the caching page; with
# lsi3108 the LD's lsi3108_flush_mode and the host's bbu attribute), writes
# 4 MiB and flushes it (sg_sync, SYNCHRONIZE CACHE(10)), checks where the
# flush went (the model's counters), writes 1 MiB more without a flush, and
# cuts the power. Phase k + 1 first checks both regions:
#   1 protected write-back (bbu good): the flush needs no firmware write-back
#     and both regions survive;
#   2 the BBU goes bad at run time under fio: the LD turns write-through
#     (WCE follows), and both regions survive without any flush;
#   3 "always write back" with a bad BBU: the flush must reach the controller
#     (lsi3108: the cache-flush DCMD); the unflushed MiB is lost;
#   4 disk caches on (bbu good): the same, the disks' caches being volatile;
#   5 (no cut) the module absent, then learning, then good again.
# Upstream megaraid_sas forwards SYNCHRONIZE CACHE (the model's firmware sets
# the capability bit), which writes nothing back: in 3 and 4 its flushed data
# is lost, and it never re-reads WCE when the BBU changes. Those results are
# findings, recorded as TODO for it (docs/driver.md).
. /tests/lib.sh
k=$LSI_PHASE
case "$k" in
    1) plan 4 ;;
    2) plan 9 ;;
    3 | 4) plan 6 ;;
    5) plan 5 ;;
    *) plan 1; bail "unknown phase '$k'" ;;
esac
time_limit 600
skip_unless_inject "cache protection" "controller has no power-cut control"
need_driver
idx=$(ld_index scratch)
dev=$(ld_dev "$idx") || bail "scratch LD has no disk"
need_qom bbu x-flush-count x-cache-flush-dcmd-count x-power-cut

flushed_at() { echo $((96 + 8 * ($1 - 1))); }    # MiB, 4 MiB each
unflushed_at() { echo $((100 + 8 * ($1 - 1))); } # MiB, 1 MiB each
sdev_dir() { echo "/sys/block/${dev#/dev/}/device"; }
cache_type() { cat "$(sdev_dir)"/scsi_disk/*/cache_type 2>/dev/null || echo missing; }
flush_mode() { cat "$(sdev_dir)/lsi3108_flush_mode" 2>/dev/null || echo missing; }
ld_set() { host_req qom-set "ld$idx" "$1" "$2" >/dev/null; }
ld_dirty() { qom_get x-dirty-bytes "/machine/peripheral/ld$idx"; }
fw_sync() { [ "$(qom_get sync-cache)" = true ]; }
safe_mode() { fw_sync && echo firmware || echo complete; }
# lsi3108's host attribute bbu for a model bbu state
bbu_attr() {
    case "$1" in
        good) echo protecting ;;
        absent) echo absent ;;
        *) echo not-protecting ;;
    esac
}
# Usage: host_sees <flush mode> <cache_type> <bbu> (lsi3108)
host_sees() {
    [ "$(flush_mode)" = "$1" ] && [ "$(cache_type)" = "$2" ] &&
        [ "$(lsi_counter bbu)" = "$(bbu_attr "$3")" ]
}
write_through() { [ "$(cache_type)" = "write through" ]; }

# " # TODO upstream: <why>" for megaraid_sas results that show a finding.
upstream_todo() { is_lsi3108 || echo " # TODO upstream: $*"; }

# Where an SYNCHRONIZE CACHE(10) should go: dcmd where data is volatile
# (lsi3108 only), else cdb when the firmware handles it, else none.
want_path() {
    if is_lsi3108 && [ "$1" = volatile ]; then
        echo dcmd
    elif fw_sync; then
        echo cdb
    else
        echo none
    fi
}

# Usage: setup <bbu> <write-back> <disk-cache> <cache_type> <flush mode>:
# one result: the host sees the configuration (after the events reached it).
setup() {
    local bbu=$1 wb=$2 dc=$3 want_ct=$4 want_mode=$5 seen
    qom_set bbu "$bbu" >/dev/null || bail "the model refused bbu=$bbu"
    ld_set write-back "$wb" || bail "the model refused write-back=$wb"
    ld_set disk-cache "$([ "$dc" = on ] && echo true || echo false)" || bail "the model refused disk-cache=$dc"
    if is_lsi3108; then
        wait_until 120 host_sees "$want_mode" "$want_ct" "$bbu"
    else
        sleep 3
    fi
    seen="cache_type '$(cache_type)', flush mode $(flush_mode), bbu $(lsi_counter bbu)"
    if [ "$(cache_type)" = "$want_ct" ] &&
        { ! is_lsi3108 || host_sees "$want_mode" "$want_ct" "$bbu"; }; then
        tap_ok "bbu=$bbu write-back=$wb disk-cache=$dc: $seen"
    else
        tap_fail "bbu=$bbu write-back=$wb disk-cache=$dc: want cache_type '$want_ct', mode $want_mode, bbu $(bbu_attr "$bbu"); got $seen$(upstream_todo "WCE is not re-read when the firmware changes the policy")"
    fi
}

# Usage: flush_and_cut <path> <dirty check: kept|empty|any>: writes phase k's
# two regions, flushes the first, checks the path (2 results) and the
# cache after the flush (1 result), stores the checksums, cuts the power.
flush_and_cut() {
    local want=$1 dirty_want=$2 before after cdb dcmd seen out dirty
    random_file /tmp/f 4
    random_file /tmp/u 1
    dev_write /tmp/f "$dev" "$(flushed_at "$k")" || bail "O_DIRECT write to $dev failed"
    before="$(qom_get x-flush-count) $(qom_get x-cache-flush-dcmd-count)"
    out=$(sg_sync "$dev" 2>&1)
    expect_eq "sg_sync $dev (output: '$out')" 0 "$?"
    after="$(qom_get x-flush-count) $(qom_get x-cache-flush-dcmd-count)"
    cdb=$(( ${after% *} - ${before% *} ))
    dcmd=$(( ${after#* } - ${before#* } ))
    if [ "$dcmd" -gt 0 ]; then seen=dcmd; elif [ "$cdb" -gt 0 ]; then seen=cdb; else seen=none; fi
    expect_eq "the flush reached the firmware as (cdb +$cdb, dcmd +$dcmd)" "$want" "$seen"
    dirty=$(ld_dirty)
    case "$dirty_want" in
        kept) expect_ne "the flushed 4 MiB stayed in the protected cache (LD x-dirty-bytes $dirty)" 0 "$dirty" ;;
        empty) expect_eq "nothing volatile left on the LD after the flush (LD x-dirty-bytes)" 0 "$dirty" ;;
        *) tap_ok "LD x-dirty-bytes after the flush: $dirty" ;;
    esac
    dev_write /tmp/u "$dev" "$(unflushed_at "$k")" || bail "O_DIRECT write to $dev failed"
    host_req put "cache.f$k" "$(sha_of /tmp/f)" >/dev/null &&
        host_req put "cache.u$k" "$(sha_of /tmp/u)" >/dev/null ||
        bail "the host did not store the checksums"
    powercut_and_continue $((k + 1))
}

# Usage: check_previous <flushed: kept|lost> <unflushed: kept|lost> [todo]:
# phase k - 1's regions after the cut (2 results).
check_previous() {
    local p=$((k - 1)) got want
    want=$(host_req get "cache.f$p") || bail "host has no cache.f$p: $want"
    got=lost
    [ "$(dev_sha "$dev" "$(flushed_at "$p")" 4)" = "$want" ] && got=kept
    if [ "$got" = "$1" ]; then
        tap_ok "phase $p: the flushed 4 MiB after the power cut: $got"
    else
        tap_fail "phase $p: the flushed 4 MiB after the power cut: expected $1, got $got${3:+$(upstream_todo "$3")}"
    fi
    want=$(host_req get "cache.u$p") || bail "host has no cache.u$p: $want"
    got=lost
    [ "$(dev_sha "$dev" "$(unflushed_at "$p")" 1)" = "$want" ] && got=kept
    expect_eq "phase $p: the unflushed 1 MiB after the power cut" "$2" "$got"
}

# A phase that stops early leaves the model as the next test expects it.
at_finish "qom_set bbu good >/dev/null; ld_set write-back on; ld_set disk-cache false"

case "$k" in
1)
    setup good on off "write back" "$(safe_mode)"
    flush_and_cut "$(want_path safe)" kept
    ;;
2)
    check_previous kept kept
    setup good on off "write back" "$(safe_mode)"
    # The BBU fails under I/O: the LD turns write-through, WCE follows.
    io_start bbu "$dev" 200 32
    sleep 2
    qom_set bbu bad >/dev/null || bail "the model refused bbu=bad"
    if is_lsi3108; then
        wait_until 120 write_through
    else
        sleep 5
    fi
    ct=$(cache_type)
    if [ "$ct" = "write through" ]; then
        tap_ok "BBU bad under I/O: sd's cache_type followed ('$ct')"
    else
        tap_fail "BBU bad under I/O: sd's cache_type is '$ct', not 'write through'$(upstream_todo "megaraid_sas does not revalidate on BBU events: WCE stays stale (harmless here: the LD is write-through)")"
    fi
    if is_lsi3108; then
        expect_eq "lsi3108's bbu attribute" not-protecting "$(lsi_counter bbu)"
    else
        tap_skip "bbu attribute" "megaraid_sas has none"
    fi
    io_stop bbu || bail "the fio loop did not stop"
    io_verified bbu "fio across the BBU change verified all it wrote"
    flush_and_cut "$(want_path safe)" empty
    ;;
3)
    check_previous kept kept
    setup bad always off "write back" flush-dcmd
    flush_and_cut "$(want_path volatile)" "$(is_lsi3108 && echo empty || echo any)"
    ;;
4)
    check_previous kept lost "forwarded SYNCHRONIZE CACHE, which writes back nothing: flushed data lost with 'always write back' and a bad BBU"
    setup good on on "write back" flush-dcmd
    flush_and_cut "$(want_path volatile)" "$(is_lsi3108 && echo empty || echo any)"
    ;;
5)
    check_previous kept lost "forwarded SYNCHRONIZE CACHE, which does not flush the disks' caches: flushed data lost with the disk cache on"
    # The other BBU states, no power cut: a plain write-back LD runs
    # write-through without a module and during a learn cycle.
    setup absent on off "write through" "$(safe_mode)"
    setup learning on off "write through" "$(safe_mode)"
    setup good on off "write back" "$(safe_mode)"
    ;;
esac
finish
