/* --commit: a stage's changes applied to its host path, all or nothing.
 *
 * 1. Conflicts: every path a change touches must be on the host as the
 *    snapshot taken when the run began has it (same inode, size, times,
 *    or still absent); otherwise nothing is done and each path is named.
 * 2. New contents (files, symlinks, fifos; hard links as links; holes as
 *    holes) are written into PATH/.bwrapper-commit-ID, on the target's
 *    filesystem, so that a rename puts each in place.
 * 3. The journal (the list of operations) is written to the stage and
 *    renamed into place: from then on the commit is decided.
 * 4. The operations run; each is idempotent, so a commit killed at any
 *    point is finished by running --commit DIR again (before the journal
 *    exists, that starts over from 1).
 * 5. The journal becomes "committed" and the stage is removed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <talloc.h>
#include <unistd.h>

#include "stage.h"
#include "util.h"

/* ---- the snapshot ---- */

struct snap {
    const char *path;
    struct path_state st;
};

static void snapshot_dir(FILE *f, int dirfd, const char *dir, dev_t dev, const char *target)
{
    int dup_fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (d == NULL)
        die_errno("--stage %s: can't read %s", target, dir);
    struct dirent *e;
    while ((errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct path_state ps;
        path_state_of(&ps, dirfd, e->d_name);
        if (!ps.exists)
            continue;
        char *path = strcmp(dir, ".") == 0 ? strdup(e->d_name) : NULL;
        if (path == NULL && asprintf(&path, "%s/%s", dir, e->d_name) < 0)
            die_errno("asprintf");
        fprintf(f, "%s%c%o %llu %llu %lld %lld %ld %lld %ld%c", path, 0, (unsigned)ps.mode,
                (unsigned long long)ps.dev, (unsigned long long)ps.ino, (long long)ps.size,
                (long long)ps.mtime.tv_sec, ps.mtime.tv_nsec, (long long)ps.ctime.tv_sec, ps.ctime.tv_nsec, 0);
        /* overlayfs does not cross mounts in its lower layer: neither do we */
        if (S_ISDIR(ps.mode) && ps.dev == dev) {
            int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0)
                die_errno("--stage %s: can't open %s", target, path);
            snapshot_dir(f, sub, path, dev, target);
            close(sub);
        }
        free(path);
    }
    if (errno != 0)
        die_errno("--stage %s: can't read %s", target, dir);
    closedir(d);
}

void snapshot_write(int dirfd, int lower, const char *target)
{
    int fd = openat(dirfd, "snapshot", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL)
        die_errno("--stage %s: can't write the snapshot", target);
    struct path_state root;
    path_state_of(&root, lower, ".");
    fprintf(f, ".%c%o %llu %llu %lld %lld %ld %lld %ld%c", 0, (unsigned)root.mode, (unsigned long long)root.dev,
            (unsigned long long)root.ino, (long long)root.size, (long long)root.mtime.tv_sec, root.mtime.tv_nsec,
            (long long)root.ctime.tv_sec, root.ctime.tv_nsec, 0);
    snapshot_dir(f, lower, ".", root.dev, target);
    if (fflush(f) != 0 || fsync(fd) < 0 || fclose(f) != 0)
        die_errno("--stage %s: can't write the snapshot", target);
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct snap *)a)->path, ((const struct snap *)b)->path);
}

