#!/usr/bin/env bash
# make lint: build the driver and its KUnit suite with W=1 and sparse (C=2,
# endian checks) against the Debian 6.1 and 6.12 headers, and run checkpatch
# --strict on the driver sources, the shared header and the suite
# (tests/kunit/). Any warning fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
explain_exits

SOURCES=(src/*.c src/*.h include/*.h tests/kunit/*.c tests/kunit/*.h)

checkpatch_dir() {
	local dir="$LSI3108_CACHE/checkpatch"
	if [ ! -x "$dir/checkpatch.pl" ]; then
		need_pkgs linux-source-6.1
		mkdir -p "$dir"
		local tarball
		tarball=$(ls /usr/src/linux-source-6.1*.tar.xz | head -n1)
		tar -xJf "$tarball" -C "$dir" --strip-components=2 --wildcards \
			'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
			'*/scripts/const_structs.checkpatch'
	fi
	echo "$dir"
}

# Builds a scratch copy, so linting never touches the checkout's build.
lint_build() {
	local kdir=$1 tmp log
	tmp=$(mktemp -d)
	log=$tmp/build.log
	copy_module_sources "$tmp" --with-tests || die "could not copy the sources into $tmp"
	if ! make -C "$kdir" M="$tmp" W=1 C=2 CF="-D__CHECK_ENDIAN__" modules >"$log" 2>&1; then
		cat "$log"
		die "build failed against $kdir (scratch copy kept in $tmp)"
	fi
	if grep -E 'warning:|error:' "$log"; then
		die "warnings against $kdir (above; scratch copy kept in $tmp)"
	fi
	rm -rf "$tmp"
	echo "lint: W=1 C=2 clean against $kdir"
}

main() {
	need_pkgs sparse
	local kdir
	for series in 6.1 6.12; do
		kdir=$(bash scripts/guest-kernel.sh "$series" | sed -n 's/^HEADERS=//p')
		[ -n "$kdir" ] || die "no $series kernel headers"
		lint_build "$kdir"
	done
	local cp
	cp=$(checkpatch_dir)
	# --no-tree cannot tell the kernel's own CamelCase names (Scsi_Host)
	# from new ones, so CAMELCASE is left out.
	# src/compat.h is the one place allowed to test LINUX_VERSION_CODE.
	# checkpatch exits 1 on any warning (that one too): the log decides.
	local rc=0
	perl "$cp/checkpatch.pl" --strict --no-tree --terse --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,CAMELCASE -f "${SOURCES[@]}" \
		>/tmp/lsi3108-checkpatch.raw || rc=$?
	[ "$rc" -le 1 ] || die "checkpatch failed to run (exit status $rc)"
	grep -v '^src/compat\.h:[0-9]*: WARNING:LINUX_VERSION_CODE:' /tmp/lsi3108-checkpatch.raw |
		tee /tmp/lsi3108-checkpatch.log || true
	rm -f .checkpatch-camelcase.*
	if grep -qE ': (ERROR|WARNING|CHECK):' /tmp/lsi3108-checkpatch.log; then
		die "checkpatch --strict found problems (above)"
	fi
	echo "lint: checkpatch --strict clean (${#SOURCES[@]} files)"
}

main "$@"
