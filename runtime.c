/* Running a bundle: the OCI executor's way in (oci_run: describe, write,
 * run), finding and trusting the runtime (runc, crun, runsc), driving it
 * (signals, --timeout, --pty's console socket, the program of
 * bwrapper's own pid 1 inside: oci-init.c), removing its state. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <talloc.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "oci-init.h"
#include "pty.h"
#include "runtime.h"
#include "util.h"

extern char **environ;

static const char *const runtime_names[] = {[RT_RUNC] = "runc", [RT_CRUN] = "crun", [RT_RUNSC] = "runsc"};

/* ---- --runtime: finding it ---- */

/* The fds a runtime is started with: FD[i] (when not -1) becomes its fd
 * i; the rest of ours are close-on-exec.  Each FD[i] is above FDS_TOP. */
#define FDS_TOP 9
struct runtime_fds {
    int fd[6];
};

/* An fd for struct runtime_fds: FD moved above FDS_TOP (closing it). */
static int fd_for_runtime(int fd)
{
    if (fd < 0 || fd > FDS_TOP)
        return fd;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, FDS_TOP + 1);
    if (high < 0)
        die_errno("fcntl(F_DUPFD_CLOEXEC)");
    close(fd);
    return high;
}

/* Where root looks for a runtime named without a path: root's PATH may
 * come from anyone who can set an environment (sudo -E, a service file). */
static const char *const trusted_dirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin",
                                           "/sbin", "/bin"};

/* The runtime NAME (a path, or looked up: in PATH, as root only in
 * root's directories). */
static const char *find_runtime(void *mem, const char *name, uid_t uid)
{
    if (strchr(name, '/'))
        return name;
    if (uid == 0) {
        for (size_t i = 0; i < N_ELEMENTS(trusted_dirs); i++) {
            const char *path = talloc_asprintf(mem, "%s/%s", trusted_dirs[i], name);
            if (access(path, X_OK) == 0)
                return path;
        }
        die("--runtime %s: not found in /usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin or /bin "
            "(as root PATH is not searched; give a path)", name);
    }
    const char *path_env = getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin";
    char *dirs = talloc_strdup(mem, path_env), *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        if (*d != '/') /* "" and relative entries mean the current directory */
            continue;
        const char *path = talloc_asprintf(mem, "%s/%s", d, name);
        if (access(path, X_OK) == 0)
            return path;
    }
    die("--runtime %s: not found in PATH", name);
}

