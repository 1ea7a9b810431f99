# Four threads of CPU work; the result does not depend on the interleaving.
import threading
res = {}
def work(i):
    s = 0
    for k in range(30000):
        s += k * i
    res[i] = s
ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sorted(res.items()))
