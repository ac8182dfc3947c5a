/* The native executor: namespaces, ids, the monitor outside, the reaper
 * and the command inside.  The filesystem is mounts.c's, capabilities
 * caps.c's, seccomp seccomp.c's; this file decides when each happens. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <talloc.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "guarantees.h"
#include "landlock.h"
#include "mounts.h"
#include "plan.h"
#include "netallow.h"
#include "netns.h"
#include "proxy.h"
#include "pty.h"
#include "seccomp.h"
#include "stage.h"
#include "util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

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

/* bwrap's checks, in bwrap's order, so the same mistakes get the same
 * message. */
static void resolve(struct launch *l, const struct plan *p)
{
    l->plan = p;
    l->real_uid = getuid();
    l->real_gid = getgid();
    l->ns = p->ns;

    /* These look at what was asked for explicitly: --unshare-all's
     * --unshare-user-try does not satisfy them (bwrap's rule). */
    if (p->userns_block_fd != -1 && !(p->ns & NS_USER))
        die("--userns-block-fd requires --unshare-user");
    if (p->userns_block_fd != -1 && p->info_fd == -1)
        die("--userns-block-fd requires --info-fd");
    if (p->userns_fd != -1 && (p->ns & NS_USER))
        die("--userns not compatible --unshare-user");
    if (p->userns_fd != -1 && (p->ns & NS_USER_TRY))
        die("--userns not compatible --unshare-user-try");
    if (p->disable_userns && !(p->ns & NS_USER))
        die("--disable-userns requires --unshare-user");
    if (p->disable_userns && p->userns_block_fd != -1)
        die("--disable-userns is not compatible with  --userns-block-fd");

    for (size_t i = 0; i < p->n_keep_fds; i++)
        if (fcntl(p->keep_fds[i], F_GETFD) < 0)
            die_errno("--keep-fd %d", p->keep_fds[i]);
    /* --timeout ends the whole sandbox: that takes a pid namespace.  So
     * does --pty, whose relay must outlive the command to restore the
     * caller's terminal: without one the command (same uid) could address
     * bwrapper's pid and kill -9 it, leaving the terminal raw.  A joined
     * --pidns keeps bwrapper out of reach already. */
    if (p->timeout_ms || (p->pty && p->pidns_fd == -1))
        l->ns |= NS_PID;

    /* Without setuid, only a user namespace gives us the right to mount. */
    if (l->real_uid != 0 && p->userns_fd == -1)
        l->ns |= NS_USER;
    if ((l->ns & NS_USER_TRY) && !(l->ns & NS_USER) && userns_allowed())
        l->ns |= NS_USER;
    if ((l->ns & NS_CGROUP_TRY) && kernel_has_ns("cgroup"))
        l->ns |= NS_CGROUP;
    if (p->as_pid_1 && !(l->ns & NS_PID))
        die("Specifying --as-pid-1 requires --unshare-pid");
    if (p->as_pid_1 && p->n_lock_files > 0)
        die("Specifying --as-pid-1 and --lock-file is not permitted");
    if (p->hostname != NULL && !(l->ns & NS_UTS))
        die("Specifying --hostname requires --unshare-uts");

    l->in_userns = (l->ns & NS_USER) || p->userns_fd != -1;
    l->uid = p->uid >= 0 ? (uid_t)p->uid : l->real_uid;
    l->gid = p->gid >= 0 ? (gid_t)p->gid : l->real_gid;
    if (l->uid != l->real_uid && !l->in_userns)
        die("Specifying --uid requires --unshare-user or --userns");
    if (l->gid != l->real_gid && !l->in_userns)
        die("Specifying --gid requires --unshare-user or --userns");

    /* devpts refuses to mount unless uid 0 is mapped: build as 0 and map
     * the requested ids in a nested namespace afterwards, as bwrap does. */
    bool needs_devpts = false;
    for (size_t i = 0; i < p->n_steps; i++)
        needs_devpts |= p->steps[i].kind == STEP_DEV;
    l->setup_uid = l->uid;
    l->setup_gid = l->gid;
    if ((l->ns & NS_USER) && p->userns_block_fd == -1 && needs_devpts) {
        l->setup_uid = 0;
        l->setup_gid = 0;
    }
    l->nested_userns = (l->ns & NS_USER) && p->userns_block_fd == -1 &&
                       (l->setup_uid != l->uid || l->setup_gid != l->gid || p->disable_userns);
    l->reaper = !p->as_pid_1 && ((l->ns & NS_PID) || p->n_lock_files > 0 || p->sync_fd != -1);
    l->caps = caps_requested(p, l->real_uid == 0, l->in_userns, &l->caps_inheritable);
    /* a confinement asked for is never dropped quietly (bwrap's words) */
    l->selinux = p->exec_label || p->file_label;
    if (l->selinux && !selinux_enabled())
        die("labeling not supported on this system");
    l->proc_fd = -1;
    l->go_pipe[0] = l->go_pipe[1] = -1;
    l->exec_pipe[0] = l->exec_pipe[1] = -1;
    l->event_fd = -1;
    l->pty_sock[0] = l->pty_sock[1] = -1;
    l->pty_controller = l->pty_replica = -1;
    l->monitor_pidfd = -1;
    l->net_sock[0] = l->net_sock[1] = -1;
    l->netns_sock[0] = l->netns_sock[1] = -1;
    l->probe_pipe[0] = l->probe_pipe[1] = -1;
    l->landlock_abi = 0;
}

static unsigned clone_flags(const struct launch *l)
{
    static const struct { unsigned ns; unsigned long flag; } map[] = {
        {NS_USER, CLONE_NEWUSER}, {NS_IPC, CLONE_NEWIPC}, {NS_PID, CLONE_NEWPID},
        {NS_NET, CLONE_NEWNET},   {NS_UTS, CLONE_NEWUTS}, {NS_CGROUP, CLONE_NEWCGROUP},
    };
    unsigned long flags = CLONE_NEWNS;
    for (size_t i = 0; i < N_ELEMENTS(map); i++)
        if (l->ns & map[i].ns)
            flags |= map[i].flag;
    if (l->netns_sock[0] >= 0)
        flags &= ~(unsigned long)CLONE_NEWNET;
    return (unsigned)flags;
}