/* The runtime binary, opened once and checked: the fd is what runs. */
static int open_runtime(const char *path, uid_t uid)
{
    int fd = open(path, O_PATH | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        die_errno("--runtime %s", path);
    fd = fd_for_runtime(fd);
    if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
        die("--runtime %s: not an executable file", path);
    if (st.st_mode & 022)
        die("--runtime %s: refusing a runtime that is group- or world-writable (mode %04o)", path,
            (unsigned)(st.st_mode & 07777));
    if (st.st_uid != 0 && st.st_uid != uid)
        die("--runtime %s: refusing a runtime owned by uid %u, neither root nor you", path, (unsigned)st.st_uid);
    return fd;
}

static enum runtime_kind runtime_kind(const char *name)
{
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    for (size_t i = 0; i < N_ELEMENTS(runtime_names); i++)
        if (strcmp(base, runtime_names[i]) == 0)
            return (enum runtime_kind)i;
    die("--runtime %s: unknown runtime (known: runc, crun, runsc)", name);
}

/* ---- --runtime: running it ---- */

/* crun refuses a host where cgroup v2 is mounted beside v1 and still has
 * a controller: say so before starting it, with what to change. */
static void check_crun_cgroups(void)
{
    struct statfs fs;
    if (statfs("/sys/fs/cgroup", &fs) < 0 || fs.f_type != TMPFS_MAGIC)
        return;
    if (statfs("/sys/fs/cgroup/unified", &fs) < 0 || fs.f_type != CGROUP2_SUPER_MAGIC)
        return;
    FILE *f = fopen("/sys/fs/cgroup/unified/cgroup.controllers", "re");
    char line[256] = "";
    if (f && !fgets(line, sizeof line, f))
        line[0] = '\0';
    if (f)
        fclose(f);
    line[strcspn(line, "\n")] = '\0';
    if (*line)
        die("--runtime crun: this host mounts cgroup v2 beside v1 (hybrid) with the controller(s) \"%s\" still "
            "bound to v2, which crun refuses; move them to v1 hierarchies (as root: mkdir "
            "/sys/fs/cgroup/NAME && mount -t cgroup -o NAME cgroup /sys/fs/cgroup/NAME), boot with one cgroup "
            "version only, or use --runtime runc", line);
}

/* /dev/null, for the runtime's quiet runs */
static int null_fd = -1;

/* Exec the runtime EXE_FD with ARGV; returns only on failure. */
static void exec_runtime(int exe_fd, const char *const *argv)
{
    /* a script's interpreter opens it again through /dev/fd/N */
    fcntl(exe_fd, F_SETFD, 0);
    syscall(SYS_execveat, exe_fd, "", (char *const *)argv, environ, AT_EMPTY_PATH);
}

/* Run the runtime EXE_FD (above FDS_TOP) with ARGV and the fds FDS.
 *
 * vfork: the child only sets up its fds and execs.  fork would copy our
 * page tables (~0.6 ms on a small VM) and make each page either process
 * writes before the exec fault once more.  Until it execs, the child
 * shares our memory: it changes nothing of ours (fds and the signal mask
 * are its own) and fails with _exit, not die(), whose clean-up is ours. */
static pid_t spawn(int exe_fd, const char *const *argv, const struct runtime_fds *fds, const sigset_t *old_mask,
                   bool new_session)
{
    pid_t pid = vfork();
    if (pid < 0)
        die_errno("fork");
    if (pid > 0)
        return pid;
    sigprocmask(SIG_SETMASK, old_mask, NULL);
    for (int i = 0; i < (int)N_ELEMENTS(fds->fd); i++)
        if (fds->fd[i] >= 0 && dup2(fds->fd[i], i) < 0)
            _exit(1);
    if (new_session && setsid() < 0) {
        warn("setsid: %s", strerror(errno));
        _exit(1);
    }
    exec_runtime(exe_fd, argv);
    warn("--runtime: can't run %s: %s", argv[0], strerror(errno));
    _exit(1);
}

/* What a runtime is started with to run a command quietly (the probe,
 * `delete`). */
static struct runtime_fds quiet_fds(void)
{
    return (struct runtime_fds){{null_fd, null_fd, null_fd, -1, -1, -1}};
}

/* --die-with-parent: the signal our parent's death sends us, which
 * becomes a SIGKILL for the command, as natively. */
#define PARENT_DIED (SIGRTMIN + 1)

/* Wait for the runtime, passing on the signals in SET (the runtime
 * forwards them to the command), and --timeout's SIGTERM and SIGKILL
 * 2 s later. */
static int wait_runtime(const struct plan *p, pid_t pid, const sigset_t *set)
{
    struct timeout timeout = timeout_start(p->timeout_ms);
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return timeout.expired ? 124 : exit_status(st);
        if (r < 0 && errno != EINTR)
            die_errno("waitpid");
        int wait, sig = timeout_due(&timeout, &wait);
        if (sig) {
            kill(pid, sig);
            continue;
        }
        siginfo_t info;
        struct timespec ts = {.tv_sec = wait / 1000, .tv_nsec = (long)(wait % 1000) * 1000000};
        sig = wait < 0 ? sigwaitinfo(set, &info) : sigtimedwait(set, &info, &ts);
        if (sig > 0 && sig != SIGCHLD)
            /* killed, the runtime leaves the command to `NAME delete` */
            kill(pid, sig == PARENT_DIED ? SIGKILL : sig);
    }
}
static const char *const runsc_platforms[] = {"systrap", "ptrace"};

/* The platform cached in the file open at FD for runsc KEY, or NULL.  The
 * file is in the caller's home, where a sandbox given --rw ~/.cache can
 * write anything, or leave a FIFO that would block: only a regular file
 * naming one of the two platforms counts. */
static const char *cached_platform(void *mem, int fd, const char *key)
{
    struct stat st;
    char *text = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < PATH_MAX + 64
                     ? read_fd_all(mem, fd, NULL)
                     : NULL;
    for (size_t i = 0; text && i < N_ELEMENTS(runsc_platforms); i++)
        if (strcmp(text, talloc_asprintf(mem, "%s %s\n", key, runsc_platforms[i])) == 0)
            return runsc_platforms[i];
    return NULL;
}

