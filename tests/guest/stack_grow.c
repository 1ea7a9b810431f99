/* Stack growth: the stack grows on demand far below its first mapping, across many
 * growth steps, from instructions of every kind (push, call, stores into large local
 * arrays, string instructions) and from system calls writing into stack buffers never
 * touched before. Every frame checks its bytes and its return after its callees ran.
 * Under uniemu the stack once grew at a fault whose instruction was guessed, and an
 * earlier push in the same block ran twice: a function returned to address 0. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long checked;

/* A frame of n bytes, filled with a pattern of its depth; calls deeper, then checks. */
__attribute__((noinline)) static unsigned frame(int depth, size_t n);

__attribute__((noinline)) static unsigned check(const volatile unsigned char *p, size_t n, int depth)
{
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(depth * 31 + i * 7)) bad++;
    checked += n;
    return bad;
}

#define FRAME(size)                                                                 \
    __attribute__((noinline)) static unsigned frame_##size(int depth)              \
    {                                                                               \
        volatile unsigned char buf[size];                                           \
        for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(depth * 31 + i * 7); \
        unsigned bad = depth > 0 ? frame(depth - 1, depth * 7919u) : 0;            \
        return bad + check(buf, sizeof buf, depth);                                \
    }
FRAME(4000)
FRAME(20000)
FRAME(65536)
FRAME(70001)
FRAME(131072)
FRAME(200003)

__attribute__((noinline)) static unsigned frame(int depth, size_t n)
{
    switch (n % 6) {
    case 0: return frame_4000(depth);
    case 1: return frame_20000(depth);
    case 2: return frame_65536(depth);
    case 3: return frame_70001(depth);
    case 4: return frame_131072(depth);
    default: return frame_200003(depth);
    }
}

/* A big frame whose first touch is the call's push (memset of the array below it). */
__attribute__((noinline)) static unsigned big_then_call(int k)
{
    char buf[300000];
    memset(buf, k, sizeof buf);
    unsigned bad = 0;
    for (size_t i = 0; i < sizeof buf; i++) bad += buf[i] != (char)k;
    return bad;
}

/* System calls into stack memory never touched: the kernel grows the stack for them. */
__attribute__((noinline)) static int pipe_through_stack(void)
{
    int fds[2];
    if (pipe(fds)) return -1;
    char out[65536], in[65536];   /* as LTP's epoll_wait01: a pipe filled to 64 KiB */
    for (size_t i = 0; i < sizeof out; i++) out[i] = (char)(i * 13 + 1);
    ssize_t w = write(fds[1], out, sizeof out);
    ssize_t r = read(fds[0], in, sizeof in);
    close(fds[0]);
    close(fds[1]);
    return w == (ssize_t)sizeof out && r == w && !memcmp(in, out, sizeof in) ? 0 : 1;
}

__attribute__((noinline)) static long read_into_untouched(void)
{
    int fds[2];
    if (pipe(fds)) return -1;
    char msg[] = "into a stack buffer no instruction touched";
    write(fds[1], msg, sizeof msg);
    char far[900000];   /* read() writes its first bytes 900 KB below this frame */
    long n = read(fds[0], far, sizeof msg);
    close(fds[0]);
    close(fds[1]);
    return n == (long)sizeof msg && !memcmp(far, msg, sizeof msg) ? n : -2;
}

int main(int argc, char **argv)
{
    int depth = argc > 1 ? atoi(argv[1]) : 40;   /* fewer frames where each instruction is traced */
    printf("pipe through the stack: %d\n", pipe_through_stack());
    printf("read into untouched stack: %ld\n", read_into_untouched());
    printf("big frame then call: %u bad\n", big_then_call(5));
    unsigned bad = frame(depth, 5);
    printf("%d frames: %u bad bytes, %lu checked\n", depth, bad, checked);
    return bad ? 1 : 0;
}