/* ---- inside: ids ---- */

static void write_proc_file(int dirfd, const char *path, const char *text)
{
    int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write_all(fd, text, strlen(text)) < 0)
        die_errno("can't write %s", path);
    close(fd);
}

/* PROC is a procfs directory fd: the sandbox's own /proc may be missing
 * or read-only by the time the nested namespace is mapped. */
static void write_id_maps(int proc, uid_t inside_uid, uid_t outside_uid, gid_t inside_gid, gid_t outside_gid,
                          bool deny_groups)
{
    char map[64];
    snprintf(map, sizeof map, "%u %u 1\n", inside_uid, outside_uid);
    write_proc_file(proc, "self/uid_map", map);
    /* An unprivileged gid_map needs setgroups denied first. */
    if (deny_groups) {
        int fd = openat(proc, "self/setgroups", O_WRONLY | O_CLOEXEC);
        if (fd >= 0 && write_all(fd, "deny\n", 5) < 0)
            die_errno("can't write /proc/self/setgroups");
        if (fd >= 0)
            close(fd);
    }
    snprintf(map, sizeof map, "%u %u 1\n", inside_gid, outside_gid);
    write_proc_file(proc, "self/gid_map", map);
}

static void enter_nested_userns(const struct launch *l)
{
    if (l->plan->disable_userns) {
        /* A limit of 1 in the sandbox's namespace, used up by the nested
         * one the command runs in: no further namespace anywhere below,
         * and the command has no capability over this namespace to raise
         * the limit again (as bwrap). */
        int fd = openat(l->proc_fd, "sys/user/max_user_namespaces", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write_all(fd, "1", 1) < 0)
            die_errno("sysctl user.max_user_namespaces = 1");
        close(fd);
    }
    if (unshare(CLONE_NEWUSER) < 0)
        die_errno("unshare user ns");
    write_id_maps(l->proc_fd, l->uid, l->setup_uid, l->gid, l->setup_gid, false);
}

/* ---- inside: the command ---- */

static void apply_env(const struct plan *p)
{
    for (size_t i = 0; i < p->n_env; i++) {
        const struct env_op *e = &p->env[i];
        int r = e->kind == ENV_SET ? setenv(e->name, e->value, 1) : e->kind == ENV_UNSET ? unsetenv(e->name) : clearenv();
        if (r != 0)
            die_errno("can't change the environment");
    }
}

/* bwrap's rule: --chdir, else the caller's cwd if it exists inside, else
 * $HOME (as the sandbox's environment has it), else "/". */
static void enter_cwd(const struct plan *p, const char *old_cwd)
{
    const char *cwd = "/";
    const char *home = getenv("HOME");
    if (p->chdir != NULL) {
        if (chdir(p->chdir) < 0)
            die_errno("Can't chdir to %s", p->chdir);
        cwd = p->chdir;
    } else if (old_cwd != NULL && chdir(old_cwd) == 0) {
        cwd = old_cwd;
    } else if (home != NULL && chdir(home) == 0) {
        cwd = home;
    }
    if (setenv("PWD", cwd, 1) != 0)
        die_errno("setenv PWD");
}

static void die_with_parent(const struct plan *p)
{
    if (p->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        die_errno("prctl(PR_SET_PDEATHSIG)");
}

/* No orphans, whatever --die-with-parent says: the sandbox dies with the
 * monitor, even when the monitor is SIGKILLed (bwrap leaves it running).
 * The monitor may have died before the signal was armed: its pidfd says.
 * The reaper dying ends its pid namespace; a command behind a reaper arms
 * the signal for the reaper (the monitor's pidfd is then only checked). */
static void arm_death_signal(void)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        die_errno("prctl(PR_SET_PDEATHSIG)");
}

/* The signals bwrapper passes on are blocked before the clone, so that
 * none is lost (or ends bwrapper) before someone passes it on; the sandbox
 * unblocks them for the command.  The monitor's pidfd lets the sandbox see
 * it die before PR_SET_PDEATHSIG was armed. */
static void hold_signals_for_monitor(struct launch *l)
{
    sigset_t forwarded;
    forwarded_signals(&forwarded);
    sigprocmask(SIG_BLOCK, &forwarded, &l->old_mask);
    if ((l->monitor_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0)) < 0)
        die_errno("pidfd_open");
}

static void die_with_monitor(const struct launch *l)
{
    arm_death_signal();
    struct pollfd monitor = {.fd = l->monitor_pidfd, .events = POLLIN};
    if (l->monitor_pidfd >= 0 && poll(&monitor, 1, 0) > 0)
        _exit(1);
}

/* close_range every fd above stderr but the N in KEEP (in any order;
 * negative ones ignored), with FLAGS (CLOSE_RANGE_CLOEXEC: at exec). */
static void close_fds_except(const int *keep, size_t n, unsigned flags)
{
    unsigned from = 3;
    for (;;) {
        int next = -1; /* the lowest fd to keep from FROM up */
        for (size_t i = 0; i < n; i++)
            if (keep[i] >= (int)from && (next < 0 || keep[i] < next))
                next = keep[i];
        if (next < 0)
            break;
        if ((unsigned)next > from)
            syscall(SYS_close_range, from, (unsigned)next - 1, flags);
        from = (unsigned)next + 1;
    }
    syscall(SYS_close_range, from, ~0u, flags);
}

/* --profile agent, --pty: the caller's fds above stderr that it did not
 * name end at exec (a leaked directory fd opens the host's tree to the
 * command, a terminal's fd what is typed there).  Close-on-exec, so ours
 * (the exec report) still work until then. */
