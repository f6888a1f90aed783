#!/bin/sh
# 81-bounds: no guest can make the model grow QEMU's memory without bound.
# With the driver unbound, /usr/bin/lsi3108-poke (tests/tools) plays a
# hostile host from user space (the register BAR through sysfs, frames and
# rings in a huge page) and runs four sequences; for each the host's `rss`
# request reads QEMU's VmRSS and peak VmHWM (peak reset first), and the peak
# may exceed the RSS before by at most LIMIT_MB (the model's own bound plus
# slack for the guest's and QEMU's other memory):
#   repost    one ring of 16 never consumed, SMID 1 (completed at once)
#             posted REPOSTS times: the reply backlog must stay within the
#             commands really outstanding (x-reply-backlog 1, the re-posts
#             refused: x-smid-reposts);
#   mfi-hold  READY, an EVENT_WAIT that never completes posted MFI_HOLDS
#             times at the MFI queue port: one frame in flight, the others
#             answered at once with an error (x-mfi-refused);
#   mfi-io    READY, a 1 MiB pass-through WRITE (FUA) posted IO_COUNT times
#             against the scratch LD throttled to 1 IOPS: one in flight;
#   bounce    IOC INIT, BOUNCE_COUNT SMIDs each a 1 MiB WRITE (FUA) to the
#             throttled scratch LD: bounce buffers within bounce-max, the
#             other commands wait (x-bounce-waits), and all complete once the
#             throttle is lifted.
# Then the driver binds again and reads the scratch LD.
# Skipped on a bench with an IOMMU (user-space DMA needs bus = physical
# addresses) and without the model's controls.
# Figures: per sequence, RSS before, peak, growth and the model's counters.
. /tests/lib.sh
REPOSTS=${LSI_BOUNDS_REPOSTS:-10000000}
MFI_HOLDS=${LSI_BOUNDS_MFI_HOLDS:-600000}
IO_COUNT=${LSI_BOUNDS_IO:-256}
# More than the memory the sequences before may have freed (QEMU's allocator
# reuses it without growing): an unbounded model must show here too.
BOUNCE_COUNT=${LSI_BOUNDS_BOUNCE:-600}
SLACK_MB=${LSI_BOUNDS_SLACK_MB:-32}
skip_unless_inject "memory bounds against a hostile host" "not on this controller"
[ -n "$(ls /sys/class/iommu 2>/dev/null)" ] &&
    skip_test "memory bounds against a hostile host" "an IOMMU: user-space DMA needs bus = physical addresses"
plan 10
time_limit 1500
need_driver
need_qom x-revive
pci=$(ctrl_pci) || bail "no RAID controller on the PCI bus"
bdf=$(basename "$pci")
scratch=$(ld_index scratch)
target=$(ld_field "$scratch" target) || bail "no target id for the scratch LD"
ld_id=ld$scratch
# A counter of the model; -1 from a model without it (the RSS checks still
# run there: that is how the test shows an unbounded model failing).
counter() { local v; v=$(qom_get "$1" 2>/dev/null) || v=-1; echo "$v"; }
bounce_max=$(counter bounce-max)
[ "$bounce_max" -gt 0 ] || bounce_max=$((64 * 1048576))

poke() { /usr/bin/lsi3108-poke "$pci" "$@"; }
throttle() { host_req hmp block_set_io_throttle "$ld_id" 0 0 0 "$1" 0 0; }
# kB of a "rss_kb=N peak_kb=N" reply
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# Unbind the driver; rebound at the end (and on a bail).
echo "$bdf" >"/sys/bus/pci/drivers/$LSI_DRIVER/unbind" || bail "cannot unbind $LSI_DRIVER from $bdf"
at_finish "throttle 0 >/dev/null; poke ready >/dev/null; echo $bdf >/sys/bus/pci/drivers/$LSI_DRIVER/bind 2>/dev/null"
echo 4 >/proc/sys/vm/nr_hugepages
[ "$(cat /proc/sys/vm/nr_hugepages)" -ge 1 ] || bail "no 2 MiB huge page for the DMA memory"

