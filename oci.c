/* The OCI executor's description: the plan as a runtime-spec 1.0.2
 * bundle (config.json and the files rootfs/ needs), for --emit-oci or a
 * run with runc, crun or runsc.
 *
 * Two stages, as the native executor has parse and build: describe_bundle
 * turns the plan into config.json (a jansson tree) plus a list of files to
 * create, checking that OCI can express every step; it reads the host
 * (what a bind shows, the caller's /etc/passwd line) but creates nothing.
 * Only then does create_bundle (bundle.c) write anything, so an option OCI
 * cannot express fails before a directory exists; runtime.c runs it.
 * oci-process.c describes the process. */
#define _GNU_SOURCE
#include "oci.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <talloc.h>
#include <unistd.h>

#include "seccomp.h"
#include "util.h"

/* ---- strings ---- */

/* JSON holds only UTF-8; a path that is not cannot be in config.json. */
json_t *text(const char *what, const char *s)
{
    json_t *j = json_string(s);
    if (j == NULL)
        die("%s: \"%s\" is not valid UTF-8, which JSON (config.json) cannot carry", what, s);
    return j;
}

bool is_utf8(const char *s)
{
    json_t *j = json_string(s);
    json_decref(j);
    return j != NULL;
}

void add_text(json_t *array, const char *what, const char *s)
{
    json_array_append_new(array, text(what, s));
}

/* DIR and REST (relative, or "/..." as cut from a longer path) joined
 * with one slash between: "/" and "/tmp" make "/tmp", not "//tmp". */
const char *path_join(void *mem, const char *dir, const char *rest)
{
    if (*rest == '\0')
        return talloc_strdup(mem, dir);
    if (strcmp(dir, "/") == 0)
        dir = "";
    return talloc_asprintf(mem, "%s%s%s", dir, *rest == '/' ? "" : "/", rest);
}

/* PATH without ".", ".." and doubled slashes, absolute. */
static char *normalize(void *mem, const char *path)
{
    char *out = talloc_strdup(mem, "");
    char *copy = talloc_strdup(mem, path);
    char *save = NULL;
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, ".") == 0)
            continue;
        if (strcmp(c, "..") == 0) {
            char *slash = strrchr(out, '/');
            if (slash)
                *slash = '\0';
            continue;
        }
        out = talloc_asprintf_append(out, "/%s", c);
    }
    return *out ? out : talloc_strdup(mem, "/");
}

