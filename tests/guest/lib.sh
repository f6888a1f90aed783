# lib.sh — helpers for the guest tests (sourced by /tests/NN-*.sh and /init).
#
# Environment set by /init: LSI_TEST (e.g. 30-dd), LSI_PHASE (1 unless resumed
# after a power cut), LSI_REMAINING (this test and those after it, comma
# separated), LSI_DRIVER, LSI_DMESG_START, and every lsi.<key>=<value> from the
# kernel command line as LSI_<KEY> (see docs/testing.md for the keys the runner
# passes). fd 3 is the control channel (/dev/ttyS1, raw) to tests/runner.py.

# Debian's busybox runs its own applets before PATH: these wrappers make the
# real tools win wherever a test names them.
lsscsi()   { /usr/bin/lsscsi "$@"; }
dd()       { /usr/bin/dd "$@"; }
blkid()    { /usr/sbin/blkid "$@"; }
modprobe() { /usr/sbin/modprobe "$@"; }
insmod()   { /usr/sbin/insmod "$@"; }
rmmod()    { /usr/sbin/rmmod "$@"; }
lsmod()    { /usr/sbin/lsmod "$@"; }
modinfo()  { /usr/sbin/modinfo "$@"; }

LSI_FAILS=0
# /init opens the control channel on fd 3; a shell that lost it reopens it.
[ -e /proc/self/fd/3 ] || exec 3<>/dev/ttyS1
LSI_CTL_TIMEOUT=${LSI_CTL_TIMEOUT:-60}

# ---- TAP ---------------------------------------------------------------

ctl_send() { echo "$*" >&3; }

# Usage: counter_next <name> — 1, 2, ... per boot, shared by all processes
# (helpers run in $(...) subshells, so shell variables would not persist).
counter_next() {
    local n
    n=$(cat "/run/lsi-$1" 2>/dev/null || echo 0)
    n=$((n + 1))
    echo "$n" >"/run/lsi-$1"
    echo "$n"
}

tap_next() { counter_next tapn; }

# Usage: plan N — the number of TAP results this test (phase) reports.
plan() { ctl_send "PLAN $1"; }

# Usage: time_limit <s> — the runner fails this test (phase) and ends the boot
# (going on with the next tests in a new one) if it runs longer: a hung guest
# then costs this, not the runner's --timeout.
time_limit() { ctl_send "LIMIT $1"; }

# " # TODO upstream" when the runner records this test's results for the
# driver instead of requiring them (lsi.todo=<test>,...: upstream megaraid_sas
# in the reliability tests, where it lacks what the issue asks of lsi3108).
# The runner counts such results as "recorded", whether ok or not ok.
todo_directive() {
    case ",${LSI_TODO:-}," in
        *",$LSI_TEST,"*) echo " # TODO upstream" ;;
    esac
}

# True when this test's results are only recorded (see todo_directive).
recorded_only() { [ -n "$(todo_directive)" ]; }

tap_ok() {
    local line="ok $(tap_next) - $LSI_TEST: $*$(todo_directive)"
    echo "$line"
    ctl_send "TAP $line"
}

tap_fail() {
    local line="not ok $(tap_next) - $LSI_TEST: $*$(todo_directive)"
    echo "$line"
    ctl_send "TAP $line"
    LSI_FAILS=$((LSI_FAILS + 1))
}

# Usage: tap_skip <description> <reason>
tap_skip() {
    local line="ok $(tap_next) - $LSI_TEST: $1 # SKIP $2"
    echo "$line"
    ctl_send "TAP $line"
}

tap_diag() {
    echo "# $LSI_TEST: $*"
    ctl_send "TAP # $LSI_TEST: $*"
}

# Usage: expect_eq <description> <expected> <actual>
expect_eq() {
    if [ "$2" = "$3" ]; then
        tap_ok "$1"
    else
        tap_fail "$1: expected '$2', got '$3'"
    fi
}

# Usage: expect_ne <description> <unwanted> <actual>
expect_ne() {
    if [ "$2" != "$3" ]; then
        tap_ok "$1"
    else
        tap_fail "$1: got '$3', which it must not be"
    fi
}

