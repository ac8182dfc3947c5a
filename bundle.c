/* The OCI bundle on disk: writing what oci.c described (never following
 * a symlink, never reusing a file found), the private tmpfs a --runtime
 * run keeps it in, and removing an emitted one by fds. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <talloc.h>
#include <unistd.h>

#include "bundle.h"
#include "util.h"

/* The directories last opened for bundle files: they come grouped by
 * directory (rootfs/bin, rootfs/lib, ...; rootfs/etc, rootfs/etc/passwd,
 * ...), so most need no new walk.  A few, oldest replaced first. */
struct parent_dirs {
    const char *path[4]; /* relative to the bundle; NULL: free */
    int fd[4];
    unsigned next;
};

/* The directory holding bundle path PATH (made of plain components this
 * file chose), opened without following symlinks; *NAME is its last
 * component.  The fd is DIR_FD or one of DIRS': not the caller's to
 * close. */
static int open_parent(void *mem, int dir_fd, const char *path, const char **name, struct parent_dirs *dirs)
{
    const char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    if (slash == NULL)
        return dir_fd;
    char *parent = talloc_strndup(mem, path, (size_t)(slash - path));
    for (size_t i = 0; i < N_ELEMENTS(dirs->path); i++)
        if (dirs->path[i] && strcmp(dirs->path[i], parent) == 0)
            return dirs->fd[i];
    char *copy = talloc_strdup(mem, parent), *save = NULL;
    int fd = dir_fd;
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        int next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int saved = errno;
        if (fd != dir_fd)
            close(fd);
        errno = saved;
        if (next < 0)
            return -1;
        fd = next;
    }
    unsigned slot = dirs->next++ % N_ELEMENTS(dirs->path);
    if (dirs->path[slot])
        close(dirs->fd[slot]);
    dirs->path[slot] = parent;
    dirs->fd[slot] = fd;
    return fd;
}

/* chmod NAME in PARENT, a file or directory this bundle made, through an
 * fd: fchmodat follows a symlink put in its place (another sandbox may
 * write in an --emit-oci directory), and a hard link to a file of the
 * caller's would change that file. */
static int chmod_made(int parent, const char *name, mode_t mode)
{
    int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -1;
    int r = fstat(fd, &st);
    if (r == 0 && (S_ISLNK(st.st_mode) || (!S_ISDIR(st.st_mode) && st.st_nlink != 1))) {
        errno = ELOOP;
        r = -1;
    }
    if (r == 0) {
        char proc[32];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        r = chmod(proc, mode);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return r;
}

/* A new file NAME in PARENT: never one found there (O_EXCL), which could
 * be a hard link to a file of the caller's; a later step's file of the
 * same name replaces the earlier one, as natively. */
static int create_file(int parent, const char *name, mode_t mode)
{
    int fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0 && errno == EEXIST && unlinkat(parent, name, 0) == 0)
        fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    return fd;
}

static void write_file(void *mem, int dir_fd, const struct bundle_file *f, struct parent_dirs *dirs)
{
    const char *name;
    int parent = open_parent(mem, dir_fd, f->path, &name, dirs);
    if (parent < 0)
        die_errno("%s: can't open the directory of %s", f->option, f->path);
    struct stat st;
    switch (f->kind) {
    case FILE_DIR:
        if (mkdirat(parent, name, f->mode) < 0 &&
            !(errno == EEXIST && fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)))
            die_errno("%s: can't create %s", f->option, f->path);
        break;
    case FILE_DATA: {
        /* created with its mode: write_bundle's umask is 0 */
        int fd = create_file(parent, name, f->mode);
        if (fd < 0 || write_all(fd, f->data, f->len) < 0)
            die_errno("%s: can't write %s", f->option, f->path);
        close(fd);
        break;
    }
    case FILE_SYMLINK:
        if (symlinkat(f->target, parent, name) < 0)
            die_errno("%s: can't create the symlink %s", f->option, f->path);
        break;
    case FILE_CHMOD:
        if (chmod_made(parent, name, f->mode) < 0)
            die_errno("%s: can't chmod %s", f->option, f->path);
        break;
    }
}

