/* --pty: opening the pseudo-terminal, handing its controller over, and
 * relaying between it and the caller's terminal.  See pty.h. */
#define _GNU_SOURCE
#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <talloc.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* After the command has ended, output still arriving is copied until the
 * pty has been quiet this long (the kernel hands written bytes to the
 * reading side asynchronously, so "nothing readable" right at the end is
 * not "nothing more"), but for no longer than the cap, so that a
 * background process writing forever cannot hold bwrapper. */
#define DRAIN_QUIET_MS 50
#define DRAIN_MAX_MS 1000

/* The first of stdin, stdout and stderr that is a terminal, or -1. */
static int caller_terminal(void)
{
    for (int fd = 0; fd < 3; fd++)
        if (isatty(fd))
            return fd;
    return -1;
}

bool pty_caller_size(struct winsize *ws)
{
    int fd = caller_terminal();
    return fd >= 0 && ioctl(fd, TIOCGWINSZ, ws) == 0;
}

/* Best effort: a size the kernel refuses leaves the pty at 0x0, which
 * programs treat as "unknown", not as an error. */
static void copy_window_size(int from, int to)
{
    struct winsize ws;
    if (from >= 0 && ioctl(from, TIOCGWINSZ, &ws) == 0)
        (void)ioctl(to, TIOCSWINSZ, &ws);
}