static void close_unnamed_fds(const struct plan *p)
{
    if (p->close_fds)
        close_fds_except(p->keep_fds, p->n_keep_fds, CLOSE_RANGE_CLOEXEC);
}

/* Before the command exists, so that a lock file that cannot be taken
 * stops the sandbox with nothing run (bwrap takes them in pid 1 after the
 * fork, and the command runs anyway).  fcntl locks belong to the process
 * that takes them and are not inherited, so these are pid 1's; O_CLOEXEC
 * keeps the fds from the command. */
static void take_lock_files(struct launch *l)
{
    const struct plan *p = l->plan;
    for (size_t i = 0; i < p->n_lock_files; i++) {
        int fd = open(p->lock_files[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            die_errno("Unable to open lock file %s", p->lock_files[i]);
        struct flock lock = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_SETLK, &lock) < 0)
            die_errno("Unable to lock file %s", p->lock_files[i]);
        l->lock_fds[i] = fd;
    }
}

static void apply_rlimits(const struct plan *p)
{
    for (size_t i = 0; i < p->n_rlimits; i++) {
        const struct rlimit_op *r = &p->rlimits[i];
        struct rlimit lim;
        if (getrlimit(r->resource, &lim) < 0)
            die_errno("%s", r->option);
        lim.rlim_cur = r->soft;
        if (r->hard_given)
            lim.rlim_max = r->hard;
        if (lim.rlim_cur > lim.rlim_max)
            die("%s: the soft limit is above the hard limit %llu", r->option, (unsigned long long)lim.rlim_max);
        if (setrlimit(r->resource, &lim) < 0)
            die_errno("%s", r->option);
    }
}

/* --timeout: pid 1 gets signals from outside only through a handler;
 * pass SIGTERM on to everything else in the namespace. */
static void forward_to_all(int sig)
{
    kill(-1, sig);
}

/* The signals the monitor passes on are for the command; pid 1 would
 * ignore them, another reaper die of them. */
static volatile pid_t reaped_command;

static void forward_to_command(int sig, siginfo_t *info, void *context)
{
    (void)context;
    /* A terminal's signal reached its whole foreground process group, the
     * command included: passed on, it would arrive twice. */
    if (info->si_code != SI_KERNEL)
        kill(reaped_command, sig);
}

/* The reaper takes the forwarded signals only now: they were blocked
 * since before the clone, so none is lost before the command exists. */
static void reaper_forwards_signals(const struct launch *l, pid_t command)
{
    sigset_t set;
    forwarded_signals(&set);
    reaped_command = command;
    struct sigaction sa = {.sa_sigaction = forward_to_command, .sa_flags = SA_RESTART | SA_SIGINFO};
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(&set, sig) == 1)
            sigaction(sig, &sa, NULL);
    /* --timeout: everything in the namespace, the command included. */
    if (l->plan->timeout_ms) {
        struct sigaction all = {.sa_handler = forward_to_all, .sa_flags = SA_RESTART};
        sigaction(SIGTERM, &all, NULL);
    }
    sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
}

/* --pty: once its last error could be shown, pid 1 lets go of the pty, so
 * that the relay sees the command's end of output from the kernel (every
 * replica closed) instead of guessing it from a quiet moment, which a busy
 * machine can stretch past the last line. */
static void reaper_leaves_pty(const struct plan *p)
{
    if (!p->pty)
        return;
    for (int fd = 0; fd <= 2; fd++)
        close(fd);
}

/* pid 1: hold the lock files, reap everything, report the command's exit
 * status as soon as it has one, and leave when the last process has. */
static _Noreturn void reap(const struct launch *l, pid_t command)
{
    const struct plan *p = l->plan;
    /* pid 1 holds nothing the command was given: a pipe must close when
     * the command closes it, not when the last process of the sandbox
     * does.  It keeps its report channel, --sync-fd and the lock files
     * (closing any fd of a file drops our lock on it). */
    int *keep = talloc_array(NULL, int, p->n_lock_files + 2);
    keep[0] = l->event_fd;
    keep[1] = p->sync_fd;
    memcpy(keep + 2, l->lock_fds, p->n_lock_files * sizeof *keep);
    close_fds_except(keep, p->n_lock_files + 2, 0);
    talloc_free(keep);
    caps_apply(0, false);
    /* The command's limits bind pid 1 too, or the command could have it
     * write or open for it. */
    apply_rlimits(p);
    reaper_leaves_pty(p);
    /* again: dropping capabilities may have disarmed it (the monitor's
     * pidfd is closed by now; pid 1 was armed before it was) */
    arm_death_signal();
    reaper_forwards_signals(l, command);
    seccomp_install(l->seccomp);
    int status = 1;
    for (;;) {
        int st;
        pid_t pid = wait(&st);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0)
            break;
        if (pid == command) {
            status = exit_status(st);
            uint64_t v = (uint64_t)status + 1;
            /* The monitor may be gone already; that is fine. */
            if (l->event_fd >= 0 && write(l->event_fd, &v, sizeof v) < 0)
                (void)0;
        }
    }
    _exit(status);
}

/* Before the reaper is forked, so it never runs dumpable: the command
 * (same uid) could otherwise ptrace pid 1, write code into it through
 * /proc/1/mem and run it with pid 1's fds, or read the caller's whole
 * environment in /proc/1/environ.  The command is dumpable again from its
 * exec on, as usual; until then nothing reads its own /proc entries.
 * Not when the caller is told pid 1's pid (--info-fd, --json-status-fd):
 * bwrap's users (flatpak) open its /proc/PID/ns/ from outside, which a
 * non-dumpable process refuses its owner too, its memory belonging to the
 * host's user namespace. */
