/* The machine uniemu pretends to be, in one place: what uname, sysinfo, sysconf and the
 * global /proc files (syscalls/procfs.c) say must agree. */
#ifndef UNIEMU_MACHINE_H
#define UNIEMU_MACHINE_H
#define GUEST_NCPUS 1
#define GUEST_MEM_BYTES (4ULL << 30)
#define GUEST_FREE_BYTES (GUEST_MEM_BYTES / 2)
#define GUEST_SYSNAME "Linux"
#define GUEST_NODENAME "uniemu"
#define GUEST_RELEASE "6.1.0-uniemu"
#define GUEST_VERSION "#1 SMP PREEMPT_DYNAMIC uniemu"
#define GUEST_DOMAINNAME "(none)"
#define GUEST_PID_MAX 4194304
#endif
