#!/usr/bin/env bash
# make check: build the model, the guest kernels and the driver, lint the
# driver, then run the whole guest suite on every bench variant with both
# drivers: upstream megaraid_sas (the fidelity peer) and lsi3108, after the
# host-side tests (tests/host/*.sh); and the core suite on Debian's 6.12
# kernel, both drivers again (CHECK_KERNELS in tests/bench/layout.py), in the
# same runner invocation. The runner prints the one closing line
# `N passed, N failed, N skipped, N recorded`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
explain_exits

# qemu-utils: qemu-img for the qcow2 LDs, before suites run side by side
need_pkgs python3 make gcc kmod qemu-utils
flock /tmp/lsi3108-qemu.lock bash qemu/build.sh >/dev/null

# The kernel of a series: Debian's (guest-kernel.sh), or for 6.1-debug the
# debug kernel built from Debian's source (debug-kernel.sh; built once, cached
# by its inputs). Prints KVER=, KDIR=, ..., HEADERS=.
kernel_of_series() {
	case "$1" in
	6.1-debug) bash scripts/debug-kernel.sh ;;
	*) bash scripts/guest-kernel.sh "$1" ;;
	esac
}

# lsi3108 and its KUnit suite for another kernel series, in build/<series>/: a
# copy of the sources (copy_module_sources: what did not change is not built
# again), built against that series' headers, leaving the checkout's 6.1 build
# alone. On the debug kernel, which has CONFIG_KUNIT, the suite is built on the
# kernel's KUnit (tests/kunit/ktest.h).
build_for_series() {
	local series=$1 dir=build/$1 kbuild
	kbuild=$(kernel_of_series "$series" | sed -n 's/^HEADERS=//p')
	[ -n "$kbuild" ] || die "no $series kernel headers"
	copy_module_sources "$dir" --with-tests || die "could not copy the sources into $dir"
	make --no-print-directory -C "$kbuild" M="$PWD/$dir" modules
}

debug_modules=(--series-module 6.1-debug="$PWD/build/6.1-debug/lsi3108.ko"
	--series-module 6.1-debug="$PWD/build/6.1-debug/lsi3108_test.ko")

# make check-debug (check.sh debug): only the debug-kernel variant, all of it
# (CHECK_DEBUG_KERNELS in tests/bench/layout.py).
if [ "${1:-}" = debug ]; then
	shift
	build_for_series 6.1-debug
	exec python3 tests/runner.py --matrix debug --jobs "${LSI3108_JOBS:-2}" "${debug_modules[@]}" \
		--driver megaraid_sas --driver lsi3108 "$@"
fi

# The Debian system the journey boots (tests/system/), cached by its inputs:
# built (debootstrap: mostly downloads and dpkg) while the rest builds.
bash scripts/debian-image.sh --prepare >/dev/null
mkdir -p build
bash scripts/debian-image.sh >build/debian-image.log 2>&1 &
image_pid=$!
eval "$(bash scripts/guest-kernel.sh 6.1)"
bash scripts/lint.sh
make --no-print-directory module KDIR="$HEADERS"
build_for_series 6.12
build_for_series 6.1-debug
wait "$image_pid" || { tail -n 30 build/debian-image.log >&2; die "the Debian system image failed (build/debian-image.log)"; }
# Suites side by side (runner --jobs): LSI3108_JOBS, default 2 (CI's cores).
exec python3 tests/runner.py --host-tests --matrix --jobs "${LSI3108_JOBS:-2}" \
	--kver "$KVER" --kernel-dir "$KDIR" \
	--module "$PWD/lsi3108.ko" --module "$PWD/lsi3108_test.ko" \
	--series-module 6.12="$PWD/build/6.12/lsi3108.ko" \
	--series-module 6.12="$PWD/build/6.12/lsi3108_test.ko" \
	"${debug_modules[@]}" --driver megaraid_sas --driver lsi3108 --system "$@"
