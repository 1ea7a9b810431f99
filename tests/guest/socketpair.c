/* socketpair(AF_UNIX): both directions, blocking across fork, message boundaries of
 * SOCK_DGRAM and SOCK_SEQPACKET, MSG_PEEK and MSG_DONTWAIT, shutdown, poll readiness,
 * EPIPE and SIGPIPE, the names and options, and the errors Linux gives. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(const char *what, long rc)
{
    printf("%-36s %ld%s%s\n", what, rc, rc < 0 ? " " : "", rc < 0 ? strerror(errno) : "");
}

int main(void)
{
    int sv[2];
    char buf[64];
    check("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    check("write 0->1", write(sv[0], "ping", 4));
    check("recv peek", recv(sv[1], buf, sizeof buf, MSG_PEEK));
    check("read 1", read(sv[1], buf, sizeof buf));
    check("recv dontwait (empty)", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    check("send 1->0", send(sv[1], "pong!", 5, 0));
    check("recv 0", recv(sv[0], buf, sizeof buf, 0));
    struct pollfd p = { sv[0], POLLIN, 0 };
    check("poll empty", poll(&p, 1, 0));
    write(sv[1], "x", 1);
    check("poll readable", poll(&p, 1, 0));
    read(sv[0], buf, 1);

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* The child echoes what it gets, upper-cased, until the end. */
        close(sv[0]);
        ssize_t n;
        while ((n = read(sv[1], buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; i++) if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] -= 32;
            write(sv[1], buf, n);
        }
        _exit(n == 0 ? 0 : 1);
    }
    close(sv[1]);
    check("write to child", write(sv[0], "hello child", 11));
    ssize_t n = read(sv[0], buf, sizeof buf);
    printf("child echoed: %.*s\n", (int)(n > 0 ? n : 0), buf);
    check("shutdown SHUT_WR", shutdown(sv[0], SHUT_WR));
    int st;
    waitpid(pid, &st, 0);
    printf("child exit %d\n", WEXITSTATUS(st));
    check("read after child left", read(sv[0], buf, sizeof buf));
    signal(SIGPIPE, SIG_IGN);
    check("send after peer closed, NOSIGNAL", send(sv[0], "z", 1, MSG_NOSIGNAL));
    check("write after peer closed", write(sv[0], "z", 1));
    close(sv[0]);

    check("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
    send(sv[0], "one", 3, 0);
    send(sv[0], "three", 5, 0);
    check("dgram 1", recv(sv[1], buf, sizeof buf, 0));
    check("dgram 2, short buffer", recv(sv[1], buf, 2, 0));
    check("dgram empty, nonblocking", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    int type = 0;
    socklen_t len = sizeof type;
    check("getsockopt SO_TYPE", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len));
    printf("type %d (SOCK_DGRAM %d), len %u\n", type, SOCK_DGRAM, (unsigned)len);
    struct sockaddr_un un;
    len = sizeof un;
    check("getsockname", getsockname(sv[0], (struct sockaddr *)&un, &len));
    printf("family %d, len %u\n", un.sun_family, (unsigned)len);
    len = sizeof un;
    check("getpeername", getpeername(sv[1], (struct sockaddr *)&un, &len));
    close(sv[0]);
    close(sv[1]);

    check("socketpair seqpacket nonblock", socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv));
    send(sv[0], "abc", 3, 0);
    send(sv[0], "de", 2, 0);
    check("seqpacket 1", read(sv[1], buf, sizeof buf));
    check("seqpacket 2", read(sv[1], buf, sizeof buf));
    check("seqpacket empty", read(sv[1], buf, sizeof buf));
    check("connect on a pair", connect(sv[0], (struct sockaddr *)&un, sizeof(sa_family_t)));
    check("listen on a pair", listen(sv[0], 1));
    close(sv[0]);
    close(sv[1]);

    check("socketpair AF_INET", socketpair(AF_INET, SOCK_STREAM, 0, sv));
    check("socketpair bad type", socketpair(AF_UNIX, 77, 0, sv));
    check("socketpair bad protocol", socketpair(AF_UNIX, SOCK_STREAM, 5, sv));
    check("socketpair bad family", socketpair(4242, SOCK_STREAM, 0, sv));
    return 0;
}
