# Four threads race to append; with a short GIL switch interval the order in which they
# finish depends on the interleaving: under uniemu, on the seed.
import sys, threading
sys.setswitchinterval(1e-5)
order = []
def work(i):
    s = 0
    for k in range(20000):
        s += k
    order.append(i)
ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(order)
