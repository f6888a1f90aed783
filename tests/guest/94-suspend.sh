#!/bin/sh
# 94-suspend: s2idle suspend and resume under I/O, R times
# (LSI_SUSPEND_ROUNDS: 10 for lsi3108). Each round waits for commands in
# flight on the scratch LD (fio writing and verifying it), then
# `rtcwake -m freeze -s 3`: user space is frozen, the driver suspends the
# controller, the guest is woken, the driver resumes it. QEMU's RTC alarm
# wakes only a guest QEMU itself suspended (S3): under s2idle the VM keeps
# running and the alarm is lost. So the control serial port (ttyS1) is made a
# wakeup source and the runner sends a line on it 4 s later (the "wake"
# request); rtcwake's own alarm stays armed in case it ever works. The
# round passes when rtcwake succeeded, the kernel counted one more
# successful suspend (/sys/power/suspend_stats/success), the firmware is
# OPERATIONAL again (lsi3108: ctrl_state live) and a 4 KiB read works.
# Afterwards every fio pass verified, and 4 MiB written before the first
# suspend without a flush read back unchanged. Each suspend shut the firmware
# down with HIBERNATE_SHUTDOWN (as megaraid_sas's suspend does), after taking
# back the DCMDs the firmware held (x-shutdown-held-count unchanged).
# Figures: per round, time in rtcwake and until I/O worked again.
. /tests/lib.sh
ROUNDS=${LSI_SUSPEND_ROUNDS:-10}
skip_unless_inject "s2idle suspend/resume under I/O" "not on this bench"
start_on_scratch $((ROUNDS + 5)) $((120 + ROUNDS * 120))    # $dev: the scratch LD
[ -x /usr/sbin/rtcwake ] || bail "no rtcwake in the initramfs"
grep -qw freeze /sys/power/state || bail "the kernel offers no freeze in /sys/power/state ($(cat /sys/power/state))"
[ -e /dev/rtc0 ] || bail "no /dev/rtc0"
need_qom x-fw-state x-shutdown-count x-hibernate-count x-shutdown-held-count x-completion-delay-us

wakeup=/sys/class/tty/ttyS1/power/wakeup
[ -w "$wakeup" ] || bail "ttyS1 cannot be a wakeup source (no $wakeup)"
at_finish "echo $(cat "$wakeup") >$wakeup"
echo enabled >"$wakeup" || bail "cannot enable ttyS1 as a wakeup source"
successes() { cat /sys/power/suspend_stats/success; }
resumed() {
    ctrl_up || return 1
    probe_io "$dev" 20
}
ref_write suspend "$dev" 480 4 || bail "O_DIRECT write of 4 MiB to $dev failed"
shutdowns=$(qom_get x-shutdown-count)
hibernates=$(qom_get x-hibernate-count)
held=$(qom_get x-shutdown-held-count)
d3=$(qom_get x-d3hot-count 2>/dev/null) || d3="?"
inject x-completion-delay-us 2000 || bail "cannot set x-completion-delay-us"
io_start suspend "$dev" 0 16
k=1
while [ "$k" -le "$ROUNDS" ]; do
    n=$(wait_inflight "$dev" 20)
    before=$(successes)
    t0=$(now_ms)
    out=$(host_req wake 4000) || { tap_fail "suspend $k/$ROUNDS: the host will not wake the guest: $out"; k=$((k + 1)); continue; }
    run_deadline 90 /usr/sbin/rtcwake -m freeze -s 3
    rc=$?
    wake_ms=$RUN_MS
    [ "$rc" -eq 124 ] && wedged "suspend $k/$ROUNDS: rtcwake still running after 90 s"
    if [ "$rc" -ne 0 ]; then
        tap_fail "suspend $k/$ROUNDS: rtcwake exit $rc after $wake_ms ms: $(tr '\n' ' ' </tmp/run_deadline.out | head -c 300)"
    elif [ "$(successes)" -le "$before" ]; then
        tap_fail "suspend $k/$ROUNDS: rtcwake returned but the kernel counted no successful suspend ($before -> $(successes); last failed step: $(cat /sys/power/suspend_stats/last_failed_step 2>/dev/null))"
    elif wait_until 60 resumed; then
        tap_ok "suspend $k/$ROUNDS with $n command(s) in flight: rtcwake $wake_ms ms, I/O worked $(ms_since "$t0") ms after it began"
    else
        tap_fail "suspend $k/$ROUNDS: no working I/O 60 s after resume: firmware $(qom_get x-fw-state), ctrl_state $(lsi_counter ctrl_state)"
    fi
    k=$((k + 1))
done
qom_set x-completion-delay-us 0
io_stop suspend 120 || wedged "fio still running 120 s after it was asked to stop"
tap_ok "fio stopped after the last resume"
io_verified suspend "fio verify across $ROUNDS suspends"
if ref_intact suspend "$dev"; then
    tap_ok "4 MiB written (not flushed) before the first suspend read back unchanged"
else
    tap_fail "4 MiB written before the suspends changed"
fi
tap_diag "firmware shutdowns (suspend's shutdown DCMD): $shutdowns -> $(qom_get x-shutdown-count)"
hib=$(($(qom_get x-hibernate-count) - hibernates))
if [ "$hib" -ge "$ROUNDS" ] && [ "$(qom_get x-shutdown-held-count)" -eq "$held" ]; then
    tap_ok "each suspend sent HIBERNATE_SHUTDOWN ($hib for $ROUNDS rounds), none with a DCMD still held"
else
    tap_fail "want >= $ROUNDS HIBERNATE_SHUTDOWNs and none with a held DCMD: got $hib, x-shutdown-held-count $held -> $(qom_get x-shutdown-held-count)"
fi
tap_diag "the function entered D3hot (x-d3hot-count): $d3 -> $(qom_get x-d3hot-count 2>/dev/null)"
state=$(ctrl_states)
if ctrl_up; then
    tap_ok "after $ROUNDS suspends: $state"
else
    tap_fail "after $ROUNDS suspends: $state"
fi
finish
