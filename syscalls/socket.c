/* Sockets. uniemu has none yet (socket() is ENOSYS: issue 15), so every descriptor a
 * guest holds is not a socket: the calls that take one answer as Linux does for a file,
 * a pipe or a terminal, ENOTSOCK (EBADF for a descriptor that is not open). bash asks
 * getpeername of its stdin, for one. */
#include "syscalls/syscall.h"
#include "syscalls/fdtable.h"
#include <errno.h>

static int64_t not_a_socket(struct syscall *sc)
{
    return fd_get(sc->t, (int)sc->a[0]) ? -ENOTSOCK : -EBADF;
}

const struct syscall_def socket_syscalls[] = {
    { SYS_getpeername, "getpeername", not_a_socket, 3, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_getsockname, "getsockname", not_a_socket, 3, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_getsockopt, "getsockopt", not_a_socket, 5, { IN(fmt_fd), IN(fmt_int), IN(fmt_int), IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_setsockopt, "setsockopt", not_a_socket, 5, { IN(fmt_fd), IN(fmt_int), IN(fmt_int), IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_shutdown, "shutdown", not_a_socket, 2, { IN(fmt_fd), IN(fmt_int) }, NULL },
    { SYS_bind, "bind", not_a_socket, 3, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_listen, "listen", not_a_socket, 2, { IN(fmt_fd), IN(fmt_int) }, NULL },
    { SYS_connect, "connect", not_a_socket, 3, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_accept, "accept", not_a_socket, 3, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_accept4, "accept4", not_a_socket, 4, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_ptr), IN(fmt_hex) }, NULL },
    { SYS_sendto, "sendto", not_a_socket, 6, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_uint), IN(fmt_hex), IN(fmt_ptr), IN(fmt_uint) }, NULL },
    { SYS_recvfrom, "recvfrom", not_a_socket, 6, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_uint), IN(fmt_hex), IN(fmt_ptr), IN(fmt_ptr) }, NULL },
    { SYS_sendmsg, "sendmsg", not_a_socket, 3, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_hex) }, NULL },
    { SYS_recvmsg, "recvmsg", not_a_socket, 3, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_hex) }, NULL },
    { SYS_sendmmsg, "sendmmsg", not_a_socket, 4, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_uint), IN(fmt_hex) }, NULL },
    { SYS_recvmmsg, "recvmmsg", not_a_socket, 5, { IN(fmt_fd), IN(fmt_ptr), IN(fmt_uint), IN(fmt_hex), IN(fmt_ptr) }, NULL },
    { 0, NULL, NULL, 0, { { 0 } }, NULL },
};
