#!/usr/bin/env bash
# Host test (TAP): the Debian system's journey runs `make dkms-install` from the copy of the
# checkout the runner hands the guest (tests/bench/system.py, bench_tar()); every file the install
# script installs must be in that copy (a man page missing from it failed dkms-install half-way,
# after DKMS had installed the module and before the driver choice was recorded).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
echo "1..2"
names=$(cd "$top/tests" && python3 -c '
import io, tarfile
from bench.system import bench_tar
for n in tarfile.open(fileobj=io.BytesIO(bench_tar())).getnames():
    print(n)') || { echo "not ok 1 - bench_tar() failed"; echo "not ok 2 - # SKIP no tar"; exit 0; }
srcs=$(sed -nE 's/^[[:space:]]*install -D -m [0-7]+ ([^ ]+) .*/\1/p' "$top/scripts/dkms-install.sh")
missing=""
for f in $srcs; do
	grep -qx "lsi3108/$f" <<<"$names" || missing="$missing $f"
done
if [[ -n $srcs && -z $missing ]]; then
	echo "ok 1 - the journey's copy has every file dkms-install.sh installs ($(echo $srcs))"
else
	echo "not ok 1 - dkms-install.sh installs '$(echo $srcs)'; the journey's copy lacks:${missing:- (none found to check)}"
fi
need="lsi3108/dkms.conf lsi3108/Makefile lsi3108/Kbuild lsi3108/scripts/lib.sh lsi3108/scripts/dkms-install.sh"
missing=""
for f in $need; do grep -qx "$f" <<<"$names" || missing="$missing $f"; done
if [[ -z $missing ]] && grep -q '^lsi3108/src/.*\.c$' <<<"$names" && grep -q '^lsi3108/include/.*\.h$' <<<"$names"; then
	echo "ok 2 - and what make dkms-install runs and builds from (Makefile, dkms.conf, scripts, src/, include/)"
else
	echo "not ok 2 - the journey's copy lacks:$missing (or src/*.c, include/*.h)"
fi