static void write_config(struct oci *o, int dir_fd, const char *dir)
{
    /* indented for people to read; a run's is for the runtime alone */
    char *json = json_dumps(o->config, o->plan->emit_oci ? JSON_INDENT(2) : JSON_COMPACT);
    if (json == NULL)
        die("%s/config.json: out of memory", dir);
    /* copied with memcpy (talloc_*_append_buffer), not printf's %s */
    char *out = talloc_strdup(o->mem, "");
    const char *at = json;
    for (const char *mark; (mark = strstr(at, UNLIMITED_JSON)); at = mark + strlen(UNLIMITED_JSON)) {
        out = talloc_strndup_append_buffer(out, at, (size_t)(mark - at));
        out = talloc_asprintf_append_buffer(out, "%llu", (unsigned long long)RLIM_INFINITY);
    }
    out = talloc_strdup_append_buffer(talloc_strdup_append_buffer(out, at), "\n");
    free(json);
    int fd = openat(dir_fd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write_all(fd, out, strlen(out)) < 0 || close(fd) < 0)
        die_errno("%s/config.json", dir);
}

static void write_bundle(struct oci *o, int dir_fd, const char *dir)
{
    mode_t old = umask(0);
    if (mkdirat(dir_fd, "rootfs", 0755) < 0 || (o->n_bundle_files && mkdirat(dir_fd, "files", 0700) < 0))
        die_errno("%s: can't create rootfs/ and files/", dir);
    struct parent_dirs dirs = {.next = 0};
    for (size_t i = 0; i < o->n_files; i++)
        write_file(o->mem, dir_fd, &o->files[i], &dirs);
    for (size_t i = 0; i < N_ELEMENTS(dirs.path); i++)
        if (dirs.path[i])
            close(dirs.fd[i]);
    umask(old);
    write_config(o, dir_fd, dir);
}

/* ---- cleaning up ---- */

/* The directory entries are read with getdents64 into a buffer on the
 * stack, not with opendir: its 32 KiB buffer comes from malloc, and this
 * runs after the runtime is forked, where each heap page written is first
 * made private again, a page fault each (and a large malloc first
 * consolidates the free lists, writing to chunks all over the heap). */
#define DIRENT_BUF 2048

