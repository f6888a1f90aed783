#!/bin/sh
# 42-poll: poll queues (module parameter poll_queues, upstream megaraid_sas's
# name): I/O completed by polling (io_uring with IORING_SETUP_IOPOLL, fio
# --hipri) instead of interrupts. The model says what the driver did: the
# reply queues it was given at IOC INIT (x-reply-queues), the replies it
# posted on each and how many of their signals found the queue's MSI-X vector
# masked (x-queue-replies, x-queue-masked). The poll queues are the reply
# queues beyond the controller's MSI-X vectors (msi_irqs).
# - reloaded with poll_queues=1: the fs LD polls (queue/io_poll 1, one
#   hardware queue of type poll in debugfs), the firmware has one reply queue
#   more than the driver has vectors (lsi3108: reply_queues, poll_queues,
#   lsi3108-ctl info);
# - fio io_uring --hipri randwrite with crc32c verify, QD1 and QD16, on the fs
#   LD: all written and verified; the poll queue got at least one reply per
#   command (fio's I/Os less the block layer's merges), every signal of it
#   masked; the controller's vectors took fewer than one interrupt per 10
#   I/Os; lsi3108: poll_completion_count rose by at least the commands;
# - a firmware FAULT (online controller reset) under polled fio: recovered,
#   every pass verified (the polled commands were reissued), polling again;
# - lsi3108: a non-polled read whose reply the model moves onto the poll queue
#   (x-inject-reply wrong-queue) completes within 5 s: the watchdog sweeps a
#   poll queue no one polls;
# - lsi3108: poll_queues=-1 and =1000 load, with one line naming the value and
#   what was used (0; one per CPU);
# - reloaded without the parameter: no poll queue (io_poll 0, x-reply-queues
#   = vectors).
# Skips where the model has no per-queue counts (megasas-gen2), where fio or
# the kernel have no io_uring, and for upstream megaraid_sas where it makes no
# poll queue: on a 3108 it polls only with more than 8 firmware vectors and
# more than 2 CPUs (make check's row "poll queues: 16 vectors, 4 CPUs").
. /tests/lib.sh
time_limit 600
skip_unless_inject "poll queues" "this controller has no per-queue reply counts"
has_qom x-reply-queues x-queue-replies x-queue-masked ||
    skip_test "poll queues" "the controller model has no x-queue-replies (needs a newer model)"
# io_uring in the kernel and in fio, on a file (no driver involved).
if ! out=$(fio --name=probe --filename=/tmp/uring-probe --size=64k --rw=write --bs=4k \
        --ioengine=io_uring --output-format=terse 2>&1); then
    skip_test "poll queues" "fio cannot use io_uring here: $(echo "$out" | grep -i -m1 'uring\|error' | head -c 200)"
fi
rm -f /tmp/uring-probe
need_driver

pci=$(ctrl_pci) || bail "no controller PCI function"
dev=$(ld_dev "$(ld_index fs)") || bail "fs LD has no disk"
size_mib=16
ncpu=$(grep -c '^processor' /proc/cpuinfo)