/* The directory of the runsc platform cache, $XDG_CACHE_HOME/bwrapper
 * (or ~/.cache/bwrapper), or -1: opened before the bundle's tmpfs is
 * mounted, which may cover it (a cache under /tmp). */
static int open_platform_cache(void *mem)
{
    const char *cache_home = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    const char *cache = cache_home && *cache_home == '/' ? talloc_asprintf(mem, "%s/bwrapper", cache_home)
                        : home && *home == '/'           ? talloc_asprintf(mem, "%s/.cache/bwrapper", home)
                                                         : NULL;
    if (cache == NULL)
        return -1;
    /* best effort: without a cache each run probes */
    char *parent = talloc_strndup(mem, cache, (size_t)(strrchr(cache, '/') - cache));
    mkdir(parent, 0700);
    mkdir(cache, 0700);
    return open(cache, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* runsc's platform: systrap where it works, else ptrace; the answer is
 * kept per user (and per runsc binary) so later runs skip the probe. */
static const char *runsc_platform(void *mem, const struct oci *o, int exe_fd, const char *exe, const char *state,
                                  const sigset_t *old_mask)
{
    struct stat st;
    if (fstat(exe_fd, &st) < 0)
        die_errno("--runtime %s", exe);
    const char *key = talloc_asprintf(mem, "%s %llu %lld", exe, (unsigned long long)st.st_ino, (long long)st.st_mtime);
    int dir_fd = o->platform_cache_fd;
    int fd = dir_fd >= 0 ? openat(dir_fd, "runsc-platform", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) : -1;
    const char *chosen = cached_platform(mem, fd, key);
    if (fd >= 0)
        close(fd);
    if (chosen)
        return chosen;
    bool rootless = o->real_uid != 0;
    const char *argv[] = {exe, "--root", state, "--platform", "systrap", "--network", "none", "--ignore-cgroups",
                          rootless ? "--rootless" : "do", rootless ? "do" : "true", rootless ? "true" : NULL, NULL};
    int st_probe;
    struct runtime_fds quiet = quiet_fds();
    pid_t pid = spawn(exe_fd, argv, &quiet, old_mask, false);
    chosen = waitpid(pid, &st_probe, 0) == pid && WIFEXITED(st_probe) && WEXITSTATUS(st_probe) == 0 ? "systrap"
                                                                                                    : "ptrace";
    if (dir_fd >= 0) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "runsc-platform.%d", (int)getpid());
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        const char *line = talloc_asprintf(mem, "%s %s\n", key, chosen);
        if (fd >= 0) {
            bool written = write_all(fd, line, strlen(line)) == 0;
            if (close(fd) < 0 || !written || renameat(dir_fd, tmp, dir_fd, "runsc-platform") < 0)
                unlinkat(dir_fd, tmp, 0);
        }
    }
    return chosen;
}

/* What the runtime is asked to do: run the command in the foreground;
 * start it and leave (--pty: the runtime sends the pty's controller to
 * the console socket and the command becomes ours to wait for); or remove
 * the container's state. */
enum runtime_action { ACT_RUN, ACT_START, ACT_DELETE };

/* The bundle's own files for ACT_START, relative to it. */
#define CONSOLE_SOCKET "console.sock"
#define PID_FILE "container.pid"

