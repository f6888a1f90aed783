#!/usr/bin/env bash
# Host test (TAP): the model's LDs built from PDs, without a guest (QEMU stopped, -S, QMP only).
# An LD's state follows its members' (docs/model.md, "Physical disks"): RAID 10 degraded while
# every mirror pair keeps one member and offline once a pair lost both, RAID 5 degraded with one
# member lost and offline with two, RAID 0 offline with any; back to optimal when they return.
# And the configurations the model refuses, each with its message.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
qemu=${LSI3108_QEMU:-$top/build/qemu-system-x86_64}
echo "1..9"
if [[ ! -x $qemu ]]; then
	for i in $(seq 1 9); do echo "ok $i - LDs from PDs # SKIP no $qemu (bash qemu/build.sh)"; done
	exit 0
fi

# -blockdev/-device words for PD <id> and for LD <target> with extra options
pd() { echo "-blockdev driver=null-co,size=67108864,node-name=p$1 -device lsi3108-pd,id=pd$1,bus=mr0.0,drive=p$1,device-id=$1,slot=$1,state=online"; }
ld() { echo "-blockdev driver=null-co,size=67108864,node-name=l$1 -device lsi3108-ld,id=ld$1,bus=mr0.0,target=$1,drive=l$1,$2"; }
base="-machine q35 -nodefaults -display none -S -device lsi3108,id=mr0"

# Usage: run <qemu words> <op:path:prop[:value]>... — QEMU with QMP on stdio; each get prints
# the property's value, each refused set prints error; one line.
run() {
	local words=$1
	shift
	# shellcheck disable=SC2086 # the words
	python3 -c '
import json, subprocess, sys
qemu, words, cmds = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
p = subprocess.Popen([qemu] + words + ["-qmp", "stdio"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
def send(cmd, **args):
    p.stdin.write(json.dumps({"execute": cmd, "arguments": args}) + "\n"); p.stdin.flush()
    while True:
        line = p.stdout.readline()
        if not line:
            sys.exit("qemu: " + p.stderr.read().strip())
        r = json.loads(line)
        if "return" in r or "error" in r:
            return r
p.stdout.readline()
send("qmp_capabilities")
out = []
for c in cmds:
    op, path, prop, *val = c.split(":")
    path = "/machine/peripheral/" + path
    if op == "set":
        r = send("qom-set", path=path, property=prop, value=val[0])
        if "error" in r:
            out.append("error")
    else:
        out.append(str(send("qom-get", path=path, property=prop).get("return", "error")))
send("quit")
print(" ".join(out))
' "$qemu" "$words" "$@" 2>&1
}

# Usage: check <n> <description> <expected> <actual>
check() {
	if [[ $3 == "$4" ]]; then echo "ok $1 - $2"; else echo "not ok $1 - $2: expected '$3', got '$4'"; fi
}

r10="$base $(pd 0) $(pd 1) $(pd 2) $(pd 3) $(ld 0 pds=0:1:2:3,raid-level=10)"
got=$(run "$r10" get:ld0:x-state set:pd1:state:failed get:ld0:x-state set:pd2:state:failed \
	get:ld0:x-state set:pd0:state:failed get:ld0:x-state set:pd0:state:online set:pd1:state:rebuild \
	get:ld0:x-state set:pd1:state:online set:pd2:state:online get:ld0:x-state)
check 1 "RAID 10: optimal, one lost, one per pair lost, a pair lost, a pair back (rebuilding), all back" \
	"optimal degraded degraded offline degraded optimal" "$got"

r5="$base $(pd 4) $(pd 5) $(pd 6) $(ld 1 pds=4:5:6,raid-level=5,strip-kib=256)"
got=$(run "$r5" set:pd5:state:failed get:ld1:x-state set:pd6:state:unconfigured-good get:ld1:x-state \
	set:pd5:state:online set:pd6:state:online get:ld1:x-state)
check 2 "RAID 5: one lost, two lost, back" "degraded offline optimal" "$got"

r0="$base $(pd 7) $(pd 8) $(ld 2 pds=7:8,raid-level=0) $(ld 3 write-back=off)"
got=$(run "$r0" set:pd8:state:failed get:ld2:x-state get:ld3:x-state)
check 3 "RAID 0: one lost = offline; an LD without PDs stays optimal" "offline optimal" "$got"

r1="$base $(pd 9) $(ld 4 pds=9:10,raid-level=1)"
got=$(run "$r1" get:ld4:x-state)
check 4 "RAID 1 naming a device id no PD has: degraded" "degraded" "$got"

# Usage: refused <n> <description> <message> <qemu words>
refused() {
	local out
	# shellcheck disable=SC2086 # the words
	out=$(timeout 60 "$qemu" $4 2>&1 </dev/null)
	if [[ $out == *"$3"* ]]; then echo "ok $1 - refused: $2"; else echo "not ok $1 - $2: QEMU said '$out'"; fi
}
refused 5 "RAID 1 of three PDs" "needs an even number of pds" "$base $(ld 0 pds=1:2:3,raid-level=1)"
refused 6 "RAID level 6" "raid-level must be 0, 1, 5 or 10" "$base $(ld 0 pds=1:2:3:4,raid-level=6)"
refused 7 "a 48 KiB strip" "strip-kib must be a power of two" "$base $(ld 0 pds=1,strip-kib=48)"
refused 8 "two PDs with one device id" "device-id 3 is already used" \
	"$base $(pd 3) -blockdev driver=null-co,size=67108864,node-name=px -device lsi3108-pd,bus=mr0.0,drive=px,device-id=3"
refused 9 "a PD state the model does not know" "degraded" \
	"$base -blockdev driver=null-co,size=67108864,node-name=px -device lsi3108-pd,bus=mr0.0,drive=px,state=degraded"
