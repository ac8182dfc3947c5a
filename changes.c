/* What a staged run changed, found exactly by walking the overlay's upper
 * layer against the host directory under it.
 *
 * The upper layer of an unprivileged (userxattr) overlay records a
 * deletion as a character device 0/0 (a whiteout) and a directory that
 * hides everything below it in the lower layer (`rm -r d; mkdir d`) with
 * the xattr user.overlay.opaque; every lower path such a directory hides
 * is listed as deleted, so no deletion goes unseen (binpash/try #163).
 * Copy-up without a change (a file opened for writing, then left alone)
 * is no change: contents are compared. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <talloc.h>
#include <unistd.h>

#include "stage.h"
#include "util.h"

struct walk {
    void *mem;
    struct change_list *cl;
};

const char *change_kind_name(enum change_kind k)
{
    static const char *const names[] = {[CHANGE_ADDED] = "added", [CHANGE_MODIFIED] = "modified",
                                        [CHANGE_DELETED] = "deleted", [CHANGE_REPLACED] = "replaced",
                                        [CHANGE_METADATA] = "metadata"};
    return names[k];
}

void path_state_of(struct path_state *ps, int dirfd, const char *path)
{
    struct stat st;
    *ps = (struct path_state){0};
    if (dirfd < 0)
        return;
    if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return;
        die_errno("--stage: can't stat %s", path);
    }
    *ps = (struct path_state){.exists = true, .mode = st.st_mode, .dev = st.st_dev, .ino = st.st_ino,
                              .size = st.st_size, .mtime = st.st_mtim, .ctime = st.st_ctim};
}

static bool same_time(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool path_state_equal(const struct path_state *a, const struct path_state *b)
{
    if (a->exists != b->exists)
        return false;
    return !a->exists || (a->mode == b->mode && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
                          same_time(a->mtime, b->mtime) && same_time(a->ctime, b->ctime));
}

static bool is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dirfd)
{
    char v[2] = "";
    ssize_t n = fgetxattr(dirfd, "user.overlay.opaque", v, sizeof v);
    /* "y"; "x" marks a lower layer's opaque directory holding xattr whiteouts */
    return n == 1 && (v[0] == 'y' || v[0] == 'x');
}

static int open_dir_at(int dirfd, const char *name, const char *what)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        die_errno("--stage: can't open %s", what);
    return fd;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names in directory FD, sorted, so that lists are reproducible. */