static const char **runtime_argv(void *mem, const struct oci *o, const char *exe, const char *state,
                                 const char *platform, const char *id, enum runtime_action act)
{
    const struct plan *p = o->plan;
    const char **v = talloc_array(mem, const char *, 20 + p->n_runtime_flags);
    size_t n = 0;
    v[n++] = exe;
    v[n++] = "--root";
    v[n++] = state;
    if (o->kind == RT_CRUN)
        /* a sandbox needs no cgroup of its own, an ordinary user cannot
         * manage one without delegation, and root's would take the
         * command out of the caller's (and its limits) */
        v[n++] = "--cgroup-manager=disabled";
    if (o->kind == RT_RUNSC) {
        if (o->real_uid != 0)
            v[n++] = "--rootless";
        v[n++] = "--ignore-cgroups";
        v[n++] = talloc_asprintf(mem, "--platform=%s", platform);
        v[n++] = (o->ns & NS_NET) ? "--network=none" : "--network=host";
        /* gVisor takes CAP_NET_RAW away unless told */
        if (o->caps & ((uint64_t)1 << CAP_NET_RAW))
            v[n++] = "--net-raw";
    }
    for (size_t i = 0; i < p->n_runtime_flags; i++)
        v[n++] = p->runtime_flags[i];
    if (act == ACT_DELETE) {
        v[n++] = "delete";
        v[n++] = "--force";
    } else {
        v[n++] = "run";
        v[n++] = "--bundle";
        v[n++] = made.dir;
        if (o->init) {
            v[n++] = "--preserve-fds";
            v[n++] = act == ACT_RUN ? "3" : "1"; /* see report_start_fds */
        }
    }
    if (act == ACT_START) {
        v[n++] = "--detach";
        v[n++] = "--console-socket";
        v[n++] = talloc_asprintf(mem, "%s/" CONSOLE_SOCKET, made.dir);
        v[n++] = "--pid-file";
        v[n++] = talloc_asprintf(mem, "%s/" PID_FILE, made.dir);
    }
    v[n++] = id;
    v[n] = NULL;
    return v;
}

/* --pty: the socket the runtime sends the pty's controller to, listening
 * in the private bundle directory. */
static int listen_console(void)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int len = snprintf(addr.sun_path, sizeof addr.sun_path, "%s/" CONSOLE_SOCKET, made.dir);
    if (len < 0 || (size_t)len >= sizeof addr.sun_path)
        die("--pty: %s/" CONSOLE_SOCKET ": the path is too long for a socket; set XDG_RUNTIME_DIR or TMPDIR "
            "to a shorter directory", made.dir);
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(sock, 1) < 0)
        die_errno("--pty: can't listen on %s", addr.sun_path);
    return sock;
}

/* The command's pid in our pid namespace, as the runtime wrote it. */
static pid_t container_pid(struct oci *o)
{
    int fd = openat(made.dir_fd, PID_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    char *text = fd >= 0 ? read_fd_all(o->mem, fd, NULL) : NULL;
    if (fd >= 0)
        close(fd);
    char *end;
    long pid = text ? strtol(text, &end, 10) : 0;
    if (pid <= 0 || pid > INT32_MAX || (*end != '\0' && *end != '\n'))
        die("--pty: %s wrote no pid for the command", runtime_names[o->kind]);
    return (pid_t)pid;
}

/* --pty: the runtime has started the command and left; the command, a
 * child of ours now (we are its subreaper), runs on the pty whose
 * controller is waiting on CONSOLE.  Relay until it ends, passing on
 * --timeout's SIGTERM and SIGKILL 2 s later; its exit status. */
static int relay_container(struct oci *o, int console, const sigset_t *set)
{
    const struct plan *p = o->plan;
    int conn = accept4(console, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    int controller = conn >= 0 ? recv_fd(conn) : -1;
    if (controller < 0)
        die_errno("--pty: %s did not send the pty", runtime_names[o->kind]);
    close(conn);
    pid_t pid = container_pid(o);
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        die_errno("--pty: the command (pid %d)", (int)pid);
    sandbox_pidfd = pidfd;
    /* The relay takes SIGWINCH and the signals a terminal sends; the rest
     * of SET is passed on here. */
    sigset_t rest = *set;
    sigdelset(&rest, SIGWINCH);
    sigdelset(&rest, SIGCHLD);
    int sigfd = signalfd(-1, &rest, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd < 0)
        die_errno("signalfd");
    struct pty_relay *relay = pty_relay_begin(o->mem, controller, pidfd);
    struct timeout timeout = timeout_start(p->timeout_ms);
    for (;;) {
        struct pollfd fds[2 + PTY_RELAY_NFDS] = {{.fd = pidfd, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};
        nfds_t n = 2 + pty_relay_poll_fds(relay, fds + 2);
        int wait, sig = timeout_due(&timeout, &wait);
        if (sig) {
            (void)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
            continue;
        }
        if (poll(fds, n, wait) < 0) {
            if (errno == EINTR)
                continue;
            die_errno("poll");
        }
        if (fds[0].revents)
            break;
        struct signalfd_siginfo si;
        while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si)
            (void)syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo == PARENT_DIED ? SIGKILL : (int)si.ssi_signo,
                          NULL, 0);
        (void)pty_relay_handle(relay, fds + 2);
    }
    close(sigfd);
    /* The runtime's process that started the command may outlive the
     * runtime (crun's does): the command becomes ours, as subreaper, only
     * once that one has gone too. */
    int st;
    for (int tries = 0; waitpid(pid, &st, 0) < 0; tries++) {
        if (errno == EINTR)
            continue;
        if (errno != ECHILD || tries == 100)
            die_errno("--pty: can't wait for the command (pid %d)", (int)pid);
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        (void)sigtimedwait(&chld, NULL, &(struct timespec){.tv_nsec = 50 * 1000 * 1000});
    }
    sandbox_pidfd = -1;
    close(pidfd);
    pty_relay_end(relay);
    return timeout.expired ? 124 : exit_status(st);
}

/* How a runtime's failure before the command starts is told apart from
 * the command's (both end the runtime with status 1), under bwrapper's
 * pid 1 (runc and crun, without --pty): the runtime writes its messages
 * to a file of ours (its fd 2), and pid 1 gets our stderr for the
 * command (INIT_STDERR) and says it started (one byte to the pipe at
 * INIT_STARTED). */

/* An fd of /dev/null above FDS_TOP, for FDS to take and close. */
static int null_copy(void)
{
    int fd = fcntl(null_fd, F_DUPFD_CLOEXEC, FDS_TOP + 1);
    if (fd < 0)
        die_errno("fcntl(F_DUPFD_CLOEXEC)");
    return fd;
}

/* Set up FDS for that; the pipe's end that hears the start, or -1 where
 * it cannot be: then the runtime writes to our stderr as it is, and
 * pid 1 finds /dev/null at fd 5 (and at fd 4 if our stderr is closed). */
static int report_start_fds(struct runtime_fds *fds)
{
    int pipe_fds[2] = {-1, -1};
    int messages = memfd_create("runtime-messages", MFD_CLOEXEC);
    int stderr_copy = fcntl(2, F_DUPFD_CLOEXEC, FDS_TOP + 1);
    fds->fd[INIT_STDERR] = stderr_copy >= 0 ? stderr_copy : null_copy();
    if (messages < 0 || stderr_copy < 0 || pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) < 0) {
        if (messages >= 0)
            close(messages);
        fds->fd[INIT_STARTED] = null_copy();
        return -1;
    }
    fds->fd[2] = fd_for_runtime(messages);
    fds->fd[INIT_STARTED] = fd_for_runtime(pipe_fds[1]);
    return fd_for_runtime(pipe_fds[0]);
}

