#!/usr/bin/env bash
# Build qemu-system-x86_64 from Debian bookworm's QEMU 7.2 source with our LSI3108 model added.
# The configured tree is cached in $LSI3108_CACHE (default ~/.cache/lsi3108)/qemu-<key>/, where
# <key> hashes the Debian version, the configure arguments, TREE_FORMAT and devices.mak; model
# changes rebuild incrementally.
# Output: build/qemu-system-x86_64 in the checkout (a wrapper adding the firmware -L paths); its
# path is the only thing printed on stdout. See qemu/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HERE")
MODEL_DIR=${LSI3108_MODEL_DIR:-$HERE}
CACHE=${LSI3108_CACHE:-$HOME/.cache/lsi3108}
DEVICES_MAK=$HERE/devices.mak
BUILD_PKGS=(build-essential meson ninja-build pkgconf python3 libglib2.0-dev libpixman-1-dev
            zlib1g-dev libfdt-dev dpkg-dev)
RUN_PKGS=(seabios qemu-system-data)
FW_DIRS=(-L /usr/share/seabios -L /usr/share/qemu)
CONFIGURE_ARGS=(--target-list=x86_64-softmmu --without-default-features --without-default-devices
                --with-devices-x86_64=lsi3108 --enable-tcg --enable-kvm --enable-fdt=system
                --disable-docs --disable-tools --disable-guest-agent --disable-install-blobs
                --enable-plugins)
# Bump when the way the tree is unpacked or configured changes in a way the key does not see.
TREE_FORMAT=1
# a pyenv shim shadows python3 here; QEMU's configure must find the system python and meson
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH DEBIAN_FRONTEND=noninteractive

log() { echo "build.sh: $*" >&2; }
as_root() { if ((EUID == 0)); then "$@"; else sudo "$@"; fi; }
. "$TOP/scripts/lib.sh"
. "$TOP/scripts/apt-src.sh"
explain_exits
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

missing_pkgs() {
    local p
    for p in "$@"; do
        [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] || echo "$p"
    done
}