# Usage: bail <message> — a failure that stops the test.
bail() {
    tap_fail "$*"
    finish
}

# Ends the test; its exit status says whether anything failed. First runs
# what at_finish registered (also after a bail), so that no fio loop or fault
# injection outlives the test.
finish() {
    local cmds=$LSI_AT_FINISH
    LSI_AT_FINISH=
    [ -n "$cmds" ] && eval "$cmds"
    [ "$LSI_FAILS" -eq 0 ] && exit 0
    exit 1
}

# Usage: at_finish <shell command> — run it when the test finishes or bails
# (in the test's main shell: not from inside $(...)).
at_finish() { LSI_AT_FINISH="$LSI_AT_FINISH
$*"; }

# ---- host requests -------------------------------------------------------

# Usage: host_req <command> [args...] — prints the reply text.
# Returns 0 when the host answered ok, 1 when it answered err, 2 on timeout.
host_req() {
    local id deadline line status text
    if [ ! -e /proc/self/fd/3 ]; then
        echo "control channel (fd 3) is not open"
        return 2
    fi
    id=$(counter_next reqn)
    ctl_send "REQ $id $*"
    deadline=$(($(date +%s) + LSI_CTL_TIMEOUT))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        IFS= read -r -t 5 line <&3 || continue
        case "$line" in
            "REP $id "*) ;;
            *) echo "lib: ignoring control line '$line' while waiting for $id" >&2; continue ;;
        esac
        line=${line#"REP $id "}
        status=${line%% *}
        text=${line#"$status"}
        echo "${text# }"
        [ "$status" = ok ] && return 0
        return 1
    done
    echo "no reply to '$*' within ${LSI_CTL_TIMEOUT}s"
    return 2
}

# Usage: qom_get <prop> [qom-path] — a controller property (default path: the
# controller mr0). Fails when the property does not exist.
qom_get() { host_req qom-get "${2:-/machine/peripheral/mr0}" "$1"; }

# The host kills the VM (after cutting the controller's power when the model
# has the power-cut property) and boots again with this test in <phase>.
powercut_and_continue() {
    local out
    tap_diag "power cut requested; continuing in phase $1"
    out=$(host_req powercut "$LSI_TEST" "$1" "$LSI_REMAINING")
    bail "power cut did not happen: $out"
}

# Usage: wedged <what> — a task is stuck in the kernel (e.g. I/O that never
# ends): report it as a failure and have the host restart the guest with the
# tests after this one, which would otherwise inherit the hang. The rest of
# this test's plan is not reported (the runner does not count that).
wedged() {
    local rest="" out
    case "$LSI_REMAINING" in *,*) rest=${LSI_REMAINING#*,} ;; esac
    tap_fail "$*: the guest is wedged; restarting it${rest:+ for $rest}"
    out=$(host_req restart "$LSI_TEST" $rest)
    bail "restart did not happen: $out"
}

# Usage: shutdown_and_continue <phase> [<power-off command> [<seconds>]]
# A clean power-off: the driver's shutdown path runs (poweroff -f, or e.g.
# "systemctl poweroff" on the Debian system), the host records the controller
# counters under shutdown.<prop> (host_req get), then boots again with this
# test in <phase>. The test bails if the guest is still up after <seconds>
# (default 60).
shutdown_and_continue() {
    local out how=${2:-poweroff -f}
    tap_diag "clean shutdown ($how) requested; continuing in phase $1"
    out=$(host_req shutdown "$LSI_TEST" "$1" "$LSI_REMAINING") || bail "host refused the shutdown: $out"
    sync
    # shellcheck disable=SC2086 # the command and its words
    $how
    sleep "${3:-60}"
    bail "$how did not power off"
}

# ---- kernel log ----------------------------------------------------------

# The same as the runner's BAD_KLOG (tests/bench/suite.py), the debug kernel's checkers included.
LSI_BAD_KLOG='WARNING:|BUG:|Oops|general protection|KASAN|hung task|blocked for more than|Call Trace|Kernel panic|DMAR: \[DMA|DMAR:.*fault|IO_PAGE_FAULT|ODEBUG: .*object|DMA-API: .*device driver|DMA-API: debugging out of memory|suspected memory leak|unreferenced object|detected stalls?\b|UBSAN:|possible circular locking|inconsistent lock state'

# Kernel log lines since the test started (LSI_DMESG_START, a printk time).
dmesg_since_start() {
    dmesg | awk -v t="${LSI_DMESG_START:-0}" '
        { s = $0; sub(/^\[ */, "", s); ts = s; sub(/\].*/, "", ts) }
        ts + 0 > t + 0 { print }'
}

check_dmesg() {
    local bad
    bad=$(dmesg_since_start | grep -E "$LSI_BAD_KLOG" | head -n 5)
    if [ -z "$bad" ]; then
        tap_ok "kernel log clean since the test started"
    else
        tap_fail "kernel log since the test started has: $(echo "$bad" | tr '\n' '|')"
    fi
}

# ---- driver and logical drives -------------------------------------------

# SCSI host numbers driven by $LSI_DRIVER.
driver_hosts() {
    local h
    for h in /sys/class/scsi_host/host*; do
        [ -e "$h/proc_name" ] || continue
        [ "$(cat "$h/proc_name")" = "$LSI_DRIVER" ] && echo "${h##*/host}"
    done
}

# /dev/sdX of every disk on the driver's hosts, in H:C:T:L order.
driver_disks() {
    local h d
    for h in $(driver_hosts); do
        for d in /sys/class/scsi_disk/"$h":*; do
            [ -e "$d/device/block" ] && echo "/dev/$(ls "$d/device/block")"
        done
    done
}

# Usage: ld_field <index> target|blocks|serial|raid|pds — from
# lsi.ld<i>=<target>,<blocks>,<serial>,raid<level>,<member PD ids, ":"-separated, or ->
ld_field() {
    local spec
    eval "spec=\${LSI_LD$1:-}"
    [ -n "$spec" ] || { echo "lib: lsi.ld$1 is not on the kernel command line" >&2; return 1; }
    case "$2" in
        target) echo "$spec" | cut -d, -f1 ;;
        blocks) echo "$spec" | cut -d, -f2 ;;
        serial) echo "$spec" | cut -d, -f3 ;;
        raid) echo "$spec" | cut -d, -f4 ;;
        pds) echo "$spec" | cut -d, -f5 ;;
        *) echo "lib: unknown LD field '$2'" >&2; return 1 ;;
    esac
}

