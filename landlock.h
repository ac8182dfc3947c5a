/* Landlock isolation: the plan as Landlock rules and a seccomp filter,
 * for machines where namespaces cannot be made (--isolation). */
#ifndef BWRAPPER_LANDLOCK_H
#define BWRAPPER_LANDLOCK_H

#include "plan.h"

/* The highest Landlock ABI the kernel offers; 0: none (not built in, or
 * not enabled at boot). */
int landlock_abi(void);

/* Why Landlock cannot express PLAN ("--tmpfs /x: it needs a mount"), or
 * NULL when it can.  Paths stay where they are under Landlock, so only
 * --rw, --ro and binds of a path onto itself map, plus the equivalents
 * of --profile agent's own mounts. */
const char *landlock_unexpressible(void *mem_ctx, const struct plan *plan);

/* The ruleset for PLAN on a kernel of ABI, with TMPDIR (or NULL) fully
 * usable; any error names the path and exits.  Returns its fd. */
int landlock_ruleset(const struct plan *plan, int abi, const char *tmpdir);
/* In the command, with no_new_privs set: confine ourselves to RULESET
 * and close it. */
void landlock_enforce(int ruleset);

/* Refuse socket() for every family but AF_UNIX (EAFNOSUPPORT): with
 * Landlock's TCP rules, what a network namespace keeps from the command. */
void seccomp_unix_sockets_only(void);

/* The per-run private directory that stands for --profile agent's /tmp,
 * made mode 0700 under $TMPDIR or /tmp, and its removal (with all the
 * command left in it, without following symlinks). */
char *private_tmpdir_make(void *mem_ctx);
void private_tmpdir_remove(const char *path);

#endif
