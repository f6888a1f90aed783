#!/bin/sh
# 98-busmaster: a PCI fault under I/O. Bus mastering (PCI COMMAND bit 2) is
# switched off and on every 200 ms for 30 s (LSI_BM_SECONDS) while fio does
# random reads and writes on the scratch LD. With bus mastering off every DMA
# of the controller fails: the model's firmware FAULTs (DMA fault code) and
# comes back only through a chip reset whose IOC INIT finds DMA working
# again; a reset attempted while it is off FAULTs again. I/O errors are
# allowed while this goes on; what is not allowed:
#  - fio not ending (a hang), or any task blocked for 120 s (hung-task report);
#  - the controller not LIVE (firmware OPERATIONAL, lsi3108's ctrl_state live,
#    a read working) within 60 s after the toggling stops;
#  - a disk offlined (every disk of the driver in state "running"): DEAD is
#    not a dead end, the same SCSI devices must take I/O again;
#  - 4 MiB written and flushed before the toggling changed;
#  - a fio pass with verification failing after the recovery.
# Then (lsi3108; upstream has no retry of a killed adapter) a cause the
# driver cannot undo: every DMA fails (x-dma-fail, as behind an IOMMU that
# blocks the function; bus mastering the driver turns back on itself). Each
# reset attempt FAULTs in its IOC INIT, so the controller must be declared
# DEAD within 60 s, stay DEAD while the cause persists (its periodic retry
# failing), and be LIVE again by itself within 60 s once DMA works, with the
# same disks running and the flushed data unchanged.
# Figures: toggles made, resets, time to LIVE after the toggling stopped, I/O
# errors fio saw; time to DEAD and back.
. /tests/lib.sh
SECONDS_ON=${LSI_BM_SECONDS:-30}
skip_unless_inject "bus mastering toggled under I/O" "this controller has no fault injection"
start_on_scratch 11 $((SECONDS_ON + 600))    # $dev: the scratch LD
pci=$(ctrl_pci) || bail "no RAID controller on the PCI bus"
need_qom x-fw-state
[ -w /proc/sys/kernel/hung_task_timeout_secs ] &&
    echo 120 >/proc/sys/kernel/hung_task_timeout_secs