/* Whether A is B or below it. */
bool at_or_below(const char *a, const char *b)
{
    size_t n = strlen(b);
    if (strcmp(b, "/") == 0)
        return true;
    return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

/* PATH inside, through the symlinks this bundle's rootfs holds, as the
 * runtime will resolve it (within the root). */
const char *resolve(struct oci *o, const char *path)
{
    char *p = normalize(o->mem, path);
    for (int hops = 0; hops < 40; hops++) {
        const struct symlink_rec *hit = NULL;
        for (size_t i = 0; i < o->n_links && !hit; i++)
            if (at_or_below(p, o->links[i].path))
                hit = &o->links[i];
        if (hit == NULL)
            return p;
        const char *rest = p + strlen(hit->path);
        char *parent = talloc_strndup(o->mem, hit->path, (size_t)(strrchr(hit->path, '/') - hit->path));
        const char *base = hit->target[0] == '/' ? "" : parent;
        p = normalize(o->mem, talloc_asprintf(o->mem, "%s/%s%s", base, hit->target, rest));
    }
    die("%s: too many levels of symbolic links", path);
}

/* The last mount at or above PATH, or NULL: what the command will see
 * there. */
const struct mount_rec *covering(const struct oci *o, const char *path)
{
    for (size_t i = o->n_recs; i-- > 0;)
        if (at_or_below(path, o->recs[i].dest))
            return &o->recs[i];
    return NULL;
}

/* ---- describing: config.json ---- */

/* A new mount at DEST hides the earlier ones at or below it, natively:
 * they go.  A runtime would mount them all, and read one kept at /dev as
 * a sign that /dev is the caller's (runc then makes no device nodes). */
static void hide_below(struct oci *o, const char *dest)
{
    size_t kept = 0;
    for (size_t i = 0; i < o->n_recs; i++) {
        if (o->recs[i].mount == o->root_mount || !at_or_below(o->recs[i].dest, dest)) {
            o->recs[kept++] = o->recs[i];
            continue;
        }
        size_t k;
        json_t *v;
        json_array_foreach(o->mounts, k, v)
            if (v == o->recs[i].mount) {
                json_array_remove(o->mounts, k);
                break;
            }
    }
    o->n_recs = kept;
}

static json_t *add_mount(struct oci *o, const struct step *s, const char *dest, const char *type,
                         const char *source, enum cover cover)
{
    const char *what = s ? s->option : "--dev";
    hide_below(o, dest);
    json_t *m = json_object();
    json_object_set_new(m, "destination", text(what, dest));
    json_object_set_new(m, "type", json_string(type));
    json_object_set_new(m, "source", text(what, source));
    json_object_set_new(m, "options", json_array());
    json_array_append_new(o->mounts, m);
    o->recs = talloc_realloc(o->mem, o->recs, struct mount_rec, o->n_recs + 1);
    o->recs[o->n_recs++] = (struct mount_rec){.dest = dest, .mount = m, .cover = cover};
    return m;
}

static void add_options(json_t *m, const char *const *opts)
{
    json_t *a = json_object_get(m, "options");
    for (; *opts; opts++)
        json_array_append_new(a, json_string(*opts));
}

static struct bundle_file *add_file(struct oci *o, enum file_kind kind, const char *path, mode_t mode,
                                    const char *option)
{
    o->files = talloc_realloc(o->mem, o->files, struct bundle_file, o->n_files + 1);
    struct bundle_file *f = &o->files[o->n_files++];
    *f = (struct bundle_file){.kind = kind, .path = path, .mode = mode, .option = option};
    return f;
}

static void add_parents(struct oci *o, const struct step *s, const char *inside)
{
    mode_t m = parent_mode_for(s);
    char *dir = talloc_strdup(o->mem, inside);
    for (char *slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        add_file(o, FILE_DIR, talloc_asprintf(o->mem, "rootfs%s", dir), m, s->option);
        *slash = '/';
    }
}

/* A new bundle file or directory, bound in at DEST. */
static const char *bundle_file_at(struct oci *o, const struct step *s, const char *dest, enum file_kind kind,
                                  bool readonly)
{
    const char *path = talloc_asprintf(o->mem, "files/%u", o->n_bundle_files++);
    add_file(o, kind, path, step_perms(s), s->option);
    json_t *m = add_mount(o, s, dest, "bind", path, COVER_NEW);
    o->recs[o->n_recs - 1].bundle_path = path;
    add_options(m, (const char *const[]){"rbind", "nosuid", "nodev", readonly ? "ro" : "rw", NULL});
    return path;
}

/* Whether host mount M shows something at PATH (below M's destination),
 * and then its mode in *MODE. */
static bool shown_by(struct oci *o, const struct mount_rec *m, const char *path, mode_t *mode)
{
    for (size_t i = 0; i < m->n_host; i++) {
        struct stat st;
        const char *host = path_join(o->mem, m->host[i], path + (strcmp(m->dest, "/") == 0 ? 0 : strlen(m->dest)));
        if (stat(host, &st) == 0) {
            *mode = st.st_mode;
            return true;
        }
    }
    return false;
}

/* Whether PATH exists inside as a directory: a host directory shown by a
 * mount, a mount point, or one the rootfs holds. */
bool dir_inside(struct oci *o, const char *path)
{
    const struct mount_rec *m = covering(o, path);
    mode_t mode;
    if (m && strcmp(m->dest, path) == 0)
        return true;
    if (m && m->cover == COVER_HOST)
        return shown_by(o, m, path, &mode) && S_ISDIR(mode);
    if (m)
        return false;
    if (strcmp(path, "/") == 0)
        return true;
    for (size_t i = 0; i < o->n_files; i++)
        if (o->files[i].kind == FILE_DIR && strncmp(o->files[i].path, "rootfs", 6) == 0 &&
            strcmp(o->files[i].path + 6, path) == 0)
            return true;
    return false;
}

static const char *realpath_of(struct oci *o, const struct step *s, const char *path, const char *role)
{
    char *real = realpath(path, NULL);
    if (real == NULL)
        die_errno("%s: %s %s", s->option, role, path);
    const char *r = talloc_strdup(o->mem, real);
    free(real);
    json_decref(text(s->option, r));
    return r;
}

bool has_option(json_t *m, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(m, "options"), i, v)
        if (strcmp(json_string_value(v), name) == 0)
            return true;
    return false;
}

/* bwrap's nosuid, nodev and ro hold for the mounts below a bind too;
 * OCI's apply to the top one only, its "r" forms (mount_setattr) to all.
 * runsc knows no "r" forms, and needs none: its bind mounts show the host
 * directories below as one filesystem of its own. */
static void recursive_options(const struct oci *o, json_t *m)
{
    struct stat st;
    if (o->kind == RT_RUNSC)
        return;
    /* nor do files: nothing is mounted below one (and crun takes the "r"
     * forms on a directory only) */
    if (stat(json_string_value(json_object_get(m, "source")), &st) == 0 && !S_ISDIR(st.st_mode))
        return;
    static const char *const flat[] = {"nosuid", "nodev", "ro"};
    static const char *const deep[] = {"rnosuid", "rnodev", "rro"};
    for (size_t i = 0; i < N_ELEMENTS(flat); i++)
        if (has_option(m, flat[i]) && !has_option(m, deep[i]))
            json_array_append_new(json_object_get(m, "options"), json_string(deep[i]));
}

/* A mount at / hides every step before it, natively: the description
 * starts again from an empty root, the bundle's rootfs/ (which stands for
 * the tmpfs bwrap's root is). */
