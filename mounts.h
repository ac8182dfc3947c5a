/* Building the sandbox's filesystem from the plan's steps. */
#ifndef BWRAPPER_MOUNTS_H
#define BWRAPPER_MOUNTS_H

#include <stdbool.h>

#include "plan.h"

/* Apply every step in order on a fresh tmpfs root and pivot into it.
 * OWN_PIDNS: --proc mounts a new procfs rather than binding the host's.
 * IN_USERNS: overlays use user.* xattrs.  Dies on any failure. */
void build_root(const struct plan *plan, bool own_pidns, bool in_userns);

#endif
