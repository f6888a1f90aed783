#!/bin/sh
# 20-identity: per LD, standard INQUIRY identity, VPD 0x80 serial as
# configured, VPD 0x83 designators present and unique across LDs, and
# READ CAPACITY(16) block count and length as configured (incl. the >2 TiB LD);
# every LD at the SCSI address upstream megaraid_sas gives it (channel
# 2 + target / 128, id target % 128: lib.sh's ld_ctl), the same for both
# drivers, so by-path names and H:C:T:L match.
. /tests/lib.sh
plan $((LSI_LDS * 5 + 1))
need_driver

field() { sed -n "s/^ *$1: *//p" | sed 's/ *$//' | head -n 1; }

designators=""
i=0
while [ "$i" -lt "$LSI_LDS" ]; do
    dev=$(ld_dev "$i") || { bail "ld$i has no disk"; }
    t=$(ld_field "$i" target)
    hctl=$(basename "$(readlink -f "/sys/block/${dev#/dev/}/device")")
    want="$(driver_hosts | head -n 1):$(ld_ctl "$t")"
    expect_eq "ld$i (target $t) $dev at SCSI address $want" "$want" "$hctl"
    inq=$(sg_inq "$dev" 2>&1)
    got="$(echo "$inq" | field 'Vendor identification')/$(echo "$inq" | field 'Product identification')"
    expect_eq "ld$i $dev INQUIRY vendor/product" "$LSI_VENDOR/$LSI_MODEL" "$got"

    serial=$(sg_vpd -p 0x80 "$dev" 2>&1 | field 'Unit serial number')
    expect_eq "ld$i $dev VPD 0x80 unit serial number" "$(ld_field "$i" serial)" "$serial"

    vpd83=$(sg_vpd -p 0x83 "$dev" 2>&1)
    n=$(echo "$vpd83" | grep -c 'designator type:')
    if [ "$n" -ge 1 ]; then
        tap_ok "ld$i $dev VPD 0x83 has $n designator(s)"
    else
        tap_fail "ld$i $dev VPD 0x83 has no designator: $(echo "$vpd83" | tr '\n' '|')"
    fi
    echo "$vpd83"
    # What identifies the LU: the page without its title line.
    designators="$designators$(echo "$vpd83" | grep -v -i -e 'identification VPD page' | sha_of /dev/stdin) ld$i
"

    cap=$(sg_readcap -l "$dev" 2>&1)
    blocks=$(echo "$cap" | sed -n 's/.*Number of logical blocks=\([0-9]*\).*/\1/p')
    bsize=$(echo "$cap" | sed -n 's/.*Logical block length=\([0-9]*\) bytes.*/\1/p')
    expect_eq "ld$i $dev READ CAPACITY(16) blocks x length" "$(ld_field "$i" blocks) x ${LSI_BS:-512}" "$blocks x $bsize"
    i=$((i + 1))
done

dups=$(echo "$designators" | grep . | cut -d' ' -f1 | sort | uniq -d)
if [ -z "$dups" ]; then
    tap_ok "VPD 0x83 designators are unique across the $LSI_LDS LDs"
else
    tap_fail "VPD 0x83 designators repeat across LDs: $(echo "$designators" | grep -F "$dups" | cut -d' ' -f2 | tr '\n' ' ')"
fi
finish
