/* Small helpers shared by every part: the one error path and fd I/O. */
#ifndef BWRAPPER_UTIL_H
#define BWRAPPER_UTIL_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* "bwrapper", or "bwrap" when installed under that name. */
extern const char *prog_name;
/* --level-prefix: start diagnostics with a syslog severity, "<3>". */
extern bool level_prefix;
/* The caller's terminal while --pty has it in raw mode, and the mode to
 * put back (-1: none): die() restores it. */
extern int saved_tty_fd;
extern struct termios saved_tty_mode;

/* The running sandbox's pidfd, in the monitor: die() kills it first. */
extern int sandbox_pidfd;

/* Run by die() before exiting, when set: the OCI executor removes the
 * bundle it was writing, so a failure leaves nothing behind. */
extern void (*die_cleanup)(void);

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#include <setjmp.h>
/* Fuzz builds only (fuzz/): when set, die() jumps here instead of exiting,
 * so that one rejected input does not end the fuzzer.  The normal build
 * has no such path. */
extern jmp_buf *die_jump;
#endif

/* Print "bwrapper: <message>" and exit 1. */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, with ": strerror(errno)" appended. */
_Noreturn void die_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* bwrap's message first, then bwrapper's CONTEXT (the option and its
 * arguments) at the end: "bwrapper: Can't mkdir /x: Permission denied
 * (--dir /x)". */
/* bwrap's words for a namespace the kernel would not make (ERR), where
 * NEW_USERNS says a user namespace was asked for too. */
_Noreturn void die_new_namespace(int err, bool new_userns);
_Noreturn void die_in(const char *context, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void die_errno_in(const char *context, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read all of fd into a NUL-terminated talloc buffer; NULL on error. */
char *read_fd_all(void *mem_ctx, int fd, size_t *len);
/* The same, refusing data longer than MAX bytes: NULL with errno EFBIG
 * after reading at most MAX + 1, so an endless source cannot exhaust memory. */
char *read_fd_max(void *mem_ctx, int fd, size_t max, size_t *len);
/* Write all of buf, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);

/* With stdin, stdout or stderr closed, a new fd could take its number:
 * move FD above 2 (closing the old one); FD itself if it already is. */
int fd_above_stdio(int fd);
/* Send FD over the unix socket SOCK, as an OCI runtime sends a pty to its
 * --console-socket.  0, or -1 with errno. */
int send_fd(int sock, int fd);
/* Receive the fd sent over SOCK (by send_fd or an OCI runtime; extra data
 * such as runc's pty name is ignored, extra fds are closed), O_CLOEXEC and
 * above stdio.  -1 if the sender closed the socket without sending one (it
 * failed and said why), or with errno on a socket error. */
int recv_fd(int sock);

/* An O_PATH fd of PATH resolved without following any symlink (ELOOP
 * if there is one): --rw/--ro, where a symlink may have been planted. */
int open_no_symlinks(const char *path);

/* What the kernel offers. */
bool kernel_has_ns(const char *name); /* "user", "cgroup": /proc/self/ns/NAME */
bool userns_allowed(void);            /* user namespaces exist and are not limited to 0 */
bool selinux_enabled(void);           /* labels apply; without SELinux bwrap ignores them */

/* The signals bwrapper passes on to the command instead of dying of them,
 * natively and under --pty. */
void forwarded_signals(sigset_t *set);

/* A wait status as a shell reports it: the exit code, or 128 + signal. */
int exit_status(int wait_status);
/* CLOCK_MONOTONIC in milliseconds, for timeouts. */
int64_t now_ms(void);

/* --timeout, as timeout(1): SIGTERM at the deadline, SIGKILL 2 s later;
 * once expired, the command's end is reported as 124. */
struct timeout {
    int64_t deadline; /* now_ms() of the next signal, or -1: none */
    bool expired;     /* SIGTERM has been due */
};
struct timeout timeout_start(uint64_t ms); /* 0: no timeout */
/* The signal due now, or 0 with *WAIT_MS set to the milliseconds until
 * the next one (-1: none), for poll(). */
int timeout_due(struct timeout *t, int *wait_ms);

#endif
