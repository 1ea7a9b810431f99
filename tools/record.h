/* Record and replay (docs/record.md): a record file holds the program (embedded), its
 * arguments, environment and options, every scheduling decision, every input from the
 * outside world (the results and memory effects of system calls that touch host files,
 * the terminal or host ids), the binaries it exec'd, and periodic state checksums. A
 * replay needs nothing else: host calls are not made again, their recorded effects are
 * applied; only output to the inherited stdout and stderr is performed again. */
#ifndef UNIEMU_RECORD_H
#define UNIEMU_RECORD_H
#include <stdbool.h>
#include <stdint.h>
#include "syscalls/syscall.h"

enum rec_mode { REC_OFF, REC_RECORD, REC_REPLAY };
extern enum rec_mode rec_mode;

#define RECORD_FORMAT_VERSION 2   /* 2: host readiness as P/W events */
/* uniemu's exit status when a replay does not follow its record. */
#define REPLAY_DIVERGED 124

struct sched_options;
struct run_options;

/* What a record says about how to run (replay fills these from the file). */
struct rec_run {
    char *exe_path;          /* absolute path of the program when recorded */
    char *bin_file;          /* replay: a temporary copy of the embedded program */
    char *execfn;            /* the program as named on the command line (AT_EXECFN) */
    char **argv, **envp;
    uint64_t seed;
    bool aslr, net_faults;
    int sched_kind, pct_depth;
    uint64_t quantum, pct_horizon;
    uint64_t max_insns;      /* --max-insns of the recorded run (0: none) */
    int status;              /* the recorded run's exit status */
};

/* Starts recording a run (once it is loaded): embeds the program exe_abs, its bytes read
 * from exe_file (the file loaded). 0 or -1 with a message. */
int rec_record_start(const char *out_path, const char *exe_abs, const char *exe_file, char *const argv[], char *const envp[],
                     const struct run_options *opt, bool embed);
/* Writes the record with the run's status. 0 or -1 with a message. */
int rec_record_finish(int status);
/* Reads a record for replay; checks magic, version, checksum. 0, or -1 with a message. */
int rec_replay_load(const char *path, struct rec_run *run);
void rec_run_free(struct rec_run *run);
/* Removes the temporary copies of a loaded record's programs (from a signal handler:
 * only unlink and rmdir; rec_run_free still frees the rest). */
void rec_remove_temp(void);
/* The loaded record's copy of the file recorded at path, or NULL. */
const char *rec_binary_copy(const char *path);
/* The run options a replay of run uses: seed, layout, scheduler, limit, program names. */
void rec_run_options(const struct rec_run *run, struct run_options *opt);
/* At the end of a replay: everything consumed? 0, or -1 with a message. */
int rec_replay_finish(void);
/* True once a replay has diverged (the message is printed then). */
bool rec_diverged(void);

/* The scheduler's decisions. */
void rec_put_decision(int tid, uint64_t slice);
int rec_get_decision(int *tid, uint64_t *slice);
/* A checkpoint after each decision: the instruction count and a hash of the chosen
 * task's registers (and now and then of its memory). */
void rec_checkpoint(struct task *t);

/* System calls: is this call an input from outside (run it and record, or replay)? */
bool rec_is_external(struct syscall *sc);
/* Runs (record) or replays an external call; sets sc->ret. */
void rec_external_call(struct syscall *sc, int64_t (*fn)(struct syscall *));
/* execve: record the program found at abs (embedding it) and the result; in replay,
 * returns the recorded result and, on success, the path to load from (*load) and the
 * recorded absolute path (*abs, PATH_MAX bytes). */
void rec_exec_result(int64_t ret, const char *abs);
int64_t rec_exec_replay(char *abs, const char **load);
/* The files the initial program's loading resolved (its interpreters), noted before any
 * record starts; rec_record_start records them as the first execve results. */
void rec_initial_reset(void);
void rec_note_initial(int64_t ret, const char *abs);
/* Host readiness (poll, select, epoll_wait and the scheduler's wait on host descriptors):
 * a host poll/epoll_wait that is recorded, or replayed from the record without touching
 * the host. rec_host_poll retries EINTR; both return the count or -errno. */
struct pollfd;
struct epoll_event;
int rec_host_poll(struct pollfd *fds, int n, int timeout_ms);
int rec_host_epoll_wait(int epfd, struct epoll_event *ev, int max);
/* Output files (records, explore's summary.json, the timeline page): written to a
 * temporary file in the same directory, fsync'ed and renamed over the target at the
 * end, so that a run killed midway leaves the old file whole. Created with mode 0666
 * less the umask uniemu started with (it clears its own for the guest's sake).
 * out_open: 0, or -1 with errno. out_commit: 0, or -1 with errno, the temporary file
 * removed. out_abort: removes the temporary file. */
#include <stdio.h>
#include <sys/types.h>
struct out_file { FILE *f; char *path, *tmp; };
int out_open(struct out_file *o, const char *path);
int out_commit(struct out_file *o);
void out_abort(struct out_file *o);
/* Whether a file could be created there now (the check leaves nothing behind). */
int out_check(const char *path);
/* The umask uniemu was started with; for files it creates itself (0666 & ~it). */
mode_t out_umask(void);
/* mmap of a file: in replay the mapping is made anonymous and filled from the record. */
bool rec_mmap_replay(struct syscall *sc);
#endif
