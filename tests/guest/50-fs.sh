#!/bin/sh
# 50-fs: SYNCHRONIZE CACHE through sg_sync succeeds, a GPT label with one partition, wipefs, ext4,
# files with Traditional Chinese UTF-8 names written, read back after a
# remount with caches dropped, and a clean e2fsck.
. /tests/lib.sh
plan 10
need_driver

dev=$(ld_dev "$(ld_index fs)") || bail "fs LD has no disk"
part=${dev}1
mnt=/mnt/fs

# Entry names of a directory, sorted bytewise, space separated (busybox ls
# prints '?' for non-ASCII bytes, so use the shell's glob).
names_in() {
    local f
    for f in "$1"/*; do echo "${f##*/}"; done | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}

# --- SYNCHRONIZE CACHE (where it goes is 55-flush's business)
out=$(sg_sync "$dev" 2>&1)
expect_eq "sg_sync $dev exit status (output: '$out')" 0 "$?"

# --- GPT with one partition
printf 'label: gpt\n,,L\n' | sfdisk --quiet --wipe always "$dev"
udevadm settle --timeout=20
for i in $(seq 1 20); do [ -b "$part" ] && break; sleep 0.5; done
table=$(sfdisk -d "$dev" 2>&1)
echo "$table"
got="$(echo "$table" | sed -n 's/^label: *//p')/$(echo "$table" | grep -c "^${dev}[0-9]* :")"
expect_eq "sfdisk -d shows a gpt label with 1 partition" "gpt/1" "$got"
expect_eq "$part is a block device" yes "$([ -b "$part" ] && echo yes || echo no)"

# --- wipefs really removes a signature
mkfs.ext4 -q -F "$part" >/dev/null 2>&1
first=$(blkid -o value -s TYPE "$part")
wipefs -a -q "$part"
expect_eq "blkid TYPE after mkfs.ext4, then after wipefs -a" "ext4/" "$first/$(blkid -o value -s TYPE "$part")"

# --- ext4 with UTF-8 names
out=$(mkfs.ext4 -q -F "$part" 2>&1)
expect_eq "mkfs.ext4 $part (output: '$out') then blkid TYPE" ext4 "$(blkid -o value -s TYPE "$part")"
mkdir -p "$mnt"
mount -t ext4 "$part" "$mnt" || bail "mount -t ext4 $part $mnt failed"
text='繁體中文內容：這是一個測試。'
printf '%s\n' "$text" >"$mnt/測試檔案.txt"
mkdir "$mnt/資料夾"
random_file "$mnt/資料夾/繁體中文.bin" 4
bin_sha=$(sha_of "$mnt/資料夾/繁體中文.bin")
sync
umount "$mnt" || bail "umount $mnt failed"
echo 3 >/proc/sys/vm/drop_caches

mount -t ext4 "$part" "$mnt" || bail "second mount of $part failed"
expect_eq "names in / after remount" "lost+found 測試檔案.txt 資料夾" "$(names_in "$mnt")"
expect_eq "names in 資料夾/ after remount" "繁體中文.bin" "$(names_in "$mnt/資料夾")"
expect_eq "測試檔案.txt content after remount" "$text" "$(cat "$mnt/測試檔案.txt")"
expect_eq "資料夾/繁體中文.bin sha256 after remount" "$bin_sha" "$(sha_of "$mnt/資料夾/繁體中文.bin")"
umount "$mnt" || bail "final umount $mnt failed"

out=$(e2fsck -fn "$part" 2>&1)
rc=$?
echo "$out"
expect_eq "e2fsck -fn $part exit status (output: $(echo "$out" | tail -n 1))" 0 "$rc"
finish
