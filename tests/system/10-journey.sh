#!/bin/sh
# 10-journey: a real server's life, on the Debian system (tests/bench/system.py).
# Root is on LD 0; the image's own initramfs brings it up with megaraid_sas, as
# Debian does on a real server. Each phase is one boot:
#  1 root through megaraid_sas; `make dkms-install` from the driver's sources
#    (DKMS builds lsi3108 in the guest); `lsi3108-ctl use lsi3108`; the data LD
#    made ext4 and listed in fstab by /dev/disk/by-id with x-systemd.automount;
#    a file written on root; clean reboot (systemctl poweroff).
#  2 root through lsi3108 (initramfs rebuilt by the switch); the by-id name
#    unchanged; /data mounted on first access; an LD hot-added through the model
#    is mounted by the image's udev rule and its file reads back; a file written
#    on /data; clean reboot.
#  3 everything reads back after the clean reboot; new files on root and /data
#    written and flushed (sync); power cut.
#  4 everything flushed before the cut reads back; `lsi3108-ctl use
#    megaraid_sas`; clean reboot.
#  5 root through megaraid_sas again; every file reads back; `make dkms-remove`
#    (refused in phase 2, while lsi3108 was the chosen driver).
# Every boot: the kernel log of this boot and the journal's log of the previous
# one (its shutdown) have no errors or warnings from either driver.
. /tests/lib.sh
export PATH="/usr/local/sbin:/usr/local/bin:$PATH"
SRC=/run/lsi3108/lsi3108
FILES=/var/lib/lsi3108-journey
time_limit 2400

# The disk (sdX) holding the root file system.
root_disk() { lsblk -no PKNAME "$(findmnt -n -o SOURCE /)"; }

# Usage: driver_of <sdX> — the SCSI host's driver (proc_name) of a disk.
driver_of() { cat /sys/block/"$1"/device/../../scsi_host/host*/proc_name 2>/dev/null || echo none; }

# The controller's PCI driver.
pci_driver() { basename "$(readlink -f "$(ctrl_pci)/driver")"; }

# Usage: disk_with_serial <serial> — sdX whose VPD page 0x80 carries it.
disk_with_serial() {
    local b
    for b in /sys/block/sd*; do
        grep -q "$1" "$b/device/vpd_pg80" 2>/dev/null && { echo "${b##*/}"; return 0; }
    done
    return 1
}

# Usage: by_id_of <sdX> — its /dev/disk/by-id/scsi-3… (NAA) link.
by_id_of() {
    local l
    for l in /dev/disk/by-id/scsi-3*; do
        [ "$(readlink -f "$l")" = "/dev/$1" ] && { echo "$l"; return 0; }
    done
    return 1
}

# Usage: keep_file <name> <path> <MiB> — random data, flushed; its sha256 is
# kept on the host (survives the guest's reboots and power cuts).
keep_file() {
    mkdir -p "$(dirname "$2")"
    random_file "$2" "$3"
    sync "$2"
    host_req put "journey.$1" "$2 $(sha_of "$2")" >/dev/null || tap_fail "host did not keep $1's checksum"
}

