/* Test helper: run a command on a new pseudo-terminal and drive it, as a
 * person at a terminal would.
 *
 *   ptydrive [-z ROWSxCOLS] [-t SECONDS] [-g] [ACTION...] -- COMMAND [ARG...]
 *
 * The command runs in a new session whose controlling terminal, stdin,
 * stdout and stderr are the pty (window size -z, default 24x80).  The
 * actions then run in order:
 *   -e TEXT        wait until the output (after the previous -e's match)
 *                  contains TEXT
 *   -s TEXT        type TEXT; \n \r \t \\ and \xHH are escapes (\x03: Ctrl-C)
 *   -r ROWSxCOLS   resize the terminal (the kernel sends SIGWINCH)
 *   -k SIGNAL      send SIGNAL (a number) to the command
 * after which ptydrive copies output until the command has exited and the
 * pty is closed.  Everything the command wrote goes to stdout.
 *
 * -g checks the terminal's settings (stty -g) after the command are those
 * from before it, and says on stderr what changed if not.
 *
 * Exit status: the command's (128+N if signal N killed it); 124 if an -e
 * or the command did not finish within -t SECONDS (default 10; the command
 * is then killed); 125 if the output ended before an -e's TEXT; 99 if -g
 * found a difference. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

struct action {
    char kind; /* 'e', 's', 'r', 'k' */
    char *text;
    size_t len;
    struct winsize size;
    int sig;
};

static char *out;
static size_t out_len, out_cap, matched;