static bool is_dot_or_dotdot(const char *name)
{
    return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* Open NAME in DIR_FD, a directory, to empty it: made the owner's (rwx)
 * first, through an fd so that a symlink put in its place is never
 * followed.  A runtime leaves some unreadable (overlayfs's work/work is
 * mode 0), and the sandbox may have left some unwritable. */
static int open_to_empty(int dir_fd, const char *name)
{
    int path_fd = openat(dir_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (path_fd < 0)
        return -1;
    char proc[32];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", path_fd);
    (void)chmod(proc, 0700);
    int fd = openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int saved = errno;
    close(path_fd);
    errno = saved;
    return fd;
}

/* Unlink every entry of the directory open at FD that is not a directory;
 * the first one that is goes to NAME (room for NAME_MAX + 1).  1 when one
 * is left, 0 when the directory is empty, -1 on an error (said). */
static int next_subdir(int fd, char *name)
{
    _Alignas(struct dirent64) char buf[DIRENT_BUF];
    if (lseek(fd, 0, SEEK_SET) < 0)
        return -1;
    ssize_t n;
    while ((n = getdents64(fd, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            const struct dirent64 *e = (const struct dirent64 *)(buf + off);
            off += e->d_reclen;
            if (is_dot_or_dotdot(e->d_name))
                continue;
            if (e->d_type != DT_DIR && (unlinkat(fd, e->d_name, 0) == 0 || errno == ENOENT))
                continue;
            if (e->d_type != DT_DIR && errno != EISDIR) {
                warn("can't remove %s: %s", e->d_name, strerror(errno));
                return -1;
            }
            snprintf(name, NAME_MAX + 1, "%s", e->d_name);
            return 1;
        }
    }
    if (n < 0)
        warn("can't read a directory to remove: %s", strerror(errno));
    return n < 0 ? -1 : 0;
}

/* Whether the directory open at FD is on the mount of TOP's: clean-up
 * never crosses into another filesystem (a bind the sandbox left). */
static bool on_mount_of(int top, int fd)
{
    struct statx a, b;
    if (statx(top, "", AT_EMPTY_PATH, STATX_MNT_ID, &a) < 0 || statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &b) < 0)
        return false;
    if ((a.stx_mask & b.stx_mask & STATX_MNT_ID) && a.stx_mnt_id != b.stx_mnt_id)
        return false;
    return a.stx_dev_major == b.stx_dev_major && a.stx_dev_minor == b.stx_dev_minor;
}

/* How many directories remove_entries holds open, the top included. */
#define REMOVE_DEPTH 32

/* Remove everything below the directory open at TOP, without following
 * symlinks or crossing mounts.  Only ever down, by fds opened from TOP:
 * never by "..", which a process that moved a directory being emptied
 * would steer out of the tree.  Not recursive, and with at most
 * REMOVE_DEPTH directories open: the sandbox decides how deep the tree
 * goes, so a directory found deeper is moved up under TOP and emptied
 * from there.  Each step removes, moves or enters an entry; the first
 * failure stops it with one warning, so nothing loops. */
static void remove_entries(int top)
{
    int fds[REMOVE_DEPTH];
    char names[REMOVE_DEPTH][NAME_MAX + 1]; /* names[i]: fds[i + 1] in fds[i] */
    char name[NAME_MAX + 1];
    size_t depth = 0;
    unsigned moved = 0;
    if ((fds[0] = fcntl(top, F_DUPFD_CLOEXEC, 3)) < 0)
        return;
    for (int next; (next = next_subdir(fds[depth], name)) >= 0;) {
        if (next > 0 && depth + 1 == REMOVE_DEPTH) {
            char up[32];
            int r;
            do
                snprintf(up, sizeof up, ".deep-%u", moved++);
            while ((r = renameat2(fds[depth], name, fds[0], up, RENAME_NOREPLACE)) < 0 && errno == EEXIST);
            if (r < 0) {
                warn("can't remove %s: %s", name, strerror(errno));
                break;
            }
        } else if (next > 0) {
            int sub = open_to_empty(fds[depth], name);
            if (sub < 0 || !on_mount_of(fds[0], sub)) {
                warn("can't remove %s: %s", name, sub < 0 ? strerror(errno) : "a mount point");
                if (sub >= 0)
                    close(sub);
                break;
            }
            memcpy(names[depth], name, sizeof name);
            fds[++depth] = sub;
        } else if (depth > 0) {
            close(fds[depth--]);
            if (unlinkat(fds[depth], names[depth], AT_REMOVEDIR) < 0 && errno != ENOENT) {
                warn("can't remove %s: %s", names[depth], strerror(errno));
                break;
            }
        } else {
            break;
        }
    }
    for (size_t i = 0; i <= depth; i++)
        close(fds[i]);
}

struct made_dir made = {.dir_fd = -1};

void remove_made(void)
{
    if (made.dir_fd < 0)
        return;
    remove_entries(made.dir_fd);
    if (made.dir_made && rmdir(made.dir) < 0)
        warn("can't remove %s: %s", made.dir, strerror(errno));
    close(made.dir_fd);
    made.dir_fd = -1;
}

/* ---- --emit-oci ---- */

/* --emit-oci DIR as an absolute path, which need not exist yet. */
const char *emit_dir(void *mem, const char *arg)
{
    char *abs = realpath(arg, NULL);
    if (abs) {
        const char *dir = talloc_strdup(mem, abs);
        free(abs);
        return dir;
    }
    if (errno != ENOENT)
        die_errno("--emit-oci %s", arg);
    char *copy = talloc_strdup(mem, arg);
    char *slash = strrchr(copy, '/');
    const char *base = slash ? slash + 1 : copy;
    if (slash)
        *slash = '\0';
    char *parent = realpath(slash ? (*copy ? copy : "/") : ".", NULL);
    if (parent == NULL)
        die_errno("--emit-oci %s", arg);
    const char *dir = path_join(mem, parent, base);
    free(parent);
    return dir;
}

bool dir_is_empty(int dir_fd, const char *name)
{
    int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return true;
    /* not opendir: see remove_entries */
    _Alignas(struct dirent64) char buf[DIRENT_BUF];
    bool empty = true;
    ssize_t n;
    while (empty && (n = getdents64(fd, buf, sizeof buf)) > 0)
        for (ssize_t off = 0; off < n;) {
            const struct dirent64 *e = (const struct dirent64 *)(buf + off);
            off += e->d_reclen;
            empty &= is_dot_or_dotdot(e->d_name);
        }
    close(fd);
    return empty;
}

/* --emit-oci DIR, made if need be: an fd of it, which must be empty. */
static int open_empty_dir(const char *dir, bool *created)
{
    *created = mkdir(dir, 0700) == 0;
    if (!*created && errno != EEXIST)
        die_errno("--emit-oci %s", dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        die_errno("--emit-oci %s", dir);
    if (!dir_is_empty(fd, "."))
        die("--emit-oci %s: the directory is not empty; give a new or empty one", dir);
    return fd;
}
/* The places inside where a bind of the plan shows host directory DIR,
 * as the top mount there.  With SOURCE, bind SOURCE at each of them, with
 * the options of the bind showing DIR, right after it: what the sandbox
 * sees there is then SOURCE, whatever bwrapper mounted on DIR in its own
 * namespace.  Overlays never show what is mounted below a layer. */
static unsigned show_again(struct oci *o, const char *dir, const char *source)
{
    unsigned shown = 0;
    for (size_t i = 0; i < o->n_recs; i++) {
        const struct mount_rec *r = &o->recs[i];
        if (r->n_host == 0 || strcmp(json_string_value(json_object_get(r->mount, "type")), "bind") != 0 ||
            !at_or_below(dir, r->host[0]))
            continue;
        const char *inside = path_join(o->mem, r->dest, dir + (strcmp(r->host[0], "/") == 0 ? 0 : strlen(r->host[0])));
        if (covering(o, inside) != r)
            continue;
        shown++;
        if (source == NULL)
            continue;
        json_array_insert_new(o->mounts, index_after(o, r->mount),
                              json_pack("{s:o,s:s,s:o,s:o}", "destination", text("--runtime", inside), "type", "bind",
                                        "source", text("--runtime", source), "options",
                                        json_deep_copy(json_object_get(r->mount, "options"))));
    }
    return shown;
}

/* Whether a mount of the plan takes a host path at or below DIR: the
 * runtime must find it there, not under the bundle's tmpfs. */
static bool plan_uses(struct oci *o, const char *dir)
{
    for (size_t i = 0; i < o->n_recs; i++) {
        json_t *m = o->recs[i].mount;
        const char *src = json_string_value(json_object_get(m, "source"));
        if (strcmp(json_string_value(json_object_get(m, "type")), "bind") == 0 && *src == '/' &&
            at_or_below(src, dir))
            return true;
        for (size_t k = 0; k < o->recs[i].n_host; k++)
            if (at_or_below(o->recs[i].host[k], dir))
                return true;
        size_t n;
        json_t *v;
        json_array_foreach(json_object_get(m, "options"), n, v) {
            const char *eq = strchr(json_string_value(v), '=');
            if (strncmp(json_string_value(v), "workdir=", 8) == 0 && at_or_below(eq + 1, dir))
                return true;
        }
    }
    return false;
}

/* Whether the sandbox can write all its user can: its root a writable
 * bind of the host's /, no host files shown read-only. */
static bool sandbox_writes_as_caller(const struct oci *o)
{
    if (o->root_mount == NULL || strcmp(json_string_value(json_object_get(o->root_mount, "source")), "/") != 0 ||
        !has_option(o->root_mount, "rw"))
        return false;
    for (size_t i = 0; i < o->n_recs; i++)
        if (o->recs[i].cover == COVER_HOST && has_option(o->recs[i].mount, "ro"))
            return false;
    return true;
}

/* Whether no one but root can rename DIR (a real path) or a directory
 * above it: each one above is root's and writable by root alone.  A tmpfs
 * mounted there stays there; one mounted on a directory of the caller's
 * could be moved away and a symlink put in its place. */
static bool fixed_in_place(const char *dir)
{
    char *copy = talloc_strdup(NULL, dir);
    bool fixed = true;
    for (char *slash = copy; fixed && (slash = strchr(slash, '/')) && slash[1]; slash++) {
        char keep = slash[1];
        slash[1] = '\0';
        struct stat st;
        fixed = lstat(copy, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 && !(st.st_mode & 022);
        slash[1] = keep;
    }
    talloc_free(copy);
    return fixed;
}

static void write_proc_self(const char *file, const char *text)
{
    int fd = open(file, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write_all(fd, text, strlen(text)) < 0 || close(fd) < 0)
        die_errno("--runtime: can't write %s", file);
}

/* A mount namespace of bwrapper's own, which the runtime inherits; a user
 * namespace too unless root, where the caller is 0 (the runtime then runs
 * rootless inside it, as runc and crun do in a user namespace). */
static void enter_own_mount_ns(const struct oci *o)
{
    if (unshare(o->own_userns ? CLONE_NEWUSER | CLONE_NEWNS : CLONE_NEWNS) < 0)
        die_errno("--runtime: can't make a mount namespace for the bundle");
    if (o->own_userns) {
        char map[64];
        write_proc_self("/proc/self/setgroups", "deny");
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned)o->real_uid);
        write_proc_self("/proc/self/uid_map", map);
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned)o->real_gid);
        write_proc_self("/proc/self/gid_map", map);
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        die_errno("--runtime: can't make the mount namespace private");
}

/* The bundle directory.  Its config.json, and the runtime's state kept in
 * it, name hooks the runtime runs on the host (at `run`, and at `delete`
 * from state.json), and its rootfs/ is what the runtime pivots into: no
 * other process may change them, and a process of the same user (another
 * sandbox given --rw /tmp) passes any mode.  So the bundle is where no
 * path of anyone else's leads:
 *
 * - bwrapper takes a mount namespace of its own (enter_own_mount_ns),
 *   which the runtime and its `delete` inherit, and in it mounts a tmpfs
 *   over a base directory ($XDG_RUNTIME_DIR, /tmp, /dev/shm, /var/tmp)
 *   and makes the bundle there: no other namespace sees that tmpfs, and
 *   the directories above the base are root's (fixed_in_place), so no one
 *   can move it and put a symlink in its way.  Nothing is left on the
 *   host: the tmpfs ends with the namespace, however bwrapper ends.
 * - The base holds no host path a mount of the plan takes (plan_uses):
 *   the runtime finds those in bwrapper's namespace.
 * - Where a bind of the plan shows the base (--ro-bind / /), the host's
 *   base, cloned into the tmpfs before it covered it, is bound on top
 *   (show_again): the sandbox sees what it would natively, never the
 *   bundle.  A command that may unmount (CAP_SYS_ADMIN in a user
 *   namespace of its own) could take that bind away: then a base the
 *   sandbox does not see at all is needed.
 *
 * A process that shares the host's pid namespace (a sandbox without
 * --unshare-pid) can reach the runtime's /proc/PID/root, as it can ptrace
 * the user's processes: no sandbox keeps that one from the user. */
/* The bundle directory where the sandbox may reach it: only where the
 * runtime runs as the caller, rootless in bwrapper's user namespace, and
 * the sandbox can already write all the caller can (sandbox_writes_as_
 * caller).  A hook it put in the bundle would run as the same user, with
 * no more than the sandbox has: nothing to gain.  It is removed (by fds,
 * as an emitted one) when the run ends. */
static const char *shared_bundle_dir(struct oci *o, void *mem, const char *const *bases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (bases[i] == NULL || access(bases[i], W_OK | X_OK) < 0)
            continue;
        enter_own_mount_ns(o);
        char *dir = talloc_asprintf(mem, "%s/bwrapper-oci-XXXXXX", bases[i]);
        if (mkdtemp(dir) == NULL)
            die_errno("--runtime: can't make the bundle directory %s", dir);
        made.dir_made = true;
        return dir;
    }
    die("--runtime: no place for the bundle: none of $XDG_RUNTIME_DIR, /tmp, /dev/shm and /var/tmp is writable");
}

