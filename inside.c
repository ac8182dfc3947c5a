/* The sandbox's side of the native executor: pid 1 takes its ids, builds
 * the root (mounts.c), reaps and reports; the command gets its
 * environment, capabilities (caps.c) and seccomp (seccomp.c) last, and is
 * exec'd.  The monitor's side, which decides when each happens, is run.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <talloc.h>
#include <unistd.h>

#include "caps.h"
#include "landlock.h"
#include "launch.h"
#include "mounts.h"
#include "netallow.h"
#include "netns.h"
#include "proxy.h"
#include "pty.h"
#include "seccomp.h"
#include "stage.h"
#include "util.h"

/* ---- ids ---- */

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

/* ---- pid 1 and the command ---- */

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

void die_with_parent(const struct plan *p)
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

enum rlimit_set { RLIMITS_ALL, RLIMITS_BUT_NPROC, RLIMITS_NPROC };

static void apply_rlimits(const struct plan *p, enum rlimit_set set)
{
    for (size_t i = 0; i < p->n_rlimits; i++) {
        const struct rlimit_op *r = &p->rlimits[i];
        bool nproc = r->resource == RLIMIT_NPROC;
        if ((set == RLIMITS_BUT_NPROC && nproc) || (set == RLIMITS_NPROC && !nproc))
            continue;
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
    /* the one limit that would have stopped the fork (the rest: below) */
    apply_rlimits(p, RLIMITS_NPROC);
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

void close_fd(int *fd)
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

_Noreturn void run_child(struct launch *l)
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
        /* The command's limits bind pid 1 too, or the command could have
         * it write or open for it; from before the fork, so that the
         * command never sees pid 1 without them. */
        apply_rlimits(p, RLIMITS_BUT_NPROC);
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
    /* behind a reaper the rest came with the fork */
    apply_rlimits(p, l->reaper ? RLIMITS_NPROC : RLIMITS_ALL);
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

/* ---- without namespaces: the command under Landlock ---- */

_Noreturn void run_landlock_child(struct launch *l, int ruleset, const char *tmpdir)
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
    apply_rlimits(p, RLIMITS_ALL);
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
