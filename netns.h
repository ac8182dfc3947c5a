#ifndef BWRAPPER_NETNS_H
#define BWRAPPER_NETNS_H

#include <stdbool.h>

/* Up lo in the caller's network namespace, or die. */
void bring_up_loopback(void);

/* The monitor: make the sandbox's network namespace, lo up, and send it
 * over SOCK; in the user namespace of PIDFD's process (the sandbox) if
 * ENTER_USERNS.  Returns once it is sent; dies saying why it was not. */
void netns_make_beside(int pidfd, bool enter_userns, int sock);

/* Pid 1: join the namespace sent over SOCK.  Exits 1 without a word if
 * none comes (the monitor has said why). */
void netns_join(int sock);

#endif