# Usage: ld_ctl <target> — the SCSI channel:id:lun where both drivers put the
# LD with that target id (megaraid_sas's numbering: channel 2 + target / 128,
# id target % 128; channels 0-1 are the system PDs').
ld_ctl() { echo "$((2 + $1 / 128)):$(($1 % 128)):0"; }

# Usage: ld_dev <index> — /dev/sdX of the LD with that index's target id.
ld_dev() {
    local t h d
    t=$(ld_field "$1" target) || return 1
    for h in $(driver_hosts); do
        # Where it belongs, or (for 20-identity to report it) by id alone.
        for d in /sys/class/scsi_disk/"$h":"$(ld_ctl "$t")" /sys/class/scsi_disk/"$h":*:"$t":0; do
            [ -e "$d/device/block" ] && { echo "/dev/$(ls "$d/device/block")"; return 0; }
        done
    done
    echo "lib: no disk with target $t on a $LSI_DRIVER host" >&2
    return 1
}

# Usage: pd_field <i> id|intf|slot|serial|product|temp|realloc|poh|health|state|mib
# — a field of the bench's PD <i> (0..LSI_PDS-1), from its lsi.pd<i> parameter.
pd_field() {
    local spec n
    eval "spec=\${LSI_PD$1:-}"
    case "$2" in
        id) n=1 ;; intf) n=2 ;; slot) n=3 ;; serial) n=4 ;; product) n=5 ;;
        temp) n=6 ;; realloc) n=7 ;; poh) n=8 ;; health) n=9 ;; state) n=10 ;;
        mib) n=11 ;;
        *) echo "unknown PD field $2" >&2; return 1 ;;
    esac
    echo "$spec" | cut -d, -f$n
}

