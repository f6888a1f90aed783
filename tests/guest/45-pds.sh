#!/bin/sh
# 45-pds: the physical disks behind the controller, as smartctl sees them
# through the driver's megaraid ioctl node (MFI pass-through: PD_GET_LIST,
# then MFI_CMD_PD_SCSI_IO to each PD). The bench's PDs (lsi.pd<i> =
# id,interface,slot,serial,product,temperature,realloc,poh,health,state,MiB) are
# model properties; smartctl must report exactly those:
#   - --scan-open finds every PD as "-d megaraid,<id>";
#   - -i -H -A on a SAS PD: vendor/product/serial, health OK, temperature,
#     grown defect list (= reallocated sectors), power-on time;
#   - -i -H -A on a SATA PD (the SAT layer: ATA IDENTIFY and SMART data):
#     model/serial, PASSED, attributes 5, 9 and 194;
#   - a SATA PD whose health is failing, and a SAS PD set failing at run time
#     (qom-set health), report FAILED;
#   - a device id no PD has (MFI status 0x0c): smartctl cannot open it;
#   - the DCMDs storcli-class tools read, through the same ioctl
#     (tests/tools/mfi-pd): PD list and list query, PD info per PD,
#     CTRL_GET_INFO's PD counts, the config read (the scratch LD's array);
#     a PD_SCSI_IO to a missing device id: MFI status 12;
#   - 3000 seeded random PD_SCSI_IO frames (CDBs, lengths, directions,
#     sense buffers): every one answered, the firmware still answers;
#   - a member PD of the scratch LD (RAID 1) failed by QMP: the firmware's
#     PD and LD state-change events reach the driver's log, the LD is
#     degraded and still serves I/O; back online (through rebuild): optimal.
# Both drivers: megaraid_sas and lsi3108 register the same ioctl node (the
# scan, test 1, finds megaraid_sas hosts only).
. /tests/lib.sh
[ "${LSI_PDS:-0}" -gt 0 ] || skip_test "physical disks" "the bench has no PDs"
plan 31
time_limit 300
need_driver
smartctl() { /usr/sbin/smartctl "$@"; }

# The first PD index with interface $1 and health $2.
pd_pick() {
    local i=0
    while [ "$i" -lt "$LSI_PDS" ]; do
        [ "$(pd_field $i intf)" = "$1" ] && [ "$(pd_field $i health)" = "$2" ] && { echo $i; return 0; }
        i=$((i + 1))
    done
    return 1
}

# Usage: field <label> — the value after "<label>:" in smartctl's output on stdin
field() { sed -n "s/^$1: *//p" | sed 's/ *$//' | head -n 1; }
log_has() { dmesg | grep -qF "$1"; }
# Usage: attr_raw <id> — raw value of SMART attribute <id> (smartctl -A table)
attr_raw() { awk -v id="$1" '$1 == id { print $NF; exit }'; }

idx=$(ld_index scratch)
dev=$(ld_dev "$idx") || bail "scratch LD has no disk"
vd=$(printf '%02u/%u' "$(ld_field "$idx" target)" "$(ld_field "$idx" target)")
sas=$(pd_pick sas ok) || bail "the bench has no healthy SAS PD"
sata=$(pd_pick sata ok) || bail "the bench has no healthy SATA PD"
sata_bad=$(pd_pick sata failing) || bail "the bench has no failing SATA PD"

# 1: the scan lists every PD by device id. smartctl scans for MegaRAID PDs
# only on hosts whose proc_name starts with "megaraid_sas" (smartmontools
# os_linux.cpp, linux_smart_interface::get_dev_megasas); lsi3108's hosts are
# named lsi3108, so its PDs are reached with -d megaraid,N on one of its
# disks (below), not found by the scan.
scan=$(smartctl --scan-open 2>&1)
echo "$scan"
missing=""
i=0
while [ "$i" -lt "$LSI_PDS" ]; do
    # SATA PDs come back as sat+megaraid,<id> (smartctl found the SAT layer)
    echo "$scan" | grep -qE -- "-d (sat\+)?megaraid,$(pd_field $i id) " || missing="$missing $(pd_field $i id)"
    i=$((i + 1))
