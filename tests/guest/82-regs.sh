#!/bin/sh
# 82-regs: the register interface is as strict as the 3108's, seen from a
# host that breaks its rules. First, with the driver bound: the capabilities
# it declared at IOC INIT (the model's x-driver-caps) claim 64-bit mode only
# when scratch pad 1 bit 25 offers it. Then, driver unbound,
# /usr/bin/lsi3108-poke (tests/tools) sends IOC INITs and writes the
# registers itself:
#   IOC INIT   a request frame pool above 4 GiB is refused (status 3)
#              without 64-bit mode and taken with it (if pad 1 offers it,
#              else refused too); more than 8 reply queues without
#              ADDITIONAL_MSIX are refused (when the firmware offers > 8);
#   host index a ring of 16 with two replies, the host index moved to 2
#              through a register, then 14 more completions: all 16 land
#              only if the write was taken. Without combined mode 0x6C is
#              taken and 0x30C ignored (x-host-index-ignored); in combined
#              mode (firmware offers > 8 queues, ADDITIONAL_MSIX declared)
#              0x30C is taken, 0x6C for vectors 0-7 too, and 0x6C naming
#              vector 8 ignored;
#   chain      an 8 KiB read through a 4 KiB chain frame completes with
#              EXT_IO_SIZE declared and is refused (status 3) without it
#              (when pad 1 offers 4 KiB chains);
#   chain flags a chain laid out the Thunderbolt way (0x83, slot 0, no
#              END_OF_LIST) FAULTs the firmware (sgl-check), a reset recovers;
#   PM         the function has a power-management capability; in D3hot
#              its registers read all-ones, and D3hot -> D0 restarts the
#              firmware (READY, x-boot-count up by one).
# Then the driver binds again and reads the scratch LD.
. /tests/lib.sh
skip_unless_inject "register strictness against a hostile host" "not on this controller"
[ -n "$(ls /sys/class/iommu 2>/dev/null)" ] &&
    skip_test "register strictness against a hostile host" "an IOMMU: user-space DMA needs bus = physical addresses"
plan 15
time_limit 600
need_driver
need_qom x-driver-caps x-host-index-ignored x-boot-count
pci=$(ctrl_pci) || bail "no RAID controller on the PCI bus"
bdf=$(basename "$pci")
scratch=$(ld_index scratch)
target=$(ld_field "$scratch" target) || bail "no target id for the scratch LD"
poke() { /usr/bin/lsi3108-poke "$pci" "$@"; }
word() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
ADDITIONAL_MSIX=0x2
EXT_IO_SIZE=0x100
MODE_64BIT=0x2000

caps=$(qom_get x-driver-caps) || bail "cannot read x-driver-caps"
echo "$bdf" >"/sys/bus/pci/drivers/$LSI_DRIVER/unbind" || bail "cannot unbind $LSI_DRIVER from $bdf"
at_finish "/usr/bin/lsi3108-poke $pci ready >/dev/null; echo $bdf >/sys/bus/pci/drivers/$LSI_DRIVER/bind 2>/dev/null"
echo 4 >/proc/sys/vm/nr_hugepages
pad1=$(word "$(poke pad1)" pad1)
[ -n "$pad1" ] || bail "cannot read scratch pad 1 through $pci/resource1"
offers64=$(((pad1 >> 25) & 1))
fw_queues=$((((pad1 >> 14) & 0xff) + 1))
chain4k=$(((pad1 >> 22) & 1))
tap_diag "pad 1 $pad1: 64-bit DMA $offers64, $fw_queues reply queues, 4 KiB chains $chain4k; $LSI_DRIVER declared $(printf 0x%x "$caps")"

# 1. What the driver declared.
if [ $((caps & MODE_64BIT)) -eq 0 ] || [ "$offers64" = 1 ]; then
    tap_ok "$LSI_DRIVER declared 64-bit mode $(((caps >> 13) & 1)) with pad 1 bit 25 = $offers64"
else
    tap_fail "$LSI_DRIVER declared 64-bit mode although pad 1 bit 25 is clear"
fi

# Usage: ioc_status <want> <what> <poke ioc-init arguments> — one result.
ioc_status() {
    local want=$1 what=$2 out
    shift 2
    out=$(poke ioc-init "$@")
    expect_eq "IOC INIT $what: cmd_status" "$want" "$(word "$out" ioc_init)"
}

