/* The OCI bundle on disk: the directory it is written to (--emit-oci's,
 * or a --runtime run's private one), and its removal. */
#ifndef BWRAPPER_BUNDLE_H
#define BWRAPPER_BUNDLE_H

#include <stdbool.h>

#include "oci.h"

/* The bundle directory; die() removes an emitted one (remove_made; a
 * run's goes with bwrapper's mount namespace, see make_private_dir). */
struct made_dir {
    const char *dir; /* the bundle directory */
    bool dir_made;   /* made on the host (--emit-oci, shared_bundle_dir): remove it too, not just its contents */
    int dir_fd;
};
extern struct made_dir made;
/* Create the bundle directory (--emit-oci's, or a run's private one) and
 * write O's description in it.  Anything the plan asks that OCI cannot
 * express has been refused by then. */
void create_bundle(struct oci *o);
void remove_made(void);
bool dir_is_empty(int dir_fd, const char *name);
/* --emit-oci DIR as an absolute path, which need not exist yet. */
const char *emit_dir(void *mem, const char *arg);

#endif