static struct snap *snapshot_read(void *mem, const struct stage_dir *sd, size_t *n)
{
    int fd = openat(sd->fd, "snapshot", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    size_t len;
    char *data = fd >= 0 ? read_fd_all(mem, fd, &len) : NULL;
    if (data == NULL)
        die_errno("--commit %s: can't read the snapshot", sd->dir);
    close(fd);
    struct snap *v = talloc_array(mem, struct snap, 0);
    *n = 0;
    for (size_t i = 0; i < len;) {
        const char *path = data + i;
        i += strlen(path) + 1;
        if (i >= len)
            die("--commit %s: the snapshot is truncated", sd->dir);
        const char *fields = data + i;
        i += strlen(fields) + 1;
        unsigned mode;
        unsigned long long dev, ino;
        long long size, ms, cs;
        long mns, cns;
        if (sscanf(fields, "%o %llu %llu %lld %lld %ld %lld %ld", &mode, &dev, &ino, &size, &ms, &mns, &cs, &cns) != 8)
            die("--commit %s: the snapshot is damaged", sd->dir);
        v = talloc_realloc(mem, v, struct snap, *n + 1);
        v[(*n)++] = (struct snap){
            .path = path,
            .st = {.exists = true, .mode = mode, .dev = (dev_t)dev, .ino = (ino_t)ino, .size = (off_t)size,
                   .mtime = {.tv_sec = ms, .tv_nsec = mns}, .ctime = {.tv_sec = cs, .tv_nsec = cns}},
        };
    }
    qsort(v, *n, sizeof *v, by_path);
    return v;
}

const char *const *stage_conflicts(void *mem, const struct stage_dir *sd, const struct change_list *cl, size_t *n)
{
    size_t ns;
    struct snap *snaps = snapshot_read(mem, sd, &ns);
    const char **out = talloc_array(mem, const char *, 0);
    *n = 0;
    for (size_t i = 0; i < cl->n; i++) {
        const struct change *c = &cl->v[i];
        struct snap key = {.path = c->path};
        const struct snap *s = bsearch(&key, snaps, ns, sizeof *snaps, by_path);
        static const struct path_state absent;
        if (!path_state_equal(s ? &s->st : &absent, &c->lower)) {
            out = talloc_realloc(mem, out, const char *, *n + 1);
            out[(*n)++] = c->path;
        }
    }
    return out;
}

/* ---- removing ---- */

int remove_tree(int at, const char *name)
{
    if (unlinkat(at, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return -1;
    /* overlayfs leaves work/work mode 0; a command may leave any mode
     * (a failure shows as the open's) */
    int fix = fchmodat(at, name, 0700, 0);
    (void)fix;
    int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL)
        return -1;
    struct dirent *e;
    int r = 0;
    while (r == 0 && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            r = remove_tree(dirfd(d), e->d_name);
    closedir(d);
    return r == 0 && unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -1 : r;
}

/* Everything but "committed" first: while it is there, --commit DIR knows
 * there is nothing left to do but this. */
void stage_remove(const struct stage_dir *sd)
{
    static const char *const parts[] = {"upper", "work", "snapshot", "journal", "journal.new", "stage.json"};
    for (size_t i = 0; i < N_ELEMENTS(parts); i++)
        if (remove_tree(sd->fd, parts[i]) < 0)
            die_errno("can't remove the stage %s/%s", sd->dir, parts[i]);
    if (remove_tree(sd->fd, "committed") < 0 || rmdir(sd->dir) < 0)
        die_errno("can't remove the stage %s", sd->dir);
}

bool stage_commit_started(const struct stage_dir *sd)
{
    return faccessat(sd->fd, "journal", F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
           faccessat(sd->fd, "committed", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* ---- the operations ---- */

enum op_kind { OP_UNLINK = 'u', OP_RMDIR = 'r', OP_MKDIR = 'm', OP_PLACE = 'p', OP_ATTRS = 'a' };

struct op {
    enum op_kind kind;
    const char *path; /* relative to the target */
    const char *temp; /* OP_PLACE: the name in the commit's temporary directory */
    unsigned mode;    /* OP_ATTRS */
    bool set_mtime;   /* OP_ATTRS on a non-directory */
    struct timespec mtime;
};

struct ops {
    struct op *v;
    size_t n;
};

static void push_op(void *mem, struct ops *o, struct op op)
{
    o->v = talloc_realloc(mem, o->v, struct op, o->n + 1);
    o->v[o->n++] = op;
}

/* ---- hard links made by the command ---- */

struct linked {
    ino_t ino;
    const char *path;
};

static void find_linked(void *mem, int dirfd, const char *dir, struct linked **v, size_t *n)
{
    int dup_fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (d == NULL)
        die_errno("--commit: can't read %s in the upper layer", dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        const char *path = strcmp(dir, ".") == 0 ? talloc_strdup(mem, e->d_name) : talloc_asprintf(mem, "%s/%s", dir, e->d_name);
        if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
            *v = talloc_realloc(mem, *v, struct linked, *n + 1);
            (*v)[(*n)++] = (struct linked){st.st_ino, path};
        } else if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0)
                die_errno("--commit: can't open %s in the upper layer", path);
            find_linked(mem, sub, path, v, n);
            close(sub);
        }
    }
    closedir(d);
}

static int by_ino(const void *a, const void *b)
{
    ino_t x = ((const struct linked *)a)->ino, y = ((const struct linked *)b)->ino;
    return x < y ? -1 : x > y;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A file the command linked to a new name (`ln a b`) is one inode in the
 * upper layer: every name of an inode any change writes is written as a
 * link to the same new content, unchanged names included. */
static const char **linked_names(void *mem, int upper_fd, const struct change_list *cl, size_t *n_out)
{
    struct linked *v = talloc_array(mem, struct linked, 0);
    size_t n = 0;
    find_linked(mem, upper_fd, ".", &v, &n);
    qsort(v, n, sizeof *v, by_ino);
    const char **changed = talloc_array(mem, const char *, cl->n);
    for (size_t i = 0; i < cl->n; i++)
        changed[i] = cl->v[i].path;
    qsort(changed, cl->n, sizeof *changed, by_string);
    const char **out = talloc_array(mem, const char *, 0);
    *n_out = 0;
    for (size_t i = 0, j; i < n; i = j) {
        bool touched = false;
        for (j = i; j < n && v[j].ino == v[i].ino; j++)
            touched |= bsearch(&v[j].path, changed, cl->n, sizeof *changed, by_string) != NULL;
        for (size_t k = i; touched && k < j; k++) {
            out = talloc_realloc(mem, out, const char *, *n_out + 1);
            out[(*n_out)++] = v[k].path;
        }
    }
    qsort(out, *n_out, sizeof *out, by_string);
    return out;
}

/* Deletions deepest first, then new directories parents first, then new
 * contents, then modes deepest first (a read-only directory last).  The
 * LINKED names are all written as new content. */
static struct ops plan_ops(void *mem, const struct change_list *cl, const char **linked, size_t n_linked)
{
    struct ops del = {0}, mk = {0}, place = {0}, attrs = {0}, all = {0};
    const char **unlisted = talloc_memdup(mem, linked, n_linked * sizeof *linked);
    for (size_t i = cl->n; i-- > 0;) {
        const struct change *c = &cl->v[i];
        bool u_dir = c->upper.exists && S_ISDIR(c->upper.mode), l_dir = c->lower.exists && S_ISDIR(c->lower.mode);
        bool gone = c->kind == CHANGE_DELETED || (c->kind == CHANGE_REPLACED && u_dir != l_dir);
        const char **l = n_linked ? bsearch(&c->path, linked, n_linked, sizeof *linked, by_string) : NULL;
        if (l != NULL)
            unlisted[l - linked] = NULL;
        if (gone)
            push_op(mem, &del, (struct op){.kind = l_dir ? OP_RMDIR : OP_UNLINK, .path = c->path});
        if (c->upper.exists && ((c->kind == CHANGE_METADATA && l == NULL) || u_dir))
            push_op(mem, &attrs, (struct op){.kind = OP_ATTRS, .path = c->path, .mode = c->upper.mode & 07777,
                                             .set_mtime = !u_dir && !S_ISLNK(c->upper.mode), .mtime = c->upper.mtime});
    }
    for (size_t i = 0; i < cl->n; i++) {
        const struct change *c = &cl->v[i];
        bool linked_name = n_linked && bsearch(&c->path, linked, n_linked, sizeof *linked, by_string);
        if (!c->upper.exists || (c->kind == CHANGE_METADATA && !linked_name))
            continue;
        if (S_ISDIR(c->upper.mode) && !(c->lower.exists && S_ISDIR(c->lower.mode)))
            push_op(mem, &mk, (struct op){.kind = OP_MKDIR, .path = c->path});
        else if (!S_ISDIR(c->upper.mode))
            push_op(mem, &place, (struct op){.kind = OP_PLACE, .path = c->path,
                                             .temp = talloc_asprintf(mem, "%zu", place.n)});
    }
    for (size_t i = 0; i < n_linked; i++)
        if (unlisted[i] != NULL)
            push_op(mem, &place, (struct op){.kind = OP_PLACE, .path = unlisted[i],
                                             .temp = talloc_asprintf(mem, "%zu", place.n)});
    struct ops *parts[] = {&del, &mk, &place, &attrs};
    for (size_t k = 0; k < N_ELEMENTS(parts); k++)
        for (size_t i = 0; i < parts[k]->n; i++)
            push_op(mem, &all, parts[k]->v[i]);
    return all;
}

/* ---- resolving paths under the target and the upper layer ---- */

/* The directory holding PATH (relative to ROOT), never through a symlink
 * or out of ROOT's mount; *base is PATH's last component ("." for ROOT). */
static int open_parent_beneath(void *mem, int root, const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    const char *parent = slash ? talloc_strndup(mem, path, (size_t)(slash - path)) : ".";
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
    return (int)syscall(SYS_openat2, root, parent, &how, sizeof how);
}

/* ---- step 2: new contents in the temporary directory ---- */

struct commit {
    void *mem;
    const struct stage_dir *sd;
    int target_fd, upper_fd, tmp_fd;
    const char *tmp_name;
    long kill_after; /* test hook, see count_step */
    long steps;
    struct link { dev_t dev; ino_t ino; const char *temp; } *links;
    size_t n_links;
};

/* BWRAPPER_TEST_COMMIT_KILL_AFTER=N (tests only): SIGKILL ourselves after
 * N steps of a commit (each new content, the journal, each operation), so
 * a test can interrupt a commit at an exact point without timing. */
static void count_step(struct commit *c)
{
    if (c->kill_after >= 0 && ++c->steps > c->kill_after)
        raise(SIGKILL);
}

/* One range of data, in the kernel where it can (copy_file_range: no
 * trip through user space, and a reflink where the filesystem shares
 * blocks); through a buffer where it cannot (across some filesystems,
 * or a kernel without it). */
static void copy_range(struct commit *c, int src, int dst, off_t off, off_t end, const char *path)
{
    static char buf[1 << 16];
    bool in_kernel = true;
    while (off < end) {
        size_t want = (size_t)(end - off);
        ssize_t n;
        if (in_kernel) {
            off_t in = off, out = off;
            n = copy_file_range(src, &in, dst, &out, want, 0);
            if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
                in_kernel = false;
                continue;
            }
        } else {
            n = pread(src, buf, want < sizeof buf ? want : sizeof buf, off);
            for (ssize_t w = 0; n > 0 && w < n;) {
                ssize_t m = pwrite(dst, buf + w, (size_t)(n - w), off + w);
                if (m < 0 && errno != EINTR)
                    die_errno("--commit %s: can't write the new %s", c->sd->dir, path);
                w += m > 0 ? m : 0;
            }
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die_errno("--commit %s: can't copy %s", c->sd->dir, path);
        off += n;
    }
}

static void copy_data(struct commit *c, int src, int dst, const char *path)
{
    off_t off = 0;
    for (;;) {
        off_t data = lseek(src, off, SEEK_DATA);
        if (data < 0 && errno == ENXIO)
            return;
        off_t hole = data < 0 ? -1 : lseek(src, data, SEEK_HOLE);
        if (hole < 0)
            die_errno("--commit %s: can't read %s", c->sd->dir, path);
        /* holes stay holes: only the data is copied */
        copy_range(c, src, dst, data, hole, path);
        off = hole;
    }
}

static void new_content(struct commit *c, const struct op *op)
{
    const char *base, *path = op->path;
    int dir = open_parent_beneath(c->mem, c->upper_fd, path, &base);
    struct stat st;
    if (dir < 0 || fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        die_errno("--commit %s: can't find %s in the upper layer", c->sd->dir, path);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    const char *what = "";
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
        for (size_t i = 0; i < c->n_links; i++)
            if (c->links[i].dev == st.st_dev && c->links[i].ino == st.st_ino) {
                if (linkat(c->tmp_fd, c->links[i].temp, c->tmp_fd, op->temp, 0) < 0)
                    die_errno("--commit %s: can't link the new %s", c->sd->dir, path);
                close(dir);
                return;
            }
        c->links = talloc_realloc(c->mem, c->links, struct link, c->n_links + 1);
        c->links[c->n_links++] = (struct link){st.st_dev, st.st_ino, op->temp};
    }
    if (S_ISREG(st.st_mode)) {
        int src = openat(dir, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        int dst = openat(c->tmp_fd, op->temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (src < 0 || dst < 0)
            die_errno("--commit %s: can't copy %s", c->sd->dir, path);
        copy_data(c, src, dst, path);
        if (ftruncate(dst, st.st_size) < 0 || (geteuid() == 0 && fchown(dst, st.st_uid, st.st_gid) < 0) ||
            fchmod(dst, st.st_mode & 07777) < 0 || futimens(dst, times) < 0 || close(dst) < 0)
            die_errno("--commit %s: can't write the new %s", c->sd->dir, path);
        close(src);
    } else if (S_ISLNK(st.st_mode)) {
        char *target = talloc_size(c->mem, (size_t)st.st_size + 1);
        ssize_t n = readlinkat(dir, base, target, (size_t)st.st_size + 1);
        if (n != st.st_size)
            die_errno("--commit %s: can't read the symlink %s", c->sd->dir, path);
        target[n] = '\0';
        if (symlinkat(target, c->tmp_fd, op->temp) < 0)
            die_errno("--commit %s: can't make the symlink %s", c->sd->dir, path);
        what = "symlink ";
    } else if (S_ISFIFO(st.st_mode)) {
        if (mknodat(c->tmp_fd, op->temp, S_IFIFO | 0600, 0) < 0 || fchmodat(c->tmp_fd, op->temp, st.st_mode & 07777, 0) < 0)
            die_errno("--commit %s: can't make the fifo %s", c->sd->dir, path);
        what = "fifo ";
    } else {
        die("--commit %s: can't commit %s: neither a file, a directory, a symlink nor a fifo", c->sd->dir, path);
    }
    if (*what && ((geteuid() == 0 && fchownat(c->tmp_fd, op->temp, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) ||
                  utimensat(c->tmp_fd, op->temp, times, AT_SYMLINK_NOFOLLOW) < 0))
        die_errno("--commit %s: can't set the times of the %s%s", c->sd->dir, what, path);
    close(dir);
}

/* ---- step 3: the journal, NUL-separated: kind, path, temp, mode, mtime ---- */

static void write_journal(struct commit *c, const struct ops *ops)
{
    int fd = openat(c->sd->fd, "journal.new", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL)
        die_errno("--commit %s: can't write the journal", c->sd->dir);
    for (size_t i = 0; i < ops->n; i++) {
        const struct op *o = &ops->v[i];
        fprintf(f, "%c%c%s%c%s%c%o%c%d %lld %ld%c", o->kind, 0, o->path, 0, o->temp ? o->temp : "", 0, o->mode, 0,
                o->set_mtime, (long long)o->mtime.tv_sec, o->mtime.tv_nsec, 0);
    }
    if (fflush(f) != 0 || fsync(fd) < 0 || fclose(f) != 0 || renameat(c->sd->fd, "journal.new", c->sd->fd, "journal") < 0 ||
        fsync(c->sd->fd) < 0)
        die_errno("--commit %s: can't write the journal", c->sd->dir);
}

static struct ops read_journal(struct commit *c)
{
    int fd = openat(c->sd->fd, "journal", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    size_t len;
    char *data = fd >= 0 ? read_fd_all(c->mem, fd, &len) : NULL;
    if (data == NULL)
        die_errno("--commit %s: can't read the journal", c->sd->dir);
    close(fd);
    struct ops ops = {0};
    for (size_t i = 0; i < len;) {
        const char *f[5];
        for (int k = 0; k < 5; k++) {
            if (i >= len)
                die("--commit %s: the journal is damaged", c->sd->dir);
            f[k] = data + i;
            i += strlen(f[k]) + 1;
        }
        struct op o = {.kind = (enum op_kind)f[0][0], .path = f[1], .temp = f[2]};
        int set;
        long long sec;
        if (sscanf(f[3], "%o", &o.mode) != 1 || sscanf(f[4], "%d %lld %ld", &set, &sec, &o.mtime.tv_nsec) != 3 ||
            strchr("urmpa", o.kind) == NULL || *o.path == '/' || strchr(o.temp, '/') != NULL)
            die("--commit %s: the journal is damaged", c->sd->dir);
        o.set_mtime = set;
        o.mtime.tv_sec = (time_t)sec;
        push_op(c->mem, &ops, o);
    }
    return ops;
}

/* ---- step 4: the operations, each safe to run again ---- */

/* Every path is resolved beneath the target (open_parent_beneath), so
 * not even a damaged journal can reach outside it. */

static void apply_op(struct commit *c, const struct op *o)
{
    const char *base;
    int dir = open_parent_beneath(c->mem, c->target_fd, o->path, &base);
    if (dir < 0 && errno == ENOENT && (o->kind == OP_UNLINK || o->kind == OP_RMDIR))
        return;
    if (dir < 0)
        die_errno("--commit %s: can't open the directory of %s/%s", c->sd->dir, c->sd->target, o->path);
    struct stat st;
    bool exists = fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
    int r = 0;
    switch (o->kind) {
    case OP_UNLINK: /* what is there now is not what was deleted: done before */
        if (exists && !S_ISDIR(st.st_mode))
            r = unlinkat(dir, base, 0);
        break;
    case OP_RMDIR:
        if (exists && S_ISDIR(st.st_mode))
            r = unlinkat(dir, base, AT_REMOVEDIR);
        break;
    case OP_MKDIR:
        if (!exists || !S_ISDIR(st.st_mode))
            r = mkdirat(dir, base, 0700);
        break;
    case OP_PLACE:
        /* the temporary name is gone once it has been put in place */
        if (renameat(c->tmp_fd, o->temp, dir, base) < 0 && errno != ENOENT)
            r = -1;
        break;
    case OP_ATTRS: {
        int fd = strcmp(o->path, ".") == 0 ? openat(c->target_fd, ".", O_PATH | O_CLOEXEC)
                                           : openat(dir, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        const struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, o->mtime};
        /* chmod on an O_PATH fd's magic link: exactly this inode, no symlink followed */
        r = fd < 0 || (!S_ISLNK(st.st_mode) && chmod(proc, o->mode) < 0) ||
            (o->set_mtime && utimensat(dir, base, times, AT_SYMLINK_NOFOLLOW) < 0) ? -1 : 0;
        if (fd >= 0)
            close(fd);
        break;
    }
    }
    if (r < 0)
        die_errno("--commit %s: can't %s %s/%s", c->sd->dir,
                  o->kind == OP_UNLINK ? "delete" : o->kind == OP_RMDIR ? "remove the directory" : o->kind == OP_MKDIR ? "create the directory" : o->kind == OP_PLACE ? "put in place" : "set the mode of",
                  c->sd->target, o->path);
    close(dir);
}

static void commit_open(struct commit *c, void *mem, const struct stage_dir *sd)
{
    *c = (struct commit){.mem = mem, .sd = sd, .kill_after = -1, .tmp_fd = -1};
    const char *k = getenv("BWRAPPER_TEST_COMMIT_KILL_AFTER");
    if (k != NULL)
        c->kill_after = atol(k);
    c->tmp_name = talloc_asprintf(mem, ".bwrapper-commit-%s", sd->id);
    c->target_fd = open(sd->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (c->target_fd < 0)
        die_errno("--commit %s: can't open %s", sd->dir, sd->target);
}

/* Steps 1 to 3: nothing on the host changes but the temporary directory. */
static void prepare(struct commit *c)
{
    struct change_list cl = stage_changes(c->mem, c->sd);
    size_t n;
    const char *const *conflicts = stage_conflicts(c->mem, c->sd, &cl, &n);
    if (n > 0) {
        char *list = talloc_strdup(c->mem, "");
        for (size_t i = 0; i < n; i++)
            list = talloc_asprintf_append(list, "%s%s/%s", i ? ", " : "", c->sd->target, conflicts[i]);
        die("--commit %s: refused, nothing changed: %zu path%s changed on the host since the run began: %s", c->sd->dir,
            n, n == 1 ? "" : "s", list);
    }
    c->upper_fd = openat(c->sd->fd, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (c->upper_fd < 0)
        die_errno("--commit %s: can't open the upper layer", c->sd->dir);
    size_t n_linked;
    const char **linked = linked_names(c->mem, c->upper_fd, &cl, &n_linked);
    struct ops ops = plan_ops(c->mem, &cl, linked, n_linked);
    if (remove_tree(c->target_fd, c->tmp_name) < 0 || mkdirat(c->target_fd, c->tmp_name, 0700) < 0 ||
        (c->tmp_fd = openat(c->target_fd, c->tmp_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        die_errno("--commit %s: can't create %s/%s", c->sd->dir, c->sd->target, c->tmp_name);
    for (size_t i = 0; i < ops.n; i++)
        if (ops.v[i].kind == OP_PLACE) {
            new_content(c, &ops.v[i]);
            count_step(c);
        }
    close(c->upper_fd);
    if (syncfs(c->tmp_fd) < 0)
        die_errno("--commit %s: can't sync %s", c->sd->dir, c->sd->target);
    write_journal(c, &ops);
    count_step(c);
}

void stage_commit(void *mem, const struct stage_dir *sd)
{
    struct commit c;
    if (faccessat(sd->fd, "committed", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
        stage_remove(sd);
        return;
    }
    commit_open(&c, mem, sd);
    if (faccessat(sd->fd, "journal", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno != ENOENT)
            die_errno("--commit %s: journal", sd->dir);
        prepare(&c);
    } else {
        c.tmp_fd = openat(c.target_fd, c.tmp_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (c.tmp_fd < 0)
            die_errno("--commit %s: can't open %s/%s", sd->dir, sd->target, c.tmp_name);
    }
    struct ops ops = read_journal(&c);
    for (size_t i = 0; i < ops.n; i++) {
        apply_op(&c, &ops.v[i]);
        count_step(&c);
    }
    if (syncfs(c.target_fd) < 0 || remove_tree(c.target_fd, c.tmp_name) < 0 ||
        renameat(sd->fd, "journal", sd->fd, "committed") < 0)
        die_errno("--commit %s: can't finish", sd->dir);
    close(c.tmp_fd);
    close(c.target_fd);
    stage_remove(sd);
}

/* --discard after a commit was interrupted before its journal: the
 * temporary directory in the target goes too. */
void commit_discard_temp(const struct stage_dir *sd)
{
    if (sd->target == NULL)
        return;
    int fd = open(sd->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char name[64];
    snprintf(name, sizeof name, ".bwrapper-commit-%s", sd->id);
    if (fd >= 0 && remove_tree(fd, name) < 0)
        die_errno("--discard %s: can't remove %s/%s", sd->dir, sd->target, name);
    if (fd >= 0)
        close(fd);
}
