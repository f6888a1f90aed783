#!/usr/bin/env bash
# Host test (TAP): the runner's own TAP is what a TAP consumer (CI) reads. A result whose text
# spans lines (a console tail, the kernel lines of a test) keeps its "# TODO" directive on the
# result line, its details follow as "  |" lines, and nothing else in the stream starts with
# "ok"/"not ok". A recorded (todo) result read back is todo, a failure is a failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
echo "1..4"
out=$(cd "$top/tests" && python3 - <<'PY'
from bench.results import Results, tap_status
r = Results()
r.add("todo", "[m] 95-garbage: guest died; console tail:\n  | [ 8.9] Oops\n  | [ 9.0] Kernel Offset: disabled # TODO upstream", ok=False)
r.add("todo", "[m] kernel log while 96-fuzz ran: 2 bad line(s):\n  | a\n  | b\n# TODO upstream", ok=False)
r.add("fail", "[l] kernel log while 30-dd ran: 1 bad line(s):\n  | BUG: x")
r.add("todo", "[m] recorded, no reason given", ok=True)
PY
)
results=$(grep -E '^(not )?ok\b' <<<"$out")
details=$(grep -vE '^(not )?ok\b' <<<"$out")
n=$(wc -l <<<"$results")
if [[ $n -eq 4 ]]; then echo "ok 1 - 4 results, 4 result lines"
else echo "not ok 1 - 4 results printed as $n result lines:"; sed 's/^/  | /' <<<"$out"; fi
todo=$(grep -cE '^not ok [12] - .* # TODO upstream$' <<<"$results")
if [[ $todo -eq 2 ]]; then echo "ok 2 - the multi-line recorded results carry '# TODO upstream' on their result line"
else echo "not ok 2 - $todo of 2 multi-line recorded results carry the directive on their line:"; sed 's/^/  | /' <<<"$out"; fi
if [[ -z $(grep -v '^  | ' <<<"$details") ]] && grep -q '^  | BUG: x$' <<<"$details"; then
	echo "ok 3 - every detail line starts with '  | '"
else echo "not ok 3 - detail lines not all '  | ':"; sed 's/^/  | /' <<<"$details"; fi
back=$(cd "$top/tests" && python3 -c '
import sys
from bench.results import tap_status
print(" ".join(tap_status(l)[0] for l in sys.stdin.read().splitlines()))' <<<"$results")
if [[ $back == "todo todo fail todo" ]]; then echo "ok 4 - read back: $back"
else echo "not ok 4 - read back as '$back', want 'todo todo fail todo'"; fi