static char **dir_names(void *mem, int fd, size_t *n, const char *what)
{
    int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (d == NULL)
        die_errno("--stage: can't read %s", what);
    char **names = talloc_array(mem, char *, 0);
    *n = 0;
    struct dirent *e;
    while ((errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names = talloc_realloc(mem, names, char *, *n + 1);
        names[(*n)++] = talloc_strdup(names, e->d_name);
    }
    if (errno != 0)
        die_errno("--stage: can't read %s", what);
    closedir(d);
    qsort(names, *n, sizeof *names, by_name);
    return names;
}

static const char *join(void *mem, const char *dir, const char *name)
{
    return strcmp(dir, ".") == 0 ? talloc_strdup(mem, name) : talloc_asprintf(mem, "%s/%s", dir, name);
}

static void add(struct walk *w, const char *path, enum change_kind kind, const struct path_state *upper,
                const struct path_state *lower)
{
    struct change_list *cl = w->cl;
    cl->v = talloc_realloc(w->mem, cl->v, struct change, cl->n + 1);
    cl->v[cl->n++] = (struct change){.path = path, .kind = kind, .upper = *upper, .lower = *lower};
}

static void add_deleted_below(struct walk *w, int lfd, const char *name, const char *path);

/* The lower path NAME (in LFD) and, for a directory, all below it. */
static void add_deleted(struct walk *w, int lfd, const char *name, const char *path, const struct path_state *lower)
{
    static const struct path_state none;
    add(w, path, CHANGE_DELETED, &none, lower);
    if (!S_ISDIR(lower->mode))
        return;
    add_deleted_below(w, lfd, name, path);
}

/* Everything below the lower directory NAME (in LFD), as deleted. */
static void add_deleted_below(struct walk *w, int lfd, const char *name, const char *path)
{
    int sub = open_dir_at(lfd, name, path);
    size_t n;
    char **names = dir_names(w->mem, sub, &n, path);
    for (size_t i = 0; i < n; i++) {
        struct path_state ls;
        path_state_of(&ls, sub, names[i]);
        if (ls.exists)
            add_deleted(w, sub, names[i], join(w->mem, path, names[i]), &ls);
    }
    close(sub);
}

static bool same_bytes(int a, int b)
{
    char x[65536], y[65536];
    for (;;) {
        ssize_t n = read(a, x, sizeof x);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 && read(b, y, 1) == 0;
        ssize_t got = 0;
        while (got < n) {
            ssize_t m = read(b, y + got, (size_t)(n - got));
            if (m < 0 && errno == EINTR)
                continue;
            if (m <= 0)
                return false;
            got += m;
        }
        if (memcmp(x, y, (size_t)n) != 0)
            return false;
    }
}

/* Same type and the same bytes (or symlink target). */
static bool same_content(int ufd, int lfd, const char *name, const struct path_state *u, const struct path_state *l)
{
    if ((u->mode & S_IFMT) != (l->mode & S_IFMT))
        return false;
    if (S_ISLNK(u->mode)) {
        char a[4096], b[4096];
        ssize_t na = readlinkat(ufd, name, a, sizeof a), nb = readlinkat(lfd, name, b, sizeof b);
        return na >= 0 && na == nb && memcmp(a, b, (size_t)na) == 0;
    }
    if (!S_ISREG(u->mode))
        return true;
    if (u->size != l->size)
        return false;
    int a = openat(ufd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), b = openat(lfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    bool same = a >= 0 && b >= 0 && same_bytes(a, b);
    if (a >= 0)
        close(a);
    if (b >= 0)
        close(b);
    return same;
}

static void walk_dir(struct walk *w, int ufd, int lfd, const char *dir, bool hidden);

static void walk_subdir(struct walk *w, int ufd, int lfd, const char *name, const char *path, bool hidden,
                        const struct path_state *us, const struct path_state *ls)
{
    int sub_u = open_dir_at(ufd, name, path);
    bool lower_dir = ls->exists && S_ISDIR(ls->mode);
    bool hide = hidden || is_opaque(sub_u);
    if (!ls->exists)
        add(w, path, CHANGE_ADDED, us, ls);
    else if (!lower_dir || hide)
        add(w, path, CHANGE_REPLACED, us, ls);
    else if ((us->mode & 07777) != (ls->mode & 07777))
        add(w, path, CHANGE_METADATA, us, ls);
    int sub_l = lower_dir ? open_dir_at(lfd, name, path) : -1;
    walk_dir(w, sub_u, sub_l, path, !lower_dir || hide);
    close(sub_u);
    if (sub_l >= 0)
        close(sub_l);
}

static void walk_entry(struct walk *w, int ufd, int lfd, const char *name, const char *dir, bool hidden)
{
    const char *path = join(w->mem, dir, name);
    struct stat st;
    if (fstatat(ufd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        die_errno("--stage: can't stat %s in the upper layer", path);
    struct path_state us, ls;
    path_state_of(&us, ufd, name);
    path_state_of(&ls, lfd, name);
    if (is_whiteout(&st)) {
        if (ls.exists)
            add_deleted(w, lfd, name, path, &ls);
    } else if (S_ISDIR(st.st_mode)) {
        walk_subdir(w, ufd, lfd, name, path, hidden, &us, &ls);
    } else if (!ls.exists) {
        add(w, path, CHANGE_ADDED, &us, &ls);
    } else if (S_ISDIR(ls.mode)) {
        add(w, path, CHANGE_REPLACED, &us, &ls);
        add_deleted_below(w, lfd, name, path);
    } else if (!same_content(ufd, lfd, name, &us, &ls)) {
        add(w, path, CHANGE_MODIFIED, &us, &ls);
    } else if ((us.mode & 07777) != (ls.mode & 07777) || (!S_ISLNK(us.mode) && !same_time(us.mtime, ls.mtime))) {
        add(w, path, CHANGE_METADATA, &us, &ls);
    }
}

/* HIDDEN: the lower directory LFD does not show through (an opaque or
 * replaced directory), so each of its entries the upper one lacks is
 * deleted. */
static void walk_dir(struct walk *w, int ufd, int lfd, const char *dir, bool hidden)
{
    size_t nu, nl = 0;
    char **unames = dir_names(w->mem, ufd, &nu, dir);
    for (size_t i = 0; i < nu; i++)
        walk_entry(w, ufd, lfd, unames[i], dir, hidden);
    if (!hidden || lfd < 0)
        return;
    char **lnames = dir_names(w->mem, lfd, &nl, dir);
    for (size_t i = 0; i < nl; i++) {
        if (bsearch(&lnames[i], unames, nu, sizeof *unames, by_name) != NULL)
            continue;
        struct path_state ls;
        path_state_of(&ls, lfd, lnames[i]);
        if (ls.exists)
            add_deleted(w, lfd, lnames[i], join(w->mem, dir, lnames[i]), &ls);
    }
}

struct change_list changes_find(void *mem, int upper_fd, int lower_fd)
{
    struct change_list cl = {.v = talloc_array(mem, struct change, 0)};
    struct walk w = {.mem = mem, .cl = &cl};
    struct path_state us, ls;
    path_state_of(&us, upper_fd, ".");
    path_state_of(&ls, lower_fd, ".");
    if ((us.mode & 07777) != (ls.mode & 07777))
        add(&w, ".", CHANGE_METADATA, &us, &ls);
    walk_dir(&w, upper_fd, lower_fd, ".", false);
    return cl;
}

static const char *type_name(mode_t m)
{
    return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "symlink" : S_ISFIFO(m) ? "fifo" : "other";
}

char *change_json_line(void *mem, const struct change *c, const char *target)
{
    const struct path_state *s = c->upper.exists ? &c->upper : &c->lower;
    const char *path = strcmp(c->path, ".") == 0 ? target : talloc_asprintf(mem, "%s/%s", target, c->path);
    json_t *o = json_object();
    /* a file name need not be UTF-8 */
    json_object_set_new(o, "path", text_json(path));
    json_object_set_new(o, "change", json_string(change_kind_name(c->kind)));
    json_object_set_new(o, "type", json_string(type_name(s->mode)));
    json_object_set_new(o, "size", json_integer((json_int_t)(S_ISDIR(s->mode) ? 0 : s->size)));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    char *line = talloc_asprintf(mem, "%s\n", text);
    free(text);
    return line;
}