/* The runtime's message: the last line it wrote but its warnings, runc's
 * logrus form (time=... level=error msg="...") reduced to the text. */
static const char *runtime_message(void *mem, char *text)
{
    const char *last = NULL;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (strstr(line, "level=warning") == NULL && *line)
            last = line;
    const char *msg = last ? strstr(last, "msg=\"") : NULL;
    if (msg == NULL)
        return last;
    char *out = talloc_strdup(mem, msg + 5), *w = out;
    for (const char *c = msg + 5; *c && *c != '"'; c++)
        *w++ = *c == '\\' && c[1] ? *++c : *c;
    *w = '\0';
    return out;
}

/* Whether MSG names PATH: whole, or (crun's way) without its leading
 * slash, quoted. */
static bool names_path(const char *msg, const char *path)
{
    size_t len = strlen(path);
    for (const char *at = strstr(msg, path + 1); at; at = strstr(at + 1, path + 1)) {
        bool whole = at > msg && at[-1] == '/' && (at - 1 == msg || at[-2] != '/');
        bool quoted = at > msg && strchr("\"'`", at[-1]);
        if ((whole || quoted) && (at[len - 1] == '\0' || strchr("\"'`: ", at[len - 1])))
            return true;
    }
    return false;
}

/* The step of the plan most likely at fault for MSG: the one whose
 * destination or source it names (the longest such path), or NULL. */
static const char *step_named_in(const struct plan *p, const char *msg)
{
    const char *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < p->n_steps; i++) {
        const char *paths[] = {p->steps[i].dest, p->steps[i].src};
        for (size_t k = 0; k < N_ELEMENTS(paths); k++) {
            size_t len = paths[k] ? strlen(paths[k]) : 0;
            if (len > 1 && len > best_len && *paths[k] == '/' && names_path(msg, paths[k])) {
                best = p->steps[i].option;
                best_len = len;
            }
        }
    }
    return best;
}