static void start_root_again(struct oci *o)
{
    json_array_clear(o->mounts);
    json_decref(o->root_mount);
    o->root_mount = NULL;
    o->n_recs = 0;
    o->n_links = 0;
    size_t kept = 0;
    for (size_t i = 0; i < o->n_files; i++)
        if (strncmp(o->files[i].path, "rootfs/", 7) != 0 && strcmp(o->files[i].path, "rootfs") != 0)
            o->files[kept++] = o->files[i];
    o->n_files = kept;
    o->root_readonly = o->plan->root_readonly;
    /* crun opens rootfs/dev before any mount, even with no --dev */
    add_file(o, FILE_DIR, "rootfs/dev", 0755, "--dev");
}

/* --tmpfs /: a new empty root, the bundle's rootfs/ with the tmpfs's mode. */
static void describe_tmpfs_root(struct oci *o, const struct step *s)
{
    if (s->size)
        die("%s: the root's size cannot be expressed in OCI (the root is the bundle's rootfs/ directory)", s->option);
    start_root_again(o);
    add_file(o, FILE_CHMOD, "rootfs", step_perms(s), s->option);
}

/* bwrap's options for a bind of step S. */
static void bind_options(const struct oci *o, const struct step *s, json_t *m)
{
    add_options(m, (const char *const[]){"rbind", "nosuid", NULL});
    if (!(s->flags & STEP_DEVICES))
        add_options(m, (const char *const[]){"nodev", NULL});
    add_options(m, (const char *const[]){(s->flags & STEP_RO) ? "ro" : "rw", NULL});
    recursive_options(o, m);
}

static void show_host(struct oci *o, struct mount_rec *r, const char *src)
{
    r->host = talloc_array(o->mem, const char *, 1);
    r->host[0] = src;
    r->n_host = 1;
}

static void add_host_bind(struct oci *o, const struct step *s, const char *dest, const char *src)
{
    json_t *m = add_mount(o, s, dest, "bind", src, COVER_HOST);
    show_host(o, &o->recs[o->n_recs - 1], src);
    bind_options(o, s, m);
}

/* A bind at /.  No runtime takes a mount at / (crun refuses it, runc
 * then makes device nodes in the host's /dev) nor pivots into the root it
 * runs in (root.path "/"): the bundle's rootfs/ holds each entry of SRC
 * instead, a symlink as itself and anything else bound in with the
 * step's options.  rootfs/ itself stands in for SRC, so it is read-only:
 * a write there would not reach SRC as natively.  The mount at / is
 * described (root_mount, out of config.json) for the steps after it: what
 * it shows, and that a mount point it lacks cannot be made. */
static void describe_root_bind(struct oci *o, const struct step *s, const char *src)
{
    start_root_again(o);
    o->root_readonly = true;
    o->root_mount = json_pack("{s:s,s:s,s:o,s:[]}", "destination", "/", "type", "bind", "source", text(s->option, src),
                              "options");
    bind_options(o, s, o->root_mount);
    o->recs = talloc_realloc(o->mem, o->recs, struct mount_rec, o->n_recs + 1);
    o->recs[o->n_recs] = (struct mount_rec){.dest = "/", .mount = o->root_mount, .cover = COVER_HOST};
    show_host(o, &o->recs[o->n_recs++], src);
    struct dirent **names;
    int n = scandir(src, &names, NULL, alphasort);
    if (n < 0)
        die_errno("%s: can't list %s", s->option, src);
    for (int i = 0; i < n; i++) {
        const char *name = talloc_strdup(o->mem, names[i]->d_name);
        free(names[i]);
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        const char *host = path_join(o->mem, src, name), *dest = path_join(o->mem, "/", name);
        json_decref(text(s->option, host));
        char target[PATH_MAX];
        ssize_t len = readlink(host, target, sizeof target - 1);
        struct stat st;
        if (len < 0 && stat(host, &st) < 0)
            continue; /* gone since the listing */
        if (len < 0) {
            /* the mount point, as bwrap makes it (crun needs one) */
            bool dir = S_ISDIR(st.st_mode);
            bool readable = access(host, dir ? R_OK | X_OK : R_OK) == 0;
            add_file(o, dir ? FILE_DIR : FILE_DATA, talloc_asprintf(o->mem, "rootfs%s", dest),
                     readable ? (dir ? 0755 : 0444) : st.st_mode & 0777, s->option);
            /* A rootless crun cannot bind what its user cannot open (/root,
             * /lost+found), nor could the sandbox look inside: the empty
             * mount point, in the read-only root, stands in for it. */
            if (readable)
                add_host_bind(o, s, dest, host);
            continue;
        }
        target[len] = '\0';
        const char *t = talloc_strdup(o->mem, target);
        json_decref(text(s->option, t));
        add_file(o, FILE_SYMLINK, talloc_asprintf(o->mem, "rootfs%s", dest), 0, s->option)->target = t;
        o->links = talloc_realloc(o->mem, o->links, struct symlink_rec, o->n_links + 1);
        o->links[o->n_links++] = (struct symlink_rec){.path = dest, .target = t};
    }
    free(names);
}

