/* bwrapper: entry point, the option table, and argv -> plan.
 *
 * Parsing validates and records; it mounts, clones and writes nothing.  The
 * only side effect allowed is reading the fds given to --args. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <talloc.h>
#include <unistd.h>

#include "oci.h"
#include "plan.h"
#include "seccomp.h"
#include "stage.h"
#include "util.h"

#define BWRAPPER_VERSION "0.1.0"
#define BWRAP_COMPAT_VERSION "0.11.1"

/* bwrap's limit on arguments, counting those read through --args. */
#define MAX_ARGS 9000

struct parser {
    struct plan *plan;
    int next_perms;      /* from --perms, for the next option only */
    uint64_t next_size;  /* from --size, for the next option only */
    const char **layers; /* --overlay-src given since the last overlay option */
    size_t n_layers;
    size_t total_args;
    bool in_file;        /* parsing an --args file */
    enum print_what print;
};

struct option_def;
typedef void handler_fn(struct parser *ps, const struct option_def *opt, const char *const *args);

struct option_def {
    const char *name;
    int nargs;
    handler_fn *handle;
    size_t data; /* handler-specific: NS_*, STEP_*, a plan field offset */
    const char *args_help;
    const char *help;
};

static const struct option_def options[];

/* ---- argument values ---- */

static int parse_fd(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > INT_MAX)
        die("%s: invalid fd: %s", opt, s);
    return (int)v;
}

static int64_t parse_id(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    /* (uid_t)-1 means "no change" to the kernel, so it is no id. */
    if (errno || end == s || *end || *s == '-' || v >= UINT32_MAX)
        die("%s: invalid id: %s", opt, s);
    return (int64_t)v;
}

static int parse_octal(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 8);
    if (errno || end == s || *end || *s == '-' || v > 07777)
        die("%s takes an octal argument <= 07777", opt);
    return (int)v;
}

static uint64_t parse_size(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || !(*s >= '0' && *s <= '9') || *end || v == 0 || v > SIZE_MAX)
        die("%s takes a non-zero number of bytes", opt);
    return (uint64_t)v;
}

static uint64_t parse_cap(const char *opt, const char *s)
{
    if (strcasecmp(s, "ALL") == 0)
        return ~(uint64_t)0;
    cap_value_t cap;
    /* libcap knows "cap_sys_admin" (any case) and numbers; bare
     * "sys_admin" is accepted too, which bwrap refuses. */
    if (cap_from_name(s, &cap) < 0) {
        char name[64];
        if (snprintf(name, sizeof name, "cap_%s", s) >= (int)sizeof name ||
            cap_from_name(name, &cap) < 0)
            die("%s: unknown capability: %s", opt, s);
    }
    if (cap < 0 || cap > CAP_LAST_CAP)
        die("%s: unknown capability: %s", opt, s);
    return (uint64_t)1 << cap;
}

/* ---- recording ---- */

static struct step *add_step(struct parser *ps, enum step_kind kind, unsigned flags,
                             const char *opt, const char *const *args, int nargs)
{
    struct plan *p = ps->plan;
    p->steps = talloc_realloc(p, p->steps, struct step, p->n_steps + 1);
    struct step *s = &p->steps[p->n_steps++];
    *s = (struct step){.kind = kind, .flags = flags, .fd = -1, .perms = PERMS_UNSET};
    char *what = talloc_strdup(p, opt);
    for (int i = 0; i < nargs; i++)
        what = talloc_asprintf_append(what, " %s", args[i]);
    s->option = what;
    return s;
}

/* --perms and --size bind to the option right after them; an option that
 * cannot use them is an error, as in bwrap. */
static int take_perms(struct parser *ps)
{
    int perms = ps->next_perms;
    ps->next_perms = PERMS_UNSET;
    return perms;
}

static void push_string(void *ctx, const char ***arr, size_t *n, const char *s)
{
    *arr = talloc_realloc(ctx, *arr, const char *, *n + 1);
    (*arr)[(*n)++] = talloc_strdup(ctx, s);
}

/* ---- handlers ---- */

static void usage(const struct parser *ps, int status, FILE *out);
/* argv[0] as given: bwrap's usage line names the program that way. */
static const char *invoked_as = "bwrapper";

static void h_help(struct parser *ps, const struct option_def *o, const char *const *a)
{
    (void)o, (void)a;
    usage(ps, 0, stdout);
}

static void h_version(struct parser *ps, const struct option_def *o, const char *const *a)
{
    (void)ps, (void)o, (void)a;
    /* Under the name bwrap, lead with the bubblewrap version we match, so
     * scripts that parse "bubblewrap X.Y.Z" keep working. */
    if (strcmp(prog_name, "bwrap") == 0)
        printf("bubblewrap %s (bwrapper %s)\n", BWRAP_COMPAT_VERSION, BWRAPPER_VERSION);
    else
        printf("bwrapper %s (bubblewrap %s compatible)\n", BWRAPPER_VERSION, BWRAP_COMPAT_VERSION);
    exit(0);
}

static void parse_list(struct parser *ps, int argc, const char *const *argv, bool in_file);