static void make_reaper_undumpable(const struct plan *p)
{
    if (p->info_fd == -1 && p->json_status_fd == -1 && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        die_errno("prctl(PR_SET_DUMPABLE)");
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* --pty: with a new /dev the pty comes from the sandbox's own devpts, so
 * its /dev/pts/N exists inside, and the monitor gets the controller the
 * way an OCI runtime hands it over.  Without, it is the one the monitor
 * opened from the caller's /dev/ptmx (see run_plan).  From here on the
 * sandbox holds nothing of the caller's terminal. */
static void enter_pty(struct launch *l)
{
    int replica = l->pty_replica;
    if (l->pty_sock[1] >= 0) {
        int controller;
        pty_open("/dev/ptmx", &controller, &replica);
        if (send_fd(l->pty_sock[1], controller) < 0)
            die_errno("--pty: can't pass the pty to the monitor");
        close(controller);
        close_fd(&l->pty_sock[1]);
    }
    pty_take_stdio(replica);
    l->pty_replica = -1;
}

/* --isolation auto: the namespaces are usable if a mount can be made in
 * them (a kernel or an LSM may give a user namespace without the right to
 * mount).  Told before anything else is done, so that the monitor can
 * still isolate by Landlock instead. */
static void report_namespaces_usable(struct launch *l)
{
    close_fd(&l->probe_pipe[0]);
    int err = mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0 ? errno : 0;
    (void)write_all(l->probe_pipe[1], &err, sizeof err);
    if (err != 0)
        _exit(1);
    close_fd(&l->probe_pipe[1]);
}

static _Noreturn void run_child(struct launch *l)
{
    const struct plan *p = l->plan;
    if (l->probe_pipe[1] >= 0)
        report_namespaces_usable(l);
    close_fd(&l->go_pipe[1]);
    close_fd(&l->exec_pipe[0]);
    close_fd(&l->pty_sock[0]);
    close_fd(&l->pty_controller);
    if (p->info_fd != -1)
        close(p->info_fd);
    if (p->json_status_fd != -1)
        close(p->json_status_fd);
    /* the command must not be able to write change lines or reports of its own */
    if (p->changes_fd != -1)
        close(p->changes_fd);
    if (p->report_fd != -1)
        close(p->report_fd);
    close_fd(&l->net_sock[0]);
    close_fd(&l->netns_sock[1]);

    if (l->go_pipe[0] >= 0) {
        char c;
        while (read(l->go_pipe[0], &c, 1) < 0 && errno == EINTR)
            ;
        close_fd(&l->go_pipe[0]);
    }
    /* After the go-ahead: with --pidns we are reparented to the monitor
     * first, and a reparenting counts as a parent's death. */
    die_with_monitor(l);
    if ((l->ns & NS_USER) && p->userns_block_fd == -1)
        write_id_maps(l->proc_fd, l->setup_uid, l->real_uid, l->setup_gid, l->real_gid, true);
    if (p->userns_fd != -1) {
        if (l->uid != l->real_uid && setuid(l->uid) < 0)
            die_errno("unable to switch to uid %u", l->uid);
        if (l->gid != l->real_gid && setgid(l->gid) < 0)
            die_errno("unable to switch to gid %u", l->gid);
    }
    if ((l->ns & NS_NET) && l->netns_sock[0] < 0)
        bring_up_loopback();

    char *old_cwd = get_current_dir_name();
    mode_t old_umask = umask(0);
    struct root_opts opts = {
        .own_pidns = (l->ns & NS_PID) || p->pidns_fd != -1,
        .file_label = l->selinux ? p->file_label : NULL,
        .no_console = p->pty,
        .stage_upper = l->stage ? stage_upper(l->stage) : NULL,
        .stage_work = l->stage ? stage_work(l->stage) : NULL,
    };
    build_root(p, &opts);
    if (l->netns_sock[0] >= 0) {
        netns_join(l->netns_sock[0]);
        close_fd(&l->netns_sock[0]);
    }
    if (l->net_sock[1] >= 0) {
        proxy_send_listener(l->net_sock[1], NET_PROXY_PORT);
        close_fd(&l->net_sock[1]);
    }
    if (p->hostname != NULL && sethostname(p->hostname, strlen(p->hostname)) < 0)
        die_errno("Can't set hostname to %s", p->hostname);
    if (p->userns2_fd != -1 && setns(p->userns2_fd, CLONE_NEWUSER) < 0)
        die_errno("Setting userns2 failed");
    if (l->nested_userns)
        enter_nested_userns(l);
    if ((p->disable_userns || p->assert_userns_disabled) && unshare(CLONE_NEWUSER) == 0)
        die("creation of new user namespaces was not disabled as requested");
    /* After /dev is built, in the namespace the command runs in (the pty
     * is the opener's), and before the reaper, which must not keep the
     * caller's terminal either. */
    if (p->pty)
        enter_pty(l);
    close_fd(&l->proc_fd);
    if (l->in_userns)
        caps_limit_bounding(l->caps);
    caps_apply(l->caps, false);

    if (p->block_fd != -1) {
        char c;
        while (read(p->block_fd, &c, 1) < 0 && errno == EINTR)
            ;
        close(p->block_fd);
    }
    umask(old_umask);
    apply_env(p);
    enter_cwd(p, old_cwd);
    free(old_cwd);
    /* --pty: out of the caller's session too, so that no process of the
     * sandbox has the caller's terminal as its controlling terminal (pid 1
     * could otherwise be made to open /dev/tty and push input into it). */
    if ((p->new_session || p->pty) && setsid() < 0)
        die_errno("setsid");
    if (l->selinux && p->exec_label != NULL)
        write_proc_file(AT_FDCWD, "/proc/thread-self/attr/exec", p->exec_label);

    if (l->reaper) {
        take_lock_files(l);
        make_reaper_undumpable(p);
        pid_t pid = fork();
        if (pid < 0)
            die_errno("Can't fork for pid 1");
        if (pid > 0)
            reap(l, pid);
    }
    close_fd(&l->event_fd);
    if (!p->as_pid_1 && p->sync_fd != -1)
        close(p->sync_fd);
    /* The command leads the pty's session, as a login shell leads a
     * terminal's; the reaper stays out of it. */
    if (p->pty)
        pty_become_session();
    apply_rlimits(p);
    caps_apply(l->caps, l->caps_inheritable);
    /* Last, as changing credentials disarms it; relative to the reaper
     * when there is one. */
    die_with_monitor(l);
    sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
    close_unnamed_fds(p);
    /* Last, so the filters need not allow anything set-up does. */
    seccomp_install(l->seccomp);

    const char *file = p->argv[0];
    char **argv = (char **)p->argv;
    if (p->argv0 != NULL)
        argv[0] = (char *)p->argv0;
    if (l->exec_pipe[1] >= 0)
        (void)write_all(l->exec_pipe[1], "x", 1);
    execvp(file, argv);
    int saved = errno;
    if (l->exec_pipe[1] >= 0)
        (void)write_all(l->exec_pipe[1], "x", 1);
    errno = saved;
    die_errno("execvp %s", file);
}

/* ---- outside: the monitor ---- */

/* bwrap's documents, byte for byte (scripts grep them): SEP is ",\n    "
 * for --info-fd's indented one, ", " for --json-status-fd's line.  Only
 * integers go in, so printf is all the JSON this needs. */
static char *status_document(void *mem, const struct launch *l, pid_t child, const char *sep)
{
    static const struct { unsigned ns; const char *name; } ids[] = {
        {NS_CGROUP, "cgroup"}, {NS_IPC, "ipc"}, {0, "mnt"}, {NS_NET, "net"}, {NS_PID, "pid"}, {NS_UTS, "uts"},
    };
    bool indented = sep[1] == '\n';
    char *doc = talloc_asprintf(mem, "{%s\"child-pid\": %d", indented ? "\n    " : " ", (int)child);
    for (size_t i = 0; i < N_ELEMENTS(ids) && !l->landlock_abi; i++) {
        char path[64];
        struct stat st;
        if (ids[i].ns && !(l->ns & ids[i].ns))
            continue;
        snprintf(path, sizeof path, "/proc/%d/ns/%s", child, ids[i].name);
        if (stat(path, &st) == 0)
            doc = talloc_asprintf_append(doc, "%s\"%s-namespace\": %ju", sep, ids[i].name, (uintmax_t)st.st_ino);
    }
    /* bwrapper's own, last, and only where there are no namespaces to
     * name: with them the keys are bwrap's */
    if (l->landlock_abi)
        doc = talloc_asprintf_append(doc, "%s\"isolation\": \"landlock abi %d\"", sep, l->landlock_abi);
    return talloc_asprintf_append(doc, indented ? "\n}\n" : " }\n");
}

static void write_status(int fd, const char *doc)
{
    if (write_all(fd, doc, strlen(doc)) < 0)
        die_errno("Write to info_fd");
}

static void report_start(const struct launch *l, pid_t child)
{
    const struct plan *p = l->plan;
    void *mem = talloc_new(NULL);
    if (p->info_fd != -1) {
        write_status(p->info_fd, status_document(mem, l, child, ",\n    "));
        close(p->info_fd);
    }
    if (p->json_status_fd != -1)
        write_status(p->json_status_fd, status_document(mem, l, child, ", "));
    talloc_free(mem);
}

static void report_exit(const struct launch *l, int status)
{
    char c[2], doc[64];
    /* One byte: exec happened.  None: set-up failed; two: exec failed. */
    if (l->plan->json_status_fd == -1 || read(l->exec_pipe[0], c, sizeof c) != 1)
        return;
    snprintf(doc, sizeof doc, "{ \"exit-code\": %d }\n", status);
    write_status(l->plan->json_status_fd, doc);
    close(l->plan->json_status_fd);
}

/* Without --pty (whose relay does it): the signals that would end bwrapper
 * were blocked before the clone and go to the sandbox instead (bwrap dies
 * of them and leaves the command running).  -1 under --pty. */
static int take_forwarded_signals(const struct launch *l)
{
    if (l->plan->pty)
        return -1;
    sigset_t set;
    forwarded_signals(&set);
    int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        die_errno("Can't create signalfd");
    return fd;
}

static void pass_on_signals(const struct launch *l, int sigfd, int pidfd)
{
    struct signalfd_siginfo si;
    while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        /* A terminal's signal reached its whole foreground process group,
         * the sandbox included unless it has a session of its own. */
        if (si.ssi_code == SI_KERNEL && !l->plan->new_session)
            continue;
        (void)syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
    }
}

/* RELAY (--pty) and PROXY (--allow-net), or NULL, are kept going
 * meanwhile; SIGFD (or -1) has the signals to pass on. */
static int wait_child(const struct launch *l, int pidfd, pid_t child, struct pty_relay *relay, struct proxy *proxy,
                      int sigfd)
{
    struct pollfd fds[4 + PTY_RELAY_NFDS] = {{.fd = pidfd, .events = POLLIN}};
    struct timeout timeout = timeout_start(l->plan->timeout_ms);
    int command = -1; /* the command's status, once the reaper reports it */
    for (;;) {
        /* The reaper's report comes first: pid 1 often exits right after
         * the command, and its own status is not the command's.  With
         * --timeout the deadline holds for the whole sandbox: what the
         * command left running is waited for and ended at the deadline,
         * the status staying the command's.  After a timeout that ended
         * the command only the end of the whole sandbox counts. */
        uint64_t v;
        bool awaiting_report = command < 0 && !timeout.expired && l->event_fd >= 0;
        if (awaiting_report && read(l->event_fd, &v, sizeof v) == sizeof v) {
            command = (int)v - 1;
            if (!l->plan->timeout_ms)
                return command;
            continue;
        }
        siginfo_t info = {0};
        if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | WNOHANG) == 0 && info.si_pid == child) {
            if (command >= 0)
                return command;
            if (timeout.expired)
                return 124; /* as timeout(1) */
            if (info.si_code == CLD_EXITED)
                return info.si_status;
            return 128 + info.si_status;
        }
        int wait, sig = timeout_due(&timeout, &wait);
        if (sig) {
            /* killing pid 1 ends every process of its namespace */
            syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
            continue;
        }
        fds[1] = (struct pollfd){.fd = awaiting_report ? l->event_fd : -1, .events = POLLIN};
        fds[2] = (struct pollfd){.fd = sigfd, .events = POLLIN};
        fds[3] = (struct pollfd){.fd = proxy ? proxy_poll_fd(proxy) : -1, .events = POLLIN};
        nfds_t n = relay ? 4 + pty_relay_poll_fds(relay, fds + 4) : 4;
        if (poll(fds, n, wait) < 0) {
            if (errno != EINTR)
                die_errno("poll");
            continue;
        }
        if (sigfd >= 0)
            pass_on_signals(l, sigfd, pidfd);
        if (proxy && fds[3].revents)
            proxy_handle(proxy);
        /* Once every replica is closed only the status is still to come,
         * but signals are still taken and passed on. */
        if (relay)
            (void)pty_relay_handle(relay, fds + 4);
    }
}