static _Noreturn void fail(int status, const char *fmt, const char *arg)
{
    fwrite(out, 1, out_len, stdout);
    fflush(stdout);
    fprintf(stderr, "ptydrive: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(status);
}

static struct winsize parse_size(const char *s)
{
    unsigned rows, cols;
    char end;
    if (sscanf(s, "%ux%u%c", &rows, &cols, &end) != 2)
        fail(2, "bad size %s (ROWSxCOLS)", s);
    return (struct winsize){.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
}

/* C-like escapes, in place; returns the length. */
static size_t unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (*r != '\\' || r[1] == '\0') {
            *w++ = *r;
            continue;
        }
        r++;
        switch (*r) {
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'x': {
            unsigned v = 0;
            for (int n = 0; n < 2 && isxdigit((unsigned char)r[1]); n++, r++)
                v = v * 16 + (unsigned)(isdigit((unsigned char)r[1]) ? r[1] - '0' : tolower((unsigned char)r[1]) - 'a' + 10);
            *w++ = (char)v;
            break;
        }
        default: *w++ = *r; break;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Read what is there; false once the pty is closed (EIO: no replica). */
static bool read_output(int pty, int wait_ms)
{
    struct pollfd p = {.fd = pty, .events = POLLIN};
    if (poll(&p, 1, wait_ms) <= 0)
        return true;
    if (out_len + 4096 > out_cap) {
        out_cap = out_cap * 2 + 8192;
        out = realloc(out, out_cap);
        if (out == NULL)
            fail(2, "%s", "out of memory");
    }
    ssize_t n = read(pty, out + out_len, out_cap - out_len - 1);
    if (n > 0) {
        out_len += (size_t)n;
        out[out_len] = '\0';
        return true;
    }
    return n < 0 && (errno == EAGAIN || errno == EINTR);
}

static void print_mode(const char *when, const struct termios *t)
{
    fprintf(stderr, "ptydrive: stty -g %s: %x:%x:%x:%x", when, (unsigned)t->c_iflag, (unsigned)t->c_oflag,
            (unsigned)t->c_cflag, (unsigned)t->c_lflag);
    for (int i = 0; i < NCCS; i++)
        fprintf(stderr, ":%x", t->c_cc[i]);
    fputc('\n', stderr);
}

static bool same_mode(const struct termios *a, const struct termios *b)
{
    return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag && a->c_cflag == b->c_cflag &&
           a->c_lflag == b->c_lflag && memcmp(a->c_cc, b->c_cc, sizeof a->c_cc) == 0;
}

int main(int argc, char **argv)
{
    struct winsize size = {.ws_row = 24, .ws_col = 80};
    int timeout_s = 10;
    bool check_mode = false;
    struct action *actions = calloc((size_t)argc, sizeof *actions);
    size_t n_actions = 0;
    int opt;
    while ((opt = getopt(argc, argv, "+z:t:ge:s:r:k:")) != -1) {
        struct action *a = &actions[n_actions];
        switch (opt) {
        case 'z': size = parse_size(optarg); break;
        case 't': timeout_s = atoi(optarg); break;
        case 'g': check_mode = true; break;
        case 'e':
        case 's':
            a->kind = (char)opt;
            a->text = optarg;
            a->len = unescape(optarg);
            n_actions++;
            break;
        case 'r':
            a->kind = 'r';
            a->size = parse_size(optarg);
            n_actions++;
            break;
        case 'k':
            a->kind = 'k';
            a->sig = atoi(optarg);
            n_actions++;
            break;
        default: return 2;
        }
    }
    if (optind >= argc)
        fail(2, "%s", "no command");

    int pty, replica;
    if (openpty(&pty, &replica, NULL, NULL, &size) < 0)
        fail(2, "openpty: %s", strerror(errno));
    struct termios before;
    tcgetattr(replica, &before);
    pid_t child = fork();
    if (child < 0)
        fail(2, "fork: %s", strerror(errno));
    if (child == 0) {
        if (setsid() < 0 || ioctl(replica, TIOCSCTTY, 0) < 0)
            _exit(126);
        dup2(replica, 0);
        dup2(replica, 1);
        dup2(replica, 2);
        close(replica);
        close(pty);
        execvp(argv[optind], argv + optind);
        _exit(127);
    }
    /* Only the command holds the replica now: when it and whatever it
     * started are done, reading gives EIO. */
    close(replica);
    fcntl(pty, F_SETFL, O_NONBLOCK);

    long long deadline = now_ms() + timeout_s * 1000LL;
    bool open = true;
    for (size_t i = 0; i < n_actions; i++) {
        struct action *a = &actions[i];
        switch (a->kind) {
        case 'e':
            for (;;) {
                char *at = out ? memmem(out + matched, out_len - matched, a->text, a->len) : NULL;
                if (at != NULL) {
                    matched = (size_t)(at - out) + a->len;
                    break;
                }
                if (!open)
                    fail(125, "the output ended before \"%s\"", a->text);
                if (now_ms() > deadline) {
                    kill(child, SIGKILL);
                    fail(124, "timed out waiting for \"%s\"", a->text);
                }
                open = read_output(pty, 50);
            }
            break;
        case 's':
            for (size_t off = 0; off < a->len;) {
                ssize_t w = write(pty, a->text + off, a->len - off);
                if (w < 0 && errno != EAGAIN && errno != EINTR)
                    fail(2, "write: %s", strerror(errno));
                if (w > 0)
                    off += (size_t)w;
                else
                    open = read_output(pty, 10);
            }
            break;
        case 'r':
            if (ioctl(pty, TIOCSWINSZ, &a->size) < 0)
                fail(2, "TIOCSWINSZ: %s", strerror(errno));
            break;
        case 'k':
            kill(child, a->sig);
            break;
        }
    }

    int status = 0;
    bool exited = false;
    while (open || !exited) {
        if (!exited && waitpid(child, &status, WNOHANG) == child)
            exited = true;
        if (now_ms() > deadline) {
            kill(child, SIGKILL);
            fail(124, "%s", "timed out waiting for the command to finish");
        }
        if (open)
            open = read_output(pty, 20);
        else
            usleep(10000);
    }
    fwrite(out, 1, out_len, stdout);
    fflush(stdout);

    if (check_mode) {
        struct termios after;
        /* On the controller this reads the replica's settings. */
        tcgetattr(pty, &after);
        if (!same_mode(&before, &after)) {
            print_mode("before", &before);
            print_mode("after", &after);
            return 99;
        }
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
