#!/bin/sh
# 40-fio: 256 MiB (LSI_FIO_MIB) of 4k random writes at QD32 (libaio,
# O_DIRECT) with crc32c verify headers, then fio reads everything back and
# verifies it.
. /tests/lib.sh
plan 4
need_driver

dev=$(ld_dev "$(ld_index fs)") || bail "fs LD has no disk"
size=$((${LSI_FIO_MIB:-256} * 1024 * 1024))
fio --name=verify --filename="$dev" --rw=randwrite --bs=4k --iodepth=32 \
    --ioengine=libaio --direct=1 --size="$size" --verify=crc32c --do_verify=1 \
    --verify_fatal=1 --verify_state_save=0 --output-format=json --output=/tmp/fio.json
rc=$?
cat /tmp/fio.json

# "<section> <key> <value>" for the numbers in the first job's read/write sections.
stats=$(awk '
    /"jobs"/ { injobs = 1 }
    injobs && /^ *"(read|write|trim|sync)" *: *\{/ { gsub(/[":{ ]/, ""); section = $0 }
    injobs && section != "" && /"(io_bytes|total_ios)" *:/ {
        line = $0; gsub(/[",]/, "", line); split(line, kv, ":")
        gsub(/ /, "", kv[1]); gsub(/ /, "", kv[2])
        if (!((section, kv[1]) in seen)) { seen[section, kv[1]] = 1; print section, kv[1], kv[2] }
    }
    injobs && /^ *"error" *:/ && err == "" { line = $0; gsub(/[^0-9]/, "", line); err = line; print "job error", err }
' /tmp/fio.json)
echo "$stats"
get() { echo "$stats" | awk -v s="$1" -v k="$2" '$1 == s && $2 == k { print $3; exit }'; }

expect_eq "fio exit status" 0 "$rc"
expect_eq "fio job error (verify errors make it non-zero)" 0 "$(get job error)"
expect_eq "bytes written" "$size" "$(get write io_bytes)"
expect_eq "bytes read back and verified" "$size" "$(get read io_bytes)"
rm -f /tmp/fio.json
finish
