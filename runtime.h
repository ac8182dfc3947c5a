/* Finding, checking and driving an OCI runtime (runc, crun, runsc). */
#ifndef BWRAPPER_RUNTIME_H
#define BWRAPPER_RUNTIME_H

#include <sys/types.h>

#include "bundle.h"

/* The runtime NAME (a path, or looked up: in PATH, as root only in
 * root's directories). */
const char *find_runtime(void *mem, const char *name, uid_t uid);
/* The runtime binary, opened once and checked: the fd is what runs. */
int open_runtime(const char *path, uid_t uid);
enum runtime_kind runtime_kind(const char *name);
/* Run the bundle written in made.dir with the runtime EXE_FD (EXE); the
 * command's exit status.  The runtime's state is removed. */
int open_platform_cache(void *mem);
int run_bundle(struct oci *o, int exe_fd, const char *exe);

#endif
