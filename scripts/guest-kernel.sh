#!/bin/bash
# guest-kernel.sh [6.1|6.12] — fetch Debian's current kernel for the test guest.
#
# Resolves the ABI from the Debian meta package (linux-image-amd64 for 6.1,
# linux-image-6.12-amd64 for 6.12), downloads the image package into
# ${LSI3108_CACHE:-$HOME/.cache/lsi3108}/kernel-<kver>/ (never installs it on
# the host), unpacks it with dpkg-deb -x, runs depmod on the unpacked tree,
# extracts the uncompressed ELF vmlinux from the bzImage (TCG boots it ~3.5 s
# faster than the xz-compressed bzImage), and installs linux-headers-<kver> on
# the host so the out-of-tree module can be built (6.12's headers depend on
# the image package, so those are unpacked into the cache instead).
#
# Output (stdout, one KEY=value a line, nothing else):
#   KVER=<kernel version, as uname -r>
#   KDIR=<cache dir>            VMLINUX=<KDIR>/vmlinux
#   MODROOT=<KDIR>/root         (lib/modules/<kver> is under it)
#   HEADERS=<kbuild dir for make -C>: /lib/modules/<kver>/build, or
#           <KDIR>/headers/usr/src/linux-headers-<kver> for 6.12
# A second run finds everything in place and only prints these lines.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
explain_exits
series=${1:-6.1}
cache=${LSI3108_CACHE:-$HOME/.cache/lsi3108}

log() { echo "guest-kernel: $*" >&2; }

case "$series" in
    6.1)  meta=linux-image-amd64 ;;
    6.12) meta=linux-image-6.12-amd64 ;;
    *)    die "unknown kernel series '$series' (expected 6.1 or 6.12)" ;;
esac

export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_update() {
    [ "$apt_updated" = 1 ] && return 1
    log "running apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
    apt_updated=1
}

# The image package the meta package depends on, e.g. linux-image-6.1.0-56-amd64.
meta_target() {
    apt-cache depends "$meta" 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1
}

resolve_image_pkg() {
    local pkg
    pkg=$(meta_target)
    if [ -z "$pkg" ] && apt_update; then
        pkg=$(meta_target)
    fi
    echo "$pkg"
}

# Newest already-unpacked kernel of this series, for when apt cannot answer.
cached_kver() {
    local prefix
    case "$series" in 6.1) prefix=6.1. ;; 6.12) prefix=6.12. ;; esac
    ls -d "$cache"/kernel-"$prefix"*/.done 2>/dev/null | sed 's|/.done$||; s|.*/kernel-||' |
        sort -V | tail -n1
}

# Writes the first compressed payload of a bzImage that decompresses to an ELF
# (what the kernel's scripts/extract-vmlinux does).
extract_vmlinux() {
    local img=$1 out=$2 pair magic tool off
    for pair in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
        tool=${pair%%:*}
        magic=${pair#*:}
        for off in $(LC_ALL=C grep -obUaP "$magic" "$img" | cut -d: -f1); do
            case "$tool" in
                xz)   tail -c +$((off + 1)) "$img" | xz -dc --single-stream >"$out" 2>/dev/null || true ;;
                zstd) tail -c +$((off + 1)) "$img" | zstd -dc >"$out" 2>/dev/null || true ;;
                gzip) tail -c +$((off + 1)) "$img" | gzip -dc >"$out" 2>/dev/null || true ;;
            esac
            if [ "$(head -c4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
                log "extracted vmlinux ($tool payload at offset $off)"
                return 0
            fi
        done
    done
    rm -f "$out"
    die "no compressed ELF payload found in $img (tried xz, zstd, gzip)"
}

download_deb() {
    local pkg=$1 dir=$2
    mkdir -p "$dir"
    if ! (cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2); then
        apt_update || die "apt-get download $pkg failed"
        (cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) ||
            die "apt-get download $pkg failed after apt-get update"
    fi
}

