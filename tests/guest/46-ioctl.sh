#!/bin/sh
# 46-ioctl: the megaraid management ioctl (the megaraid_sas_ioctl character
# device smartctl and storcli-class tools use), through tests/tools/mrioctl.c.
# With both drivers: the DCMD answers (CTRL_GET_INFO, LD_GET_LIST,
# BBU_GET_STATUS, EVENT_GET_INFO, EVENT_GET) match the model's configuration and, for
# lsi3108, its sysfs; the 32-bit (compat) entry answers the same; a process
# without root cannot open the device. Upstream megaraid_sas is the oracle:
# the same frames must give the same data through it.
# With lsi3108 only (upstream would hang or re-initialise the firmware on
# some of them): every malformed packet gets EINVAL, a descriptor used after
# dropping root gets EPERM, and 10,000 random and mutated packets from a
# seeded generator leave the controller LIVE, its I/O working and the kernel
# log clean; a frame the firmware never answers (the model's x-hold-dcmd)
# ends after ioctl_timeout with ETIMEDOUT and a controller reset.
. /tests/lib.sh
if is_lsi3108; then
    plan 55
else
    plan 26
fi
time_limit 1200
need_driver

host=$(driver_hosts | head -n 1)
[ -n "$host" ] || bail "no $LSI_DRIVER host"
dev=$(ld_dev 0) || bail "ld0 has no disk"

# Usage: val <key> — the value of key=... in $out (the first word after '=').
val() { echo "$out" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
# Usage: line <key> — the rest of the line after key= (strings with spaces).
line() { echo "$out" | sed -n "s/^$1=//p" | head -n 1; }

# ---- CTRL_GET_INFO ----
out=$(mrioctl "$host" info 2>&1)
echo "$out"
expect_eq "CTRL_GET_INFO: ioctl ran, cmd_status OK" "0 0x00" "$(val errno) $(val cmd_status)"
expect_eq "CTRL_GET_INFO: PCI ids of a 3108" "1000:005d" "$(val pci)"
expect_eq "CTRL_GET_INFO: serial as the model's property" "$(qom_get serial)" "$(line serial)"
expect_eq "CTRL_GET_INFO: LDs present" "$LSI_LDS" "$(val ld_present)"
if is_lsi3108; then
    expect_eq "CTRL_GET_INFO: product as sysfs" "$(host_attr product)" "$(line product)"
    expect_eq "CTRL_GET_INFO: package as sysfs" "$(host_attr fw_package)" "$(line package)"
fi
info=$out

# ---- the compat (32-bit) entry: the same answer ----
out=$(mrioctl --compat "$host" info 2>&1)
expect_eq "compat ioctl: CTRL_GET_INFO answers the same" "$info" "$out"

# ---- LD_GET_LIST ----
out=$(mrioctl "$host" lds 2>&1)
echo "$out"
expect_eq "LD_GET_LIST: cmd_status OK, count" "0x00 $LSI_LDS" "$(val cmd_status) $(val ld_count)"
want=""
i=0
while [ "$i" -lt "$LSI_LDS" ]; do
    if [ "${LSI_BS:-512}" = 512 ]; then
        want="$want$(ld_field "$i" target) $(ld_field "$i" blocks)
"
    else
        want="$want$(ld_field "$i" target)
"
    fi
    i=$((i + 1))
done
if [ "${LSI_BS:-512}" = 512 ]; then
    got=$(echo "$out" | sed -n 's/^ld target=\([0-9]*\) state=[^ ]* sectors=\([0-9]*\)/\1 \2/p')
else
    got=$(echo "$out" | sed -n 's/^ld target=\([0-9]*\) .*/\1/p')
fi
expect_eq "LD_GET_LIST: targets (and sizes) as configured" \
    "$(echo "$want" | grep . | sort -n | tr '\n' ' ')" "$(echo "$got" | sort -n | tr '\n' ' ')"
expect_eq "LD_GET_LIST: every LD optimal (state 0x03)" "$LSI_LDS" \
    "$(echo "$out" | grep -c 'state=0x03')"
out=$(mrioctl --compat "$host" lds 2>&1)
expect_eq "compat ioctl: LD_GET_LIST answers the same" "$got" \
    "$(echo "$out" | sed -n 's/^ld target=\([0-9]*\) state=[^ ]* sectors=\([0-9]*\)/\1 \2/p' |
       if [ "${LSI_BS:-512}" = 512 ]; then cat; else cut -d' ' -f1; fi)"

