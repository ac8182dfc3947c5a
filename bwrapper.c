/* bwrapper: entry point, the option table, and argv -> plan.
 *
 * Parsing validates and records; it mounts, clones and writes nothing.  The
 * only side effects allowed are reading (and closing) the fds given to
 * --args, --seccomp and --add-seccomp-fd, and the --seccomp-profile file,
 * so that bad data is refused before anything starts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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

#include "caps.h"
#include "guarantees.h"
#include "netallow.h"
#include "plan.h"
#include "runtime.h"
#include "seccomp.h"
#include "stage.h"
#include "util.h"

#define BWRAPPER_VERSION "0.1.0"
#define BWRAP_COMPAT_VERSION "0.11.1"

/* bwrap caps argv plus --args at 9,000 words, which flatpak launches with
 * many extensions reach.  bwrapper limits only what it must hold in memory:
 * the data of one --args fd.  128 MiB is well over a million bind steps
 * (talloc holds no more than 256 MiB in one piece). */
#define ARGS_DATA_MAX ((size_t)128 << 20)

struct parser {
    struct plan *plan;
    int next_perms;      /* from --perms, for the next option only */
    uint64_t next_size;  /* from --size, for the next option only */
    const char **layers; /* --overlay-src given since the last overlay option */
    size_t n_layers;
    size_t steps_room;   /* plan->steps allocated, grown by doubling */
    const char *args_fd; /* the --args fd being parsed, or NULL */
    enum print_what print;
    bool isolation_given; /* --isolation seen: --profile agent leaves it */
    bool share_net_given; /* --share-net seen: --allow-net refuses it */
    bool agent;           /* --profile agent seen */
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

/* A plain decimal: digits only, no sign, blank or base prefix. */
static bool is_decimal(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Whether the fd is open is checked once parsing is done (check_fds):
 * --print-plan only records fds. */
static int parse_fd(const char *opt, const char *s)
{
    errno = 0;
    unsigned long v = is_decimal(s) ? strtoul(s, NULL, 10) : ULONG_MAX;
    if (errno || v > INT_MAX)
        die_in(opt, "Invalid fd: %s", s);
    return (int)v;
}

/* bwrap's rule in effect: ids up to INT_MAX.  Above it, (uid_t)-1 means
 * "no change" to the kernel and the others are no user's. */
static int64_t parse_id(const char *opt, const char *s)
{
    errno = 0;
    unsigned long long v = is_decimal(s) ? strtoull(s, NULL, 10) : ULLONG_MAX;
    if (errno || v > INT_MAX)
        die_in(opt, "Invalid %s: %s", opt + 2, s); /* "Invalid uid: x", as bwrap */
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

/* Half the address space at most, as bwrap: larger sizes hit arbitrary
 * kernel limits.  Any base strtoull knows (0x10, 010), as bwrap. */
#define MAX_TMPFS_BYTES ((uint64_t)(SIZE_MAX >> 1))

static uint64_t parse_size(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || !(*s >= '0' && *s <= '9') || *end || v == 0)
        die("%s takes a non-zero number of bytes", opt);
    if (v > MAX_TMPFS_BYTES)
        die("--size (for tmpfs) is limited to %llu", (unsigned long long)MAX_TMPFS_BYTES);
    return (uint64_t)v;
}

static uint64_t parse_cap(const char *opt, const char *s)
{
    if (strcasecmp(s, "ALL") == 0)
        return ~(uint64_t)0;
    int cap = cap_by_name(s);
    if (cap < 0)
        die_in(opt, "unknown cap: %s", s);
    return (uint64_t)1 << cap;
}

/* ---- recording ---- */

static struct step *add_step(struct parser *ps, enum step_kind kind, unsigned flags,
                             const char *opt, const char *const *args, int nargs)
{
    struct plan *p = ps->plan;
    /* doubling keeps 100,000 steps linear */
    if (p->n_steps == ps->steps_room) {
        ps->steps_room = ps->steps_room ? 2 * ps->steps_room : 16;
        p->steps = talloc_realloc(p, p->steps, struct step, ps->steps_room);
    }
    struct step *s = &p->steps[p->n_steps++];
    *s = (struct step){.kind = kind, .flags = flags, .fd = -1, .perms = PERMS_UNSET};
    char *what = talloc_strdup(p, opt);
    for (int i = 0; i < nargs; i++)
        what = talloc_asprintf_append(what, " %s", args[i]);
    s->option = what;
    return s;
}

/* A step's destination, a path inside the sandbox.  The executors
 * resolve it in the new root, where ".." stops at "/"; a ".." that would
 * climb above it makes "/.." the root itself, which the user cannot have
 * meant and which would hide everything set up before (bwrap lands such a
 * mount on its staging directory, where it has no effect). */
static const char *dest_arg(struct plan *p, const struct step *s, const char *dest)
{
    long depth = 0;
    for (const char *c = dest; *c;) {
        size_t len = strcspn(c, "/");
        if (len == 2 && c[0] == '.' && c[1] == '.' && --depth < 0)
            die("%s: \"..\" climbs out of the sandbox's root", s->option);
        if (len > 0 && !(len == 1 && c[0] == '.') && !(len == 2 && c[0] == '.' && c[1] == '.'))
            depth++;
        c += len + (c[len] == '/');
    }
    return talloc_strdup(p, dest);
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

static _Noreturn void print_help(void);
/* argv[0] as given: bwrap's usage line names the program that way. */
static const char *invoked_as = "bwrapper";

static void h_help(struct parser *ps, const struct option_def *o, const char *const *a)
{
    (void)ps, (void)o, (void)a;
    print_help();
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
    if (ps->args_fd != NULL)
        die("--args not supported in arguments file");
    int fd = parse_fd(o->name, a[0]);
    size_t len;
    char *data = read_fd_max(ps->plan, fd, ARGS_DATA_MAX, &len);
    if (data == NULL && errno == EFBIG)
        die("%s %s: more than %zu MiB of data", o->name, a[0], ARGS_DATA_MAX >> 20);
    if (data == NULL)
        die_errno_in(talloc_asprintf(ps->plan, "%s %s", o->name, a[0]), "Can't read --args data");
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
    ps->args_fd = a[0];
    parse_list(ps, (int)k, list, true);
    ps->args_fd = NULL;
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
    ps->share_net_given = true;
}

/* --allow-net HOST[:PORT]: a network namespace of its own, whatever else
 * is given (checked once parsing is done: check_allow_net). */
static void h_allow_net(struct parser *ps, const struct option_def *o, const char *const *a)
{
    (void)o;
    struct plan *p = ps->plan;
    p->net_rules = talloc_realloc(p, p->net_rules, struct net_rule, p->n_net_rules + 1);
    p->net_rules[p->n_net_rules++] = net_rule_parse(p, a[0]);
    p->ns |= NS_NET;
}

/* bwrap warns when these are given again: only the last one counts. */
static void warn_repeated(const struct option_def *o, bool already)
{
    static const char *const names[] = {"--chdir", "--sync-fd", "--block-fd", "--userns-block-fd", "--info-fd",
                                        "--json-status-fd", "--seccomp", "--hostname", "--uid", "--gid",
                                        "--emit-oci", "--runtime", "--report-fd"};
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
    p->seccomp_fds = talloc_realloc(p, p->seccomp_fds, struct seccomp_fd_program, p->n_seccomp_fds + 1);
    p->seccomp_fds[p->n_seccomp_fds++] = (struct seccomp_fd_program){.fd = fd};
}

static void add_keep_fd(struct plan *p, int fd)
{
    p->keep_fds = talloc_realloc(p, p->keep_fds, int, p->n_keep_fds + 1);
    p->keep_fds[p->n_keep_fds++] = fd;
}

static void h_keep_fd(struct parser *ps, const struct option_def *o, const char *const *a)
{
    add_keep_fd(ps->plan, parse_fd(o->name, a[0]));
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

/* PATH made absolute (from the working directory, which getcwd gives
 * without symlinks), with ".", ".." and repeated slashes taken as written:
 * with no symlink in it, that is the path the kernel resolves. */
static char *absolute_path(void *mem_ctx, const char *opt, const char *path)
{
    char *in = talloc_strdup(mem_ctx, path);
    /* "" names no file (an unset variable, most likely), not the working
     * directory */
    if (*path == '\0') {
        errno = ENOENT;
        die_errno("%s %s", opt, path);
    }
    if (*path != '/') {
        char *cwd = getcwd(NULL, 0);
        if (cwd == NULL)
            die_errno("%s %s: can't get the working directory", opt, path);
        in = talloc_asprintf(mem_ctx, "%s/%s", cwd, path);
        free(cwd);
    }
    char *out = talloc_strdup(mem_ctx, ""), *save = NULL;
    for (char *c = strtok_r(in, "/", &save); c != NULL; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, "..") == 0)
            *(strrchr(out, '/') ? strrchr(out, '/') : out) = '\0';
        else if (strcmp(c, ".") != 0)
            out = talloc_asprintf_append(out, "/%s", c);
    }
    talloc_free(in);
    return *out ? out : talloc_strdup(mem_ctx, "/");
}

/* Refuse PATH (absolute, normalized) if a symlink is on it, naming it. */
static void check_no_symlink(void *mem_ctx, const char *opt, const char *arg, const char *path)
{
    int fd = open_no_symlinks(path);
    if (fd >= 0) {
        close(fd);
        return;
    }
    if (errno != ELOOP)
        die_errno("%s %s", opt, arg);
    for (const char *end = strchr(path + 1, '/');; end = strchr(end + 1, '/')) {
        char *prefix = end ? talloc_strndup(mem_ctx, path, (size_t)(end - path)) : talloc_strdup(mem_ctx, path);
        char target[PATH_MAX];
        ssize_t n = readlink(prefix, target, sizeof target - 1);
        if (n >= 0) {
            target[n] = '\0';
            die("%s %s: %s is a symlink (to %s), which --rw and --ro do not follow: "
                "name the directory it points to if that is meant", opt, arg, prefix, target);
        }
        if (end == NULL)
            break;
    }
    die_errno("%s %s", opt, arg);
}

/* --rw PATH, --ro PATH: the host path, at the same place inside.  No
 * symlink on it is followed, now or when it is bound (mounts.c): one
 * planted in a workspace by an earlier sandbox (proj/build -> ../.ssh)
 * would expose its target, and the user cannot tell it from one they
 * meant. */
static void h_expose(struct parser *ps, const struct option_def *o, const char *const *a)
{
    struct plan *p = ps->plan;
    char *path = absolute_path(p, o->name, a[0]);
    check_no_symlink(path, o->name, a[0], path);
    struct step *s = add_step(ps, STEP_BIND, o->data | STEP_EXPOSE, o->name, a, 1);
    s->src = s->dest = path;
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
    /* Decimal only, as documented: strtod alone would take 0x10, 1e3, inf. */
    size_t digits = strspn(a[0], "0123456789");
    bool decimal = digits > 0 && (a[0][digits] == '\0' ||
                                  (a[0][digits] == '.' && is_decimal(a[0] + digits + 1)));
    double secs = decimal ? strtod(a[0], NULL) : 0;
    if (!(secs > 0) || secs > 1e7)
        die("%s %s: expected a positive number of seconds, in decimal", o->name, a[0]);
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
    size_t first = ps->plan->n_steps;
    parse_list(ps, (int)n, w, true);
    for (size_t i = first; i < ps->plan->n_steps; i++)
        ps->plan->steps[i].flags |= STEP_PROFILE;
    ps->plan->root_readonly = true;
    ps->plan->close_fds = true;
    /* an --isolation given before the profile stands */
    if (!ps->isolation_given)
        ps->plan->isolation = ISOLATION_AUTO;
    talloc_free(mem);
}

static void h_profile(struct parser *ps, const struct option_def *o, const char *const *a)
{
    if (strcmp(a[0], "agent") != 0)
        die("%s %s: unknown profile (known: agent)", o->name, a[0]);
    expand_agent(ps);
    ps->agent = true;
}

static void h_isolation(struct parser *ps, const struct option_def *o, const char *const *a)
{
    for (size_t i = 0; i < N_ISOLATIONS; i++)
        if (strcmp(a[0], isolation_names[i]) == 0) {
            ps->plan->isolation = (enum isolation)i;
            ps->isolation_given = true;
            return;
        }
    die("%s %s: unknown isolation (known: auto namespaces landlock)", o->name, a[0]);
}

static void h_require(struct parser *ps, const struct option_def *o, const char *const *a)
{
    void *mem = talloc_new(ps->plan);
    char *list = talloc_strdup(mem, a[0]), *save = NULL;
    for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        if (!guarantee_known(name))
            die("%s %s: unknown guarantee \"%s\" (known: %s)", o->name, a[0], name, guarantee_names(mem));
        push_string(ps->plan, &ps->plan->require, &ps->plan->n_require, name);
    }
    if (ps->plan->n_require == 0)
        die("%s: expected NAME[,NAME...]", o->name);
    talloc_free(mem);
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
    s->dest = dest_arg(ps->plan, s, a[1]);
}

static void h_bind_fd(struct parser *ps, const struct option_def *o, const char *const *a)
{
    int fd = parse_fd(o->name, a[0]);
    struct step *s = add_step(ps, STEP_BIND, o->data, o->name, a, 2);
    s->fd = fd;
    s->dest = dest_arg(ps->plan, s, a[1]);
}

/* Steps with only a destination: --remount-ro, --proc, --dev, --tmpfs,
 * --mqueue, --dir; data holds the step kind. */
static void h_dest(struct parser *ps, const struct option_def *o, const char *const *a)
{
    enum step_kind kind = (enum step_kind)o->data;
    int perms = (kind == STEP_TMPFS || kind == STEP_DIR) ? take_perms(ps) : PERMS_UNSET;
    struct step *s = add_step(ps, kind, 0, o->name, a, 1);
    s->dest = dest_arg(ps->plan, s, a[0]);
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
    s->dest = dest_arg(ps->plan, s, a[1]);
    s->perms = take_perms(ps);
}

static void h_symlink(struct parser *ps, const struct option_def *o, const char *const *a)
{
    struct step *s = add_step(ps, STEP_SYMLINK, 0, o->name, a, 2);
    s->src = talloc_strdup(ps->plan, a[0]);
    s->dest = dest_arg(ps->plan, s, a[1]);
}

static void h_chmod(struct parser *ps, const struct option_def *o, const char *const *a)
{
    int perms = parse_octal(o->name, a[0]);
    struct step *s = add_step(ps, STEP_CHMOD, 0, o->name, a, 2);
    s->dest = dest_arg(ps->plan, s, a[1]);
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
    s->dest = dest_arg(ps->plan, s, a[o->nargs - 1]);
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
    OPT("--isolation", 1, h_isolation, 0, "auto|namespaces|landlock",
        "Isolate with namespaces (default), Landlock (no namespaces), or namespaces where they work (auto)"),
    OPT("--require", 1, h_require, 0, "NAME[,NAME...]", "Fail before running unless these guarantees can be kept"),
    OPT("--timeout", 1, h_timeout, 0, "SECONDS", "After SECONDS, SIGTERM the sandbox, SIGKILL 2 s later; exit 124"),
    OPT("--rlimit", 1, h_rlimit, 0, "NAME=SOFT[:HARD]", "Set a resource limit just before exec (e.g. nofile=1024)"),
    OPT("--pty", 0, h_flag, offsetof(struct plan, pty), "", "Run the command on a new pseudo-terminal, relayed to ours"),
    OPT("--keep-fd", 1, h_keep_fd, 0, "FD", "Pass FD on to the command where other inherited fds are closed (--profile agent, --pty)"),
    OPT("--seccomp-profile", 1, h_seccomp_profile, 0, "PROFILE",
        "Filter system calls with PROFILE: default, or an OCI/Docker JSON profile file"),
    OPT("--emit-oci", 1, h_string, offsetof(struct plan, emit_oci), "DIR",
        "Write the sandbox as an OCI bundle (DIR/config.json, DIR/rootfs) and exit"),
    OPT("--runtime", 1, h_string, offsetof(struct plan, runtime), "NAME|PATH",
        "Run the sandbox with the OCI runtime runc, crun or runsc"),
    OPT("--runtime-flag", 1, h_runtime_flag, 0, "FLAG", "Pass FLAG to the OCI runtime as a global flag (repeatable)"),
    OPT("--allow-net", 1, h_allow_net, 0, "HOST[:PORT]",
        "Reach HOST (*.DOMAIN: its subdomains) on PORT (default 443 and 80) through a proxy at 127.0.0.1:3128 (and [::1]:3128), and nothing else"),
    OPT("--report-fd", 1, h_fd, offsetof(struct plan, report_fd), "FD",
        "Write each --allow-net connection, allowed or denied, to FD as one JSON line"),
    OPT("--print-seccomp", 0, h_print, PRINT_SECCOMP, "", "Print the --seccomp-profile as JSON and exit"),
    OPT("--print-seccomp-bpf", 0, h_print, PRINT_SECCOMP_BPF, "",
        "Write the --seccomp-profile as a compiled BPF program (as --seccomp reads it) and exit"),
    OPT("--print-plan", 0, h_print, PRINT_PLAN, "", "Print the parsed plan as JSON and exit"),
    OPT("--print-guarantees", 0, h_print, PRINT_GUARANTEES, "",
        "Print as JSON each guarantee of the sandbox, whether this machine keeps it and by what means, and exit"),
};

static const struct option_def *find_option(const char *name)
{
    for (size_t i = 0; i < N_ELEMENTS(options); i++)
        if (strcmp(options[i].name, name) == 0)
            return &options[i];
    return NULL;
}

static _Noreturn void print_help(void)
{
    printf("usage: %s [OPTIONS...] [--] COMMAND [ARGS...]\n\n", invoked_as);
    for (size_t i = 0; i < N_ELEMENTS(options); i++) {
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", options[i].name, *options[i].args_help ? " " : "",
                 options[i].args_help);
        printf("    %-28s %s\n", left, options[i].help);
    }
    exit(0);
}

