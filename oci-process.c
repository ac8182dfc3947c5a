/* The OCI description of the process (config.json's "process", with the
 * ids and namespaces it implies): options with no OCI counterpart, the
 * ids, capabilities, environment, working directory, rlimits and
 * arguments.  oci.c describes the rest. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <talloc.h>
#include <unistd.h>

#include "caps.h"
#include "oci-init.h"
#include "oci.h"
#include "pty.h"
#include "util.h"

extern char **environ;

/* Options with no OCI counterpart: fds the runtime never sees, and
 * processes around the command that a runtime does not make. */
void refuse_inexpressible(const struct oci *o)
{
    const struct plan *p = o->plan;
    static const struct {
        size_t offset;
        const char *name, *why;
    } fds[] = {
        {offsetof(struct plan, userns_fd), "--userns", "a runtime makes its own namespaces"},
        {offsetof(struct plan, userns2_fd), "--userns2", "a runtime makes its own namespaces"},
        {offsetof(struct plan, pidns_fd), "--pidns", "a runtime makes its own namespaces"},
        {offsetof(struct plan, sync_fd), "--sync-fd", "the runtime does not pass fds to its own processes"},
        {offsetof(struct plan, block_fd), "--block-fd", "the runtime starts the command at once"},
        {offsetof(struct plan, userns_block_fd), "--userns-block-fd", "the runtime writes the id maps itself"},
        {offsetof(struct plan, info_fd), "--info-fd", "the sandbox's pid and namespaces are the runtime's"},
        {offsetof(struct plan, json_status_fd), "--json-status-fd", "the sandbox's pid and namespaces are the runtime's"},
    };
    for (size_t i = 0; i < N_ELEMENTS(fds); i++)
        if (*(const int *)((const char *)p + fds[i].offset) != -1)
            die("%s cannot be expressed in an OCI bundle: %s", fds[i].name, fds[i].why);
    if (p->n_seccomp_fds)
        die("%s cannot be expressed in an OCI bundle: it carries compiled BPF; use --seccomp-profile",
            p->seccomp_replace ? "--seccomp" : "--add-seccomp-fd");
    if (p->n_lock_files)
        die("--lock-file cannot be expressed in an OCI bundle: no process inside holds the lock");
    if (p->n_keep_fds)
        die("--keep-fd cannot be expressed in an OCI bundle: the runtime gives the command only fds 0, 1 and 2");
    if (p->disable_userns || p->assert_userns_disabled)
        die("%s cannot be expressed in an OCI bundle",
            p->disable_userns ? "--disable-userns" : "--assert-userns-disabled");
    if (p->argv0)
        die("--argv0 cannot be expressed in an OCI bundle: process.args[0] is both the program and its name");
    /* What bwrapper does around a runtime it runs has no place in a bundle
     * written for another to run. */
    if (p->emit_oci && (p->timeout_ms || p->die_with_parent || p->new_session || p->n_runtime_flags))
        die("%s cannot be expressed in an OCI bundle: bwrapper does it around the runtime it runs (--runtime "
            "without --emit-oci)",
            p->timeout_ms ? "--timeout" : p->die_with_parent ? "--die-with-parent"
                                      : p->new_session   ? "--new-session"
                                                         : "--runtime-flag");
}

