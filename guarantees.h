/* The guarantees a plan asks for, which this machine can keep and by
 * what means (namespaces, Landlock, seccomp, ...): --print-guarantees,
 * --require, and the diagnosis when nothing can isolate. */
#ifndef BWRAPPER_GUARANTEES_H
#define BWRAPPER_GUARANTEES_H

#include <stdbool.h>

#include "plan.h"

/* 0 when the namespaces PLAN needs can be made here, else why not (an
 * errno).  A short-lived child tries what fails on restricted hosts: a
 * user namespace (a limit of 0, a seccomp filter) and a mount in it
 * (AppArmor's restriction leaves the namespace without capabilities,
 * containers forbid changing /), so --isolation auto never starts a
 * namespace set-up that would fail halfway. */
int namespaces_fail(const struct plan *plan);

/* --require's names. */
bool guarantee_known(const char *name);
char *guarantee_names(void *mem_ctx); /* "a b c", for errors */

/* --print-guarantees: JSON text, with a final newline.  Probes the
 * machine (a short-lived child tries a user namespace). */
char *guarantees_json(void *mem_ctx, const struct plan *plan);

/* --require: exit with a one-line error naming the first required
 * guarantee this machine cannot keep for PLAN. */
void guarantees_require(const struct plan *plan);

/* --isolation auto fell back to Landlock because namespaces failed with
 * NS_ERRNO: one line naming the guarantees it does not keep. */
void warn_landlock_fallback(const struct plan *plan, int ns_errno);

/* Nothing can isolate: say why, read from the machine (sysctls, seccomp,
 * Landlock), and what to do; CLONE_ERRNO is clone's error (0: none). */
_Noreturn void isolation_impossible(const struct plan *plan, int clone_errno);

#endif
