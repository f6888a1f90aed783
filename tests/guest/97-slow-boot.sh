#!/bin/sh
# 97-slow-boot: power and reset transitions that take longer than 20 s (the
# original port of this controller panicked on those). The model's firmware
# is set to boot for 25 s after every (re)start (x-boot-delay-ms); then, while
# fio writes and verifies the scratch LD:
# - a FAULT: the online controller reset waits out the 25 s boot;
# - (lsi3108) a PCI function reset (FLR): reset_done waits out the boot.
#   Upstream megaraid_sas has no PCI reset hooks: it notices only through
#   its command timeout and takes minutes, so this step is lsi3108's alone.
# Each step must end with the controller working again within 90 s; then
# every fio pass verified, 4 MiB written (not flushed) before the first step
# unchanged, and no hung-task report or WARN in the kernel log (checked for
# every test).
# Figures: how long each transition took.
. /tests/lib.sh
BOOT_MS=${LSI_SLOW_BOOT_MS:-25000}
skip_unless_inject "slow firmware boot" "this controller has no fault injection"
start_on_scratch 4 400    # $dev: the scratch LD
pci=$(ctrl_pci) || bail "no RAID controller on the PCI bus"
need_qom x-boot-delay-ms x-boot-count x-fault x-fw-state

resets() { if is_lsi3108; then lsi_counter reset_count; else dmesg | grep -c 'Reset successful'; fi; }
recovered() {
    ctrl_up && [ "$(resets)" -gt "$before" ] || return 1
    probe_io "$dev" 60
}

# Usage: transition <what> <command...> — start it, wait for the way back.
transition() {
    local what=$1 boots t0
    shift
    before=$(resets)
    boots=$(qom_get x-boot-count)
    t0=$(now_ms)
    "$@" || { tap_fail "$what: could not start it"; return; }
    if wait_until 90 recovered; then
        tap_ok "$what with a ${BOOT_MS} ms firmware boot: I/O worked again after $(ms_since "$t0") ms (firmware boots $boots -> $(qom_get x-boot-count))"
    else
        wedged "$what: not recovered within 90 s: firmware $(qom_get x-fw-state), resets $before -> $(resets)"
    fi
}
flr() { run_deadline 120 sh -c "echo 1 >$pci/reset"; }

ref_write slow "$dev" 464 4 || bail "O_DIRECT write of 4 MiB to $dev failed"
inject x-boot-delay-ms "$BOOT_MS" || bail "cannot set x-boot-delay-ms"
io_start slow "$dev" 0 16
sleep 2
transition "FAULT -> online controller reset" qom_set x-fault 4660
if is_lsi3108; then
    transition "PCI function reset (FLR)" flr
else
    tap_skip "FLR with a slow firmware boot" "upstream megaraid_sas has no PCI reset hooks (minutes to recover)"
fi
qom_set x-boot-delay-ms 0
io_stop slow 120 || wedged "fio still running 120 s after it was asked to stop"
io_verified slow "fio verify across the slow transitions"
if ref_intact slow "$dev"; then
    tap_ok "4 MiB written (not flushed) before the transitions read back unchanged"
else
    tap_fail "4 MiB written before the transitions changed"
fi
finish