static void h_args(struct parser *ps, const struct option_def *o, const char *const *a)
{
    if (ps->in_file)
        die("--args not supported in arguments file");
    int fd = parse_fd(o->name, a[0]);
    size_t len;
    char *data = read_fd_all(ps->plan, fd, &len);
    if (data == NULL)
        die_errno("%s %s: can't read", o->name, a[0]);
    close(fd);
    /* NUL-separated; a trailing NUL ends the last argument, it does not
     * start an empty one. */
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (data[i] == '\0')
            n++;
    if (len > 0 && data[len - 1] != '\0')
        n++;
    const char **list = talloc_array(data, const char *, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < len; i += strlen(data + i) + 1)
        list[k++] = data + i;
    list[k] = NULL;
    parse_list(ps, (int)k, list, true);
}

/* Options that set one plan field; data is the field's offset. */
#define FIELD(p, o, type) ((type *)((char *)(p) + (o)->data))

static void h_flag(struct parser *ps, const struct option_def *o, const char *const *a)
{
    (void)a;
    *FIELD(ps->plan, o, bool) = true;
}

static void h_level_prefix(struct parser *ps, const struct option_def *o, const char *const *a)
{
    (void)o, (void)a;
    /* Takes effect at once, so later parse errors carry the prefix too. */
    ps->plan->level_prefix = level_prefix = true;
}

static void h_print(struct parser *ps, const struct option_def *o, const char *const *a)
{
    (void)a;
    ps->print = (enum print_what)o->data;
}

static void h_seccomp_profile(struct parser *ps, const struct option_def *o, const char *const *a)
{
    (void)o;
    talloc_free(ps->plan->seccomp_profile); /* the last one given wins */
    ps->plan->seccomp_profile = seccomp_profile_read(ps->plan, a[0]);
}

static void h_unshare(struct parser *ps, const struct option_def *o, const char *const *a)
{
    (void)a;
    ps->plan->ns |= o->data;
}

static void h_share_net(struct parser *ps, const struct option_def *o, const char *const *a)
{
    (void)o, (void)a;
    ps->plan->ns &= ~(unsigned)NS_NET;
}

/* bwrap warns when these are given again: only the last one counts. */
static void warn_repeated(const struct option_def *o, bool already)
{
    static const char *const names[] = {"--chdir", "--sync-fd", "--block-fd", "--userns-block-fd", "--info-fd",
                                        "--json-status-fd", "--seccomp", "--hostname", "--uid", "--gid",
                                        "--emit-oci", "--runtime"};
    for (size_t i = 0; already && i < N_ELEMENTS(names); i++)
        if (strcmp(o->name, names[i]) == 0)
            warn("Only the last %s option will take effect", o->name);
}

static void h_fd(struct parser *ps, const struct option_def *o, const char *const *a)
{
    int fd = parse_fd(o->name, a[0]);
    warn_repeated(o, *FIELD(ps->plan, o, int) != -1);
    *FIELD(ps->plan, o, int) = fd;
}

static void h_seccomp(struct parser *ps, const struct option_def *o, const char *const *a)
{
    struct plan *p = ps->plan;
    int fd = parse_fd(o->name, a[0]);
    bool replace = strcmp(o->name, "--seccomp") == 0;
    if (p->n_seccomp_fds > 0 && replace != p->seccomp_replace)
        die(replace ? "--seccomp cannot be combined with --add-seccomp-fd"
                    : "--add-seccomp-fd cannot be combined with --seccomp");
    p->seccomp_replace = replace;
    if (replace) { /* the last --seccomp wins */
        warn_repeated(o, p->n_seccomp_fds > 0);
        p->n_seccomp_fds = 0;
    }
    p->seccomp_fds = talloc_realloc(p, p->seccomp_fds, int, p->n_seccomp_fds + 1);
    p->seccomp_fds[p->n_seccomp_fds++] = fd;
}

static void h_id(struct parser *ps, const struct option_def *o, const char *const *a)
{
    int64_t id = parse_id(o->name, a[0]);
    warn_repeated(o, *FIELD(ps->plan, o, int64_t) != -1);
    *FIELD(ps->plan, o, int64_t) = id;
}

static void h_string(struct parser *ps, const struct option_def *o, const char *const *a)
{
    warn_repeated(o, *FIELD(ps->plan, o, const char *) != NULL);
    *FIELD(ps->plan, o, const char *) = talloc_strdup(ps->plan, a[0]);
}

static void h_argv0(struct parser *ps, const struct option_def *o, const char *const *a)
{
    (void)o;
    if (ps->plan->argv0 != NULL)
        die("--argv0 used multiple times");
    ps->plan->argv0 = talloc_strdup(ps->plan, a[0]);
}

/* --rw PATH, --ro PATH: the host path, resolved as the kernel will see
 * it at bind time, at the same place inside. */
static void h_expose(struct parser *ps, const struct option_def *o, const char *const *a)
{
    struct plan *p = ps->plan;
    char *real = realpath(a[0], NULL);
    if (real == NULL)
        die_errno("%s %s", o->name, a[0]);
    struct step *s = add_step(ps, STEP_BIND, o->data | STEP_EXPOSE, o->name, a, 1);
    s->src = s->dest = talloc_strdup(p, real);
    free(real);
    /* Nested exposures work in either order: a path goes before any
     * exposure already given below it, which then lands on top. */
    size_t len = strlen(s->dest), n = p->n_steps - 1;
    for (size_t j = 0; j < n; j++) {
        const struct step *t = &p->steps[j];
        if ((t->flags & STEP_EXPOSE) && strncmp(t->dest, s->dest, len) == 0 &&
            (t->dest[len] == '/' || (len == 1 && t->dest[1] != '\0'))) {
            struct step moved = *s;
            memmove(&p->steps[j + 1], &p->steps[j], (n - j) * sizeof *s);
            p->steps[j] = moved;
            break;
        }
    }
}

