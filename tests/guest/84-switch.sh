#!/bin/sh
# 84-switch: `lsi3108-ctl use lsi3108|megaraid_sas` on a real udev and kmod.
# The guest's own blacklist of both drivers (the bench loads them by name) is
# set aside, both drivers are unloaded, and the controller's "add" event is
# replayed (udevadm trigger): udev loads drivers by modalias, as at boot. With
# `use lsi3108` the SAS3108 must end up on lsi3108 and megaraid_sas must be
# loaded too (it keeps other MegaRAIDs) yet bound to nothing here; with `use
# megaraid_sas`, the other way round and lsi3108 not loaded at all. `use`
# refuses a driver the running kernel lacks. The disks come back each time;
# data written before is read back. Runs once, in lsi3108's boot (the
# outcome does not depend on the driver under test).
. /tests/lib.sh
[ "$LSI_DRIVER" = lsi3108 ] || skip_test "driver switch" "runs once, in lsi3108's boot"
pci=$(ctrl_pci) || bail "no controller"
[ "$(cat "$pci/device")" = 0x005d ] || skip_test "driver switch" "not a SAS3108 (1000:005d) on this bench"
plan 13
time_limit 300
bench_conf=/etc/modprobe.d/lsi3108-tests.conf
bdf=${pci##*/}

bound_to() {
    [ -e "$pci/driver" ] && basename "$(readlink -f "$pci/driver")" || echo none
}

unload_both() {
    local m out
    for m in lsi3108 megaraid_sas; do
        [ -d "/sys/module/$m" ] || continue
        out=$(LSI_DRIVER=$m; unload_driver) || { echo "rmmod $m: $out"; return 1; }
    done
}

# Replays the controller's add event; waits up to 60 s for a driver to bind.
# udevd keeps its module configuration and re-reads it only every few
# seconds: --reload makes it see the new modprobe.d file now (at boot it is
# read fresh).
replug() {
    udevadm control --reload
    udevadm trigger --action=add "$pci"
    udevadm settle --timeout=60
    wait_until 60 test -e "$pci/driver"
}

restore() {
    rm -f /etc/modprobe.d/lsi3108.conf
    [ -e /tmp/bench-modprobe.conf ] && mv /tmp/bench-modprobe.conf "$bench_conf"
    unload_both >/dev/null
    load_driver >/dev/null
}

need_driver
idx=$(ld_index scratch)
dev=$(ld_dev "$idx") || bail "scratch LD has no disk"
random_file /tmp/switch 1
want=$(sha_of /tmp/switch)
dev_write /tmp/switch "$dev" 3 && sg_sync "$dev" >/dev/null 2>&1 || bail "could not write the check data"

at_finish restore
mv "$bench_conf" /tmp/bench-modprobe.conf || bail "could not set $bench_conf aside"
out=$(unload_both) || bail "$out"

# Refusal: a driver this kernel does not have.
out=$(LSI3108_KVER=0.0-none lsi3108-ctl use lsi3108 2>&1); rc=$?
expect_eq "use lsi3108 refused for a kernel without it (exit 3: $out)" 3 "$rc"
expect_eq "the refusal wrote no modprobe.d file" absent "$([ -e /etc/modprobe.d/lsi3108.conf ] && echo present || echo absent)"

out=$(lsi3108-ctl use lsi3108 2>&1); rc=$?
expect_eq "lsi3108-ctl use lsi3108 ($(echo "$out" | tail -n 1))" 0 "$rc"
replug
expect_eq "after the add event, the SAS3108 $bdf is bound to" lsi3108 "$(bound_to)"
mr=0
for l in /sys/bus/pci/drivers/megaraid_sas/*:*; do [ -e "$l" ] && mr=$((mr + 1)); done
expect_eq "megaraid_sas was loaded too (other MegaRAIDs), bound to no device here" "loaded, 0 devices" \
    "$([ -d /sys/module/megaraid_sas ] && echo loaded || echo absent), $mr devices"
expect_eq "lsi3108-ctl driver: now" "now: $bdf lsi3108" "$(lsi3108-ctl driver | grep '^now:' | tr -s ' ')"
expect_eq "lsi3108-ctl driver: next boot of this kernel" "next: $(uname -r) lsi3108" \
    "$(lsi3108-ctl driver | grep "^next: *$(uname -r) " | tr -s ' ')"
out=$(load_driver) && dev=$(ld_dev "$idx") && got=$(dev_sha "$dev" 3 1)
expect_eq "lsi3108 disks back; 1 MiB written before reads back" "$want" "${got:-$out}"

out=$(unload_both) || bail "$out"
out=$(lsi3108-ctl use megaraid_sas 2>&1); rc=$?
expect_eq "lsi3108-ctl use megaraid_sas ($(echo "$out" | tail -n 1))" 0 "$rc"
replug
expect_eq "after the add event, the SAS3108 $bdf is bound to" megaraid_sas "$(bound_to)"
expect_eq "lsi3108 not loaded by modalias" absent "$([ -d /sys/module/lsi3108 ] && echo loaded || echo absent)"
got=$(LSI_DRIVER=megaraid_sas; load_driver && dev=$(ld_dev "$idx") && dev_sha "$dev" 3 1)
expect_eq "megaraid_sas disks back; the same 1 MiB reads back" "$want" "$got"
check_dmesg
finish
