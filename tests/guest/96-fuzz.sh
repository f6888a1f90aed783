#!/bin/sh
# 96-fuzz: the driver survives a seeded, reproducible storm of invalid input
# from the firmware while fio writes and verifies the scratch LD:
# LSI_FUZZ_REPLIES (10000) fuzzed reply descriptors (the model's x-fuzz-replies:
# SMID 0, SMIDs beyond the firmware's maximum, random types and upper
# halves, and real completions on a foreign queue) and LSI_FUZZ_EVENTS fuzzed
# firmware events (x-fuzz-events: random codes, sequence numbers and details in
# EVENT_WAIT answers, LD lists spoiled meanwhile), from x-fuzz-seed
# LSI_FUZZ_SEED (3108: the same seed replays the same sequence).
# No oops and no hang (the kernel log check, and every wait below has a
# deadline); and the controller either recovers — firmware OPERATIONAL,
# ctrl_state live, all LDs there, every fio pass verified — or is declared
# DEAD cleanly — pending I/O fails, new I/O fails at once — after which the
# model is revived and a reload brings every LD back. Either way, 4 MiB
# written (not flushed) before the storm read back unchanged and a fio pass
# verifies at the end.
# Figures: descriptors and events posted, time taken, the driver's
# bad_reply_count, bad_event_count, event_count and reset_count.
. /tests/lib.sh
SEED=${LSI_FUZZ_SEED:-3108}
REPLIES=${LSI_FUZZ_REPLIES:-10000}
EVENTS=${LSI_FUZZ_EVENTS:-200}
skip_unless_inject "fuzzed replies and events" "this controller has no fuzzer"
start_on_scratch 7 1200    # $dev: the scratch LD
need_qom x-fuzz-seed x-fuzz-replies x-fuzz-replies-done x-fuzz-events x-fuzz-events-done x-fuzz-dcmd-done x-fw-state

counters() {
    is_lsi3108 || { echo "(no driver counters)"; return; }
    local c out=""
    for c in bad_reply_count bad_event_count event_count reset_count ctrl_state; do
        out="$out $c=$(lsi_counter "$c")"
    done
    echo "${out# }"
}
dead() { is_lsi3108 && [ "$(lsi_counter ctrl_state)" = dead ]; }

ref_write fuzz "$dev" 488 4 || bail "O_DIRECT write of 4 MiB to $dev failed"
start=$(counters)
io_start fuzz "$dev" 0 16
wait_inflight "$dev" 20 >/dev/null
qom_set x-fuzz-seed "$SEED" || bail "cannot set x-fuzz-seed: $(cat /tmp/qom_set.out)"
tap_diag "seed $SEED; before: $start"

# 1. The reply storm.
r0=$(qom_get x-fuzz-replies-done)
t0=$(now_ms)
at_finish "qom_set x-fuzz-replies 0 >/dev/null"
qom_set x-fuzz-replies "$REPLIES" || bail "cannot set x-fuzz-replies: $(cat /tmp/qom_set.out)"
replies_done() { [ "$(qom_get x-fuzz-replies-done)" -ge $((r0 + REPLIES)) ]; }
wait_until 600 eval 'replies_done || dead'
posted=$(($(qom_get x-fuzz-replies-done) - r0))
if replies_done; then
    tap_ok "$REPLIES fuzzed reply descriptors posted in $(ms_since "$t0") ms under I/O (seed $SEED): $(counters)"
elif dead; then
    tap_ok "the controller was declared dead after $posted of $REPLIES fuzzed descriptors ($(ms_since "$t0") ms): $(counters)"
else
    tap_fail "only $posted of $REPLIES fuzzed descriptors posted within 600 s: firmware $(qom_get x-fw-state), $(counters)"
fi
qom_set x-fuzz-replies 0 >/dev/null

# 2. The event storm (answered while an EVENT_WAIT is armed).
e0=$(qom_get x-fuzz-events-done)
l0=$(qom_get x-fuzz-dcmd-done)
t0=$(now_ms)
at_finish "qom_set x-fuzz-events 0 >/dev/null"
events_done() { [ "$(qom_get x-fuzz-events-done)" -ge $((e0 + EVENTS)) ]; }
if dead; then
    tap_skip "$EVENTS fuzzed firmware events" "the controller is dead"
else
    qom_set x-fuzz-events "$EVENTS" || bail "cannot set x-fuzz-events: $(cat /tmp/qom_set.out)"
    wait_until 300 eval 'events_done || dead'
    got=$(($(qom_get x-fuzz-events-done) - e0))
    if events_done || dead; then
        tap_ok "$got fuzzed firmware events answered in $(ms_since "$t0") ms, $(($(qom_get x-fuzz-dcmd-done) - l0)) LD lists spoiled: $(counters)"
    else
        tap_fail "only $got of $EVENTS fuzzed events taken within 300 s (the driver stopped waiting for events?): $(counters)"
    fi
    qom_set x-fuzz-events 0 >/dev/null
fi

# 3-5. Recovered, or dead cleanly and brought back.
sleep 2
udevadm settle --timeout=20
if ! dead; then
    if wait_until 60 eval 'ctrl_up && probe_io "$dev" 20'; then
        tap_ok "the controller recovered: firmware OPERATIONAL, $(counters)"
    else
        tap_fail "the controller neither recovered nor was declared dead: firmware $(qom_get x-fw-state), $(counters)"
    fi
    io_stop fuzz 120 || wedged "fio still running 120 s after it was asked to stop"
    io_verified fuzz "fio verify during the storm"
    expect_eq "all LDs still there after the fuzzed events and LD lists" "$LSI_LDS" "$(driver_disks | wc -l)"
else
    new_io_fails "$dev" read "controller declared dead"
    io_stop fuzz 60 || wedged "fio still running 60 s after the controller was declared dead"
    tap_ok "pending I/O ended on the dead controller (no hang)"
    out=$(run_deadline 90 unload_driver && qom_set x-revive true && load_driver)
    if [ $? -eq 0 ]; then
        tap_ok "revived and reloaded: $(driver_disks | wc -l) of $LSI_LDS LDs"
    else
        tap_fail "revive and reload after the fuzzing: $out $(cat /tmp/run_deadline.out)"
    fi
    dev=$(ld_dev "$(ld_index scratch)") || bail "scratch LD missing after the reload"
fi
# 6, 7. The data, and the controller still doing verified I/O.
if ref_intact fuzz "$dev"; then
    tap_ok "4 MiB written (not flushed) before the fuzzing read back unchanged"
else
    tap_fail "4 MiB written before the fuzzing changed"
fi
io_start fuzz2 "$dev" 0 16
io_stop fuzz2 180 || wedged "fio after the fuzzing still running after 180 s"
io_verified fuzz2 "fio after the fuzzing"
tap_diag "after: $(counters); firmware $(qom_get x-fw-state)"
finish