# ---- SCSI pass-through to a PD (as smartctl -d megaraid,N), with sense ----
# The frame runs (errno 0) whether or not the model has PDs: status OK with
# INQUIRY data, or INVALID_CMD / DEVICE_NOT_FOUND; a sense buffer the
# firmware did not write comes back zeroed (the tool filled it with 0xa5).
for mode in "" --compat; do
    out=$(mrioctl $mode "$host" pdinq 0 2>&1)
    echo "$out"
    ok=no
    case "$(val cmd_status)" in
        0x00) r="INQUIRY data: $(line vendor)"
              [ -n "$(line vendor)" ] && ok=yes ;;
        0x01 | 0x0c) r="no PD (cmd_status $(val cmd_status)), sense $(val sense0) $(val sense31)"
              [ "$(val sense0) $(val sense31)" = "0x00 0x00" ] && ok=yes ;;
        *) r="cmd_status $(val cmd_status)" ;;
    esac
    expect_eq "PD_SCSI_IO INQUIRY${mode:+ ($mode)}: the frame runs, no stale sense ($r)" "0 yes" "$(val errno) $ok"
done

# ---- BBU_GET_STATUS, and EVENT_GET_INFO around a BBU change ----
if has_qom bbu; then
    bbu=$(qom_get bbu)
    out=$(mrioctl "$host" bbu 2>&1)
    echo "$out"
    case "$bbu" in
        absent) expect_eq "BBU_GET_STATUS (bbu absent): NO_HW_PRESENT" 0x22 "$(val cmd_status)" ;;
        *) expect_eq "BBU_GET_STATUS (bbu $bbu): OK, a battery type" "0x00 yes" \
               "$(val cmd_status) $([ "$(val bbu_type)" != 0 ] && echo yes || echo no)" ;;
    esac
    out=$(mrioctl "$host" evtinfo 2>&1)
    echo "$out"
    n1=$(val newest)
    qom_set bbu absent >/dev/null || tap_diag "qom-set bbu absent refused"
    out=$(mrioctl "$host" bbu 2>&1)
    expect_eq "BBU_GET_STATUS after the module is removed: NO_HW_PRESENT" 0x22 "$(val cmd_status)"
    out=$(mrioctl "$host" evtinfo 2>&1)
    echo "$out"
    n2=$(val newest)
    # GET_AEN: refused without fasync; with it, SIGIO for the next warning.
    out=$(mrioctl "$host" aen-nofasync $((n2 + 1)) 0x0100ffff 2>&1)
    expect_eq "GET_AEN without fasync: EINVAL" 22 "$(echo "$out" | sed -n 's/^aen errno=//p')"
    mrioctl "$host" aen $((n2 + 1)) 0x0100ffff 30 >/tmp/aen.out 2>&1 &
    pid=$!
    sleep 3
    qom_set bbu bad >/dev/null || tap_diag "qom-set bbu bad refused"
    wait_until 40 pid_gone "$pid"
    expect_eq "GET_AEN (warnings, all locales): ioctl ok, SIGIO for the BBU's warning" "0 1" \
        "$(sed -n 's/^aen errno=//p' /tmp/aen.out) $(sed -n 's/^sigio=//p' /tmp/aen.out)"
    qom_set bbu "$bbu" >/dev/null || tap_diag "qom-set bbu $bbu refused"
    if [ -n "$n1" ] && [ -n "$n2" ] && [ "$n2" -gt "$n1" ]; then
        tap_ok "EVENT_GET_INFO: the newest event moved on ($n1 -> $n2) with the BBU change"
    else
        tap_fail "EVENT_GET_INFO: newest event '$n1' then '$n2' across a BBU change"
    fi