/* --stage PATH: an exposure like --rw (so the same nesting rule), whose
 * writes go to an overlay upper layer made by the executor. */
static void h_stage(struct parser *ps, const struct option_def *o, const char *const *a)
{
    struct plan *p = ps->plan;
    if (p->stage_path != NULL)
        die("%s %s: only one --stage per sandbox (already %s)", o->name, a[0], p->stage_path);
    struct stat st;
    if (stat(a[0], &st) < 0)
        die_errno("%s %s", o->name, a[0]);
    if (!S_ISDIR(st.st_mode))
        die("%s %s: not a directory", o->name, a[0]);
    h_expose(ps, o, a);
    struct step *s = NULL;
    for (size_t i = 0; i < p->n_steps && s == NULL; i++)
        if (p->steps[i].kind == STEP_BIND && (p->steps[i].flags & STEP_STAGE))
            s = &p->steps[i];
    s->kind = STEP_OVERLAY;
    s->layers = talloc_array(p, const char *, 1);
    s->layers[0] = s->src;
    s->n_layers = 1;
    s->src = NULL;
    p->stage_path = s->dest;
}

static void h_stage_end(struct parser *ps, const struct option_def *o, const char *const *a)
{
    static const char *const names[] = {[STAGE_END_COMMIT] = "commit", [STAGE_END_DISCARD] = "discard",
                                        [STAGE_END_KEEP] = "keep", [STAGE_END_ASK] = "ask"};
    for (size_t i = STAGE_END_COMMIT; i < N_ELEMENTS(names); i++)
        if (strcmp(a[0], names[i]) == 0) {
            ps->plan->stage_end = (enum stage_end)i;
            return;
        }
    die("%s %s: expected commit, discard, keep or ask", o->name, a[0]);
}

/* --commit, --discard, --diff DIR */
static void h_stage_action(struct parser *ps, const struct option_def *o, const char *const *a)
{
    struct plan *p = ps->plan;
    if (p->stage_action != STAGE_ACTION_NONE)
        die("%s %s: only one of --commit, --discard and --diff at a time", o->name, a[0]);
    p->stage_action = (enum stage_action)o->data;
    p->stage_dir = talloc_strdup(p, a[0]);
}

static uint64_t parse_limit(const char *opt, const char *s, const char *end)
{
    size_t len = (size_t)(end - s);
    if ((len == 9 && strncmp(s, "unlimited", 9) == 0) || (len == 8 && strncmp(s, "infinity", 8) == 0))
        return RLIM_INFINITY;
    uint64_t v = 0;
    if (len == 0)
        die("%s: missing value", opt);
    for (const char *c = s; c < end; c++) {
        if (*c < '0' || *c > '9' || v > (UINT64_MAX - 9) / 10)
            die("%s: \"%.*s\" is not a number or \"unlimited\"", opt, (int)len, s);
        v = v * 10 + (uint64_t)(*c - '0');
    }
    return v;
}

static void h_rlimit(struct parser *ps, const struct option_def *o, const char *const *a)
{
    static const struct {
        const char *name;
        int resource;
    } names[] = {
        {"as", RLIMIT_AS},         {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},
        {"data", RLIMIT_DATA},     {"fsize", RLIMIT_FSIZE},     {"memlock", RLIMIT_MEMLOCK},
        {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC},     {"stack", RLIMIT_STACK},
    };
    struct plan *p = ps->plan;
    const char *opt = talloc_asprintf(p, "%s %s", o->name, a[0]);
    const char *eq = strchr(a[0], '=');
    if (eq == NULL)
        die("%s: expected NAME=SOFT[:HARD]", opt);
    size_t i = 0;
    while (i < N_ELEMENTS(names) && !(strlen(names[i].name) == (size_t)(eq - a[0]) &&
                                      strncmp(names[i].name, a[0], (size_t)(eq - a[0])) == 0))
        i++;
    if (i == N_ELEMENTS(names))
        die("%s: unknown limit \"%.*s\" (known: as core cpu data fsize memlock nofile nproc stack)", opt,
            (int)(eq - a[0]), a[0]);
    const char *colon = strchr(eq + 1, ':');
    struct rlimit_op r = {.resource = names[i].resource, .option = opt, .hard_given = colon != NULL};
    r.soft = parse_limit(opt, eq + 1, colon ? colon : eq + 1 + strlen(eq + 1));
    r.hard = colon ? parse_limit(opt, colon + 1, colon + 1 + strlen(colon + 1)) : 0;
    if (colon && r.soft > r.hard)
        die("%s: the soft limit is above the hard one", opt);
    p->rlimits = talloc_realloc(p, p->rlimits, struct rlimit_op, p->n_rlimits + 1);
    p->rlimits[p->n_rlimits++] = r;
}

static void h_timeout(struct parser *ps, const struct option_def *o, const char *const *a)
{
    char *end;
    errno = 0;
    double secs = strtod(a[0], &end);
    if (errno || end == a[0] || *end || !(secs > 0) || secs > 1e7 || !(*a[0] >= '0' && *a[0] <= '9'))
        die("%s %s: expected a positive number of seconds", o->name, a[0]);
    ps->plan->timeout_ms = (uint64_t)(secs * 1000 + 0.999);
}