/* The native executor's rules, where they apply to a runtime. */
void resolve_ids(struct oci *o)
{
    const struct plan *p = o->plan;
    o->real_uid = getuid();
    o->real_gid = getgid();
    o->own_userns = o->real_uid != 0 && !p->emit_oci;
    o->ns = p->ns;
    /* Rootless runc and crun work only in a user namespace; runsc makes
     * its own, so none is asked of it. */
    if (o->real_uid != 0)
        o->ns |= NS_USER;
    if ((o->ns & NS_USER_TRY) && userns_allowed())
        o->ns |= NS_USER;
    if ((o->ns & NS_CGROUP_TRY) && kernel_has_ns("cgroup"))
        o->ns |= NS_CGROUP;
    if (p->as_pid_1 && !(o->ns & NS_PID))
        die("Specifying --as-pid-1 requires --unshare-pid");
    /* A runtime always mounts a /proc (runc and crun need one), which
     * without a pid namespace would show the host's processes: with no
     * --proc asked for, a new pid namespace keeps it to the sandbox's.
     * --timeout must end everything the command started, as natively. */
    bool has_proc = false;
    for (size_t i = 0; i < p->n_steps; i++)
        has_proc |= p->steps[i].kind == STEP_PROC;
    if (!has_proc || p->timeout_ms)
        o->ns |= NS_PID;
    /* In a new pid namespace the command is pid 1, which gets only the
     * signals it handles: as natively, a pid 1 of bwrapper's own passes
     * them on and reaps (runc and crun: given as an fd; --as-pid-1 and
     * runsc, which takes no fds, without). */
    o->init = (o->ns & NS_PID) && !p->as_pid_1 && o->kind != RT_RUNSC && !p->emit_oci;
    if (p->hostname && !(o->ns & NS_UTS))
        die("Specifying --hostname requires --unshare-uts");
    bool in_userns = o->ns & NS_USER;
    o->userns = in_userns && o->kind != RT_RUNSC;
    /* In a user namespace the caller is mapped to 0 unless asked
     * otherwise, as `runc spec --rootless` does. */
    o->uid = p->uid >= 0 ? (uid_t)p->uid : in_userns ? 0 : o->real_uid;
    o->gid = p->gid >= 0 ? (gid_t)p->gid : in_userns ? 0 : o->real_gid;
    if (!in_userns && o->uid != o->real_uid)
        die("Specifying --uid requires --unshare-user or --userns");
    if (!in_userns && o->gid != o->real_gid)
        die("Specifying --gid requires --unshare-user or --userns");
    o->caps = caps_requested(p, o->real_uid == 0, in_userns, &o->caps_inheritable);
    /* rootless runc wants the sandbox's uid and gid 0 mapped (for its own
     * set-up), and only one id can be: the caller's */
    if (o->userns && o->kind == RT_RUNC && (o->uid != 0 || o->gid != 0))
        die("%s: runc needs ids 0 mapped in the sandbox's user namespace, where only yours is; use --runtime crun",
            o->uid != 0 ? "--uid" : "--gid");
    if (o->kind == RT_RUNSC) {
        /* gVisor (as in Debian 12) knows capabilities up to
         * CAP_AUDIT_READ and refuses the spec if it names a later one:
         * root's full set loses those, asking for one is an error. */
        uint64_t known = ((uint64_t)1 << (CAP_AUDIT_READ + 1)) - 1;
        if (p->cap_add & ~known & o->caps) {
            char *name = cap_to_name(__builtin_ctzll(p->cap_add & ~known & o->caps));
            die("--cap-add %s: runsc does not know this capability", name);
        }
        o->caps &= known;
    }
}

static json_t *caps_json(uint64_t bits)
{
    json_t *a = json_array();
    for (int c = 0; c <= CAP_LAST_CAP && c < 64; c++) {
        if (!(bits & ((uint64_t)1 << c)))
            continue;
        char *name = cap_to_name(c);
        char *upper = talloc_strdup(NULL, name);
        for (char *u = upper; *u; u++)
            if (*u >= 'a' && *u <= 'z')
                *u = (char)(*u - 'a' + 'A');
        json_array_append_new(a, json_string(upper));
        talloc_free(upper);
        cap_free(name);
    }
    return a;
}

/* The environment the command gets: ours, changed as the plan says. */
static const char **final_env(struct oci *o, size_t *n)
{
    const char **env = talloc_array(o->mem, const char *, 0);
    *n = 0;
    for (char **e = environ; *e; e++) {
        env = talloc_realloc(o->mem, env, const char *, *n + 1);
        env[(*n)++] = *e;
    }
    const struct plan *p = o->plan;
    for (size_t i = 0; i < p->n_env; i++) {
        const struct env_op *op = &p->env[i];
        if (op->kind == ENV_CLEAR) {
            *n = 0;
            continue;
        }
        size_t len = strlen(op->name), k = 0;
        while (k < *n && !(strncmp(env[k], op->name, len) == 0 && env[k][len] == '='))
            k++;
        if (k < *n) /* drop it, keeping the order of the others */
            memmove(&env[k], &env[k + 1], (--*n - k) * sizeof *env);
        if (op->kind == ENV_SET) {
            env = talloc_realloc(o->mem, env, const char *, *n + 1);
            env[(*n)++] = talloc_asprintf(o->mem, "%s=%s", op->name, op->value);
        }
    }
    return env;
}

static const char *env_get(const char **env, size_t n, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
            return env[i] + len + 1;
    return NULL;
}

/* bwrap's rule for the working directory: --chdir, else the caller's if
 * it exists inside, else $HOME, else "/". */
static const char *working_dir(struct oci *o, const char **env, size_t n)
{
    /* as given, not resolved: it is also PWD, and the runtime follows
     * the symlinks inside as chdir does natively */
    if (o->plan->chdir)
        return o->plan->chdir;
    char *cwd = get_current_dir_name();
    const char *here = cwd ? talloc_strdup(o->mem, cwd) : NULL;
    free(cwd);
    const char *home = env_get(env, n, "HOME");
    if (here && is_utf8(here) && dir_inside(o, resolve(o, here)))
        return here;
    if (home && *home == '/' && dir_inside(o, resolve(o, home)))
        return home;
    return "/";
}

