# asyncio's event loop (its self-pipe is a socketpair), tasks and a subprocess.
import asyncio

async def tick(name, n, out):
    for i in range(n):
        await asyncio.sleep(0.001 * (i + 1))
        out.append((name, i))

async def main():
    out = []
    await asyncio.gather(tick('a', 3, out), tick('b', 2, out))
    proc = await asyncio.create_subprocess_exec('echo', 'from a subprocess', stdout=asyncio.subprocess.PIPE)
    data, _ = await proc.communicate()
    return sorted(out), data.decode().strip(), proc.returncode

print(asyncio.run(main()))
