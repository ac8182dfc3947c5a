/* The OCI executor's description of one bundle, shared by its three
 * parts: oci.c describes the plan as config.json and the files rootfs/
 * needs, bundle.c writes that to disk (and removes it), runtime.c finds,
 * checks and drives the runtime that runs it. */
#ifndef BWRAPPER_OCI_H
#define BWRAPPER_OCI_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "plan.h"

enum runtime_kind { RT_RUNC, RT_CRUN, RT_RUNSC };

/* A file the bundle needs, relative to the bundle directory. */
enum file_kind { FILE_DIR, FILE_DATA, FILE_SYMLINK, FILE_CHMOD };
struct bundle_file {
    enum file_kind kind;
    const char *path;   /* "rootfs/etc/passwd", "files/3" */
    const char *target; /* symlink target */
    const char *data;   /* file contents */
    size_t len;
    mode_t mode;
    const char *option; /* the step it comes from, for errors */
};

/* What covers a path inside: a mount of host files (bind, overlay), or a
 * new filesystem (tmpfs, proc, a bundle file bound in). */
enum cover { COVER_HOST, COVER_NEW };
struct mount_rec {
    const char *dest;
    json_t *mount;             /* its entry in config.json's mounts */
    enum cover cover;
    const char **host;         /* COVER_HOST: host directories shown at dest, top first */
    size_t n_host;
    const char *bundle_path;   /* a bundle file bound in ("files/3"), or NULL */
};

struct symlink_rec {
    const char *path, *target;
};

struct oci {
    void *mem;
    const struct plan *plan;
    enum runtime_kind kind;
    unsigned ns;           /* NS_* as resolved */
    bool userns;           /* a user namespace in the spec, with id mappings */
    uid_t real_uid, uid;   /* the caller's, and the command's */
    gid_t real_gid, gid;
    bool own_userns;       /* the runtime runs in a user namespace of bwrapper's (see make_private_dir) */
    uint64_t caps;
    bool caps_inheritable;

    json_t *config, *mounts;
    struct bundle_file *files;
    size_t n_files;
    struct mount_rec *recs;
    size_t n_recs;
    struct symlink_rec *links;
    size_t n_links;
    unsigned n_bundle_files; /* files/N, overlay-N */
    bool root_readonly;
    json_t *root_mount;    /* a bind at /, described but not in mounts (describe_root_bind); or NULL */
    bool init; /* the command runs under bwrapper's pid 1 (oci-init.c) */
    int platform_cache_fd; /* runsc: open_platform_cache's, or -1 */
};

/* RLIM_INFINITY is 2^64-1, which jansson's integers (long long) cannot
 * hold: oci.c puts this string in the tree (a NUL first: no input can
 * make it), write_bundle writes the number in its place. */
#define UNLIMITED_JSON "\"\\u0000unlimited\""

/* The plan as config.json and the files rootfs/ needs, in O; dies naming
 * the option for anything OCI cannot express. */
void describe_bundle(struct oci *o);
/* Whether S is UTF-8, which JSON (config.json) alone can carry. */
bool is_utf8(const char *s);
/* Append S to ARRAY as text(WHAT, S). */
void add_text(json_t *array, const char *what, const char *s);
/* PATH inside, through the symlinks the bundle's rootfs holds. */
const char *resolve(struct oci *o, const char *path);
/* Whether PATH exists inside as a directory. */
bool dir_inside(struct oci *o, const char *path);

/* oci-process.c */
/* Die naming an option OCI cannot express (fds, processes around the
 * command). */
void refuse_inexpressible(const struct oci *o);
/* The namespaces, ids and capabilities, by the native executor's rules. */
void resolve_ids(struct oci *o);
/* config.json's "process". */
json_t *process_json(struct oci *o);

/* Free config.json's tree, once written (a jansson tree, not talloc's:
 * what O's memory holds of the description goes with it). */
void free_config(struct oci *o);
/* S as a JSON string; WHAT names it in the error if it is not UTF-8. */
json_t *text(const char *what, const char *s);
/* DIR and REST joined with one slash between. */
const char *path_join(void *mem, const char *dir, const char *rest);
/* Whether A is B or below it. */
bool at_or_below(const char *a, const char *b);
/* The last mount at or above PATH, or NULL: what the command sees there. */
const struct mount_rec *covering(const struct oci *o, const char *path);
/* Whether mount M has option NAME. */
bool has_option(json_t *m, const char *name);
/* The index in mounts right after mount M (0 for the root's). */
size_t index_after(const struct oci *o, const json_t *m);

#endif
