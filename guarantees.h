/* The guarantees a plan asks for, which this machine can keep and by
 * what means (namespaces, Landlock, seccomp, ...): --print-guarantees,
 * --require, and the diagnosis when nothing can isolate. */
#ifndef BWRAPPER_GUARANTEES_H
#define BWRAPPER_GUARANTEES_H

#include <stdbool.h>

#include "plan.h"

/* --require's names. */
bool guarantee_known(const char *name);
char *guarantee_names(void *mem_ctx); /* "a b c", for errors */

/* --print-guarantees: JSON text, with a final newline.  Probes the
 * machine (a short-lived child tries a user namespace). */
char *guarantees_json(void *mem_ctx, const struct plan *plan);

/* --require: exit with a one-line error naming the first required
 * guarantee this machine cannot keep for PLAN. */
void guarantees_require(const struct plan *plan);

/* Nothing can isolate: say why, read from the machine (sysctls, seccomp,
 * Landlock), and what to do; CLONE_ERRNO is clone's error (0: none). */
_Noreturn void isolation_impossible(const struct plan *plan, int clone_errno);

#endif
