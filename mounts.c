/* The sandbox's filesystem: the plan's steps applied in order, then
 * pivot_root into the result.  Runs in the child, in its new mount
 * namespace.
 *
 * Every mount is built detached (open_tree, fsmount) with its flags set by
 * mount_setattr -- recursively and in one call, with no walk of
 * /proc/self/mountinfo -- and then attached with move_mount onto a
 * destination fd resolved inside the new root with RESOLVE_IN_ROOT, so a
 * symlink in the tree being built can never steer a step onto the host.
 * These calls need Linux 5.12; older kernels get a clear error. */
#define _GNU_SOURCE
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <talloc.h>
#include <unistd.h>

#include "util.h"

#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

/* What a step reads from the host, fixed before the host is covered. */
struct source {
    int tree;          /* a detached copy of the bind source, or -1 */
    const char *lower; /* overlay: lowerdir=, as /proc/self/fd paths */
    const char *upper, *work;
};

struct builder {
    const struct plan *plan;
    void *mem;
    int base_fd;  /* private scratch tmpfs: data files, tmp-overlay layers */
    int root_fd;  /* the topmost mount on the new root */
    struct source *sources; /* per step, taken before anything is mounted */
    const struct root_opts *opts;
    unsigned seq;
    bool exposing;        /* an --rw/--ro step is making its parents */
    int *holders;         /* tmpfs mounts made to hold them, made read-only at the end */
    size_t n_holders;
};

/* ---- thin syscall wrappers (glibc 2.36 has none for these) ---- */

static int sys_open_tree(int dfd, const char *path, unsigned flags)
{
    return (int)syscall(SYS_open_tree, dfd, path, flags);
}

static int sys_move_mount(int from, const char *from_path, int to, const char *to_path, unsigned flags)
{
    return (int)syscall(SYS_move_mount, from, from_path, to, to_path, flags);
}

static int sys_mount_setattr(int dfd, const char *path, unsigned flags, uint64_t set)
{
    struct mount_attr attr = {.attr_set = set};
    return (int)syscall(SYS_mount_setattr, dfd, path, flags, &attr, sizeof attr);
}

static int sys_openat2(int dfd, const char *path, uint64_t flags, uint64_t resolve, mode_t mode)
{
    struct open_how how = {.flags = flags | O_CLOEXEC, .mode = mode, .resolve = resolve};
    return (int)syscall(SYS_openat2, dfd, path, &how, sizeof how);
}

/* ---- detached trees ---- */

/* A new filesystem, configured by NULL-terminated key/value pairs and
 * returned as a detached mount.  A NULL value sets a flag option. */
static int new_fs(const char *type, uint64_t attrs, const char *const *opts, const char *label)
{
    int fs = (int)syscall(SYS_fsopen, type, FSOPEN_CLOEXEC);
    if (fs < 0)
        return -1;
    /* Named after its type, as bwrap's mount(type, dest, type) names it:
     * mountinfo, findmnt and df show it. */
    if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", type, 0) < 0)
        goto fail;
    for (; opts && opts[0]; opts += 2) {
        int r = opts[1] ? (int)syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, opts[0], opts[1], 0)
                        : (int)syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, opts[0], NULL, 0);
        if (r < 0)
            goto fail;
    }
    if (label && syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "context", label, 0) < 0)
        goto fail;
    if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        goto fail;
    int mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
    int saved = errno;
    close(fs);
    errno = saved;
    return mnt;
fail:
    saved = errno;
    close(fs);
    errno = saved;
    return -1;
}

static int new_tmpfs(int perms, uint64_t size, uint64_t attrs, const char *label)
{
    char mode[16], bytes[32];
    snprintf(mode, sizeof mode, "0%o", (unsigned)perms);
    snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)size);
    const char *opts[] = {"mode", mode, size ? "size" : NULL, bytes, NULL};
    return new_fs("tmpfs", attrs, opts, label);
}