else
    tap_skip "BBU_GET_STATUS" "model without a bbu control"
    tap_skip "BBU_GET_STATUS after the module is removed" "model without a bbu control"
    tap_skip "EVENT_GET_INFO across a BBU change" "model without a bbu control"
    tap_skip "GET_AEN without fasync" "model without a bbu control"
    tap_skip "GET_AEN" "model without a bbu control"
fi

# ---- CTRL_EVENT_GET: the firmware's event log, read as a log reader does ----
# (after the BBU changes above, the log holds their events). Every class and
# locale from the oldest: each logged event once, in order, then NOT_FOUND;
# warning and above: exactly those of the full read; past the newest: none.
out=$(mrioctl "$host" evtinfo 2>&1)
oldest=$(val oldest)
newest=$(val newest)
out=$(mrioctl "$host" events "$oldest" 0xfe00ffff 2>&1)
echo "$out"
all=$out
expect_eq "EVENT_GET from the oldest event ($oldest, newest $newest): each logged event in order, then NOT_FOUND" \
    "$(seq "$oldest" "$newest" | tr '\n' ' ')0x23" \
    "$(echo "$all" | sed -n 's/^event seq=\([0-9]*\) .*/\1/p' | tr '\n' ' ')$(val last_status)"
# (the BBU's events are of several classes: the filter must leave some out)
out=$(mrioctl "$host" events "$oldest" 0x0100ffff 2>&1)
warn=$(echo "$all" | awk '/^event / { split($4, c, "="); if (c[2] >= 1) print $2 }' | tr '\n' ' ')
expect_eq "EVENT_GET, class warning and above: the warnings of the full read ($(echo "$warn" | wc -w) of $(echo "$all" | grep -c '^event '))" \
    "$warn yes" \
    "$(echo "$out" | awk '/^event / { print $2 }' | tr '\n' ' ') $([ "$(echo "$warn" | wc -w)" -lt "$(echo "$all" | grep -c '^event ')" ] && echo yes || echo no)"
out=$(mrioctl "$host" events $((newest + 1)) 0xfe00ffff 2>&1)
expect_eq "EVENT_GET past the newest event: none, NOT_FOUND" "0 0x23" "$(val events) $(val last_status)"

# ---- who may use it ----
out=$(mrioctl --open-as-nobody "$host" info 2>&1)
expect_eq "without root: open refused (EACCES, as megaraid_sas)" 13 "$(echo "$out" | sed -n 's/^open errno=\([0-9]*\).*/\1/p')"

# ---- malformed packets every driver refuses ----
out=$(mrioctl "$host" bad sge-count 2>&1)
expect_eq "sge_count 17: EINVAL" 22 "$(val errno)"
out=$(mrioctl "$host" bad host 2>&1)
expect_eq "a host_no that is not a controller of the driver: ENODEV" 19 "$(val errno)"
out=$(mrioctl "$host" bad sense-off 2>&1)
expect_eq "sense_off outside the frame: EINVAL" 22 "$(val errno)"

if is_lsi3108; then
    out=$(mrioctl --as-nobody "$host" info 2>&1)
    expect_eq "descriptor used after dropping root: EPERM" 1 "$(val errno)"
    for c in sge-len sense-len sgl-off sgl-over-opcode sense-over-opcode cmd init shutdown event-wait; do
        out=$(mrioctl "$host" bad "$c" 2>&1)
        expect_eq "malformed packet '$c': EINVAL" 22 "$(val errno)"
    done
    expect_eq "refused packets logged as such" yes \
        "$(dmesg_since_start | grep -q 'ioctl frame refused' && echo yes || echo no)"
else
    out=$(mrioctl --as-nobody "$host" info 2>&1)
    tap_diag "megaraid_sas, descriptor used after dropping root: errno $(val errno) (it checks at open only)"
    out=$(mrioctl "$host" bad cmd 2>&1)
    tap_diag "megaraid_sas, MFI command 0x42: errno $(val errno)"
fi

