# multiprocessing: a pool of forked workers (a SemLock in shared memory, pipes), and a
# duplex Pipe (a socketpair).
import multiprocessing as mp

def square(x):
    return x * x

def echo(conn):
    conn.send(conn.recv() * 2)
    conn.close()

if __name__ == '__main__':
    with mp.Pool(2) as pool:
        print(pool.map(square, range(8)))
    a, b = mp.Pipe()
    p = mp.Process(target=echo, args=(b,))
    p.start()
    a.send([1, 2])
    print(a.recv())
    p.join()
    print('exit', p.exitcode)
