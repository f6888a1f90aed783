#!/usr/bin/env bash
# make run: build everything, boot the model with the driver, show the disks
# (lsscsi, sg_inq, a short fio), power off. DRIVER=megaraid_sas boots the
# upstream driver instead; SHELL_ON=1 leaves an interactive shell.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
explain_exits

driver=${DRIVER:-lsi3108}
need_pkgs python3 make gcc kmod qemu-utils
flock /tmp/lsi3108-qemu.lock bash qemu/build.sh >/dev/null
eval "$(bash scripts/guest-kernel.sh 6.1)"
make --no-print-directory module KDIR="$HEADERS"
mode=(--run demo)
[ -n "${SHELL_ON:-}" ] && mode=(--interactive)
exec python3 tests/runner.py --kver "$KVER" --kernel-dir "$KDIR" \
	--module "$PWD/lsi3108.ko" --driver "$driver" "${mode[@]}"
