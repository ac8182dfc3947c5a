/* Building the sandbox's filesystem from the plan's steps. */
#ifndef BWRAPPER_MOUNTS_H
#define BWRAPPER_MOUNTS_H

#include <stdbool.h>

#include "plan.h"

/* How the executor's situation shapes the filesystem. */
struct root_opts {
    bool own_pidns;         /* --proc mounts a new procfs, not the host's */
    const char *file_label; /* SELinux context for new filesystems, or NULL */
    bool no_console;        /* --pty: the caller's terminal is not bound on <dev>/console */
    const char *stage_upper, *stage_work; /* --stage: the overlay's dirs in the stage directory */
};

/* Apply every step in order on a fresh tmpfs root and pivot into it.
 * Dies on any failure. */
void build_root(const struct plan *plan, const struct root_opts *opts);

#endif
