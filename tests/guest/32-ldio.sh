#!/bin/sh
# 32-ldio: the LD I/O rules of a real 3108, as the model enforces them, hold
# for the driver under test. 16 MiB of random data in 1 MiB O_DIRECT writes
# and reads (each command spans more SGEs than the frame holds, so it
# carries a chain element) on the scratch LD at 400 MiB:
#  - SGE flags: no firmware FAULT for them (x-sgl-fault-count unchanged): the
#    chain element and the last SGE carry the flags a 3108 takes;
#  - configuration sequence numbers: lsi3108 holds no RAID map and sends LD
#    I/O without the sequence-number flag (x-seq-checked-count unchanged);
#    megaraid_sas sends every read/write with it and the map's seqNum, which
#    matches (x-seq-checked-count up, x-seq-mismatch-count unchanged);
#  - task management: nothing sent to an LD the map does not mark TM-capable
#    (x-tm-refused unchanged).
# Then new 16 MiB are written while the LD's configuration changes four
# times (its write cache turned off and on again, twice, through sd's
# cache_type: MODE SELECT, a new sequence number each time), and read back:
# the data is right, and a driver that sent stale sequence numbers got them
# refused and retried (figures: the mismatches seen).
# Last, the firmware refuses LD reads/writes with 0x67 whatever they carry
# (x-seq-mismatch-next N): with N = 3 a 4 KiB read still succeeds (retried);
# with N = 1000 lsi3108 gives up after a bounded number of attempts (sd's
# retries: at most 10 refusals) and the read fails cleanly, while
# megaraid_sas retries each refusal at once (DID_IMM_RETRY) and gets through
# all 200 of N = 200; afterwards a read works.
. /tests/lib.sh
plan 9
need_driver
skip_unless_inject "LD I/O rules" "not on this bench"
need_qom x-seq-checked-count x-seq-mismatch-count x-sgl-fault-count x-tm-refused x-seq-mismatch-next
dev=$(ld_dev "$(ld_index scratch)") || bail "scratch LD has no disk"
AT=400

counts() {
    echo "checked=$(qom_get x-seq-checked-count) mismatch=$(qom_get x-seq-mismatch-count)" \
         "sglfault=$(qom_get x-sgl-fault-count) tmrefused=$(qom_get x-tm-refused)"
}
count_of() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
d() { echo $(($(count_of "$2" "$3") - $(count_of "$1" "$3"))); }

# Usage: roundtrip <what> — write, read back and compare the 16 MiB.
roundtrip() {
    dev_write /tmp/ldio.src "$dev" "$AT" || { tap_fail "$1: O_DIRECT write of 16 MiB failed"; return; }
    expect_eq "$1: 16 MiB written in 1 MiB commands read back" "$want" "$(dev_sha "$dev" "$AT" 16)"
}

random_file /tmp/ldio.src 16
want=$(sha_of /tmp/ldio.src)
before=$(counts)
roundtrip "before any configuration change"
after=$(counts)
tap_diag "model counters: before $before; after $after"
expect_eq "no firmware FAULT for SGE flags, no TM refused" "0 0" \
    "$(d "$before" "$after" sglfault) $(d "$before" "$after" tmrefused)"
checked=$(d "$before" "$after" checked)
if is_lsi3108; then
    expect_eq "lsi3108 (no RAID map): no LD I/O with the sequence-number flag" 0 "$checked"
elif [ "$checked" -ge 32 ] && [ "$(d "$before" "$after" mismatch)" -eq 0 ]; then
    tap_ok "$LSI_DRIVER sent $checked LD I/Os with the map's sequence number, none refused"
else
    tap_fail "$LSI_DRIVER: want >= 32 LD I/Os with the sequence-number flag and no mismatch; got $checked checked, $(d "$before" "$after" mismatch) mismatched"
fi

