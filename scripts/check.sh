#!/usr/bin/env bash
# make check: build the model, the guest kernel and the driver, lint the
# driver, then run the whole guest suite on every bench variant with both
# drivers: upstream megaraid_sas (the fidelity peer) and lsi3108, after the
# host-side tests (tests/host/*.sh). The runner prints the one closing line
# `N passed, N failed, N skipped, N recorded`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
explain_exits

need_pkgs python3 make gcc kmod
flock /tmp/lsi3108-qemu.lock bash qemu/build.sh >/dev/null
eval "$(bash scripts/guest-kernel.sh 6.1)"
bash scripts/lint.sh
make --no-print-directory module KDIR="$HEADERS"
exec python3 tests/runner.py --host-tests --matrix --kver "$KVER" --kernel-dir "$KDIR" \
	--module "$PWD/lsi3108.ko" --module "$PWD/lsi3108_test.ko" \
	--driver megaraid_sas --driver lsi3108 "$@"