# Usage: ld_index <role> — LD index for a role (scratch, fs, big) from lsi.ld_<role>.
ld_index() {
    local v
    eval "v=\${LSI_LD_$(echo "$1" | tr a-z A-Z):-}"
    [ -n "$v" ] || { echo "lib: lsi.ld_$1 is not on the kernel command line" >&2; return 1; }
    echo "$v"
}

# Loads the driver if needed and waits (up to 60 s) for all LSI_LDS disks.
# Returns 1 with a message on stdout when they do not all appear.
load_driver() {
    local i n=0 out
    if [ ! -d "/sys/module/$LSI_DRIVER" ]; then
        out=$(modprobe "$LSI_DRIVER" 2>&1) || { echo "modprobe $LSI_DRIVER failed: $out"; return 1; }
    fi
    for i in $(seq 1 120); do
        n=$(driver_disks | wc -l)
        [ "$n" -ge "${LSI_LDS:-0}" ] && [ "$n" -gt 0 ] && break
        sleep 0.5
    done
    udevadm settle --timeout=20
    [ "$n" -ge "${LSI_LDS:-0}" ] && [ "$n" -gt 0 ] && return 0
    echo "only $n of ${LSI_LDS:-?} disks appeared on $LSI_DRIVER hosts within 60 s"
    return 1
}

# For tests that need the disks: load the driver or bail.
need_driver() {
    local out
    out=$(load_driver) || bail "driver $LSI_DRIVER: $out"
}

# ---- data ----------------------------------------------------------------

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# Usage: random_file <path> <MiB>
random_file() { dd if=/dev/urandom of="$1" bs=1M count="$2" status=none; }

# Usage: dev_write <file> <dev> <offset MiB> — O_DIRECT, 1 MiB blocks.
dev_write() {
    dd if="$1" of="$2" bs=1M seek="$3" oflag=direct conv=notrunc status=none
}

# Usage: dev_sha <dev> <offset MiB> <MiB> — sha256 of an O_DIRECT read.
dev_sha() {
    dd if="$1" bs=1M skip="$2" count="$3" iflag=direct status=none | sha256sum | cut -d' ' -f1
}

# rmmod $LSI_DRIVER, retried (up to ~15 s) while udev or a late probe still
# holds a disk open. Prints rmmod's last error on failure.
unload_driver() {
    local i out
    for i in 1 2 3 4 5 6 7 8 9 10; do
        udevadm settle --timeout=20
        out=$(rmmod "$LSI_DRIVER" 2>&1) && return 0
        [ -d "/sys/module/$LSI_DRIVER" ] || return 0
        sleep 1.5
    done
    echo "$out"
    return 1
}

# ---- reliability tests (faults, resets, hot-plug) -------------------------

# Milliseconds since boot.
now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

# Usage: ms_since <start ms>
ms_since() { echo $(($(now_ms) - $1)); }

# Usage: wait_until <seconds> <command...> — runs the command every 0.2 s
# until it succeeds (0) or the time is up (1).
wait_until() {
    local end
    end=$(($(now_ms) + $1 * 1000))
    shift
    while :; do
        "$@" && return 0
        [ "$(now_ms)" -ge "$end" ] && return 1
        sleep 0.2
    done
}

# Usage: run_deadline <seconds> <command...> — runs the command in the
# background; its exit status, or 124 if it has not ended in time (it is left
# running: a task stuck in the kernel cannot be killed). Output goes to
# /tmp/run_deadline.out; RUN_MS is how long it ran (or was waited for).
run_deadline() {
    local s=$1 pid t0 rc
    shift
    t0=$(now_ms)
    "$@" >/tmp/run_deadline.out 2>&1 </dev/null &
    pid=$!
    if wait_until "$s" pid_gone "$pid"; then
        wait "$pid"
        rc=$?
    else
        rc=124
    fi
    RUN_MS=$(ms_since "$t0")
    return "$rc"
}

pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# The controller's PCI function in sysfs, found by vendor and class (RAID),
# not through a driver: it works while no driver is bound.
ctrl_pci() {
    local d
    for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor" 2>/dev/null)" = 0x1000 ] || continue
        case "$(cat "$d/class" 2>/dev/null)" in
            0x0104*) echo "$d"; return 0 ;;
        esac
    done
    return 1
}

# Usage: host_attr <name> — /sys/class/scsi_host/hostN/<name> of the driver's
# (first) host; fails when there is no such host or attribute.
host_attr() {
    local h
    h=$(driver_hosts | head -n 1)
    [ -n "$h" ] && [ -r "/sys/class/scsi_host/host$h/$1" ] && cat "/sys/class/scsi_host/host$h/$1"
}

# Usage: lsi_counter <name> — one of lsi3108's host counters (reset_count,
# abort_count, lun_reset_count, target_reset_count, bad_reply_count,
# bad_event_count, event_count) or ctrl_state; "missing" when the driver lacks it (upstream
# megaraid_sas has none of them: the tests use the model's counters there).
lsi_counter() { host_attr "$1" || echo missing; }

is_lsi3108() { [ "$LSI_DRIVER" = lsi3108 ]; }

# Usage: inflight <dev> — commands in flight on a disk (reads + writes).
inflight() {
    local r w
    read -r r w <"/sys/block/${1#/dev/}/inflight" 2>/dev/null || { echo 0; return; }
    echo $((r + w))
}

# Usage: wait_inflight <dev> [seconds] — until the disk has I/O in flight
# (default 10 s); prints how many commands were in flight.
wait_inflight() {
    local end n
    end=$(($(now_ms) + ${2:-10} * 1000))
    while :; do
        n=$(inflight "$1")
        [ "$n" -gt 0 ] || [ "$(now_ms)" -ge "$end" ] && break
        sleep 0.05
    done
    echo "$n"
}

# Usage: probe_io <dev> [seconds] — a 4 KiB O_DIRECT read at offset 0 that must
# succeed within the time (default 30 s); RUN_MS says how long it took.
probe_io() {
    run_deadline "${2:-30}" /usr/bin/dd if="$1" of=/dev/null bs=4k count=1 iflag=direct status=none
}

# Usage: fw_operational — the model's firmware is OPERATIONAL.
fw_operational() { [ "$(qom_get x-fw-state)" = OPERATIONAL ]; }

# Usage: ctrl_up — the controller works as far as its states tell: firmware
# OPERATIONAL and, with lsi3108, ctrl_state live.
ctrl_up() { fw_operational && { ! is_lsi3108 || [ "$(lsi_counter ctrl_state)" = live ]; }; }

# Usage: reset_count — the controller resets completed so far: lsi3108's
# reset_count ("missing" without it), or upstream's "Reset successful" lines.
reset_count() {
    if is_lsi3108; then
        lsi_counter reset_count
    else
        dmesg | grep -c 'Reset successful'
    fi
}

# Usage: reset_recovered <resets before> <dev> — a reset has completed since
# the count given, the controller is up and a 4 KiB read of dev works (20 s).
reset_recovered() {
    local n
    n=$(reset_count)
    [ "$n" != missing ] && [ "$n" -gt "$1" ] && ctrl_up || return 1
    probe_io "$2" 20
}

# Usage: ctrl_states — "firmware <state>[, ctrl_state <state>]" for results.
ctrl_states() {
    if is_lsi3108; then
        echo "firmware $(qom_get x-fw-state), ctrl_state $(lsi_counter ctrl_state)"
    else
        echo "firmware $(qom_get x-fw-state)"
    fi
}

# The controller model's property names (qom-list), cached for the test.
qom_props() {
    [ -s /tmp/qom-props ] || host_req qom-list /machine/peripheral/mr0 >/tmp/qom-props || rm -f /tmp/qom-props
    cat /tmp/qom-props 2>/dev/null
}

