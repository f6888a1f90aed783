#!/bin/sh
# 47-events: firmware events are logged by class. Both drivers have the
# module parameter event_log_level (upstream megaraid_sas's name and default:
# 2, critical and above); the model's BBU changes make events of known
# classes (warning: "BBU disabled", "Battery Not Present"; info: "Battery
# Present", "BBU enabled"). At the default neither is logged; at 1 the
# warnings are and the infos not; at 0 both. lsi3108 refuses a level out of
# -2..4 (upstream takes any number) and names the class in its line.
. /tests/lib.sh
if is_lsi3108; then plan 12; else plan 8; fi
time_limit 300
need_driver
has_qom bbu || { tap_skip "event classes" "model without a bbu control"; finish; }

param=/sys/module/$LSI_DRIVER/parameters/event_log_level
bbu0=$(qom_get bbu)
at_finish 'echo 2 >"$param" 2>/dev/null; qom_set bbu "$bbu0" >/dev/null'

expect_eq "event_log_level defaults to 2 (critical)" 2 "$(cat "$param" 2>&1)"
if is_lsi3108; then
    if echo 7 >"$param" 2>/dev/null; then r=taken; else r=refused; fi
    expect_eq "event_log_level 7 refused, the level unchanged" "refused 2" "$r $(cat "$param")"
else
    echo 2 >"$param"
fi

logged() { dmesg_since_start | grep -c "$1"; }
seen() { [ "$(logged "$1")" -gt 0 ]; }
counted_above() { [ "$(lsi_counter event_count)" -gt "$1" ]; }

# Usage: bbu_to <state> — change the BBU and wait until the driver has taken
# the events (lsi3108: event_count; megaraid_sas has no counter: 5 s).
bbu_to() {
    local n0
    n0=$(lsi_counter event_count)
    qom_set bbu "$1" >/dev/null || bail "qom-set bbu $1 refused"
    if is_lsi3108; then
        wait_until 20 counted_above "$n0" ||
            tap_diag "no event counted within 20 s after bbu=$1"
        sleep 1
    else
        sleep 5
    fi
}

# Start from a good BBU without logging it.
[ "$bbu0" = good ] || bbu_to good

bbu_to bad
expect_eq "level 2: the warning 'BBU disabled' not logged" 0 "$(logged 'BBU disabled')"

echo 1 >"$param"
bbu_to absent
if wait_until 20 seen 'Battery Not Present'; then
    tap_ok "level 1: the warning 'Battery Not Present' logged: $(dmesg_since_start | grep 'Battery Not Present' | tail -n 1)"
else
    tap_fail "level 1: the warning 'Battery Not Present' not logged within 20 s"
fi
bbu_to good
expect_eq "level 1: the infos 'Battery Present', 'BBU enabled' not logged" "0 0" \
    "$(logged 'Battery Present') $(logged 'BBU enabled')"

echo 0 >"$param"
bbu_to bad
bbu_to good
if wait_until 20 seen 'BBU enabled'; then
    tap_ok "level 0: the info 'BBU enabled' logged"
else
    tap_fail "level 0: the info 'BBU enabled' not logged within 20 s"
fi
if is_lsi3108; then
    expect_eq "lsi3108 names the class: warning, info" "1 1" \
        "$(logged '(warning), code .*: Battery Not Present') $(logged '(info), code .*: BBU enabled')"
fi

# A rebuild the firmware runs by itself (the model's rebuild-ms: the PD
# reports its progress 19 times over 4 s, then is online) at level -1, with
# a PD outside any LD failing half-way: the failure (critical) is logged,
# and lsi3108 logs at most 2 progress events (its progress rate limit, 2 per
# 30 s) while it takes them all (event_count, and lsi3108-ctl events ends
# with "Rebuild complete"). megaraid_sas logs each (shown, not judged).
member=$(ld_field "$(ld_index scratch)" pds | cut -d: -f1)
spare=""
i=0
while [ "$i" -lt "${LSI_PDS:-0}" ]; do
    [ "$(pd_field "$i" state)" = unconfigured-good ] && spare=$(pd_field "$i" id)
    i=$((i + 1))
done
if [ -z "$member" ] || [ -z "$spare" ] || ! host_req qom-get "pd$member" rebuild-ms >/dev/null 2>&1; then
    tap_skip "a rebuild's progress events" "no member PD, no unconfigured PD, or a model without rebuild-ms"
    tap_skip "a failure during a rebuild logged" "as above"
    if is_lsi3108; then
        tap_skip "progress events rate-limited" "as above"
        tap_skip "lsi3108-ctl events: the rebuild" "as above"
    fi
else
    pd_is() { [ "$(host_req qom-get "pd$1" state)" = "$2" ]; }
    at_finish "host_req qom-set pd$member rebuild-ms 0 >/dev/null; host_req qom-set pd$member state online >/dev/null; host_req qom-set pd$spare state unconfigured-good >/dev/null"
    echo -1 >"$param"
    host_req qom-set "pd$member" state failed >/dev/null || bail "qom-set pd$member state failed refused"
    sleep 2
    n0=$(lsi_counter event_count)
    p0=$(logged 'Rebuild progress')
    host_req qom-set "pd$member" rebuild-ms 4000 >/dev/null
    host_req qom-set "pd$member" state rebuild >/dev/null || bail "qom-set pd$member state rebuild refused"
    sleep 2
    host_req qom-set "pd$spare" state failed >/dev/null || bail "qom-set pd$spare state failed refused"
    if wait_until 40 pd_is "$member" online; then
        tap_ok "PD $member rebuilt by the firmware (19 progress events over 4 s), online again"
    else
        tap_fail "PD $member not online within 40 s of its rebuild: $(host_req qom-get "pd$member" state)"
    fi
    sleep 3    # the driver takes the last events
    failed=$(printf '%02x' "$spare")
    if wait_until 10 seen "State change on PD $failed.* to FAILED"; then
        tap_ok "PD $spare failed during the rebuild: logged ($(dmesg_since_start | grep "State change on PD $failed.* to FAILED" | tail -n 1 | cut -c1-160))"
    else
        tap_fail "PD $spare failed during the rebuild: not logged"
    fi
    progress=$(($(logged 'Rebuild progress') - p0))
    if is_lsi3108; then
        taken=$(($(lsi_counter event_count) - n0))
        if [ "$progress" -ge 1 ] && [ "$progress" -le 2 ] && [ "$taken" -ge 22 ]; then
            tap_ok "level -1: $progress of 19 progress events logged (at most 2 per 30 s), $taken events taken"
        else
            tap_fail "level -1: $progress of 19 progress events logged (want 1-2), $taken events taken (want >= 22: start, 19 progress, done, state changes)"
        fi
        out=$(lsi3108-ctl events)
        echo "$out"
        expect_eq "lsi3108-ctl events: the rebuild's progress (class progress), then 'Rebuild complete' (info)" "progress info" \
            "$(echo "$out" | awk '/Rebuild progress/ { c = $2 } END { print c }') $(echo "$out" | awk '/Rebuild complete/ { print $2 }' | tail -n 1)"
    else
        tap_diag "megaraid_sas at level -1 logged $progress of the 19 progress events"
    fi
    host_req qom-set "pd$spare" state unconfigured-good >/dev/null
fi
echo 2 >"$param"
check_dmesg
finish
