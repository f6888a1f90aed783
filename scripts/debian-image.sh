#!/usr/bin/env bash
# debian-image.sh: a Debian 12 system to boot from an LD — the bench's "real server".
#
# debootstrap (bookworm, from the Debian archive) with systemd, udev, initramfs-tools, dkms and
# the kernel image and headers, made into two raw disk images without mounting anything:
#   root.raw  the root file system (ext4 in partition 1 of an MBR disk): served by the model as LD 0
#   boot.raw  /boot (ext2, whole disk): a small SATA disk (the ICH9 AHCI of q35). The model has no option ROM (no int13),
#             so QEMU boots the kernel and initramfs the runner reads out of boot.raw before every
#             boot — the ones the guest's own update-initramfs wrote.
# At boot, lsi3108-bench.service fetches the bench (tests, lib.sh, guest-init, the driver's
# sources) from QEMU's fw_cfg and runs it with the control channel on ttyS1 (docs/testing.md,
# "The Debian system").
#
# Cached in $LSI3108_CACHE/debian-<key>/, key = the suite, the package list, the sizes and the
# functions that make the image.
# Prints IMAGE_DIR=… ROOT_UUID=… BOOT_UUID=… IMAGE_KVER=…
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
explain_exits

suite=bookworm
mirror=${LSI3108_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=systemd,systemd-sysv,udev,kmod,initramfs-tools,zstd,linux-image-amd64,linux-headers-amd64,dkms,make,gcc,libc6-dev,e2fsprogs,util-linux,sg3-utils,procps,coreutils
root_mib=3072
boot_mib=384

report() {
	echo "IMAGE_DIR=$out"
	cat "$out/env"
}

configure_tree() {
	echo lsi3108-server >"$tree/etc/hostname"
	cat >"$tree/etc/fstab" <<-FSTAB
	UUID=$root_uuid / ext4 errors=remount-ro 0 1
	UUID=$boot_uuid /boot ext2 defaults 0 2
	FSTAB
	# The journal persists (the journey reads the previous boot's shutdown messages).
	mkdir -p "$tree/var/log/journal"
	# The bench: fetched from fw_cfg at every boot, so the image does not change with the tests.
	cat >"$tree/usr/local/sbin/lsi3108-bench" <<-'BENCH'
	#!/bin/sh
	# Runs the lsi3108 bench QEMU hands over in fw_cfg (opt/lsi3108/bench.tar).
	set -e
	modprobe qemu_fw_cfg
	tarball=/sys/firmware/qemu_fw_cfg/by_name/opt/lsi3108/bench.tar/raw
	[ -r "$tarball" ] || { echo "lsi3108-bench: no $tarball: not on the bench"; exit 0; }
	rm -rf /run/lsi3108 && mkdir -p /run/lsi3108
	tar -C /run/lsi3108 -xf "$tarball"
	exec sh /run/lsi3108/guest-init --under-systemd	# /run is noexec
	BENCH
	chmod 755 "$tree/usr/local/sbin/lsi3108-bench"
	cat >"$tree/etc/systemd/system/lsi3108-bench.service" <<-'UNIT'
	[Unit]
	Description=lsi3108 bench (tests from QEMU fw_cfg)
	After=multi-user.target
	ConditionPathExists=/sys/firmware/qemu_fw_cfg
	[Service]
	Type=simple
	ExecStart=/usr/local/sbin/lsi3108-bench
	StandardOutput=journal+console
	StandardError=journal+console
	[Install]
	WantedBy=multi-user.target
	UNIT
	ln -sf /etc/systemd/system/lsi3108-bench.service \
		"$tree/etc/systemd/system/multi-user.target.wants/lsi3108-bench.service"
	ln -sfn /run/lsi3108/tests "$tree/tests"
	# Hot-added LDs labelled "hotdata" are mounted by udev (systemd-mount), the way
	# docs/testing.md describes; the label is the bench's choice.
	cat >"$tree/etc/udev/rules.d/90-lsi3108-hotdata.rules" <<-'RULE'
	ACTION=="add", SUBSYSTEM=="block", ENV{ID_FS_LABEL}=="hotdata", RUN{program}+="/usr/bin/systemd-mount --no-block --collect $devnode /media/hotdata"
	RULE
	# Nothing the bench does not need at boot.
	rm -f "$tree"/etc/systemd/system/timers.target.wants/*
	# root can log in on the console without a password (--interactive).
	sed -i 's|^root:[^:]*:|root::|' "$tree/etc/shadow"
}

# Usage: image_of <dir> <file> <MiB> <fs> <uuid> <label> [<offset bytes>]
image_of() {
	local offset=${7:-0}
	truncate -s $((($3 << 20) + offset)) "$2"
	mke2fs -q -F -t "$4" -d "$1" -U "$5" -L "$6" -E "offset=$offset" "$2" "$(($3 << 10))k" ||
		die "mke2fs of $2 from $1 failed"
}

# The tree, configured, into boot.raw and root.raw.
make_images() {
	configure_tree
	chroot "$tree" update-initramfs -u -k "$kver" >"$work/initramfs.log" 2>&1 ||
		die "update-initramfs in the tree failed: $(tail -n 5 "$work/initramfs.log")"
	mkdir -p "$work/boot"
	mv "$tree"/boot/* "$work/boot/"
	image_of "$work/boot" "$work/boot.raw" "$boot_mib" ext2 "$boot_uuid" boot
	image_of "$tree" "$work/root.raw" "$root_mib" ext4 "$root_uuid" root 1048576
	echo 'start=2048, type=83' | sfdisk -q --wipe never "$work/root.raw" ||
		die "sfdisk on root.raw failed"
	printf 'ROOT_UUID=%s\nBOOT_UUID=%s\nIMAGE_KVER=%s\n' "$root_uuid" "$boot_uuid" "$kver" >"$work/env"
}

# The key: what shapes the image (the suite, the packages, the sizes, the functions that make
# it), not the comments or the rest of this script.
key=$( { echo "$suite $packages $root_mib $boot_mib"; declare -f configure_tree image_of make_images; } |
	sha256sum | cut -c1-12)
out=$LSI3108_CACHE/debian-$key
if [[ -f $out/env ]]; then
	report
	exit 0
fi
[[ $(id -u) -eq 0 ]] || die "building the Debian image needs root (debootstrap)"
need_pkgs debootstrap e2fsprogs fdisk
# --prepare: only the host packages (check.sh installs them first, then builds
# the image beside its other apt-using steps, which would contend for apt's locks).
[[ ${1:-} == --prepare ]] && exit 0
work=$out.tmp
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
tree=$work/tree
log=$work/debootstrap.log
echo "debian-image: debootstrap $suite from $mirror (a few minutes)" >&2
debootstrap --variant=minbase --include="$packages" "$suite" "$tree" "$mirror" >"$log" 2>&1 ||
	die "debootstrap failed; the end of its log ($log):
$(tail -n 20 "$log")"
kver=$(basename "$(ls -d "$tree"/lib/modules/* | head -n 1)")
[[ -f $tree/boot/vmlinuz-$kver ]] || die "no kernel in the debootstrapped tree (/boot/vmlinuz-$kver)"
root_uuid=$(cat /proc/sys/kernel/random/uuid)
boot_uuid=$(cat /proc/sys/kernel/random/uuid)
make_images
rm -rf "${tree:?}" "${work:?}/boot"
trap - EXIT
rm -rf "$out"
mv "$work" "$out"
report
