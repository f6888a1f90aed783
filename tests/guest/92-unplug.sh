#!/bin/sh
# 92-unplug: surprise removal under I/O. While fio writes and verifies the
# scratch LD, the model drops off the bus (surprise-removed: MMIO and config
# space read all-ones, no DMA, no interrupt). The driver must notice on its
# own and fail the pending I/O quickly (fio ends with an error, no hang), and
# new I/O fails at once. Then the guest removes the PCI function (what a
# hot-plug controller's removal would do: the driver's remove on a device
# that is gone), the model is put back (as after power-on, its cache kept),
# and a PCI rescan brings the controller back: the driver binds it again and
# every LD reappears with the 4 MiB written (and acknowledged, not flushed)
# before the unplug, and fio verifies on it.
# Figures: time to fail the pending I/O, to remove, to come back.
. /tests/lib.sh
skip_unless_inject "surprise unplug under I/O" "this controller cannot be surprise-removed"
start_on_scratch 9 420    # $dev: the scratch LD
pci=$(ctrl_pci) || bail "no RAID controller on the PCI bus"
need_qom x-surprise-removed x-completion-delay-us

ref_write unplug "$dev" 464 4 || bail "O_DIRECT write of 4 MiB to $dev failed"
inject x-completion-delay-us 5000 || bail "cannot set x-completion-delay-us"
io_start unplug "$dev" 0 16
n=$(wait_inflight "$dev" 20)
t0=$(now_ms)
out=$(qom_set x-surprise-removed true) || bail "the model refused surprise-removed: $out"

# 1. Pending I/O fails, quickly.
pending_io_fails unplug "$dev" "$t0" "the unplug with $n command(s) in flight"
# 2. lsi3108 knows the controller is gone.
if is_lsi3108; then
    if wait_until 30 eval '[ "$(lsi_counter ctrl_state)" = dead ]'; then
        tap_ok "lsi3108 declared the unplugged controller dead ($(ms_since "$t0") ms after the unplug)"
    else
        tap_fail "ctrl_state is $(lsi_counter ctrl_state) 30 s after the unplug (want dead)"
    fi
else
    tap_skip "the driver declared the controller dead" "$LSI_DRIVER has no ctrl_state"
fi
# 3. New I/O fails at once.
new_io_fails "$dev" read "unplugged controller"
# 4. The PCI function goes away; the driver's remove copes.
t1=$(now_ms)
run_deadline 90 sh -c "echo 1 >$pci/remove"
[ $? -eq 124 ] && wedged "removing $(basename "$pci") still running after 90 s"
if [ ! -e "$pci" ]; then
    tap_ok "PCI function removed in $RUN_MS ms; $(driver_disks | wc -l) disks left"
else
    tap_fail "removing $pci: $(cat /tmp/run_deadline.out) after $RUN_MS ms (still there: $([ -e "$pci" ] && echo yes || echo no))"
fi
qom_set x-completion-delay-us 0
# 5. Back on the bus: rescan, the driver binds, the LDs come back.
qom_set x-surprise-removed false || tap_diag "surprise-removed=false refused: $(cat /tmp/qom_set.out)"
t1=$(now_ms)
echo 1 >/sys/bus/pci/rescan
if out=$(load_driver); then
    tap_ok "after the rescan $LSI_DRIVER drives the controller again: $(driver_disks | wc -l) of $LSI_LDS LDs in $(ms_since "$t1") ms"
else
    tap_fail "after the rescan: $out"
fi
check_back unplug "the unplug and rescan"
expect_eq "no unexpected PCI functions: the controller is back at $(basename "$pci")" "$pci" "$(ctrl_pci)"
finish
