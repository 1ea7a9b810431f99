# $1: the test data directory.
set -e
a=1
while [ $a -le 3 ]; do echo n$a; a=$((a + 1)); done | tac
ls "$1/lsdir" | wc -l
exec /bin/echo "exec'd"
