#!/usr/bin/env bash
# Host test (TAP): what `modinfo lsi3108` tells an admin. The built module (make check builds it
# before the tests) names its author and a version, and that version is the one DKMS installs it
# under (dkms.conf's PACKAGE_VERSION), so `dkms status` and `modinfo` agree.
set -uo pipefail
export PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/../.." && pwd)
ko=$top/lsi3108.ko
echo "1..3"
if [[ ! -f $ko ]] || ! command -v modinfo >/dev/null; then
	for d in "modinfo: version" "modinfo: author" "modinfo version = dkms.conf PACKAGE_VERSION"; do
		echo "ok - $d # SKIP no built $ko (make module) or no modinfo"
	done
	exit 0
fi
field() { modinfo -F "$1" "$ko" 2>/dev/null; }
version=$(field version)
author=$(field author)
dkms=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
if [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then echo "ok 1 - modinfo: version $version"
else echo "not ok 1 - modinfo: version is '$version', want MAJOR.MINOR.PATCH"; fi
if [[ -n $author ]]; then echo "ok 2 - modinfo: author '$author'"
else echo "not ok 2 - modinfo: no author"; fi
if [[ -n $dkms && $version == "$dkms" ]]; then echo "ok 3 - modinfo version $version = dkms.conf PACKAGE_VERSION"
else echo "not ok 3 - modinfo version '$version' differs from dkms.conf PACKAGE_VERSION '$dkms'"; fi
