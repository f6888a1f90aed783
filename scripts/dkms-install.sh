#!/usr/bin/env bash
# make dkms-install: register the driver's sources with DKMS and build and
# install it for a kernel (KVER, default the running one). DKMS rebuilds it
# for every new kernel that matches BUILD_EXCLUSIVE_KERNEL in dkms.conf.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
explain_exits

name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' dkms.conf)
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
kver=${KVER:-$(uname -r)}
src=/usr/src/$name-$version
[ -n "$name" ] && [ -n "$version" ] || die "dkms.conf has no PACKAGE_NAME/PACKAGE_VERSION"
[ -d "/lib/modules/$kver/build" ] || die "no headers for kernel $kver (/lib/modules/$kver/build)"

need_pkgs dkms
if dkms status -m "$name" -v "$version" | grep -q .; then
	dkms remove -m "$name" -v "$version" --all >/dev/null
fi
rm -rf "$src"
# The sources DKMS builds from: no KUnit suite, and none of the checkout's objects.
copy_module_sources "$src" && cp dkms.conf "$src/" || die "could not copy the sources into $src"
dkms add -m "$name" -v "$version"
dkms build -m "$name" -v "$version" -k "$kver"
dkms install -m "$name" -v "$version" -k "$kver"
dkms status -m "$name" -v "$version"
