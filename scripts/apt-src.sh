# shellcheck shell=bash
# Source package lists for the QEMU build: `apt-get source qemu/bookworm` needs a deb-src entry
# for bookworm, which stock Debian 12 images do not have. This file derives one from the
# machine's own bookworm `deb` entries, in whichever layout apt has them:
#   - deb822 (/etc/apt/sources.list.d/*.sources; Debian's container and cloud images have
#     only this, and no /etc/apt/sources.list at all), and
#   - one-line (/etc/apt/sources.list and /etc/apt/sources.list.d/*.list).
# Source it; it defines functions only. Every function takes the apt configuration directory
# (normally /etc/apt) as $1, so tests can run it on a throwaway copy; none of them fails
# because a file of either layout is missing.

APT_SRC_NAME=lsi3108-src

# apt's configuration directory (normally /etc/apt; APT_CONFIG can point apt elsewhere).
apt_etc_dir() {
	local dir
	dir=$(eval "$(apt-config shell dir Dir::Etc/d)" && echo "${dir%/}") && [[ -d $dir ]] && echo "$dir"
}

# The deb822 files and the one-line files of an apt configuration directory, one a line.
apt_deb822_files() { compgen -G "$1/sources.list.d/*.sources" | grep -v "/$APT_SRC_NAME.sources\$" || true; }
apt_oneline_files() {
	[[ -f $1/sources.list ]] && echo "$1/sources.list"
	compgen -G "$1/sources.list.d/*.list" | grep -v "/$APT_SRC_NAME.list\$" || true
}

# True when some enabled entry already provides source packages.
apt_has_deb_src() {
	local f
	while read -r f; do
		[[ -n $f ]] || continue
		awk 'BEGIN { RS = ""; found = 0 }
		     !/\n[ \t]*Enabled:[ \t]*no/ && /(^|\n)Types:[^\n]*deb-src/ { found = 1 }
		     END { exit !found }' "$f" && return 0
	done < <(apt_deb822_files "$1")
	while read -r f; do
		[[ -n $f ]] || continue
		grep -qE '^[[:space:]]*deb-src[[:space:]]' "$f" && return 0
	done < <(apt_oneline_files "$1")
	return 1
}

# deb822 stanzas for source packages: each enabled bookworm stanza whose Types name `deb`,
# with its Types line replaced by `Types: deb-src` (URIs, Suites, Components and Signed-By kept).
apt_deb822_src() {
	local f
	while read -r f; do
		[[ -n $f ]] || continue
		awk 'BEGIN { RS = ""; ORS = "\n\n" }
		     /\n[ \t]*Enabled:[ \t]*no/ { next }
		     /(^|\n)Types:[^\n]*(^|[ \t])deb([ \t]|\n|$)/ && /(^|\n)Suites:[^\n]*bookworm/ {
		         sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f"
	done < <(apt_deb822_files "$1")
}

# One-line deb-src entries: each bookworm `deb` line with `deb` replaced by `deb-src`.
apt_oneline_src() {
	local f
	while read -r f; do
		[[ -n $f ]] || continue
		sed -n 's/^[[:space:]]*deb[[:space:]]\(.*bookworm.*\)/deb-src \1/p' "$f"
	done < <(apt_oneline_files "$1")
}

# Writes $1/sources.list.d/lsi3108-src.{sources,list} (only the non-empty ones) and prints the
# files written. Fails with a message naming the files read when there is no bookworm entry.
apt_write_src() {
	local dir=$1/sources.list.d deb822 oneline written=()
	deb822=$(apt_deb822_src "$1")
	oneline=$(apt_oneline_src "$1")
	if [[ -z $deb822 && -z $oneline ]]; then
		echo "no bookworm 'deb' entry in $1/sources.list, $dir/*.list or $dir/*.sources" \
			"to derive a deb-src entry from: add one for Debian 12 (bookworm)" >&2
		return 1
	fi
	mkdir -p "$dir" || return 1
	rm -f "$dir/$APT_SRC_NAME.sources" "$dir/$APT_SRC_NAME.list"
	if [[ -n $deb822 ]]; then
		printf '%s\n' "$deb822" >"$dir/$APT_SRC_NAME.sources" || return 1
		written+=("$dir/$APT_SRC_NAME.sources")
	fi
	if [[ -n $oneline ]]; then
		printf '%s\n' "$oneline" >"$dir/$APT_SRC_NAME.list" || return 1
		written+=("$dir/$APT_SRC_NAME.list")
	fi
	printf '%s\n' "${written[@]}"
}
