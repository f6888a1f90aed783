#!/bin/sh
# 86-ocr: a firmware FAULT with reset allowed is recovered by an online
# controller reset, R times in a row (LSI_OCR_ROUNDS: 20 for lsi3108) while
# fio writes and verifies the scratch LD, and no byte is lost:
# - before the first fault, 8 MiB are written O_DIRECT without a flush (so
#   they sit in the controller's write-back cache, which a FAULT keeps);
# - fio passes run all the time (io_start: every block of a 16 MiB region
#   written once with fresh data, then read back and verified); the model
#   drops every command it holds at a FAULT, so the driver must reissue them;
#   every completion is held 5 ms (x-completion-delay-us) so that a fault
#   always finds commands in flight;
# - each round waits for I/O in flight, sets the model's `fault` code, and
#   waits until the controller works again: the firmware OPERATIONAL, a
#   4 KiB read completes, and (lsi3108) reset_count rose and ctrl_state is
#   live — upstream megaraid_sas logs "Reset successful" instead;
# - then every fio pass must have exited 0 with all it wrote verified, and
#   the 8 MiB must read back unchanged.
# Figures: recovery time and commands in flight per round, fio passes and MiB.
. /tests/lib.sh
ROUNDS=${LSI_OCR_ROUNDS:-20}
skip_unless_inject "FAULT -> online controller reset under fio" "this controller has no fault injection"
start_on_scratch $((ROUNDS + 4)) $((180 + ROUNDS * 90))    # $dev: the scratch LD
need_qom x-fault x-fw-state x-completion-delay-us

recovered() { reset_recovered "$before" "$dev"; }

is_lsi3108 && [ "$(lsi_counter reset_count)" = missing ] &&
    bail "lsi3108 has no reset_count in /sys/class/scsi_host (needs a newer driver)"
start_resets=$(reset_count)
ref_write ocr "$dev" 400 8 || bail "O_DIRECT write of 8 MiB to $dev failed"
inject x-completion-delay-us 5000 || bail "cannot set x-completion-delay-us"
io_start ocr "$dev" 0 16

k=1
t_all=$(now_ms)
while [ "$k" -le "$ROUNDS" ]; do
    io_running ocr || tap_diag "round $k: the fio loop is not running any more"
    n=$(wait_inflight "$dev" 10)
    before=$(reset_count)
    t0=$(now_ms)
    out=$(qom_set x-fault $((0x100 + k))) || bail "OCR $k/$ROUNDS: the model refused the fault: $out"
    if wait_until 60 recovered; then
        tap_ok "OCR $k/$ROUNDS: FAULT with $n command(s) in flight recovered in $(ms_since "$t0") ms (resets $before -> $(reset_count), 4 KiB read in $RUN_MS ms)"
        sleep 1     # let fio run a while between faults
    else
        # The I/O is stuck behind a controller that will not come back.
        wedged "OCR $k/$ROUNDS: not recovered within 60 s: firmware $(qom_get x-fw-state), resets $before -> $(reset_count), ctrl_state $(lsi_counter ctrl_state)"
    fi
    k=$((k + 1))
done
tap_diag "$ROUNDS faults in $(ms_since "$t_all") ms"
qom_set x-completion-delay-us 0

io_stop ocr 120 || wedged "fio still running 120 s after it was asked to stop ($(inflight "$dev") in flight)"
tap_ok "fio stopped after the last fault"
io_verified ocr "fio verify across $ROUNDS faults"
if ref_intact ocr "$dev"; then
    tap_ok "8 MiB written (not flushed) before the faults read back unchanged"
else
    tap_fail "8 MiB written before the faults changed: lost from the controller cache or not reissued"
fi
state="firmware $(qom_get x-fw-state), resets $start_resets -> $(reset_count)"
is_lsi3108 && state="$state, ctrl_state $(lsi_counter ctrl_state)"
want="firmware OPERATIONAL, resets $start_resets -> $((start_resets + ROUNDS))"
is_lsi3108 && want="$want, ctrl_state live"
if ctrl_up && [ "$(reset_count)" -ge $((start_resets + ROUNDS)) ]; then
    tap_ok "after $ROUNDS faults: $state"
else
    tap_fail "after $ROUNDS faults: want $want (or more resets), got $state"
fi
finish