# MSI-X vectors the driver set up, and the poll queues beyond them.
nvec() { ls "$pci/msi_irqs" 2>/dev/null | wc -l; }
npoll() { echo $(($(qom_get x-reply-queues) - $(nvec))); }
# Sum of the comma list $1's entries from index $2 on.
sum_from() { echo "$1" | awk -F, -v from="$2" '{ for (i = from + 1; i <= NF; i++) s += $i } END { print s + 0 }'; }
# Interrupts the controller's vectors took, all CPUs.
irqs_total() {
    local f
    for f in "$pci"/msi_irqs/*; do
        [ -e "$f" ] || continue
        awk -v irq="${f##*/}:" '$1 == irq { for (c = 2; c <= NF; c++) if ($c ~ /^[0-9]+$/) n += $c; print n + 0; exit }' /proc/interrupts
    done | awk '{ s += $1 } END { print s + 0 }'
}
# Hardware queues of type poll of the disk $1 (debugfs), or "?".
poll_hctxs() {
    local d=/sys/kernel/debug/block/${1#/dev/}
    [ -d "$d" ] || { echo "?"; return; }
    cat "$d"/hctx*/type 2>/dev/null | grep -c '^poll$'
}
io_poll() { cat "/sys/block/${1#/dev/}/queue/io_poll" 2>/dev/null || echo "?"; }
# Requests of disk $1 merged into others (reads + writes): fewer commands.
merged() { awk '{ print $2 + $6 }' "/sys/block/${1#/dev/}/stat"; }
# Kernel log lines after line $1 of dmesg.
log_after() { dmesg | tail -n +$(($1 + 1)); }

# reload [module parameters]: unload, load with them, all LDs back; $dev
# again. Not in $(...): it sets $dev. Bails on failure.
reload() {
    local out
    out=$(unload_driver) || bail "rmmod before loading with '$*': $out"
    out=$(modprobe "$LSI_DRIVER" "$@" 2>&1) || bail "modprobe $LSI_DRIVER $*: $out"
    out=$(load_driver) || bail "$LSI_DRIVER $*: $out"
    dev=$(ld_dev "$(ld_index fs)") || bail "$LSI_DRIVER $*: the fs LD has no disk"
}

# --- poll_queues=1 -----------------------------------------------------------
reload poll_queues=1
# Upstream polls only with a multi-queue host, which on a 3108 needs more
# than 8 firmware vectors (combined mode), and with min(CPUs + 1, vectors) >
# poll_queues + 2: the default bench (2 CPUs, 8 vectors) has neither; make
# check's row with msix-vectors=16 on 4 CPUs has both.
if ! is_lsi3108 && [ "$(io_poll "$dev")" != 1 ]; then
    why=$(dmesg | grep -o 'requested/available msix.*' | tail -n 1)
    reload
    skip_test "poll queues" "$LSI_DRIVER made no poll queue ($why, $ncpu CPUs, $(qom_get msix-vectors) firmware vectors): it polls with more than 8 vectors and min(CPUs + 1, vectors) > poll_queues + 2"
fi
plan 18
tap_ok "$LSI_DRIVER loaded with poll_queues=1, $LSI_LDS LDs back"
expect_eq "queue/io_poll of the fs LD ($dev)" 1 "$(io_poll "$dev")"
expect_eq "hardware queues of type poll of $dev (debugfs; of $(ls "/sys/block/${dev#/dev/}/mq" | wc -l))" 1 "$(poll_hctxs "$dev")"
nq=$(qom_get x-reply-queues)
if is_lsi3108; then
    ctl=$(lsi3108-ctl info | sed -n 's/^reply queues: *\([0-9]* ([0-9]* polled\).*/\1/p')
    got="$(nvec) vectors, $nq reply queues; reply_queues $(host_attr reply_queues), poll_queues $(host_attr poll_queues); lsi3108-ctl info: $ctl"
    want="$(nvec) vectors, $(($(nvec) + 1)) reply queues; reply_queues $(($(nvec) + 1)), poll_queues 1; lsi3108-ctl info: $(($(nvec) + 1)) (1 polled"
else
    got="$(nvec) vectors, $nq reply queues"
    want="$(nvec) vectors, $(($(nvec) + 1)) reply queues"
fi
expect_eq "the firmware got one reply queue beyond the MSI-X vectors (the poll queue: no vector set up)" "$want" "$got"
first=$(nvec)

# polled_fio <iodepth> <offset MiB>: fio randwrite + verify on $dev, polled;
# four results.
polled_fio() {
    local qd=$1 off=$2 rc q0 q1 r0 m0 i0 p0 g0 r1 m1 i1 p1 ios err wb rb posted masked irq cmds
    q0=$(qom_get x-queue-replies)
    r0=$(sum_from "$q0" "$first")
    m0=$(sum_from "$(qom_get x-queue-masked)" "$first")
    i0=$(irqs_total)
    p0=$(lsi_counter poll_completion_count)
    g0=$(merged "$dev")
    fio --name=poll-qd$qd --filename="$dev" --offset="${off}M" --size="${size_mib}M" \
        --rw=randwrite --bs=4k --iodepth="$qd" --ioengine=io_uring --hipri --direct=1 \
        --verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
        --output-format=terse --terse-version=3 --output=/tmp/poll.terse 2>/tmp/poll.err
    rc=$?
    q1=$(qom_get x-queue-replies)
    r1=$(sum_from "$q1" "$first")
    m1=$(sum_from "$(qom_get x-queue-masked)" "$first")
    i1=$(irqs_total)
    tap_diag "QD$qd: replies per reply queue $q0 -> $q1"
    p1=$(lsi_counter poll_completion_count)
    # terse v3: 5 error, 6 read KiB, 47 write KiB; 4 KiB an I/O.
    set -- $(awk -F';' '$1 == 3 { print $5, $6, $47; exit }' /tmp/poll.terse 2>/dev/null)
    err=${1:-x} rb=${2:-0} wb=${3:-0}
    ios=$(((rb + wb) / 4))
    # Commands: fio's I/Os less those the block layer merged (mq-deadline's
    # sorted read-back, with upstream).
    cmds=$((ios - ($(merged "$dev") - g0)))
    posted=$((r1 - r0))
    masked=$((m1 - m0))
    irq=$((i1 - i0))
    if [ "$rc" -eq 0 ] && [ "$err" = 0 ] && [ "$wb" -eq $((size_mib * 1024)) ] && [ "$rb" -eq "$wb" ]; then
        tap_ok "fio io_uring --hipri QD$qd: $wb KiB written, $rb KiB read back and verified (crc32c)"
    else
        tap_fail "fio io_uring --hipri QD$qd: exit $rc, error $err, wrote $wb KiB, read $rb KiB (want $((size_mib * 1024)) each): $(tr '\n' ' ' </tmp/poll.err | head -c 300)"
    fi
    expect_eq "QD$qd: the poll queue got a reply per command ($posted for $ios I/Os in $cmds commands), each signal to a masked vector ($masked)" \
        "yes yes" "$([ "$posted" -ge "$cmds" ] && [ "$cmds" -gt 0 ] && echo yes || echo no) $([ "$masked" -eq "$posted" ] && echo yes || echo no)"
    expect_eq "QD$qd: the controller's $(nvec) vectors took $irq interrupts for $ios I/Os (fewer than one per 10)" \
        yes "$([ $((irq * 10)) -lt "$ios" ] && echo yes || echo no)"
    if is_lsi3108; then
        expect_eq "QD$qd: poll_completion_count rose by $((p1 - p0)) (at least the $cmds commands)" \
            yes "$([ $((p1 - p0)) -ge "$cmds" ] && echo yes || echo no)"
    else
        tap_skip "QD$qd: the driver's count of polled completions" "$LSI_DRIVER has none (the model's counts above)"
    fi
}
polled_fio 1 0
polled_fio 16 64

# --- a controller reset under polled I/O -------------------------------------
recovered() { reset_recovered "$before" "$dev"; }
inject x-completion-delay-us 2000 || bail "cannot set x-completion-delay-us"
io_start pollocr "$dev" 128 16 --ioengine=io_uring --hipri
n=$(wait_inflight "$dev" 10)
before=$(reset_count)
t0=$(now_ms)
out=$(qom_set x-fault $((0x142))) || bail "the model refused the fault: $out"
# The poll queue took replies since $r0 (polled I/O after the reset).
polling_again() { [ "$(sum_from "$(qom_get x-queue-replies)" "$first")" -gt "$r0" ]; }
if wait_until 60 recovered; then
    rec=$(ms_since "$t0")
    r0=$(sum_from "$(qom_get x-queue-replies)" "$first")
    t1=$(now_ms)
    if wait_until 20 polling_again; then
        tap_ok "FAULT with $n command(s) in flight under polled fio: recovered in $rec ms, polling again $(ms_since "$t1") ms later"
    else
        tap_fail "FAULT with $n command(s) in flight under polled fio: recovered in $rec ms, but no reply on the poll queue in 20 s (fio running: $(io_running pollocr && echo yes || echo no), $(inflight "$dev") in flight)"
    fi
else
    wedged "not recovered within 60 s of the FAULT under polled fio: $(ctrl_states)"
fi
io_stop pollocr 180 || wedged "polled fio still running 180 s after the reset"
io_verified pollocr "polled fio across the reset"
qom_set x-completion-delay-us 0 >/dev/null

# --- a reply the firmware puts on a poll queue no one polls -------------------
if is_lsi3108; then
    # A CPU whose hardware queue is the last interrupt queue: wrong-queue moves
    # its command's reply to the next queue, the first poll queue.
    cpu=$(cut -d, -f1 "/sys/block/${dev#/dev/}/mq/$((first - 1))/cpu_list" | cut -d- -f1)
    o0=$(lsi_counter other_queue_reply_count)
    if out=$(qom_set x-inject-reply wrong-queue); then
        run_deadline 60 taskset "$(printf %x $((1 << cpu)))" /usr/bin/dd if="$dev" of=/dev/null \
            bs=4k count=1 skip=777 iflag=direct status=none
        rc=$?
        expect_eq "a read from CPU $cpu (queue $((first - 1))) answered on the poll queue: done in $RUN_MS ms (exit $rc; within 5 s), other_queue_reply_count $o0 -> $(lsi_counter other_queue_reply_count)" \
            "0 yes yes" "$rc $([ "$RUN_MS" -lt 5000 ] && echo yes || echo no) $([ "$(lsi_counter other_queue_reply_count)" -gt "$o0" ] && echo yes || echo no)"
    else
        tap_fail "the model refused x-inject-reply wrong-queue: $out"
    fi
else
    tap_skip "a reply on a poll queue no one polls" "$LSI_DRIVER does not sweep its poll queues (it would wait for the command's timeout)"
fi

# --- values the driver cannot use ----------------------------------------------
if is_lsi3108; then
    l0=$(dmesg | wc -l)
    reload poll_queues=-1
    msg=$(log_after "$l0" | grep -o 'poll_queues=-1 is negative: using 0' | head -n 1)
    expect_eq "poll_queues=-1 loads, says so, no poll queue (io_poll $(io_poll "$dev"), poll_queues $(host_attr poll_queues))" \
        "poll_queues=-1 is negative: using 0 0 0" "$msg $(io_poll "$dev") $(host_attr poll_queues)"
    l0=$(dmesg | wc -l)
    reload poll_queues=1000
    msg=$(log_after "$l0" | grep -o "poll_queues=1000 is more than the $ncpu CPUs: using $ncpu" | head -n 1)
    expect_eq "poll_queues=1000 loads with one poll queue per CPU, and says so (poll type hardware queues $(poll_hctxs "$dev"))" \
        "poll_queues=1000 is more than the $ncpu CPUs: using $ncpu $ncpu $ncpu" "$msg $(host_attr poll_queues) $(poll_hctxs "$dev")"
else
    tap_skip "poll_queues=-1" "upstream takes a negative value as a count"
    l0=$(dmesg | wc -l)
    reload poll_queues=1000
    tap_diag "megaraid_sas poll_queues=1000: $(log_after "$l0" | grep -m1 -o 'requested/available msix.*')"
    expect_eq "poll_queues=1000 loads (all $LSI_LDS LDs), no poll queue: it needs poll_queues + 2 vectors" \
        "0 0" "$(io_poll "$dev") $(poll_hctxs "$dev")"
fi

# --- back to the default ---------------------------------------------------------
reload
expect_eq "reloaded without poll_queues: io_poll, poll type hardware queues, reply queues beyond the vectors" \
    "0 0 0" "$(io_poll "$dev") $(poll_hctxs "$dev") $(npoll)"
finish
