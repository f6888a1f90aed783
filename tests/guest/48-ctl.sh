#!/bin/sh
# 48-ctl: lsi3108-ctl lds, bbu, events and --json (lsi3108's sysfs: the
# per-LD lsi3108_* attributes read LD_GET_INFO when read, the host's events
# attribute keeps the last events taken). Checked against the configuration
# (targets, addresses), the model (RAID 0, optimal; the scratch LD is
# configured write-back: current and default WB while the BBU protects,
# current WT and default WB when it goes bad; the BBU's events) and the
# firmware's event log (EVENT_GET_INFO through the ioctl).
. /tests/lib.sh
if ! is_lsi3108; then
    plan 1
    tap_skip "lsi3108-ctl" "lsi3108-ctl reads lsi3108's sysfs"
    finish
fi
plan 14
time_limit 300
need_driver
has_qom bbu || bail "model without a bbu control"
host=$(driver_hosts | head -n 1)
bbu0=$(qom_get bbu)
at_finish 'qom_set bbu "$bbu0" >/dev/null'
scratch=$(ld_index scratch)
st=$(ld_field "$scratch" target)

out=$(lsi3108-ctl lds 2>&1)
echo "$out"
want=""
i=0
while [ "$i" -lt "$LSI_LDS" ]; do
    t=$(ld_field "$i" target)
    want="$want$t $host:$(ld_ctl "$t")
"
    i=$((i + 1))
done
expect_eq "lds: every LD, at its address" "$(echo "$want" | grep . | sort -n | tr '\n' ' ')" \
    "$(echo "$out" | awk 'NR > 1 { print $1, $2 }' | sort -n | tr '\n' ' ')"
expect_eq "lds: RAID 0 and optimal, as the model reports" "$LSI_LDS" \
    "$(echo "$out" | awk 'NR > 1 && $5 == "raid0" && $6 == "optimal"' | wc -l)"

# The scratch LD (write-back) while the BBU protects, then with a bad BBU.
ld_cache() { lsi3108-ctl lds | awk -v t="$1" 'NR > 1 && $1 == t { print $7, $8 }'; }
[ "$bbu0" = good ] || { qom_set bbu good >/dev/null; sleep 3; }
expect_eq "lds: scratch LD cache current/default with a good BBU" "WB,NORA WB,NORA" "$(ld_cache "$st")"
expect_eq "bbu: protecting" "bbu: protecting" "$(lsi3108-ctl bbu)"
qom_set bbu bad >/dev/null || bail "qom-set bbu bad refused"
wait_until 20 sh -c "lsi3108-ctl bbu | grep -q not-protecting" || tap_diag "bbu attribute did not change within 20 s"
expect_eq "lds: scratch LD cache current/default with a bad BBU" "WT,NORA WB,NORA" "$(ld_cache "$st")"
expect_eq "bbu --json" "{\"host\": \"host$host\", \"bbu\": \"not-protecting\"}" "$(lsi3108-ctl --json bbu)"
qom_set bbu good >/dev/null

# events: the BBU's, with their sequence numbers, as the firmware's log has them.
wait_until 20 sh -c "lsi3108-ctl events | grep -q 'BBU enabled'" || tap_diag "no 'BBU enabled' event within 20 s"
sleep 3    # the LDs' cache policy events that follow
out=$(lsi3108-ctl events 2>&1)
echo "$out"
dis=$(echo "$out" | awk '/BBU disabled/ { print $1, $2 }' | tail -n 1)
en=$(echo "$out" | awk '/BBU enabled/ { print $1, $2 }' | tail -n 1)
expect_eq "events: 'BBU disabled' is a warning" warning "${dis#* }"
expect_eq "events: 'BBU enabled' is an info" info "${en#* }"
if [ "${en% *}" -gt "${dis% *}" ] 2>/dev/null; then
    tap_ok "events: sequence numbers in order (${dis% *} then ${en% *})"
else
    tap_fail "events: 'BBU disabled' ${dis% *}, 'BBU enabled' ${en% *}"
fi
newest=$(mrioctl "$host" evtinfo | tr ' ' '\n' | sed -n 's/^newest=//p')
expect_eq "events: the last one is the firmware log's newest (EVENT_GET_INFO)" "$newest" \
    "$(echo "$out" | tail -n 1 | cut -d' ' -f1)"
json=$(lsi3108-ctl --json events)
expect_eq "events --json: one object per event" "$(($(echo "$out" | wc -l) - 1))" \
    "$(echo "$json" | grep -o '"seq": ' | wc -l)"
expect_eq "lds --json: one object per LD" "$LSI_LDS" "$(lsi3108-ctl --json lds | grep -o '"target": ' | wc -l)"
expect_eq "info --json names the serial" "$(cat /sys/class/scsi_host/host$host/serial)" \
    "$(lsi3108-ctl --json info | sed -n 's/.*"serial": "\([^"]*\)".*/\1/p')"
check_dmesg
finish