/* Parse options until "--" or the first non-option; the rest is the
 * command.  Inside --args data there is no command: every word must be an
 * option. */
static void parse_list(struct parser *ps, int argc, const char *const *argv, bool in_file)
{
    int i = 0;
    while (i < argc) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0 && !in_file) {
            i++;
            break;
        }
        const struct option_def *o = find_option(arg);
        if (o == NULL && *arg != '-' && in_file)
            die("--args %s: \"%s\" is not an option; the command cannot come from --args", ps->args_fd, arg);
        if (o == NULL && *arg == '-')
            die("Unknown option %s", arg);
        if (o == NULL)
            break;
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

static void check_fd_open(int fd, const char *option)
{
    if (fd >= 0 && fcntl(fd, F_GETFD) < 0)
        die("Invalid fd: %d is not open (%s)", fd, option);
}

/* Before anything runs: every fd given is open (a typo would otherwise
 * be a sandbox that never syncs, blocks or reports, or one of our own fds
 * standing in for it; bwrap runs on), and the seccomp programs are read
 * and checked as the kernel will, each named by its option and fd. */
static void check_fds(struct plan *p)
{
    /* Not the namespace fds: setns fails on them before anything starts,
     * with bwrap's words ("Joining specified user namespace failed: ..."). */
    static const char *const joined[] = {"--userns", "--userns2", "--pidns"};
    for (size_t i = 0; i < N_ELEMENTS(options); i++) {
        bool ns = false;
        for (size_t k = 0; k < N_ELEMENTS(joined); k++)
            ns |= strcmp(options[i].name, joined[k]) == 0;
        if (options[i].handle == h_fd && !ns)
            check_fd_open(*FIELD(p, &options[i], int), talloc_asprintf(p, "%s %d", options[i].name,
                                                                      *FIELD(p, &options[i], int)));
    }
    for (size_t i = 0; i < p->n_steps; i++)
        check_fd_open(p->steps[i].fd, p->steps[i].option);
    for (size_t i = 0; i < p->n_seccomp_fds; i++) {
        const char *option = talloc_asprintf(p, "%s %d", p->seccomp_replace ? "--seccomp" : "--add-seccomp-fd",
                                             p->seccomp_fds[i].fd);
        /* a closed fd: bwrap's "Can't read seccomp data: Bad file descriptor" */
        p->seccomp_fds[i] = seccomp_fd_read(p, p->seccomp_fds[i].fd, option);
    }
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

static void add_env(struct plan *p, const char *name, const char *value)
{
    p->env = talloc_realloc(p, p->env, struct env_op, p->n_env + 1);
    p->env[p->n_env++] = (struct env_op){.kind = ENV_SET, .name = talloc_strdup(p, name),
                                         .value = talloc_strdup(p, value)};
}

/* --allow-net: what cannot carry it, and the command's environment.  The
 * proxy's variables come after every --setenv, --unsetenv and --clearenv
 * (--profile agent's among them): the proxy is the only way out, so
 * whatever points elsewhere cannot work. */
static void check_allow_net(struct parser *ps)
{
    struct plan *p = ps->plan;
    if (p->report_fd != -1 && p->n_net_rules == 0)
        die("--report-fd %d: reports --allow-net's connections, and no --allow-net is given", p->report_fd);
    if (p->n_net_rules == 0)
        return;
    const char *first = p->net_rules[0].text;
    if (ps->share_net_given)
        die("--allow-net %s: not with --share-net (--allow-net keeps a network namespace of its own)", first);
    if (p->emit_oci || p->runtime)
        die("--allow-net %s: not supported with %s (the proxy runs in bwrapper's own monitor)", first,
            p->emit_oci ? "--emit-oci" : "--runtime");
    if (p->isolation == ISOLATION_LANDLOCK)
        die("--allow-net %s: not supported with --isolation landlock (the proxy needs a network namespace)", first);
    char *url = talloc_asprintf(p, "http://127.0.0.1:%d", NET_PROXY_PORT);
    static const char *const proxies[] = {"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY",
                                          "all_proxy"};
    for (size_t i = 0; i < N_ELEMENTS(proxies); i++)
        add_env(p, proxies[i], url);
    add_env(p, "NO_PROXY", "localhost,127.0.0.1,::1");
    add_env(p, "no_proxy", "localhost,127.0.0.1,::1");
    talloc_free(url);
    /* --profile agent's root is read-only, ~/.cache with it: package
     * tools get their caches in the private /tmp, unless told otherwise. */
    static const char *const caches[][2] = {
        {"XDG_CACHE_HOME", "/tmp/.cache"}, {"PIP_CACHE_DIR", "/tmp/.cache/pip"}, {"npm_config_cache", "/tmp/.cache/npm"},
    };
    for (size_t i = 0; i < N_ELEMENTS(caches) && ps->agent; i++) {
        bool given = false;
        for (size_t k = 0; k < p->n_env; k++)
            given |= p->env[k].kind == ENV_SET && strcmp(p->env[k].name, caches[i][0]) == 0;
        if (!given)
            add_env(p, caches[i][0], caches[i][1]);
    }
}

struct plan *plan_from_argv(void *mem_ctx, int argc, const char *const *argv, enum print_what *print)
{
    struct plan *p = talloc_zero(mem_ctx, struct plan);
    p->userns_fd = p->userns2_fd = p->pidns_fd = -1;
    p->sync_fd = p->block_fd = p->userns_block_fd = p->info_fd = p->json_status_fd = p->changes_fd = -1;
    p->report_fd = -1;
    p->uid = p->gid = -1;
    struct parser ps = {.plan = p, .next_perms = PERMS_UNSET};

    parse_list(&ps, argc, argv, false);

    if (ps.n_layers > 0)
        die("--overlay-src must be followed by another --overlay-src or one of --overlay, --tmp-overlay, or --ro-overlay");
    /* A terminal's fd passed on would let the command read what is typed
     * there, around the pty; and the --sync-fd the command holds is named. */
    if (p->pty)
        p->close_fds = true;
    if (p->as_pid_1 && p->sync_fd != -1)
        add_keep_fd(p, p->sync_fd);
    if (ps.print == PRINT_SECCOMP && p->seccomp_profile == NULL)
        die("--print-seccomp needs --seccomp-profile");
    if (ps.print == PRINT_SECCOMP_BPF && p->seccomp_profile == NULL)
        die("--print-seccomp-bpf needs --seccomp-profile");
    check_stage_options(p);
    check_allow_net(&ps);
    *print = ps.print;
    if (p->stage_action != STAGE_ACTION_NONE)
        return p;
    if (ps.print == PRINT_NOTHING)
        check_fds(p);
    /* One line, not bwrap's 80-line usage: the error is all that is new. */
    if (p->argc == 0 && ps.print == PRINT_NOTHING)
        die("No command given: usage: %s [OPTIONS...] [--] COMMAND [ARGS...]; see %s --help", invoked_as,
            invoked_as);
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

    void *ctx = talloc_new(NULL);
    const char *const *args = (const char *const *)argv + 1;
    enum print_what print;
    struct plan *plan = plan_from_argv(ctx, argc - 1, args, &print);

    if (print == PRINT_SECCOMP_BPF) {
        int status = print_seccomp_bpf(plan);
        talloc_free(ctx);
        return status;
    }
    if (print != PRINT_NOTHING) {
        char *json = print == PRINT_PLAN        ? plan_to_json(ctx, plan)
                     : print == PRINT_GUARANTEES ? guarantees_json(ctx, plan)
                                                 : seccomp_profile_json(ctx, plan->seccomp_profile);
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