# Usage: has_qom <prop>... — the controller model has all these properties.
has_qom() {
    local p props
    props=" $(qom_props) "
    for p in "$@"; do
        case "$props" in *" $p "*) ;; *) return 1 ;; esac
    done
}

# Usage: need_qom <prop>... — bail (fail, stop) unless the model has them all.
need_qom() {
    local p
    for p in "$@"; do
        has_qom "$p" || bail "the controller model has no '$p' control (needs a newer model)"
    done
}

# Usage: qom_set <prop> <value> — fails (with the reply on stdout) if refused.
qom_set() { host_req qom-set mr0 "$1" "$2" >/tmp/qom_set.out || { cat /tmp/qom_set.out; return 1; }; }

# Usage: inject <prop> <value> — qom_set, and set the property back to 0 when
# the test finishes (fault-injection knobs: delays, drops).
inject() {
    at_finish "qom_set $1 0 >/dev/null"
    qom_set "$1" "$2"
}

# Usage: ref_write <name> <dev> <offset MiB> <MiB> [flush] — random data,
# O_DIRECT, acknowledged by the controller (in its write-back cache, unless
# "flush": then sg_sync too); its sha256 is kept in /tmp/ref-<name>.
ref_write() {
    random_file "/tmp/ref-$1.data" "$4"
    sha_of "/tmp/ref-$1.data" >"/tmp/ref-$1"
    echo "$3 $4" >"/tmp/ref-$1.at"
    dev_write "/tmp/ref-$1.data" "$2" "$3" || return 1
    rm -f "/tmp/ref-$1.data"
    [ "${5:-}" = flush ] || return 0
    sg_sync "$2" >/dev/null 2>&1
}

# Usage: ref_intact <name> <dev> — the region reads back (O_DIRECT) unchanged.
ref_intact() {
    local at mib
    read -r at mib <"/tmp/ref-$1.at" || return 1
    [ "$(dev_sha "$2" "$at" "$mib")" = "$(cat "/tmp/ref-$1")" ]
}

# ---- fio load with verification -------------------------------------------
#
# Usage: io_start <name> <dev> <offset MiB> <MiB> [fio options...] — fio in
# the background, pass after pass until io_stop (at least one pass; or until a
# pass fails): each
# pass writes the region in random 4-64 KiB blocks (libaio, O_DIRECT, QD16),
# each block once, then reads all of it back verifying crc32c and fio's block
# header. randrepeat=0 gives every pass new data and a new seed, so a write
# that was lost leaves the previous pass's block, whose header no longer
# matches: verification fails.
io_start() {
    local name=$1 dev=$2 off=$3 size=$4 dir=/tmp/io-$1
    shift 4
    rm -rf "$dir"
    mkdir -p "$dir"
    at_finish "io_stop $name 120 || echo 'lib: fio loop $name still running' >&2"
    (
        n=0
        while :; do
            n=$((n + 1))
            fio --name="$name$n" --filename="$dev" --offset="${off}M" --size="${size}M" \
                --rw=randwrite --bsrange=4k-64k --iodepth=16 --ioengine=libaio --direct=1 \
                --randrepeat=0 --verify=crc32c --do_verify=1 --verify_fatal=1 \
                --verify_state_save=0 "$@" --output-format=terse --terse-version=3 \
                --output="$dir/$n.terse" 2>"$dir/$n.err"
            rc=$?
            echo "$n $rc" >>"$dir/passes"
            [ "$rc" -eq 0 ] && [ ! -e "$dir/stop" ] || break
        done
    ) </dev/null >/dev/null 2>&1 &
    echo $! >"$dir/pid"
}

# Usage: io_running <name>
io_running() { kill -0 "$(cat "/tmp/io-$1/pid")" 2>/dev/null; }

# Usage: io_stop <name> [seconds] — asks the loop to end after its current
# pass and waits (default 120 s); 1 if it is still running (a hang).
io_stop() {
    touch "/tmp/io-$1/stop"
    wait_until "${2:-120}" pid_gone "$(cat "/tmp/io-$1/pid")"
}

