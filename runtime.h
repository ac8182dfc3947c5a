/* The OCI executor's way in: the plan as a runtime-spec bundle, emitted
 * with --emit-oci or run with --runtime (runc, crun or runsc). */
#ifndef BWRAPPER_RUNTIME_H
#define BWRAPPER_RUNTIME_H

#include "plan.h"

/* Emit the bundle (and exit 0), or run it and return the command's exit
 * status.  Anything the plan asks that OCI cannot express is an error
 * naming the option, before anything is created. */
int oci_run(const struct plan *plan);

#endif
