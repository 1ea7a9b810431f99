# $1: the test data directory. tar through gzip and back.
tar czf w/x.tgz -C "$1" lorem.txt words.txt
tar tzvf w/x.tgz
gzip -dc w/x.tgz | wc -c
rm w/x.tgz