/* After the runtime: what it wrote goes to our stderr as it is if the
 * command started, else one line naming the runtime and the step most
 * likely at fault, with the runtime's message after it. */
static void report_start(struct oci *o, int messages, int started)
{
    char byte;
    bool did_start = read(started, &byte, 1) == 1;
    close(started);
    char *text = lseek(messages, 0, SEEK_SET) == 0 ? read_fd_all(o->mem, messages, NULL) : NULL;
    close(messages);
    if (text == NULL || *text == '\0')
        return;
    if (did_start) {
        (void)write_all(2, text, strlen(text));
        return;
    }
    const char *msg = runtime_message(o->mem, text);
    if (msg == NULL)
        return;
    const char *step = step_named_in(o->plan, msg);
    warn("--runtime %s: the sandbox could not be set up%s%s: %s", runtime_names[o->kind],
         step ? ", most likely at " : " (no step of the plan is named in the runtime's message)", step ? step : "",
         msg);
}

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3 */
#endif

/* Our pid 1's program (oci-init.c), for the runtime's fd 3: a sealed
 * memfd, which no one can change and no mount's noexec concerns (a
 * bundle made on the host may be on one: shared_bundle_dir); where the
 * host allows no executable memfd (vm.memfd_noexec=2), a file in the
 * bundle directory, closed for writing before the runtime runs it. */