/* A detached recursive copy of the tree at PATH (relative to DFD). */
static int copy_tree(int dfd, const char *path)
{
    return sys_open_tree(dfd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | (*path ? 0 : AT_EMPTY_PATH));
}

/* ATTRS on every mount of a detached tree, all or none. */
static int set_tree_attrs(int tree, uint64_t attrs)
{
    return sys_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, attrs);
}

static int clone_tree(int dfd, const char *path, uint64_t attrs)
{
    int tree = copy_tree(dfd, path);
    if (tree >= 0 && set_tree_attrs(tree, attrs) < 0) {
        int saved = errno;
        close(tree);
        errno = saved;
        return -1;
    }
    return tree;
}

static uint64_t bind_attrs(unsigned flags)
{
    return MOUNT_ATTR_NOSUID | ((flags & STEP_DEVICES) ? 0 : MOUNT_ATTR_NODEV) |
           ((flags & STEP_RO) ? MOUNT_ATTR_RDONLY : 0);
}

/* A destination as bwrap names it in its mount errors: under the staging
 * directory /newroot, where bwrap builds the root. */
static const char *newroot_path(struct builder *b, const char *dest)
{
    return talloc_asprintf(b->mem, "/newroot/%s", dest + strspn(dest, "/"));
}

/* ---- destinations, always resolved inside the new root ---- */

static int open_in_root(struct builder *b, const char *path, uint64_t flags)
{
    return sys_openat2(b->root_fd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, 0);
}

/* The parent directory of DEST, created (mode PARENT_MODE) where missing.
 * *name is DEST's last component, or NULL when DEST is the root itself. */
/* --rw/--ro: the first directory made to hold an exposed path gets a tmpfs
 * of its own, so the rest of the chain is made there and ends up
 * read-only, showing nothing but what is exposed below it. */
static int hold_exposed(struct builder *b, int dir, const char *path)
{
    b->exposing = false;
    int tmp = new_tmpfs(0755, 0, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, b->opts->file_label);
    if (tmp < 0 || sys_move_mount(tmp, "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        die_errno("Can't mount tmpfs on %s", path);
    close(dir);
    b->holders = talloc_realloc(b->mem, b->holders, int, b->n_holders + 1);
    b->holders[b->n_holders++] = tmp;
    return open_in_root(b, path, O_PATH | O_DIRECTORY);
}

static int open_parent(struct builder *b, const char *dest, mode_t parent_mode, char **name)
{
    char *path = talloc_strdup(b->mem, dest);
    size_t len = strlen(path);
    /* "d/" and "d/." name d itself */
    while (len > 1 && (path[len - 1] == '/' || (path[len - 1] == '.' && path[len - 2] == '/')))
        path[--len] = '\0';
    char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    if (**name == '\0' || strcmp(*name, ".") == 0) {
        *name = NULL;
        return open_in_root(b, "/", O_PATH | O_DIRECTORY);
    }
    char *parent = slash ? talloc_strndup(b->mem, path, (size_t)(slash - path)) : "";
    int fd = open_in_root(b, *parent ? parent : "/", O_PATH | O_DIRECTORY);
    if (fd >= 0 || errno != ENOENT)
        return fd;

    /* Slow path: create the missing components one by one, each resolved
     * again from the root so that a symlink among them stays inside. */
    int dir = open_in_root(b, "/", O_PATH | O_DIRECTORY);
    for (char *p = parent; dir >= 0 && *p;) {
        while (*p == '/')
            p++;
        char *end = strchrnul(p, '/');
        if (end == p)
            break;
        char *comp = talloc_strndup(b->mem, p, (size_t)(end - p));
        char *prefix = talloc_strndup(b->mem, parent, (size_t)(end - parent));
        int next = open_in_root(b, prefix, O_PATH | O_DIRECTORY);
        if (next < 0 && errno == ENOENT) {
            if (mkdirat(dir, comp, parent_mode) < 0 && errno != EEXIST) {
                next = -1;
            } else {
                next = open_in_root(b, prefix, O_PATH | O_DIRECTORY);
                if (next >= 0 && b->exposing)
                    next = hold_exposed(b, next, prefix);
            }
        }
        int saved = errno;
        close(dir);
        errno = saved;
        dir = next;
        p = end;
    }
    return dir;
}

static int ensure_dir(struct builder *b, const struct step *s, mode_t mode)
{
    /* Mostly there already (a root bound from the host has /proc, /dev) */
    int fd = open_in_root(b, s->dest, O_PATH | O_DIRECTORY);
    if (fd >= 0)
        return fd;
    char *name;
    int parent = open_parent(b, s->dest, parent_mode_for(s), &name);
    if (parent < 0)
        die_errno_in(s->option, "Can't mkdir parents for %s", s->dest);
    if (name && mkdirat(parent, name, mode) < 0 && errno != EEXIST)
        die_errno_in(s->option, "Can't mkdir %s", s->dest);
    close(parent);
    fd = open_in_root(b, s->dest, O_PATH | O_DIRECTORY);
    if (fd < 0)
        die_errno_in(s->option, "Can't mkdir %s", s->dest);
    return fd;
}

/* A non-directory to mount a file on: any existing one will do. */
static int ensure_file(struct builder *b, const struct step *s, mode_t mode)
{
    int fd = open_in_root(b, s->dest, O_PATH);
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
            return fd;
        close(fd);
        errno = EISDIR;
        die_errno_in(s->option, "Can't create file at %s", s->dest);
    }
    char *name;
    int parent = open_parent(b, s->dest, parent_mode_for(s), &name);
    if (parent < 0)
        die_errno_in(s->option, "Can't mkdir parents for %s", s->dest);
    int w = name ? openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode) : -1;
    if (w < 0)
        die_errno_in(s->option, "Can't create file at %s", s->dest);
    close(w);
    close(parent);
    fd = open_in_root(b, s->dest, O_PATH);
    if (fd < 0)
        die_errno_in(s->option, "Can't create file at %s", s->dest);
    return fd;
}

