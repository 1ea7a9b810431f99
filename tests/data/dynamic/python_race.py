# Which thread finishes its loop first depends on the interleaving: under uniemu,
# on the seed.
import threading
order = []
def work(i):
    s = 0
    for k in range(2000 * (i + 1) % 5000 + 1000):
        s += k
    order.append(i)
ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(order)
