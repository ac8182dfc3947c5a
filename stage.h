/* --stage: a private overlay upper layer for one host directory, the
 * changes found in it after the command, and what happens to them:
 * commit (all or nothing, from a journal), discard, keep, diff.
 *
 * A stage directory (0700, under $XDG_RUNTIME_DIR or /tmp, never where
 * the sandbox can reach) holds:
 *   stage.json  the target PATH and the stage's id
 *   snapshot    the state of every path under PATH when the run began
 *   upper/, work/   the overlay's layers
 *   journal     during a commit: the operations, once all new contents
 *               are written; its presence means "finish me"
 *   committed   the journal, once applied: only the removal is left */
#ifndef BWRAPPER_STAGE_H
#define BWRAPPER_STAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "plan.h"

/* ---- stage.c: the stage's life ---- */

struct stage;
/* Before the sandbox starts: the private directory, the snapshot of PATH.
 * UPPER and WORK name the overlay's directories for the mount. */
struct stage *stage_begin(void *mem, const struct plan *p);
const char *stage_upper(const struct stage *st);
const char *stage_work(const struct stage *st);
/* After the command: --changes-fd, then --stage-end.  Returns the exit
 * status to report (the command's, or 1 if a commit asked for failed). */
int stage_end(struct stage *st, const struct plan *p, int status);
/* --commit, --discard, --diff DIR */
int stage_act(const struct plan *p);

struct stage_dir;
struct change_list;
/* The changes of a stage, against its target as the host has it now. */
struct change_list stage_changes(void *mem, const struct stage_dir *sd);

/* ---- changes.c: what the upper layer changed, exactly ---- */

enum change_kind { CHANGE_ADDED, CHANGE_MODIFIED, CHANGE_DELETED, CHANGE_REPLACED, CHANGE_METADATA };

/* The state of one path, as lstat saw it. */
struct path_state {
    bool exists;
    mode_t mode; /* type and permissions */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
};

struct change {
    const char *path;     /* relative to the target, "." for the target itself */
    enum change_kind kind;
    struct path_state upper; /* what the command left (not exists: deleted) */
    struct path_state lower; /* what the host has now */
};

struct change_list {
    struct change *v;
    size_t n;
};

/* Walk UPPER_FD against LOWER_FD (both O_RDONLY directories): parents
 * before children; every lower path hidden by a whiteout or an opaque
 * directory is listed as deleted. */
struct change_list changes_find(void *mem, int upper_fd, int lower_fd);
/* {"path","change","type","size"} with PATH the absolute host path. */
char *change_json_line(void *mem, const struct change *c, const char *target);
const char *change_kind_name(enum change_kind k);
void path_state_of(struct path_state *ps, int dirfd, const char *path);
bool path_state_equal(const struct path_state *a, const struct path_state *b);

/* ---- commit.c: all or nothing, crash-safe ---- */

/* The stage's fixed facts, read from its directory. */
struct stage_dir {
    const char *dir;    /* as given */
    int fd;             /* the stage directory */
    const char *target; /* PATH */
    const char *id;     /* unique: names the commit's temporary directory */
};
/* Apply the stage to its target, or die naming the conflicts with nothing
 * changed.  Finishes a commit that was interrupted.  Removes the stage. */
void stage_commit(void *mem, const struct stage_dir *sd);
/* The state of every path under LOWER (named TARGET in errors), written
 * to DIRFD/snapshot when the run begins. */
void snapshot_write(int dirfd, int lower, const char *target);
/* Paths whose state on the host differs from the snapshot. */
const char *const *stage_conflicts(void *mem, const struct stage_dir *sd, const struct change_list *cl, size_t *n);
/* Remove the whole stage directory. */
void stage_remove(const struct stage_dir *sd);
bool stage_commit_started(const struct stage_dir *sd);
/* --discard: the commit's temporary directory in the target, if any. */
void commit_discard_temp(const struct stage_dir *sd);
/* Remove a tree (dirfd, name), making directories writable as needed. */
int remove_tree(int dirfd, const char *name);

#endif