/* The pid of a pidfd's process, in our namespace. */
static pid_t pidfd_pid(int pidfd)
{
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
    FILE *f = fopen(path, "re");
    int pid = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Pid: %d", &pid) == 1)
            break;
    if (f)
        fclose(f);
    if (pid <= 0)
        die("can't find the sandbox's pid");
    return pid;
}

static pid_t clone_child(unsigned flags, int *pidfd, unsigned extra)
{
    struct clone_args args = {
        .flags = flags | CLONE_PIDFD | extra,
        .pidfd = (uint64_t)(uintptr_t)pidfd,
        /* with CLONE_PARENT the kernel takes the caller's own */
        .exit_signal = (extra & CLONE_PARENT) ? 0 : SIGCHLD,
    };
    return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

/* --pidns: only children of a process that joined it are members, and
 * the kernel makes a new pid namespace only from inside the one it nests
 * in.  We stay out (a joined namespace may not let us back), so: a helper
 * joins, its child (a member) clones the sandbox with CLONE_PARENT, the
 * helper exits, and the sandbox comes to us as its subreaper.  The pid
 * seen in there is in other numbering: the pidfd travels instead. */
static pid_t clone_in_pidns(struct launch *l, int *pidfd)
{
    int sock[2];
    /* seqpacket, not datagrams: a helper that fails ends the connection,
     * which recv_fd sees, where a datagram socket would wait forever */
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0)
        die_errno("socketpair");
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        die_errno("prctl(PR_SET_CHILD_SUBREAPER)");
    pid_t helper = fork();
    if (helper < 0)
        die_errno("fork");
    if (helper == 0) {
        if (setns(l->plan->pidns_fd, CLONE_NEWPID) < 0)
            die_errno("Setting pidns failed");
        pid_t member = fork();
        if (member < 0)
            die_errno("fork");
        if (member == 0) {
            int fd = -1;
            pid_t child = clone_child(clone_flags(l), &fd, CLONE_PARENT);
            if (child == 0)
                run_child(l);
            if (child < 0)
                die_new_namespace(errno, l->ns & NS_USER);
            _exit(send_fd(sock[1], fd) < 0);
        }
        int st;
        _exit(waitpid(member, &st, 0) == member && WIFEXITED(st) ? WEXITSTATUS(st) : 1);
    }
    close(sock[1]);
    *pidfd = recv_fd(sock[0]);
    close(sock[0]);
    close(l->plan->pidns_fd);
    int st;
    if (waitpid(helper, &st, 0) != helper || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || *pidfd < 0)
        _exit(1); /* the helper said why */
    return pidfd_pid(*pidfd);
}

