#!/bin/sh
# 87-dead: a firmware FAULT that forbids a reset (the model's x-fault-no-reset:
# no RESET_ADAPTER, a chip reset does not help) makes the driver declare the
# controller dead, quickly and cleanly: the I/O that was pending fails (fio
# ends with an error, no hang), new reads and writes fail at once, and rmmod
# works. Then the model is revived (firmware back to READY, its cache kept),
# the driver is loaded again, and every LD is back with its data: 4 MiB
# written before the fault (acknowledged, left in the write-back cache) read
# back unchanged, and a fio pass verifies on the revived controller.
# Figures: how long each step took.
. /tests/lib.sh
skip_unless_inject "FAULT without reset -> controller dead" "this controller has no fault injection"
start_on_scratch 10 420    # $dev: the scratch LD
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
finish