# Four configuration changes under the write: the LD's number moves 4 times.
sd=/sys/class/scsi_disk/$(ls "/sys/block/${dev#/dev/}/device/scsi_disk")
old_cache=$(cat "$sd/cache_type")
at_finish "echo '$old_cache' >$sd/cache_type"
random_file /tmp/ldio.src 16
want=$(sha_of /tmp/ldio.src)
before=$(counts)
bg_start ldio dev_write /tmp/ldio.src "$dev" "$AT"
changed=0
for i in 1 2; do
    echo "write through" >"$sd/cache_type" && echo "$old_cache" >"$sd/cache_type" &&
        changed=$((changed + 2))
done
wait_until 120 bg_done ldio || wedged "the write under configuration changes had not ended after 120 s"
if [ "$changed" -eq 4 ] && [ "$(bg_rc ldio)" = 0 ]; then
    tap_ok "16 MiB written while the LD's write cache went off and on twice (MODE SELECT): now '$(cat "$sd/cache_type")'"
else
    tap_fail "configuration changes under a write: $changed of 4 cache_type changes, write exit $(bg_rc ldio): $(bg_out ldio)"
fi
expect_eq "after four configuration changes: the 16 MiB read back" "$want" "$(dev_sha "$dev" "$AT" 16)"
after=$(counts)
tap_diag "model counters: before $before; after $after"
mismatch=$(d "$before" "$after" mismatch)
if is_lsi3108; then
    expect_eq "lsi3108: no sequence flag, nothing refused" "0 0" "$(d "$before" "$after" checked) $mismatch"
else
    tap_ok "$LSI_DRIVER after the changes: $(d "$before" "$after" checked) I/Os checked, $mismatch refused with 0x67 and retried, no FAULT ($(d "$before" "$after" sglfault))"
fi

# 0x67 for every LD read/write, N times: bounded retries.
mismatches() { qom_get x-seq-mismatch-count; }
read4k() { dd if="$dev" of=/dev/null bs=4k skip=$((AT * 256)) count=1 iflag=direct status=none; }
at_finish "qom_set x-seq-mismatch-next 0 >/dev/null"
m0=$(mismatches)
inject x-seq-mismatch-next 3 || bail "cannot set x-seq-mismatch-next"
if run_deadline 60 read4k; then
    tap_ok "3 refusals (0x67): the 4 KiB read succeeded after $RUN_MS ms, $(($(mismatches) - m0)) refused"
else
    tap_fail "3 refusals (0x67): the 4 KiB read failed: $(head -c 200 /tmp/run_deadline.out)"
fi
qom_set x-seq-mismatch-next 0 >/dev/null
m0=$(mismatches)
if is_lsi3108; then
    inject x-seq-mismatch-next 1000 || bail "cannot set x-seq-mismatch-next"
    run_deadline 60 read4k
    rc=$?
    n=$(($(mismatches) - m0))
    qom_set x-seq-mismatch-next 0 >/dev/null
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$n" -ge 2 ] && [ "$n" -le 10 ]; then
        tap_ok "endless 0x67: lsi3108 retried a bounded number of times ($n refusals) and the read failed cleanly after $RUN_MS ms"
    else
        tap_fail "endless 0x67: want a failed read after 2..10 refusals; got exit $rc after $RUN_MS ms, $n refusals"
    fi
else
    inject x-seq-mismatch-next 200 || bail "cannot set x-seq-mismatch-next"
    run_deadline 60 read4k
    rc=$?
    n=$(($(mismatches) - m0))
    qom_set x-seq-mismatch-next 0 >/dev/null
    if [ "$rc" -eq 0 ] && [ "$n" -eq 200 ]; then
        tap_ok "$LSI_DRIVER retried each of 200 refusals (0x67) at once; the read succeeded after $RUN_MS ms"
    else
        tap_fail "$LSI_DRIVER with 200 refusals: exit $rc after $RUN_MS ms, $n refusals"
    fi
fi
if run_deadline 60 read4k; then
    tap_ok "afterwards a 4 KiB read works"
else
    tap_fail "afterwards the 4 KiB read failed"
fi
rm -f /tmp/ldio.src
finish