void pty_open(const char *ptmx, int *controller, int *replica)
{
    int c = fd_above_stdio(open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (c < 0)
        die_errno("--pty: can't open %s", ptmx);
    /* unlockpt(); grantpt() has nothing to do on devpts, which creates the
     * replica with the opener's ids. */
    int unlock = 0;
    if (ioctl(c, TIOCSPTLCK, &unlock) < 0)
        die_errno("--pty: can't unlock the pty from %s", ptmx);
    /* The replica by fd, not by its /dev/pts/N name: no path lookup that a
     * mount over /dev/pts could send elsewhere. */
    int r = fd_above_stdio(ioctl(c, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (r < 0)
        die_errno("--pty: can't open the replica of the pty from %s", ptmx);
    copy_window_size(caller_terminal(), r);
    *controller = c;
    *replica = r;
}

void pty_take_stdio(int replica)
{
    for (int fd = 0; fd < 3; fd++)
        if (dup2(replica, fd) < 0)
            die_errno("--pty: can't make the pty fd %d", fd);
    close(replica);
}

void pty_become_session(void)
{
    /* A process that leads a session (--new-session without a reaper)
     * cannot make another one; it has no controlling terminal either. */
    if (getsid(0) != getpid() && setsid() < 0)
        die_errno("--pty: setsid");
    if (ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0)
        die_errno("--pty: can't make the pty the controlling terminal");
}

/* ---- the relay ---- */

struct pty_relay {
    int controller, pidfd, sigfd;
    int size_from;       /* the caller's terminal, for the window size; or -1 */
    bool raw;            /* stdin is a terminal, in raw mode until the end */
    bool reading_stdin;  /* stdin has not ended */
    bool eof_due;        /* stdin (not a terminal) ended: send the EOF character */
    bool open;           /* a replica is open */
    bool stdout_gone;    /* writing failed: output is read and dropped */
    char last_in;        /* the last byte of input sent, or 0 */
    char in[4096];       /* input not yet taken by the pty */
    size_t in_len, in_off;
    sigset_t old_mask;
    struct sigaction old_pipe;
};

static void enter_raw_mode(void)
{
    struct termios mode = saved_tty_mode;
    cfmakeraw(&mode);
    if (tcsetattr(STDIN_FILENO, TCSANOW, &mode) < 0)
        die_errno("--pty: can't put the terminal in raw mode");
}

/* SIGTSTP from outside (the terminal, raw, sends none): stop as a job
 * does, with the caller's terminal as it was, and take it back when
 * continued, at its size then.  The command runs on meanwhile. */
static void suspend(struct pty_relay *r)
{
    if (r->raw)
        (void)tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty_mode);
    (void)kill(getpid(), SIGSTOP);
    if (r->raw)
        enter_raw_mode();
    copy_window_size(r->size_from, r->controller);
}

const int pty_forwarded[] = {SIGHUP,    SIGINT, SIGQUIT, SIGABRT,   SIGUSR1, SIGUSR2, SIGALRM, SIGTERM,
                             SIGSTKFLT, SIGIO,  SIGPWR,  SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ};
const size_t pty_n_forwarded = N_ELEMENTS(pty_forwarded);

struct pty_relay *pty_relay_begin(void *mem_ctx, int controller, int pidfd)
{
    struct pty_relay *r = talloc_zero(mem_ctx, struct pty_relay);
    r->controller = controller;
    r->pidfd = pidfd;
    r->size_from = caller_terminal();
    r->reading_stdin = true;
    r->open = true;
    /* Nonblocking: the command may not read its input for a while, and
     * the relay must still move its output and handle signals. */
    int flags = fcntl(controller, F_GETFL);
    if (flags < 0 || fcntl(controller, F_SETFL, flags | O_NONBLOCK) < 0)
        die_errno("--pty: can't set up the pty");

    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < pty_n_forwarded; i++)
        sigaddset(&set, pty_forwarded[i]);
    sigaddset(&set, SIGWINCH);
    sigaddset(&set, SIGTSTP);
    if (sigprocmask(SIG_BLOCK, &set, &r->old_mask) < 0 ||
        (r->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
        die_errno("--pty: can't take signals");
    /* A closed stdout must not kill us before the terminal is restored. */
    struct sigaction ignore = {.sa_handler = SIG_IGN};
    sigaction(SIGPIPE, &ignore, &r->old_pipe);

    if (isatty(STDIN_FILENO)) {
        struct termios mode;
        if (tcgetattr(STDIN_FILENO, &mode) < 0)
            die_errno("--pty: can't read the terminal's mode");
        /* Registered first, so that a failure from here on restores it. */
        saved_tty_mode = mode;
        saved_tty_fd = STDIN_FILENO;
        enter_raw_mode();
        r->raw = true;
    }
    copy_window_size(r->size_from, controller);
    return r;
}

unsigned pty_relay_poll_fds(const struct pty_relay *r, struct pollfd *fds)
{
    bool pending = r->in_off < r->in_len;
    /* A negative fd is skipped by poll() and keeps the positions fixed. */
    fds[0] = (struct pollfd){.fd = r->open ? r->controller : -1, .events = POLLIN | (pending ? POLLOUT : 0)};
    fds[1] = (struct pollfd){.fd = r->open && r->reading_stdin && !pending ? STDIN_FILENO : -1, .events = POLLIN};
    fds[2] = (struct pollfd){.fd = r->sigfd, .events = POLLIN};
    return PTY_RELAY_NFDS;
}

/* Blocking writes to stdout are fine (a slow reader slows the command, as
 * a terminal does), but stdout may have been left nonblocking by whoever
 * shares it. */
static void write_output(struct pty_relay *r, const char *buf, size_t len)
{
    while (!r->stdout_gone && len > 0) {
        ssize_t w = write(STDOUT_FILENO, buf, len);
        if (w < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
            (void)poll(&p, 1, -1);
        } else if (w < 0 && errno != EINTR) {
            r->stdout_gone = true;
        } else if (w > 0) {
            buf += w;
            len -= (size_t)w;
        }
    }
}

static void copy_output(struct pty_relay *r)
{
    char buf[65536];
    ssize_t n = read(r->controller, buf, sizeof buf);
    if (n > 0)
        write_output(r, buf, (size_t)n);
    /* EIO: every replica is closed (the Linux pty's "end of file"). */
    else if (n == 0 || errno == EIO)
        r->open = false;
    else if (errno != EAGAIN && errno != EINTR)
        die_errno("--pty: can't read from the pty");
}

static void copy_input(struct pty_relay *r)
{
    ssize_t n = read(STDIN_FILENO, r->in, sizeof r->in);
    if (n > 0) {
        r->in_off = 0;
        r->in_len = (size_t)n;
        r->last_in = r->in[n - 1];
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    r->reading_stdin = false;
    /* A terminal that ends has hung up; anything else just ran out, and
     * the command must see that as its terminal's end of file. */
    if (!r->raw)
        r->eof_due = true;
}

/* The terminal's EOF character (^D unless the command changed it); a
 * second one when a partial line is pending, which the first only ends. */
static void queue_eof(struct pty_relay *r)
{
    struct termios mode;
    r->eof_due = false;
    if (tcgetattr(r->controller, &mode) < 0)
        return;
    r->in_off = 0;
    r->in_len = 0;
    r->in[r->in_len++] = (char)mode.c_cc[VEOF];
    if (r->last_in != 0 && r->last_in != '\n')
        r->in[r->in_len++] = (char)mode.c_cc[VEOF];
}

static void send_input(struct pty_relay *r)
{
    ssize_t w = write(r->controller, r->in + r->in_off, r->in_len - r->in_off);
    if (w > 0)
        r->in_off += (size_t)w;
    else if (w < 0 && errno == EIO)
        r->open = false;
    else if (w < 0 && errno != EAGAIN && errno != EINTR)
        die_errno("--pty: can't write to the pty");
}

static void take_signals(struct pty_relay *r, bool forward)
{
    struct signalfd_siginfo si;
    while (read(r->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGWINCH)
            copy_window_size(r->size_from, r->controller);
        else if (si.ssi_signo == SIGTSTP)
            suspend(r);
        /* The sandbox may be gone already: nothing to do then. */
        else if (forward && r->pidfd >= 0)
            (void)syscall(SYS_pidfd_send_signal, r->pidfd, (int)si.ssi_signo, NULL, 0);
    }
}

bool pty_relay_handle(struct pty_relay *r, const struct pollfd *fds)
{
    if (fds[2].revents)
        take_signals(r, true);
    if (fds[0].revents & POLLOUT)
        send_input(r);
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
        copy_output(r);
    if (fds[1].revents)
        copy_input(r);
    if (r->eof_due && r->in_off >= r->in_len)
        queue_eof(r);
    return r->open;
}

void pty_relay_end(struct pty_relay *r)
{
    int64_t stop = now_ms() + DRAIN_MAX_MS;
    while (r->open && now_ms() < stop) {
        struct pollfd p = {.fd = r->controller, .events = POLLIN};
        int n = poll(&p, 1, DRAIN_QUIET_MS);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        copy_output(r);
    }
    if (r->raw) {
        (void)tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty_mode);
        saved_tty_fd = -1;
        r->raw = false;
    }
    /* Signals that came after the command ended have no one to go to. */
    take_signals(r, false);
    close(r->sigfd);
    sigprocmask(SIG_SETMASK, &r->old_mask, NULL);
    sigaction(SIGPIPE, &r->old_pipe, NULL);
    close(r->controller);
    talloc_free(r);
}

void pty_relay(int controller, int pidfd)
{
    struct pty_relay *r = pty_relay_begin(NULL, controller, pidfd);
    struct pollfd fds[PTY_RELAY_NFDS];
    for (;;) {
        unsigned n = pty_relay_poll_fds(r, fds);
        if (poll(fds, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            die_errno("poll");
        }
        if (!pty_relay_handle(r, fds))
            break;
    }
    pty_relay_end(r);
}
