#!/bin/bash
# debug-kernel.sh — build the debug guest kernel (issue 9) from Debian's own 6.1 source.
#
# The source is linux-source-6.1 at the version of the guest kernel
# scripts/guest-kernel.sh 6.1 resolves (read from that vmlinux's banner,
# "Debian 6.1.N-R"), fetched with apt-get download (never installed), unpacked
# under ${LSI3108_CACHE}/kernel-debug-<key>/ and configured from
# `make allnoconfig` plus tests/debug/kernel.config: only what the bench guest
# needs, and the checkers (KASAN, lockdep, DMA-API debug, KFENCE, debug
# objects, kmemleak, the lockup detectors, real KUnit). <key> hashes the source
# version, the fragment, the compiler and the build part of this script, so a
# change to any of them builds a new kernel next to the old one, and a second
# run finds everything in place and only prints the lines below.
#
# Output (stdout, one KEY=value a line, as guest-kernel.sh):
#   KVER=<uname -r of the debug kernel>
#   KDIR=<cache dir>            VMLINUX=<KDIR>/vmlinux (the ELF, to read reports' addresses)
#   IMAGE=<KDIR>/bzImage        what QEMU boots: KASAN cannot boot through the ELF's PVH
#                               entry (xen_prepare_pvh runs instrumented before KASAN's early
#                               shadow exists: a triple fault), so the bzImage's boot protocol
#   MODROOT=<KDIR>/root         (lib/modules/<kver>, depmod'ed; megaraid_sas.ko is there)
#   HEADERS=<KDIR>/linux-source-6.1 (the build tree: make module KDIR=$HEADERS)
# The build's wall and CPU time are kept in <KDIR>/build-time.txt.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
explain_exits
top=$(cd "$(dirname "$0")/.." && pwd)
fragment=$top/tests/debug/kernel.config
cache=$LSI3108_CACHE
jobs=${LSI3108_JOBS:-$(nproc)}

log() { echo "debug-kernel: $*" >&2; }

# The Debian version of the production guest kernel (e.g. 6.1.192-3), from its banner.
guest_version() {
	local vmlinux ver
	vmlinux=$(bash "$top/scripts/guest-kernel.sh" 6.1 | sed -n 's/^VMLINUX=//p')
	[ -f "$vmlinux" ] || die "guest-kernel.sh 6.1 gave no vmlinux"
	ver=$(grep -a -m1 -o 'Debian 6\.1\.[0-9]*-[0-9a-z.+~]*' "$vmlinux" | head -n1)
	[ -n "$ver" ] || die "no 'Debian 6.1.N-R' banner in $vmlinux"
	echo "${ver#Debian }"
}

# linux-source-6.1's versions apt knows, newest first.
source_versions() {
	apt-cache madison linux-source-6.1 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}' |
		sort -urV
}

# The source version to build: the guest's; if apt no longer offers it, the
# newest of the same upstream release (6.1.N), said on stderr; else an error.
pick_source_version() {
	local want=$1 have
	have=$(source_versions)
	if [ -z "$have" ]; then
		apt-get update -qq >&2 || die "apt-get update failed"
		have=$(source_versions)
	fi
	if grep -qxF "$want" <<<"$have"; then
		echo "$want"
		return 0
	fi
	have=$(grep -F "${want%-*}-" <<<"$have" | head -n1 || true)
	[ -n "$have" ] || die "apt offers no linux-source-6.1 of $want's release ${want%-*}"
	log "linux-source-6.1 $want is not available; building $have (same upstream release)"
	echo "$have"
}