/* The directory for a --runtime run's bundle, in a private tmpfs (see
 * above), or made on the host (dir_made) where that protects nothing. */
static const char *make_private_dir(struct oci *o, void *mem)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    const char *bases[] = {xdg && *xdg == '/' ? xdg : NULL, "/tmp", "/dev/shm", "/var/tmp"};
    bool unmasks = o->userns && (o->caps & ((uint64_t)1 << CAP_SYS_ADMIN));
    const char *base = NULL;
    for (size_t i = 0; i < N_ELEMENTS(bases) && base == NULL; i++) {
        char *real = bases[i] ? realpath(bases[i], NULL) : NULL;
        struct stat st;
        if (real && stat(real, &st) == 0 && S_ISDIR(st.st_mode) && fixed_in_place(real) && !plan_uses(o, real) &&
            !(unmasks && show_again(o, real, NULL)))
            base = talloc_strdup(mem, real);
        free(real);
    }
    if (base == NULL && o->own_userns && o->kind != RT_RUNSC && sandbox_writes_as_caller(o))
        return shared_bundle_dir(o, mem, bases, N_ELEMENTS(bases));
    if (base == NULL)
        die("--runtime: no place for the bundle: each of $XDG_RUNTIME_DIR, /tmp, /dev/shm and /var/tmp is "
            "taken by a mount of the sandbox%s, or is not root's to keep in place; hide one of them, e.g. with "
            "--tmpfs /tmp", unmasks ? " or shown to a command that may unmount (CAP_SYS_ADMIN)" : "");
    enter_own_mount_ns(o);
    const char *host = talloc_asprintf(mem, "%s/host", strcmp(base, "/") == 0 ? "" : base);
    bool shown = show_again(o, base, NULL) > 0;
    int clone = shown ? open_tree(AT_FDCWD, base, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE) : -1;
    if ((shown && clone < 0) || mount("tmpfs", base, "tmpfs", MS_NOSUID, "mode=0700") < 0 ||
        (shown && (mkdir(host, 0700) < 0 || move_mount(clone, "", AT_FDCWD, host, MOVE_MOUNT_F_EMPTY_PATH) < 0)))
        die_errno("--runtime: can't mount a private tmpfs on %s", base);
    if (shown) {
        close(clone);
        show_again(o, base, host);
    }
    char *dir = talloc_asprintf(mem, "%s/bwrapper-oci-XXXXXX", strcmp(base, "/") == 0 ? "" : base);
    if (mkdtemp(dir) == NULL)
        die_errno("--runtime: can't make the bundle directory %s", dir);
    return dir;
}

