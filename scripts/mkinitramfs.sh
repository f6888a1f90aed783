#!/bin/bash
# mkinitramfs.sh <kver> <out.cpio.gz|.cpio.lz4|.cpio> [extra.ko ...] — the test guest's initramfs.
#
# Contents: busybox-static (/bin, /bin/sh), the real tools the tests call by
# full path (sg3_utils, fio, lsscsi, sfdisk, wipefs, blkid, e2fsprogs, kmod, rtcwake, smartctl,
# udev with its rules), every shared library they need (ldd), the module
# closure of megaraid_sas, sd_mod, sg, ext4 and crc32c from the unpacked guest
# kernel (scripts/guest-kernel.sh), the extra modules under
# /lib/modules/<kver>/extra with their dependencies (depmod is run, so
# `modprobe lsi3108` works), scripts/guest-init as /init and tests/guest/ as
# /tests.
#
# The kernel tree is ${MODROOT:-${LSI3108_CACHE:-$HOME/.cache/lsi3108}/kernel-<kver>/root}.
# The archive is rebuilt only when an input changed (a hash of the inputs is
# kept in <out>.inputs); FORCE=1 rebuilds anyway.
set -euo pipefail

log() { echo "mkinitramfs: $*" >&2; }
. "$(dirname "$0")/lib.sh"
explain_exits

