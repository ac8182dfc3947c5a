/* The native executor: namespaces, ids, the monitor outside, the reaper
 * and the command inside.  The filesystem is mounts.c's, capabilities
 * caps.c's, seccomp seccomp.c's; this file decides when each happens. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
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
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <talloc.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "mounts.h"
#include "plan.h"
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
    int proc_fd;             /* host /proc: id maps and sysctls after the pivot */
    int go_pipe[2];          /* monitor -> child: the outside is ready */
    int exec_pipe[2];        /* child -> monitor: one byte before exec, two if exec failed */
    int event_fd;            /* reaper -> monitor: the command's exit status + 1 */
    int pty_sock[2];         /* --pty with a new /dev: sandbox -> monitor, the pty's controller */
    int pty_controller, pty_replica; /* --pty without: the caller's /dev/ptmx, opened by the monitor */
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

    /* A closed fd would silently stand for one of ours once we open any. */
    for (size_t i = 0; i < p->n_steps; i++)
        if (p->steps[i].fd >= 0 && fcntl(p->steps[i].fd, F_GETFD) < 0)
            die_errno("%s", p->steps[i].option);
    /* --timeout ends the whole sandbox: that takes a pid namespace. */
    if (p->timeout_ms)
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

/* The kernel gives lo 127.0.0.1/8 and ::1 itself once it is up. */
static void bring_up_loopback(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {.ifr_name = "lo"};
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        die_errno("loopback: can't read flags");
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        die_errno("loopback: can't bring up lo");
    close(s);
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
        die_errno("can't create a nested user namespace");
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

/* pid 1: hold the lock files, reap everything, report the command's exit
 * status as soon as it has one, and leave when the last process has. */
/* Close every fd above stderr except the two in KEEP (-1 for none). */
static void close_fds_except(int a, int b)
{
    if (a > b) {
        int t = a;
        a = b;
        b = t;
    }
    unsigned from = 3;
    int keep[] = {a, b};
    for (size_t i = 0; i < N_ELEMENTS(keep); i++) {
        if (keep[i] < (int)from)
            continue;
        if ((unsigned)keep[i] > from)
            syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0);
        from = (unsigned)keep[i] + 1;
    }
    syscall(SYS_close_range, from, ~0u, 0);
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

/* --pty: SIGINT, SIGTERM, SIGHUP and SIGQUIT forwarded by the monitor are for the
 * command; pid 1 would ignore them, another reaper die of them. */
static volatile pid_t reaped_command;

static void forward_to_command(int sig)
{
    kill(reaped_command, sig);
}

static _Noreturn void reap(const struct launch *l, pid_t command)
{
    const struct plan *p = l->plan;
    /* pid 1 holds nothing the command was given: a pipe must close when
     * the command closes it, not when the last process of the sandbox
     * does.  It keeps its report channel and --sync-fd. */
    close_fds_except(l->event_fd, p->sync_fd);
    caps_apply(0, false);
    for (size_t i = 0; i < p->n_lock_files; i++) {
        int fd = open(p->lock_files[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            die_errno("Unable to open lock file %s", p->lock_files[i]);
        struct flock lock = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_SETLK, &lock) < 0)
            die_errno("Unable to lock file %s", p->lock_files[i]);
    }
    die_with_parent(p);
    if (p->pty) {
        reaped_command = command;
        struct sigaction sa = {.sa_handler = forward_to_command, .sa_flags = SA_RESTART};
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGQUIT, &sa, NULL);
    }
    /* Everything in the namespace, the command included. */
    if (p->timeout_ms) {
        struct sigaction sa = {.sa_handler = forward_to_all, .sa_flags = SA_RESTART};
        sigaction(SIGTERM, &sa, NULL);
    }
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

static _Noreturn void run_child(struct launch *l)
{
    const struct plan *p = l->plan;
    close_fd(&l->go_pipe[1]);
    close_fd(&l->exec_pipe[0]);
    close_fd(&l->pty_sock[0]);
    close_fd(&l->pty_controller);
    if (p->info_fd != -1)
        close(p->info_fd);
    if (p->json_status_fd != -1)
        close(p->json_status_fd);
    /* the command must not be able to write change lines of its own */
    if (p->changes_fd != -1)
        close(p->changes_fd);

    if (l->go_pipe[0] >= 0) {
        char c;
        while (read(l->go_pipe[0], &c, 1) < 0 && errno == EINTR)
            ;
        close_fd(&l->go_pipe[0]);
    }
    /* After the go-ahead: with --pidns we are reparented to the monitor
     * first, and a reparenting counts as a parent's death. */
    die_with_parent(p);
    if ((l->ns & NS_USER) && p->userns_block_fd == -1)
        write_id_maps(l->proc_fd, l->setup_uid, l->real_uid, l->setup_gid, l->real_gid, true);
    if (p->userns_fd != -1) {
        if (l->uid != l->real_uid && setuid(l->uid) < 0)
            die_errno("unable to switch to uid %u", l->uid);
        if (l->gid != l->real_gid && setgid(l->gid) < 0)
            die_errno("unable to switch to gid %u", l->gid);
    }
    if (l->ns & NS_NET)
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
    if (p->hostname != NULL && sethostname(p->hostname, strlen(p->hostname)) < 0)
        die_errno("sethostname %s", p->hostname);
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
        pid_t pid = fork();
        if (pid < 0)
            die_errno("fork");
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
    die_with_parent(p);
    apply_rlimits(p);
    caps_apply(l->caps, l->caps_inheritable);
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

static json_t *status_object(const struct launch *l, pid_t child)
{
    static const struct { unsigned ns; const char *name; } ids[] = {
        {NS_CGROUP, "cgroup"}, {NS_IPC, "ipc"}, {0, "mnt"}, {NS_NET, "net"}, {NS_PID, "pid"}, {NS_UTS, "uts"},
    };
    json_t *o = json_object();
    json_object_set_new(o, "child-pid", json_integer(child));
    for (size_t i = 0; i < N_ELEMENTS(ids); i++) {
        if (ids[i].ns && !(l->ns & ids[i].ns))
            continue;
        char path[64], key[32];
        struct stat st;
        snprintf(path, sizeof path, "/proc/%d/ns/%s", child, ids[i].name);
        snprintf(key, sizeof key, "%s-namespace", ids[i].name);
        if (stat(path, &st) == 0)
            json_object_set_new(o, key, json_integer((json_int_t)st.st_ino));
    }
    return o;
}

static void write_json(int fd, json_t *o, size_t flags)
{
    char *text = json_dumps(o, flags);
    if (text == NULL || write_all(fd, text, strlen(text)) < 0 || write_all(fd, "\n", 1) < 0)
        die_errno("can't write status to fd %d", fd);
    free(text);
}

static void report_start(const struct launch *l, pid_t child)
{
    const struct plan *p = l->plan;
    if (p->info_fd == -1 && p->json_status_fd == -1)
        return;
    json_t *o = status_object(l, child);
    if (p->info_fd != -1) {
        write_json(p->info_fd, o, JSON_INDENT(4));
        close(p->info_fd);
    }
    if (p->json_status_fd != -1)
        write_json(p->json_status_fd, o, JSON_COMPACT);
    json_decref(o);
}

static void report_exit(const struct launch *l, int status)
{
    char c[2];
    /* One byte: exec happened.  None: set-up failed; two: exec failed. */
    if (l->plan->json_status_fd == -1 || read(l->exec_pipe[0], c, sizeof c) != 1)
        return;
    json_t *o = json_pack("{s:i}", "exit-code", status);
    write_json(l->plan->json_status_fd, o, JSON_COMPACT);
    json_decref(o);
    close(l->plan->json_status_fd);
}

/* RELAY (--pty, or NULL) is kept going meanwhile. */
static int wait_child(const struct launch *l, int pidfd, pid_t child, struct pty_relay *relay)
{
    struct pollfd fds[2 + PTY_RELAY_NFDS] = {{.fd = pidfd, .events = POLLIN}};
    struct timeout timeout = timeout_start(l->plan->timeout_ms);
    for (;;) {
        /* The reaper's report comes first: pid 1 often exits right after
         * the command, and its own status is not the command's.  After a
         * timeout only the end of the whole sandbox counts. */
        uint64_t v;
        if (!timeout.expired && l->event_fd >= 0 && read(l->event_fd, &v, sizeof v) == sizeof v)
            return (int)v - 1;
        siginfo_t info = {0};
        if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | WNOHANG) == 0 && info.si_pid == child) {
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
        fds[1] = (struct pollfd){.fd = timeout.expired ? -1 : l->event_fd, .events = POLLIN};
        nfds_t n = relay ? 2 + pty_relay_poll_fds(relay, fds + 2) : 2;
        if (poll(fds, n, wait) < 0) {
            if (errno != EINTR)
                die_errno("poll");
            continue;
        }
        /* Once every replica is closed only the status is still to come,
         * but signals are still taken and passed on. */
        if (relay)
            (void)pty_relay_handle(relay, fds + 2);
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
                die_errno("Creating new namespace failed");
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
        die_errno("pipe");
}

/* --stage: the changes are looked at once the whole sandbox is gone, so
 * nothing still writes to the upper layer. */
static int finish_stage(struct launch *l, int status)
{
    return l->stage ? stage_end(l->stage, l->plan, status) : status;
}

int run_plan(const struct plan *p)
{
    struct launch l;
    /* A caller that ignored SIGCHLD would make our children unwaitable. */
    signal(SIGCHLD, SIG_DFL);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die_errno("prctl(PR_SET_NO_NEW_PRIVS)");
    resolve(&l, p);
    level_prefix = p->level_prefix;
    void *mem = talloc_new(NULL);
    l.seccomp = seccomp_prepare(mem, p, l.caps);

    if ((l.ns & NS_USER) && (l.proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        die_errno("can't open /proc");
    if (p->info_fd != -1 || p->json_status_fd != -1 || p->userns_block_fd != -1 || p->pidns_fd != -1)
        make_pipe(l.go_pipe);
    if (p->json_status_fd != -1)
        make_pipe(l.exec_pipe);
    if (l.reaper && (l.event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
        die_errno("eventfd");
    /* With no new /dev there is no devpts of the sandbox's own; a pty from
     * the caller's /dev/ptmx is the one whose /dev/pts/N shows inside when
     * /dev is bound, and opening it here works even where the sandbox
     * could not (a nodev bind of /dev, no /dev at all). */
    if (p->pty && mounts_new_dev(p) && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, l.pty_sock) < 0)
        die_errno("socketpair");
    if (p->pty && !mounts_new_dev(p))
        pty_open("/dev/ptmx", &l.pty_controller, &l.pty_replica);

    l.stage = p->stage_path ? stage_begin(mem, p) : NULL;
    if (p->userns_fd != -1) {
        if (setns(p->userns_fd, CLONE_NEWUSER) < 0) {
            if (errno == EINVAL)
                die("Joining the specified user namespace failed, it might not be a descendant of the current user namespace.");
            die_errno("Joining specified user namespace failed");
        }
        close(p->userns_fd);
    }
    int pidfd = -1;
    pid_t child = p->pidns_fd != -1 ? clone_in_pidns(&l, &pidfd) : clone_child(clone_flags(&l), &pidfd, 0);
    if (child < 0 && errno == EPERM && (l.ns & NS_USER))
        die("No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces.");
    if (child < 0)
        die_errno("Creating new namespace failed");
    if (child == 0)
        run_child(&l);
    sandbox_pidfd = pidfd;

    close_fd(&l.go_pipe[0]);
    close_fd(&l.exec_pipe[1]);
    close_fd(&l.proc_fd);
    close_fd(&l.pty_sock[1]);
    close_fd(&l.pty_replica);
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
    int status = wait_child(&l, pidfd, child, relay);
    if (relay != NULL)
        pty_relay_end(relay);
    report_exit(&l, status);
    status = finish_stage(&l, status);
    talloc_free(mem);
    return status;
}