/* RLIM_INFINITY in the tree: see UNLIMITED_JSON */
static const char unlimited_mark[] = "\0unlimited";

static json_t *rlimit_value(const struct rlimit_op *r, uint64_t v)
{
    if (v == RLIM_INFINITY)
        return json_stringn(unlimited_mark, sizeof unlimited_mark - 1);
    if (v > INT64_MAX)
        die("%s: %llu is too large for an OCI bundle", r->option, (unsigned long long)v);
    return json_integer((json_int_t)v);
}

static json_t *rlimits_json(const struct oci *o)
{
    static const struct { int resource; const char *name; } names[] = {
        {RLIMIT_AS, "RLIMIT_AS"},         {RLIMIT_CORE, "RLIMIT_CORE"},     {RLIMIT_CPU, "RLIMIT_CPU"},
        {RLIMIT_DATA, "RLIMIT_DATA"},     {RLIMIT_FSIZE, "RLIMIT_FSIZE"},   {RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"},
        {RLIMIT_NOFILE, "RLIMIT_NOFILE"}, {RLIMIT_NPROC, "RLIMIT_NPROC"},   {RLIMIT_STACK, "RLIMIT_STACK"},
    };
    json_t *a = json_array();
    for (size_t i = 0; i < o->plan->n_rlimits; i++) {
        const struct rlimit_op *r = &o->plan->rlimits[i];
        struct rlimit now;
        if (getrlimit(r->resource, &now) < 0)
            die_errno("%s", r->option);
        /* OCI needs both limits: an unchanged hard one is the current one */
        uint64_t hard = r->hard_given ? r->hard : now.rlim_max;
        if (r->soft > hard)
            die("%s: the soft limit is above the hard limit %llu", r->option, (unsigned long long)hard);
        const char *name = "";
        for (size_t k = 0; k < N_ELEMENTS(names); k++)
            if (names[k].resource == r->resource)
                name = names[k].name;
        json_array_append_new(a, json_pack("{s:s,s:o,s:o}", "type", name, "hard", rlimit_value(r, hard), "soft",
                                           rlimit_value(r, r->soft)));
    }
    return a;
}

json_t *process_json(struct oci *o)
{
    const struct plan *p = o->plan;
    json_t *proc = json_object();
    json_object_set_new(proc, "terminal", json_boolean(p->pty));
    struct winsize ws;
    /* the size the command sees from its start; the relay follows resizes */
    if (p->pty && pty_caller_size(&ws))
        json_object_set_new(proc, "consoleSize",
                            json_pack("{s:i,s:i}", "height", (int)ws.ws_row, "width", (int)ws.ws_col));
    json_object_set_new(proc, "user", json_pack("{s:I,s:I}", "uid", (json_int_t)o->uid, "gid", (json_int_t)o->gid));
    json_t *args = json_array();
    if (o->init) {
        /* bwrapper's pid 1 (oci-init.c), and how its errors start */
        json_array_append_new(args, json_string(INIT_PATH));
        json_array_append_new(args, json_string("--oci-init"));
        add_text(args, "the program's name", talloc_asprintf(o->mem, "%s%s", level_prefix ? "<3>" : "", prog_name));
    }
    for (size_t i = 0; i < p->argc; i++)
        add_text(args, "the command", p->argv[i]);
    json_object_set_new(proc, "args", args);
    size_t n;
    const char **env = final_env(o, &n);
    const char *cwd = working_dir(o, env, n);
    json_t *envj = json_array();
    for (size_t i = 0; i < n; i++)
        if (strncmp(env[i], "PWD=", 4) != 0)
            add_text(envj, "the environment", env[i]);
    /* as the native executor, which sets PWD once it is there */
    add_text(envj, "the working directory", talloc_asprintf(o->mem, "PWD=%s", cwd));
    json_object_set_new(proc, "env", envj);
    json_object_set_new(proc, "cwd", text("--chdir", cwd));
    json_t *caps = json_object();
    json_object_set_new(caps, "bounding", caps_json(o->caps));
    json_object_set_new(caps, "effective", caps_json(o->caps));
    json_object_set_new(caps, "permitted", caps_json(o->caps));
    json_object_set_new(caps, "inheritable", caps_json(o->caps_inheritable ? o->caps : 0));
    json_object_set_new(caps, "ambient", caps_json(o->caps_inheritable ? o->caps : 0));
    json_object_set_new(proc, "capabilities", caps);
    if (p->n_rlimits)
        json_object_set_new(proc, "rlimits", rlimits_json(o));
    json_object_set_new(proc, "noNewPrivileges", json_true());
    if (p->exec_label)
        json_object_set_new(proc, "selinuxLabel", text("--exec-label", p->exec_label));
    return proc;
}
