#!/bin/sh
# 87-dead: a firmware FAULT that forbids a reset (the model's x-fault-no-reset:
# no RESET_ADAPTER, a chip reset does not help) makes the driver declare the
# controller dead, quickly and cleanly: the I/O that was pending fails (fio
# ends with an error, no hang), new reads and writes fail at once, and rmmod
# works. Then the model is revived (firmware back to READY, its cache kept),
# the driver is loaded again, and every LD is back with its data: 4 MiB
# written before the fault (acknowledged, left in the write-back cache) read
# back unchanged, and a fio pass verifies on the revived controller.
# Then (lsi3108; upstream has no revival) DEAD is not a dead end: the
# controller is declared dead again, stays dead while the cause persists
# (its periodic retry finds the fault that forbids a reset), comes back by
# itself once the model is revived, and, a second time, at once through the
# SCSI host reset (sysfs host_reset, what lsi3108-ctl reset writes) — each
# time with the same disk, still "running", reading the 4 MiB back unchanged.
# Figures: how long each step took.
. /tests/lib.sh
REVIVE_RESULTS=7
skip_unless_inject "FAULT without reset -> controller dead" "this controller has no fault injection"
start_on_scratch $((10 + REVIVE_RESULTS)) 600    # $dev: the scratch LD
need_qom x-fault-no-reset x-revive x-fw-state x-completion-delay-us

ref_write dead "$dev" 420 4 || bail "O_DIRECT write of 4 MiB to $dev failed"
inject x-completion-delay-us 5000 || bail "cannot set x-completion-delay-us"
io_start dead "$dev" 0 16
n=$(wait_inflight "$dev" 20)
t0=$(now_ms)
out=$(qom_set x-fault-no-reset 1445) || bail "the model refused x-fault-no-reset: $out"
qom_set x-completion-delay-us 0

# 1. The driver gives up on the controller.
declared_dead() {
    if is_lsi3108; then
        [ "$(lsi_counter ctrl_state)" = dead ]
    else
        dmesg | grep -qiE 'megaraid_sas.*(kill|adapter.*dead|HBA.*kill)'
    fi
}
if wait_until 60 declared_dead; then
    tap_ok "FAULT without reset ($n command(s) in flight): controller declared dead in $(ms_since "$t0") ms (firmware $(qom_get x-fw-state))"
else
    tap_fail "controller not declared dead within 60 s of the FAULT: ctrl_state $(lsi_counter ctrl_state), firmware $(qom_get x-fw-state)"
fi

# 2. The pending I/O ends, with an error.
pending_io_fails dead "$dev" "$t0" "the fault"

# 3, 4. New I/O fails at once.
new_io_fails "$dev" read "dead controller"
new_io_fails "$dev" write "dead controller"

# 5. rmmod works on a dead controller.
t1=$(now_ms)
run_deadline 90 unload_driver
rc=$?
[ "$rc" -eq 124 ] && wedged "rmmod $LSI_DRIVER of the dead controller still running after 90 s"
if [ "$rc" -eq 0 ]; then
    left=$(driver_disks | wc -l)
    expect_eq "rmmod $LSI_DRIVER of the dead controller ($RUN_MS ms): disks left" 0 "$left"
else
    tap_fail "rmmod $LSI_DRIVER of the dead controller: $(cat /tmp/run_deadline.out) (after $RUN_MS ms)"
fi

# 6. The model comes back.
qom_set x-revive true || tap_diag "revive refused: $(cat /tmp/qom_set.out)"
if wait_until 10 eval '[ "$(qom_get x-fw-state)" = READY ]'; then
    tap_ok "model revived: firmware READY"
else
    tap_fail "model not READY after revive: $(qom_get x-fw-state)"
fi

# 7-10. Load again: the disks and their data are back.
t1=$(now_ms)
if out=$(load_driver); then
    tap_ok "$LSI_DRIVER loaded again in $(ms_since "$t1") ms: $(driver_disks | wc -l) of $LSI_LDS LDs"
else
    tap_fail "$LSI_DRIVER after revive: $out"
fi
check_back dead "the fault, revive and reload"

# 11-17. Revival of a DEAD controller without a reload.
if ! is_lsi3108; then
    i=0
    while [ "$i" -lt "$REVIVE_RESULTS" ]; do
        tap_skip "revival of a dead controller" "$LSI_DRIVER has no revival of a dead adapter"
        i=$((i + 1))
    done
    finish
fi
state() { lsi_counter ctrl_state; }
disk_ok() {
    local s
    s=$(cat "/sys/block/${dev#/dev/}/device/state" 2>/dev/null)
    if [ "$s" = running ] && ref_intact dead "$dev"; then
        tap_ok "$1: $dev still running, the 4 MiB read back unchanged"
    else
        tap_fail "$1: $dev state '${s:-missing}', or the 4 MiB did not read back unchanged"
    fi
}
# Usage: kill_again <what> — FAULT without reset; one result.
kill_again() {
    local t
    t=$(now_ms)
    qom_set x-fault-no-reset 1446 || bail "the model refused x-fault-no-reset"
    if wait_until 60 eval '[ "$(state)" = dead ]'; then
        tap_ok "$1: declared dead again $(ms_since "$t") ms after the FAULT"
    else
        tap_fail "$1: not dead within 60 s of the FAULT ($(ctrl_states))"
    fi
}
live() { ctrl_up && probe_io "$dev" 10; }

kill_again "revival by itself"
sleep 15
if [ "$(state)" = dead ] && [ "$(qom_get x-fw-state)" = FAULT ]; then
    tap_ok "still dead 15 s later while the fault persists (periodic retry refused by the firmware's fault)"
else
    tap_fail "15 s after the fault that forbids a reset: $(ctrl_states) (want dead, FAULT)"
fi
before=$(lsi_counter reset_count)
t1=$(now_ms)
qom_set x-revive true || bail "revive refused: $(cat /tmp/qom_set.out)"
if wait_until 45 live; then
    tap_ok "back by itself $(ms_since "$t1") ms after the cause went away ($(ctrl_states), resets $before -> $(lsi_counter reset_count))"
else
    tap_fail "not back within 45 s after the cause went away: $(ctrl_states)"
fi
disk_ok "after the revival by itself"

kill_again "revival by host reset"
qom_set x-revive true || bail "revive refused: $(cat /tmp/qom_set.out)"
host=$(driver_hosts | head -n 1)
t1=$(now_ms)
run_deadline 120 sh -c "echo adapter >/sys/class/scsi_host/host$host/host_reset"
rc=$?
[ "$rc" -eq 124 ] && wedged "host_reset of the dead controller still running after 120 s"
if [ "$rc" -eq 0 ] && live; then
    tap_ok "host_reset revived the dead controller in $RUN_MS ms ($(ctrl_states))"
else
    tap_fail "host_reset of the dead controller: exit $rc after $RUN_MS ms: $(cat /tmp/run_deadline.out), $(ctrl_states)"
fi
disk_ok "after the host reset"
finish
