/* What a reader of a network sees: the lengths of the reads of 40 bytes written at once
 * over TCP, how many of 16 UDP datagrams arrived, and how the stream ended. On Linux's
 * loopback: one read of 40, 16 of 16, EOF. Under uniemu --net-faults other seeds give
 * short reads, lost datagrams and resets (all of which Linux allows). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &al)) return 1;
    int sync[2];
    pipe(sync);
    pid_t pid = fork();
    if (pid == 0) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, sizeof a)) _exit(1);
        char msg[40];
        memset(msg, 'x', sizeof msg);
        write(c, msg, sizeof msg);
        char go;
        read(sync[0], &go, 1);   /* the parent has read everything */
        close(c);
        _exit(0);
    }
    int s = accept(l, NULL, NULL);
    char buf[64], line[256] = "reads:";
    int total = 0, r = 0;
    while (total < 40 && (r = read(s, buf, sizeof buf)) > 0) {
        total += r;
        snprintf(line + strlen(line), sizeof line - strlen(line), " %d", r);
    }
    write(sync[1], "g", 1);
    if (r >= 0) r = read(s, buf, sizeof buf);
    const char *end = r == 0 ? "eof" : r < 0 && errno == ECONNRESET ? "reset" : "other";
    waitpid(pid, NULL, 0);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ua = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t ul = sizeof ua;
    bind(u, (struct sockaddr *)&ua, sizeof ua);
    getsockname(u, (struct sockaddr *)&ua, &ul);
    for (int i = 0; i < 16; i++) sendto(u, "d", 1, 0, (struct sockaddr *)&ua, sizeof ua);
    int got = 0;
    while (recv(u, buf, sizeof buf, MSG_DONTWAIT) > 0) got++;
    printf("%s | udp: %d/16 | end: %s\n", line, got, end);
    return 0;
}
