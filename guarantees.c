/* The guarantee model: each guarantee a plan asks for, and the means that
 * keep it under namespaces and under Landlock (by ABI level).  Reading the
 * machine (a user namespace probe, sysctls) happens only here, for
 * --print-guarantees, --require or a failure: never on the way to a run. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <talloc.h>
#include <unistd.h>

#include "guarantees.h"
#include "landlock.h"
#include "util.h"

/* How the sandbox would be made on this machine. */
struct machine {
    bool namespaces; /* the plan's isolation resolves to namespaces */
    int abi;         /* Landlock ABI; 0: none */
};

struct guarantee {
    const char *name, *description;
    bool (*asked)(const struct plan *p);
    /* The means that keep it (NULL: not kept), and why not. */
    const char *(*means)(void *mem, const struct plan *p, const struct machine *m, const char **gap);
};

static bool confines_files(const struct plan *p)
{
    return p->root_readonly || p->isolation == ISOLATION_LANDLOCK;
}
static bool asks_net(const struct plan *p) { return p->ns & NS_NET; }
static bool asks_no_net(const struct plan *p) { return (p->ns & NS_NET) && p->n_net_rules == 0; }
static bool asks_allowlist(const struct plan *p) { return p->n_net_rules > 0; }
static bool asks_pid(const struct plan *p) { return p->ns & NS_PID; }
static bool asks_uts(const struct plan *p) { return p->ns & NS_UTS; }
static bool asks_ipc(const struct plan *p) { return p->ns & NS_IPC; }
static bool asks_seccomp(const struct plan *p) { return p->seccomp_profile != NULL; }
static bool asks_session(const struct plan *p) { return p->new_session; }
static bool asks_rlimits(const struct plan *p) { return p->n_rlimits > 0; }
static bool asks_timeout(const struct plan *p) { return p->timeout_ms > 0; }

static const char *abi_means(void *mem, const struct machine *m, int need, const char *what, const char **gap)
{
    if (m->abi >= need)
        return talloc_asprintf(mem, "landlock abi %d%s", need, what);
    *gap = talloc_asprintf(mem, "needs Landlock ABI %d, this kernel has %d", need, m->abi);
    return NULL;
}

static const char *means_writes(void *mem, const struct plan *p, const struct machine *m, const char **gap)
{
    (void)p;
    /* truncate() of a readable file is a write Landlock handles from ABI 3 */
    return m->namespaces ? "mount namespace (read-only binds)" : abi_means(mem, m, 3, "", gap);
}

static const char *means_reads(void *mem, const struct plan *p, const struct machine *m, const char **gap)
{
    (void)p;
    if (m->namespaces)
        return "mount namespace (only the bound paths exist)";
    const char *means = abi_means(mem, m, 1, "", gap);
    return means ? talloc_asprintf(mem, "%s (unlisted paths exist but cannot be opened or listed)", means) : NULL;
}

static const char *means_net(void *mem, const struct plan *p, const struct machine *m, const char **gap)
{
    (void)p, (void)gap;
    if (m->namespaces)
        return "network namespace";
    return m->abi >= 4 ? "landlock abi 4 (tcp bind and connect), seccomp (socket: AF_UNIX only)"
                       : talloc_strdup(mem, "seccomp (socket: AF_UNIX only)");
}

static const char *means_allowlist(void *mem, const struct plan *p, const struct machine *m, const char **gap)
{
    (void)mem, (void)p;
    if (m->namespaces)
        return "network namespace, bwrapper's proxy";
    *gap = "the proxy needs a network namespace: Landlock cannot send connections through it";
    return NULL;
}

static const char *means_abstract(void *mem, const struct plan *p, const struct machine *m, const char **gap)
{
    (void)p;
    return m->namespaces ? "network namespace" : abi_means(mem, m, 6, " (scoped abstract unix sockets)", gap);
}

static const char *means_pathname_sockets(void *mem, const struct plan *p, const struct machine *m, const char **gap)
{
    (void)mem, (void)p;
    if (m->namespaces)
        return "mount namespace (sockets under --rw/--ro paths stay reachable)";
    *gap = "Landlock does not restrict connect() to a socket file: any host socket the user can reach is open";
    return NULL;
}

static const char *means_signals(void *mem, const struct plan *p, const struct machine *m, const char **gap)
{
    (void)p;
    return m->namespaces ? "pid namespace" : abi_means(mem, m, 6, " (scoped signals)", gap);
}

static const char *means_ptrace(void *mem, const struct plan *p, const struct machine *m, const char **gap)
{
    (void)p, (void)gap;
    return m->namespaces ? "pid namespace" : talloc_asprintf(mem, "landlock abi 1 (ptrace only within the sandbox)");
}

static const char *means_procs_hidden(void *mem, const struct plan *p, const struct machine *m, const char **gap)
{
    (void)mem, (void)p;
    if (m->namespaces)
        return "pid namespace";
    *gap = "other processes of the same user show in /proc (their command lines too; not their memory or "
           "environment, which Landlock's ptrace rule keeps)";
    return NULL;
}

