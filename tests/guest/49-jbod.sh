#!/bin/sh
# 49-jbod: a JBOD disk the controller exposes to the host (a system PD), as
# ZFS or Ceph users run them. On a bench whose controller has expose-jbod=on
# and a PD in JBOD state (layout.py's STANDARD_PDS, the "JBOD exposed" row):
#   - the disk is at the SCSI address megaraid_sas gives a system PD
#     (channel = device id / 128, id = device id % 128, LUN 0), the other
#     PDs (RAID members, spare, unconfigured) are not addressable;
#   - its identity is the disk's own, not the controller's: INQUIRY vendor/
#     product, VPD 0x80 serial, VPD 0x83 NAA = the PD's WWN, and udev's
#     /dev/disk/by-id/wwn-0x<WWN> link names it;
#   - READ CAPACITY is the disk's size;
#   - data: written with O_DIRECT and read back equal; fio 4k random writes
#     with crc32c verify;
#   - flushes reach the disk: it reports a volatile write cache and FUA, and
#     each fsync of the block device is a SYNCHRONIZE CACHE the PD counts
#     (the model's "flushes" property; the driver may not answer it itself);
#   - the PD leaving JBOD (qom-set state unconfigured-good) removes the disk;
#     back to JBOD, it returns with its data;
#   - the disk pulled out of its slot under I/O (device_del: the firmware's
#     PD_REMOVED event) disappears, the I/O on it ends in errors, not a hang;
#     put back (device_add: PD_INSERTED) it returns with its data.
# Both drivers (upstream megaraid_sas is the oracle for the model's system-PD
# path: it sends them fast-path frames to the RAID map's device handle).
. /tests/lib.sh
[ "${LSI_PDS:-0}" -gt 0 ] || skip_test "JBOD" "the bench has no PDs"
[ "$(qom_get expose-jbod 2>/dev/null)" = true ] ||
    skip_test "JBOD" "the controller does not expose JBODs (expose-jbod=off)"
if is_lsi3108; then plan 22; else plan 21; fi
time_limit 300
need_driver

# The bench's first JBOD PD (index into lsi.pd<i>)
j=""
i=0
while [ "$i" -lt "$LSI_PDS" ]; do
    [ "$(pd_field $i state)" = jbod ] && { j=$i; break; }
    i=$((i + 1))
done
[ -n "$j" ] || bail "expose-jbod=on but the bench has no PD in JBOD state"
id=$(pd_field "$j" id)
pd_ctl() { echo "$(($1 / 128)):$(($1 % 128)):0"; }
host=$(driver_hosts | head -n 1)
hctl="$host:$(pd_ctl "$id")"
pd_qom() { host_req qom-get "/machine/peripheral/pd$id" "$1"; }
# the disk at the system PD's address, or nothing
jbod_dev() {
    local d=/sys/class/scsi_disk/$hctl
    [ -e "$d/device/block" ] && echo "/dev/$(ls "$d/device/block")"
}
field() { sed -n "s/^ *$1: *//p" | sed 's/ *$//' | head -n 1; }

# 1-2: where it is, and what is not there
wait_until 30 eval '[ -n "$(jbod_dev)" ]'
dev=$(jbod_dev)
[ -n "$dev" ] || {
    lsscsi
    bail "no disk at $hctl (system PD $id) within 30 s"
}
tap_ok "system PD $id is $dev at $hctl"
others=""
i=0
while [ "$i" -lt "$LSI_PDS" ]; do
    other=$(pd_field $i id)
    if [ "$i" != "$j" ] && [ -e "/sys/class/scsi_device/$host:$(pd_ctl "$other")" ]; then
        others="$others $other($(pd_field $i state))"
    fi
    i=$((i + 1))
done
expect_eq "no SCSI device for the PDs that are not JBOD" "" "${others# }"

# 3-7: its own identity
inq=$(sg_inq "$dev" 2>&1)
echo "$inq"
expect_eq "INQUIRY vendor/product: the disk's" "SEAGATE/$(pd_field "$j" product)" \
    "$(echo "$inq" | field 'Vendor identification')/$(echo "$inq" | field 'Product identification')"
expect_eq "VPD 0x80 unit serial number: the disk's" "$(pd_field "$j" serial)" \
    "$(sg_vpd -p 0x80 "$dev" 2>&1 | field 'Unit serial number')"
wwn=$(printf '%016x' "$(pd_qom wwn)")
vpd83=$(sg_vpd -p 0x83 "$dev" 2>&1)
echo "$vpd83"
if echo "$vpd83" | grep -qi "0x$wwn"; then
    tap_ok "VPD 0x83 names the disk's WWN 0x$wwn"
else
    tap_fail "VPD 0x83 does not name the disk's WWN 0x$wwn"
fi
udevadm settle --timeout=20
link=/dev/disk/by-id/wwn-0x$wwn
expect_eq "udev $link names $dev" "$dev" "$(readlink -f "$link" 2>/dev/null)"
cap=$(sg_readcap -l "$dev" 2>&1)
blocks=$(echo "$cap" | sed -n 's/.*Number of logical blocks=\([0-9]*\).*/\1/p')
expect_eq "READ CAPACITY(16): the disk's blocks (its 256 MiB image)" "$((256 * 1024 * 2))" "$blocks"

# 8-9: data
random_file /tmp/jbod.bin 8
at_finish "rm -f /tmp/jbod.bin /tmp/jbod-fio.out"
dev_write /tmp/jbod.bin "$dev" 16
expect_eq "8 MiB written with O_DIRECT at 16 MiB read back equal" \
    "$(sha_of /tmp/jbod.bin)" "$(dev_sha "$dev" 16 8)"
