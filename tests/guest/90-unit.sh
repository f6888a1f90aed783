#!/bin/sh
# 90-unit: the driver's KUnit suite (tests/kunit/lsi3108_test.c: the pure
# protocol logic of src/io.c, src/proto.c and the inlines of src/lsi3108.h)
# runs in the guest. Debian's kernels have no KUnit, so lsi3108_test.ko is
# built on tests/kunit/kunit_shim.h: loading it (which loads lsi3108.ko, whose
# exported code it tests) runs every case and prints KTAP to the kernel log
# (a kernel with KUnit, as the debug kernel, prints the same, without the
# top-level header for a module's suites). Each
# KUnit case becomes one result here, failing with the expectation that failed
# (file:line and values). A missing module, no KTAP, zero cases or fewer
# results than the KTAP plan fail. lsi3108 only: the tests are its code.
. /tests/lib.sh
MOD=lsi3108_test

if [ "$LSI_DRIVER" != lsi3108 ]; then
    plan 1
    tap_skip "KUnit suite of lsi3108" "driver is $LSI_DRIVER; the unit tests are lsi3108's (run with --driver lsi3108)"
    finish
fi

# The kernel log after a printk time: "<text>" per line, timestamps removed.
klog_after() {
    dmesg | awk -v t="$1" '
        { s = $0; sub(/^\[ */, "", s); ts = s; sub(/\].*/, "", ts) }
        ts + 0 > t + 0 { sub(/^\[[^]]*\] /, ""); print }'
}

[ -d "/sys/module/$MOD" ] && rmmod "$MOD"
t0=$(dmesg | tail -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
started=$(date +%s)
out=$(modprobe "$MOD" 2>&1)
rc=$?
took=$(($(date +%s) - started))
if [ "$rc" -ne 0 ] || [ ! -d "/sys/module/$MOD" ]; then
    plan 1
    bail "modprobe $MOD (status $rc: '$out'): the initramfs needs $MOD.ko (runner --module path/to/$MOD.ko)"
fi
klog_after "${t0:-0}" >/tmp/ktap.log

# KTAP (the top level and one level of subtests, i.e. suites and their
# cases) to one line per fact:
#   suites <n>                         top-level plan
#   suite <name> <n cases planned>     subtest header and plan
#   case <ok|not_ok> <suite>.<case> <diagnostics of the case, joined by ' | '>
#   end <ok|not_ok|skip> <suite>       a suite's result line
awk '
    function res(line,   st) {
        st = (line ~ /^not ok /) ? "not_ok" : "ok"
        sub(/^(not )?ok [0-9]+ (- )?/, "", line)
        return st " " line
    }
    /^(    )?KTAP version/ { ktap = 1; next }
    !ktap { next }
    /^1\.\.[0-9]+/ { print "suites", substr($1, 4); next }
    /^    # Subtest: / { suite = $0; sub(/^    # Subtest: /, "", suite); diag = ""; next }
    /^    1\.\.[0-9]+/ { sub(/^ */, ""); print "suite", suite, substr($0, 4); next }
    /^    (not )?ok [0-9]+/ {
        line = $0; sub(/^    /, "", line); r = res(line)
        split(r, f, " "); st = f[1]; rest = substr(r, length(st) + 2)
        name = rest; sub(/ .*/, "", name)
        directive = ""
        if (index(rest, "#")) { directive = rest; sub(/^[^#]*# */, "", directive) }
        if (directive ~ /^SKIP/) st = "skip"
        if (directive != "") diag = diag (diag == "" ? "" : " | ") directive
        print "case", st, suite "." name, diag
        diag = ""; next
    }
    /^    [^ ]/ || /^        / {
        d = $0; sub(/^ */, "", d)
        if (d !~ /^(KTAP version|# Subtest:|1\.\.)/) diag = diag (diag == "" ? "" : " | ") d
        next
    }
    /^(not )?ok [0-9]+/ {
        r = res($0); split(r, f, " "); st = f[1]; name = substr(r, length(st) + 2)
        if (name ~ /# *SKIP/) st = "skip"
        sub(/ .*/, "", name)
        print "end", st, name; next
    }
' /tmp/ktap.log >/tmp/ktap.facts
cat /tmp/ktap.log

cases=$(grep -c '^case ' /tmp/ktap.facts)
planned=$(awk '$1 == "suite" { n += $3 } END { print n + 0 }' /tmp/ktap.facts)
suites=$(awk '$1 == "suites" { print $2; exit }' /tmp/ktap.facts)
# The kernel's KUnit (the debug kernel) prints a module's suites without the
# top-level "KTAP version 1" and plan the shim prints: each suite then stands
# for itself, and there are as many as their headers.
if [ -z "$suites" ] && ! grep -q '^KTAP version' /tmp/ktap.log && grep -q '^    KTAP version' /tmp/ktap.log; then
    suites=$(grep -c '^suite ' /tmp/ktap.facts)
fi
ends=$(grep -c '^end ' /tmp/ktap.facts)

plan $((cases + 4))
expect_eq "modprobe $MOD ran the KUnit suites (${took} s)" 0 "$rc"
while read -r kind st name diag; do
    [ "$kind" = case ] || continue
    case "$st" in
        ok) tap_ok "KUnit $name" ;;
        skip) tap_skip "KUnit $name" "${diag:-skipped}" ;;
        *) tap_fail "KUnit $name: $(echo "${diag:-no diagnostics}" | cut -c1-700)" ;;
    esac
done </tmp/ktap.facts
if [ "$cases" -gt 0 ] && [ "$cases" -eq "$planned" ]; then
    tap_ok "KTAP: $cases case results, as planned"
else
    tap_fail "KTAP: $cases case results, $planned planned (must be equal and > 0; log: $(head -c 300 /tmp/ktap.log | tr '\n' '|'))"
fi
# Each suite's result line agrees with its cases (the shim's own bookkeeping).
bad=$(awk '
    $1 == "case" { s = $3; sub(/\..*/, "", s); if ($2 == "not_ok") fail[s] = 1; seen[s] = 1 }
    $1 == "end" { want = fail[$3] ? "not_ok" : "ok"; if ($2 != want && !($2 == "skip" && !fail[$3])) print $3 ": " $2 " but its cases say " want; ended[$3] = 1 }
    END { for (s in seen) if (!(s in ended)) print s ": no result line" }
' /tmp/ktap.facts)
if [ -n "$suites" ] && [ "$suites" -eq "$ends" ] && [ -z "$bad" ]; then
    tap_ok "KTAP: $ends suite result line(s), as planned, agreeing with their cases"
else
    tap_fail "KTAP: suites planned '${suites:-none}', result lines $ends; $(echo "$bad" | tr '\n' ' ')"
fi
out=$(rmmod "$MOD" 2>&1)
expect_eq "rmmod $MOD (output: '$out')" no "$([ -d "/sys/module/$MOD" ] && echo yes || echo no)"
finish