# PCI COMMAND (config offset 4, low byte) with bit 2 (bus master) clear
# (/tmp/bm0) and set (/tmp/bm1), the other bits as they are now (memory and
# I/O decoding on): written as one byte through sysfs, as setpci
# COMMAND=0:4 / 4:4 does. One dd per toggle keeps the period near 200 ms.
cmd_byte=$(od -An -tu1 -j4 -N1 "$pci/config" | tr -d ' ')
[ -n "$cmd_byte" ] || bail "cannot read the PCI COMMAND register of $pci"
# shellcheck disable=SC2059 # the format is the octal escape of the byte
printf "\\$(printf %o $((cmd_byte & ~4 & 255)))" >/tmp/bm0
# shellcheck disable=SC2059
printf "\\$(printf %o $((cmd_byte | 4)))" >/tmp/bm1
bus_master() {
    busybox dd if="/tmp/bm$1" of="$pci/config" bs=1 seek=4 count=1 conv=notrunc 2>/dev/null
}
# UP_MS: the uptime in ms, without a subshell (the toggling loop forks only dd
# and sleep, so that it keeps to its 200 ms even on a loaded host).
uptime_ms() {
    local up
    read -r up _ </proc/uptime
    UP_MS=$((${up%.*} * 1000 + 1${up#*.}0 - 1000))
}
# Usage: sleep_until <ms> — sleep until the uptime reaches it (if not yet).
sleep_until() {
    local rem
    uptime_ms
    rem=$(($1 - UP_MS))
    [ "$rem" -gt 0 ] || return 0
    [ "$rem" -lt 1000 ] || rem=999
    if [ "$rem" -lt 10 ]; then rem=00$rem; elif [ "$rem" -lt 100 ]; then rem=0$rem; fi
    sleep "0.$rem"
}
bus_master_is() {
    [ $(( $(od -An -tu1 -j4 -N1 "$pci/config" | tr -d ' ') & 4 )) -eq $(($1 * 4)) ]
}

resets() { if is_lsi3108; then lsi_counter reset_count; else dmesg | grep -c 'Reset successful'; fi; }

# Every disk of the driver, with a state other than "running".
offlined() {
    local d s
    for d in $(driver_disks); do
        s=$(cat "/sys/block/${d#/dev/}/device/state" 2>/dev/null)
        [ "$s" = running ] || echo "${d#/dev/}:${s:-missing}"
    done
}

# 1. Data written and flushed before the fault.
ref_write bm "$dev" 440 4 flush || bail "O_DIRECT write of 4 MiB to $dev failed"

# 2. Random I/O, errors allowed, until SECONDS_ON + 5 s have passed.
bg_start fio fio --name=bm --filename="$dev" --offset=0 --size=16M --rw=randrw \
    --bsrange=4k-64k --iodepth=16 --ioengine=libaio --direct=1 --time_based \
    --runtime=$((SECONDS_ON + 5)) --continue_on_error=all --randrepeat=0
n=$(wait_inflight "$dev" 20)
before=$(resets)

# 3. Toggle every 200 ms (on a schedule, so a slow step does not stretch
# the next); end with bus mastering on.
uptime_ms
t0=$UP_MS
end=$((t0 + SECONDS_ON * 1000))
toggles=0 bad=0 next=$t0
while [ "$UP_MS" -lt "$end" ]; do
    bus_master $((toggles % 2)) || bad=$((bad + 1))
    toggles=$((toggles + 1))
    next=$((next + 200))
    sleep_until "$next"
done
[ $((toggles % 2)) -eq 1 ] && { bus_master 1 || bad=$((bad + 1)); toggles=$((toggles + 1)); }
t_stop=$(now_ms)
during=$(ctrl_states)
if [ "$bad" -eq 0 ] && bus_master_is 1; then
    tap_ok "bus mastering switched $toggles times in $((t_stop - t0)) ms (every $(((t_stop - t0) / toggles)) ms) with $n command(s) in flight at the start; at the end: $during, resets $before -> $(resets)"
else
    tap_fail "toggling bus mastering: $bad config writes failed, bus master bit now $(bus_master_is 1 && echo on || echo off)"
fi

# 4. LIVE again within 60 s of the last toggle: a read works.
live() { ctrl_up && probe_io "$dev" 10; }
if wait_until 60 live; then
    tap_ok "controller LIVE $(ms_since "$t_stop") ms after the toggling stopped ($(ctrl_states), resets $before -> $(resets))"
else
    tap_fail "controller not LIVE within 60 s after the toggling stopped: $(ctrl_states), resets $before -> $(resets)"
fi

# 5. fio ends; count its errors.
if wait_until 120 bg_done fio; then
    errs=$(sed -n 's/.*errors *: total=\([0-9]*\).*/\1/p' /tmp/bg-fio.out | head -n 1)
    first=$(sed -n 's/.*first_error=\([^ ]*\).*/\1/p' /tmp/bg-fio.out | head -n 1)
    [ "${errs:-0}" -gt 0 ] || first=
    tap_ok "fio ended $(ms_since "$t_stop") ms after the toggling stopped (exit $(bg_rc fio), I/O errors seen: ${errs:-0}${first:+, first $first})"
else
    wedged "fio still running 120 s after the toggling stopped ($(inflight "$dev") in flight, $(ctrl_states))"
fi

# 6. No disk offlined.
off=$(offlined)
if [ -z "$off" ]; then
    tap_ok "no disk offlined: all $(driver_disks | wc -l) disk(s) of $LSI_DRIVER running"
else
    tap_fail "disks not running after the PCI fault: $(echo "$off" | tr '\n' ' ')"
fi

# 7. The flushed data.
if ref_intact bm "$dev"; then
    tap_ok "4 MiB written and flushed before the toggling read back unchanged"
else
    tap_fail "4 MiB written and flushed before the toggling changed (or could not be read)"
fi

# 8. No task blocked for 120 s.
hung=$(dmesg_since_start | grep -E 'blocked for more than|hung task' | head -n 2 | tr '\n' '|')
if [ -z "$hung" ]; then
    tap_ok "no hung-task report in the kernel log"
else
    tap_fail "hung-task report: $hung"
fi

# 9. A verified fio pass on the recovered controller.
io_start bm2 "$dev" 0 16
io_stop bm2 180 || wedged "fio after the PCI fault still running after 180 s"
io_verified bm2 "fio after the PCI fault"

# 10-13. DMA failing until the model is told otherwise.
if ! is_lsi3108 || ! has_qom x-dma-fail; then
    for i in 1 2 3 4; do
        tap_skip "DMA failing persistently: DEAD and back" "$LSI_DRIVER has no retry of a dead adapter, or the model no x-dma-fail"
    done
    finish
fi
at_finish "qom_set x-dma-fail false"
bg_start fio3 fio --name=bm3 --filename="$dev" --offset=0 --size=16M --rw=randrw \
    --bsrange=4k-64k --iodepth=16 --ioengine=libaio --direct=1 --time_based \
    --runtime=20 --continue_on_error=all --randrepeat=0
wait_inflight "$dev" 20 >/dev/null
before=$(resets)
t0=$(now_ms)
qom_set x-dma-fail true || bail "the model refused x-dma-fail"
if wait_until 60 eval '[ "$(lsi_counter ctrl_state)" = dead ]'; then
    tap_ok "every DMA failing: declared DEAD $(ms_since "$t0") ms later (firmware $(qom_get x-fw-state), resets $before -> $(resets))"
else
    tap_fail "every DMA failing: not DEAD within 60 s ($(ctrl_states), resets $before -> $(resets))"
fi
sleep 12
if [ "$(lsi_counter ctrl_state)" = dead ]; then
    tap_ok "still DEAD 12 s later while DMA keeps failing ($(ctrl_states))"
else
    tap_fail "12 s later, DMA still failing: $(ctrl_states) (want dead)"
fi
qom_set x-dma-fail false || bail "the model refused x-dma-fail false"
t1=$(now_ms)
if wait_until 60 live; then
    tap_ok "LIVE again by itself $(ms_since "$t1") ms after DMA works again ($(ctrl_states), resets $before -> $(resets))"
else
    tap_fail "not LIVE within 60 s after DMA works again: $(ctrl_states)"
fi
wait_until 120 bg_done fio3 || wedged "fio still running 120 s after DMA works again"
off=$(offlined)
if [ -n "$off" ]; then
    tap_fail "after DEAD and back: disks not running: $(echo "$off" | tr '\n' ' ')"
elif ref_intact bm "$dev"; then
    tap_ok "after DEAD and back: every disk running, the flushed 4 MiB read back unchanged ($(cat "/sys/block/${dev#/dev/}/size") sectors)"
else
    tap_fail "after DEAD and back: the flushed 4 MiB did not read back unchanged ($dev: $(cat "/sys/block/${dev#/dev/}/size") sectors)"
fi
finish