# ---- still alive ----
out=$(mrioctl "$host" info 2>&1)
expect_eq "CTRL_GET_INFO after the refused packets" "$info" "$out"
if ctrl_up; then tap_ok "controller up ($(ctrl_states))"; else tap_fail "controller not up: $(ctrl_states)"; fi

# ---- a controller reset while a frame is with the firmware (lsi3108) ----
# The model holds a CTRL_CACHE_FLUSH for x-flush-delay-ms; the reset must end
# the ioctl at once with ENODEV, not after the delay or the ioctl timeout.
if is_lsi3108; then
    if has_qom x-flush-delay-ms; then
        qom_set x-flush-delay-ms 40000 >/dev/null
        mrioctl "$host" dcmd 0x01101000 0 >/tmp/held.out 2>&1 &
        pid=$!
        sleep 3
        t0=$(now_ms)
        echo adapter >"/sys/class/scsi_host/host$host/host_reset" 2>/dev/null ||
            tap_diag "host_reset write failed"
        wait_until 30 pid_gone "$pid"
        took=$(ms_since "$t0")
        qom_set x-flush-delay-ms 0 >/dev/null
        out=$(cat /tmp/held.out)
        echo "$out"
        if [ "$(val errno)" = 19 ] && [ "$took" -lt 30000 ]; then
            tap_ok "a reset in the middle ends the ioctl with ENODEV ($took ms after the reset began)"
        else
            tap_fail "a reset in the middle: errno '$(val errno)' after $took ms (want 19, before the 40 s hold)"
        fi
        wait_until 60 ctrl_up
        out=$(mrioctl "$host" info 2>&1)
        expect_eq "after that reset: CTRL_GET_INFO answers as before" "$info" "$out"
    else
        tap_skip "a reset in the middle ends the ioctl" "model without x-flush-delay-ms"
        tap_skip "after that reset" "model without x-flush-delay-ms"
    fi
fi

# ---- a frame the firmware never answers: the ioctl timeout (lsi3108) ----
# The model keeps every PD_GET_INFO (x-hold-dcmd); with ioctl_timeout=10 the
# driver resets the controller after 10 s, which takes the slot back, and
# the ioctl ends with ETIMEDOUT (megaraid_sas waits for such a frame without
# a limit).
if is_lsi3108; then
    param=/sys/module/lsi3108/parameters/ioctl_timeout
    if echo 5 >"$param" 2>/dev/null; then
        tap_fail "ioctl_timeout=5 accepted (the range is 10..3600): now $(cat "$param")"
    else
        expect_eq "ioctl_timeout=5 refused (10..3600): the default stays" 180 "$(cat "$param")"
    fi
    if has_qom x-hold-dcmd; then
        resets=$(lsi_counter reset_count)
        held=$(qom_get x-held-dcmd-count)
        at_finish "echo 180 >$param; qom_set x-hold-dcmd 0 >/dev/null"
        echo 10 >"$param"
        qom_set x-hold-dcmd $((0x02020000)) >/dev/null
        mrioctl "$host" dcmd 0x02020000 512 >/tmp/held.out 2>&1 &
        pid=$!
        wait_until 10 eval '[ "$(qom_get x-held-dcmd-count)" -gt "$held" ]' ||
            tap_diag "the model did not report the frame held"
        t0=$(now_ms)
        # the reset's own bring-up must find the firmware answering again
        qom_set x-hold-dcmd 0 >/dev/null
        wait_until 60 pid_gone "$pid"
        took=$(ms_since "$t0")
        echo 180 >"$param"
        out=$(cat /tmp/held.out)
        echo "$out"
        if [ "$(val errno)" = 110 ] && [ "$took" -ge 5000 ] && [ "$took" -lt 30000 ]; then
            tap_ok "a frame never answered: ETIMEDOUT after ioctl_timeout=10 s ($took ms after the firmware kept it)"
        else
            tap_fail "a frame never answered: errno '$(val errno)' after $took ms (want 110 after about 10 s)"
        fi
        wait_until 60 ctrl_up
        if [ "$(lsi_counter reset_count)" -gt "$resets" ] &&
            dmesg | grep -q "ioctl frame (MFI command 0x05) not answered in 10 s: resetting the controller"; then
            tap_ok "the timeout reset the controller (reset_count $resets -> $(lsi_counter reset_count)) and the log says why"
        else
            tap_fail "after the timeout: reset_count $resets -> $(lsi_counter reset_count), log: $(dmesg | grep 'not answered' | tail -n 1)"
        fi
        out=$(mrioctl "$host" info 2>&1)
        expect_eq "after the timeout's reset: CTRL_GET_INFO answers as before" "$info" "$out"
        if probe_io "$dev"; then tap_ok "after the timeout's reset: I/O on $dev"; else tap_fail "after the timeout's reset: I/O on $dev failed"; fi
    else
        for t in "a frame never answered" "the timeout reset" "after the timeout: info" "after the timeout: I/O"; do
            tap_skip "$t" "model without x-hold-dcmd"
        done
    fi
