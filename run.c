/* The native executor, outside: the monitor checks what the caller asked
 * for, clones the sandbox (whose side is inside.c), passes on signals,
 * relays a pty and a proxy, and reports.  With --isolation landlock, or
 * auto where the kernel refuses namespaces, the command runs beside it
 * under Landlock instead. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <talloc.h>
#include <unistd.h>

#include "caps.h"
#include "guarantees.h"
#include "landlock.h"
#include "launch.h"
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

/* ---- the monitor ---- */

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
            /* Natively pid 1 passes it to every process of its namespace
             * (and killing it ends them all).  Under Landlock there is no
             * namespace: the command leads a process group of its own,
             * which is sent it too; what left that group is ended when
             * the command is. */
            if (l->landlock_abi)
                kill(-child, sig);
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
        .net_sock = {-1, -1}, .netns_sock = {-1, -1}, .probe_pipe = {-1, -1}, .landlock_abi = abi,
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