/* Does the plan mount a new /dev, with its own devpts?  ("/dev", "dev/"
 * and "//dev" all name it.) */
static bool mounts_new_dev(const struct plan *p)
{
    for (size_t i = 0; i < p->n_steps; i++) {
        const char *d = p->steps[i].dest;
        if (p->steps[i].kind != STEP_DEV)
            continue;
        d += strspn(d, "/");
        if (strncmp(d, "dev", 3) == 0 && d[3 + strspn(d + 3, "/")] == '\0')
            return true;
    }
    return false;
}

/* --pty: the controller, from the sandbox or opened before the clone. */
static struct pty_relay *start_relay(struct launch *l, int pidfd, void *mem)
{
    int controller = l->pty_controller;
    l->pty_controller = -1;
    if (l->pty_sock[0] >= 0) {
        controller = recv_fd(l->pty_sock[0]);
        if (controller < 0 && errno != ENOMSG)
            die_errno("--pty: can't receive the pty");
        close_fd(&l->pty_sock[0]);
    }
    /* No controller: set-up failed inside, which said why; its status is
     * all there is to wait for. */
    return controller < 0 ? NULL : pty_relay_begin(mem, controller, pidfd);
}

static void make_pipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) < 0)
        die_errno("pipe2()");
}

int print_seccomp_bpf(const struct plan *p)
{
    struct launch l;
    resolve(&l, p);
    void *mem = talloc_new(NULL);
    const struct sock_fprog *prog = seccomp_profile_program(seccomp_prepare(mem, p, l.caps));
    if (write_all(STDOUT_FILENO, prog->filter, prog->len * sizeof *prog->filter) < 0)
        die_errno("can't write the seccomp program");
    talloc_free(mem);
    return 0;
}

/* ---- without namespaces: Landlock ---- */

/* Everything the command left behind: our children, which include its
 * orphans since we are their subreaper. */
static void kill_leftovers(pid_t command)
{
    kill(-command, SIGKILL);
    for (;;) {
        char buf[4096];
        int fd = open("/proc/thread-self/children", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0)
            close(fd);
        if (n <= 0)
            break;
        buf[n] = '\0';
        char *s = buf, *end;
        for (long pid; (pid = strtol(s, &end, 10)) > 0 && end != s; s = end)
            kill((pid_t)pid, SIGKILL);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        /* the killed are gone once reaped: wait for one before looking again */
        if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
            break;
    }
}