# 2. IOC INIT and the driver capabilities.
ioc_status 0 "1 queue, no capabilities" 1 0
ioc_status 3 "frames at 4 GiB without 64-bit mode" 1 0 0x100000000
if [ "$offers64" = 1 ]; then
    ioc_status 0 "frames at 4 GiB with 64-bit mode" 1 "$MODE_64BIT" 0x100000000
else
    ioc_status 3 "64-bit mode declared, not offered" 1 "$MODE_64BIT" 0x100000000
fi
if [ "$fw_queues" -gt 8 ]; then
    ioc_status 3 "9 queues without ADDITIONAL_MSIX" 9 0
else
    tap_skip "9 queues without ADDITIONAL_MSIX" "the firmware offers $fw_queues queues (msix-vectors > 8 needed)"
fi

# Usage: host_index <taken|ignored> <what> <nq> <caps> <reg> <value> — one result.
host_index() {
    local want=$1 what=$2 out used i0 i1 got
    shift 2
    i0=$(qom_get x-host-index-ignored)
    out=$(poke host-index "$@")
    i1=$(qom_get x-host-index-ignored)
    used=$(word "$out" ring_used)
    got=ignored
    [ "$used" = 16 ] && got=taken
    [ "$(word "$out" ioc_init)" = 0 ] || got="IOC INIT failed: $out"
    if [ "$got" = "$want" ] && { [ "$want" = taken ] || [ "$i1" -gt "$i0" ]; }; then
        tap_ok "host index $what: $got (ring $used of 16, x-host-index-ignored $i0 -> $i1)"
    else
        tap_fail "host index $what: $got, want $want (ring $used of 16, x-host-index-ignored $i0 -> $i1)"
    fi
}

# 3. The host index register of the mode in use.
host_index taken "0x6C without combined mode" 1 0 0x6c 2
host_index ignored "0x30C without combined mode" 1 0 0x30c 2
if [ "$fw_queues" -gt 8 ]; then
    host_index taken "0x30C in combined mode" 9 "$ADDITIONAL_MSIX" 0x30c 2
    host_index ignored "0x6C naming vector 8 in combined mode" 9 "$ADDITIONAL_MSIX" 0x6c 0x08000002
else
    tap_skip "0x30C in combined mode" "the firmware offers $fw_queues queues (msix-vectors > 8 needed)"
    tap_skip "0x6C naming vector 8 in combined mode" "the firmware offers $fw_queues queues"
fi

# 4. 4 KiB chain frames only with EXT_IO_SIZE.
if [ "$chain4k" = 1 ]; then
    out=$(poke chain "$EXT_IO_SIZE" "$target")
    expect_eq "8 KiB read through a 4 KiB chain with EXT_IO_SIZE: status ($out)" 0x00 "$(word "$out" status)"
    out=$(poke chain 0 "$target")
    expect_eq "the same without EXT_IO_SIZE: status ($out)" 0x03 "$(word "$out" status)"
else
    tap_skip "4 KiB chains with EXT_IO_SIZE" "pad 1 offers 1 KiB chains"
    tap_skip "4 KiB chains without EXT_IO_SIZE" "pad 1 offers 1 KiB chains"
fi
# 4b. The Thunderbolt chain layout a 3108 locks up on (sgl-check): no reply,
# the firmware FAULTs with the SGL code, and a chip reset brings it back.
faults=$(qom_get x-sgl-fault-count)
out=$(poke chain "$EXT_IO_SIZE" "$target" tb)
got="$(word "$out" replied) replies, x-sgl-fault-count +$(($(qom_get x-sgl-fault-count) - faults)), $(qom_get x-fw-state)"
expect_eq "a Thunderbolt-style chain (flags 0x83 in slot 0, no END_OF_LIST) FAULTs the firmware ($out)" \
    "0 replies, x-sgl-fault-count +1, FAULT" "$got"
expect_eq "a chip reset brings it back to READY" "ready=yes" "$(poke ready)"

# 5. PCI power management: D3hot and back.
boots=$(qom_get x-boot-count)
out=$(poke pm-cycle)
if [ "$(word "$out" d3_pad0)" = 0xffffffff ] && [ "$(word "$out" d0_state)" = 0xb ] &&
    [ "$(qom_get x-boot-count)" -eq $((boots + 1)) ]; then
    tap_ok "PM: registers all-ones in D3hot, firmware restarted to READY at D0 ($out; reset_method: $(cat "$pci/reset_method" 2>/dev/null))"
else
    tap_fail "PM: $out, x-boot-count $boots -> $(qom_get x-boot-count) (want all-ones in D3hot, READY and one boot after)"
fi

# Back to the driver.
rebind_after_poke "$pci"
finish
