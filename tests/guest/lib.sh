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

tap_ok() {
    local line="ok $(tap_next) - $LSI_TEST: $*"
    echo "$line"
    ctl_send "TAP $line"
}

tap_fail() {
    local line="not ok $(tap_next) - $LSI_TEST: $*"
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

# Ends the test; its exit status says whether anything failed.
finish() {
    [ "$LSI_FAILS" -eq 0 ] && exit 0
    exit 1
}

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

# A clean power-off: the driver's shutdown path runs (poweroff -f), the host
# records the controller counters under shutdown.<prop> (host_req get), then
# boots again with this test in <phase>.
shutdown_and_continue() {
    local out
    tap_diag "clean shutdown requested; continuing in phase $1"
    out=$(host_req shutdown "$LSI_TEST" "$1" "$LSI_REMAINING") || bail "host refused the shutdown: $out"
    sync
    poweroff -f
    sleep 60
    bail "poweroff -f returned"
}

# ---- kernel log ----------------------------------------------------------

LSI_BAD_KLOG='WARNING:|BUG:|Oops|general protection|KASAN|hung task|blocked for more than|Call Trace|Kernel panic|DMAR: \[DMA|DMAR:.*fault|IO_PAGE_FAULT'

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

# Usage: ld_field <index> target|blocks|serial — from lsi.ld<i>=<target>,<blocks>,<serial>
ld_field() {
    local spec
    eval "spec=\${LSI_LD$1:-}"
    [ -n "$spec" ] || { echo "lib: lsi.ld$1 is not on the kernel command line" >&2; return 1; }
    case "$2" in
        target) echo "$spec" | cut -d, -f1 ;;
        blocks) echo "$spec" | cut -d, -f2 ;;
        serial) echo "$spec" | cut -d, -f3 ;;
        *) echo "lib: unknown LD field '$2'" >&2; return 1 ;;
    esac
}

# Usage: ld_dev <index> — /dev/sdX of the LD with that index's target id.
ld_dev() {
    local t h d
    t=$(ld_field "$1" target) || return 1
    for h in $(driver_hosts); do
        for d in /sys/class/scsi_disk/"$h":*:"$t":0; do
            [ -e "$d/device/block" ] && { echo "/dev/$(ls "$d/device/block")"; return 0; }
        done
    done
    echo "lib: no disk with target $t on a $LSI_DRIVER host" >&2
    return 1
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
