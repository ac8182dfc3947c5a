/* The OCI executor's way in: the plan as a runtime-spec bundle, emitted
 * with --emit-oci or run with --runtime (runc, crun or runsc). */
#ifndef BWRAPPER_RUNTIME_H
#define BWRAPPER_RUNTIME_H

#include "plan.h"

/* Emit the bundle (and exit 0), or run it and return the command's exit
 * status.  Anything the plan asks that OCI cannot express is an error
 * naming the option, before anything is created. */
int oci_run(const struct plan *plan);

/* `bwrapper --oci-init COMMAND...`, run by the runtime as pid 1 of the
 * sandbox's pid namespace: runs COMMAND, passes on the signals sent to it,
 * reaps, and exits with COMMAND's status.  Not an option of the table: the
 * runtime's way in, never the user's. */
_Noreturn void oci_init(char *const *argv);

#endif