[ $# -ge 2 ] || die "usage: $0 <kver> <out.cpio.gz> [extra.ko ...]"
kver=$1
out=$2
shift 2
extra_kos=("$@")

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${LSI3108_CACHE:-$HOME/.cache/lsi3108}
modroot=${MODROOT:-$cache/kernel-$kver/root}
base_modules="megaraid_sas sd_mod sg ext4 crc32c crc32c_generic"
# make bench's anchors (tests/guest/bench-fio.sh): packed where the kernel has
# them (Debian's kernels do; the debug kernel, scripts/debug-kernel.sh, not).
optional_modules="virtio_scsi virtio_pci null_blk"
host_packages="busybox-static sg3-utils fio lsscsi udev e2fsprogs util-linux fdisk kmod cpio lz4 gcc libc6-dev smartmontools"
# Real binaries, copied with their libraries. The guest's busybox runs its own
# applets before PATH, so tests call these by full path (lib.sh wraps them).
binaries="/usr/bin/fio /usr/bin/lsscsi /usr/sbin/sfdisk /usr/sbin/wipefs /usr/sbin/blkid
  /usr/bin/lsblk /usr/sbin/mke2fs /usr/sbin/e2fsck /usr/sbin/dumpe2fs /usr/sbin/tune2fs
  /usr/bin/udevadm /usr/bin/kmod /usr/lib/udev/scsi_id /usr/lib/udev/ata_id /usr/bin/dd
  /usr/sbin/rtcwake /usr/sbin/smartctl"

[ -d "$modroot/lib/modules/$kver" ] ||
    die "no kernel modules at $modroot/lib/modules/$kver (run scripts/guest-kernel.sh first)"
for ko in "${extra_kos[@]}"; do
    [ -f "$ko" ] || die "extra module '$ko' does not exist"
done

ensure_host_packages() {
    local missing="" p
    for p in $host_packages; do
        [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    log "installing host packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq -o DPkg::Lock::Timeout=600 $missing >&2 ||
        { apt-get update -qq >&2 && apt-get install -y -qq -o DPkg::Lock::Timeout=600 $missing >&2; } ||
        die "apt-get install$missing failed"
}

# A hash over everything that ends up in the archive.
inputs_hash() {
    {
        echo "$kver $modroot $base_modules $optional_modules $binaries"
        cat "$0" "$top/scripts/guest-init" "$top/scripts/lsi3108-ctl"
        for f in $(find "$top/tests/guest" "$top/tests/tools" -type f | sort); do echo "$f"; cat "$f"; done
        cat "$top/include/lsi3108_hw.h"
        for ko in "${extra_kos[@]}"; do echo "$ko"; cat "$ko"; done
        stat -c '%n %s %Y' "$modroot/lib/modules/$kver/modules.dep"
        dpkg-query -W $host_packages 2>/dev/null
    } | sha256sum | cut -d' ' -f1
}

# Copy a file to the same path under the staging root, keeping symlinks as
# symlinks and copying their targets too.
copy_path() {
    local src=$1 dst
    dst=$stage$src
    [ -e "$dst" ] || [ -L "$dst" ] && return 0
    mkdir -p "$(dirname "$dst")"
    if [ -L "$src" ]; then
        cp -a "$src" "$dst"
        local target
        target=$(readlink "$src")
        case "$target" in
            /*) copy_path "$target" ;;
            *)  copy_path "$(dirname "$src")/$target" ;;
        esac
    else
        cp -a "$src" "$dst"
    fi
}

# A binary at its canonical path, plus every library ldd reports for it.
copy_binary() {
    local bin=$1 real lib
    real=$(readlink -f "$bin")
    [ -f "$real" ] || die "binary $bin not found on the host"
    copy_path "$real"
    [ "$real" = "$bin" ] || { mkdir -p "$stage$(dirname "$bin")"; ln -sf "$real" "$stage$bin"; }
    for lib in $(ldd "$real" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
        copy_path "$lib"
    done
}

install_layout() {
    mkdir -p "$stage"/{bin,dev,proc,sys,run,tmp,mnt,etc,root,usr/bin,usr/sbin,usr/lib,usr/lib64}
    ln -s usr/lib "$stage/lib"
    ln -s usr/lib64 "$stage/lib64"
    ln -s bin "$stage/sbin"
    cp /bin/busybox "$stage/bin/busybox"
    local applet
    for applet in $(/bin/busybox --list); do
        [ "$applet" = busybox ] || ln -s busybox "$stage/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
    # Both drivers match the 3108's PCI id: udev must load neither; the tests
    # load the one under test by name (modprobe ignores the blacklist then).
    mkdir -p "$stage/etc/modprobe.d"
    printf 'blacklist megaraid_sas\nblacklist lsi3108\n' >"$stage/etc/modprobe.d/lsi3108-tests.conf"
    # Groups the udev rules name (unknown groups only cause warnings).
    awk 'BEGIN{n=split("root daemon bin sys adm tty disk lp mail kmem dialout cdrom floppy tape audio video input kvm render sgx",g," ");
         for(i=1;i<=n;i++) printf "%s:x:%d:\n", g[i], i-1}' >"$stage/etc/group"
}

install_tools() {
    local b
    for b in $binaries /usr/bin/sg_*; do copy_binary "$b"; done
    # The hostile host of 81-bounds and 82-regs (tests/tools), static.
    gcc -O2 -Wall -static -I"$top/include" -o "$stage/usr/bin/lsi3108-poke" \
        "$top/tests/tools/lsi3108-poke.c" || die "cannot build tests/tools/lsi3108-poke.c"
    # make bench's instruction-count window (qemu/plugins/insn-count.c), static.
    gcc -O2 -Wall -static -o "$stage/usr/bin/insn-window" "$top/tests/tools/insn-window.c" ||
        die "cannot build tests/tools/insn-window.c"
    # The megaraid ioctl client of 46-ioctl (tests/tools), static.
    gcc -O2 -Wall -static -I"$top/include" -o "$stage/usr/bin/mrioctl" \
        "$top/tests/tools/mrioctl.c" || die "cannot build tests/tools/mrioctl.c"
    # The firmware's PD answers through the megaraid ioctl (45-pds), static.
    gcc -O2 -Wall -static -I"$top/include" -o "$stage/usr/bin/mfi-pd" \
        "$top/tests/tools/mfi-pd.c" || die "cannot build tests/tools/mfi-pd.c"
    ln -sf mke2fs "$stage/usr/sbin/mkfs.ext4"
    ln -sf e2fsck "$stage/usr/sbin/fsck.ext4"
    # kmod, not busybox, wherever Debian has it: /sbin/modprobe too (modprobe.d
    # install rules name it, see lsi3108-ctl use).
    for b in modprobe insmod rmmod lsmod modinfo depmod; do
        ln -sf ../bin/kmod "$stage/usr/sbin/$b"
        ln -sf ../usr/bin/kmod "$stage/bin/$b"
    done
    mkdir -p "$stage/usr/lib/systemd" "$stage/etc/udev" "$stage/usr/lib/udev/rules.d"
    ln -sf ../../bin/udevadm "$stage/usr/lib/systemd/systemd-udevd"
    cp /usr/lib/udev/rules.d/*.rules "$stage/usr/lib/udev/rules.d/"
    [ -f /etc/udev/udev.conf ] && cp /etc/udev/udev.conf "$stage/etc/udev/"
}

# Module files (absolute paths under $modroot) that the named modules need.
module_closure() {
    local m
    for m in "$@"; do
        /usr/sbin/modprobe -d "$modroot" -S "$kver" --show-depends "$m" ||
            die "module '$m' not found in $modroot/lib/modules/$kver"
    done | awk '$1 == "insmod" { print $2 }' | sort -u
}

install_modules() {
    local mdir=lib/modules/$kver f ko deps
    mkdir -p "$stage/usr/$mdir/extra"
    deps=""
    local extra_names=" "
    for ko in "${extra_kos[@]}"; do
        cp "$ko" "$stage/usr/$mdir/extra/"
        extra_names="$extra_names$(basename "$ko" .ko) "
        deps="$deps $(/usr/sbin/modinfo -F depends "$ko" | tr ',' ' ')"
    done
    # A dependency on another extra module (lsi3108_test needs lsi3108) is
    # already there; the kernel's own ones (kunit, if the kernel builds it as
    # a module) come from its tree, with theirs.
    local d kernel_deps=""
    for d in $deps; do
        case "$extra_names" in *" $d "*) ;; *) kernel_deps="$kernel_deps $d" ;; esac
    done
    local m present=""
    for m in $optional_modules; do
        /usr/sbin/modprobe -d "$modroot" -S "$kver" --show-depends "$m" >/dev/null 2>&1 &&
            present="$present $m"
    done
    for f in $(module_closure $base_modules $present $kernel_deps); do
        mkdir -p "$stage/usr/$mdir/$(dirname "${f#"$modroot/$mdir/"}")"
        cp "$f" "$stage/usr/$mdir/${f#"$modroot/$mdir/"}"
    done
    cp "$modroot/$mdir"/modules.{builtin,builtin.modinfo,order} "$stage/usr/$mdir/"
    /usr/sbin/depmod -b "$stage/usr" "$kver" ||
        die "depmod failed on the initramfs module tree"
}

install_tests() {
    cp "$top/scripts/guest-init" "$stage/init"
    chmod 755 "$stage/init"
    mkdir -p "$stage/tests"
    cp -r "$top/tests/guest/." "$stage/tests/"
    cp "$top/scripts/lsi3108-ctl" "$stage/usr/sbin/lsi3108-ctl"
    chmod 755 "$stage/usr/sbin/lsi3108-ctl"
    chmod 755 "$stage"/tests/*.sh
}

# The compressor follows the output name: .gz gzip, .lz4 lz4 (legacy format,
# what the kernel reads), .zst zstd, anything else uncompressed. Under TCG the
# kernel unpacks lz4 about 2 s faster than gzip.
compressor() {
    case "$out" in
        *.gz)  echo "gzip -1" ;;
        *.lz4) echo "lz4 -l -1 -q" ;;
        *.zst) echo "zstd -3 -q" ;;
        *)     echo cat ;;
    esac
}

build_archive() {
    local tmp=$out.tmp.$$
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
        $(compressor) >"$tmp"
    mv "$tmp" "$out"
}

main() {
    ensure_host_packages
    local hash
    hash=$(inputs_hash)
    if [ "${FORCE:-0}" != 1 ] && [ -f "$out" ] && [ "$(cat "$out.inputs" 2>/dev/null)" = "$hash" ]; then
        log "$out is up to date"
        return 0
    fi
    stage=$(mktemp -d "${TMPDIR:-/tmp}/lsi3108-initramfs.XXXXXX")
    trap 'explain_exit $? "$BASH_COMMAND"; rm -rf "$stage"' EXIT
    mkdir -p "$(dirname "$out")"
    install_layout
    install_tools
    install_modules
    install_tests
    build_archive
    echo "$hash" >"$out.inputs"
    log "wrote $out ($(du -k "$out" | cut -f1) KiB $(compressor | cut -d' ' -f1), $(du -sk "$stage" | cut -f1) KiB unpacked)"
}

main
