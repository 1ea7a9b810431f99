/* execve of `#!` scripts by the kernel's rules (the interpreter, its one optional
 * argument, the script's path, nesting and its limit, ENOEXEC), and the calls that run a
 * shell: system(), popen(), posix_spawn(). Run in an empty directory (w/ exists). The
 * interpreters are Debian's dynamic /bin/echo and /bin/sh. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void put(const char *name, const char *text)
{
    FILE *f = fopen(name, "w");
    if (!f) { perror(name); exit(1); }
    fputs(text, f);
    fclose(f);
    chmod(name, 0755);
}

/* Runs path with argv in a child; prints how it ended, or the execve error. */
static void run(const char *label, const char *path, char *const argv[])
{
    fflush(stdout);
    int p[2];
    if (pipe(p)) { perror("pipe"); exit(1); }
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        fcntl(p[1], F_SETFD, FD_CLOEXEC);
        execve(path, argv, environ);
        int e = errno;
        if (write(p[1], &e, sizeof e) < 0) _exit(126);
        _exit(127);
    }
    close(p[1]);
    int e = 0;
    ssize_t n = read(p[0], &e, sizeof e);
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    if (n == (ssize_t)sizeof e) printf("%s: execve: %s\n", label, strerror(e));
    else printf("%s: exit %d\n", label, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

int main(void)
{
    put("s_plain", "#!/bin/echo\n");
    put("s_arg", "#!/bin/echo one\n");
    put("s_args", "#! \t/bin/echo  one two  \t\nignored\n");
    put("s_nonl", "#!/bin/echo tail");
    put("s_nested", "#!./s_arg x y\n");
    put("s_bad", "#!\n");
    put("s_blank", "#!   \t  \n");
    put("s_missing", "#!/nonexistent/sh\n");
    put("s_text", "just text\n");
    put("s_sh", "#!/bin/sh\necho \"sh script: $0 $#: $*\"\nexit 7\n");
    /* A chain of n scripts, each the next one's interpreter: Linux allows five. */
    char name[32], text[64];
    for (int i = 1; i <= 6; i++) {
        snprintf(name, sizeof name, "c%d", i);
        if (i == 1) snprintf(text, sizeof text, "#!/bin/echo c\n");
        else snprintf(text, sizeof text, "#!./c%d\n", i - 1);
        put(name, text);
    }
    run("plain", "./s_plain", (char *[]){ "argv0", "a", "b", NULL });
    run("arg", "./s_arg", (char *[]){ "argv0", "a", NULL });
    run("args", "./s_args", (char *[]){ "argv0", NULL });
    run("no newline", "./s_nonl", (char *[]){ "zero", NULL });
    run("nested", "./s_nested", (char *[]){ "zero", "last", NULL });
    run("empty argv", "./s_arg", (char *[]){ NULL });
    run("bad", "./s_bad", (char *[]){ "x", NULL });
    run("blank", "./s_blank", (char *[]){ "x", NULL });
    run("missing", "./s_missing", (char *[]){ "x", NULL });
    run("text", "./s_text", (char *[]){ "x", NULL });
    run("sh", "./s_sh", (char *[]){ "s_sh", "p q", "r", NULL });
    run("chain5", "./c5", (char *[]){ "c5", NULL });
    run("chain6", "./c6", (char *[]){ "c6", NULL });
    chmod("s_arg", 0644);
    run("not executable", "./s_arg", (char *[]){ "x", NULL });

    fflush(stdout);
    int st = system("echo hi | tr a-z A-Z");
    printf("system: %d\n", WEXITSTATUS(st));
    st = system("exit 3");
    printf("system exit: %d\n", WEXITSTATUS(st));
    FILE *f = popen("ls -1 | sort -r | head -3", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) printf("popen: %s", line);
    printf("pclose: %d\n", f ? WEXITSTATUS(pclose(f)) : -1);
    f = popen("cat > w/from_popen", "w");
    if (f) { fputs("written through popen\n", f); printf("pclose w: %d\n", WEXITSTATUS(pclose(f))); }
    fflush(stdout);
    pid_t pid;
    char *sargv[] = { "echo", "spawned", "echo", NULL };
    int rc = posix_spawnp(&pid, "echo", NULL, NULL, sargv, environ);
    if (rc == 0) { waitpid(pid, &st, 0); printf("posix_spawnp: %d\n", WEXITSTATUS(st)); }
    else printf("posix_spawnp: %s\n", strerror(rc));
    char *shargv[] = { "sh", "-c", "cat w/from_popen; exit 4", NULL };
    rc = posix_spawn(&pid, "/bin/sh", NULL, NULL, shargv, environ);
    if (rc == 0) { waitpid(pid, &st, 0); printf("posix_spawn sh: %d\n", WEXITSTATUS(st)); }
    else printf("posix_spawn: %s\n", strerror(rc));
    const char *rm[] = { "s_plain", "s_arg", "s_args", "s_nonl", "s_nested", "s_bad", "s_blank", "s_missing",
                         "s_text", "s_sh", "c1", "c2", "c3", "c4", "c5", "c6" };
    for (size_t i = 0; i < sizeof rm / sizeof rm[0]; i++) unlink(rm[i]);
    return 0;
}