static _Noreturn void run_landlock_child(struct launch *l, int ruleset, const char *tmpdir)
{
    const struct plan *p = l->plan;
    close_fd(&l->exec_pipe[0]);
    if (p->info_fd != -1)
        close(p->info_fd);
    if (p->json_status_fd != -1)
        close(p->json_status_fd);
    die_with_parent(p);
    char *old_cwd = get_current_dir_name();
    apply_env(p);
    if (tmpdir != NULL && setenv("TMPDIR", tmpdir, 1) != 0)
        die_errno("setenv TMPDIR");
    enter_cwd(p, old_cwd);
    free(old_cwd);
    /* Its own process group at least, so that --timeout reaches all of it. */
    if (p->new_session ? setsid() < 0 : setpgid(0, 0) < 0)
        die_errno("setsid");
    apply_rlimits(p);
    if (l->real_uid == 0)
        caps_limit_bounding(l->caps);
    caps_apply(l->caps, l->caps_inheritable);
    /* after the credentials change, which disarms it */
    die_with_monitor(l);
    sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
    landlock_enforce(ruleset);
    if (l->ns & NS_NET)
        seccomp_unix_sockets_only();
    close_unnamed_fds(p);
    seccomp_install(l->seccomp);
    if (l->exec_pipe[1] >= 0)
        (void)write_all(l->exec_pipe[1], "x", 1);
    execvp(p->argv[0], (char **)p->argv);
    int saved = errno;
    if (l->exec_pipe[1] >= 0)
        (void)write_all(l->exec_pipe[1], "x", 1);
    errno = saved;
    die_errno("execvp %s", p->argv[0]);
}

/* --isolation landlock, or auto where namespaces cannot be made (they
 * failed with NS_ERRNO; 0: not tried): the
 * command runs beside us, its filesystem access limited by Landlock, its
 * sockets by Landlock and seccomp, and we stay to end everything it left
 * and to remove its private temporary directory. */
static int run_landlock(const struct plan *p, int ns_errno)
{
    void *mem = talloc_new(NULL);
    const char *why = landlock_unexpressible(mem, p);
    int abi = landlock_abi();
    if (ns_errno != 0 && (why != NULL || abi == 0))
        isolation_impossible(p, ns_errno);
    if (why != NULL)
        die("--isolation landlock cannot express %s", why);
    if (abi == 0)
        die("--isolation landlock: Landlock is not enabled (a kernel >= 5.13 with landlock in its lsm= boot list)");
    if (ns_errno != 0)
        warn_landlock_fallback(p, ns_errno);
    struct launch l = {
        .plan = p, .ns = p->ns, .real_uid = getuid(), .real_gid = getgid(),
        .proc_fd = -1, .go_pipe = {-1, -1}, .exec_pipe = {-1, -1}, .event_fd = -1,
        .pty_sock = {-1, -1}, .pty_controller = -1, .pty_replica = -1, .monitor_pidfd = -1,
        .net_sock = {-1, -1}, .landlock_abi = abi,
    };
    l.caps = caps_requested(p, l.real_uid == 0, false, &l.caps_inheritable);
    l.seccomp = seccomp_prepare(mem, p, l.caps);
    const char *tmpdir = NULL;
    for (size_t i = 0; i < p->n_steps; i++)
        if (p->steps[i].kind == STEP_TMPFS && (p->steps[i].flags & STEP_PROFILE))
            tmpdir = private_tmpdir_make(mem);
    int ruleset = landlock_ruleset(p, abi, tmpdir);
    if (p->json_status_fd != -1)
        make_pipe(l.exec_pipe);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        die_errno("prctl(PR_SET_CHILD_SUBREAPER)");
    /* As with namespaces: signals passed on, no orphan if we die. */
    hold_signals_for_monitor(&l);
    int pidfd = -1;
    pid_t child = clone_child(0, &pidfd, 0);
    if (child < 0)
        die_errno("clone");
    if (child == 0)
        run_landlock_child(&l, ruleset, tmpdir);
    sandbox_pidfd = pidfd;
    close(ruleset);
    close_fd(&l.exec_pipe[1]);
    close_fd(&l.monitor_pidfd);
    die_with_parent(p);
    report_start(&l, child);
    int sigfd = take_forwarded_signals(&l);
    int status = wait_child(&l, pidfd, child, NULL, NULL, sigfd);
    close_fd(&sigfd);
    kill_leftovers(child);
    report_exit(&l, status);
    if (tmpdir != NULL)
        private_tmpdir_remove(tmpdir);
    talloc_free(mem);
    return status;
}

/* --allow-net: the proxy, on the socket the sandbox listens on; NULL if
 * set-up failed inside before it was sent (which said why). */
static struct proxy *start_proxy(struct launch *l, void *mem)
{
    if (l->net_sock[0] < 0)
        return NULL;
    int listener = recv_fd(l->net_sock[0]);
    if (listener < 0 && errno != ENOMSG)
        die_errno("--allow-net: can't receive the proxy's socket");
    close_fd(&l->net_sock[0]);
    return listener < 0 ? NULL : proxy_begin(mem, l->plan, listener);
}

/* --stage: the changes are looked at once the whole sandbox is gone, so
 * nothing still writes to the upper layer. */
static int finish_stage(struct launch *l, int status)
{
    return l->stage ? stage_end(l->stage, l->plan, status) : status;
}

/* --isolation auto: 0, or why pid 1 found its namespaces unusable (it
 * has then ended, and is reaped here). */
static int namespaces_refused(struct launch *l, int pidfd)
{
    if (l->probe_pipe[0] < 0)
        return 0;
    close_fd(&l->probe_pipe[1]);
    int err = 0;
    ssize_t n;
    while ((n = read(l->probe_pipe[0], &err, sizeof err)) < 0 && errno == EINTR)
        ;
    close_fd(&l->probe_pipe[0]);
    if (n != (ssize_t)sizeof err)
        die("the sandbox ended before it was set up");
    if (err != 0) {
        siginfo_t info;
        while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED) < 0 && errno == EINTR)
            ;
        close(pidfd);
        sandbox_pidfd = -1;
    }
    return err;
}

