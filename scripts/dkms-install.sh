#!/usr/bin/env bash
# make dkms-install: register the driver's sources with DKMS and build and
# install it for a kernel (KVER, default the running one). DKMS rebuilds it
# for every new kernel that matches BUILD_EXCLUSIVE_KERNEL in dkms.conf.
# Installing does not change which driver has the SAS3108s: where no choice
# was made yet, megaraid_sas keeps them (lsi3108-ctl use megaraid_sas) until
# the admin runs `lsi3108-ctl use lsi3108` (docs/driver.md, "Choosing the
# driver").
# --remove (make dkms-remove): the other way; refused while lsi3108 is the chosen driver.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
explain_exits

remove() {
	if grep -q '^install megaraid_sas' /etc/modprobe.d/lsi3108.conf 2>/dev/null; then
		die "SAS3108s are set to use lsi3108: run 'lsi3108-ctl use megaraid_sas' first (it rebuilds the initramfs), then remove"
	fi
	if command -v dkms >/dev/null && [ -n "$(dkms status -m "$name" -v "$version")" ]; then
		dkms remove -m "$name" -v "$version" --all
	fi
	rm -rf /usr/src/"$name"-* /usr/local/sbin/lsi3108-ctl /usr/local/share/man/man8/lsi3108-ctl.8 /etc/modprobe.d/lsi3108.conf \
		/etc/initramfs-tools/hooks/lsi3108
	echo "lsi3108 removed; megaraid_sas drives SAS3108s"
}

name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' dkms.conf)
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
kver=${KVER:-$(uname -r)}
if [ "${1:-}" = --remove ]; then
	remove
	exit 0
fi
src=/usr/src/$name-$version
[ -n "$name" ] && [ -n "$version" ] || die "dkms.conf has no PACKAGE_NAME/PACKAGE_VERSION"
[ -d "/lib/modules/$kver/build" ] || die "no headers for kernel $kver (/lib/modules/$kver/build)"

need_pkgs dkms
if [ -n "$(dkms status -m "$name" -v "$version")" ]; then
	dkms remove -m "$name" -v "$version" --all >/dev/null
fi
rm -rf "$src"
# The sources DKMS builds from: no KUnit suite, and none of the checkout's objects.
copy_module_sources "$src" && cp dkms.conf "$src/" || die "could not copy the sources into $src"
dkms add -m "$name" -v "$version"
dkms build -m "$name" -v "$version" -k "$kver"
dkms install -m "$name" -v "$version" -k "$kver"
dkms status -m "$name" -v "$version"
install -D -m 755 scripts/lsi3108-ctl /usr/local/sbin/lsi3108-ctl
install -D -m 644 docs/lsi3108-ctl.8 /usr/local/share/man/man8/lsi3108-ctl.8
if [ ! -e /etc/modprobe.d/lsi3108.conf ]; then
	# No initramfs changes: lsi3108 is in none yet, megaraid_sas in all.
	LSI3108_KVER=$kver /usr/local/sbin/lsi3108-ctl use megaraid_sas --no-update-initramfs >/dev/null ||
		die "could not record megaraid_sas as the SAS3108 driver (lsi3108-ctl use megaraid_sas)"
fi
echo "lsi3108 $version installed for $kver; SAS3108 drivers from the next boot:"
/usr/local/sbin/lsi3108-ctl driver | sed 's/^/  /'
echo "To make lsi3108 drive them: lsi3108-ctl use lsi3108 (back: lsi3108-ctl use megaraid_sas)"
