#!/bin/sh
# 47-events: firmware events are logged by class. Both drivers have the
# module parameter event_log_level (upstream megaraid_sas's name and default:
# 2, critical and above); the model's BBU changes make events of known
# classes (warning: "BBU disabled", "Battery Not Present"; info: "Battery
# Present", "BBU enabled"). At the default neither is logged; at 1 the
# warnings are and the infos not; at 0 both. lsi3108 refuses a level out of
# -2..4 (upstream takes any number) and names the class in its line.
. /tests/lib.sh
if is_lsi3108; then plan 8; else plan 6; fi
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
echo 2 >"$param"
check_dmesg
finish
