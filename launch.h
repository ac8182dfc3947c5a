/* What the native executor's two sides share: the monitor outside
 * (run.c) and the sandbox inside (inside.c). */
#ifndef BWRAPPER_LAUNCH_H
#define BWRAPPER_LAUNCH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "plan.h"

/* What the executor derives from the plan and the caller. */
struct launch {
    const struct plan *plan;
    unsigned ns;             /* NS_* after -try and the implied user namespace */
    uid_t real_uid, uid;     /* the caller's, and the sandbox's */
    gid_t real_gid, gid;
    bool in_userns;          /* a new or joined user namespace */
    bool selinux;            /* labels asked for (SELinux is on: checked) */
    uid_t setup_uid;         /* our uid in the namespace while building */
    gid_t setup_gid;
    bool nested_userns;      /* a second user namespace once the root is built */
    bool reaper;             /* a pid 1 that reaps and reports */
    uint64_t caps;           /* what the command keeps */
    bool caps_inheritable;   /* ...also in its inheritable and ambient sets */
    struct seccomp_programs *seccomp;
    int *lock_fds;           /* --lock-file, held by pid 1 */
    int proc_fd;             /* host /proc: id maps and sysctls after the pivot */
    int go_pipe[2];          /* monitor -> child: the outside is ready */
    int exec_pipe[2];        /* child -> monitor: one byte before exec, two if exec failed */
    int event_fd;            /* reaper -> monitor: the command's exit status + 1 */
    int pty_sock[2];         /* --pty with a new /dev: sandbox -> monitor, the pty's controller */
    int pty_controller, pty_replica; /* --pty without: the caller's /dev/ptmx, opened by the monitor */
    int monitor_pidfd;       /* the monitor, for the sandbox to die with it */
    int net_sock[2];         /* --allow-net: sandbox -> monitor, the proxy's listening socket */
    int netns_sock[2];       /* monitor -> pid 1: the network namespace made beside (netns.c); -1: by the clone */
    int probe_pipe[2];       /* --isolation auto: pid 1 -> monitor, 0 or why its namespaces are unusable */
    sigset_t old_mask;       /* the caller's signal mask, for the command */
    int landlock_abi;        /* isolated by Landlock of this ABI instead of namespaces; 0: not */
    struct stage *stage;     /* --stage: the private upper layer; NULL without */
};

/* Pid 1 (or the command itself): set up the sandbox and exec. */
_Noreturn void run_child(struct launch *l);
/* --isolation landlock: the command, beside the monitor. */
_Noreturn void run_landlock_child(struct launch *l, int ruleset, const char *tmpdir);
/* --die-with-parent, for whichever process is asked to. */
void die_with_parent(const struct plan *p);
/* Close *FD if open, and mark it closed. */
void close_fd(int *fd);

#endif
