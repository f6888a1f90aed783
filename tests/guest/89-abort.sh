#!/bin/sh
# 89-abort: a lost completion is recovered through the abort path. The model
# drops the completion of one 64 KiB O_DIRECT write to the scratch LD
# (x-drop-completions=1: the command stays outstanding in the firmware) while
# fio writes and verifies the fs LD. With sd's timeout at 10 s and lsi3108's
# cmd_limit at 15 s, the driver stops extending the command's timer, and SCSI
# error handling must end it: an ABORT TASK the firmware honours, and no
# controller reset, when the RAID map marks the LD TM-capable
# (LSI_EXPECT_ABORT_BY=abort: the model's tm-capable=on), or else no task
# management at all and straight to a controller reset
# (LSI_EXPECT_ABORT_BY=reset: tm-capable off, the model's default).
# The write then completes (retried) or fails cleanly, within 150 s, and the
# data is verified: what the write put there if it succeeded; if it failed,
# the old or the new data and nothing else, and a rewrite works.
# Not run for upstream megaraid_sas (LSI_EXPECT_ABORT=skip): it waits
# 2 x its scmd_timeout (180 s) before it acts on a lost command.
. /tests/lib.sh
[ "${LSI_EXPECT_ABORT:-run}" = skip ] &&
    skip_test "a dropped completion -> abort path" "$LSI_DRIVER waits 180 s (2 x scmd_timeout) before it handles a lost command"
skip_unless_inject "a dropped completion -> abort path" "this controller has no completion dropping"
start_on_scratch 6 300    # $dev: the scratch LD
fsdev=$(ld_dev "$(ld_index fs)") || bail "fs LD has no disk"
need_qom x-drop-completions x-dropped-count x-tm-count x-tm-aborted
by=${LSI_EXPECT_ABORT_BY:-abort}
limit_param=/sys/module/$LSI_DRIVER/parameters/cmd_limit
[ -w "$limit_param" ] || bail "$LSI_DRIVER has no writable cmd_limit parameter"
timeout_attr=/sys/block/${dev#/dev/}/device/timeout
old_limit=$(cat "$limit_param")
old_timeout=$(cat "$timeout_attr")
at_finish "echo $old_limit >$limit_param; echo $old_timeout >$timeout_attr"
echo 15 >"$limit_param" && echo 10 >"$timeout_attr" || bail "cannot set cmd_limit 15 / sd timeout 10"

counts() {
    echo "reset_count=$(lsi_counter reset_count) abort_count=$(lsi_counter abort_count)" \
        "lun_reset_count=$(lsi_counter lun_reset_count)" \
        "target_reset_count=$(lsi_counter target_reset_count)" \
        "x-tm-count=$(qom_get x-tm-count) x-tm-aborted=$(qom_get x-tm-aborted)" \
        "other_queue_reply_count=$(lsi_counter other_queue_reply_count)"
}
count_of() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
before=$(counts)
dropped=$(qom_get x-dropped-count)
AT=$((456 * 16))     # 64 KiB blocks: 456 MiB
old_sha=$(dd if="$dev" bs=64k skip="$AT" count=1 iflag=direct status=none | sha256sum | cut -d' ' -f1)
random_file /tmp/abort.data 1
dd if=/tmp/abort.data of=/tmp/abort64 bs=64k count=1 status=none
new_sha=$(sha_of /tmp/abort64)

udevadm settle --timeout=20
inject x-drop-completions 1 || bail "cannot set x-drop-completions"
bg_start lost dd if=/tmp/abort64 of="$dev" bs=64k seek="$AT" count=1 oflag=direct conv=notrunc status=none
if wait_until 10 eval '[ "$(qom_get x-dropped-count)" -gt "$dropped" ]'; then
    tap_ok "the model dropped the completion of the 64 KiB write (x-dropped-count $dropped -> $(qom_get x-dropped-count))"
else
    tap_fail "no completion dropped within 10 s (x-dropped-count $dropped -> $(qom_get x-dropped-count), write $(bg_rc lost))"
fi
io_start abort "$fsdev" 0 16
wait_until 150 bg_done lost || wedged "the write whose completion was lost had not ended after 160 s"
rc=$(bg_rc lost)
case "$rc" in
    0) tap_ok "the write whose completion was lost completed after $(bg_ms lost) ms" ;;
    *) tap_ok "the write whose completion was lost failed cleanly after $(bg_ms lost) ms (exit $rc: $(bg_out lost))" ;;
esac
got=$(dd if="$dev" bs=64k skip="$AT" count=1 iflag=direct status=none | sha256sum | cut -d' ' -f1)
if [ "$rc" = 0 ]; then
    expect_eq "the completed write's 64 KiB read back" "$new_sha" "$got"
elif [ "$got" = "$new_sha" ] || [ "$got" = "$old_sha" ]; then
    dd if=/tmp/abort64 of="$dev" bs=64k seek="$AT" count=1 oflag=direct conv=notrunc status=none
    expect_eq "after the failed write the 64 KiB held old or new data; rewritten and read back" \
        "$new_sha" "$(dd if="$dev" bs=64k skip="$AT" count=1 iflag=direct status=none | sha256sum | cut -d' ' -f1)"
else
    tap_fail "after the failed write the 64 KiB hold neither the old nor the new data"
fi
after=$(counts)
tap_diag "before: $before; after: $after"
d() { echo $(($(count_of "$after" "$1") - $(count_of "$before" "$1"))); }
if [ "$by" = abort ]; then
    if [ "$(d abort_count)" -ge 1 ] && [ "$(d x-tm-aborted)" -ge 1 ] && [ "$(d reset_count)" -eq 0 ]; then
        tap_ok "ended by ABORT TASK: $(d abort_count) abort(s) sent, $(d x-tm-aborted) command(s) terminated by the firmware, no controller reset"
    else
        tap_fail "want an ABORT TASK the firmware honoured and no controller reset; got abort_count +$(d abort_count), x-tm-aborted +$(d x-tm-aborted), reset_count +$(d reset_count), LUN resets +$(d lun_reset_count), target resets +$(d target_reset_count)"
    fi
else
    if [ "$(d reset_count)" -ge 1 ] && [ "$(d x-tm-count)" -eq 0 ] && [ "$(d abort_count)" -eq 0 ]; then
        tap_ok "LD not TM-capable: no task management sent, escalated to a controller reset (+$(d reset_count))"
    else
        tap_fail "LD not TM-capable: want no TM and a controller reset; got reset_count +$(d reset_count), abort_count +$(d abort_count), x-tm-count +$(d x-tm-count), LUN resets +$(d lun_reset_count), target resets +$(d target_reset_count)"
    fi
fi
io_stop abort 180 || wedged "fio on the fs LD still running 180 s after the stop request"
io_verified abort "fio on the fs LD meanwhile"
echo "$old_limit" >"$limit_param"
echo "$old_timeout" >"$timeout_attr"
expect_eq "afterwards: ctrl_state, firmware" "live OPERATIONAL" "$(lsi_counter ctrl_state) $(qom_get x-fw-state)"
finish