static int init_program(void)
{
    size_t len = (size_t)(oci_init_program_end - oci_init_program);
    int fd = memfd_create("bwrapper-oci-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (fd < 0 && errno == EINVAL) /* before Linux 6.3: executable unless sealed otherwise */
        fd = memfd_create("bwrapper-oci-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd >= 0) {
        if (write_all(fd, oci_init_program, len) < 0 ||
            fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
            die_errno("--runtime: can't write bwrapper's pid 1 for the runtime");
        return fd_for_runtime(fd);
    }
    fd = openat(made.dir_fd, "init", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0500);
    if (fd < 0 || write_all(fd, oci_init_program, len) < 0 || close(fd) < 0 ||
        (fd = openat(made.dir_fd, "init", O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        die_errno("%s/init: can't write bwrapper's pid 1 for the runtime", made.dir);
    return fd_for_runtime(fd);
}

/* Whether the runtime can take bwrapper's place (exec, no fork): when
 * nothing is left for bwrapper to do once it runs.  runc's and crun's
 * `run` pass the signals they get on to the command and exit with its
 * status, and the bundle's tmpfs ends with the mount namespace it is in
 * (see make_private_dir).  bwrapper stays for what a runtime does not
 * do: --timeout, --die-with-parent's SIGKILL, --new-session (setsid fails
 * in a process group's leader, which bwrapper may be), --pty's relay, its
 * pid 1's one-line report of a failure before the command starts
 * (report_start), a bundle made on the host (dir_made) to remove, and
 * runsc's state to delete. */
static bool runtime_takes_over(const struct oci *o)
{
    const struct plan *p = o->plan;
    return o->kind != RT_RUNSC && !o->init && !p->pty && !p->timeout_ms && !p->die_with_parent &&
           !p->new_session && !made.dir_made;
}

/* Run the bundle written in made.dir with the runtime EXE_FD (EXE); the
 * command's exit status.  The runtime's state is removed. */
static int run_bundle(struct oci *o, int exe_fd, const char *exe)
{
    const struct plan *p = o->plan;
    if (o->kind == RT_CRUN)
        check_crun_cgroups();
    /* The runtime's state lives in the bundle, out of every other
     * process's reach with it (see make_private_dir). */
    if (mkdirat(made.dir_fd, "state", 0700) < 0)
        die_errno("%s/state: can't create the runtime's state directory", made.dir);
    const char *state = talloc_asprintf(o->mem, "%s/state", made.dir);
    const char *id = talloc_asprintf(o->mem, "bwrapper-%s", strrchr(made.dir, '-') + 1);
    /* A caller that ignored SIGCHLD would make the runtime unwaitable,
     * and the runtime's own children unwaitable to it. */
    signal(SIGCHLD, SIG_DFL);
    if (runtime_takes_over(o)) {
        exec_runtime(exe_fd, runtime_argv(o->mem, o, exe, state, NULL, id, ACT_RUN));
        die_errno("--runtime: can't run %s", exe);
    }
    sigset_t set, old;
    /* Every signal that would end bwrapper is passed on instead (the
     * runtime passes it to the command), so the bundle is always removed;
     * those that stop it (SIGTSTP and friends) stop only bwrapper.  They
     * stay blocked to the end: one let in after the command has ended
     * could end bwrapper before the bundle is gone. */
    sigfillset(&set);
    static const int kept[] = {SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT, SIGSEGV,
                               SIGBUS,  SIGFPE,  SIGILL,  SIGTRAP, SIGSYS};
    for (size_t i = 0; i < N_ELEMENTS(kept); i++)
        sigdelset(&set, kept[i]);
    sigprocmask(SIG_BLOCK, &set, &old);
    if (p->die_with_parent && prctl(PR_SET_PDEATHSIG, PARENT_DIED, 0, 0, 0) < 0)
        die_errno("prctl(PR_SET_PDEATHSIG)");
    if ((null_fd = fd_for_runtime(open("/dev/null", O_RDWR | O_CLOEXEC))) < 0)
        die_errno("/dev/null");
    const char *platform = o->kind == RT_RUNSC ? runsc_platform(o->mem, o, exe_fd, exe, state, &old) : NULL;

    int console = -1;
    /* With --pty the runtime leaves once the command runs, and a runtime
     * that leaves a process behind hands it to the nearest subreaper. */
    if (p->pty) {
        console = listen_console();
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
            die_errno("prctl(PR_SET_CHILD_SUBREAPER)");
    }
    struct runtime_fds fds = {{-1, -1, -1, -1, -1, -1}};
    int started = -1;
    if (o->init)
        fds.fd[INIT_SELF] = init_program();
    if (o->init && !p->pty)
        started = report_start_fds(&fds);
    pid_t pid = spawn(exe_fd, runtime_argv(o->mem, o, exe, state, platform, id, p->pty ? ACT_START : ACT_RUN), &fds,
                      &old, p->new_session && !p->pty);
    for (size_t i = 3; i < N_ELEMENTS(fds.fd); i++)
        if (fds.fd[i] >= 0)
            close(fds.fd[i]);
    /* while the runtime starts, not after it */
    free_config(o);
    int status = wait_runtime(p, pid, &set);
    if (started >= 0)
        report_start(o, fds.fd[2], started);
    if (p->pty && status == 0)
        status = relay_container(o, console, &set);
    if (console >= 0)
        close(console);
    /* A runtime killed mid-way, or one that started the command and left,
     * leaves its container's state behind. */
    if (!dir_is_empty(made.dir_fd, "state")) {
        int st_del;
        struct runtime_fds quiet = quiet_fds();
        pid_t del = spawn(exe_fd, runtime_argv(o->mem, o, exe, state, platform, id, ACT_DELETE), &quiet, &old, false);
        while (waitpid(del, &st_del, 0) < 0 && errno == EINTR)
            ;
    }
    return status;
}

/* ---- the OCI executor ---- */

int oci_run(const struct plan *p)
{
    struct oci o = {.mem = talloc_new(NULL), .plan = p, .kind = RT_RUNC, .platform_cache_fd = -1};
    level_prefix = p->level_prefix;
    if (p->runtime)
        o.kind = runtime_kind(p->runtime);
    const char *exe = NULL;
    int exe_fd = -1;
    if (p->emit_oci) {
        made.dir = emit_dir(o.mem, p->emit_oci);
        json_decref(text("--emit-oci", made.dir));
    } else {
        exe = find_runtime(o.mem, p->runtime, getuid());
        exe_fd = open_runtime(exe, getuid());
        if (o.kind == RT_RUNSC)
            o.platform_cache_fd = open_platform_cache(o.mem);
    }
    describe_bundle(&o);
    create_bundle(&o);
    int status = 0;
    if (p->emit_oci) {
        close(made.dir_fd);
        made.dir_fd = -1;
    } else {
        status = run_bundle(&o, exe_fd, exe);
        if (made.dir_made)
            remove_made();
        else
            close(made.dir_fd);
        close(exe_fd);
        if (o.platform_cache_fd >= 0)
            close(o.platform_cache_fd);
    }
    die_cleanup = NULL;
    free_config(&o);
    talloc_free(o.mem);
    return status;
}
