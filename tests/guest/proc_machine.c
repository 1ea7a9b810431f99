/* The machine-wide /proc files agree with what the system calls say about the same
 * machine (uname, sysinfo, sysconf), on Linux and under uniemu, where both describe the
 * emulated machine rather than the host. Prints only whether each check holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

static int read_file(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t got = fread(buf, 1, n - 1, f);
    buf[got] = 0;
    fclose(f);
    return (int)got;
}

static void check(const char *what, int ok) { printf("%-44s %s\n", what, ok ? "ok" : "WRONG"); }

static int line_eq(const char *path, const char *want)
{
    char buf[256];
    if (read_file(path, buf, sizeof buf) < 0) return 0;
    buf[strcspn(buf, "\n")] = 0;
    return !strcmp(buf, want);
}

static int is_uuid(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";
    for (int i = 0; shape[i]; i++) {
        char c = s[i];
        if (shape[i] == '-' ? c != '-' : !strchr("0123456789abcdef", c)) return 0;
        if (shape[i] == '4' && c != '4') return 0;
        if (shape[i] == 'y' && !strchr("89ab", c)) return 0;
    }
    return s[36] == '\n';
}

int main(void)
{
    struct utsname u;
    struct sysinfo si;
    uname(&u);
    sysinfo(&si);
    char buf[8192];
    check("sys/kernel/osrelease is uname's release", line_eq("/proc/sys/kernel/osrelease", u.release));
    check("sys/kernel/ostype is uname's sysname", line_eq("/proc/sys/kernel/ostype", u.sysname));
    check("sys/kernel/hostname is uname's nodename", line_eq("/proc/sys/kernel/hostname", u.nodename));
    check("sys/kernel/version is uname's version", line_eq("/proc/sys/kernel/version", u.version));
    read_file("/proc/version", buf, sizeof buf);
    check("version names the release", strstr(buf, u.release) != NULL);
    read_file("/proc/meminfo", buf, sizeof buf);
    unsigned long long kb = 0;
    char *m = strstr(buf, "MemTotal:");
    if (m) sscanf(m, "MemTotal: %llu kB", &kb);
    check("meminfo MemTotal is sysinfo's totalram", kb == (unsigned long long)si.totalram * si.mem_unit / 1024);
    check("sysconf's pages are MemTotal", kb == (unsigned long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE) / 1024);
    read_file("/proc/uptime", buf, sizeof buf);
    double up = atof(buf);
    check("uptime is sysinfo's, within a second", up >= si.uptime - 1 && up <= si.uptime + 2);
    read_file("/proc/stat", buf, sizeof buf);
    int cpus = 0;
    for (char *p = buf; (p = strstr(p, "\ncpu")); p++) cpus++;
    check("stat has one cpuN line per online CPU", cpus == sysconf(_SC_NPROCESSORS_ONLN));
    check("stat has btime", strstr(buf, "\nbtime ") != NULL);
    char a[64], b[64];
    read_file("/proc/sys/kernel/random/uuid", a, sizeof a);
    read_file("/proc/sys/kernel/random/uuid", b, sizeof b);
    check("random/uuid is a v4 UUID, new at each read", is_uuid(a) && is_uuid(b) && strcmp(a, b));
    read_file("/proc/sys/kernel/random/boot_id", a, sizeof a);
    read_file("/proc/sys/kernel/random/boot_id", b, sizeof b);
    check("random/boot_id stays the same", is_uuid(a) && !strcmp(a, b));
    read_file("/proc/loadavg", buf, sizeof buf);
    double l1, l5, l15;
    int run, tot, last;
    check("loadavg has five fields", sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &run, &tot, &last) == 6);
    return 0;
}
