#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <talloc.h>
#include <time.h>
#include <unistd.h>

int saved_tty_fd = -1;
struct termios saved_tty_mode;
const char *prog_name = "bwrapper";
bool level_prefix;
int sandbox_pidfd = -1;
void (*die_cleanup)(void);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
jmp_buf *die_jump;
#endif

/* A failure in the monitor must not leave the sandbox to go on alone: it
 * may be waiting for a go-ahead that exiting would give it. */
static _Noreturn void exit_failed(void)
{
    /* Left raw, the caller's terminal would not even echo. */
    if (saved_tty_fd >= 0)
        (void)tcsetattr(saved_tty_fd, TCSANOW, &saved_tty_mode);
    if (sandbox_pidfd >= 0)
        syscall(SYS_pidfd_send_signal, sandbox_pidfd, SIGKILL, NULL, 0);
    if (die_cleanup) {
        void (*fn)(void) = die_cleanup;
        die_cleanup = NULL; /* a failure while cleaning up must not loop */
        fn();
    }
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    if (die_jump)
        longjmp(*die_jump, 1);
#endif
    _exit(1);
}

/* CONTEXT (or NULL) goes last, in parentheses: the line starts with
 * bwrap's own words where bwrap has a message, as scripts match them. */
static void vreport(const char *severity, const char *fmt, va_list ap, int errnum, const char *context)
{
    /* One fprintf-free line built first, so concurrent writers never interleave. */
    char line[4096];
    int n = snprintf(line, sizeof line, "%s%s: ", level_prefix ? severity : "", prog_name);
    n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    if (errnum && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, ": %s", strerror(errnum));
    if (context && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, " (%s)", context);
    if (n >= (int)sizeof line - 1)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    (void)write_all(STDERR_FILENO, line, (size_t)n);
}

/* _exit: a failing child must not run atexit handlers it inherited (and
 * LeakSanitizer's needs a /proc that the sandbox may not have). */
void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("<3>", fmt, ap, 0, NULL);
    va_end(ap);
    exit_failed();
}

void die_errno(const char *fmt, ...)
{
    int errnum = errno;
    va_list ap;
    va_start(ap, fmt);
    vreport("<3>", fmt, ap, errnum, NULL);
    va_end(ap);
    exit_failed();
}

void die_in(const char *context, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("<3>", fmt, ap, 0, context);
    va_end(ap);
    exit_failed();
}

void die_errno_in(const char *context, const char *fmt, ...)
{
    int errnum = errno;
    va_list ap;
    va_start(ap, fmt);
    vreport("<3>", fmt, ap, errnum, context);
    va_end(ap);
    exit_failed();
}

void warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("<4>", fmt, ap, 0, NULL);
    va_end(ap);
}

char *read_fd_all(void *mem_ctx, int fd, size_t *len)
{
    return read_fd_max(mem_ctx, fd, SIZE_MAX - 1, len);
}

char *read_fd_max(void *mem_ctx, int fd, size_t max, size_t *len)
{
    size_t size = 4096, used = 0;
    char *buf = talloc_size(mem_ctx, size);
    for (;;) {
        if (used + 1 >= size) {
            /* room for MAX, one byte more and the NUL, but no further */
            size = size > max / 2 ? max + 2 : size * 2;
            /* talloc refuses 256 MiB and more */
            char *grown = talloc_realloc_size(mem_ctx, buf, size);
            if (grown == NULL) {
                talloc_free(buf);
                errno = ENOMEM;
                return NULL;
            }
            buf = grown;
        }
        /* One byte past MAX is enough to know the data is too long. */
        size_t room = size - used - 1;
        if (room > max + 1 - used)
            room = max + 1 - used;
        ssize_t r = read(fd, buf + used, room);
        if (r < 0 && errno == EINTR)
            continue;
        if (r > 0 && used + (size_t)r > max) {
            r = -1;
            errno = EFBIG;
        }
        if (r < 0) {
            int saved = errno;
            talloc_free(buf);
            errno = saved;
            return NULL;
        }
        if (r == 0)
            break;
        used += (size_t)r;
    }
    buf[used] = '\0';
    if (len)
        *len = used;
    return buf;
}

int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* With stdin, stdout or stderr closed, a new fd could take its number and
 * then be mistaken for it (or, dup2'd onto itself, keep O_CLOEXEC). */
int fd_above_stdio(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int saved = errno;
    close(fd);
    errno = saved;
    return moved;
}

/* Room for one fd, aligned as a cmsghdr must be: a char array alone may
 * start anywhere. */
_Noreturn void die_new_namespace(int err, bool new_userns)
{
    errno = err;
    if (err == EPERM && new_userns)
        die("No permissions to create new namespace, likely because the kernel does not allow non-privileged user "
            "namespaces.");
    if (err == ENOSPC)
        die("Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces exceeded (ENOSPC)");
    die_errno("Creating new namespace failed");
}

union fd_control {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
};

int send_fd(int sock, int fd)
{
    union fd_control control;
    memset(&control, 0, sizeof control);
    char data = 0;
    struct iovec iov = {.iov_base = &data, .iov_len = 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t n;
    while ((n = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    return n < 0 ? -1 : 0;
}

int recv_fd(int sock)
{
    /* runc sends the pty's name along; a longer one is left unread. */
    char data[256];
    /* Room for a few fds: those beyond the buffer would be dropped by the
     * kernel, but those that fit and are not ours must be closed. */
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    ssize_t n;
    while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (n < 0)
        return -1;
    int fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int got;
            memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
            if (fd < 0)
                fd = got;
            else
                close(got);
        }
    }
    if (fd < 0)
        errno = ENOMSG;
    return fd_above_stdio(fd);
}

int open_no_symlinks(const char *path)
{
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
    return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
}

bool kernel_has_ns(const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/ns/%s", name);
    return access(path, F_OK) == 0;
}

bool userns_allowed(void)
{
    if (!kernel_has_ns("user"))
        return false;
    int fd = open("/proc/sys/user/max_user_namespaces", O_RDONLY | O_CLOEXEC);
    char buf[16] = "";
    if (fd >= 0 && read(fd, buf, sizeof buf - 1) < 0)
        buf[0] = '\0';
    if (fd >= 0)
        close(fd);
    return strcmp(buf, "0\n") != 0;
}

bool selinux_enabled(void)
{
    return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

void forwarded_signals(sigset_t *set)
{
    /* Every signal whose default would end bwrapper (but those a fault
     * raises): the sandbox would be left running, or a terminal raw. */
    static const int forwarded[] = {SIGHUP,    SIGINT, SIGQUIT, SIGABRT,   SIGUSR1, SIGUSR2, SIGALRM, SIGTERM,
                                    SIGSTKFLT, SIGIO,  SIGPWR,  SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ};
    sigemptyset(set);
    for (size_t i = 0; i < N_ELEMENTS(forwarded); i++)
        sigaddset(set, forwarded[i]);
}

int exit_status(int wait_status)
{
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return 255;
}

int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct timeout timeout_start(uint64_t ms)
{
    return (struct timeout){.deadline = ms ? now_ms() + (int64_t)ms : -1};
}

int timeout_due(struct timeout *t, int *wait_ms)
{
    *wait_ms = -1;
    if (t->deadline < 0)
        return 0;
    int64_t left = t->deadline - now_ms();
    if (left > 0) {
        *wait_ms = left > INT_MAX ? INT_MAX : (int)left;
        return 0;
    }
    int sig = t->expired ? SIGKILL : SIGTERM;
    t->deadline = t->expired ? -1 : now_ms() + 2000;
    t->expired = true;
    return sig;
}
