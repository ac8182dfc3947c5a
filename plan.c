/* The plan as JSON, for --print-plan: what a test or a curious user reads
 * to see exactly what a command line means, before anything is created. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/capability.h>
#include <talloc.h>

#include "netallow.h"
#include "plan.h"
#include "seccomp.h"

static const char *const step_names[] = {
    [STEP_BIND] = "bind",           [STEP_REMOUNT_RO] = "remount-ro", [STEP_PROC] = "proc",
    [STEP_DEV] = "dev",             [STEP_TMPFS] = "tmpfs",           [STEP_MQUEUE] = "mqueue",
    [STEP_DIR] = "dir",             [STEP_FILE] = "file",             [STEP_BIND_DATA] = "bind-data",
    [STEP_SYMLINK] = "symlink",     [STEP_CHMOD] = "chmod",           [STEP_OVERLAY] = "overlay",
};

/* User text: a JSON string when it is UTF-8, as nearly all is.  Any other
 * bytes (a path or argument in another encoding) become {"hex": "ff78"},
 * the bytes in hex: JSON strings cannot hold them, and dropping or
 * replacing them would show a command line other than the one given. */
json_t *text_json(const char *v)
{
    json_t *j = json_string(v);
    if (j != NULL)
        return j;
    size_t n = strlen(v);
    char *hex = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)v[i]);
    hex[2 * n] = '\0';
    j = json_pack("{s:s}", "hex", hex);
    free(hex);
    return j;
}
char *text_from_json(void *mem, const json_t *j)
{
    /* (a string with a NUL in it names no path) */
    if (json_is_string(j))
        return strlen(json_string_value(j)) == json_string_length(j) ? talloc_strdup(mem, json_string_value(j)) : NULL;
    const char *hex = json_string_value(json_object_get(j, "hex"));
    size_t n = hex ? strlen(hex) : 1;
    if (n % 2 != 0)
        return NULL;
    char *text = talloc_array(mem, char, n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1 || byte == 0) {
            talloc_free(text);
            return NULL;
        }
        text[i] = (char)byte;
    }
    text[n / 2] = '\0';
    return text;
}

const char *const isolation_names[N_ISOLATIONS] = {
    [ISOLATION_NAMESPACES] = "namespaces", [ISOLATION_AUTO] = "auto", [ISOLATION_LANDLOCK] = "landlock"};

static json_t *string_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, text_json(v[i]));
    return a;
}

static void set_string(json_t *o, const char *key, const char *v)
{
    if (v != NULL)
        json_object_set_new(o, key, text_json(v));
}

static void set_fd(json_t *o, const char *key, int fd)
{
    if (fd >= 0)
        json_object_set_new(o, key, json_integer(fd));
}

static json_t *step_json(const struct step *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(step_names[s->kind]));
    json_object_set_new(o, "option", text_json(s->option));
    set_string(o, "src", s->src);
    set_string(o, "work", s->work);
    set_string(o, "dest", s->dest);
    set_fd(o, "fd", s->fd);
    if (s->layers != NULL)
        json_object_set_new(o, "layers", string_array(s->layers, s->n_layers));
    if (s->perms != PERMS_UNSET) {
        char octal[16];
        snprintf(octal, sizeof octal, "%04o", (unsigned)s->perms);
        json_object_set_new(o, "perms", json_string(octal));
    }
    if (s->size != 0)
        json_object_set_new(o, "size", json_integer((json_int_t)s->size));
    json_object_set_new(o, "readonly", json_boolean(s->flags & STEP_RO));
    if (s->kind == STEP_BIND)
        json_object_set_new(o, "devices", json_boolean(s->flags & STEP_DEVICES));
    if (s->flags & STEP_TRY)
        json_object_set_new(o, "try", json_true());
    if (s->flags & STEP_TMP)
        json_object_set_new(o, "tmp", json_true());
    if (s->flags & STEP_EXPOSE)
        json_object_set_new(o, "expose", json_true());
    if (s->flags & STEP_PROFILE)
        json_object_set_new(o, "profile", json_true());
    if (s->flags & STEP_STAGE)
        json_object_set_new(o, "stage", json_true());
    return o;
}

static json_t *caps_json(uint64_t bits)
{
    json_t *a = json_array();
    for (int c = 0; c <= CAP_LAST_CAP; c++) {
        if (!(bits & ((uint64_t)1 << c)))
            continue;
        char *name = cap_to_name(c);
        json_array_append_new(a, json_string(name));
        cap_free(name);
    }
    return a;
}

