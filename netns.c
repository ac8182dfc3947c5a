/* The sandbox's network namespace, made on the other core while pid 1
 * builds the root.  A new network namespace is the dearest thing the
 * kernel makes for a sandbox (about half a millisecond: every protocol
 * sets up its per-namespace state), and nothing pid 1 does before the root
 * is built needs it.  Made by the clone it would be paid for before pid 1
 * runs at all; made here, it costs the time pid 1 waits for it, if any.
 *
 * The maker is a child of the monitor (a child of pid 1 would take pid 2,
 * which the command has in bwrap), sharing its memory: the monitor is
 * suspended until it ends (CLONE_VFORK), so the maker may use nothing but
 * system calls and its own stack.  It enters the sandbox's user namespace,
 * which the monitor's user owns, so the new network namespace is the
 * sandbox's as with the clone. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdalign.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "netns.h"
#include "util.h"

struct net_maker {
    int userns_pidfd; /* enter this process's user namespace first; -1: stay */
    int sock;         /* to pid 1 */
    const char *failed; /* what failed; NEW_NET_FAILED: the namespace itself */
    int err;
};

static const char NEW_NET_FAILED[] = "Creating new namespace failed";

/* The kernel gives lo 127.0.0.1/8 and ::1 itself once it is up.  Errors
 * come back as what failed, for the one caller that may not print. */
static const char *loopback_up(int s)
{
    struct ifreq ifr = {.ifr_name = "lo"};
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        return "loopback: can't read flags";
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        return "loopback: can't bring up lo";
    return NULL;
}

void bring_up_loopback(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const char *failed = s < 0 ? "loopback: can't read flags" : loopback_up(s);
    if (failed != NULL)
        die_errno("%s", failed);
    close(s);
}

static const char *make_and_send(struct net_maker *m)
{
    if (m->userns_pidfd >= 0 && setns(m->userns_pidfd, CLONE_NEWUSER) < 0)
        return "Joining the sandbox's user namespace failed";
    if (unshare(CLONE_NEWNET) < 0)
        return NEW_NET_FAILED;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return "loopback: can't read flags";
    const char *failed = loopback_up(s);
    if (failed != NULL)
        return failed;
    /* the socket's namespace, without a /proc to find it in */
    int ns = ioctl(s, SIOCGSKNS);
    if (ns < 0)
        return "can't open the new network namespace";
    if (send_fd(m->sock, ns) < 0)
        return "can't pass the network namespace to the sandbox";
    return NULL;
}

/* Returns (to clone's own exit) rather than calling _exit: a sanitizer
 * would take a noreturn call on this stack for a stack it does not know. */
static int run_maker(void *arg)
{
    struct net_maker *m = arg;
    m->failed = make_and_send(m);
    m->err = errno;
    return m->failed != NULL;
}

void netns_make_beside(int pidfd, bool enter_userns, int sock)
{
    static alignas(16) char stack[16384];
    struct net_maker m = {.userns_pidfd = enter_userns ? pidfd : -1, .sock = sock};
    pid_t maker = clone(run_maker, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &m);
    if (maker < 0)
        die_errno("clone");
    int status;
    while (waitpid(maker, &status, 0) < 0)
        if (errno != EINTR)
            die_errno("waitpid");
    if (m.failed == NEW_NET_FAILED)
        die_new_namespace(m.err, enter_userns);
    if (m.failed != NULL) {
        errno = m.err;
        die_errno("%s", m.failed);
    }
}

void netns_join(int sock)
{
    int ns = recv_fd(sock);
    /* none: the monitor failed to make it, and said why */
    if (ns < 0)
        _exit(1);
    if (setns(ns, CLONE_NEWNET) < 0)
        die_errno("Joining the new network namespace failed");
    close(ns);
}