/* --profile agent: read-only system, /proc, /dev, a private /tmp, every
 * namespace, no capabilities, the default seccomp profile, a small
 * environment, and a root that is read-only once built. */
static void expand_agent(struct parser *ps)
{
    static const char *const keep_env[] = {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "TZ"};
    void *mem = talloc_new(ps->plan);
    const char **w = talloc_array(mem, const char *, 0);
    size_t n = 0;
#define WORDS(...)                                                                                  \
    do {                                                                                            \
        const char *add_[] = {__VA_ARGS__};                                                         \
        w = talloc_realloc(mem, w, const char *, n + N_ELEMENTS(add_));                             \
        for (size_t k_ = 0; k_ < N_ELEMENTS(add_); k_++)                                            \
            w[n++] = add_[k_];                                                                      \
    } while (0)
    WORDS("--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc");
    /* Merged-/usr hosts have /bin, /lib* as symlinks into /usr. */
    static const char *const top[] = {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"};
    for (size_t i = 0; i < N_ELEMENTS(top); i++) {
        char target[PATH_MAX];
        ssize_t len = readlink(top[i], target, sizeof target - 1);
        struct stat st;
        if (len > 0) {
            target[len] = '\0';
            WORDS("--symlink", talloc_strdup(mem, target), top[i]);
        } else if (stat(top[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            WORDS("--ro-bind", top[i], top[i]);
        }
    }
    WORDS("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--unshare-all", "--die-with-parent",
          "--new-session", "--cap-drop", "ALL", "--seccomp-profile", "default", "--clearenv");
    extern char **environ;
    for (char **e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (eq == NULL)
            continue;
        char *name = talloc_strndup(mem, *e, (size_t)(eq - *e));
        bool keep = strncmp(name, "LC_", 3) == 0;
        for (size_t i = 0; i < N_ELEMENTS(keep_env); i++)
            keep |= strcmp(name, keep_env[i]) == 0;
        if (keep)
            WORDS("--setenv", name, eq + 1);
    }
#undef WORDS
    parse_list(ps, (int)n, w, true);
    ps->plan->root_readonly = true;
    talloc_free(mem);
}

static void h_profile(struct parser *ps, const struct option_def *o, const char *const *a)
{
    if (strcmp(a[0], "agent") != 0)
        die("%s %s: unknown profile (known: agent)", o->name, a[0]);
    expand_agent(ps);
}

static void h_lock_file(struct parser *ps, const struct option_def *o, const char *const *a)
{
    (void)o;
    push_string(ps->plan, &ps->plan->lock_files, &ps->plan->n_lock_files, a[0]);
}

static void h_env(struct parser *ps, const struct option_def *o, const char *const *a)
{
    struct plan *p = ps->plan;
    p->env = talloc_realloc(p, p->env, struct env_op, p->n_env + 1);
    struct env_op *e = &p->env[p->n_env++];
    *e = (struct env_op){.kind = (enum env_kind)o->data};
    if (o->nargs >= 1) {
        if (strchr(a[0], '=') != NULL || a[0][0] == '\0')
            die("%s: invalid variable name: %s", o->name, a[0]);
        e->name = talloc_strdup(p, a[0]);
    }
    if (o->nargs == 2)
        e->value = talloc_strdup(p, a[1]);
}

static void h_cap(struct parser *ps, const struct option_def *o, const char *const *a)
{
    struct plan *p = ps->plan;
    uint64_t bits = parse_cap(o->name, a[0]);
    p->caps_given = true;
    if (strcmp(o->name, "--cap-add") == 0) {
        p->cap_add |= bits;
        p->cap_drop &= ~bits;
    } else {
        p->cap_drop |= bits;
        p->cap_add &= ~bits;
    }
}

static void h_perms(struct parser *ps, const struct option_def *o, const char *const *a)
{
    if (ps->next_perms != PERMS_UNSET)
        die("--perms given twice for the same action");
    ps->next_perms = parse_octal(o->name, a[0]);
}

static void h_size(struct parser *ps, const struct option_def *o, const char *const *a)
{
    if (ps->next_size != 0)
        die("--size given twice for the same action");
    ps->next_size = parse_size(o->name, a[0]);
}

/* --bind SRC DEST and its relatives; data holds STEP_* flags. */
static void h_bind(struct parser *ps, const struct option_def *o, const char *const *a)
{
    struct step *s = add_step(ps, STEP_BIND, o->data, o->name, a, 2);
    s->src = talloc_strdup(ps->plan, a[0]);
    s->dest = talloc_strdup(ps->plan, a[1]);
}

static void h_bind_fd(struct parser *ps, const struct option_def *o, const char *const *a)
{
    int fd = parse_fd(o->name, a[0]);
    struct step *s = add_step(ps, STEP_BIND, o->data, o->name, a, 2);
    s->fd = fd;
    s->dest = talloc_strdup(ps->plan, a[1]);
}

/* Steps with only a destination: --remount-ro, --proc, --dev, --tmpfs,
 * --mqueue, --dir; data holds the step kind. */
static void h_dest(struct parser *ps, const struct option_def *o, const char *const *a)
{
    enum step_kind kind = (enum step_kind)o->data;
    int perms = (kind == STEP_TMPFS || kind == STEP_DIR) ? take_perms(ps) : PERMS_UNSET;
    struct step *s = add_step(ps, kind, 0, o->name, a, 1);
    s->dest = talloc_strdup(ps->plan, a[0]);
    s->perms = perms;
    if (kind == STEP_TMPFS) {
        s->size = ps->next_size;
        ps->next_size = 0;
    }
}

/* --file, --bind-data, --ro-bind-data: FD DEST. */
static void h_data(struct parser *ps, const struct option_def *o, const char *const *a)
{
    int fd = parse_fd(o->name, a[0]);
    enum step_kind kind = strcmp(o->name, "--file") == 0 ? STEP_FILE : STEP_BIND_DATA;
    struct step *s = add_step(ps, kind, o->data, o->name, a, 2);
    s->fd = fd;
    s->dest = talloc_strdup(ps->plan, a[1]);
    s->perms = take_perms(ps);
}

static void h_symlink(struct parser *ps, const struct option_def *o, const char *const *a)
{
    struct step *s = add_step(ps, STEP_SYMLINK, 0, o->name, a, 2);
    s->src = talloc_strdup(ps->plan, a[0]);
    s->dest = talloc_strdup(ps->plan, a[1]);
}

static void h_chmod(struct parser *ps, const struct option_def *o, const char *const *a)
{
    int perms = parse_octal(o->name, a[0]);
    struct step *s = add_step(ps, STEP_CHMOD, 0, o->name, a, 2);
    s->dest = talloc_strdup(ps->plan, a[1]);
    s->perms = perms;
}

static void h_runtime_flag(struct parser *ps, const struct option_def *o, const char *const *a)
{
    (void)o;
    push_string(ps->plan, &ps->plan->runtime_flags, &ps->plan->n_runtime_flags, a[0]);
}

static void h_overlay_src(struct parser *ps, const struct option_def *o, const char *const *a)
{
    (void)o;
    push_string(ps->plan, &ps->layers, &ps->n_layers, a[0]);
}

/* --overlay RWSRC WORKDIR DEST, --tmp-overlay DEST, --ro-overlay DEST. */
static void h_overlay(struct parser *ps, const struct option_def *o, const char *const *a)
{
    unsigned flags = o->data;
    size_t need = (flags & STEP_RO) ? 2 : 1;
    if (ps->n_layers < need)
        die("%s requires at least %s --overlay-src", o->name, need == 1 ? "one" : "two");
    struct step *s = add_step(ps, STEP_OVERLAY, flags, o->name, a, o->nargs);
    if (o->nargs == 3) {
        s->src = talloc_strdup(ps->plan, a[0]);
        s->work = talloc_strdup(ps->plan, a[1]);
    }
    s->dest = talloc_strdup(ps->plan, a[o->nargs - 1]);
    s->layers = ps->layers;
    s->n_layers = ps->n_layers;
    ps->layers = NULL;
    ps->n_layers = 0;
}

/* ---- the table: parser, --help, completions and man page follow it ---- */

#define OPT(name, nargs, fn, data, args, help) {name, nargs, fn, data, args, help}

static const struct option_def options[] = {
    OPT("--help", 0, h_help, 0, "", "Print this help"),
    OPT("--version", 0, h_version, 0, "", "Print version"),
    OPT("--args", 1, h_args, 0, "FD", "Parse NUL-separated args from FD"),
    OPT("--argv0", 1, h_argv0, 0, "VALUE", "Set argv[0] to the value VALUE before running the program"),
    OPT("--level-prefix", 0, h_level_prefix, 0, "", "Prepend e.g. <3> to diagnostic messages"),
    OPT("--unshare-all", 0, h_unshare, NS_USER_TRY | NS_IPC | NS_PID | NS_NET | NS_UTS | NS_CGROUP_TRY, "",
        "Unshare every namespace we support by default"),
    OPT("--share-net", 0, h_share_net, 0, "", "Retain the network namespace (can only combine with --unshare-all)"),
    OPT("--unshare-user", 0, h_unshare, NS_USER, "", "Create new user namespace (may be automatically implied if not setuid)"),
    OPT("--unshare-user-try", 0, h_unshare, NS_USER_TRY, "", "Create new user namespace if possible else continue by skipping it"),
    OPT("--unshare-ipc", 0, h_unshare, NS_IPC, "", "Create new ipc namespace"),
    OPT("--unshare-pid", 0, h_unshare, NS_PID, "", "Create new pid namespace"),
    OPT("--unshare-net", 0, h_unshare, NS_NET, "", "Create new network namespace"),
    OPT("--unshare-uts", 0, h_unshare, NS_UTS, "", "Create new uts namespace"),
    OPT("--unshare-cgroup", 0, h_unshare, NS_CGROUP, "", "Create new cgroup namespace"),
    OPT("--unshare-cgroup-try", 0, h_unshare, NS_CGROUP_TRY, "", "Create new cgroup namespace if possible else continue by skipping it"),
    OPT("--userns", 1, h_fd, offsetof(struct plan, userns_fd), "FD", "Use this user namespace (cannot combine with --unshare-user)"),
    OPT("--userns2", 1, h_fd, offsetof(struct plan, userns2_fd), "FD", "After setup switch to this user namespace, only useful with --userns"),
    OPT("--disable-userns", 0, h_flag, offsetof(struct plan, disable_userns), "", "Disable further use of user namespaces inside sandbox"),
    OPT("--assert-userns-disabled", 0, h_flag, offsetof(struct plan, assert_userns_disabled), "", "Fail unless further use of user namespace inside sandbox is disabled"),
    OPT("--pidns", 1, h_fd, offsetof(struct plan, pidns_fd), "FD", "Use this pid namespace (as parent namespace if using --unshare-pid)"),
    OPT("--uid", 1, h_id, offsetof(struct plan, uid), "UID", "Custom uid in the sandbox (requires --unshare-user or --userns)"),
    OPT("--gid", 1, h_id, offsetof(struct plan, gid), "GID", "Custom gid in the sandbox (requires --unshare-user or --userns)"),
    OPT("--hostname", 1, h_string, offsetof(struct plan, hostname), "NAME", "Custom hostname in the sandbox (requires --unshare-uts)"),
    OPT("--chdir", 1, h_string, offsetof(struct plan, chdir), "DIR", "Change directory to DIR"),
    OPT("--clearenv", 0, h_env, ENV_CLEAR, "", "Unset all environment variables"),
    OPT("--setenv", 2, h_env, ENV_SET, "VAR VALUE", "Set an environment variable"),
    OPT("--unsetenv", 1, h_env, ENV_UNSET, "VAR", "Unset an environment variable"),
    OPT("--lock-file", 1, h_lock_file, 0, "DEST", "Take a lock on DEST while sandbox is running"),
    OPT("--sync-fd", 1, h_fd, offsetof(struct plan, sync_fd), "FD", "Keep this fd open while sandbox is running"),
    OPT("--bind", 2, h_bind, 0, "SRC DEST", "Bind mount the host path SRC on DEST"),
    OPT("--bind-try", 2, h_bind, STEP_TRY, "SRC DEST", "Equal to --bind but ignores non-existent SRC"),
    OPT("--dev-bind", 2, h_bind, STEP_DEVICES, "SRC DEST", "Bind mount the host path SRC on DEST, allowing device access"),
    OPT("--dev-bind-try", 2, h_bind, STEP_DEVICES | STEP_TRY, "SRC DEST", "Equal to --dev-bind but ignores non-existent SRC"),
    OPT("--ro-bind", 2, h_bind, STEP_RO, "SRC DEST", "Bind mount the host path SRC readonly on DEST"),
    OPT("--ro-bind-try", 2, h_bind, STEP_RO | STEP_TRY, "SRC DEST", "Equal to --ro-bind but ignores non-existent SRC"),
    OPT("--bind-fd", 2, h_bind_fd, 0, "FD DEST", "Bind open directory or path fd on DEST"),
    OPT("--ro-bind-fd", 2, h_bind_fd, STEP_RO, "FD DEST", "Bind open directory or path fd read-only on DEST"),
    OPT("--remount-ro", 1, h_dest, STEP_REMOUNT_RO, "DEST", "Remount DEST as readonly; does not recursively remount"),
    OPT("--overlay-src", 1, h_overlay_src, 0, "SRC", "Read files from SRC in the following overlay"),
    OPT("--overlay", 3, h_overlay, 0, "RWSRC WORKDIR DEST", "Mount overlayfs on DEST, with RWSRC as the host path for writes and WORKDIR an empty directory on the same filesystem as RWSRC"),
    OPT("--tmp-overlay", 1, h_overlay, STEP_TMP, "DEST", "Mount overlayfs on DEST, with writes going to an invisible tmpfs"),
    OPT("--ro-overlay", 1, h_overlay, STEP_RO, "DEST", "Mount overlayfs read-only on DEST"),
    OPT("--exec-label", 1, h_string, offsetof(struct plan, exec_label), "LABEL", "Exec label for the sandbox"),
    OPT("--file-label", 1, h_string, offsetof(struct plan, file_label), "LABEL", "File label for temporary sandbox content"),
    OPT("--proc", 1, h_dest, STEP_PROC, "DEST", "Mount new procfs on DEST"),
    OPT("--dev", 1, h_dest, STEP_DEV, "DEST", "Mount new dev on DEST"),
    OPT("--tmpfs", 1, h_dest, STEP_TMPFS, "DEST", "Mount new tmpfs on DEST"),
    OPT("--mqueue", 1, h_dest, STEP_MQUEUE, "DEST", "Mount new mqueue on DEST"),
    OPT("--dir", 1, h_dest, STEP_DIR, "DEST", "Create dir at DEST"),
    OPT("--file", 2, h_data, 0, "FD DEST", "Copy from FD to destination DEST"),
    OPT("--bind-data", 2, h_data, 0, "FD DEST", "Copy from FD to file which is bind-mounted on DEST"),
    OPT("--ro-bind-data", 2, h_data, STEP_RO, "FD DEST", "Copy from FD to file which is readonly bind-mounted on DEST"),
    OPT("--symlink", 2, h_symlink, 0, "SRC DEST", "Create symlink at DEST with target SRC"),
    OPT("--seccomp", 1, h_seccomp, 0, "FD", "Load and use seccomp rules from FD (not repeatable)"),
    OPT("--add-seccomp-fd", 1, h_seccomp, 0, "FD", "Load and use seccomp rules from FD (repeatable)"),
    OPT("--block-fd", 1, h_fd, offsetof(struct plan, block_fd), "FD", "Block on FD until some data to read is available"),
    OPT("--userns-block-fd", 1, h_fd, offsetof(struct plan, userns_block_fd), "FD", "Block on FD until the user namespace is ready"),
    OPT("--info-fd", 1, h_fd, offsetof(struct plan, info_fd), "FD", "Write information about the running container to FD"),
    OPT("--json-status-fd", 1, h_fd, offsetof(struct plan, json_status_fd), "FD", "Write container status to FD as multiple JSON documents"),
    OPT("--new-session", 0, h_flag, offsetof(struct plan, new_session), "", "Create a new terminal session"),
    OPT("--die-with-parent", 0, h_flag, offsetof(struct plan, die_with_parent), "", "Kills with SIGKILL child process (COMMAND) when bwrap or bwrap's parent dies."),
    OPT("--as-pid-1", 0, h_flag, offsetof(struct plan, as_pid_1), "", "Do not install a reaper process with PID=1"),
    OPT("--cap-add", 1, h_cap, 0, "CAP", "Add cap CAP when running as privileged user"),
    OPT("--cap-drop", 1, h_cap, 0, "CAP", "Drop cap CAP when running as privileged user"),
    OPT("--perms", 1, h_perms, 0, "OCTAL", "Set permissions of next argument (--bind-data, --file, etc.)"),
    OPT("--size", 1, h_size, 0, "BYTES", "Set size of next argument (only for --tmpfs)"),
    OPT("--chmod", 2, h_chmod, 0, "OCTAL PATH", "Change permissions of PATH (must already exist)"),
    OPT("--not-a-security-boundary", 0, h_flag, offsetof(struct plan, not_a_security_boundary), "",
        "Warn instead of failing when a non-essential set-up step cannot be completed"),
    /* bwrapper's own */
    OPT("--profile", 1, h_profile, 0, "NAME", "Expand to the options of profile NAME (agent), in place"),
    OPT("--rw", 1, h_expose, 0, "PATH", "Expose host PATH read-write at the same path"),
    OPT("--stage", 1, h_stage, STEP_STAGE, "PATH",
        "Expose host directory PATH at the same path, with writes staged for review, never written to PATH"),
    OPT("--stage-end", 1, h_stage_end, 0, "commit|discard|keep|ask",
        "After the command: commit, discard or keep the staged changes, or ask (default: ask on a terminal, else keep)"),
    OPT("--changes-fd", 1, h_fd, offsetof(struct plan, changes_fd), "FD",
        "Write each staged change to FD as one JSON line after the command"),
    OPT("--commit", 1, h_stage_action, STAGE_ACTION_COMMIT, "DIR", "Apply the changes kept in stage DIR to their path, all or nothing, and exit"),
    OPT("--discard", 1, h_stage_action, STAGE_ACTION_DISCARD, "DIR", "Remove stage DIR without applying it, and exit"),
    OPT("--diff", 1, h_stage_action, STAGE_ACTION_DIFF, "DIR", "Print the changes kept in stage DIR as a unified diff, and exit"),
    OPT("--ro", 1, h_expose, STEP_RO, "PATH", "Expose host PATH read-only at the same path"),
    OPT("--timeout", 1, h_timeout, 0, "SECONDS", "After SECONDS, SIGTERM the sandbox, SIGKILL 2 s later; exit 124"),
    OPT("--rlimit", 1, h_rlimit, 0, "NAME=SOFT[:HARD]", "Set a resource limit just before exec (e.g. nofile=1024)"),
    OPT("--pty", 0, h_flag, offsetof(struct plan, pty), "", "Run the command on a new pseudo-terminal, relayed to ours"),
    OPT("--seccomp-profile", 1, h_seccomp_profile, 0, "PROFILE",
        "Filter system calls with PROFILE: default, or an OCI/Docker JSON profile file"),
    OPT("--emit-oci", 1, h_string, offsetof(struct plan, emit_oci), "DIR",
        "Write the sandbox as an OCI bundle (DIR/config.json, DIR/rootfs) and exit"),
    OPT("--runtime", 1, h_string, offsetof(struct plan, runtime), "NAME|PATH",
        "Run the sandbox with the OCI runtime runc, crun or runsc"),
    OPT("--runtime-flag", 1, h_runtime_flag, 0, "FLAG", "Pass FLAG to the OCI runtime as a global flag (repeatable)"),
    OPT("--print-seccomp", 0, h_print, PRINT_SECCOMP, "", "Print the --seccomp-profile as JSON and exit"),
    OPT("--print-plan", 0, h_print, PRINT_PLAN, "", "Print the parsed plan as JSON and exit"),
};

static const struct option_def *find_option(const char *name)
{
    for (size_t i = 0; i < N_ELEMENTS(options); i++)
        if (strcmp(options[i].name, name) == 0)
            return &options[i];
    return NULL;
}

static void usage(const struct parser *ps, int status, FILE *out)
{
    (void)ps;
    fprintf(out, "usage: %s [OPTIONS...] [--] COMMAND [ARGS...]\n\n", invoked_as);
    for (size_t i = 0; i < N_ELEMENTS(options); i++) {
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", options[i].name, *options[i].args_help ? " " : "",
                 options[i].args_help);
        fprintf(out, "    %-28s %s\n", left, options[i].help);
    }
    exit(status);
}

/* Parse options until "--" or the first non-option; the rest is the
 * command.  Inside --args data there is no command: every word must be an
 * option. */
static void parse_list(struct parser *ps, int argc, const char *const *argv, bool in_file)
{
    /* bwrap's limit counts words: the command line's and every file's. */
    ps->total_args += (size_t)argc;
    if (ps->total_args > MAX_ARGS)
        die("Exceeded maximum number of arguments %u", MAX_ARGS);
    bool was_in_file = ps->in_file;
    ps->in_file = in_file;
    int i = 0;
    while (i < argc) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0 && !in_file) {
            i++;
            break;
        }
        const struct option_def *o = find_option(arg);
        if (o == NULL) {
            if (*arg == '-' || in_file)
                die("Unknown option %s", arg);
            break;
        }
        if (argc - i - 1 < o->nargs) {
            static const char *const count[] = {"", "an argument", "two arguments", "three arguments"};
            /* bwrap's wording differs for these three */
            bool one = !strcmp(o->name, "--chdir") || !strcmp(o->name, "--remount-ro") || !strcmp(o->name, "--argv0");
            die("%s takes %s", o->name, one ? "one argument" : count[o->nargs]);
        }
        o->handle(ps, o, argv + i + 1);
        i += 1 + o->nargs;
        /* As bwrap: checked after each option other than the two
         * modifiers, so they carry into and out of --args files, and a
         * leftover one before the command is ignored. */
        if (o->handle != h_perms && o->handle != h_size && ps->next_perms != PERMS_UNSET)
            die("--perms must be followed by an option that creates a file");
        if (o->handle != h_perms && o->handle != h_size && ps->next_size != 0)
            die("--size must be followed by --tmpfs");
        if (o->handle != h_overlay_src && ps->n_layers > 0)
            die("--overlay-src must be followed by another --overlay-src or one of --overlay, --tmp-overlay, or --ro-overlay");
    }
    ps->in_file = was_in_file;
    if (in_file)
        return;
    struct plan *p = ps->plan;
    p->argc = (size_t)(argc - i);
    const char **cmd = talloc_array(p, const char *, p->argc + 1);
    for (size_t k = 0; k < p->argc; k++)
        cmd[k] = talloc_strdup(cmd, argv[i + (int)k]);
    cmd[p->argc] = NULL;
    p->argv = cmd;
}

