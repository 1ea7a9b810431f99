# Shell script for busybox ash that needs no fork(): builtins only.
for i in 1 2 3; do
    echo "i=$i"
done
x=6
echo "x*7 = $((x * 7))"
s="hello world"
echo "${s#hello }" "${#s}"
printf '%s|%5d|%-4s|\n' done 42 ab
f() { echo "function got $# args: $*"; return 3; }
f a b c
echo "status $?"
case "$s" in hello*) echo matched ;; *) echo nomatch ;; esac
read -r line < "${0%/*}/lsdir/alpha.txt"
echo "read: $line"
test -d / && echo "root is a dir"
[ -e /nonexistent ] || echo "nonexistent missing"
exit 42
