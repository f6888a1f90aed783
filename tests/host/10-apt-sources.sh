#!/usr/bin/env bash
# Host test (TAP): the set-up logic that makes apt know bookworm's qemu source package, on the
# two apt layouts Debian 12 machines have: deb822 only (/etc/apt/sources.list.d/*.sources, no
# sources.list: Debian's container and cloud images) and one-line only (classic sources.list).
#  1. scripts/apt-src.sh on fixture directories: what it writes, and what it refuses.
#  2. qemu/build.sh --deb-src-only, for real, with apt pointed (APT_CONFIG) at a copy of
#     /etc/apt holding only one layout, and at empty lists: apt must then resolve qemu/bookworm.
#     Nothing on the host is changed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/apt-src.sh
. "$top/scripts/apt-src.sh"
tmp=$(mktemp -d /tmp/lsi3108-apt.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; shift; printf '#   %s\n' "$@"; }
check() { # check <description> <expected> <actual>
	if [[ $2 == "$3" ]]; then ok "$1"; else not_ok "$1" "expected: ${2//$'\n'/⏎}" "got:      ${3//$'\n'/⏎}"; fi
}
echo "1..12"

# ---- 1. fixtures
stock822='Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'
want822='Types: deb-src
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'
fixture() { rm -rf "${tmp:?}/etc"; mkdir -p "$tmp/etc/sources.list.d"; }

fixture
printf '%s\n' "$stock822" >"$tmp/etc/sources.list.d/debian.sources"
printf 'Types: deb\nURIs: http://x/debian\nSuites: bookworm\nComponents: contrib\nEnabled: no\n' \
	>"$tmp/etc/sources.list.d/off.sources"
printf 'Types: deb\nURIs: http://x/debian\nSuites: trixie\nComponents: main\n' \
	>"$tmp/etc/sources.list.d/trixie.sources"
apt_has_deb_src "$tmp/etc" && has=yes || has=no
check "deb822 only: no deb-src entry seen" no "$has"
out=$(apt_write_src "$tmp/etc" 2>&1)
check "deb822 only: writes lsi3108-src.sources alone" "$tmp/etc/sources.list.d/lsi3108-src.sources" "$out"
check "deb822 only: deb-src copies of the enabled bookworm stanzas" "$want822" \
	"$(cat "$tmp/etc/sources.list.d/lsi3108-src.sources" 2>&1)"

fixture
printf '# comment\ndeb http://deb.debian.org/debian bookworm main\n  deb [signed-by=/k.gpg] http://deb.debian.org/debian-security bookworm-security main\ndeb http://x trixie main\n#deb http://y bookworm main\n' \
	>"$tmp/etc/sources.list"
out=$(apt_write_src "$tmp/etc" 2>&1)
check "one-line only: writes lsi3108-src.list alone" "$tmp/etc/sources.list.d/lsi3108-src.list" "$out"
check "one-line only: deb-src lines for the bookworm deb lines, options kept" \
	'deb-src http://deb.debian.org/debian bookworm main
deb-src [signed-by=/k.gpg] http://deb.debian.org/debian-security bookworm-security main' \
	"$(cat "$tmp/etc/sources.list.d/lsi3108-src.list" 2>&1)"

fixture
printf 'Types: deb deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n' \
	>"$tmp/etc/sources.list.d/debian.sources"
apt_has_deb_src "$tmp/etc" && has=yes || has=no
check "an existing deb-src type is seen (nothing to add)" yes "$has"

fixture
out=$(apt_write_src "$tmp/etc" 2>&1) && rc=0 || rc=$?
check "no entries at all: refused with a message naming what was read" \
	"1 no bookworm 'deb' entry in $tmp/etc/sources.list" "$rc ${out%%, *}"

# ---- 2. the real set-up step, per layout, in a private mount namespace
# The host's bookworm entries, as (uri, suites, components, signed-by) rows, whichever layout the
# host has: the live checks must reach the same mirror the host does.
host_rows() {
	python3 - <<'PY'
import glob, re
rows = []
for f in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    if f.endswith("/lsi3108-src.sources"):
        continue
    for stanza in re.split(r"\n\s*\n", open(f).read()):
        kv = dict((m.group(1).lower(), m.group(2).strip()) for m in
                  re.finditer(r"^([A-Za-z-]+):[ \t]*(.*)$", stanza, re.M))
        if kv.get("enabled", "yes") == "no" or "deb" not in kv.get("types", "").split():
            continue
        if "bookworm" in kv.get("suites", ""):
            rows.append((kv["uris"].split()[0], kv["suites"], kv.get("components", "main"), kv.get("signed-by", "")))
for f in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(f).read().splitlines()
    except OSError:
        continue
    for line in lines:
        m = re.match(r"\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S*bookworm\S*)\s+(.*)", line)
        if m:
            sb = re.search(r"signed-by=(\S+)", m.group(1) or "")
            rows.append((m.group(2), m.group(3), m.group(4), sb.group(1) if sb else ""))
for r in rows:
    print("\t".join(r))
PY
}

