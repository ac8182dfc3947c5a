/* Capabilities the command keeps, with bwrap's rules (libcap). */
#ifndef BWRAPPER_CAPS_H
#define BWRAPPER_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

/* The capability named S: "CAP_SYS_ADMIN", "cap_sys_admin", "sys_admin"
 * or a plain decimal such as "21" (as bwrap); -1 for anything else, where
 * libcap's cap_from_name would take "12abc" as 12. */
int cap_by_name(const char *s);

/* The set the sandbox keeps: root starts from its effective set, anyone
 * else from nothing; then --cap-add/--cap-drop in the order given. */
/* *INHERITABLE says whether caps_apply should set the inheritable and
 * ambient sets too. */
uint64_t caps_requested(const struct plan *plan, bool caller_is_root, bool new_userns, bool *inheritable);
/* Drop every capability outside KEEP from the bounding set. */
void caps_limit_bounding(uint64_t keep);
/* Set permitted and effective to KEEP; with --cap-add/--cap-drop also
 * inheritable and ambient, so KEEP survives exec as a non-root uid. */
void caps_apply(uint64_t keep, bool caps_given);

#endif