static void check_stage_options(const struct plan *p)
{
    if (p->stage_path == NULL && p->stage_end != STAGE_END_DEFAULT)
        die("--stage-end requires --stage");
    if (p->stage_path == NULL && p->changes_fd != -1)
        die("--changes-fd requires --stage");
    /* The overlay needs a mount namespace of bwrapper's own. */
    if (p->stage_path != NULL && (p->emit_oci || p->runtime))
        die("--stage %s: not supported with %s (the stage is an overlay bwrapper mounts itself)", p->stage_path,
            p->emit_oci ? "--emit-oci" : "--runtime");
    if (p->stage_action != STAGE_ACTION_NONE && (p->argc > 0 || p->stage_path != NULL))
        die("--commit, --discard and --diff act on a kept stage: they take no command and no --stage");
}

struct plan *plan_from_argv(void *mem_ctx, int argc, const char *const *argv, enum print_what *print)
{
    struct plan *p = talloc_zero(mem_ctx, struct plan);
    p->userns_fd = p->userns2_fd = p->pidns_fd = -1;
    p->sync_fd = p->block_fd = p->userns_block_fd = p->info_fd = p->json_status_fd = p->changes_fd = -1;
    p->uid = p->gid = -1;
    struct parser ps = {.plan = p, .next_perms = PERMS_UNSET};