# Usage: io_summary <name> — sets IO_PASSES (passes run), IO_BAD (passes with
# a non-zero exit status or fio error, or that read back less than they
# wrote), IO_WMIB / IO_RMIB (MiB written / read back and verified, all
# passes) and IO_ERR (the first failing pass's error output, one line).
io_summary() {
    local dir=/tmp/io-$1 n rc err w r
    IO_PASSES=0 IO_BAD=0 IO_WMIB=0 IO_RMIB=0 IO_ERR=
    [ -f "$dir/passes" ] || return 0
    while read -r n rc; do
        IO_PASSES=$((IO_PASSES + 1))
        set -- $(awk -F';' '$1 == 3 { print $5, $6, $47; exit }' "$dir/$n.terse" 2>/dev/null)
        err=${1:-x} r=${2:-0} w=${3:-0}
        IO_WMIB=$((IO_WMIB + w / 1024))
        IO_RMIB=$((IO_RMIB + r / 1024))
        if [ "$rc" != 0 ] || [ "$err" != 0 ] || [ "$r" -lt "$w" ] || [ "$w" -eq 0 ]; then
            IO_BAD=$((IO_BAD + 1))
            [ -n "$IO_ERR" ] || IO_ERR="pass $n: exit $rc, error $err, wrote $w KiB, read $r KiB: $(tr '\n' ' ' <"$dir/$n.err" | head -c 300)"
        fi
    done <"$dir/passes"
}

# Usage: io_verified <name> <description> — one result: at least one pass,
# every pass exited 0 with error 0 and read back (verified) all it wrote.
io_verified() {
    io_summary "$1"
    if [ "$IO_PASSES" -gt 0 ] && [ "$IO_BAD" -eq 0 ]; then
        tap_ok "$2: $IO_PASSES fio passes, $IO_WMIB MiB written and $IO_RMIB MiB read back, crc32c and headers verified"
    else
        tap_fail "$2: $IO_PASSES fio passes, $IO_BAD failed ($IO_ERR)"
    fi
}

# Usage: check_back <ref name> <what happened> — the controller came back
# (driver loaded again): the 4 MiB ref_write'd as <ref name> on the scratch
# LD unchanged, a fresh fio pass verified, the firmware OPERATIONAL (lsi3108:
# ctrl_state live). Three results; sets $dev to the scratch LD's disk.
check_back() {
    local state
    dev=$(ld_dev "$(ld_index scratch)") || bail "scratch LD missing after $2"
    if ref_intact "$1" "$dev"; then
        tap_ok "4 MiB written (not flushed) before $2 read back unchanged"
    else
        tap_fail "4 MiB written before $2 changed"
    fi
    io_start "${1}2" "$dev" 0 16
    io_stop "${1}2" 180 || wedged "fio after $2 still running after 180 s"
    io_verified "${1}2" "fio after $2"
    state=$(ctrl_states)
    if ctrl_up; then
        tap_ok "after $2: $state"
    else
        tap_fail "after $2: $state (want OPERATIONAL, and live for lsi3108)"
    fi
}

# ---- openings and checks shared by the reliability tests -------------------

# Usage: skip_test <description> <why> — the test's one result is a skip, and
# it ends (a bench or driver it cannot run on).
skip_test() {
    plan 1
    tap_skip "$1" "$2"
    finish
}

# Usage: skip_unless_inject <description> <why> — skip_test on a bench
# without the model's fault controls (lsi.inject=none: QEMU's megasas-gen2).
skip_unless_inject() { [ "${LSI_INJECT:-}" != none ] || skip_test "$1" "$2"; }

# Usage: start_on_scratch <results> <time limit s> — the opening of a test
# that works on the scratch LD: its plan and time limit, the driver loaded,
# and $dev the scratch LD's disk (or bail).
start_on_scratch() {
    plan "$1"
    time_limit "$2"
    need_driver
    dev=$(ld_dev "$(ld_index scratch)") || bail "scratch LD has no disk"
}

