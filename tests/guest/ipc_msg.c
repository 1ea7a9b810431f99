/* System V message queues: send and receive by type (0, >0, <0, MSG_EXCEPT),
 * MSG_NOERROR and E2BIG, IPC_NOWAIT, blocking receive and blocking send (full queue)
 * between parent and child, IPC_STAT counts, IPC_SET of msg_qbytes, EIDRM for a
 * waiter whose queue is removed, EINTR for one a signal interrupts. No raw ids printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

struct m { long type; char text[64]; };

static void on_alarm(int sig) { (void)sig; }

static void check(const char *what, long r)
{
    if (r < 0) printf("%s: %s\n", what, strerror(errno));
    else printf("%s: %ld\n", what, r);
}

static int snd(int q, long type, const char *s, int flg)
{
    struct m b = { type, "" };
    strcpy(b.text, s);
    return msgsnd(q, &b, strlen(s) + 1, flg);
}

static void rcv(int q, long type, int flg, size_t sz)
{
    struct m b;
    memset(&b, 0, sizeof b);
    long n = msgrcv(q, &b, sz, type, flg);
    if (n < 0) printf("msgrcv(%ld): %s\n", type, strerror(errno));
    else printf("msgrcv(%ld): %ld type %ld \"%.*s\"\n", type, n, b.type, (int)n, b.text);
}

static unsigned long qnum(int q)
{
    struct msqid_ds d;
    msgctl(q, IPC_STAT, &d);
    return d.msg_qnum;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (q < 0) { perror("msgget"); return 1; }
    snd(q, 3, "three", 0);
    snd(q, 1, "one", 0);
    snd(q, 2, "two", 0);
    snd(q, 1, "one again", 0);
    struct msqid_ds d;
    msgctl(q, IPC_STAT, &d);
    printf("qnum %lu cbytes %lu qbytes %lu lspid-is-me %d\n", d.msg_qnum, d.__msg_cbytes, d.msg_qbytes, d.msg_lspid == getpid());
    rcv(q, 2, 0, 64);
    rcv(q, -2, 0, 64);
    rcv(q, 1, MSG_EXCEPT, 64);
    check("E2BIG", msgrcv(q, &(struct m){ 0 }, 3, 0, 0));
    rcv(q, 0, MSG_NOERROR, 3);
    rcv(q, 0, IPC_NOWAIT, 64);
    check("bad type", snd(q, 0, "x", 0));
    check("too big", msgsnd(q, &(struct m){ 1, "" }, 9000, 0));

    /* A blocked receive woken by the parent's send. */
    pid_t pid = fork();
    if (pid == 0) { rcv(q, 7, 0, 64); _exit(0); }
    usleep(20000);
    snd(q, 5, "not for the child", 0);
    snd(q, 7, "for the child", 0);
    int st;
    waitpid(pid, &st, 0);
    printf("left %lu\n", qnum(q));
    rcv(q, 0, 0, 64);

    /* A full queue blocks the sender until the receiver makes room. */
    d.msg_qbytes = 40;
    check("IPC_SET qbytes", msgctl(q, IPC_SET, &d));
    snd(q, 1, "0123456789012345678901234567890", 0);
    check("full NOWAIT", snd(q, 1, "0123456789", IPC_NOWAIT));
    pid = fork();
    if (pid == 0) {
        check("child blocked send", snd(q, 2, "0123456789", 0));
        _exit(0);
    }
    usleep(20000);
    struct m big;
    long n = msgrcv(q, &big, 64, 1, 0);   /* makes room: the child's send completes */
    waitpid(pid, &st, 0);                 /* the child prints first */
    printf("made room: %ld\n", n);
    rcv(q, 0, 0, 64);

    /* A waiter whose queue is removed. */
    pid = fork();
    if (pid == 0) { rcv(q, 9, 0, 64); _exit(0); }
    usleep(20000);
    long rm = msgctl(q, IPC_RMID, NULL);
    waitpid(pid, &st, 0);   /* the child prints first */
    check("IPC_RMID", rm);
    check("send removed", snd(q, 1, "x", 0));

    /* A signal ends a blocked msgrcv with EINTR when it has a handler. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    int qi = msgget(IPC_PRIVATE, 0600);
    alarm(1);
    rcv(qi, 0, 0, 64);
    msgctl(qi, IPC_RMID, NULL);

    key_t key = 0x75e12a03;
    int old = msgget(key, 0);
    if (old >= 0) msgctl(old, IPC_RMID, NULL);
    int k = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    check("msgget excl again", msgget(key, IPC_CREAT | IPC_EXCL | 0600));
    printf("same id: %d\n", msgget(key, 0) == k);
    check("msgget missing", msgget(key + 1, 0));
    msgctl(k, IPC_RMID, NULL);
    return 0;
}
