/* --pty: the command on a new pseudo-terminal, relayed to the caller's.
 *
 * Both executors hand the pty's controller to the monitor the same way: one
 * fd over a unix socket (SCM_RIGHTS).  Natively the sandbox sends it over a
 * socketpair once its /dev is built; an OCI runtime sends it to the socket
 * named by --console-socket.  So one relay serves both. */
#ifndef BWRAPPER_PTY_H
#define BWRAPPER_PTY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>

/* Open a new pty through PTMX (a path as the calling process sees it):
 * *controller and *replica, both O_CLOEXEC and O_NOCTTY.  The replica's
 * window size is set from the caller's terminal, if any of stdin, stdout
 * or stderr is one, so the command sees the right size from its start.
 * Dies on failure. */
void pty_open(const char *ptmx, int *controller, int *replica);

/* The caller's window size (of the first of stdin, stdout and stderr that
 * is a terminal) in *WS; false when none is a terminal. */
bool pty_caller_size(struct winsize *ws);

/* In the sandbox, before the reaper is forked: REPLICA becomes stdin,
 * stdout and stderr, so nothing in the sandbox, pid 1 included, keeps the
 * caller's terminal.  Closes REPLICA. */
void pty_take_stdio(int replica);

/* In the command, just before exec: a new session whose controlling
 * terminal is stdin (the replica).  Dies on failure. */
void pty_become_session(void);

/* Every signal whose default would end bwrapper with the terminal raw
 * (but those a fault raises): the relay passes them on to the sandbox
 * instead, and its pid 1 on to the command. */
extern const int pty_forwarded[];
extern const size_t pty_n_forwarded;

/* The monitor side.  The relay copies the caller's stdin to the controller
 * and the controller's output to stdout.  When stdin is a terminal it is in
 * raw mode meanwhile (so Ctrl-C, Ctrl-Z and friends reach the command's
 * terminal as bytes, not as signals for bwrapper); the mode is restored by
 * pty_relay_end and by die().  The caller's window size is copied to the
 * pty at start and on every SIGWINCH.  SIGINT, SIGTERM and SIGHUP are
 * forwarded to PIDFD instead of ending bwrapper.  When stdin is not a
 * terminal, its end is given to the command as the terminal's EOF
 * character.
 *
 * Begin after the process behind PIDFD has started: signals are blocked
 * and SIGPIPE ignored while relaying, and a child would inherit both. */
struct pty_relay;

/* Takes CONTROLLER (closed by pty_relay_end).  Dies on failure. */
struct pty_relay *pty_relay_begin(void *mem_ctx, int controller, int pidfd);

/* At most this many pollfds are used by the relay. */
#define PTY_RELAY_NFDS 3

/* Fill FDS (room for PTY_RELAY_NFDS) with what the relay waits for, to
 * poll together with the executor's own fds; returns how many. */
unsigned pty_relay_poll_fds(const struct pty_relay *relay, struct pollfd *fds);

/* Act on what poll() reported in FDS (as filled by pty_relay_poll_fds).
 * Returns false once every replica is closed: nothing more will come. */
bool pty_relay_handle(struct pty_relay *relay, const struct pollfd *fds);

/* The command has ended: copy the output still on its way (until every
 * replica is closed, or nothing came for a moment: a process left in the
 * background may hold the pty), restore the caller's terminal mode and the
 * signals, close the controller, free RELAY. */
void pty_relay_end(struct pty_relay *relay);

/* All of the above for an executor with nothing else to wait for (an OCI
 * runtime's process): relay until every replica is closed, then end. */
void pty_relay(int controller, int pidfd);

#endif