# make_etc <layout> <dir>: a copy of /etc/apt with the host's entries in one layout only.
make_etc() {
	local layout=$1 dir=$2 uri suites comps sb s
	rm -rf "$dir" && cp -a /etc/apt "$dir" || return 1
	rm -f "$dir/sources.list" "$dir"/sources.list.d/*.list "$dir"/sources.list.d/*.sources
	while IFS=$'\t' read -r uri suites comps sb; do
		if [[ $layout == deb822 ]]; then
			printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: %s\n' "$uri" "$suites" "$comps"
			[[ -z $sb ]] || printf 'Signed-By: %s\n' "$sb"
			echo
		else
			for s in $suites; do
				printf 'deb %s%s %s %s\n' "${sb:+[signed-by=$sb] }" "$uri" "$s" "$comps"
			done
		fi
	done < <(host_rows) >"$dir/$( [[ $layout == deb822 ]] && echo sources.list.d/debian.sources || echo sources.list)"
}

# with_apt <etc-dir> <command...>: run with apt configured from that directory, with empty lists
# and cache of its own (APT_CONFIG: what a user's apt sees is untouched; no root filesystem,
# mount namespace or chroot trick needed, so it works in containers and chroots too).
with_apt() {
	local etc=$1 state
	shift
	state=$(mktemp -d "$tmp/state.XXXXXX") && mkdir -p "$state/lists/partial" "$state/cache" || return 1
	printf 'Dir::Etc "%s/";\nDir::State::Lists "%s/lists/";\nDir::Cache "%s/cache/";\nAPT::Sandbox::User "root";\n' \
		"$etc" "$state" "$state" >"$state/apt.conf"
	APT_CONFIG=$state/apt.conf "$@"
}

if [[ $EUID -ne 0 ]] || [[ -z $(host_rows) ]]; then
	for l in deb822 one-line; do
		ok "$l: build.sh --deb-src-only from an empty apt state # SKIP needs root and a bookworm entry on the host"
		ok "$l: writes only its own layout's file # SKIP"
	done
	ok "no sources: build.sh names the problem # SKIP"
	exit 0
fi

for layout in deb822 one-line; do
	etc=$tmp/etc-$layout
	make_etc "$layout" "$etc"
	ver=$(with_apt "$etc" env LSI3108_CACHE="$tmp/cache" bash "$top/qemu/build.sh" --deb-src-only \
		2>"$tmp/err-$layout")
	if [[ $ver == 7.2+dfsg-* ]]; then
		ok "$layout: build.sh --deb-src-only resolves qemu/bookworm ($ver) from an empty apt state"
	else
		not_ok "$layout: build.sh --deb-src-only resolves qemu/bookworm" "printed: '$ver'" \
			"$(tail -n 5 "$tmp/err-$layout")"
	fi
	want=$([[ $layout == deb822 ]] && echo lsi3108-src.sources || echo lsi3108-src.list)
	check "$layout: writes only its own layout's file" "$want" \
		"$(cd "$etc/sources.list.d" && ls lsi3108-src.* 2>&1 | tr '\n' ' ' | sed 's/ $//')"
done

etc=$tmp/etc-none
cp -a /etc/apt "$etc" && rm -f "$etc/sources.list" "$etc"/sources.list.d/*.list "$etc"/sources.list.d/*.sources
with_apt "$etc" env LSI3108_CACHE="$tmp/cache" bash "$top/qemu/build.sh" --deb-src-only \
	>/dev/null 2>"$tmp/err-none" && rc=0 || rc=$?
if [[ $rc -ne 0 ]] && grep -q "no bookworm 'deb' entry" "$tmp/err-none"; then
	ok "no sources: build.sh fails (exit $rc) and names the problem"
else
	not_ok "no sources: build.sh fails and names the problem" "exit $rc" "$(tail -n 3 "$tmp/err-none")"
fi
