#!/bin/sh
# 91-hotplug: logical drives come and go while another LD is busy. R rounds
# (LSI_HOTPLUG_ROUNDS): the big LD is removed from the controller (QEMU
# device_del: the firmware raises LD DELETED) and its sd disk must disappear;
# then added back with the same device arguments (LD CREATED) and a disk with
# its target id, size and serial must appear, holding the 1 MiB written and
# flushed before the first removal. fio writes and verifies the fs LD all the
# time, undisturbed. lsi3108 must have counted the events (event_count) and
# rejected none (bad_event_count).
# Figures: how long the disk took to go and to come back, per round.
. /tests/lib.sh
ROUNDS=${LSI_HOTPLUG_ROUNDS:-3}
[ -n "${LSI_LD_BIG_DEVICE:-}" ] || skip_test "LD hot-remove and hot-add under I/O" "the runner gave no LD device to hot-plug"
skip_unless_inject "LD hot-remove and hot-add under I/O" "the runner gave no LD device to hot-plug"
plan $((2 * ROUNDS + 3))
time_limit $((120 + ROUNDS * 120))
need_driver
big=$(ld_index big)
target=$(ld_field "$big" target)
blocks=$(ld_field "$big" blocks)
serial=$(ld_field "$big" serial)
id=$(echo "$LSI_LD_BIG_DEVICE" | tr ',' '\n' | sed -n 's/^id=//p')
[ -n "$id" ] || bail "no id= in the LD device '$LSI_LD_BIG_DEVICE'"
bigdev=$(ld_dev "$big") || bail "big LD has no disk"
fsdev=$(ld_dev "$(ld_index fs)") || bail "fs LD has no disk"
ref_write hotplug "$bigdev" 1024 1 flush || bail "write + sg_sync of 1 MiB to $bigdev failed"
events=$(lsi_counter event_count)
bad_events=$(lsi_counter bad_event_count)

big_gone() { ! ld_dev "$big" >/dev/null 2>&1; }
big_back() {
    local d
    d=$(ld_dev "$big" 2>/dev/null) || return 1
    [ "$(cat "/sys/block/${d#/dev/}/size" 2>/dev/null)" = "$blocks" ]
}

io_start hotplug "$fsdev" 0 16
k=1
while [ "$k" -le "$ROUNDS" ]; do
    t0=$(now_ms)
    out=$(host_req hmp device_del "$id")
    if [ -n "$out" ]; then
        tap_fail "round $k: device_del $id: $out"
    elif wait_until 60 big_gone; then
        tap_ok "round $k: LD $big (target $target) removed under I/O: its disk $bigdev disappeared in $(ms_since "$t0") ms"
    else
        tap_fail "round $k: disk $bigdev of the removed LD still present 60 s later"
    fi
    udevadm settle --timeout=20
    t0=$(now_ms)
    out=$(host_req hmp device_add "$LSI_LD_BIG_DEVICE")
    if [ -n "$out" ]; then
        tap_fail "round $k: device_add: $out"
    elif wait_until 60 big_back; then
        udevadm settle --timeout=20
        bigdev=$(ld_dev "$big")
        got_serial=$(sg_inq -p 0x80 "$bigdev" 2>/dev/null | sed -n 's/^ *Unit serial number: *//p')
        if [ "$got_serial" = "$serial" ] && ref_intact hotplug "$bigdev"; then
            tap_ok "round $k: LD $big added back: disk $bigdev, $blocks blocks, serial $serial, 1 MiB intact, in $(ms_since "$t0") ms"
        else
            tap_fail "round $k: LD $big added back as $bigdev but serial '$got_serial' (want $serial) or its 1 MiB changed"
        fi
    else
        tap_fail "round $k: no disk of $blocks blocks for target $target 60 s after device_add"
    fi
    k=$((k + 1))
done
io_stop hotplug 180 || wedged "fio on the fs LD still running 180 s after the stop request"
io_verified hotplug "fio on the fs LD during $ROUNDS removals and additions"
expect_eq "all $LSI_LDS LDs present at the end" "$LSI_LDS" "$(driver_disks | wc -l)"
if is_lsi3108; then
    now_events=$(lsi_counter event_count)
    now_bad=$(lsi_counter bad_event_count)
    if [ "$events" != missing ] && [ "$((now_events - events))" -ge $((2 * ROUNDS)) ] && [ "$now_bad" = "$bad_events" ]; then
        tap_ok "lsi3108 received $((now_events - events)) firmware events (>= $((2 * ROUNDS))), rejected none"
    else
        tap_fail "firmware events: event_count $events -> $now_events (want +$((2 * ROUNDS)) or more), bad_event_count $bad_events -> $now_bad (want unchanged)"
    fi
else
    tap_skip "firmware events counted, none rejected" "$LSI_DRIVER has no event counters"
fi
finish