/* The new root may have been covered (--bind / /): always work on the
 * topmost mount, as the sandbox will see it. */
static void refresh_root(struct builder *b)
{
    int fd = openat(b->base_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        die_errno("can't open the new root");
    if (b->root_fd >= 0)
        close(b->root_fd);
    b->root_fd = fd;
}

/* FAILURE: bwrap's message for the mount, "Can't mount tmpfs on". */
static void attach(struct builder *b, const struct step *s, int tree, int dest_fd, const char *failure)
{
    if (sys_move_mount(tree, "", dest_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        die_errno_in(s->option, "%s %s", failure, newroot_path(b, s->dest));
    close(tree);
    close(dest_fd);
    refresh_root(b);
}

/* ---- source trees, taken before anything is mounted ---- */

/* --rw/--ro: resolved once, following no symlink (see h_expose), and
 * exactly that directory copied: a symlink swapped in since parsing is an
 * error, never followed. */
static int copy_exposed(const struct step *s)
{
    int fd = open_no_symlinks(s->src);
    if (fd < 0)
        die_errno("%s: can't open %s without following a symlink", s->option, s->src);
    int tree = copy_tree(fd, "");
    int saved = errno;
    close(fd);
    errno = saved;
    return tree;
}

/* A bind source with its flags.  Only --not-a-security-boundary lets a
 * tree whose flags cannot be set through, with a warning (bwrap 0.12). */
static int clone_bind_source(struct builder *b, const struct step *s, const char *path)
{
    /* "" names no file (an unset variable, most likely), not the current
     * directory, which copy_tree would take */
    if (*path == '\0') {
        errno = ENOENT;
        return -1;
    }
    int tree = (s->flags & STEP_EXPOSE) ? copy_exposed(s) : copy_tree(AT_FDCWD, path);
    if (tree < 0)
        return -1;
    if (set_tree_attrs(tree, bind_attrs(s->flags)) < 0) {
        if (!b->plan->not_a_security_boundary)
            die_errno_in(s->option, "Unable to apply mount flags: remount \"%s\"", path);
        warn("%s: can't set mount flags on %s: %s; continuing without them (--not-a-security-boundary)", s->option,
             path, strerror(errno));
    }
    return tree;
}

/* --bind-fd: the fd belongs to the caller's mount namespace, which
 * open_tree refuses to copy from, so copy its path in ours and check that
 * it is still the same object (bwrap's guard against a swap). */
static int clone_fd_tree(struct builder *b, const struct step *s)
{
    char link[64], *path = talloc_size(b->mem, PATH_MAX);
    snprintf(link, sizeof link, "/proc/self/fd/%d", s->fd);
    ssize_t n = readlink(link, path, PATH_MAX - 1);
    if (n < 0)
        die_errno_in(s->option, "Can't stat fd %d", s->fd);
    path[n] = '\0';
    int tree = clone_bind_source(b, s, path);
    if (tree < 0)
        die_errno_in(s->option, "Can't find source path %s", path);
    struct stat want, got;
    if (fstat(s->fd, &want) < 0 || fstat(tree, &got) < 0)
        die_errno_in(s->option, "Can't stat fd %d", s->fd);
    if (want.st_dev != got.st_dev || want.st_ino != got.st_ino)
        die_in(s->option, "Race condition binding dirfd: %s changed while it was being mounted", path);
    close(s->fd);
    return tree;
}

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

/* An overlay directory, held open so that covering /tmp (or a swap of
 * the path) cannot change which directory the overlay gets. */
static const char *hold_dir(struct builder *b, const struct step *s, const char *path)
{
    int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        die_errno_in(s->option, "Can't get type of source %s", path);
    return talloc_asprintf(b->mem, "/proc/self/fd/%d", fd);
}

static void hold_overlay_dirs(struct builder *b, const struct step *s, struct source *src)
{
    /* bwrap lists the bottom layer first; overlayfs wants the top first. */
    char *lower = talloc_strdup(b->mem, "");
    for (size_t i = s->n_layers; i-- > 0;)
        lower = talloc_asprintf_append(lower, "%s%s", hold_dir(b, s, s->layers[i]), i ? ":" : "");
    src->lower = lower;
    if (s->src != NULL) {
        src->upper = hold_dir(b, s, s->src);
        src->work = hold_dir(b, s, s->work);
    }
    if (s->flags & STEP_STAGE) {
        src->upper = hold_dir(b, s, b->opts->stage_upper);
        src->work = hold_dir(b, s, b->opts->stage_work);
    }
}

/* Everything a step reads from the host is taken first, while the host is
 * untouched: the scratch tmpfs then covers /tmp, and a bind of "/" must
 * not copy what this file mounts for the new root.  The host does not
 * change during set-up, so this sees what copying step by step would. */
static void take_sources(struct builder *b)
{
    const struct plan *p = b->plan;
    b->sources = talloc_array(b->mem, struct source, p->n_steps);
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct step *s = &p->steps[i];
        struct source *src = &b->sources[i];
        *src = (struct source){.tree = -1};
        if (s->kind == STEP_BIND && s->fd >= 0) {
            src->tree = clone_fd_tree(b, s);
        } else if (s->kind == STEP_BIND) {
            src->tree = clone_bind_source(b, s, s->src);
            if (src->tree < 0 && errno == ENOSYS)
                die_in(s->option, "This kernel lacks open_tree/mount_setattr (Linux 5.12 or newer is needed)");
            if (src->tree < 0 && !(errno == ENOENT && (s->flags & STEP_TRY)))
                die_errno_in(s->option, "Can't find source path %s", s->src);
        } else if (s->kind == STEP_PROC && !b->opts->own_pidns) {
            src->tree = clone_tree(AT_FDCWD, "/proc", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
            if (src->tree < 0)
                die_errno_in(s->option, "Can't bind mount oldroot/proc on %s", newroot_path(b, s->dest));
        } else if (s->kind == STEP_OVERLAY) {
            hold_overlay_dirs(b, s, src);
        }
    }
}

/* ---- the steps ---- */

static void step_bind(struct builder *b, const struct step *s, int tree)
{
    struct stat st;
    if (fstat(tree, &st) < 0)
        die_errno_in(s->option, "Can't get type of source %s", s->src);
    b->exposing = s->flags & STEP_EXPOSE;
    int dest = S_ISDIR(st.st_mode) ? ensure_dir(b, s, 0755) : ensure_file(b, s, 0444);
    b->exposing = false;
    attach(b, s, tree, dest, talloc_asprintf(b->mem, "Can't bind mount /oldroot%s on", s->src ? s->src : ""));
}

static void step_remount_ro(struct builder *b, const struct step *s)
{
    int fd = open_in_root(b, s->dest, O_PATH);
    /* bwrap resolves the destination first and says so */
    if (fd < 0)
        die_errno_in(s->option, "Can't remount readonly on %s: realpath(destination)", newroot_path(b, s->dest));
    if (sys_mount_setattr(fd, "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV) < 0)
        die_errno_in(s->option, "Can't remount readonly on %s", newroot_path(b, s->dest));
    close(fd);
}

/* Parts of /proc that change the host when written; bwrap covers them
 * read-only, and so do we. */
static void cover_proc(const struct step *s, int proc)
{
    static const char *const dirs[] = {"sys", "sysrq-trigger", "irq", "bus"};
    for (size_t i = 0; i < N_ELEMENTS(dirs); i++) {
        if (faccessat(proc, dirs[i], W_OK, 0) < 0) {
            if (errno == EACCES || errno == ENOENT || errno == EROFS)
                continue;
            die_errno_in(s->option, "Can't access %s/%s", s->dest, dirs[i]);
        }
        int tree = clone_tree(proc, dirs[i], MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        int at = openat(proc, dirs[i], O_PATH | O_CLOEXEC | O_NOFOLLOW);
        if (tree < 0 || at < 0 || sys_move_mount(tree, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
            die_errno_in(s->option, "Can't bind mount %s/%s on %s/%s", s->dest, dirs[i], s->dest, dirs[i]);
        close(tree);
        close(at);
    }
}

static void step_proc(struct builder *b, const struct step *s, int tree)
{
    int dest = ensure_dir(b, s, 0755);
    if (tree < 0)
        tree = new_fs("proc", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, NULL, NULL);
    if (tree < 0)
        die_errno_in(s->option, "Can't mount proc on %s", newroot_path(b, s->dest));
    attach(b, s, tree, dest, "Can't mount proc on");
    int proc = open_in_root(b, s->dest, O_PATH | O_DIRECTORY);
    if (proc < 0)
        die_errno_in(s->option, "Can't mount proc on %s", newroot_path(b, s->dest));
    cover_proc(s, proc);
    close(proc);
}

/* DEV is the fresh tmpfs of this step, which nothing else can reach yet:
 * its names need no O_PATH guard. */
static void bind_node(const struct step *s, int dev, const char *name, const char *host_path)
{
    if (mknodat(dev, name, S_IFREG | 0444, 0) < 0)
        die_errno_in(s->option, "Can't create file %s/%s", s->dest, name);
    int tree = clone_tree(AT_FDCWD, host_path, MOUNT_ATTR_NOSUID);
    if (tree < 0 || sys_move_mount(tree, "", dev, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        die_errno_in(s->option, "Can't bind mount %s on %s/%s", host_path, s->dest, name);
    close(tree);
}

static void make_symlink(const struct step *s, int dir, const char *target, const char *name)
{
    if (symlinkat(target, dir, name) < 0)
        die_errno_in(s->option, "Can't create symlink %s/%s", s->dest, name);
}

/* A minimal /dev: the harmless nodes bound from the host, stdio links, a
 * private devpts instance, and /dev/console when stdout is a terminal
 * (it grants nothing more than stdout already does, and makes ttyname()
 * work inside). */
static void step_dev(struct builder *b, const struct step *s)
{
    int tmp = new_tmpfs(0755, 0, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, b->opts->file_label);
    if (tmp < 0)
        die_errno_in(s->option, "Can't mount tmpfs on %s", newroot_path(b, s->dest));
    attach(b, s, tmp, ensure_dir(b, s, 0755), "Can't mount tmpfs on");
    int dev = open_in_root(b, s->dest, O_PATH | O_DIRECTORY);
    if (dev < 0)
        die_errno_in(s->option, "Can't mount tmpfs on %s", newroot_path(b, s->dest));
    for (size_t i = 0; i < N_ELEMENTS(dev_nodes); i++)
        bind_node(s, dev, dev_nodes[i], talloc_asprintf(b->mem, "/dev/%s", dev_nodes[i]));
    static const char *const stdio[] = {"stdin", "stdout", "stderr"};
    for (int i = 0; i < 3; i++)
        make_symlink(s, dev, talloc_asprintf(b->mem, "/proc/self/fd/%d", i), stdio[i]);
    make_symlink(s, dev, "/proc/self/fd", "fd");
    make_symlink(s, dev, "/proc/kcore", "core");
    if (mkdirat(dev, "shm", 0755) < 0)
        die_errno_in(s->option, "Can't create %s/shm", s->dest);
    if (mkdirat(dev, "pts", 0755) < 0)
        die_errno_in(s->option, "Can't create %s/devpts", s->dest);
    static const char *const pts_opts[] = {"newinstance", NULL, "ptmxmode", "0666", "mode", "620", NULL};
    int pts = new_fs("devpts", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, pts_opts, b->opts->file_label);
    if (pts < 0 || sys_move_mount(pts, "", dev, "pts", MOVE_MOUNT_F_EMPTY_PATH) < 0)
        die_errno_in(s->option, "Can't mount devpts on %s/pts", newroot_path(b, s->dest));
    close(pts);
    make_symlink(s, dev, "pts/ptmx", "ptmx");
    char *tty = !b->opts->no_console && isatty(STDOUT_FILENO) ? ttyname(STDOUT_FILENO) : NULL;
    if (tty != NULL)
        bind_node(s, dev, "console", tty);
    close(dev);
}

static void step_tmpfs(struct builder *b, const struct step *s)
{
    int dest = ensure_dir(b, s, 0755);
    mode_t perms = step_perms(s);
    int tree = new_tmpfs(perms, s->size, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, b->opts->file_label);
    if (tree < 0)
        die_errno_in(s->option, "Can't mount tmpfs on %s", newroot_path(b, s->dest));
    attach(b, s, tree, dest, "Can't mount tmpfs on");
}

static void step_mqueue(struct builder *b, const struct step *s)
{
    int dest = ensure_dir(b, s, 0755);
    int tree = new_fs("mqueue", 0, NULL, NULL);
    if (tree < 0)
        die_errno_in(s->option, "Can't mount mqueue on %s", newroot_path(b, s->dest));
    attach(b, s, tree, dest, "Can't mount mqueue on");
}

static void copy_fd(const struct step *s, int from, int to)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(from, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die_errno_in(s->option, "Can't write data to file %s", s->dest);
        if (n == 0)
            break;
        if (write_all(to, buf, (size_t)n) < 0)
            die_errno_in(s->option, "Can't write data to file %s", s->dest);
    }
    close(from);
}

static void step_file(struct builder *b, const struct step *s)
{
    mode_t perms = step_perms(s);
    char *name;
    int parent = open_parent(b, s->dest, parent_mode_for(s), &name);
    if (parent < 0)
        die_errno_in(s->option, "Can't mkdir parents for %s", s->dest);
    close(parent);
    int fd = sys_openat2(b->root_fd, s->dest, O_WRONLY | O_CREAT | O_TRUNC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
                         (mode_t)perms);
    if (fd < 0)
        die_errno_in(s->option, "Can't create file %s", s->dest);
    copy_fd(s, s->fd, fd);
    close(fd);
}

/* The data lives in the private scratch tmpfs; only the bind reaches the
 * sandbox, and the name is gone before the command starts. */
static void step_bind_data(struct builder *b, const struct step *s)
{
    mode_t perms = step_perms(s);
    char *name = talloc_asprintf(b->mem, "data-%u", b->seq++);
    int fd = openat(b->base_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, (mode_t)perms);
    if (fd < 0)
        die_errno_in(s->option, "Can't create tmpfile for %s", s->dest);
    copy_fd(s, s->fd, fd);
    close(fd);
    int tree = clone_tree(b->base_fd, name, bind_attrs(s->flags));
    if (tree < 0)
        die_errno_in(s->option, "Can't bind mount %s on %s", name, newroot_path(b, s->dest));
    /* Unlinked only once attached: the kernel will not mount a tree
     * whose root has no name. */
    attach(b, s, tree, ensure_file(b, s, 0444), talloc_asprintf(b->mem, "Can't bind mount %s on", name));
    unlinkat(b->base_fd, name, 0);
}

static void step_symlink(struct builder *b, const struct step *s)
{
    char *name;
    int parent = open_parent(b, s->dest, parent_mode_for(s), &name);
    if (parent < 0)
        die_errno_in(s->option, "Can't mkdir parents for %s", s->dest);
    if (name == NULL || symlinkat(s->src, parent, name) == 0) {
        close(parent);
        if (name == NULL)
            die_in(s->option, "Can't make symlink at %s: File exists", s->dest);
        return;
    }
    if (errno != EEXIST)
        die_errno_in(s->option, "Can't make symlink at %s", s->dest);
    /* bwrap 0.11: an identical existing symlink is success. */
    char target[PATH_MAX];
    ssize_t n = readlinkat(parent, name, target, sizeof target - 1);
    if (n < 0 && errno == EINVAL)
        die_in(s->option, "Can't make symlink at %s: destination exists and is not a symlink", s->dest);
    if (n < 0)
        die_errno_in(s->option, "Can't make symlink at %s: destination exists, and cannot read symlink target",
                     s->dest);
    target[n] = '\0';
    if (strcmp(target, s->src) != 0)
        die_in(s->option, "Can't make symlink at %s: existing destination is %s", s->dest, target);
    close(parent);
}

static void step_dir(struct builder *b, const struct step *s)
{
    close(ensure_dir(b, s, step_perms(s)));
}

static void step_chmod(struct builder *b, const struct step *s)
{
    int fd = open_in_root(b, s->dest, O_PATH);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    /* fchmod refuses O_PATH fds; the magic link names exactly this inode. */
    if (fd < 0 || chmod(proc, (mode_t)s->perms) < 0)
        die_errno_in(s->option, "Can't chmod %#o %s", (unsigned)s->perms, s->dest);
    close(fd);
}

static void step_overlay(struct builder *b, const struct step *s, const struct source *src)
{
    b->exposing = s->flags & STEP_EXPOSE;
    int dest = ensure_dir(b, s, 0755);
    b->exposing = false;
    const char *upper = src->upper, *work = src->work;
    if (s->flags & STEP_TMP) {
        char *dir = talloc_asprintf(b->mem, "overlay-%u", b->seq++);
        int d = -1;
        if (mkdirat(b->base_fd, dir, 0755) < 0 || (d = openat(b->base_fd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
            mkdirat(d, "upper", 0755) < 0 || mkdirat(d, "work", 0755) < 0)
            die_errno_in(s->option, "Can't create the private upper layer for %s", s->dest);
        upper = talloc_asprintf(b->mem, "/proc/self/fd/%d/upper", d);
        work = talloc_asprintf(b->mem, "/proc/self/fd/%d/work", d);
    }
    const char *opts[12];
    size_t n = 0;
    opts[n++] = "lowerdir", opts[n++] = src->lower;
    if (upper != NULL) {
        opts[n++] = "upperdir", opts[n++] = upper;
        opts[n++] = "workdir", opts[n++] = work;
    }
    /* Always user.* xattrs, as bwrap 0.11: trusted.* are out of reach in
     * a user namespace, and one upper dir must read the same either way. */
    opts[n++] = "userxattr", opts[n++] = NULL;
    opts[n] = NULL;
    uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | ((s->flags & STEP_RO) ? MOUNT_ATTR_RDONLY : 0);
    int tree = new_fs("overlay", attrs, opts, NULL);
    if (tree < 0 && errno == ELOOP)
        die_in(s->option, "Can't make overlay mount on %s: Overlay directories may not overlap",
               newroot_path(b, s->dest));
    if (tree < 0)
        die_errno_in(s->option, "Can't make overlay mount on %s", newroot_path(b, s->dest));
    attach(b, s, tree, dest, "Can't make overlay mount on");
}

static void apply_step(struct builder *b, const struct step *s, const struct source *src)
{
    int tree = src->tree;
    switch (s->kind) {
    case STEP_BIND:
        if (tree >= 0)
            step_bind(b, s, tree);
        break;
    case STEP_REMOUNT_RO: step_remount_ro(b, s); break;
    case STEP_PROC: step_proc(b, s, tree); break;
    case STEP_DEV: step_dev(b, s); break;
    case STEP_TMPFS: step_tmpfs(b, s); break;
    case STEP_MQUEUE: step_mqueue(b, s); break;
    case STEP_DIR: step_dir(b, s); break;
    case STEP_FILE: step_file(b, s); break;
    case STEP_BIND_DATA: step_bind_data(b, s); break;
    case STEP_SYMLINK: step_symlink(b, s); break;
    case STEP_CHMOD: step_chmod(b, s); break;
    case STEP_OVERLAY: step_overlay(b, s, src); break;
    }
}

/* The scratch tmpfs covers /tmp (in this namespace only, as bwrap's does)
 * and holds the new root; the host stays reachable everywhere else. */
static void make_roots(struct builder *b)
{
    b->base_fd = new_tmpfs(0700, 0, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, NULL);
    if (b->base_fd < 0 && errno == ENOSYS)
        die("This kernel lacks the new mount API (Linux 5.12 or newer is needed)");
    if (b->base_fd < 0 || sys_move_mount(b->base_fd, "", AT_FDCWD, "/tmp", MOVE_MOUNT_F_EMPTY_PATH) < 0)
        die_errno("Failed to mount tmpfs on /tmp");
    int root = new_tmpfs(0755, 0, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, b->opts->file_label);
    if (root < 0 || mkdirat(b->base_fd, "root", 0755) < 0 ||
        sys_move_mount(root, "", b->base_fd, "root", MOVE_MOUNT_F_EMPTY_PATH) < 0)
        die_errno("Creating newroot failed");
    close(root);
    refresh_root(b);
}

static void enter_root(struct builder *b)
{
    refresh_root(b);
    for (size_t i = 0; i < b->n_holders; i++) {
        if (sys_mount_setattr(b->holders[i], "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY) < 0)
            die_errno("can't make the directories holding --rw/--ro paths read-only");
        close(b->holders[i]);
    }
    if (b->plan->root_readonly && sys_mount_setattr(b->root_fd, "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY) < 0)
        die_errno("can't make the sandbox root read-only");
    if (fchdir(b->root_fd) < 0)
        die_errno("can't enter the new root");
    /* pivot_root(".", ".") stacks the old root on the new one; detaching
     * it takes the host and the scratch tmpfs out of reach. */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        die_errno("pivot_root");
    if (umount2(".", MNT_DETACH) < 0)
        die_errno("unmount old root");
    if (chdir("/") < 0)
        die_errno("chdir /");
    close(b->root_fd);
    close(b->base_fd);
}

void build_root(const struct plan *plan, const struct root_opts *opts)
{
    struct builder b = {.plan = plan, .opts = opts, .mem = talloc_new(NULL), .root_fd = -1};
    /* Receive the host's mount events, never send ours back. */
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        die_errno("Failed to make / slave");
    take_sources(&b);
    make_roots(&b);
    for (size_t i = 0; i < plan->n_steps; i++)
        apply_step(&b, &plan->steps[i], &b.sources[i]);
    enter_root(&b);
    talloc_free(b.mem);
}