done
if is_lsi3108; then
    tap_skip "smartctl --scan-open lists every PD" \
        "smartctl scans only hosts named megaraid_sas* (proc_name); lsi3108's PDs: -d megaraid,N"
else
    expect_eq "smartctl --scan-open lists every PD (megaraid,<id>)" "" "$missing"
fi

# 2-9: the firmware's PD answers (DCMDs through the ioctl)
host=$(driver_hosts | head -n 1)
mfi() { /usr/bin/mfi-pd "$host" "$@" 2>&1; }
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
all_ids=""
i=0
while [ "$i" -lt "$LSI_PDS" ]; do
    all_ids="$all_ids${all_ids:+,}$(pd_field $i id)"
    i=$((i + 1))
done
out=$(mfi pdlist)
expect_eq "PD_GET_LIST: status and every PD" "0 $all_ids" "$(kv "$out" status) $(kv "$out" ids)"
# exposed to the host: the JBODs, if the controller exposes them (expose-jbod)
jbods=""
if [ "$(qom_get expose-jbod)" = true ]; then
    i=0
    while [ "$i" -lt "$LSI_PDS" ]; do
        [ "$(pd_field $i state)" = jbod ] && jbods="$jbods${jbods:+,}$(pd_field $i id)"
        i=$((i + 1))
    done
fi
out=$(mfi pdlist 5)
expect_eq "PD_LIST_QUERY exposed-to-host: the exposed JBODs (${jbods:-none})" \
    "0 $(echo "$jbods" | tr ',' '\n' | grep -c .) $jbods" \
    "$(kv "$out" status) $(kv "$out" count) $(kv "$out" ids)"
pd_state_code() {
    case "$1" in
        online) echo 0x18 ;; unconfigured-good) echo 0x0 ;; failed) echo 0x11 ;;
        rebuild) echo 0x14 ;; hotspare) echo 0x2 ;; jbod) echo 0x40 ;;
    esac
}
for i in "$sas" "$sata" "$sata_bad"; do
    id=$(pd_field "$i" id)
    out=$(mfi pdinfo "$id")
    [ "$(pd_field "$i" intf)" = sas ] && intf=2 || intf=3
    [ "$(pd_field "$i" health)" = failing ] && pf=1 || pf=0
    expect_eq "PD_GET_INFO $id: status state interface enclosure/slot temperature pred-fail" \
        "0 $(pd_state_code "$(pd_field "$i" state)") $intf 252/$(pd_field "$i" slot) $(pd_field "$i" temp) $pf" \
        "$(kv "$out" status) $(kv "$out" state) $(kv "$out" intf) $(kv "$out" encl)/$(kv "$out" slot) $(kv "$out" temp) $(kv "$out" pred_fail)"
done
out=$(mfi ctrl)
expect_eq "CTRL_GET_INFO: PDs present, failing; LDs degraded" "$LSI_PDS 1 0" \
    "$(kv "$out" pd_present) $(kv "$out" pd_pred_fail) $(kv "$out" ld_degraded)"
out=$(mfi inquiry 77)
expect_eq "PD_SCSI_IO to device id 77 (none): MFI status 12 (DEVICE_NOT_FOUND)" 12 "$(kv "$out" status)"
# the scratch LD's members, as the layout names them (online PDs), and the hot spares
members=""
spares=""
i=0
while [ "$i" -lt "$LSI_PDS" ]; do
    [ "$(pd_field $i state)" = online ] && members="$members${members:+,}$(pd_field $i id):0x18"
    [ "$(pd_field $i state)" = hotspare ] && spares="$spares${spares:+,}$(pd_field $i id)"
    i=$((i + 1))
