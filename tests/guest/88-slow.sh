#!/bin/sh
# 88-slow: slow but working firmware is waited for, not reset. The scratch
# LD's sd timeout is set to 10 s (flushes get twice that), so that both
# commands below outlive their timers and the driver has to keep extending
# them while the firmware is alive (lsi3108: up to cmd_limit, 60 s). The
# model holds the next SCSI command for 40 s (x-delay-next-ms/-count: a 64 KiB
# O_DIRECT write to the scratch LD) and every SYNCHRONIZE CACHE for 30 s
# (x-flush-delay-ms: the flush an fsync sends, after a second 64 KiB write),
# while fio writes and verifies the fs LD. Both must
# complete successfully after at least their delay, with their data intact;
# fio must keep completing I/O meanwhile and verify; and nothing may have
# been aborted or reset (lsi3108's reset_count, abort_count,
# lun_reset_count, target_reset_count, and the model's x-tm-count, unchanged).
# Figures: how long each command took, fio passes during the wait.
. /tests/lib.sh
skip_unless_inject "a 30 s flush and a 40 s command under I/O" "this controller has no delay injection"
start_on_scratch 6 300    # $dev: the scratch LD
fsdev=$(ld_dev "$(ld_index fs)") || bail "fs LD has no disk"
need_qom x-flush-delay-ms x-delay-next-ms x-delay-next-count x-flush-count

# Everything that would show a command was given up on.
recovery_counts() {
    local c out=""
    if is_lsi3108; then
        for c in reset_count abort_count lun_reset_count target_reset_count; do out="$out $c=$(lsi_counter "$c")"; done
    fi
    echo "${out# } x-tm-count=$(qom_get x-tm-count 2>/dev/null || echo n/a)"
}
before=$(recovery_counts)
timeout_attr=/sys/block/${dev#/dev/}/device/timeout
old_timeout=$(cat "$timeout_attr")
echo 10 >"$timeout_attr" || bail "cannot set the sd timeout of $dev"
at_finish "echo $old_timeout >$timeout_attr"
tap_diag "sd timeout of $dev: 10 s (was $old_timeout s); $before"
random_file /tmp/slow.data 1
dd if=/tmp/slow.data of=/tmp/slow64 bs=64k count=1 status=none
random_file /tmp/flush.data 1
dd if=/tmp/flush.data of=/tmp/flush64 bs=64k count=1 status=none
SLOW_AT=$((440 * 16))     # in 64 KiB blocks: 440 MiB
FLUSH_AT=$((448 * 16))
flushes=$(qom_get x-flush-count)

# The held command: nothing else runs when the delay is armed.
udevadm settle --timeout=20
inject x-delay-next-ms 40000 && inject x-delay-next-count 1 || bail "cannot arm delay-next"
bg_start slow dd if=/tmp/slow64 of="$dev" bs=64k seek="$SLOW_AT" count=1 oflag=direct conv=notrunc status=none
sleep 2
bg_done slow && tap_diag "the 64 KiB write ended within 2 s: the delay caught another command"
io_start slow "$fsdev" 0 16
inject x-flush-delay-ms 30000 || bail "cannot set x-flush-delay-ms"
bg_start flush dd if=/tmp/flush64 of="$dev" bs=64k seek="$FLUSH_AT" count=1 oflag=direct conv=notrunc,fsync status=none

wait_until 120 eval 'bg_done slow && bg_done flush' ||
    wedged "the held write or the held flush had not ended after 120 s (write: $(bg_rc slow), flush: $(bg_rc flush))"
qom_set x-flush-delay-ms 0
io_summary slow
passes_during=$IO_PASSES
if [ "$(bg_rc slow)" = 0 ] && [ "$(bg_ms slow)" -ge 39000 ]; then
    tap_ok "a 64 KiB write held 40 s by the firmware completed after $(bg_ms slow) ms (+2 s head start)"
else
    tap_fail "the 64 KiB write held 40 s: exit $(bg_rc slow) after $(bg_ms slow) ms (want 0 after >= 39 s): $(bg_out slow)"
fi
if [ "$(bg_rc flush)" = 0 ] && [ "$(bg_ms flush)" -ge 29000 ]; then
    tap_ok "a write + fsync whose flush the firmware held 30 s completed after $(bg_ms flush) ms (SYNCHRONIZE CACHE received: $flushes -> $(qom_get x-flush-count))"
else
    tap_fail "the 30 s flush: exit $(bg_rc flush) after $(bg_ms flush) ms (want 0 after >= 29 s; x-flush-count $flushes -> $(qom_get x-flush-count)): $(bg_out flush)"
fi
if [ "$passes_during" -ge 2 ] && io_running slow; then
    tap_ok "I/O on the fs LD went on meanwhile: $passes_during fio passes finished, $IO_WMIB MiB written"
else
    tap_fail "I/O on the fs LD while the commands were held: $passes_during passes finished (want >= 2), loop running: $(io_running slow && echo yes || echo no)"
fi
io_stop slow 180 || wedged "fio on the fs LD still running 180 s after the stop request"
io_verified slow "fio on the fs LD"
slow_ok=no
flush_ok=no
[ "$(dd if="$dev" bs=64k skip="$SLOW_AT" count=1 iflag=direct status=none | sha256sum | cut -d' ' -f1)" = "$(sha_of /tmp/slow64)" ] && slow_ok=yes
[ "$(dd if="$dev" bs=64k skip="$FLUSH_AT" count=1 iflag=direct status=none | sha256sum | cut -d' ' -f1)" = "$(sha_of /tmp/flush64)" ] && flush_ok=yes
expect_eq "both 64 KiB writes read back unchanged (held write, flushed write)" "yes yes" "$slow_ok $flush_ok"
after=$(recovery_counts)
state=$(fw_operational && echo OPERATIONAL || qom_get x-fw-state)
expect_eq "nothing aborted or reset, firmware OPERATIONAL" "$before OPERATIONAL" "$after $state"
finish
