#!/usr/bin/env bash
# Host test (TAP): `lsi3108-ctl use lsi3108|megaraid_sas`, the switch between the two drivers, on a
# throwaway root (LSI3108_ROOT) with two installed kernels: one with an lsi3108 build, one without.
# Checks what it writes (the modprobe.d install rule, the initramfs-tools hook and what that hook
# adds per kernel), that it runs update-initramfs for every kernel, that it refuses — changing
# nothing — when the running kernel has no build of the driver asked for, and that the switch back
# removes everything. The rule's effect on a real udev + kmod is tested in the guest (84-switch).
set -uo pipefail
export PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/../.." && pwd)
ctl=$top/scripts/lsi3108-ctl
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if [[ $2 == "$3" ]]; then ok "$1"; else fail "$1: got '$2', want '$3'"; fi; }

echo "1..14"
ko=$top/lsi3108.ko
mega=$(find "${LSI3108_CACHE:-$HOME/.cache/lsi3108}"/kernel-*/root/lib/modules -name 'megaraid_sas.ko*' 2>/dev/null | head -n 1)
if [[ ! -f $ko || -z $mega ]] || ! command -v depmod >/dev/null; then
	for i in $(seq 1 14); do echo "ok $i - driver switch # SKIP needs $ko (make module), a cached guest kernel and depmod"; done
	exit 0
fi

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
root=$t/root
with=6.1.0-test-amd64
without=6.1.0-old-amd64
for k in $with $without; do
	mkdir -p "$root/lib/modules/$k/kernel/drivers/scsi/megaraid"
	cp "$mega" "$root/lib/modules/$k/kernel/drivers/scsi/megaraid/"
done
mkdir -p "$root/lib/modules/$with/updates/dkms" "$t/bin"
cp "$ko" "$root/lib/modules/$with/updates/dkms/"
for k in $with $without; do
	touch "$root/lib/modules/$k/"{modules.order,modules.builtin,modules.builtin.modinfo}
done
for k in $with $without; do depmod -b "$root" "$k" || echo "# depmod -b $root $k failed"; done
printf '#!/bin/sh\necho "$*" >>%s/update-initramfs.log\n' "$t" >"$t/bin/update-initramfs"
chmod 755 "$t/bin/update-initramfs"
run() { LSI3108_ROOT=$root LSI3108_KVER=$1 PATH=$t/bin:$PATH sh "$ctl" "${@:2}"; }
conf=$root/etc/modprobe.d/lsi3108.conf
hook=$root/etc/initramfs-tools/hooks/lsi3108

# 1-2: refused on a running kernel without lsi3108, nothing written, no initramfs rebuilt.
out=$(run $without use lsi3108 2>&1); rc=$?
check "use lsi3108 on a kernel without an lsi3108 build is refused (exit 3)" "$rc" 3
if [[ ! -e $conf && ! -e $hook && ! -e $t/update-initramfs.log && $out == *"has no lsi3108 module"* ]]; then
	ok "the refusal changed nothing and says why ($out)"
else fail "the refusal left files or said '$out'"; fi

nextboot() { run "$1" driver | sed -n 's/^next: *//p' | sort | tr -s ' ' | paste -sd '|'; }
check "driver: with both installed and nothing chosen, it says so" "$(nextboot $with)" \
	"$without megaraid_sas (no lsi3108 build for this kernel)|$with either: both match, none chosen (lsi3108-ctl use ...)"

# 4-7: switched on.
out=$(run $with use lsi3108 2>&1); rc=$?
check "use lsi3108 on a kernel with a build succeeds" "$rc" 0
rule=$(grep -v '^#' "$conf" 2>/dev/null)
# shellcheck disable=SC2016 # the rule's $CMDLINE_OPTS is literal
check "modprobe.d: loading megaraid_sas loads lsi3108 first, then megaraid_sas itself" "$rule" \
	'install megaraid_sas /sbin/modprobe lsi3108 2>/dev/null; /sbin/modprobe --ignore-install megaraid_sas $CMDLINE_OPTS'
check "update-initramfs ran once, for every kernel" "$(cat "$t/update-initramfs.log" 2>/dev/null)" "-u -k all"
check "driver: the next boot gives lsi3108 where it is built, megaraid_sas elsewhere" "$(nextboot $with)" \
	"$without megaraid_sas (no lsi3108 build for this kernel)|$with lsi3108"

# 8-9: the hook (initramfs-tools' hook-functions replaced by a recorder) per kernel.
# The hook as written now, run for kernel $1 with initramfs-tools' hook-functions
# replaced by a recorder, and modinfo looking in the throwaway root: the modules it adds.
hook_adds() {
	sed "s#^\. /usr/share/initramfs-tools/hook-functions#manual_add_modules() { echo \"\$*\"; }; modinfo() { command modinfo -b $root \"\$@\"; }#" \
		"$hook" >"$t/hook" 2>/dev/null
	version=$1 sh "$t/hook" 2>/dev/null | paste -sd ' '
}
check "hook: a kernel with lsi3108 gets lsi3108 and megaraid_sas in its initramfs" \
	"$(hook_adds $with)" "megaraid_sas lsi3108"
check "hook: a kernel without it gets megaraid_sas only" "$(hook_adds $without)" "megaraid_sas"

# 10-14: back to megaraid_sas; bad arguments.
out=$(run $with use megaraid_sas 2>&1); rc=$?
check "use megaraid_sas succeeds" "$rc" 0
got="$(grep -v '^#' "$conf" 2>/dev/null); hook adds: $(hook_adds $with)"
check "use megaraid_sas: modprobe.d blacklists lsi3108 (modalias never picks it), the hook adds megaraid_sas only" \
	"$got" "blacklist lsi3108; hook adds: megaraid_sas"
check "driver: the next boot gives megaraid_sas everywhere" "$(nextboot $with)" \
	"$without megaraid_sas (no lsi3108 build for this kernel)|$with megaraid_sas"
check "update-initramfs ran again" "$(wc -l <"$t/update-initramfs.log")" 2
out=$(run $with use mpt3sas 2>&1); rc=$?
check "use with an unknown driver is a syntax error (exit 1)" "$rc" 1