# Usage: bounded <name> <limit MiB> <poke arguments...> — runs the sequence
# between an RSS peak reset and a reading; one result; OUT is poke's output.
bounded() {
    local name=$1 limit=$2 before after rss0 peak grown t0
    shift 2
    before=$(host_req rss-reset) || bail "host rss-reset: $before"
    t0=$(now_ms)
    OUT=$(poke "$@" 2>&1)
    after=$(host_req rss) || bail "host rss: $after"
    rss0=$(field "$before" rss_kb)
    peak=$(field "$after" peak_kb)
    grown=$(((peak - rss0) / 1024))
    if [ "$grown" -le "$limit" ]; then
        tap_ok "$name: QEMU RSS $((rss0 / 1024)) MiB before, peak $((peak / 1024)) MiB: grew $grown MiB (limit $limit) in $(ms_since "$t0") ms; poke: $OUT"
    else
        tap_fail "$name: QEMU RSS $((rss0 / 1024)) MiB before, peak $((peak / 1024)) MiB: grew $grown MiB, more than $limit; poke: $OUT"
    fi
}

# 1. The reply backlog.
r0=$(counter x-smid-reposts)
bounded repost "$SLACK_MB" repost "$REPOSTS"
backlog=$(counter x-reply-backlog)
reposts=$(($(counter x-smid-reposts) - r0))
if [ "$backlog" -le 1 ] && [ "$reposts" -ge $((REPOSTS - 16)) ]; then
    tap_ok "repost: backlog $backlog (peak $(counter x-reply-backlog-peak)), $reposts of $REPOSTS descriptors refused as already outstanding"
else
    tap_fail "repost: backlog $backlog entries, $reposts of $REPOSTS re-posts refused (want <= 1 and >= $((REPOSTS - 16)))"
fi
poke ready >/dev/null

# 2. MFI mode: held frames.
m0=$(counter x-mfi-refused)
bounded mfi-hold "$SLACK_MB" mfi-hold "$MFI_HOLDS"
refused=$(($(counter x-mfi-refused) - m0))
expect_eq "mfi-hold: frames refused while the first EVENT_WAIT is held" "$((MFI_HOLDS - 1))" "$refused"

# 3. MFI mode: LD pass-through against a slow LD.
out=$(throttle 1) && [ -z "$out" ] || bail "cannot throttle $ld_id: $out"
m0=$(counter x-mfi-refused)
qom_set x-revive true >/dev/null    # a firmware restart drops the held EVENT_WAIT
bounded mfi-io "$SLACK_MB" mfi-io "$target" "$IO_COUNT"
refused=$(($(counter x-mfi-refused) - m0))
if [ "$refused" -ge $((IO_COUNT - 4)) ]; then
    tap_ok "mfi-io: $refused of $IO_COUNT pass-through writes refused while one was in flight"
else
    tap_fail "mfi-io: only $refused of $IO_COUNT pass-through writes refused"
fi
throttle 0 >/dev/null

# 4. Fusion bounce buffers against a slow LD.
throttle 1 >/dev/null
w0=$(counter x-bounce-waits)
bounded bounce $((bounce_max / 1048576 + SLACK_MB)) bounce "$target" "$BOUNCE_COUNT"
inuse=$(counter x-bounce-bytes)
waits=$(($(counter x-bounce-waits) - w0))
if [ "$inuse" -le "$bounce_max" ] && [ "$waits" -gt 0 ]; then
    tap_ok "bounce: $((inuse / 1048576)) MiB of bounce buffers in use (bounce-max $((bounce_max / 1048576)) MiB), $waits commands waited"
else
    tap_fail "bounce: $inuse bytes of bounce buffers in use (bounce-max $bounce_max), $waits commands waited"
fi
throttle 0 >/dev/null
t0=$(now_ms)
if wait_until 300 eval '[ "$(counter x-bounce-bytes)" -le 0 ] && [ "$(counter x-reply-backlog)" -le 0 ]'; then
    tap_ok "bounce: every waiting command ran once the throttle was lifted ($(ms_since "$t0") ms)"
else
    tap_fail "bounce: still $(counter x-bounce-bytes) bytes of bounce buffers in use 300 s after the throttle was lifted"
fi

# Back to the driver.
rebind_after_poke "$pci"
finish
