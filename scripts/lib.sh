# shellcheck shell=bash
# Helpers shared by the host-side scripts. Source it; it defines functions only.

: "${LSI3108_CACHE:=$HOME/.cache/lsi3108}"
export LSI3108_CACHE

# die <message>: the script's name, the message, exit 1.
die() {
	echo "${0##*/}: error: $*" >&2
	LSI3108_SAID_WHY=1
	exit 1
}

# A script that calls explain_exits never stops silently: when set -e ends it, the command it
# stopped at is named on stderr (unless die() already said why). explain_exit <status> <command>
# is the trap body, for scripts whose own EXIT trap must do more.
LSI3108_SAID_WHY=0
explain_exit() {
	((${1} == 0 || LSI3108_SAID_WHY)) || echo "${0##*/}: stopped (exit $1) at: $2" >&2
}
explain_exits() {
	trap 'explain_exit $? "$BASH_COMMAND"' EXIT
}

# copy_module_sources <dir> [--with-tests]: the module's sources (Kbuild, src/*.[ch],
# include/*.h), and with --with-tests its KUnit suite (tests/kunit/), into <dir> — never the
# checkout's objects. cp -a keeps the files' times, so a build there again compiles only what
# changed. Run from the top of the checkout.
copy_module_sources() {
	local dir=$1
	mkdir -p "$dir/src" "$dir/include" || return 1
	cp -a Kbuild "$dir/" && cp -a src/*.c src/*.h "$dir/src/" && cp -a include/*.h "$dir/include/" ||
		return 1
	[ "${2:-}" = --with-tests ] || return 0
	mkdir -p "$dir/tests/kunit" && cp -a tests/kunit/*.c tests/kunit/*.h "$dir/tests/kunit/"
}

# Install Debian packages that are missing (apt-get update once, if needed).
# Another apt/dpkg at work (a parallel install, unattended-upgrades on a
# fresh machine) is waited for, up to 10 minutes, not taken for a failure.
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing: ${missing[*]}" >&2
	local wait=(-o DPkg::Lock::Timeout=600)
	if ! DEBIAN_FRONTEND=noninteractive apt-get "${wait[@]}" install -y -qq "${missing[@]}" >/dev/null; then
		apt-get "${wait[@]}" update -qq >&2
		DEBIAN_FRONTEND=noninteractive apt-get "${wait[@]}" install -y -qq "${missing[@]}" >/dev/null ||
			die "apt-get install ${missing[*]} failed"
	fi
}