done
ldt=$(ld_field "$idx" target)
out=$(mfi cfg)
echo "$out"
expect_eq "CFG_READ: the scratch LD's array and RAID 1 config (optimal), the hot spares" \
    "0 $members raid1:3:1 $spares" \
    "$(kv "$out" status) $(kv "$out" array0) $(kv "$out" "ld$ldt") $(kv "$out" spares)"

# 10: the pass-through under random frames (the model must stay up)
out=$(mfi fuzz 45 3000)
echo "$out"
after=$(mfi inquiry "$(pd_field "$sas" id)")
expect_eq "3000 random PD_SCSI_IO frames all answered; then INQUIRY to PD $(pd_field "$sas" id) still works" \
    "3000 0 $(pd_field "$sas" product)" "$(kv "$out" ran) $(kv "$after" status) $(kv "$after" product)"

# 11-15: a SAS PD
id=$(pd_field "$sas" id)
out=$(smartctl -i -H -A -d "megaraid,$id" "$dev" 2>&1)
echo "$out"
expect_eq "SAS PD $id: product and serial" \
    "$(pd_field "$sas" product)/$(pd_field "$sas" serial)" \
    "$(echo "$out" | field Product)/$(echo "$out" | field 'Serial number')"
expect_eq "SAS PD $id: health" "OK" "$(echo "$out" | field 'SMART Health Status')"
expect_eq "SAS PD $id: temperature" "$(pd_field "$sas" temp) C" "$(echo "$out" | field 'Current Drive Temperature')"
expect_eq "SAS PD $id: grown defect list (reallocated sectors)" "$(pd_field "$sas" realloc)" \
    "$(echo "$out" | field 'Elements in grown defect list')"
expect_eq "SAS PD $id: power-on time" "$(pd_field "$sas" poh):00" \
    "$(echo "$out" | sed -n 's/.*Accumulated power on time, hours:minutes \([0-9:]*\).*/\1/p')"

# 16-20: a SATA PD behind the SAT layer
id=$(pd_field "$sata" id)
out=$(smartctl -i -H -A -d "megaraid,$id" "$dev" 2>&1)
echo "$out"
expect_eq "SATA PD $id: model and serial" \
    "$(pd_field "$sata" product)/$(pd_field "$sata" serial)" \
    "$(echo "$out" | field 'Device Model')/$(echo "$out" | field 'Serial Number')"
expect_eq "SATA PD $id: overall health" "PASSED" \
    "$(echo "$out" | sed -n 's/^SMART overall-health self-assessment test result: //p')"
expect_eq "SATA PD $id: Reallocated_Sector_Ct raw" "$(pd_field "$sata" realloc)" "$(echo "$out" | attr_raw 5)"
expect_eq "SATA PD $id: Power_On_Hours raw" "$(pd_field "$sata" poh)" "$(echo "$out" | attr_raw 9)"
expect_eq "SATA PD $id: Temperature_Celsius raw" "$(pd_field "$sata" temp)" "$(echo "$out" | attr_raw 194)"

# 21: a failing SATA PD
id=$(pd_field "$sata_bad" id)
out=$(smartctl -H -A -d "megaraid,$id" "$dev" 2>&1)
echo "$out"
expect_eq "failing SATA PD $id: overall health" "FAILED!" \
    "$(echo "$out" | sed -n 's/^SMART overall-health self-assessment test result: //p')"

# 22-23: a SAS PD set failing at run time, then healthy again
id=$(pd_field "$sas" id)
at_finish "host_req qom-set pd$id health ok >/dev/null"
host_req qom-set "pd$id" health failing >/dev/null || bail "qom-set pd$id health failing refused"
out=$(smartctl -H -d "megaraid,$id" "$dev" 2>&1)
rc=$?
echo "$out"
expect_eq "SAS PD $id set failing: health, exit status bit 3" \
    "FAILURE PREDICTION THRESHOLD EXCEEDED/8" \
    "$(echo "$out" | field 'SMART Health Status' | sed 's/ \[.*//')/$((rc & 8))"
host_req qom-set "pd$id" health ok >/dev/null
expect_eq "SAS PD $id healthy again" "OK" \
    "$(smartctl -H -d "megaraid,$id" "$dev" 2>&1 | field 'SMART Health Status')"

