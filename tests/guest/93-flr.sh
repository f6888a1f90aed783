#!/bin/sh
# 93-flr: a PCI Function Level Reset under I/O, R times (LSI_FLR_ROUNDS, 3 for
# lsi3108): the guest writes 1 to the function's sysfs `reset` with
# reset_method "flr", so the PCI core calls the driver's reset_prepare, the
# model's firmware restarts (READY, all commands it held dropped, cache
# kept), and reset_done must bring the controller back. fio writes and
# verifies the scratch LD all along (completions held 5 ms so that each FLR
# finds commands in flight); afterwards every pass verified, 4 MiB written
# (not flushed) before the first FLR unchanged, the firmware OPERATIONAL and
# (lsi3108) reset_count up by one per FLR, ctrl_state live.
# Figures: how long each reset took and how long until I/O worked again.
. /tests/lib.sh
ROUNDS=${LSI_FLR_ROUNDS:-3}
skip_unless_inject "FLR under I/O" "not on this controller"
start_on_scratch $((ROUNDS + 4)) $((120 + ROUNDS * 240))    # $dev: the scratch LD
pci=$(ctrl_pci) || bail "no RAID controller on the PCI bus"
need_qom x-fw-state x-completion-delay-us
methods=$(cat "$pci/reset_method" 2>/dev/null)
case " $methods " in
    *" flr "*) ;;
    *) bail "$(basename "$pci") offers no FLR (reset_method: '$methods')" ;;
esac
echo flr >"$pci/reset_method" || bail "cannot select reset_method flr"
at_finish "echo default >$pci/reset_method 2>/dev/null"
tap_diag "reset methods offered: $methods; using flr"

resets() { if is_lsi3108; then lsi_counter reset_count; else echo 0; fi; }
recovered() {
    fw_operational || return 1
    if is_lsi3108; then
        [ "$(resets)" -gt "$before" ] && [ "$(lsi_counter ctrl_state)" = live ] || return 1
    fi
    probe_io "$dev" 20
}

start_resets=$(resets)
ref_write flr "$dev" 472 4 || bail "O_DIRECT write of 4 MiB to $dev failed"
inject x-completion-delay-us 5000 || bail "cannot set x-completion-delay-us"
io_start flr "$dev" 0 16
k=1
while [ "$k" -le "$ROUNDS" ]; do
    n=$(wait_inflight "$dev" 20)
    before=$(resets)
    t0=$(now_ms)
    run_deadline 120 sh -c "echo 1 >$pci/reset"
    rc=$?
    [ "$rc" -eq 124 ] && wedged "FLR $k/$ROUNDS: writing $pci/reset still running after 120 s"
    if [ "$rc" -ne 0 ]; then
        tap_fail "FLR $k/$ROUNDS: writing $pci/reset: $(cat /tmp/run_deadline.out) after $RUN_MS ms"
    else
        reset_ms=$RUN_MS
        if wait_until 60 recovered; then
            tap_ok "FLR $k/$ROUNDS with $n command(s) in flight: reset took $reset_ms ms, I/O worked again $(ms_since "$t0") ms after it began (resets $before -> $(resets))"
            sleep 1
        else
            wedged "FLR $k/$ROUNDS: not recovered within 60 s: firmware $(qom_get x-fw-state), ctrl_state $(lsi_counter ctrl_state), resets $before -> $(resets)"
        fi
    fi
    k=$((k + 1))
done
qom_set x-completion-delay-us 0
io_stop flr 120 || wedged "fio still running 120 s after it was asked to stop"
tap_ok "fio stopped after the last FLR"
io_verified flr "fio verify across $ROUNDS FLRs"
if ref_intact flr "$dev"; then
    tap_ok "4 MiB written (not flushed) before the FLRs read back unchanged"
else
    tap_fail "4 MiB written before the FLRs changed"
fi
state="firmware $(qom_get x-fw-state)"
is_lsi3108 && state="$state, ctrl_state $(lsi_counter ctrl_state), reset_count $start_resets -> $(resets)"
if fw_operational && { ! is_lsi3108 || { [ "$(lsi_counter ctrl_state)" = live ] && [ "$(resets)" -ge $((start_resets + ROUNDS)) ]; }; }; then
    tap_ok "after $ROUNDS FLRs: $state"
else
    tap_fail "after $ROUNDS FLRs: $state (want OPERATIONAL, live, +$ROUNDS resets)"
fi
finish