    parse_list(&ps, argc, argv, false);

    if (ps.n_layers > 0)
        die("--overlay-src must be followed by another --overlay-src or one of --overlay, --tmp-overlay, or --ro-overlay");
    if (ps.print == PRINT_SECCOMP && p->seccomp_profile == NULL)
        die("--print-seccomp needs --seccomp-profile");
    check_stage_options(p);
    *print = ps.print;
    if (p->stage_action != STAGE_ACTION_NONE)
        return p;
    if (p->argc == 0 && ps.print == PRINT_NOTHING)
        usage(&ps, 1, stderr);
    return p;
}

/* No setuid mode, by design: a setuid launcher is a privilege boundary this
 * program does not try to be. */
static void refuse_setid(void)
{
    uid_t r, e, s;
    gid_t rg, eg, sg;
    if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0)
        die_errno("getresuid");
    if (r != e || r != s || rg != eg || rg != sg)
        die("refusing to run setuid or setgid: bwrapper has no setuid mode; "
            "remove the bit (chmod u-s,g-s) and use unprivileged user namespaces");
}

int main(int argc, char **argv)
{
    const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
    base = base ? base + 1 : (argc > 0 ? argv[0] : "bwrapper");
    if (strcmp(base, "bwrap") == 0)
        prog_name = "bwrap";
    if (argc > 0)
        invoked_as = argv[0];

    refuse_setid();
    if (argc > 1 && strcmp(argv[1], "--oci-init") == 0)
        oci_init(argv + 2);

    void *ctx = talloc_new(NULL);
    const char *const *args = (const char *const *)argv + 1;
    enum print_what print;
    struct plan *plan = plan_from_argv(ctx, argc - 1, args, &print);

    if (print != PRINT_NOTHING) {
        char *json = print == PRINT_PLAN ? plan_to_json(ctx, plan) : seccomp_profile_json(ctx, plan->seccomp_profile);
        fputs(json, stdout);
        talloc_free(ctx);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    int status = plan->stage_action != STAGE_ACTION_NONE ? stage_act(plan)
                 : (plan->emit_oci || plan->runtime)   ? oci_run(plan)
                                                       : run_plan(plan);
    talloc_free(ctx);
    return status;
}
