/* The socket calls on descriptors that are not sockets (a file, a pipe) and on one that
 * is not open: ENOTSOCK and EBADF, as Linux answers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void show(const char *what, int rc)
{
    printf("%-12s %d %s\n", what, rc, rc < 0 ? strerror(errno) : "");
}

int main(void)
{
    int p[2];
    if (pipe(p)) return 1;
    int f = open("/proc/self/exe", O_RDONLY);
    int fds[] = { p[0], f, 99 };
    for (int i = 0; i < 3; i++) {
        int fd = fds[i];
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int v = 0;
        char c = 0;
        printf("fd kind %d\n", i);
        show("getpeername", getpeername(fd, (struct sockaddr *)&ss, &len));
        show("getsockname", getsockname(fd, (struct sockaddr *)&ss, &len));
        show("getsockopt", getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
        show("setsockopt", setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
        show("shutdown", shutdown(fd, SHUT_RDWR));
        show("listen", listen(fd, 1));
        show("accept", accept(fd, NULL, NULL));
        show("send", (int)send(fd, &c, 1, 0));
        show("recv", (int)recv(fd, &c, 1, MSG_DONTWAIT));
    }
    return 0;
}
