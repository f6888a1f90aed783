#!/bin/sh
# 10-bind: the driver loads, binds the controller, and every configured LD
# shows up as a disk with the expected vendor/model and size.
. /tests/lib.sh
plan 7

out=$(modprobe "$LSI_DRIVER" 2>&1)
rc=$?
expect_eq "modprobe $LSI_DRIVER exit status (output: '$out')" 0 "$rc"
expect_eq "/sys/module/$LSI_DRIVER exists" yes "$([ -d "/sys/module/$LSI_DRIVER" ] && echo yes || echo no)"

out=$(load_driver)
if [ -n "$out" ]; then tap_fail "all LDs appear: $out"; else tap_ok "all $LSI_LDS LDs appear as disks"; fi

# lsscsi columns: [H:C:T:L] type vendor(8) model(16) rev device
lines=""
for h in $(driver_hosts); do
    lines="$lines$(lsscsi | grep "^\[$h:")
"
done
echo "$lines"
matching=$(echo "$lines" | awk -v v="$LSI_VENDOR" -v m="$LSI_MODEL" '
    $2 == "disk" {
        rest = substr($0, index($0, "disk") + 4); sub(/^ +/, "", rest)
        vendor = substr(rest, 1, 8); model = substr(rest, 10, 16)
        sub(/ +$/, "", vendor); sub(/ +$/, "", model)
        if (vendor == substr(v, 1, 8) && model == substr(m, 1, 16)) n++
    }
    END { print n + 0 }')
expect_eq "lsscsi disks with vendor '$LSI_VENDOR' model '$LSI_MODEL'" "$LSI_LDS" "$matching"

# Each LD: a block device whose size matches the configured block count.
bad=""
i=0
while [ "$i" -lt "$LSI_LDS" ]; do
    dev=$(ld_dev "$i" 2>&1) || { bad="$bad ld$i:$dev"; i=$((i + 1)); continue; }
    [ -b "$dev" ] || bad="$bad ld$i:$dev-not-a-block-device"
    sectors=$(cat "/sys/block/${dev#/dev/}/size")
    want=$(($(ld_field "$i" blocks) * ${LSI_BS:-512} / 512))
    [ "$sectors" = "$want" ] || bad="$bad ld$i:$dev-has-$sectors-sectors-want-$want"
    i=$((i + 1))
done
expect_eq "every LD is a block device of the configured size" "" "${bad# }"

# udev made a by-id link for each disk.
missing=""
for dev in $(driver_disks); do
    found=""
    for link in /dev/disk/by-id/*; do
        [ "$(readlink -f "$link")" = "$dev" ] && found=yes
    done
    [ -n "$found" ] || missing="$missing ${dev#/dev/}"
done
expect_eq "udev /dev/disk/by-id link for every disk" "" "${missing# }"

# The machine variant is really in effect for the controller.
pci=$(readlink -f "/sys/class/scsi_host/host$(driver_hosts | head -n 1)/device/..")
case "${LSI_VARIANT:-none}" in
    iommu)
        group=$(readlink -f "$pci/iommu_group")
        expect_eq "controller ${pci##*/} is behind a translating IOMMU (group ${group##*/} type)" \
            DMA "$(cat "$group/type" 2>/dev/null)" ;;
    swiotlb)
        expect_eq "swiotlb=force on the kernel command line, bounce buffer present" yes \
            "$(grep -q 'swiotlb=force' /proc/cmdline && [ -e /sys/kernel/debug/swiotlb/io_tlb_nslabs ] && echo yes || echo no)" ;;
    intx)
        expect_eq "controller ${pci##*/} uses a legacy interrupt (MSI/MSI-X vectors in use)" 0 \
            "$(ls "$pci/msi_irqs" 2>/dev/null | wc -l)" ;;
    *)
        tap_skip "machine variant in effect" "variant ${LSI_VARIANT:-none}" ;;
esac
finish