prepare_kernel() {
    local pkg=$1 kver=$2 dir=$3 deb
    log "preparing $pkg in $dir"
    rm -f "$dir"/*.deb
    download_deb "$pkg" "$dir"
    deb=$(ls "$dir"/*.deb | head -n1)
    rm -rf "$dir/root"
    dpkg-deb -x "$deb" "$dir/root"
    [ -d "$dir/root/lib/modules/$kver" ] || die "$deb has no lib/modules/$kver"
    depmod -b "$dir/root" "$kver"
    # the decompressors extract_vmlinux tries (a minimal image has xz but not zstd: 6.12)
    need_pkgs xz-utils zstd gzip
    extract_vmlinux "$dir/root/boot/vmlinuz-$kver" "$dir/vmlinux"
    rm -f "$deb"
    touch "$dir/.done"
}

apt_install() {
    if ! apt-get install -y -qq -o DPkg::Lock::Timeout=600 "$@" >&2; then
        apt_update || die "apt-get install $* failed"
        apt-get install -y -qq -o DPkg::Lock::Timeout=600 "$@" >&2 || die "apt-get install $* failed"
    fi
}

# Those of the named packages that are not installed.
not_installed() {
    local p
    for p in "$@"; do
        [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || echo "$p"
    done
}

# Names a package depends on (first alternatives included), one a line.
pkg_depends() {
    apt-cache depends "$1" 2>/dev/null | sed -n 's/^ *|\{0,1\}Depends: \([^ <>]*\)$/\1/p'
}

# 6.12's headers package hard-depends on its image package, so installing it
# would install the kernel on the host. Then unpack the headers, their -common
# part and kbuild into <KDIR>/headers instead and install only the rest
# (compiler, pahole) normally.
unpack_headers() {
    local kver=$1 dir=$2 hdir=$2/headers pkgs others deb
    pkgs="linux-headers-$kver $(pkg_depends "linux-headers-$kver" | grep -E '^linux-(headers|kbuild)-' | tr '\n' ' ')"
    others=$(for p in $pkgs; do pkg_depends "$p"; done | grep -vE '^linux-(image|headers|kbuild)-' | sort -u)
    others=$(not_installed $others)
    [ -z "$others" ] || apt_install $others
    [ -f "$hdir/.done" ] && return 0
    log "unpacking $pkgs into $hdir (not installing: the headers depend on the image)"
    rm -rf "$hdir" "$dir/hdr-debs"
    mkdir -p "$hdir" "$dir/hdr-debs"
    for p in $pkgs; do download_deb "$p" "$dir/hdr-debs"; done
    for deb in "$dir"/hdr-debs/*.deb; do dpkg-deb -x "$deb" "$hdir"; done
    sed -i "s|^include /usr/src/|include $hdir/usr/src/|" "$hdir/usr/src/linux-headers-$kver/Makefile"
    rm -rf "$dir/hdr-debs"
    touch "$hdir/.done"
}

# Prints the kbuild directory to build the out-of-tree module against.
prepare_headers() {
    local kver=$1 dir=$2
    if pkg_depends "linux-headers-$kver" | grep -q '^linux-image-'; then
        unpack_headers "$kver" "$dir"
        echo "$dir/headers/usr/src/linux-headers-$kver"
        return 0
    fi
    if [ -n "$(not_installed "linux-headers-$kver")" ]; then
        log "installing linux-headers-$kver on the host"
        apt_install "linux-headers-$kver"
    fi
    echo "/lib/modules/$kver/build"
}

main() {
    local pkg kver dir headers
    pkg=$(resolve_image_pkg)
    if [ -n "$pkg" ]; then
        kver=${pkg#linux-image-}
    else
        kver=$(cached_kver)
        [ -n "$kver" ] || die "cannot resolve the dependency of $meta and no cached $series kernel in $cache"
        log "apt could not resolve $meta; using cached $kver"
        pkg=linux-image-$kver
    fi
    dir=$cache/kernel-$kver
    [ -f "$dir/.done" ] || prepare_kernel "$pkg" "$kver" "$dir"
    # .headers records where the kbuild tree is, once it is in place.
    headers=$(cat "$dir/.headers" 2>/dev/null || true)
    if [ -z "$headers" ] || [ ! -e "$headers/Makefile" ]; then
        headers=$(prepare_headers "$kver" "$dir")
        echo "$headers" >"$dir/.headers"
    fi
    echo "KVER=$kver"
    echo "KDIR=$dir"
    echo "VMLINUX=$dir/vmlinux"
    echo "MODROOT=$dir/root"
    echo "HEADERS=$headers"
}

main
