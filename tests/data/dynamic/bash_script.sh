# $1: the test data directory. Functions, command substitution, subshells, pipelines,
# loops, traps and redirections.
trap 'echo trapped EXIT' EXIT
f() { echo "f: $*"; return 3; }
f a b; echo "rc=$?"
x=$(echo sub | tr a-z A-Z); echo "$x"
(cd / && pwd)
sort "$1/words.txt" | uniq | head -n 3
for i in 1 2 3; do echo "$i"; done | paste -sd+
echo done > w/out; cat < w/out; rm w/out
trap 'echo got USR1' USR1
kill -USR1 $$
echo "$((6 * 7))" "${#x}" "${x,,}"
{ echo to-stderr >&2; } 2>&1
wait
exit 5