# Usage: pending_io_fails <io name> <dev> <since ms> <event, e.g. "the fault">
# — the controller was lost at <since ms> (now_ms) with the fio loop <io name>
# (io_start) running on <dev>: the loop must end within 30 s with a failed
# pass: one result. Still running: the guest is wedged.
pending_io_fails() {
    if wait_until 30 eval "! io_running $1"; then
        io_summary "$1"
        if [ "$IO_BAD" -gt 0 ]; then
            tap_ok "pending I/O failed with an error $(ms_since "$3") ms after $4, no hang ($IO_ERR)"
        else
            tap_fail "the fio loop ended without an error after $4 ($IO_PASSES passes)"
        fi
    else
        wedged "pending I/O still not ended 30 s after $4 ($(inflight "$2") in flight)"
    fi
}

# Usage: new_io_fails <dev> read|write <the controller, e.g. "dead controller">
# — on a controller the driver gave up on, a new 4 KiB O_DIRECT read (or
# write) must fail within 10 s: one result. Still running after 20 s: the
# guest is wedged (restarted with the tests after this one).
new_io_fails() {
    local rc
    if [ "$2" = read ]; then
        run_deadline 20 /usr/bin/dd if="$1" of=/dev/null bs=4k count=1 skip=100 iflag=direct status=none
    else
        run_deadline 20 /usr/bin/dd if=/dev/zero of="$1" bs=4k count=1 seek=100 oflag=direct conv=notrunc status=none
    fi
    rc=$?
    [ "$rc" -eq 124 ] && wedged "a new 4 KiB $2 on the $3 still running after 20 s"
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$RUN_MS" -lt 10000 ]; then
        tap_ok "a new 4 KiB $2 on the $3 failed in $RUN_MS ms (exit $rc)"
    else
        tap_fail "a new 4 KiB $2 on the $3: exit $rc after $RUN_MS ms (want an error within 10 s)"
    fi
}

# ---- timed background commands ----------------------------------------------
#
# Usage: bg_start <name> <command...> — runs it in the background; when it
# ends, /tmp/bg-<name>.rc holds its exit status and .ms how long it ran.
bg_start() {
    local name=$1
    shift
    rm -f "/tmp/bg-$name".*
    (
        t0=$(now_ms)
        "$@" >"/tmp/bg-$name.out" 2>&1 </dev/null
        rc=$?
        ms_since "$t0" >"/tmp/bg-$name.ms"
        echo "$rc" >"/tmp/bg-$name.rc"
    ) &
}
bg_done() { [ -s "/tmp/bg-$1.rc" ]; }
# Usage: bg_rc <name> / bg_ms <name> — "running" / "?" while it runs.
bg_rc() { cat "/tmp/bg-$1.rc" 2>/dev/null || echo running; }
bg_ms() { cat "/tmp/bg-$1.ms" 2>/dev/null || echo "?"; }
bg_out() { tr '\n' ' ' <"/tmp/bg-$1.out" 2>/dev/null | head -c 300; }

# Usage: rebind_after_poke <pci dir> — how the hostile-host tests (81, 82)
# end: the firmware back to READY, the driver bound again, and a 4 KiB read
# of the scratch LD through it (one result).
rebind_after_poke() {
    local bdf=${1##*/} out dev
    /usr/bin/lsi3108-poke "$1" ready >/dev/null
    echo "$bdf" >"/sys/bus/pci/drivers/$LSI_DRIVER/bind" || tap_fail "cannot bind $LSI_DRIVER to $bdf again"
    out=$(load_driver) || bail "after the hostile host: $out"
    dev=$(ld_dev "$(ld_index scratch)") || bail "scratch LD has no disk after the rebind"
    if probe_io "$dev" 60; then
        tap_ok "$LSI_DRIVER bound again: a 4 KiB read of $dev took $RUN_MS ms"
    else
        tap_fail "$LSI_DRIVER bound again but a 4 KiB read of $dev failed"
    fi
}
