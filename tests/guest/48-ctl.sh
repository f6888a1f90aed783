#!/bin/sh
# 48-ctl: lsi3108-ctl pds, lds, bbu, events and --json (lsi3108's sysfs: the
# per-LD lsi3108_* attributes read LD_GET_INFO / CFG_READ when read, the
# host's pds attribute PD_GET_LIST and PD_GET_INFO, the host's events
# attribute keeps the last events taken). Checked against the configuration
# (targets, addresses, RAID levels and member PDs, the PDs' properties:
# slot, state, interface, size, temperature, health, product, serial), the
# model (media errors set at run time; a member PD failed by QMP: failed in
# pds, the LD degraded in lds, then back; the scratch LD is
# configured write-back: current and default WB while the BBU protects,
# current WT and default WB when it goes bad; the BBU's events) and the
# firmware's event log (EVENT_GET_INFO through the ioctl).
. /tests/lib.sh
if ! is_lsi3108; then
    plan 1
    tap_skip "lsi3108-ctl" "lsi3108-ctl reads lsi3108's sysfs"
    finish
fi
plan 20
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
# RAID level and member PDs as the layout configures them ("-": no PDs, RAID 0)
want=""
i=0
while [ "$i" -lt "$LSI_LDS" ]; do
    want="$want$(ld_field "$i" target) $(ld_field "$i" raid) optimal $(ld_field "$i" pds | tr : ,)
"
    i=$((i + 1))
done
expect_eq "lds: RAID level, optimal, member PDs, as the layout configures them" \
    "$(echo "$want" | grep . | sort -n | tr '\n' ' ')" \
    "$(echo "$out" | awk 'NR > 1 { print $1, $5, $6, $10 }' | sort -n | tr '\n' ' ')"

# pds: every PD of the layout, with the values of its properties
# Usage: jfield <key> — a value of the one-line JSON object on stdin
jfield() { sed -n "s/.*\"$1\": \"\{0,1\}\([^\",}]*\).*/\1/p"; }
# Usage: pd_json <id> — that PD's object of lsi3108-ctl --json pds
pd_json() { lsi3108-ctl --json pds | sed 's/}, {/}\n{/g' | grep "\"id\": $1," ; }
if [ "${LSI_PDS:-0}" -gt 0 ]; then
    # The firmware keeps the last MiB, the rest is coerced to whole MiB; the
    # INQUIRY product field holds 16 characters.
    want=""
    got=""
    i=0
    while [ "$i" -lt "$LSI_PDS" ]; do
        id=$(pd_field $i id)
        sectors=$(( ($(pd_field $i mib) * 2048 - 2048) / 2048 * 2048 ))
        [ "$(pd_field $i health)" = failing ] && pf=1 || pf=0
        want="$want$id 252/$(pd_field $i slot) $(pd_field $i state) $(pd_field $i intf) $sectors $(pd_field $i temp) $pf $(pd_field $i product | cut -c1-16) $(pd_field $i serial)|"
        o=$(pd_json "$id")
        got="$got$(echo "$o" | jfield id) $(echo "$o" | jfield enclosure)/$(echo "$o" | jfield slot) $(echo "$o" | jfield state) $(echo "$o" | jfield interface) $(echo "$o" | jfield sectors) $(echo "$o" | jfield temperature) $(echo "$o" | jfield predictive_failures) $(echo "$o" | jfield product) $(echo "$o" | jfield serial)|"
        i=$((i + 1))
    done
    lsi3108-ctl pds
    expect_eq "pds --json: every PD's slot, state, interface, size, temperature, health, product, serial" "$want" "$got"
    expect_eq "pds: a header and one line per PD, predictive failure marked (!)" \
        "$((LSI_PDS + 1)) 1" \
        "$(lsi3108-ctl pds | wc -l) $(lsi3108-ctl pds | awk 'NR > 1 && $8 ~ /!$/' | wc -l)"
    sas=$(pd_field 0 id)
    at_finish "host_req qom-set pd$sas media-errors 0 >/dev/null"
    host_req qom-set "pd$sas" media-errors 7 >/dev/null || bail "qom-set pd$sas media-errors refused"
    expect_eq "pds: media errors of PD $sas as the model counts them now" "7" \
        "$(pd_json "$sas" | jfield media_errors)"
    host_req qom-set "pd$sas" media-errors 0 >/dev/null
    # a member of the scratch LD fails: pds and lds say so, and back
    member=$(ld_field "$scratch" pds | cut -d: -f1)
    at_finish "host_req qom-set pd$member state online >/dev/null"
    host_req qom-set "pd$member" state failed >/dev/null || bail "qom-set pd$member state failed refused"
    expect_eq "member PD $member failed: pds state, scratch LD degraded in lds" "failed degraded" \
        "$(pd_json "$member" | jfield state) $(lsi3108-ctl lds | awk -v t="$st" 'NR > 1 && $1 == t { print $6 }')"
    host_req qom-set "pd$member" state rebuild >/dev/null
    host_req qom-set "pd$member" state online >/dev/null
    expect_eq "member PD $member online again: scratch LD optimal, lds --json lists its PDs" \
        "online optimal [$(ld_field "$scratch" pds | sed 's/:/, /g')]" \
        "$(pd_json "$member" | jfield state) $(lsi3108-ctl lds | awk -v t="$st" 'NR > 1 && $1 == t { print $6 }') $(lsi3108-ctl --json lds | sed 's/}, {/}\n{/g' | grep "\"target\": $st," | sed -n 's/.*"pds": \(\[[^]]*\]\).*/\1/p')"
else
    for n in 1 2 3 4 5; do tap_skip "pds $n" "the bench has no PDs"; done
fi

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

# events after a reload: the driver reads the firmware's log (EVENT_GET), so
# the events shown are the log's newest (at most 16), those logged before the
# driver loaded (the BBU's above, up to event $newest) among them.
out=$(unload_driver) || bail "rmmod lsi3108: $out"
out=$(load_driver) || bail "reload: $out"
host=$(driver_hosts | head -n 1)
wait_until 20 sh -c "[ -s /sys/class/scsi_host/host$host/events ]" || tap_diag "host$host: no events within 20 s of the reload"
shown=$(lsi3108-ctl events | awk 'NR > 1 { print $1 }' | tr '\n' ' ')
oldest=$(mrioctl "$host" evtinfo | tr ' ' '\n' | sed -n 's/^oldest=//p')
logged=$(mrioctl "$host" events "$oldest" 0xfe00ffff | sed -n 's/^event seq=\([0-9]*\) .*/\1/p' |
    tail -n 16 | tr '\n' ' ')
expect_eq "events after a reload: the firmware log's newest, from before the load ($newest) on" \
    "$logged yes" "$shown $(echo " $shown" | grep -q " $newest " && echo yes || echo no)"
check_dmesg
finish