/* --isolation auto where the kernel refused the namespaces (ERR): what
 * was made for them is let go, and Landlock isolates instead. */
static int fall_back_to_landlock(struct launch *l, void *mem, int err)
{
    sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
    int *fds[] = {&l->proc_fd,       &l->go_pipe[0],     &l->go_pipe[1],   &l->exec_pipe[0], &l->exec_pipe[1],
                  &l->event_fd,      &l->pty_sock[0],    &l->pty_sock[1],  &l->pty_controller, &l->pty_replica,
                  &l->monitor_pidfd, &l->net_sock[0],    &l->net_sock[1],  &l->netns_sock[0], &l->netns_sock[1]};
    for (size_t i = 0; i < N_ELEMENTS(fds); i++)
        close_fd(fds[i]);
    /* MEM (a stage among it) outlives a Landlock run that dies */
    int status = run_landlock(l->plan, err);
    talloc_free(mem);
    return status;
}

int run_plan(const struct plan *p)
{
    struct launch l;
    /* A caller that ignored SIGCHLD would make our children unwaitable. */
    signal(SIGCHLD, SIG_DFL);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die_errno("prctl(PR_SET_NO_NEW_PRIVS)");
    level_prefix = p->level_prefix;
    if (p->n_require > 0)
        guarantees_require(p);
    if (p->isolation == ISOLATION_LANDLOCK)
        return run_landlock(p, 0);
    resolve(&l, p);
    void *mem = talloc_new(NULL);
    l.seccomp = seccomp_prepare(mem, p, l.caps);
    l.lock_fds = talloc_array(mem, int, p->n_lock_files);

    if ((l.ns & NS_USER) && (l.proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        die_errno("Can't open /proc");
    if (p->info_fd != -1 || p->json_status_fd != -1 || p->userns_block_fd != -1 || p->pidns_fd != -1)
        make_pipe(l.go_pipe);
    if (p->json_status_fd != -1)
        make_pipe(l.exec_pipe);
    /* auto: no probe of its own; the sandbox's first step tells */
    if (p->isolation == ISOLATION_AUTO)
        make_pipe(l.probe_pipe);
    if (l.reaper && (l.event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
        die_errno("eventfd()");
    /* With no new /dev there is no devpts of the sandbox's own; a pty from
     * the caller's /dev/ptmx is the one whose /dev/pts/N shows inside when
     * /dev is bound, and opening it here works even where the sandbox
     * could not (a nodev bind of /dev, no /dev at all). */
    if (p->pty && mounts_new_dev(p) && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, l.pty_sock) < 0)
        die_errno("socketpair");
    if (p->pty && !mounts_new_dev(p))
        pty_open("/dev/ptmx", &l.pty_controller, &l.pty_replica);
    if (p->n_net_rules > 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, l.net_sock) < 0)
        die_errno("socketpair");

    /* Not where the documents of --info-fd and --json-status-fd name the
     * clone's namespaces before pid 1 could join one, nor under --pidns,
     * whose clone is a helper's. */
    if ((l.ns & NS_NET) && p->info_fd == -1 && p->json_status_fd == -1 && p->pidns_fd == -1 &&
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, l.netns_sock) < 0)
        die_errno("socketpair");

    l.stage = p->stage_path ? stage_begin(mem, p) : NULL;
    if (p->userns_fd != -1) {
        if (setns(p->userns_fd, CLONE_NEWUSER) < 0) {
            if (errno == EINVAL)
                die("Joining the specified user namespace failed, it might not be a descendant of the current user namespace.");
            die_errno("Joining specified user namespace failed");
        }
        close(p->userns_fd);
    }
    hold_signals_for_monitor(&l);
    int pidfd = -1;
    pid_t child = p->pidns_fd != -1 ? clone_in_pidns(&l, &pidfd) : clone_child(clone_flags(&l), &pidfd, 0);
    if (child < 0 && p->isolation == ISOLATION_AUTO)
        return fall_back_to_landlock(&l, mem, errno);
    if (child < 0)
        die_new_namespace(errno, l.ns & NS_USER);
    if (child == 0)
        run_child(&l);
    sandbox_pidfd = pidfd;
    int refused = namespaces_refused(&l, pidfd);
    if (refused != 0)
        return fall_back_to_landlock(&l, mem, refused);
    if (l.netns_sock[1] >= 0)
        netns_make_beside(pidfd, l.ns & NS_USER, l.netns_sock[1]);
    close_fd(&l.netns_sock[0]);
    close_fd(&l.netns_sock[1]);

    close_fd(&l.go_pipe[0]);
    close_fd(&l.exec_pipe[1]);
    close_fd(&l.proc_fd);
    close_fd(&l.pty_sock[1]);
    close_fd(&l.pty_replica);
    close_fd(&l.monitor_pidfd);
    close_fd(&l.net_sock[1]);
    die_with_parent(p);
    report_start(&l, child);
    if (p->userns_block_fd != -1) {
        char c;
        while (read(p->userns_block_fd, &c, 1) < 0 && errno == EINTR)
            ;
        close(p->userns_block_fd);
    }
    close_fd(&l.go_pipe[1]);
    struct pty_relay *relay = p->pty ? start_relay(&l, pidfd, mem) : NULL;
    struct proxy *proxy = start_proxy(&l, mem);
    int sigfd = take_forwarded_signals(&l);
    int status = wait_child(&l, pidfd, child, relay, proxy, sigfd);
    close_fd(&sigfd);
    if (relay != NULL)
        pty_relay_end(relay);
    if (proxy != NULL)
        proxy_end(proxy);
    report_exit(&l, status);
    status = finish_stage(&l, status);
    talloc_free(mem);
    return status;
}
