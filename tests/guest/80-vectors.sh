#!/bin/sh
# 80-vectors: the driver really uses several MSI-X vectors. fio runs 4k
# random reads and writes (libaio, O_DIRECT, QD16) on the scratch LD in two
# jobs, each pinned to its own CPU (cpus_allowed_policy=split), with crc32c
# verify of everything written. Every interrupt line of the controller
# (/sys/bus/pci/devices/<dev>/msi_irqs, counts from /proc/interrupts) is read
# before and after. The runner's LSI_EXPECT_VECTORS says what must rise:
#   all  at least two distinct vectors, and every vector whose affinity has
#        an online CPU (lsi3108: managed affinity, one reply queue per CPU)
#   two  at least two distinct vectors (megaraid_sas, which spreads its
#        vectors over all CPUs)
#   one  at least one (QEMU's megasas-gen2 completes on vector 0 only)
. /tests/lib.sh
need_driver
dev=$(ld_dev "$(ld_index scratch)") || bail "scratch LD has no disk"
host=$(driver_hosts | head -n 1)
pci=$(readlink -f "/sys/class/scsi_host/host$host/device/..")
[ -d "$pci/msi_irqs" ] || { plan 1; bail "$pci has no msi_irqs: the driver uses neither MSI nor MSI-X"; }
want=${LSI_EXPECT_VECTORS:-two}
case "$want" in
    one) min=1 ;;
    all | two) min=2 ;;
    *) plan 1; bail "unknown LSI_EXPECT_VECTORS '$want' (all | two | one)" ;;
esac

irqs=$(ls "$pci/msi_irqs" | sort -n)
# "<irq> <total count> <name>" for each of the device's interrupt lines.
snapshot() {
    local i
    for i in $irqs; do
        awk -v irq="$i:" -v ncpu="$(head -n 1 /proc/interrupts | wc -w)" '
            $1 == irq {
                n = 0; for (c = 2; c <= ncpu + 1; c++) n += $c
                print substr(irq, 1, length(irq) - 1), n, $NF; exit
            }' /proc/interrupts
    done
}
count_of() { echo "$1" | awk -v irq="$2" '$1 == irq { print $2 }'; }

before=$(snapshot)
echo "$before"
nvec=0
for i in $irqs; do
    mode=$(cat "$pci/msi_irqs/$i" 2>/dev/null)
    name=$(echo "$before" | awk -v irq="$i" '$1 == irq { print $3 }')
    tap_diag "IRQ $i: $mode, handler '${name:-none}', affinity $(cat /proc/irq/"$i"/smp_affinity_list 2>/dev/null), effective $(cat /proc/irq/"$i"/effective_affinity_list 2>/dev/null)"
    [ "$mode" = msix ] && [ -n "$name" ] && nvec=$((nvec + 1))
done

ncpu=$(cat /sys/devices/system/cpu/online)
size=$((32 * 1024 * 1024))
fio --name=vectors --filename="$dev" --rw=randrw --rwmixread=50 --bs=4k \
    --iodepth=16 --ioengine=libaio --direct=1 --numjobs=2 --size="$size" \
    --offset=256M --offset_increment=64M --cpus_allowed=0-1 \
    --cpus_allowed_policy=split --verify=crc32c --do_verify=1 \
    --verify_fatal=1 --verify_state_save=0 \
    --output-format=json --output=/tmp/fio.json
rc=$?
after=$(snapshot)
echo "$after"

# "<job> <error> <read io_bytes> <write io_bytes>" per job.
jobs=$(awk '
    function flush() { if (job != "") print job, err, b["read"] + 0, b["write"] + 0 }
    /"jobname"/ { flush(); job = $0; gsub(/.*: *"|",?$/, "", job); err = ""; delete b; section = "" }
    job != "" && /^ *"error" *:/ && err == "" { err = $0; gsub(/[^0-9]/, "", err) }
    job != "" && /^ *"(read|write|trim|sync)" *: *\{/ { section = $0; gsub(/[":{ ]/, "", section) }
    job != "" && section != "" && /"io_bytes" *:/ && !((section) in b) { v = $0; gsub(/[^0-9]/, "", v); b[section] = v }
    /"disk_util"/ { flush(); job = "" }
    END { flush() }
' /tmp/fio.json)
echo "$jobs"

plan $((4 + $(echo "$irqs" | wc -w)))
expect_eq "fio exit status (verify errors make it non-zero)" 0 "$rc"
expect_eq "fio: 2 jobs, each error 0 and bytes written (job error read write: $(echo "$jobs" | tr '\n' ';'))" \
    "2 of 2" "$(echo "$jobs" | awk '$2 == "0" && $4 > 0 { n++ } END { print n + 0 " of " NR }')"
rose=0
risen=
for i in $irqs; do
    b=$(count_of "$before" "$i")
    a=$(count_of "$after" "$i")
    delta=$((${a:-0} - ${b:-0}))
    [ "$delta" -gt 0 ] && { rose=$((rose + 1)); risen="$risen $i"; }
    eval "delta_$i=$delta"
done
expect_eq "the controller has $min or more MSI-X vectors with a handler ($nvec; online CPUs $ncpu)" yes \
    "$([ "$nvec" -ge "$min" ] && echo yes || echo no)"
expect_eq "at least $min distinct vector(s) rose under fio on both CPUs (rose:${risen:- none}; expectation $want)" yes \
    "$([ "$rose" -ge "$min" ] && echo yes || echo no)"
for i in $irqs; do
    eval "delta=\$delta_$i"
    name=$(echo "$after" | awk -v irq="$i" '$1 == irq { print $3 }')
    aff=$(cat /proc/irq/"$i"/smp_affinity_list 2>/dev/null)
    # Does the affinity list (e.g. 0-1,3) contain an online CPU?
    online=$(awk -v aff="$aff" -v on="$ncpu" '
        function expand(s, set,   n, p, i, r, lo, hi) {
            n = split(s, p, ",")
            for (i = 1; i <= n; i++) {
                if (split(p[i], r, "-") == 2) { lo = r[1]; hi = r[2] } else { lo = hi = p[i] }
                for (; lo <= hi && lo != ""; lo++) set[lo + 0] = 1
            }
        }
        BEGIN { expand(aff, a); expand(on, o); for (c in a) if (c in o) { print "yes"; exit } print "no" }')
    desc="IRQ $i ${name:-?} (affinity $aff) rose by $delta"
    if [ "$online" != yes ]; then
        tap_skip "$desc" "no online CPU in its affinity"
    elif [ "$want" = all ]; then
        expect_eq "$desc" yes "$([ "$delta" -gt 0 ] && echo yes || echo no)"
    elif [ "$delta" -gt 0 ]; then
        tap_ok "$desc"
    else
        tap_skip "$desc" "did not rise; only $min must (LSI_EXPECT_VECTORS=$want)"
    fi
done
rm -f /tmp/fio.json
finish
