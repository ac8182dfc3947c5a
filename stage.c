/* --stage: the private stage directory, its snapshot of the host path, and
 * what happens after the command (--changes-fd, --stage-end), and the
 * stage commands --commit, --discard and --diff. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <talloc.h>
#include <unistd.h>

#include "stage.h"
#include "util.h"

struct stage {
    struct stage_dir sd;
    const char *upper, *work; /* for the overlay */
    pid_t owner;              /* the process that made it and removes it on failure */
};

const char *stage_upper(const struct stage *st)
{
    return st->upper;
}

const char *stage_work(const struct stage *st)
{
    return st->work;
}

/* ---- where the stage lives ---- */

/* Whether the host path REAL shows in the sandbox: a step takes a host
 * path at or above it. */
static bool shown_in_sandbox(const struct plan *p, const char *real)
{
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct step *s = &p->steps[i];
        char fdpath[64];
        snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", s->fd);
        const char *own = s->kind == STEP_BIND && s->fd >= 0 ? fdpath : (s->kind == STEP_BIND || s->kind == STEP_OVERLAY) ? s->src : NULL;
        for (size_t k = 0; k <= s->n_layers; k++) {
            const char *src = k == 0 ? own : s->layers[k - 1];
            char *r = src ? realpath(src, NULL) : NULL;
            size_t len = r ? strlen(r) : 0;
            bool above = r && strncmp(r, real, len) == 0 && (real[len] == '/' || real[len] == '\0' || len == 1);
            free(r);
            if (above)
                return true;
        }
    }
    return false;
}

/* $XDG_RUNTIME_DIR when it is ours, else /tmp or /var/tmp: the first the
 * sandbox cannot see, since the upper layer and the snapshot decide what
 * a commit writes on the host. */
static const char *stage_base(const struct plan *p)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    if (xdg == NULL || *xdg != '/' || lstat(xdg, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        ((st.st_mode & 022) && !(st.st_mode & S_ISVTX)))
        xdg = NULL;
    const char *bases[] = {xdg, "/tmp", "/var/tmp"};
    for (size_t i = 0; i < N_ELEMENTS(bases); i++) {
        char *real = bases[i] ? realpath(bases[i], NULL) : NULL;
        bool ok = real && !shown_in_sandbox(p, real);
        free(real);
        if (ok)
            return bases[i];
    }
    die("--stage %s: the sandbox could see the stage in each of $XDG_RUNTIME_DIR, /tmp and /var/tmp; hide one "
        "of them (do not bind it or a directory above it)",
        p->stage_path);
}

static void write_file_at(int dirfd, const char *name, const char *text, const char *what)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0 || close(fd) < 0)
        die_errno("%s: can't write %s", what, name);
}

static struct stage *failed_stage;

static void remove_failed_stage(void)
{
    if (failed_stage != NULL && failed_stage->owner == getpid())
        stage_remove(&failed_stage->sd);
}

struct stage *stage_begin(void *mem, const struct plan *p)
{
    struct stage *st = talloc_zero(mem, struct stage);
    if (p->changes_fd != -1 && fcntl(p->changes_fd, F_GETFD) < 0)
        die_errno("--changes-fd %d", p->changes_fd);
    const char *base = stage_base(p);
    char *dir = talloc_asprintf(st, "%s/bwrapper-stage-XXXXXX", base);
    if (mkdtemp(dir) == NULL)
        die_errno("--stage %s: can't create a stage directory in %s", p->stage_path, base);
    st->sd.dir = dir;
    st->sd.target = p->stage_path;
    st->sd.id = strrchr(dir, '-') + 1;
    st->owner = getpid();
    st->sd.fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (st->sd.fd < 0)
        die_errno("--stage %s: can't open %s", p->stage_path, dir);
    failed_stage = st;
    die_cleanup = remove_failed_stage;