# --- build (everything from here to the end marker is part of the cache key)
# unpack_source <version> <dir>: <dir>/linux-source-6.1, from the .deb's tarball.
unpack_source() {
	local ver=$1 dir=$2 deb
	rm -rf "$dir/deb" "$dir/linux-source-6.1"
	mkdir -p "$dir/deb"
	(cd "$dir/deb" && apt-get download -q -o APT::Sandbox::User=root "linux-source-6.1=$ver" >&2) ||
		die "apt-get download linux-source-6.1=$ver failed"
	deb=$(ls "$dir"/deb/*.deb)
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -xJ -C "$dir" || die "could not unpack $deb"
	rm -rf "$dir/deb"
}

# configure <tree>: allnoconfig with the fragment forced, then check that
# every line of the fragment survived (a dependency missing from it would
# silently turn an option off).
configure() {
	local tree=$1 line name missing=0
	make -C "$tree" -s ARCH=x86_64 KCONFIG_ALLCONFIG="$fragment" allnoconfig >&2
	make -C "$tree" -s ARCH=x86_64 olddefconfig >&2
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) grep -qxF "$line" "$tree/.config" || { log "not in .config: $line"; missing=1; } ;;
		"# CONFIG_"*" is not set")
			name=${line#\# }
			name=${name%% *}
			! grep -q "^$name=" "$tree/.config" || { log "set in .config: $name"; missing=1; } ;;
		esac
	done <"$fragment"
	[ "$missing" = 0 ] || die "$fragment does not hold in the configured kernel (see above)"
}

# build <tree> <dir>: vmlinux, the bzImage and the modules, timed; modules installed into <dir>/root.
build() {
	local tree=$1 dir=$2 t0 kver
	t0=$(date +%s)
	log "building in $tree with $jobs jobs (nice 10); cold: about 4-5 min (500 s CPU) on 2 idle cores"
	nice -n 10 /usr/bin/time -v -o "$dir/time-v.txt" \
		make -C "$tree" -s ARCH=x86_64 -j"$jobs" vmlinux bzImage modules >&2 ||
		die "kernel build failed (log above)"
	kver=$(make -C "$tree" -s ARCH=x86_64 kernelrelease)
	rm -rf "$dir/root"
	make -C "$tree" -s ARCH=x86_64 INSTALL_MOD_PATH="$dir/root" DEPMOD=/usr/sbin/depmod \
		modules_install >&2
	[ -f "$dir/root/lib/modules/$kver/modules.dep" ] || die "modules_install gave no modules.dep"
	ln -sf linux-source-6.1/vmlinux "$dir/vmlinux"
	ln -sf linux-source-6.1/arch/x86/boot/bzImage "$dir/bzImage"
	{
		echo "wall_s=$(($(date +%s) - t0))"
		awk -F': ' '/User time/ {u=$2} /System time/ {s=$2}
			END {printf "user_s=%.0f\nsys_s=%.0f\ncpu_s=%.0f\n", u, s, u + s}' "$dir/time-v.txt"
		echo "jobs=$jobs"
	} >"$dir/build-time.txt"
	echo "$kver" >"$dir/.kver"
}
# --- end of build

cache_key() {
	local ver=$1
	{
		echo "linux-source-6.1 $ver"
		cat "$fragment"
		gcc --version | head -n1
		sed -n '/^# --- build (/,/^# --- end of build/p' "$0"
	} | sha256sum | cut -c1-12
}

main() {
	local ver key dir tree
	need_pkgs gcc make flex bison bc libelf-dev libssl-dev kmod xz-utils lz4 time
	ver=$(pick_source_version "$(guest_version)")
	key=$(cache_key "$ver")
	dir=$cache/kernel-debug-$key
	tree=$dir/linux-source-6.1
	mkdir -p "$dir"
	exec 9>"$dir/.lock"
	flock 9
	if [ ! -f "$dir/.done" ]; then
		log "linux-source-6.1 $ver into $dir"
		# An interrupted build goes on where it stopped (make is incremental).
		if [ "$(cat "$dir/.source-version" 2>/dev/null)" != "$ver" ] || [ ! -f "$tree/Makefile" ]; then
			rm -f "$dir/.source-version"
			unpack_source "$ver" "$dir"
			echo "$ver" >"$dir/.source-version"
		fi
		configure "$tree"
		build "$tree" "$dir"
		touch "$dir/.done"
		log "built in $(sed -n 's/^wall_s=//p' "$dir/build-time.txt") s wall," \
			"$(sed -n 's/^cpu_s=//p' "$dir/build-time.txt") s CPU"
	fi
	echo "KVER=$(cat "$dir/.kver")"
	echo "KDIR=$dir"
	echo "VMLINUX=$dir/vmlinux"
	echo "IMAGE=$dir/bzImage"
	echo "MODROOT=$dir/root"
	echo "HEADERS=$tree"
}

main