static const char *means_hostname(void *mem, const struct plan *p, const struct machine *m, const char **gap)
{
    (void)mem, (void)p;
    if (m->namespaces)
        return "uts namespace";
    *gap = "the host's hostname is seen (it cannot be changed without privileges either way)";
    return NULL;
}

static const char *means_ipc(void *mem, const struct plan *p, const struct machine *m, const char **gap)
{
    (void)mem, (void)p;
    if (m->namespaces)
        return "ipc namespace";
    *gap = "System V IPC objects and POSIX message queues of the host are shared";
    return NULL;
}

static const char *means_seccomp(void *mem, const struct plan *p, const struct machine *m, const char **gap)
{
    (void)mem, (void)p, (void)m, (void)gap;
    return "seccomp";
}

static const char *means_session(void *mem, const struct plan *p, const struct machine *m, const char **gap)
{
    (void)mem, (void)p, (void)m, (void)gap;
    return "setsid";
}

static const char *means_rlimits(void *mem, const struct plan *p, const struct machine *m, const char **gap)
{
    (void)mem, (void)p, (void)m, (void)gap;
    return "setrlimit";
}

static const char *means_timeout(void *mem, const struct plan *p, const struct machine *m, const char **gap)
{
    (void)mem, (void)p, (void)gap;
    return m->namespaces ? "pid namespace" : "process group, subreaper";
}

static const struct guarantee guarantees[] = {
    {"writes-confined", "writes only in the --rw paths and a private temporary directory", confines_files,
     means_writes},
    {"reads-confined", "reads only of the system directories and the --ro/--rw paths", confines_files,
     means_reads},
    {"no-network", "no network but unix sockets", asks_no_net, means_net},
    {"net-allowlist", "network only to the --allow-net hosts and ports, through bwrapper's proxy", asks_allowlist,
     means_allowlist},
    {"no-host-abstract-sockets", "no connection to the host's abstract unix sockets", asks_net, means_abstract},
    {"no-host-socket-files", "no connection to the host's unix socket files", confines_files,
     means_pathname_sockets},
    {"no-signals-outside", "no signals to processes outside the sandbox", asks_pid, means_signals},
    {"no-ptrace-outside", "no ptrace of processes outside the sandbox", asks_pid, means_ptrace},
    {"processes-hidden", "processes outside the sandbox are not visible", asks_pid, means_procs_hidden},
    {"private-hostname", "a hostname of its own", asks_uts, means_hostname},
    {"private-ipc", "no System V IPC or POSIX message queues shared with the host", asks_ipc, means_ipc},
    {"syscall-filter", "system calls filtered (TIOCSTI, TIOCLINUX, new namespaces, ...)", asks_seccomp,
     means_seccomp},
    {"new-session", "no access to the caller's terminal session", asks_session, means_session},
    {"rlimits", "the --rlimit limits", asks_rlimits, means_rlimits},
    {"timeout", "every process ended at the --timeout", asks_timeout, means_timeout},
};

bool guarantee_known(const char *name)
{
    for (size_t i = 0; i < N_ELEMENTS(guarantees); i++)
        if (strcmp(guarantees[i].name, name) == 0)
            return true;
    return false;
}

char *guarantee_names(void *mem)
{
    char *s = talloc_strdup(mem, "");
    for (size_t i = 0; i < N_ELEMENTS(guarantees); i++)
        s = talloc_asprintf_append(s, "%s%s", i ? " " : "", guarantees[i].name);
    return s;
}