    int lower = open(p->stage_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat ls;
    if (lower < 0 || fstat(lower, &ls) < 0)
        die_errno("--stage %s", p->stage_path);
    /* The merged root takes the upper root's mode: the host's. */
    if (mkdirat(st->sd.fd, "upper", 0700) < 0 || fchmodat(st->sd.fd, "upper", ls.st_mode & 07777, 0) < 0 ||
        mkdirat(st->sd.fd, "work", 0700) < 0)
        die_errno("--stage %s: can't create the upper layer in %s", p->stage_path, dir);
    json_t *o = json_object();
    json_object_set_new(o, "target", text_json(p->stage_path));
    json_object_set_new(o, "id", json_string(st->sd.id));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    write_file_at(st->sd.fd, "stage.json", text, "--stage");
    free(text);
    snapshot_write(st->sd.fd, lower, p->stage_path);
    close(lower);
    /* Paths, not fds: overlayfs takes its upper layer only from a mount of
     * the mounting namespace, so the sandbox opens them in its own.  No
     * one else can rename what is in a private directory. */
    st->upper = talloc_asprintf(st, "%s/upper", dir);
    st->work = talloc_asprintf(st, "%s/work", dir);
    return st;
}

/* ---- opening a kept stage ---- */

static int open_layer(const struct stage_dir *sd, const char *name)
{
    int fd = openat(sd->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        die_errno("%s: can't open %s/%s", sd->dir, sd->dir, name);
    return fd;
}

static int open_target(const struct stage_dir *sd)
{
    int fd = open(sd->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        die_errno("%s: can't open the stage's path %s", sd->dir, sd->target);
    return fd;
}

struct change_list stage_changes(void *mem, const struct stage_dir *sd)
{
    int upper = open_layer(sd, "upper"), lower = open_target(sd);
    struct change_list cl = changes_find(mem, upper, lower);
    close(upper);
    close(lower);
    return cl;
}

/* DIR must be a stage bwrapper made for this user: private, with its
 * stage.json.  A finished commit's DIR may have no stage.json left. */
static void stage_open(void *mem, struct stage_dir *sd, const char *dir, const char *option)
{
    sd->dir = dir;
    sd->fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (sd->fd < 0 || fstat(sd->fd, &st) < 0)
        die_errno("%s %s", option, dir);
    if (st.st_uid != getuid() || (st.st_mode & 077))
        die("%s %s: not a private stage directory of this user (mode %04o, owner %u)", option, dir,
            (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
    if (faccessat(sd->fd, "committed", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return;
    int fd = openat(sd->fd, "stage.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    char *text = fd >= 0 ? read_fd_all(mem, fd, NULL) : NULL;
    if (fd >= 0)
        close(fd);
    json_t *o = text ? json_loads(text, JSON_ALLOW_NUL, NULL) : NULL;
    const char *target = o ? text_from_json(mem, json_object_get(o, "target")) : NULL;
    const char *id = o ? json_string_value(json_object_get(o, "id")) : NULL;
    if (target == NULL || id == NULL || *target != '/' || strchr(id, '/') != NULL)
        die("%s %s: not a stage directory (no valid stage.json)", option, dir);
    sd->target = target;
    sd->id = talloc_strdup(mem, id);
    json_decref(o);
}

/* ---- after the command ---- */

static void write_changes(void *mem, const struct change_list *cl, const char *target, int fd)
{
    for (size_t i = 0; i < cl->n; i++) {
        char *line = change_json_line(mem, &cl->v[i], target);
        if (write_all(fd, line, strlen(line)) < 0)
            die_errno("--changes-fd %d: can't write", fd);
        talloc_free(line);
    }
}

static void print_changes(void *mem, const struct change_list *cl, const char *target, FILE *out)
{
    for (size_t i = 0; i < cl->n; i++) {
        const struct change *c = &cl->v[i];
        const char *path = strcmp(c->path, ".") == 0 ? target : talloc_asprintf(mem, "%s/%s", target, c->path);
        fprintf(out, "  %-9s %s%s\n", change_kind_name(c->kind), path,
                S_ISDIR((c->upper.exists ? c->upper : c->lower).mode) ? "/" : "");
    }
}

static void keep(const struct stage_dir *sd, size_t n)
{
    fprintf(stderr, "%s: %zu change%s to %s staged in %s (review: --diff %s; then --commit or --discard it)\n",
            prog_name, n, n == 1 ? "" : "s", sd->target, sd->dir, sd->dir);
}

static enum stage_end ask(void *mem, const struct stage_dir *sd, const struct change_list *cl)
{
    fprintf(stderr, "%s: the command changed %s:\n", prog_name, sd->target);
    print_changes(mem, cl, sd->target, stderr);
    for (;;) {
        fprintf(stderr, "%s: commit these %zu changes? [c]ommit, [d]iscard, [k]eep for later: ", prog_name, cl->n);
        fflush(stderr);
        char line[64];
        if (fgets(line, sizeof line, stdin) == NULL)
            return STAGE_END_KEEP;
        switch (line[0]) {
        case 'c': case 'C': case 'y': case 'Y': return STAGE_END_COMMIT;
        case 'd': case 'D': return STAGE_END_DISCARD;
        case 'k': case 'K': case 'n': case 'N': case '\n': return STAGE_END_KEEP;
        }
    }
}

int stage_end(struct stage *st, const struct plan *p, int status)
{
    /* From here on the stage holds the command's work: a failure keeps it. */
    die_cleanup = NULL;
    void *mem = talloc_new(NULL);
    struct change_list cl = stage_changes(mem, &st->sd);
    if (p->changes_fd != -1)
        write_changes(mem, &cl, st->sd.target, p->changes_fd);
    enum stage_end end = p->stage_end;
    if (end == STAGE_END_DEFAULT)
        end = isatty(STDIN_FILENO) && isatty(STDERR_FILENO) ? STAGE_END_ASK : STAGE_END_KEEP;
    if (cl.n == 0)
        end = STAGE_END_DISCARD;
    else if (end == STAGE_END_ASK)
        end = ask(mem, &st->sd, &cl);
    switch (end) {
    case STAGE_END_COMMIT: stage_commit(mem, &st->sd); break;
    case STAGE_END_DISCARD: stage_remove(&st->sd); break;
    default: keep(&st->sd, cl.n); break;
    }
    close(st->sd.fd);
    talloc_free(mem);
    return status;
}

/* ---- --diff ---- */

/* diff -u of two files, labelled as git labels them; /usr/bin/diff does
 * the work (and says "Binary files ... differ" for non-text). */
static void diff_files(const char *a, const char *b, const char *label_a, const char *label_b)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die_errno("--diff: fork");
    if (pid == 0) {
        execl("/usr/bin/diff", "diff", "-u", "--label", label_a, "--label", label_b, a, b, (char *)NULL);
        fprintf(stderr, "%s: --diff: can't run /usr/bin/diff: %s\n", prog_name, strerror(errno));
        _exit(2);
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR)
            die_errno("--diff: waitpid");
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) > 1)
        die("--diff: diff failed on %s", label_b);
}

static void diff_change(void *mem, const struct stage_dir *sd, const struct change *c)
{
    const char *upper = talloc_asprintf(mem, "%s/upper/%s", sd->dir, c->path);
    const char *lower = talloc_asprintf(mem, "%s/%s", sd->target, c->path);
    bool u_file = c->upper.exists && S_ISREG(c->upper.mode), l_file = c->lower.exists && S_ISREG(c->lower.mode);
    if (c->kind == CHANGE_METADATA || (!u_file && !l_file)) {
        const struct path_state *s = c->upper.exists ? &c->upper : &c->lower;
        printf("# %s %s (mode %04o)\n", change_kind_name(c->kind), c->path, (unsigned)(s->mode & 07777));
        return;
    }
    diff_files(l_file ? lower : "/dev/null", u_file ? upper : "/dev/null",
               l_file ? talloc_asprintf(mem, "a/%s", c->path) : "/dev/null",
               u_file ? talloc_asprintf(mem, "b/%s", c->path) : "/dev/null");
}

/* ---- --commit, --discard, --diff DIR ---- */

int stage_act(const struct plan *p)
{
    static const char *const names[] = {[STAGE_ACTION_COMMIT] = "--commit", [STAGE_ACTION_DISCARD] = "--discard",
                                        [STAGE_ACTION_DIFF] = "--diff"};
    void *mem = talloc_new(NULL);
    struct stage_dir sd;
    stage_open(mem, &sd, p->stage_dir, names[p->stage_action]);
    switch (p->stage_action) {
    case STAGE_ACTION_COMMIT:
        stage_commit(mem, &sd);
        break;
    case STAGE_ACTION_DISCARD:
        if (stage_commit_started(&sd))
            die("--discard %s: a commit of it is under way; finish it with --commit %s", sd.dir, sd.dir);
        commit_discard_temp(&sd);
        stage_remove(&sd);
        break;
    case STAGE_ACTION_DIFF: {
        if (sd.target == NULL)
            die("--diff %s: already committed", sd.dir);
        struct change_list cl = stage_changes(mem, &sd);
        for (size_t i = 0; i < cl.n; i++)
            diff_change(mem, &sd, &cl.v[i]);
        if (fflush(stdout) != 0)
            die_errno("--diff: can't write");
        break;
    }
    case STAGE_ACTION_NONE:
        break;
    }
    close(sd.fd);
    talloc_free(mem);
    return 0;
}
