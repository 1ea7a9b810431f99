# busybox nc as a server and a client on 127.0.0.1 in one run (a fixed port, unusual
# enough to be free natively; under uniemu it never reaches the host).
# The server's stdin stays open (a background job's would be /dev/null: EOF at once,
# and nc may stop before the client's line arrives).
sleep 3 | busybox nc -l -p 47391 > got.txt &
sleep 1
echo "hello over nc" | busybox nc 127.0.0.1 47391
echo "client: $?"
wait
echo "server: $?"
cat got.txt
rm -f got.txt