static void describe_bind(struct oci *o, const struct step *s, const char *dest)
{
    if (s->fd >= 0)
        die("%s: an fd cannot be passed in an OCI bundle; bind its path instead", s->option);
    struct stat st;
    if ((s->flags & STEP_TRY) && stat(s->src, &st) < 0 && errno == ENOENT)
        return;
    const char *src = realpath_of(o, s, s->src, "source");
    /* --rw/--ro: natively the directories made to hold the path stay
     * read-only.  Made in rootfs/, they can be only by making the whole
     * root read-only, which is stricter than natively (there the rest of
     * the root stays writable) but never looser. */
    if ((s->flags & STEP_EXPOSE) && covering(o, dest) == NULL)
        o->root_readonly = true;
    if (strcmp(dest, "/") == 0)
        describe_root_bind(o, s, src);
    else
        add_host_bind(o, s, dest, src);
}

static void describe_overlay(struct oci *o, const struct step *s, const char *dest)
{
    /* runsc (as in Debian 12) skips a mount of type overlay without a
     * word: the command would see what lies under it */
    if (o->kind == RT_RUNSC)
        die("%s: runsc ignores overlay mounts in a bundle; use --runtime runc or crun", s->option);
    struct mount_rec rec = {.cover = (s->flags & STEP_TMP) ? COVER_NEW : COVER_HOST};
    rec.host = talloc_array(o->mem, const char *, s->n_layers + 1);
    /* overlayfs lists the top layer first; the plan the bottom first.
     * Its option syntax has no escape for these characters. */
    char *lower = talloc_strdup(o->mem, "lowerdir=");
    const char *upper = NULL, *work = NULL;
    if (s->src) {
        upper = realpath_of(o, s, s->src, "upper directory");
        work = realpath_of(o, s, s->work, "work directory");
        rec.host[rec.n_host++] = upper;
    }
    for (size_t i = s->n_layers; i-- > 0;) {
        const char *layer = realpath_of(o, s, s->layers[i], "layer");
        if (strpbrk(layer, ",:="))
            die("%s: %s: overlay options cannot carry a path with ',', ':' or '='", s->option, layer);
        lower = talloc_asprintf_append(lower, "%s%s", i + 1 == s->n_layers ? "" : ":", layer);
        rec.host[rec.n_host++] = layer;
    }
    if (s->flags & STEP_TMP) {
        unsigned n = o->n_bundle_files++;
        const char *base = talloc_asprintf(o->mem, "overlay-%u", n);
        add_file(o, FILE_DIR, base, 0700, s->option);
        add_file(o, FILE_DIR, talloc_asprintf(o->mem, "%s/upper", base), 0755, s->option);
        add_file(o, FILE_DIR, talloc_asprintf(o->mem, "%s/work", base), 0700, s->option);
        upper = talloc_asprintf(o->mem, "%s/upper", base);
        work = talloc_asprintf(o->mem, "%s/work", base);
    }
    if (s->src && (strpbrk(upper, ",:=") || strpbrk(work, ",:=")))
        die("%s: overlay options cannot carry a path with ',', ':' or '='", s->option);
    json_t *m = add_mount(o, s, dest, "overlay", "overlay", rec.cover);
    /* user.* xattrs, as the native executor: they work in a user namespace */
    add_options(m, (const char *const[]){lower, "userxattr", "nosuid", "nodev", NULL});
    if (upper)
        add_options(m, (const char *const[]){talloc_asprintf(o->mem, "upperdir=%s", upper),
                                             talloc_asprintf(o->mem, "workdir=%s", work), NULL});
    else
        add_options(m, (const char *const[]){"ro", NULL});
    struct mount_rec *r = &o->recs[o->n_recs - 1];
    r->host = rec.host;
    r->n_host = rec.n_host;
}

/* --dev: the runtime makes its own /dev (null, zero, full, random,
 * urandom, tty, ptmx); add what bwrap's has beside the device nodes. */