# 24-25: everything smartctl -a asks a SAS and a SATA PD is answered (exit
# status bits 1 and 2: open failed, a SMART or other command failed)
for i in "$sas" "$sata"; do
    id=$(pd_field "$i" id)
    smartctl -a -d "megaraid,$id" "$dev"
    rc=$?
    expect_eq "smartctl -a on $(pd_field "$i" intf) PD $id: no command failed (exit status $rc)" 0 $((rc & 6))
done

# 26: no such device id: the firmware's DEVICE_NOT_FOUND fails smartctl's
# first command (its INQUIRY), which is all smartctl says about it
out=$(smartctl -i -d megaraid,77 "$dev" 2>&1)
if echo "$out" | grep -q "megaraid_disk_77\] failed: INQUIRY failed"; then
    tap_ok "megaraid,77 (no such PD): smartctl cannot open it"
else
    tap_fail "megaraid,77 (no such PD): $(echo "$out" | tail -n 3 | tr '\n' '|')"
fi

# 27-30: a member of the scratch LD fails and comes back through a rebuild
member=""
i=0
while [ "$i" -lt "$LSI_PDS" ]; do
    [ "$(pd_field $i state)" = online ] && { member=$(pd_field $i id); slot=$(pd_field $i slot); break; }
    i=$((i + 1))
done
[ -n "$member" ] || bail "the bench has no online PD"
level=/sys/module/$LSI_DRIVER/parameters/event_log_level
old_level=$(cat "$level" 2>/dev/null)
[ -n "$old_level" ] && echo 0 >"$level"     # log INFO and above (LD state changes)
at_finish "[ -n '$old_level' ] && echo '$old_level' >'$level'"
at_finish "host_req qom-set pd$member state online >/dev/null"
host_req qom-set "pd$member" state failed >/dev/null || bail "qom-set pd$member state failed refused"
pd_event="State change on PD $(printf %02x "$member")(e0xfc/s$slot) from ONLINE(18) to FAILED(11)"
ld_event="State change on VD $vd from OPTIMAL(3) to DEGRADED(2)"
wait_until 20 log_has "$ld_event"
log=$(dmesg_since_start)
if echo "$log" | grep -qF "$pd_event" && echo "$log" | grep -qF "$ld_event"; then
    tap_ok "PD $member failed: PD and LD state-change events in the driver's log"
else
    tap_fail "PD $member failed: events missing: $(echo "$log" | grep -i 'state change' | tr '\n' '|')"
fi
ctrl=$(mfi ctrl)
cfg=$(mfi cfg)
expect_eq "scratch LD degraded: model x-state, CTRL_GET_INFO degraded/failed, CFG_READ member and LD state" \
    "degraded 1/1 $member:0x11 raid1:2:1" \
    "$(qom_get x-state "/machine/peripheral/ld$idx") $(kv "$ctrl" ld_degraded)/$(kv "$ctrl" pd_failed) $(kv "$cfg" array0 | tr ',' '\n' | grep "^$member:") $(kv "$cfg" "ld$ldt")"
if dd if="$dev" of=/dev/null bs=1M count=16 iflag=direct status=none; then
    tap_ok "degraded scratch LD still reads"
else
    tap_fail "degraded scratch LD read failed"
fi
host_req qom-set "pd$member" state rebuild >/dev/null
host_req qom-set "pd$member" state online >/dev/null
back="State change on VD $vd from DEGRADED(2) to OPTIMAL(3)"
wait_until 20 log_has "$back"
if dmesg_since_start | grep -qF "$back" &&
    [ "$(qom_get x-state "/machine/peripheral/ld$idx")" = optimal ]; then
    tap_ok "PD $member rebuilt and online: LD optimal again, event logged"
else
    tap_fail "PD $member online: LD $(qom_get x-state "/machine/peripheral/ld$idx"), no '$back' in the log"
fi

# 31
check_dmesg
finish