fi

# ---- fuzz (lsi3108 only) ----
if is_lsi3108; then
    resets=$(lsi_counter reset_count)
    start=$(now_ms)
    run_deadline 900 mrioctl "$host" fuzz 46 10000
    rc=$?
    out=$(cat /tmp/run_deadline.out)
    echo "$out"
    [ "$rc" = 0 ] || tap_diag "mrioctl fuzz ended with status $rc"
    tap_diag "fuzz took $(ms_since "$start") ms"
    expect_eq "fuzz: 10000 packets sent" 10000 \
        "$(echo "$out" | sed -n 's/^fuzz errno=.* n=\([0-9]*\)$/\1/p' | awk '{ s += $1 } END { print s + 0 }')"
    ok=$(echo "$out" | sed -n 's/.*status_ok=\([0-9]*\).*/\1/p')
    if [ "${ok:-0}" -gt 0 ]; then
        tap_ok "fuzz: $ok packets ran to cmd_status OK (the generator reaches the firmware)"
    else
        tap_fail "fuzz: no packet ran to cmd_status OK"
    fi
    if [ "$(echo "$out" | grep -c '^fuzz errno=22 ')" -eq 1 ]; then
        tap_ok "fuzz: malformed packets refused with EINVAL"
    else
        tap_fail "fuzz: no EINVAL at all"
    fi
    if ctrl_up; then tap_ok "after the fuzz: controller up ($(ctrl_states))"; else tap_fail "after the fuzz: $(ctrl_states)"; fi
    expect_eq "after the fuzz: no controller reset" "$resets" "$(lsi_counter reset_count)"
    out=$(mrioctl "$host" info 2>&1)
    expect_eq "after the fuzz: CTRL_GET_INFO answers as before" "$info" "$out"
    if probe_io "$dev"; then tap_ok "after the fuzz: I/O on $dev"; else tap_fail "after the fuzz: I/O on $dev failed"; fi
    expect_eq "after the fuzz: LDs still there" "$LSI_LDS" "$(driver_disks | wc -l)"
fi

# ---- megaraid_sas loaded beside lsi3108 (docs/driver.md) ----
# Both register megaraid_sas_ioctl; a tool takes the first line of
# /proc/devices (megaraid_sas's: loaded last, the lower dynamic major), and
# megaraid_sas answers ENODEV for lsi3108's host; unloaded, lsi3108's again.
if is_lsi3108; then
    if modprobe megaraid_sas 2>/dev/null; then
        lines=$(grep -c ' megaraid_sas_ioctl$' /proc/devices)
        out=$(mrioctl "$host" info 2>&1)
        first=$(val errno)
        rmmod megaraid_sas
        out=$(mrioctl "$host" info 2>&1)
        expect_eq "with megaraid_sas loaded too: two megaraid_sas_ioctl devices, the first (megaraid_sas's) answers ENODEV for lsi3108's host; unloaded, lsi3108's answers" \
            "2 19 $info" "$lines $first $out"
    else
        tap_skip "megaraid_sas beside lsi3108" "megaraid_sas does not load"
    fi
fi

if command -v smartctl >/dev/null 2>&1; then
    tap_diag "smartctl --scan-open: $(smartctl --scan-open 2>&1 | tr '\n' '|')"
fi
check_dmesg
finish