ensure_packages() {
    local missing
    mapfile -t missing < <(missing_pkgs "${BUILD_PKGS[@]}" "${RUN_PKGS[@]}")
    ((${#missing[@]} == 0)) && return
    log "installing ${missing[*]}"
    as_root apt-get update -qq || die "apt-get update failed"
    as_root apt-get install -y -qq "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
}

qemu_src_known() { [[ -n $(apt-cache showsrc qemu 2>/dev/null) ]]; }

# apt must know the qemu source package: if no enabled entry provides source packages, add
# deb-src copies of the machine's bookworm deb entries (scripts/apt-src.sh), then update.
ensure_deb_src() {
    local written etc
    qemu_src_known && return
    etc=$(apt_etc_dir) || die "apt-config does not say where apt's configuration is (Dir::Etc)"
    if ! apt_has_deb_src "$etc"; then
        written=$(as_root bash -c ". '$TOP/scripts/apt-src.sh' && apt_write_src '$etc'") ||
            die "could not add a deb-src entry for bookworm (see above)"
        log "added deb-src entries (copies of the bookworm deb entries): $(echo $written)"
    fi
    as_root apt-get update -qq || die "apt-get update failed (needed for the deb-src lists)"
    qemu_src_known || die "apt knows no source package 'qemu' after apt-get update; the deb-src entries in $etc do not serve bookworm's qemu"
}

# Candidate versions (no epoch), best first: what qemu/bookworm resolves to, then every
# non-backports version apt knows (fallback when the pinned one is not served).
candidate_versions() {
    apt-get source --print-uris -qq qemu/bookworm 2>/dev/null |
        sed -n "s/^'[^']*' qemu_\([^ ]*\)\.dsc .*/\1/p" || true
    apt-cache showsrc qemu | sed -n 's/^Version: \([0-9]*:\)\{0,1\}//p' | grep -v '~bpo' | sort -rV || true
}

# Download (once, into $CACHE/debsrc) the first candidate that works; prints its version.
fetch_source() {
    local v full
    mkdir -p "$CACHE/debsrc"
    for v in $(candidate_versions | awk '!seen[$0]++'); do
        [[ -f $CACHE/debsrc/qemu_$v.dsc ]] && { echo "$v"; return; }
        full=$(apt-cache showsrc qemu | sed -n "s/^Version: \(\([0-9]*:\)\{0,1\}$v\)$/\1/p" | head -1)
        log "downloading the qemu ${full:-$v} source package"
        if (cd "$CACHE/debsrc" && apt-get source -qq --download-only \
                -o APT::Sandbox::User=root "qemu=${full:-$v}" >&2); then
            echo "$v"; return
        fi
        log "qemu=${full:-$v} could not be downloaded, trying the next version"
    done
    die "could not download any qemu source package (see apt-get output above)"
}

unpack_source() { # $1 = version
    [[ -f $KEYDIR/.unpacked ]] && return
    rm -rf "$SRC"
    log "unpacking qemu $1 (applying Debian patches) into $SRC"
    dpkg-source --no-check --no-copy -x "$CACHE/debsrc/qemu_$1.dsc" "$SRC" >/dev/null ||
        die "dpkg-source -x failed for qemu_$1.dsc"
    ls "$SRC/hw/scsi" >"$KEYDIR/hw-scsi.orig"
    touch "$KEYDIR/.unpacked"
}

update_if_changed() { # $1 = new content file, $2 = target; replace target only if different
    if cmp -s "$1" "$2"; then rm -f "$1"; else mv -f "$1" "$2"; fi
}

# Replace (or append) the marked block $2 with content $3 in file $1; empty $3 removes it.
set_block() {
    local tmp
    tmp=$(mktemp "$1.XXXXXX")
    sed "/^# >>> $2\$/,/^# <<< $2\$/d" "$1" >"$tmp"
    [[ -z $3 ]] || printf '# >>> %s\n%s\n# <<< %s\n' "$2" "$3" "$2" >>"$tmp"
    chmod --reference="$1" "$tmp"
    update_if_changed "$tmp" "$1"
}

# Removes from hw/scsi the model files an earlier run copied there that the model no longer
# has (their names are kept in $KEYDIR/model-files), so a stale header cannot be included.
drop_stale_model_files() { # $@ = the names copied this time
    local old
    if [[ -f $KEYDIR/model-files ]]; then
        while read -r old; do
            [[ " $* " == *" $old "* ]] || { log "removing hw/scsi/$old (no longer in the model)"; rm -f "$SRC/hw/scsi/$old"; }
        done <"$KEYDIR/model-files"
    fi
    printf '%s\n' "$@" >"$KEYDIR/model-files"
}

add_model() {
    local scsi=$SRC/hw/scsi f cfiles=() files names=()
    for f in "$MODEL_DIR"/*.c "$MODEL_DIR"/*.h "$TOP/include/lsi3108_hw.h"; do
        [[ -f $f ]] || continue
        if grep -qxF "${f##*/}" "$KEYDIR/hw-scsi.orig"; then
            die "$f would overwrite QEMU's own hw/scsi/${f##*/}; rename it"
        fi
        cmp -s "$f" "$scsi/${f##*/}" || cp "$f" "$scsi/${f##*/}"
        names+=("${f##*/}")
        if [[ $f == *.c ]]; then cfiles+=("'${f##*/}'"); fi
    done
    drop_stale_model_files "${names[@]}"
    ((${#cfiles[@]})) || die "no *.c model files in $MODEL_DIR"
    files=$(IFS=,; echo "${cfiles[*]}")
    set_block "$scsi/meson.build" LSI3108 \
        "softmmu_ss.add(when: 'CONFIG_LSI3108', if_true: files(${files//,/, }))"
    set_block "$scsi/Kconfig" LSI3108 "config LSI3108
    bool
    default y if PCI_DEVICES
    depends on PCI && MSI_NONBROKEN
    select SCSI"
    set_block "$scsi/trace-events" LSI3108 "$(cat "$MODEL_DIR/trace-events" 2>/dev/null || true)"
}

configure_tree() {
    [[ -f $KEYDIR/.configured ]] && { T_CONF=cached; return; }
    local t0
    t0=$(now)
    rm -rf "$SRC/build" && mkdir -p "$SRC/build"
    cp "$DEVICES_MAK" "$SRC/configs/devices/x86_64-softmmu/lsi3108.mak"
    log "configuring (log: $SRC/build/configure.log)"
    (cd "$SRC/build" && ../configure "${CONFIGURE_ARGS[@]}") >"$SRC/build/configure.log" 2>&1 ||
        { tail -n 30 "$SRC/build/configure.log" >&2; die "QEMU configure failed"; }
    touch "$KEYDIR/.configured"
    T_CONF="$(since "$t0") s"
}

build_qemu() {
    local t0
    t0=$(now)
    log "ninja qemu-system-x86_64 in $SRC/build"
    # keep warnings and errors, drop the [n/N] progress lines
    ninja -C "$SRC/build" qemu-system-x86_64 2>&1 | sed '/^\[[0-9]*\/[0-9]*\] /d' >&2 ||
        die "QEMU build failed (see the ninja output above)"
    T_BUILD="$(since "$t0") s"
}

# TCG plugins of the bench (qemu/plugins/*.c), built against this tree's qemu-plugin.h into
# build/lib<name>.so in the checkout. QEMU loads one only when asked (-plugin).
build_plugins() {
    local c so
    for c in "$HERE"/plugins/*.c; do
        [[ -f $c ]] || continue
        so=$TOP/build/lib$(basename "$c" .c).so
        [[ $so -nt $c && $so -nt $SRC/include/qemu/qemu-plugin.h ]] && continue
        mkdir -p "$TOP/build"
        # shellcheck disable=SC2046  # pkg-config prints several words
        gcc -O2 -Wall -Wextra -Wno-unused-parameter -shared -fPIC -I"$SRC/include/qemu" \
            $(pkg-config --cflags glib-2.0) -o "$so.tmp" "$c" ||
            die "could not build the TCG plugin $c"
        mv -f "$so.tmp" "$so"
    done
}

# The wrapper runs the checkout's own copy of the binary: the tree in the cache is shared, and
# another checkout rebuilding it must not change the QEMU a suite running here starts next.
write_wrapper() {
    local out=$TOP/build/qemu-system-x86_64 bin=$TOP/build/qemu-system-x86_64.bin tmp
    mkdir -p "$TOP/build"
    if ! cmp -s "$SRC/build/qemu-system-x86_64" "$bin"; then
        cp "$SRC/build/qemu-system-x86_64" "$bin.tmp"
        mv -f "$bin.tmp" "$bin"
    fi
    tmp=$(mktemp "$out.XXXXXX")
    printf '#!/bin/sh\n# Generated by qemu/build.sh: real binary + firmware search paths.\nexec %q %s "$@"\n' \
        "$bin" "${FW_DIRS[*]}" >"$tmp"
    chmod 755 "$tmp"
    [[ -L $out ]] && rm -f "$out"
    update_if_changed "$tmp" "$out"
    echo "$out"
}

# --deb-src-only: just make apt know bookworm's qemu source package and print the version
# the build would download (tests/host/10-apt-sources.sh runs this with APT_CONFIG naming a throwaway apt configuration).
deb_src_only() {
    ensure_deb_src
    candidate_versions | head -n 1
}

main() {
    local t0 ver key d
    [[ ${1:-} != --deb-src-only ]] || { deb_src_only; return; }
    t0=$(now)
    [[ -f $DEVICES_MAK ]] || die "missing $DEVICES_MAK"
    [[ -d $MODEL_DIR ]] || die "model directory $MODEL_DIR does not exist"
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock"
    flock -n 9 || { log "waiting for another build.sh (lock $CACHE/.lock)"; flock 9; }
    ensure_packages
    ensure_deb_src
    ver=$(fetch_source)
    key=$( { echo "$ver $TREE_FORMAT ${CONFIGURE_ARGS[*]}"; cat "$DEVICES_MAK"; } | sha256sum | cut -c1-12)
    KEYDIR=$CACHE/qemu-$key SRC=$CACHE/qemu-$key/src
    mkdir -p "$KEYDIR"
    log "qemu $ver, key $key, model from $MODEL_DIR"
    unpack_source "$ver"
    add_model
    configure_tree
    build_qemu
    build_plugins
    write_wrapper
    log "qemu-system-x86_64: $SRC/build/qemu-system-x86_64"
    log "times: configure $T_CONF, build $T_BUILD, total $(since "$t0") s"
    for d in "$CACHE"/qemu-*; do
        [[ $d == "$KEYDIR" || ! -d $d ]] || log "stale tree (rm -rf it to free ~0.5 GB): $d"
    done
}

main "$@"