static json_t *env_json(const struct env_op *e)
{
    json_t *o = json_object();
    switch (e->kind) {
    case ENV_SET:
        json_object_set_new(o, "set", text_json(e->name));
        json_object_set_new(o, "value", text_json(e->value));
        break;
    case ENV_UNSET:
        json_object_set_new(o, "unset", text_json(e->name));
        break;
    case ENV_CLEAR:
        json_object_set_new(o, "clear", json_true());
        break;
    }
    return o;
}

static json_t *namespaces_json(unsigned ns)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        {NS_USER, "user"}, {NS_USER_TRY, "user-try"}, {NS_IPC, "ipc"},       {NS_PID, "pid"},
        {NS_NET, "net"},   {NS_UTS, "uts"},           {NS_CGROUP, "cgroup"}, {NS_CGROUP_TRY, "cgroup-try"},
    };
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (ns & names[i].bit)
            json_array_append_new(a, json_string(names[i].name));
    return a;
}

/* Indented text of O, which it consumes, with a final newline. */
static char *json_text(void *mem_ctx, json_t *o)
{
    char *text = json_dumps(o, JSON_INDENT(2));
    json_decref(o);
    char *out = talloc_asprintf(mem_ctx, "%s\n", text);
    free(text);
    return out;
}

char *plan_to_json(void *mem_ctx, const struct plan *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "namespaces", namespaces_json(p->ns));
    set_fd(o, "userns-fd", p->userns_fd);
    set_fd(o, "userns2-fd", p->userns2_fd);
    set_fd(o, "pidns-fd", p->pidns_fd);
    json_object_set_new(o, "disable-userns", json_boolean(p->disable_userns));
    json_object_set_new(o, "assert-userns-disabled", json_boolean(p->assert_userns_disabled));
    if (p->uid >= 0)
        json_object_set_new(o, "uid", json_integer(p->uid));
    if (p->gid >= 0)
        json_object_set_new(o, "gid", json_integer(p->gid));
    set_string(o, "hostname", p->hostname);
    set_string(o, "chdir", p->chdir);
    set_string(o, "argv0", p->argv0);
    set_string(o, "exec-label", p->exec_label);
    set_string(o, "file-label", p->file_label);

    json_t *env = json_array();
    for (size_t i = 0; i < p->n_env; i++)
        json_array_append_new(env, env_json(&p->env[i]));
    json_object_set_new(o, "env", env);

    json_t *steps = json_array();
    for (size_t i = 0; i < p->n_steps; i++)
        json_array_append_new(steps, step_json(&p->steps[i]));
    json_object_set_new(o, "steps", steps);
    json_object_set_new(o, "lock-files", string_array(p->lock_files, p->n_lock_files));

    set_fd(o, "sync-fd", p->sync_fd);
    set_fd(o, "block-fd", p->block_fd);
    set_fd(o, "userns-block-fd", p->userns_block_fd);
    set_fd(o, "info-fd", p->info_fd);
    set_fd(o, "json-status-fd", p->json_status_fd);
    json_object_set_new(o, "close-fds", json_boolean(p->close_fds));
    json_t *keep = json_array();
    for (size_t i = 0; i < p->n_keep_fds; i++)
        json_array_append_new(keep, json_integer(p->keep_fds[i]));
    json_object_set_new(o, "keep-fds", keep);
    json_t *seccomp = json_array();
    for (size_t i = 0; i < p->n_seccomp_fds; i++)
        json_array_append_new(seccomp, json_integer(p->seccomp_fds[i].fd));
    json_object_set_new(o, "seccomp-fds", seccomp);
    if (p->seccomp_profile)
        json_object_set_new(o, "seccomp-profile", text_json(p->seccomp_profile->source));

    if (p->caps_given) {
        json_t *caps = json_object();
        json_object_set_new(caps, "add", caps_json(p->cap_add));
        json_object_set_new(caps, "drop", caps_json(p->cap_drop));
        json_object_set_new(o, "caps", caps);
    }
    json_t *limits = json_array();
    for (size_t i = 0; i < p->n_rlimits; i++) {
        const struct rlimit_op *r = &p->rlimits[i];
        json_t *l = json_object();
        json_object_set_new(l, "option", text_json(r->option));
        json_object_set_new(l, "soft", r->soft == RLIM_INFINITY ? json_string("unlimited") : json_integer((json_int_t)r->soft));
        if (r->hard_given)
            json_object_set_new(l, "hard", r->hard == RLIM_INFINITY ? json_string("unlimited") : json_integer((json_int_t)r->hard));
        json_array_append_new(limits, l);
    }
    json_object_set_new(o, "rlimits", limits);
    if (p->timeout_ms)
        json_object_set_new(o, "timeout-ms", json_integer((json_int_t)p->timeout_ms));
    json_object_set_new(o, "root-readonly", json_boolean(p->root_readonly));
    json_object_set_new(o, "isolation", json_string(isolation_names[p->isolation]));
    if (p->n_require > 0)
        json_object_set_new(o, "require", string_array(p->require, p->n_require));
    json_object_set_new(o, "new-session", json_boolean(p->new_session));
    json_object_set_new(o, "pty", json_boolean(p->pty));
    json_object_set_new(o, "die-with-parent", json_boolean(p->die_with_parent));
    json_object_set_new(o, "as-pid-1", json_boolean(p->as_pid_1));
    json_object_set_new(o, "level-prefix", json_boolean(p->level_prefix));
    json_object_set_new(o, "not-a-security-boundary", json_boolean(p->not_a_security_boundary));
    if (p->stage_path != NULL) {
        static const char *const ends[] = {[STAGE_END_DEFAULT] = "ask-on-terminal-else-keep",
                                           [STAGE_END_COMMIT] = "commit", [STAGE_END_DISCARD] = "discard",
                                           [STAGE_END_KEEP] = "keep", [STAGE_END_ASK] = "ask"};
        json_t *st = json_pack("{s:s,s:s}", "path", p->stage_path, "end", ends[p->stage_end]);
        set_fd(st, "changes-fd", p->changes_fd);
        json_object_set_new(o, "stage", st);
    }
    if (p->stage_action != STAGE_ACTION_NONE) {
        static const char *const actions[] = {[STAGE_ACTION_COMMIT] = "commit", [STAGE_ACTION_DISCARD] = "discard",
                                              [STAGE_ACTION_DIFF] = "diff"};
        json_object_set_new(o, "stage-action", json_pack("{s:s,s:s}", "action", actions[p->stage_action], "dir", p->stage_dir));
    }
    if (p->n_net_rules > 0) {
        json_t *rules = json_array();
        for (size_t i = 0; i < p->n_net_rules; i++) {
            const struct net_rule *r = &p->net_rules[i];
            json_t *ports = r->port ? json_pack("[i]", r->port) : json_pack("[i,i]", 443, 80);
            json_array_append_new(rules, json_pack("{s:o,s:o,s:b,s:b,s:o}", "rule", text_json(r->text), "host",
                                                   text_json(r->host), "wildcard", r->wildcard, "address",
                                                   r->addr.family != 0, "ports", ports));
        }
        json_t *net = json_pack("{s:o,s:s}", "allow", rules, "proxy", "http://127.0.0.1:" NET_PROXY_PORT_TEXT);
        set_fd(net, "report-fd", p->report_fd);
        json_object_set_new(o, "allow-net", net);
    }
    set_string(o, "emit-oci", p->emit_oci);
    set_string(o, "runtime", p->runtime);
    json_object_set_new(o, "runtime-flags", string_array(p->runtime_flags, p->n_runtime_flags));
    json_object_set_new(o, "command", string_array(p->argv, p->argc));
    return json_text(mem_ctx, o);
}

char *seccomp_profile_json(void *mem_ctx, const struct seccomp_profile *profile)
{
    return json_text(mem_ctx, seccomp_profile_to_json(profile));
}

/* The mode a step gives what it creates: --perms, or bwrap's default for
 * its kind; 0 for steps that create nothing with a mode of their own. */
mode_t step_perms(const struct step *s)
{
    if (s->perms != PERMS_UNSET)
        return (mode_t)s->perms;
    switch (s->kind) {
    case STEP_TMPFS:
    case STEP_DIR: return 0755;
    case STEP_FILE: return 0666;
    case STEP_BIND_DATA: return 0600;
    default: return 0;
    }
}

/* Parents start as 0755 and lose group or other access where the step's
 * own mode denies it, as bwrap does; so a bind's parents are 0700. */
mode_t parent_mode_for(const struct step *s)
{
    mode_t m = 0755, perms = step_perms(s);
    if ((perms & 0070) == 0)
        m &= ~0050u;
    if ((perms & 0007) == 0)
        m &= ~0005u;
    return m;
}