static void describe_dev(struct oci *o, const struct step *s, const char *dest)
{
    if (strcmp(dest, "/dev") != 0)
        die("%s: OCI runtimes make device nodes only in /dev", s->option);
    add_options(add_mount(o, s, "/dev", "tmpfs", "tmpfs", COVER_NEW),
                (const char *const[]){"nosuid", "strictatime", "mode=755", "size=65536k", NULL});
    add_options(add_mount(o, s, "/dev/pts", "devpts", "devpts", COVER_NEW),
                (const char *const[]){"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL});
    add_options(add_mount(o, s, "/dev/shm", "tmpfs", "shm", COVER_NEW),
                (const char *const[]){"nosuid", "noexec", "nodev", "mode=1777", NULL});
    /* mqueue belongs to the ipc namespace: only a new one can be mounted */
    if (o->ns & NS_IPC)
        add_options(add_mount(o, s, "/dev/mqueue", "mqueue", "mqueue", COVER_NEW),
                    (const char *const[]){"nosuid", "noexec", "nodev", NULL});
}

static void describe_data(struct oci *o, const struct step *s, const char *dest)
{
    if (fcntl(s->fd, F_GETFD) < 0)
        die_errno("%s", s->option);
    size_t len;
    char *data = read_fd_all(o->mem, s->fd, &len);
    if (data == NULL)
        die_errno("%s: can't read fd %d", s->option, s->fd);
    close(s->fd);
    const struct mount_rec *m = covering(o, dest);
    struct bundle_file *f;
    if (s->kind == STEP_FILE && m == NULL) {
        add_parents(o, s, dest);
        f = add_file(o, FILE_DATA, talloc_asprintf(o->mem, "rootfs%s", dest), step_perms(s), s->option);
    } else {
        if (s->kind == STEP_FILE && m->cover == COVER_HOST)
            die("%s: would write into the host directory mounted at %s, which OCI cannot express", s->option,
                m->dest);
        bundle_file_at(o, s, dest, FILE_DATA, s->flags & STEP_RO);
        f = &o->files[o->n_files - 1];
    }
    f->data = data;
    f->len = len;
}

static void describe_dir(struct oci *o, const struct step *s, const char *dest)
{
    const struct mount_rec *m = covering(o, dest);
    if (m == NULL) {
        add_parents(o, s, dest);
        add_file(o, FILE_DIR, talloc_asprintf(o->mem, "rootfs%s", dest), step_perms(s), s->option);
    } else if (!dir_inside(o, dest)) {
        if (m->cover == COVER_HOST)
            die("%s: would create a directory in the host directory mounted at %s, which OCI cannot express",
                s->option, m->dest);
        bundle_file_at(o, s, dest, FILE_DIR, false);
    }
}

static void describe_symlink(struct oci *o, const struct step *s, const char *dest)
{
    /* bwrap 0.11: an identical existing symlink is success */
    for (size_t i = 0; i < o->n_links; i++) {
        if (strcmp(o->links[i].path, dest) != 0)
            continue;
        if (strcmp(o->links[i].target, s->src) != 0)
            die_in(s->option, "Can't make symlink at %s: existing destination is %s", s->dest, o->links[i].target);
        return;
    }
    if (dir_inside(o, dest))
        die_in(s->option, "Can't make symlink at %s: destination exists and is not a symlink", s->dest);
    const struct mount_rec *m = covering(o, dest);
    if (m)
        die("%s: a symlink inside the mount at %s cannot be expressed in OCI (only in the root)", s->option,
            m->dest);
    json_decref(text(s->option, s->src));
    add_parents(o, s, dest);
    add_file(o, FILE_SYMLINK, talloc_asprintf(o->mem, "rootfs%s", dest), 0, s->option)->target = s->src;
    o->links = talloc_realloc(o->mem, o->links, struct symlink_rec, o->n_links + 1);
    o->links[o->n_links++] = (struct symlink_rec){.path = dest, .target = s->src};
}

static void set_mode_option(struct oci *o, json_t *m, int perms)
{
    json_t *opts = json_object_get(m, "options");
    size_t i;
    json_t *v;
    json_array_foreach(opts, i, v)
        if (strncmp(json_string_value(v), "mode=", 5) == 0)
            json_array_set_new(opts, i, json_string(talloc_asprintf(o->mem, "mode=%o", (unsigned)perms)));
}

static void describe_chmod(struct oci *o, const struct step *s, const char *dest)
{
    const struct mount_rec *m = covering(o, dest);
    if (m == NULL)
        add_file(o, FILE_CHMOD, talloc_asprintf(o->mem, "rootfs%s", dest), (mode_t)s->perms, s->option);
    else if (strcmp(m->dest, dest) == 0 && m->bundle_path)
        add_file(o, FILE_CHMOD, m->bundle_path, (mode_t)s->perms, s->option);
    else if (strcmp(m->dest, dest) == 0 && strcmp(json_string_value(json_object_get(m->mount, "type")), "tmpfs") == 0)
        set_mode_option(o, m->mount, s->perms);
    else
        die("%s: would change a file of the mount at %s, which OCI cannot express", s->option, m->dest);
}

static void describe_remount_ro(struct oci *o, const struct step *s, const char *dest)
{
    if (strcmp(dest, "/") == 0) {
        o->root_readonly = true;
        return;
    }
    for (size_t i = o->n_recs; i-- > 0;) {
        if (strcmp(o->recs[i].dest, dest) != 0)
            continue;
        json_t *opts = json_object_get(o->recs[i].mount, "options");
        size_t k;
        json_t *v;
        json_array_foreach(opts, k, v)
            if (strcmp(json_string_value(v), "rw") == 0)
                json_array_remove(opts, k--);
        json_array_append_new(opts, json_string("ro"));
        if (o->recs[i].cover == COVER_HOST)
            recursive_options(o, o->recs[i].mount);
        return;
    }
    die("%s: no mount at %s: OCI can make only a mount read-only", s->option, dest);
}

static void describe_proc(struct oci *o, const struct step *s, const char *dest)
{
    /* procfs shows the pid namespace it is mounted in: without a new one
     * (and in a user namespace, which may not mount it then) bind the
     * host's, as the native executor does. */
    if (o->kind != RT_RUNSC && !(o->ns & NS_PID)) {
        add_options(add_mount(o, s, dest, "bind", "/proc", COVER_HOST),
                    (const char *const[]){"rbind", "nosuid", "nodev", NULL});
        o->recs[o->n_recs - 1].n_host = 0;
    } else {
        add_options(add_mount(o, s, dest, "proc", "proc", COVER_NEW),
                    (const char *const[]){"nosuid", "nodev", "noexec", NULL});
    }
}

/* PATH with its parent resolved, but not its last component: a step
 * that creates something at PATH (--symlink) acts on a symlink there, not
 * on what it points to. */
static const char *resolve_parent(struct oci *o, const char *path)
{
    char *norm = normalize(o->mem, path);
    char *slash = strrchr(norm, '/');
    if (slash == norm + strlen(norm) - 1) /* "/" */
        return norm;
    *slash = '\0';
    return path_join(o->mem, resolve(o, *norm ? norm : "/"), slash + 1);
}

/* The index in mounts right after mount M; 0 for the root's, which is
 * not in mounts. */
size_t index_after(const struct oci *o, const json_t *m)
{
    size_t i;
    json_t *v;
    json_array_foreach(o->mounts, i, v)
        if (v == m)
            return i + 1;
    return 0;
}

/* Without a mount at /dev, runc and crun fill the container's /dev with
 * device nodes and replace /dev/ptmx: where a host bind shows /dev that
 * would be the host's /dev (--dev-bind / /).  A bind of that directory at
 * /dev itself, as the mount showing it has it, keeps them out. */
static void keep_runtime_out_of_host_dev(struct oci *o)
{
    const struct mount_rec *m = covering(o, "/dev");
    if (o->kind == RT_RUNSC || m == NULL || m->cover != COVER_HOST || m->n_host == 0 || strcmp(m->dest, "/dev") == 0)
        return;
    if (strcmp(json_string_value(json_object_get(m->mount, "type")), "bind") != 0)
        die("%s: the runtime would make device nodes in the host directories shown at /dev; add --dev /dev or "
            "--tmpfs /dev", json_string_value(json_object_get(m->mount, "destination")));
    const char *host = path_join(o->mem, m->host[0], "/dev"); /* m->dest can only be "/" */
    struct stat st;
    if (stat(host, &st) < 0 || !S_ISDIR(st.st_mode))
        die("%s: the runtime would make device nodes in %s on the host; add --dev /dev or --tmpfs /dev",
            json_string_value(json_object_get(m->mount, "destination")), host);
    json_array_insert_new(o->mounts, index_after(o, m->mount),
                          json_pack("{s:s,s:s,s:s,s:o}", "destination", "/dev", "type", "bind", "source", host,
                                    "options", json_deep_copy(json_object_get(m->mount, "options"))));
}

/* crun opens /dev/null inside for each of the command's stdin, stdout
 * and stderr that is /dev/null outside: where /dev shows the host's
 * without devices (nodev: --ro-bind / /), that fails and nothing runs.
 * /dev/null alone is bound with devices allowed: it gives no access. */
static void let_crun_open_dev_null(struct oci *o)
{
    const struct mount_rec *m = covering(o, "/dev/null");
    if (o->kind != RT_CRUN || m == NULL || m->cover != COVER_HOST || m->n_host == 0 || !has_option(m->mount, "nodev"))
        return;
    /* /dev/null below the covering mount's destination, on its host source */
    static const char dev_null[] = "/dev/null";
    const char *below = &dev_null[strcmp(m->dest, "/") == 0 ? 0 : strlen(m->dest)];
    const char *host = path_join(o->mem, m->host[0], below);
    struct stat st;
    if (stat(host, &st) < 0 || !S_ISCHR(st.st_mode))
        return;
    json_array_append_new(o->mounts, json_pack("{s:s,s:s,s:s,s:[s,s]}", "destination", "/dev/null", "type", "bind",
                                               "source", host, "options", "bind", "nosuid"));
}

static void describe_step(struct oci *o, const struct step *s)
{
    const char *dest = s->kind == STEP_SYMLINK ? resolve_parent(o, s->dest) : resolve(o, s->dest);
    json_decref(text(s->option, dest));
    /* The directories above a mount point in rootfs/ are made here, with
     * the native modes, rather than by the runtime: a later --chmod may
     * name one. */
    bool mounts_here = s->kind == STEP_BIND || s->kind == STEP_BIND_DATA || s->kind == STEP_PROC ||
                       s->kind == STEP_DEV || s->kind == STEP_TMPFS || s->kind == STEP_MQUEUE ||
                       s->kind == STEP_OVERLAY;
    if (mounts_here && strcmp(dest, "/") == 0 && s->kind != STEP_BIND) {
        if (s->kind != STEP_TMPFS)
            die("%s: OCI takes only a bind or a tmpfs (the bundle's rootfs/) as the root", s->option);
        describe_tmpfs_root(o, s);
        return;
    }
    const struct mount_rec *under = covering(o, dest);
    mode_t mode;
    if (mounts_here && under == NULL)
        add_parents(o, s, dest);
    else if (mounts_here && under->cover == COVER_HOST && under->n_host > 0 && strcmp(under->dest, dest) != 0 &&
             !shown_by(o, under, dest, &mode) && !(s->kind == STEP_BIND && (s->flags & STEP_TRY)))
        die("%s: the runtime would create the mount point %s in the host directory mounted at %s, which OCI cannot "
            "express", s->option, dest, under->dest);
    switch (s->kind) {
    case STEP_BIND:
        describe_bind(o, s, dest);
        break;
    case STEP_REMOUNT_RO:
        describe_remount_ro(o, s, dest);
        break;
    case STEP_PROC:
        describe_proc(o, s, dest);
        break;
    case STEP_DEV:
        describe_dev(o, s, dest);
        break;
    case STEP_TMPFS: {
        json_t *m = add_mount(o, s, dest, "tmpfs", "tmpfs", COVER_NEW);
        add_options(m, (const char *const[]){"nosuid", "nodev", talloc_asprintf(o->mem, "mode=%o", step_perms(s)), NULL});
        if (s->size)
            add_options(m, (const char *const[]){talloc_asprintf(o->mem, "size=%llu", (unsigned long long)s->size), NULL});
        break;
    }
    case STEP_MQUEUE:
        add_options(add_mount(o, s, dest, "mqueue", "mqueue", COVER_NEW),
                    (const char *const[]){"nosuid", "noexec", "nodev", NULL});
        break;
    case STEP_DIR:
        describe_dir(o, s, dest);
        break;
    case STEP_FILE:
    case STEP_BIND_DATA:
        describe_data(o, s, dest);
        break;
    case STEP_SYMLINK:
        describe_symlink(o, s, dest);
        break;
    case STEP_CHMOD:
        describe_chmod(o, s, dest);
        break;
    case STEP_OVERLAY:
        describe_overlay(o, s, dest);
        break;
    }
}

/* ---- describing: users ---- */

/* The caller's line in the host's FILE ("/etc/passwd"), split at ':'; or
 * NULL.  Read directly: NSS does not work in a static binary. */
static char **host_entry(void *mem, const char *file, unsigned id, size_t fields)
{
    FILE *f = fopen(file, "re");
    char line[4096];
    char **out = NULL;
    while (f && !out && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        /* the id is the third field: copy only the line that has ours */
        const char *id_field = strchr(line, ':');
        id_field = id_field ? strchr(id_field + 1, ':') : NULL;
        if (id_field == NULL || strtoul(id_field + 1, NULL, 10) != id)
            continue;
        char **v = talloc_zero_array(mem, char *, fields);
        char *rest = talloc_strdup(v, line);
        size_t k = 0;
        for (char *c = rest; k < fields; k++) {
            char *colon = strchr(c, ':');
            v[k] = c;
            if (colon == NULL)
                break;
            *colon = '\0';
            c = colon + 1;
        }
        if (k >= 2 && v[2] && strtoul(v[2], NULL, 10) == id && is_utf8(line))
            out = v;
        else
            talloc_free(v);
    }
    if (f)
        fclose(f);
    return out;
}

/* /etc/passwd and /etc/group that name the caller inside, at the ids the
 * command runs as, unless the plan puts its own there. */
static void describe_users(struct oci *o)
{
    const char *const files[] = {"/etc/passwd", "/etc/group"};
    for (int i = 0; i < 2; i++) {
        const char *path = resolve(o, files[i]);
        bool given = covering(o, path) != NULL;
        for (size_t k = 0; k < o->n_files; k++)
            given |= strncmp(o->files[k].path, "rootfs", 6) == 0 && strcmp(o->files[k].path + 6, path) == 0;
        if (given)
            continue;
        char *data;
        if (i == 0) {
            char **pw = host_entry(o->mem, "/etc/passwd", o->real_uid, 7);
            const char *name = pw && pw[0] ? pw[0] : getenv("USER") && is_utf8(getenv("USER")) ? getenv("USER") : "user";
            data = talloc_asprintf(o->mem, "%s:x:%u:%u:%s:%s:%s\n", name, o->uid, o->gid,
                                   pw && pw[4] ? pw[4] : name, pw && pw[5] ? pw[5] : "/",
                                   pw && pw[6] ? pw[6] : "/bin/sh");
            /* each name and id once: getpwnam must find the caller */
            if (o->uid != 0 && strcmp(name, "root") != 0)
                data = talloc_asprintf_append(data, "root:x:0:0:root:/root:/bin/sh\n");
            if (o->uid != 65534 && strcmp(name, "nobody") != 0)
                data = talloc_asprintf_append(data, "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        } else {
            char **gr = host_entry(o->mem, "/etc/group", o->real_gid, 4);
            const char *name = gr && gr[0] ? gr[0] : "users";
            data = talloc_asprintf(o->mem, "%s:x:%u:\n", name, o->gid);
            if (o->gid != 0 && strcmp(name, "root") != 0)
                data = talloc_asprintf_append(data, "root:x:0:\n");
            if (o->gid != 65534 && strcmp(name, "nogroup") != 0)
                data = talloc_asprintf_append(data, "nogroup:x:65534:\n");
        }
        struct step s = {.kind = STEP_FILE, .perms = 0644, .option = "generated /etc/passwd"};
        add_parents(o, &s, path);
        struct bundle_file *f = add_file(o, FILE_DATA, talloc_asprintf(o->mem, "rootfs%s", path), 0644, s.option);
        f->data = data;
        f->len = strlen(data);
    }
}

/* ---- describing: the whole bundle ---- */

void free_config(struct oci *o)
{
    json_decref(o->config);
    json_decref(o->root_mount);
    o->config = o->mounts = o->root_mount = NULL;
    o->recs = NULL, o->n_recs = 0; /* their mounts were in config */
}

static json_t *id_map(unsigned inside, unsigned outside)
{
    return json_pack("[{s:I,s:I,s:i}]", "containerID", (json_int_t)inside, "hostID", (json_int_t)outside, "size", 1);
}

static json_t *strings(const char *const *v)
{
    json_t *a = json_array();
    for (; *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

void describe_bundle(struct oci *o)
{
    const struct plan *p = o->plan;
    if ((p->exec_label || p->file_label) && !selinux_enabled())
        die("labeling not supported on this system");
    refuse_inexpressible(o);
    resolve_ids(o);
    o->config = json_object();
    o->mounts = json_array();
    start_root_again(o);
    for (size_t i = 0; i < p->n_steps; i++)
        describe_step(o, &p->steps[i]);
    /* runc and crun need a /proc in the sandbox (runc reads
     * /proc/self/fd before exec): mount one when the plan has none */
    bool has_proc = false;
    for (size_t i = 0; i < o->n_recs; i++)
        has_proc |= strcmp(o->recs[i].dest, "/proc") == 0;
    if (!has_proc && o->kind != RT_RUNSC) {
        struct step proc = {.kind = STEP_PROC, .option = "the runtime's /proc", .dest = "/proc"};
        describe_proc(o, &proc, "/proc");
    }
    keep_runtime_out_of_host_dev(o);
    let_crun_open_dev_null(o);
    describe_users(o);

    json_t *c = o->config;
    json_object_set_new(c, "ociVersion", json_string("1.0.2"));
    json_object_set_new(c, "process", process_json(o));
    json_object_set_new(c, "root", json_pack("{s:s,s:b}", "path", "rootfs", "readonly", o->root_readonly));
    if (p->hostname)
        json_object_set_new(c, "hostname", text("--hostname", p->hostname));
    json_object_set_new(c, "mounts", o->mounts);

    json_t *lnx = json_object(); /* "linux" is a macro under gnu11 */
    static const struct { unsigned ns; const char *type; } types[] = {
        {NS_PID, "pid"}, {NS_NET, "network"}, {NS_IPC, "ipc"}, {NS_UTS, "uts"}, {NS_USER, "user"}, {NS_CGROUP, "cgroup"},
    };
    json_t *ns = json_array();
    json_array_append_new(ns, json_pack("{s:s}", "type", "mount"));
    for (size_t i = 0; i < N_ELEMENTS(types); i++) {
        if (!(o->ns & types[i].ns))
            continue;
        /* runsc makes its own user namespace, and --network decides its
         * network (see runtime_argv) */
        if (o->kind == RT_RUNSC && (types[i].ns == NS_USER || types[i].ns == NS_NET))
            continue;
        json_array_append_new(ns, json_pack("{s:s}", "type", types[i].type));
    }
    json_object_set_new(lnx, "namespaces", ns);
    if (o->userns) {
        /* in bwrapper's own user namespace the caller is 0 */
        json_object_set_new(lnx, "uidMappings", id_map(o->uid, o->own_userns ? 0 : o->real_uid));
        json_object_set_new(lnx, "gidMappings", id_map(o->gid, o->own_userns ? 0 : o->real_gid));
    }
    /* runsc applies a bundle's seccomp profile only with --oci-seccomp,
     * and then not every action: refused rather than dropped */
    if (p->seccomp_profile && o->kind == RT_RUNSC)
        die("--seccomp-profile: runsc ignores a bundle's seccomp profile; use --runtime runc or crun");
    if (p->seccomp_profile)
        json_object_set_new(lnx, "seccomp", seccomp_profile_to_oci_json(p->seccomp_profile, o->caps));
    /* as `runc spec` sets them */
    json_object_set_new(lnx, "maskedPaths",
                        strings((const char *const[]){"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                                                      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                                      "/proc/sched_debug", "/sys/firmware", "/proc/scsi", NULL}));
    json_object_set_new(lnx, "readonlyPaths",
                        strings((const char *const[]){"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                      "/proc/sysrq-trigger", NULL}));
    if (p->file_label)
        json_object_set_new(lnx, "mountLabel", text("--file-label", p->file_label));
    json_object_set_new(c, "linux", lnx);
}
