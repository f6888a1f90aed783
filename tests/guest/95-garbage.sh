#!/bin/sh
# 95-garbage: deterministic garbage on the reply rings, each kind recovered
# from while fio writes and verifies the scratch LD: a descriptor with SMID 0,
# one with a SMID beyond the commands the firmware accepts, and a real
# command's completion posted on another queue than the one it was sent for
# (the model's x-inject-reply; its x-garbage-posted counts what it posted).
# After each: the controller works (firmware OPERATIONAL, a 4 KiB read, and
# for lsi3108 ctrl_state live and, for the bogus SMIDs, bad_reply_count up:
# the descriptor was rejected, not taken for a command). A completion on
# another queue is a real one, which firmware may post anywhere: lsi3108
# takes it (other_queue_reply_count up, bad_reply_count and reset_count
# unchanged). At the end every fio pass verified.
# Figures: per kind, the counters and the time until I/O worked again.
. /tests/lib.sh
KINDS="smid0 smid-high wrong-queue"
skip_unless_inject "garbage reply descriptors" "this controller has no reply injection"
start_on_scratch 5 600    # $dev: the scratch LD
need_qom x-inject-reply x-garbage-posted x-fw-state

bad_replies() { if is_lsi3108; then lsi_counter bad_reply_count; else echo 0; fi; }
other_queue() { if is_lsi3108; then lsi_counter other_queue_reply_count; else echo 0; fi; }
# lsi3108's view of the descriptor: rejected (bogus SMID) or taken (wrong queue)
judged() {
    if [ "$kind" = wrong-queue ]; then
        [ "$(other_queue)" -gt "$other" ] && [ "$(bad_replies)" -eq "$bad" ] &&
            [ "$(lsi_counter reset_count)" -eq "$resets" ]
    else
        [ "$(bad_replies)" -gt "$bad" ]
    fi
}
works() {
    fw_operational || return 1
    if is_lsi3108; then
        [ "$(lsi_counter ctrl_state)" = live ] && judged || return 1
    fi
    probe_io "$dev" 20
}
io_start garbage "$dev" 0 16
for kind in $KINDS; do
    wait_inflight "$dev" 20 >/dev/null
    posted=$(qom_get x-garbage-posted)
    bad=$(bad_replies)
    other=$(other_queue)
    resets=$(lsi_counter reset_count)
    t0=$(now_ms)
    if ! out=$(qom_set x-inject-reply "$kind"); then
        tap_fail "$kind: the model refused: $out"
        continue
    fi
    if ! wait_until 30 eval '[ "$(qom_get x-garbage-posted)" -gt "$posted" ]'; then
        tap_fail "$kind: the model posted nothing within 30 s (x-garbage-posted $posted)"
        continue
    fi
    if wait_until 90 works; then
        tap_ok "$kind: posted, judged and recovered from in $(ms_since "$t0") ms (x-garbage-posted $posted -> $(qom_get x-garbage-posted), bad_reply_count $bad -> $(bad_replies), other_queue_reply_count $other -> $(other_queue), reset_count $resets -> $(lsi_counter reset_count))"
    else
        tap_fail "$kind: not recovered within 90 s: firmware $(qom_get x-fw-state), ctrl_state $(lsi_counter ctrl_state), bad_reply_count $bad -> $(bad_replies), other_queue_reply_count $other -> $(other_queue), reset_count $resets -> $(lsi_counter reset_count)"
    fi
    sleep 1
done
io_stop garbage 120 || wedged "fio still running 120 s after it was asked to stop"
tap_ok "fio stopped after the garbage"
io_verified garbage "fio verify across the garbage replies"
finish