/* ---- the description, placed in its directory ---- */

/* Bundle files are described relative to the bundle (the private
 * directory gets its name only once the plan is known to fit); mounts
 * take absolute sources, so prefix DIR now. */
static void rebase_bundle(struct oci *o, const char *dir)
{
    json_decref(text("the bundle directory", dir));
    if (strpbrk(dir, ",:="))
        for (size_t i = 0; i < o->n_files; i++)
            if (strncmp(o->files[i].path, "overlay-", 8) == 0)
                die("%s: %s: overlay options cannot carry a path with ',', ':' or '='", o->files[i].option, dir);
    /* absolute: containerd takes a relative root.path from its own
     * bundle directory, not the one config.json is in */
    json_object_set_new(json_object_get(o->config, "root"), "path", json_string(path_join(o->mem, dir, "rootfs")));
    size_t i;
    json_t *m;
    json_array_foreach(o->mounts, i, m) {
        const char *src = json_string_value(json_object_get(m, "source"));
        if (strcmp(json_string_value(json_object_get(m, "type")), "bind") == 0 && *src != '/')
            json_object_set_new(m, "source", json_string(path_join(o->mem, dir, src)));
        json_t *opts = json_object_get(m, "options");
        size_t k;
        json_t *v;
        json_array_foreach(opts, k, v) {
            const char *opt = json_string_value(v);
            const char *eq = strchr(opt, '=');
            if ((strncmp(opt, "upperdir=", 9) == 0 || strncmp(opt, "workdir=", 8) == 0) && eq[1] != '/')
                json_array_set_new(opts, k, json_string(talloc_asprintf(o->mem, "%.*s%s/%s", (int)(eq + 1 - opt),
                                                                        opt, dir, eq + 1)));
        }
    }
}

void create_bundle(struct oci *o)
{
    /* Only now is anything created; from here on die() removes an
     * emitted bundle.  A run's is in a tmpfs of bwrapper's own mount
     * namespace, which goes with it (or, where that protects nothing,
     * removed as an emitted one: shared_bundle_dir). */
    if (o->plan->emit_oci) {
        made.dir_fd = open_empty_dir(made.dir, &made.dir_made);
        die_cleanup = remove_made;
    } else {
        made.dir = make_private_dir(o, o->mem);
        made.dir_fd = open(made.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (made.dir_made)
            die_cleanup = remove_made;
    }
    if (made.dir_fd < 0)
        die_errno("%s", made.dir);
    rebase_bundle(o, made.dir);
    write_bundle(o, made.dir_fd, made.dir);
}