int namespaces_fail(const struct plan *p)
{
    pid_t pid = fork();
    if (pid < 0)
        die_errno("fork");
    if (pid == 0) {
        /* whether a user namespace is made: run.c's rule */
        bool userns = getuid() != 0 || (p->ns & NS_USER) || ((p->ns & NS_USER_TRY) && userns_allowed());
        int flags = CLONE_NEWNS | (userns ? CLONE_NEWUSER : 0);
        if (unshare(flags) < 0 || mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
            _exit(errno > 0 && errno < 256 ? errno : EPERM);
        _exit(0);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            die_errno("waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : EPERM;
}

static struct machine read_machine(const struct plan *p)
{
    struct machine m = {.abi = landlock_abi()};
    m.namespaces = p->isolation == ISOLATION_NAMESPACES ||
                   (p->isolation == ISOLATION_AUTO && namespaces_fail(p) == 0);
    return m;
}

char *guarantees_json(void *mem, const struct plan *p)
{
    void *tmp = talloc_new(NULL);
    struct machine m = read_machine(p);
    json_t *o = json_object();
    json_object_set_new(o, "isolation", m.namespaces ? json_string("namespaces") : json_sprintf("landlock abi %d", m.abi));
    const char *why = m.namespaces ? NULL : landlock_unexpressible(tmp, p);
    if (!m.namespaces && (why != NULL || m.abi == 0))
        json_object_set_new(o, "error", text_json(why ? talloc_asprintf(tmp, "Landlock cannot express %s", why)
                                                      : "Landlock is not available"));
    json_t *all = json_object();
    for (size_t i = 0; i < N_ELEMENTS(guarantees); i++) {
        const struct guarantee *g = &guarantees[i];
        if (!g->asked(p))
            continue;
        const char *gap = NULL;
        const char *means = g->means(tmp, p, &m, &gap);
        json_t *e = json_object();
        json_object_set_new(e, "description", json_string(g->description));
        json_object_set_new(e, "kept", json_boolean(means != NULL));
        /* they name the plan's paths, which need not be UTF-8 */
        json_object_set_new(e, means ? "means" : "gap", text_json(means ? means : gap));
        json_object_set_new(all, g->name, e);
    }
    json_object_set_new(o, "guarantees", all);
    char *text = json_dumps(o, JSON_INDENT(2));
    char *out = talloc_asprintf(mem, "%s\n", text);
    free(text);
    json_decref(o);
    talloc_free(tmp);
    return out;
}

void warn_landlock_fallback(const struct plan *p, int ns_errno)
{
    void *tmp = talloc_new(NULL);
    struct machine m = {.namespaces = false, .abi = landlock_abi()};
    char *gaps = talloc_strdup(tmp, "");
    for (size_t i = 0; i < N_ELEMENTS(guarantees); i++) {
        const char *gap;
        if (guarantees[i].asked(p) && guarantees[i].means(tmp, p, &m, &gap) == NULL)
            gaps = talloc_asprintf_append(gaps, "%s%s", *gaps ? ", " : "", guarantees[i].name);
    }
    warn("namespaces unavailable (%s): isolated by Landlock ABI %d; not kept: %s (see --print-guarantees)",
         strerror(ns_errno), m.abi, *gaps ? gaps : "none");
    talloc_free(tmp);
}

void guarantees_require(const struct plan *p)
{
    void *tmp = talloc_new(NULL);
    struct machine m = read_machine(p);
    for (size_t r = 0; r < p->n_require; r++)
        for (size_t i = 0; i < N_ELEMENTS(guarantees); i++) {
            const struct guarantee *g = &guarantees[i];
            if (strcmp(g->name, p->require[r]) != 0)
                continue;
            const char *gap = "the command line does not ask for it";
            if (!g->asked(p) || g->means(tmp, p, &m, &gap) == NULL)
                die("--require %s: not kept with %s isolation on this machine: %s", g->name,
                    m.namespaces ? "namespace" : "Landlock", gap);
        }
    talloc_free(tmp);
}

/* The first line of /proc/sys/PATH, or NULL. */
static const char *sysctl(void *mem, const char *path)
{
    char *full = talloc_asprintf(mem, "/proc/sys/%s", path);
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *text = read_fd_all(mem, fd, NULL);
    close(fd);
    if (text != NULL)
        text[strcspn(text, "\n")] = '\0';
    return text;
}

static bool sysctl_is(void *mem, const char *path, const char *value)
{
    const char *v = sysctl(mem, path);
    return v != NULL && strcmp(v, value) == 0;
}

static bool seccomp_filtered(void *mem)
{
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    char *text = fd >= 0 ? read_fd_all(mem, fd, NULL) : NULL;
    if (fd >= 0)
        close(fd);
    return text != NULL && strstr(text, "\nSeccomp:\t2\n") != NULL;
}

_Noreturn void isolation_impossible(const struct plan *p, int err)
{
    void *mem = talloc_new(NULL);
    char *ns = talloc_strdup(mem, "");
    if (sysctl_is(mem, "kernel/apparmor_restrict_unprivileged_userns", "1"))
        ns = talloc_asprintf_append(ns, "; kernel.apparmor_restrict_unprivileged_userns=1 (AppArmor denies "
                                        "unprivileged user namespaces: an AppArmor profile allowing userns for "
                                        "bwrapper, or sysctl kernel.apparmor_restrict_unprivileged_userns=0)");
    if (sysctl_is(mem, "user/max_user_namespaces", "0"))
        ns = talloc_asprintf_append(ns, "; user.max_user_namespaces=0 (sysctl user.max_user_namespaces=15000)");
    if (sysctl_is(mem, "kernel/unprivileged_userns_clone", "0"))
        ns = talloc_asprintf_append(ns, "; kernel.unprivileged_userns_clone=0 (sysctl kernel.unprivileged_userns_clone=1)");
    if ((err == EPERM || err == ENOSPC) && seccomp_filtered(mem))
        ns = talloc_asprintf_append(ns, "; a seccomp filter or the container we run in forbids new user namespaces "
                                        "(ask its runtime to allow them, e.g. docker --security-opt seccomp=unconfined)");
    else if (err == ENOSPC)
        ns = talloc_asprintf_append(ns, "; the user namespace limit is reached (a parent sandbox disabled them)");
    int abi = landlock_abi();
    const char *why = landlock_unexpressible(mem, p);
    const char *ll = abi == 0   ? "Landlock is not enabled (a kernel >= 5.13 with landlock in its lsm= boot list)"
                     : why ? talloc_asprintf(mem, "Landlock cannot express %s (use --rw/--ro only)", why)
                           : "";
    const char *head = err ? talloc_asprintf(mem, "Creating new namespace failed: %s", strerror(err))
                           : "--isolation landlock";
    die("%s: nothing can isolate here: no namespaces%s; %s", head, *ns ? ns : " (reason unknown)", ll);
}
