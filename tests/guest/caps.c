/* capget and capset: the sets a process has, the kernel's checks on the header (an
 * unknown version is EINVAL and the preferred one is written back), on pids, and on
 * changes (a capability dropped stays dropped; none can be added back); a child has
 * its parent's sets. Under uniemu both calls were ENOSYS (LTP's library stops there). */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long capget_(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d) { return syscall(SYS_capget, h, d); }
static long capset_(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d) { return syscall(SYS_capset, h, d); }

static const char *err(long r) { return r == 0 ? "0" : strerror(errno); }

static void show(const char *what, int pid)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, pid };
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    long r = capget_(&h, d);
    printf("%-26s %s eff %08x%08x prm %08x%08x inh %08x%08x\n", what, err(r), d[1].effective, d[0].effective,
           d[1].permitted, d[0].permitted, d[1].inheritable, d[0].inheritable);
}

int main(void)
{
    show("capget", 0);
    show("capget own pid", getpid());
    struct __user_cap_header_struct h = { 0x12345678, 0 };
    struct __user_cap_data_struct d[2];
    long r = capget_(&h, d);
    printf("bad version: %s, version now %#x\n", err(r), h.version);
    h.version = 0x12345678;
    printf("bad version, no data: %ld, version now %#x\n", capget_(&h, NULL), h.version);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    h.pid = 999999;
    printf("no such pid: %s\n", err(capget_(&h, d)));
    h.pid = -1;
    printf("pid -1: %s\n", err(capget_(&h, d)));

    h.pid = 0;
    capget_(&h, d);
    unsigned had = d[0].effective & (1u << CAP_NET_RAW);
    /* drop CAP_NET_RAW from effective and permitted */
    d[0].effective &= ~(1u << CAP_NET_RAW);
    d[0].permitted &= ~(1u << CAP_NET_RAW);
    printf("drop CAP_NET_RAW (had it: %s): %s\n", had ? "yes" : "no", err(capset_(&h, d)));
    show("after the drop", 0);
    d[0].permitted |= 1u << CAP_NET_RAW;
    printf("add it back: %s\n", err(capset_(&h, d)));
    d[0].permitted &= ~(1u << CAP_NET_RAW);
    d[0].effective |= 1u << CAP_NET_RAW;
    printf("effective beyond permitted: %s\n", err(capset_(&h, d)));
    h.pid = 999999;
    printf("capset of another pid: %s\n", err(capset_(&h, d)));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) { show("in the child", 0); fflush(stdout); _exit(0); }
    waitpid(c, NULL, 0);
    return 0;
}