# Usage: check_files <name...> — every kept file reads back.
check_files() {
    local n v path want
    for n in "$@"; do
        v=$(host_req get "journey.$n") || { tap_fail "no checksum kept for $n: $v"; continue; }
        path=${v% *}
        want=${v#* }
        expect_eq "file $n ($path) reads back" "$want" "$(sha_of "$path" 2>&1)"
    done
}

# Usage: present_or_gone <path> — "kept" when the file exists.
present_or_gone() { if [ -n "$1" ] && [ -e "$1" ]; then echo kept; else echo gone; fi; }

# Usage: expect_root_on <driver>
expect_root_on() {
    local d
    d=$(root_disk)
    expect_eq "root (/dev/$d, UUID $LSI_ROOT_UUID) is on a disk driven by" "$1" "$(driver_of "$d")"
    expect_eq "the controller's PCI function is bound to" "$1" "$(pci_driver)"
}

# No error or warning from either driver in this boot's kernel log and in the
# previous boot's (its shutdown included).
check_driver_logs() {
    local b bad
    for b in 0 -1; do
        # (Loading any module built outside the kernel taints it: expected of DKMS.)
        bad=$(journalctl -q -o cat -k -b "$b" -p warning --no-pager 2>&1 | grep -iE 'lsi3108|megaraid|megasas' |
            grep -v 'loading out-of-tree module taints kernel' | head -n 3 | tr '\n' '|')
        expect_eq "journal (boot $b): no driver errors or warnings" "" "$bad"
    done
}

# A clean reboot through systemd (units stopped, file systems unmounted, the
# drivers' shutdown paths), then this test goes on in phase <n>.
reboot_to_phase() { shutdown_and_continue "$1" "systemctl poweroff" 600; }

# Usage: wait_mounted <mount point> <seconds>
wait_mounted() { wait_until "$2" grep -q " $1 " /proc/mounts; }

phase1() {
    local t0 out data link rc
    plan 10
    expect_root_on megaraid_sas
    # Initramfs with only the modules this machine needs, as many admins set
    # it: mkinitramfs's thousands of process starts for MODULES=most take
    # tens of minutes under TCG. The switch must work with it (see the hook).
    echo MODULES=dep >/etc/initramfs-tools/conf.d/lsi3108-bench.conf
    t0=$(date +%s)
    out=$(make -C "$SRC" dkms-install 2>&1); rc=$?
    expect_eq "make dkms-install in the guest ($(($(date +%s) - t0)) s): $(echo "$out" | tail -n 1)" 0 "$rc"
    [ "$rc" -eq 0 ] || echo "$out" | tail -n 15 | while IFS= read -r l; do tap_diag "dkms-install: $l"; done
    expect_eq "modinfo: the lsi3108 DKMS built for $(uname -r)" "updates/dkms/lsi3108.ko" \
        "$(modinfo -F filename lsi3108 2>&1 | grep -o 'updates/dkms/lsi3108.ko.*' | sed 's/\.xz$//')"
    expect_eq "installing alone keeps megaraid_sas for the next boot" "next: $(uname -r) megaraid_sas" \
        "$(lsi3108-ctl driver | grep "^next: *$(uname -r) " | tr -s ' ')"
    out=$(lsi3108-ctl use lsi3108 2>&1); rc=$?
    expect_eq "lsi3108-ctl use lsi3108 ($(echo "$out" | tail -n 1 | tr -s ' '))" 0 "$rc"
    expect_eq "the new initramfs carries lsi3108.ko and the choice" "2" \
        "$(lsinitramfs "/boot/initrd.img-$(uname -r)" | grep -cE 'lsi3108\.ko|modprobe.d/lsi3108.conf')"
    data=$(disk_with_serial "$(ld_field "$LSI_LD_DATA" serial)") || bail "no disk carries the data LD's serial"
    link=$(by_id_of "$data") || bail "no /dev/disk/by-id/scsi-3* link for the data LD ($data)"
    mkfs.ext4 -q -F -L data "/dev/$data" || bail "mkfs.ext4 /dev/$data failed"
    echo "$link /data ext4 noauto,x-systemd.automount,nofail 0 2" >>/etc/fstab
    host_req put journey.data_link "$link" >/dev/null
    mkdir -p /data && systemctl daemon-reload
    expect_eq "fstab lists the data LD by id with x-systemd.automount" 1 "$(grep -c "^$link /data .*x-systemd.automount" /etc/fstab)"
    keep_file a "$FILES/a.bin" 4
    check_driver_logs
    reboot_to_phase 2
}

phase2() {
    local link data out rc
    plan 12
    expect_root_on lsi3108
    expect_eq "lsi3108-ctl list: one live controller" 1 "$(lsi3108-ctl list | grep -c ' live ')"
    if make -C "$SRC" dkms-remove >/dev/null 2>&1; then rc=removed; else rc=refused; fi
    expect_eq "make dkms-remove is refused while lsi3108 is the chosen driver (module kept)" \
        "refused, kept" "$rc, $(present_or_gone "$(modinfo -n lsi3108 2>/dev/null)")"
    link=$(host_req get journey.data_link)
    data=$(disk_with_serial "$(ld_field "$LSI_LD_DATA" serial)")
    expect_eq "the data LD keeps its by-id name under lsi3108 ($link)" "/dev/$data" "$(readlink -f "$link")"
    expect_eq "before first access /data is an automount point" autofs "$(findmnt -n -o FSTYPE /data | head -n 1)"
    ls /data >/dev/null 2>&1
    wait_mounted /data 30
    expect_eq "first access mounts the data LD on /data" "$link ext4" \
        "$(awk '$2 == "/data" && $3 == "ext4" { print $1, $3 }' /proc/mounts | sed "s|^/dev/$data|$link|")"
    check_files a
    keep_file b /data/b.bin 4
    # (HMP answers an error as text: anything it prints is one.)
    out=$(host_req hmp device_add "$LSI_HOT_DEVICE")
    [ -z "$out" ] || tap_diag "device_add $LSI_HOT_DEVICE: $out"
    if wait_mounted /media/hotdata 120; then
        tap_ok "the hot-added LD was mounted on /media/hotdata by udev"
    else
        tap_fail "the hot-added LD is not mounted on /media/hotdata after 120 s ($(lsblk -no NAME,LABEL | tr '\n' ' '))"
    fi
    expect_eq "its file reads back" "$LSI_HOT_SHA" "$(sha_of "/media/hotdata/$LSI_HOT_FILE" 2>&1)"
    check_driver_logs
    reboot_to_phase 3
}

phase3() {
    plan 6
    expect_root_on lsi3108
    check_files a b
    keep_file c /data/c.bin 8
    keep_file d "$FILES/d.bin" 8
    sync
    check_driver_logs
    powercut_and_continue 4
}

phase4() {
    local out rc
    plan 10
    expect_root_on lsi3108
    check_files a b c d
    out=$(lsi3108-ctl use megaraid_sas 2>&1); rc=$?
    expect_eq "lsi3108-ctl use megaraid_sas ($(echo "$out" | tail -n 1 | tr -s ' '))" 0 "$rc"
    # (MODULES=dep may keep lsi3108.ko, the root disk's driver now: the
    # modprobe.d file blacklists it there; megaraid_sas must be in.)
    expect_eq "the new initramfs carries megaraid_sas.ko and the choice" "2" \
        "$(lsinitramfs "/boot/initrd.img-$(uname -r)" | grep -cE 'megaraid_sas\.ko|modprobe.d/lsi3108.conf')"
    check_driver_logs
    reboot_to_phase 5
}

phase5() {
    local out rc
    plan 10
    expect_root_on megaraid_sas
    expect_eq "lsi3108-ctl driver: the next boot keeps megaraid_sas" "next: $(uname -r) megaraid_sas" \
        "$(lsi3108-ctl driver | grep "^next: *$(uname -r) " | tr -s ' ')"
    check_files a b c d
    out=$(make -C "$SRC" dkms-remove 2>&1); rc=$?
    expect_eq "make dkms-remove after the switch back ($(echo "$out" | tail -n 1)): module, tool, modprobe.d file" \
        "0 gone gone gone" "$rc $(present_or_gone "$(modinfo -n lsi3108 2>/dev/null)") $(present_or_gone /usr/local/sbin/lsi3108-ctl) $(present_or_gone /etc/modprobe.d/lsi3108.conf)"
    check_driver_logs
    finish
}

"phase$LSI_PHASE"