fio --name=jbod --filename="$dev" --offset=64M --size=64M --rw=randwrite --bs=4k \
    --iodepth=16 --ioengine=libaio --direct=1 --verify=crc32c --do_verify=1 \
    --verify_fatal=1 --verify_state_save=0 --output-format=terse >/tmp/jbod-fio.out 2>&1
rc=$?
tail -n 5 /tmp/jbod-fio.out
# terse v3: field 5 is the job's error
expect_eq "fio 64 MiB 4k random writes, crc32c verified: exit status, job error" "0 0" \
    "$rc $(head -n 1 /tmp/jbod-fio.out | cut -d';' -f5)"

# 10-13: flushes reach the disk
sd=/sys/class/scsi_disk/$hctl
expect_eq "the disk reports a volatile write cache" "write back" "$(cat "$sd/cache_type")"
expect_eq "the disk takes FUA" 1 "$(cat "$sd/FUA")"
before=$(pd_qom flushes)
n=0
while [ "$n" -lt 5 ]; do
    dd if=/tmp/jbod.bin of="$dev" bs=1M count=1 seek=$((32 + n)) conv=fsync status=none
    n=$((n + 1))
done
after=$(pd_qom flushes)
if [ "$((after - before))" -ge 5 ]; then
    tap_ok "5 fsyncs: $((after - before)) SYNCHRONIZE CACHE reached the disk ($before -> $after)"
else
    tap_fail "5 fsyncs: only $((after - before)) SYNCHRONIZE CACHE reached the disk ($before -> $after)"
fi
out=$(sg_sync "$dev" 2>&1)
rc=$?
now=$(pd_qom flushes)
if [ "$rc" = 0 ] && [ "$now" -gt "$after" ]; then
    tap_ok "sg_sync: SYNCHRONIZE CACHE(10) to the disk succeeds and reaches it ($after -> $now)"
else
    tap_fail "sg_sync: exit $rc ($out), flushes $after -> $now"
fi

# 14-16: out of JBOD and back
sum=$(dev_sha "$dev" 16 8)
at_finish "host_req qom-set pd$id state jbod >/dev/null"
host_req qom-set "pd$id" state unconfigured-good >/dev/null || bail "qom-set pd$id state refused"
if wait_until 30 eval '[ ! -e /sys/class/scsi_device/$hctl ]'; then
    tap_ok "PD $id made unconfigured-good: $dev removed"
else
    tap_fail "PD $id made unconfigured-good: $hctl still there after 30 s"
fi
host_req qom-set "pd$id" state jbod >/dev/null || bail "qom-set pd$id state jbod refused"
if wait_until 30 eval '[ -n "$(jbod_dev)" ]'; then
    tap_ok "PD $id made JBOD again: back at $hctl as $(jbod_dev)"
else
    tap_fail "PD $id made JBOD again: no disk at $hctl after 30 s"
fi
dev=$(jbod_dev)
if [ -n "$dev" ]; then
    expect_eq "its data is still there" "$sum" "$(dev_sha "$dev" 16 8)"
else
    tap_fail "its data is still there: no disk to read"
fi
# 17-19: pulled out under I/O, put back
[ -n "${LSI_PD_JBOD_DEVICE:-}" ] || bail "the runner gave no JBOD device to hot-plug"
at_finish "host_req hmp device_add '$LSI_PD_JBOD_DEVICE' >/dev/null"
dev=$(jbod_dev)
(while dd if="$dev" of=/dev/null bs=64k count=2048 iflag=direct status=none; do :; done) &
reader=$!
sleep 1
out=$(host_req hmp device_del "pd$id")
if [ -n "$out" ]; then
    tap_fail "device_del pd$id: $out"
elif wait_until 30 eval '[ ! -e /sys/class/scsi_device/$hctl ]'; then
    tap_ok "PD $id pulled out under I/O: $dev removed"
else
    tap_fail "PD $id pulled out under I/O: $hctl still there after 30 s"
fi
if wait_until 30 pid_gone "$reader"; then
    tap_ok "the reader of the pulled disk ended (no hang)"
else
    kill "$reader" 2>/dev/null
    tap_fail "the reader of the pulled disk still runs 30 s later"
fi
udevadm settle --timeout=20
out=$(host_req hmp device_add "$LSI_PD_JBOD_DEVICE")
if [ -n "$out" ]; then
    tap_fail "device_add of PD $id: $out"
elif wait_until 30 eval '[ -n "$(jbod_dev)" ]'; then
    dev=$(jbod_dev)
    expect_eq "PD $id put back: $dev at $hctl with its data" "$sum" "$(dev_sha "$dev" 16 8)"
else
    tap_fail "PD $id put back: no disk at $hctl after 30 s"
fi

# 20-22
if is_lsi3108; then
    expect_eq "lsi3108-ctl disks: $hctl is the JBOD" "JBOD $id" \
        "$(lsi3108-ctl disks | awk -v a="$hctl" '$1 == a { print $(NF - 1), $NF }')"
fi
gone=""
i=0
while [ "$i" -lt "$LSI_LDS" ]; do
    ld_dev "$i" >/dev/null 2>&1 || gone="$gone ld$i"
    i=$((i + 1))
done
expect_eq "the LDs are all still there" "" "${gone# }"

check_dmesg
finish
