#define _GNU_SOURCE
#include "seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <talloc.h>
#include <unistd.h>

#include "util.h"

/* ---- names ---- */

static const char *const action_names[] = {
    [SC_KILL_THREAD] = "SCMP_ACT_KILL", [SC_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
    [SC_TRAP] = "SCMP_ACT_TRAP",        [SC_ERRNO] = "SCMP_ACT_ERRNO",
    [SC_TRACE] = "SCMP_ACT_TRACE",      [SC_ALLOW] = "SCMP_ACT_ALLOW",
    [SC_LOG] = "SCMP_ACT_LOG",
};

static const char *const op_names[] = {
    [SCMP_CMP_NE] = "SCMP_CMP_NE", [SCMP_CMP_LT] = "SCMP_CMP_LT",
    [SCMP_CMP_LE] = "SCMP_CMP_LE", [SCMP_CMP_EQ] = "SCMP_CMP_EQ",
    [SCMP_CMP_GE] = "SCMP_CMP_GE", [SCMP_CMP_GT] = "SCMP_CMP_GT",
    [SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

static const struct {
    const char *name;
    enum scmp_filter_attr attr;
} filter_flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB},
};

/* Docker names architectures the Go way in "includes"/"excludes". */
static const struct {
    uint32_t arch;
    const char *go;
} go_arches[] = {
    {SCMP_ARCH_X86_64, "amd64"}, {SCMP_ARCH_X86, "386"},        {SCMP_ARCH_AARCH64, "arm64"},
    {SCMP_ARCH_ARM, "arm"},      {SCMP_ARCH_PPC64LE, "ppc64le"}, {SCMP_ARCH_S390X, "s390x"},
    {SCMP_ARCH_RISCV64, "riscv64"},
};

/* "SCMP_ARCH_X86_64" -> libseccomp's token for it, or 0. */
static uint32_t arch_token(const char *name)
{
    char lower[32];
    if (strncmp(name, "SCMP_ARCH_", 10) != 0 || strlen(name + 10) >= sizeof lower)
        return 0;
    size_t i = 0;
    for (const char *c = name + 10; *c; c++)
        lower[i++] = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    lower[i] = '\0';
    return seccomp_arch_resolve_name(lower);
}

/* The native architecture as a profile names it: "SCMP_ARCH_X86_64". */
static const char *native_arch_name(void *mem)
{
    static const char *const arches[] = {"x86_64", "x86", "x32", "aarch64", "arm", "ppc64le", "ppc64",
                                         "s390x", "riscv64", "mips", "mipsel", "mips64", "mipsel64",
                                         "loongarch64"};
    const char *name = "native";
    for (size_t i = 0; i < N_ELEMENTS(arches); i++)
        if (seccomp_arch_resolve_name(arches[i]) == seccomp_arch_native())
            name = arches[i];
    char *upper = talloc_asprintf(mem, "SCMP_ARCH_%s", name);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    return upper;
}

/* ---- the default profile ---- */

/* Allow by default; deny what an untrusted program has no business
 * calling: each entry says why in one line. */
static const struct {
    const char *name, *why;
} default_denied[] = {
    {"kexec_load", "loads a new kernel to boot"},
    {"kexec_file_load", "loads a new kernel to boot"},
    {"open_by_handle_at", "opens files by handle, around the mount view (the 'shocker' escape)"},
    {"perf_event_open", "kernel profiling: address and side-channel leaks, large attack surface"},
    {"process_vm_readv", "reads another process's memory"},
    {"process_vm_writev", "writes another process's memory"},
    {"ptrace", "controls and inspects other processes"},
    {"reboot", "reboots or halts the machine"},
    {"request_key", "kernel keyrings are not namespaced"},
    {"add_key", "kernel keyrings are not namespaced"},
    {"keyctl", "kernel keyrings are not namespaced"},
    {"set_mempolicy", "NUMA memory policy can starve the host"},
    {"swapon", "host swap configuration"},
    {"swapoff", "host swap configuration"},
    {"syslog", "reads the kernel log: addresses and host activity"},
    {"umount2", "could uncover what the sandbox's mounts cover"},
    {"unshare", "new namespaces open kernel attack surface (user namespaces above all)"},
    {"setns", "joins other namespaces through inherited fds"},
    {"uselib", "obsolete loader interface"},
    {"userfaultfd", "stalls kernel accesses to user memory: a tool to win kernel races"},
    {"mount", "changes the sandbox's mounts"},
    {"pivot_root", "changes the sandbox's root"},
    {"init_module", "loads kernel code"},
    {"finit_module", "loads kernel code"},
    {"delete_module", "unloads kernel code"},
    {"bpf", "loads programs into the kernel"},
    {"fsopen", "the new mount API: as mount"},
    {"fsconfig", "the new mount API: as mount"},
    {"fsmount", "the new mount API: as mount"},
    {"fspick", "the new mount API: as mount"},
    {"move_mount", "the new mount API: as mount"},
    {"open_tree", "the new mount API: as mount"},
    {"mount_setattr", "the new mount API: as mount"},
    {"acct", "host process accounting"},
    {"quotactl", "host disk quotas"},
    /* io_uring's queued operations are performed by the kernel without a
     * system call each, so no seccomp rule ever sees them. */
    {"io_uring_setup", "io_uring runs file and network operations that seccomp never sees"},
    {"io_uring_enter", "io_uring runs file and network operations that seccomp never sees"},
    {"io_uring_register", "io_uring runs file and network operations that seccomp never sees"},
};

static const struct {
    uint64_t flag;
    const char *name;
} clone_ns_flags[] = {
    {CLONE_NEWNS, "CLONE_NEWNS"},         {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
    {CLONE_NEWUTS, "CLONE_NEWUTS"},       {CLONE_NEWIPC, "CLONE_NEWIPC"},
    {CLONE_NEWUSER, "CLONE_NEWUSER"},     {CLONE_NEWPID, "CLONE_NEWPID"},
    {CLONE_NEWNET, "CLONE_NEWNET"},
};

#define PERSONA_QUERY 0xffffffffu
/* The personalities that change nothing that matters: PER_LINUX (0),
 * PER_LINUX32 (8), UNAME26 (0x20000), both, and the query 0xffffffff. */
#define PERSONA_HARMLESS_BITS 0x20008u

static struct seccomp_rule *add_rule(struct seccomp_profile *p, const char *name,
                                     enum seccomp_action action, int err, const char *why)
{
    p->rules = talloc_realloc(p, p->rules, struct seccomp_rule, p->n_rules + 1);
    struct seccomp_rule *r = &p->rules[p->n_rules++];
    *r = (struct seccomp_rule){.action = action, .errno_ret = err, .comment = why};
    r->names = talloc_array(p, const char *, 1);
    r->names[0] = name;
    r->n_names = 1;
    return r;
}

static void add_masked_arg(struct seccomp_profile *p, struct seccomp_rule *r, unsigned index,
                           uint64_t mask, uint64_t value)
{
    r->args = talloc_array(p, struct seccomp_arg, 1);
    r->args[0] = (struct seccomp_arg){.index = index, .value = mask, .value_two = value,
                                      .op = SCMP_CMP_MASKED_EQ};
    r->n_args = 1;
}

static struct seccomp_profile *default_profile(void *mem)
{
    struct seccomp_profile *p = talloc_zero(mem, struct seccomp_profile);
    p->source = "default";
    p->default_action = SC_ALLOW;
    /* Only the native ABI: on x86-64 the i386 (int 0x80) and x32 entry
     * points are separate syscall tables that a filter must otherwise
     * cover twice; calls through them fail with EPERM (see compile). */
    p->arches = talloc_array(p, const char *, 1);
    p->arches[0] = native_arch_name(p);
    p->n_arches = 1;

    for (size_t i = 0; i < N_ELEMENTS(default_denied); i++)
        add_rule(p, default_denied[i].name, SC_ERRNO, EPERM, default_denied[i].why);
    add_rule(p, "clone3", SC_ERRNO, ENOSYS,
             "its flags are in memory seccomp cannot read: ENOSYS makes libc fall back to clone");
    for (size_t i = 0; i < N_ELEMENTS(clone_ns_flags); i++) {
        struct seccomp_rule *r = add_rule(p, "clone", SC_ERRNO, EPERM,
                                          talloc_asprintf(p, "clone with %s: new namespaces, as unshare",
                                                          clone_ns_flags[i].name));
        /* On s390x the flags are clone's second argument. */
        add_masked_arg(p, r, seccomp_arch_native() == SCMP_ARCH_S390X ? 1 : 0,
                       clone_ns_flags[i].flag, clone_ns_flags[i].flag);
    }
    /* The request is an int: compare only the low 32 bits, or setting the
     * high ones would slip past while the kernel ignores them. */
    add_masked_arg(p, add_rule(p, "ioctl", SC_ERRNO, EPERM,
                               "TIOCSTI pushes input into the terminal (CVE-2017-5226)"),
                   1, 0xffffffffu, TIOCSTI);
    add_masked_arg(p, add_rule(p, "ioctl", SC_ERRNO, EPERM,
                               "TIOCLINUX can push input into a virtual console"),
                   1, 0xffffffffu, TIOCLINUX);
    /* libseccomp allows one comparison per argument in a rule, so "not one
     * of the harmless values" becomes a union of masked compares on the low
     * 32 bits: a bit outside the harmless ones set with bit 31 clear, or
     * bit 31 set with any other bit clear (that is, not the query). */
    const char *why = "personality: only PER_LINUX, PER_LINUX32, UNAME26 and the query";
    for (unsigned bit = 0; bit < 31; bit++)
        if (!(PERSONA_HARMLESS_BITS & (1u << bit)))
            add_masked_arg(p, add_rule(p, "personality", SC_ERRNO, EPERM, why), 0,
                           (1u << 31) | (1u << bit), 1u << bit);
    for (unsigned bit = 0; bit < 31; bit++)
        add_masked_arg(p, add_rule(p, "personality", SC_ERRNO, EPERM, why), 0,
                       (1u << 31) | (1u << bit), 1u << 31);
    return p;
}

/* ---- reading a JSON profile ---- */

struct reader {
    void *mem;
    const char *file;
};

#define BAD(rd, ...) die("--seccomp-profile %s: %s", (rd)->file, talloc_asprintf((rd)->mem, __VA_ARGS__))

static void check_keys(const struct reader *rd, json_t *obj, const char *where, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key) != 0)
            i++;
        if (allowed[i] == NULL)
            BAD(rd, "%s: unknown key \"%s\"", where, key);
    }
}

static json_t *object_at(const struct reader *rd, json_t *v, const char *where)
{
    if (!json_is_object(v))
        BAD(rd, "%s: must be an object", where);
    return v;
}

/* A list of strings, or NULL if absent. */
static const char **strings_at(const struct reader *rd, json_t *v, const char *where, size_t *n)
{
    *n = 0;
    if (v == NULL)
        return NULL;
    if (!json_is_array(v))
        BAD(rd, "%s: must be a list of strings", where);
    const char **list = talloc_array(rd->mem, const char *, json_array_size(v) + 1);
    size_t i;
    json_t *s;
    json_array_foreach(v, i, s) {
        if (!json_is_string(s))
            BAD(rd, "%s[%zu]: must be a string", where, i);
        list[i] = talloc_strdup(list, json_string_value(s));
    }
    *n = json_array_size(v);
    list[*n] = NULL;
    return list;
}

static uint64_t number_at(const struct reader *rd, json_t *v, const char *where, uint64_t max)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        BAD(rd, "%s: must be an integer from 0 to %llu", where, (unsigned long long)max);
    return (uint64_t)json_integer_value(v);
}

static enum seccomp_action action_at(const struct reader *rd, json_t *v, const char *where)
{
    if (!json_is_string(v))
        BAD(rd, "%s: must be an action name such as \"SCMP_ACT_ERRNO\"", where);
    const char *name = json_string_value(v);
    for (size_t i = 0; i < N_ELEMENTS(action_names); i++)
        if (strcmp(name, action_names[i]) == 0)
            return (enum seccomp_action)i;
    if (strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
        return SC_KILL_THREAD;
    if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
        BAD(rd, "%s: SCMP_ACT_NOTIFY needs a seccomp agent, which bwrapper does not provide", where);
    BAD(rd, "%s: unknown action \"%s\"", where, name);
}

static int op_at(const struct reader *rd, json_t *v, const char *where)
{
    const char *name = json_is_string(v) ? json_string_value(v) : "";
    for (size_t i = 0; i < N_ELEMENTS(op_names); i++)
        if (op_names[i] && strcmp(name, op_names[i]) == 0)
            return (int)i;
    BAD(rd, "%s: unknown operator \"%s\"", where, json_is_string(v) ? name : "(not a string)");
}

static void read_cond(const struct reader *rd, json_t *v, const char *where, struct seccomp_cond *c)
{
    static const char *const keys[] = {"arches", "caps", "minKernel", NULL};
    if (v == NULL)
        return;
    check_keys(rd, object_at(rd, v, where), where, keys);
    c->arches = strings_at(rd, json_object_get(v, "arches"), talloc_asprintf(rd->mem, "%s.arches", where),
                           &c->n_arches);
    size_t n;
    const char **caps = strings_at(rd, json_object_get(v, "caps"), talloc_asprintf(rd->mem, "%s.caps", where), &n);
    for (size_t i = 0; i < n; i++) {
        cap_value_t cap;
        if (cap_from_name(caps[i], &cap) != 0)
            BAD(rd, "%s.caps[%zu]: unknown capability \"%s\"", where, i, caps[i]);
        c->caps |= (uint64_t)1 << cap;
    }
    json_t *k = json_object_get(v, "minKernel");
    if (k && !json_is_string(k))
        BAD(rd, "%s.minKernel: must be a string such as \"5.8\"", where);
    if (k)
        c->min_kernel = talloc_strdup(rd->mem, json_string_value(k));
}

static void read_rule(const struct reader *rd, json_t *v, const char *where, struct seccomp_rule *r)
{
    static const char *const keys[] = {"names", "name", "action", "errnoRet", "args", "comment", "includes",
                                       "excludes", NULL};
    check_keys(rd, object_at(rd, v, where), where, keys);
    json_t *name = json_object_get(v, "name");
    if (name) { /* Docker's older single-name form */
        if (!json_is_string(name))
            BAD(rd, "%s.name: must be a string", where);
        r->names = talloc_array(rd->mem, const char *, 1);
        r->names[0] = talloc_strdup(rd->mem, json_string_value(name));
        r->n_names = 1;
    } else {
        r->names = strings_at(rd, json_object_get(v, "names"), talloc_asprintf(rd->mem, "%s.names", where),
                              &r->n_names);
    }
    if (r->n_names == 0)
        BAD(rd, "%s: no syscall names", where);
    for (size_t i = 0; i < r->n_names; i++)
        if (seccomp_syscall_resolve_name(r->names[i]) == __NR_SCMP_ERROR)
            BAD(rd, "%s.names[%zu]: unknown syscall \"%s\"", where, i, r->names[i]);
    r->action = action_at(rd, json_object_get(v, "action"), talloc_asprintf(rd->mem, "%s.action", where));
    json_t *e = json_object_get(v, "errnoRet");
    r->errno_ret = e ? (int)number_at(rd, e, talloc_asprintf(rd->mem, "%s.errnoRet", where), 4095)
                     : (r->action == SC_ERRNO ? EPERM : 0);
    json_t *args = json_object_get(v, "args");
    if (args && !json_is_array(args))
        BAD(rd, "%s.args: must be a list", where);
    r->n_args = args ? json_array_size(args) : 0;
    r->args = talloc_zero_array(rd->mem, struct seccomp_arg, r->n_args);
    for (size_t i = 0; i < r->n_args; i++) {
        static const char *const arg_keys[] = {"index", "value", "valueTwo", "op", NULL};
        const char *at = talloc_asprintf(rd->mem, "%s.args[%zu]", where, i);
        json_t *a = object_at(rd, json_array_get(args, i), at);
        check_keys(rd, a, at, arg_keys);
        json_t *index = json_object_get(a, "index"), *value = json_object_get(a, "value"),
               *two = json_object_get(a, "valueTwo");
        if (index == NULL)
            BAD(rd, "%s: no index", at);
        r->args[i].index = (unsigned)number_at(rd, index, talloc_asprintf(rd->mem, "%s.index", at), 5);
        r->args[i].value = value ? number_at(rd, value, talloc_asprintf(rd->mem, "%s.value", at), INT64_MAX) : 0;
        r->args[i].value_two = two ? number_at(rd, two, talloc_asprintf(rd->mem, "%s.valueTwo", at), INT64_MAX) : 0;
        r->args[i].op = op_at(rd, json_object_get(a, "op"), talloc_asprintf(rd->mem, "%s.op", at));
    }
    json_t *c = json_object_get(v, "comment");
    if (c && !json_is_string(c))
        BAD(rd, "%s.comment: must be a string", where);
    r->comment = c ? talloc_strdup(rd->mem, json_string_value(c)) : NULL;
    read_cond(rd, json_object_get(v, "includes"), talloc_asprintf(rd->mem, "%s.includes", where), &r->includes);
    read_cond(rd, json_object_get(v, "excludes"), talloc_asprintf(rd->mem, "%s.excludes", where), &r->excludes);
}

/* Docker's "archMap": the native architecture's entry gives the list. */
static void read_arch_map(const struct reader *rd, json_t *map, struct seccomp_profile *p)
{
    if (!json_is_array(map))
        BAD(rd, "archMap: must be a list");
    const char *native = native_arch_name(rd->mem);
    size_t i;
    json_t *e;
    json_array_foreach(map, i, e) {
        static const char *const keys[] = {"architecture", "subArchitectures", NULL};
        const char *at = talloc_asprintf(rd->mem, "archMap[%zu]", i);
        check_keys(rd, object_at(rd, e, at), at, keys);
        json_t *arch = json_object_get(e, "architecture");
        if (!json_is_string(arch))
            BAD(rd, "%s.architecture: must be a string", at);
        if (strcmp(json_string_value(arch), native) != 0)
            continue;
        size_t n;
        const char **sub = strings_at(rd, json_object_get(e, "subArchitectures"),
                                      talloc_asprintf(rd->mem, "%s.subArchitectures", at), &n);
        p->arches = talloc_array(p, const char *, n + 1);
        p->arches[0] = native;
        for (size_t k = 0; k < n; k++)
            p->arches[k + 1] = sub[k];
        p->n_arches = n + 1;
    }
}

static struct seccomp_profile *read_profile_file(void *mem, const char *path)
{
    struct reader rd = {.mem = NULL, .file = path};
    struct seccomp_profile *p = talloc_zero(mem, struct seccomp_profile);
    rd.mem = p;
    p->source = talloc_strdup(p, path);
    json_error_t err;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL) {
        if (err.line < 1)
            die("--seccomp-profile %s: %s", path, err.text);
        die("--seccomp-profile %s: line %d column %d: %s", path, err.line, err.column, err.text);
    }
    static const char *const keys[] = {"defaultAction", "defaultErrnoRet", "architectures", "archMap",
                                       "flags", "syscalls", "listenerPath", "listenerMetadata", NULL};
    check_keys(&rd, object_at(&rd, root, "the profile"), "the profile", keys);
    if (json_object_get(root, "listenerPath"))
        BAD(&rd, "listenerPath: seccomp agents are not supported");
    p->default_action = action_at(&rd, json_object_get(root, "defaultAction"), "defaultAction");
    json_t *e = json_object_get(root, "defaultErrnoRet");
    p->default_errno = e ? (int)number_at(&rd, e, "defaultErrnoRet", 4095) : EPERM;
    p->arches = strings_at(&rd, json_object_get(root, "architectures"), "architectures", &p->n_arches);
    for (size_t i = 0; i < p->n_arches; i++)
        if (arch_token(p->arches[i]) == 0)
            BAD(&rd, "architectures[%zu]: unknown architecture \"%s\"", i, p->arches[i]);
    if (p->n_arches == 0 && json_object_get(root, "archMap"))
        read_arch_map(&rd, json_object_get(root, "archMap"), p);
    p->flags = strings_at(&rd, json_object_get(root, "flags"), "flags", &p->n_flags);
    for (size_t i = 0; i < p->n_flags; i++) {
        size_t k = 0;
        while (k < N_ELEMENTS(filter_flags) && strcmp(filter_flags[k].name, p->flags[i]) != 0)
            k++;
        if (k == N_ELEMENTS(filter_flags))
            BAD(&rd, "flags[%zu]: unknown flag \"%s\"", i, p->flags[i]);
    }
    json_t *rules = json_object_get(root, "syscalls");
    if (rules && !json_is_array(rules))
        BAD(&rd, "syscalls: must be a list");
    p->n_rules = rules ? json_array_size(rules) : 0;
    p->rules = talloc_zero_array(p, struct seccomp_rule, p->n_rules);
    for (size_t i = 0; i < p->n_rules; i++)
        read_rule(&rd, json_array_get(rules, i), talloc_asprintf(p, "syscalls[%zu]", i), &p->rules[i]);
    json_decref(root);
    return p;
}

struct seccomp_profile *seccomp_profile_read(void *mem, const char *arg)
{
    return strcmp(arg, "default") == 0 ? default_profile(mem) : read_profile_file(mem, arg);
}

/* ---- writing ---- */

static json_t *strings_json(const char *const *list, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(list[i]));
    return a;
}

static json_t *cond_json(const struct seccomp_cond *c)
{
    if (c->n_arches == 0 && c->caps == 0 && c->min_kernel == NULL)
        return NULL;
    json_t *o = json_object();
    if (c->n_arches)
        json_object_set_new(o, "arches", strings_json(c->arches, c->n_arches));
    if (c->caps) {
        json_t *caps = json_array();
        for (int cap = 0; cap < 64; cap++)
            if (c->caps & ((uint64_t)1 << cap)) {
                char *name = cap_to_name(cap);
                json_array_append_new(caps, json_string(name));
                cap_free(name);
            }
        json_object_set_new(o, "caps", caps);
    }
    if (c->min_kernel)
        json_object_set_new(o, "minKernel", json_string(c->min_kernel));
    return o;
}

json_t *seccomp_profile_to_json(const struct seccomp_profile *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "defaultAction", json_string(action_names[p->default_action]));
    if (p->default_action == SC_ERRNO || p->default_action == SC_TRACE)
        json_object_set_new(o, "defaultErrnoRet", json_integer(p->default_errno));
    if (p->n_arches)
        json_object_set_new(o, "architectures", strings_json(p->arches, p->n_arches));
    if (p->n_flags)
        json_object_set_new(o, "flags", strings_json(p->flags, p->n_flags));
    json_t *rules = json_array();
    for (size_t i = 0; i < p->n_rules; i++) {
        const struct seccomp_rule *r = &p->rules[i];
        json_t *j = json_object();
        json_object_set_new(j, "names", strings_json(r->names, r->n_names));
        json_object_set_new(j, "action", json_string(action_names[r->action]));
        if (r->action == SC_ERRNO || r->action == SC_TRACE)
            json_object_set_new(j, "errnoRet", json_integer(r->errno_ret));
        if (r->n_args) {
            json_t *args = json_array();
            for (size_t k = 0; k < r->n_args; k++)
                json_array_append_new(args, json_pack("{s:I,s:I,s:I,s:s}", "index", (json_int_t)r->args[k].index,
                                                      "value", (json_int_t)r->args[k].value, "valueTwo",
                                                      (json_int_t)r->args[k].value_two, "op",
                                                      op_names[r->args[k].op]));
            json_object_set_new(j, "args", args);
        }
        if (r->comment)
            json_object_set_new(j, "comment", json_string(r->comment));
        json_t *inc = cond_json(&r->includes), *exc = cond_json(&r->excludes);
        if (inc)
            json_object_set_new(j, "includes", inc);
        if (exc)
            json_object_set_new(j, "excludes", exc);
        json_array_append_new(rules, j);
    }
    json_object_set_new(o, "syscalls", rules);
    return o;
}

/* ---- compiling ---- */

static uint32_t scmp_action(enum seccomp_action a, int err)
{
    switch (a) {
    case SC_KILL_THREAD: return SCMP_ACT_KILL_THREAD;
    case SC_KILL_PROCESS: return SCMP_ACT_KILL_PROCESS;
    case SC_TRAP: return SCMP_ACT_TRAP;
    case SC_ERRNO: return SCMP_ACT_ERRNO((uint16_t)err);
    case SC_TRACE: return SCMP_ACT_TRACE((uint16_t)err);
    case SC_LOG: return SCMP_ACT_LOG;
    case SC_ALLOW: break;
    }
    return SCMP_ACT_ALLOW;
}

static bool kernel_at_least(const char *version)
{
    struct utsname u;
    unsigned have[2] = {0, 0}, want[2] = {0, 0};
    if (uname(&u) != 0 || sscanf(u.release, "%u.%u", &have[0], &have[1]) < 1)
        return false;
    sscanf(version, "%u.%u", &want[0], &want[1]);
    return have[0] != want[0] ? have[0] > want[0] : have[1] >= want[1];
}

static bool native_arch_in(const struct seccomp_cond *c)
{
    uint32_t native = seccomp_arch_native();
    for (size_t i = 0; i < c->n_arches; i++) {
        if (arch_token(c->arches[i]) == native)
            return true;
        for (size_t k = 0; k < N_ELEMENTS(go_arches); k++)
            if (go_arches[k].arch == native && strcmp(go_arches[k].go, c->arches[i]) == 0)
                return true;
    }
    return false;
}

/* Docker's rule: includes must all hold, any exclude skips the rule. */
static bool rule_applies(const struct seccomp_rule *r, uint64_t caps)
{
    const struct seccomp_cond *in = &r->includes, *ex = &r->excludes;
    if (in->n_arches && !native_arch_in(in))
        return false;
    if ((in->caps & caps) != in->caps)
        return false;
    if (in->min_kernel && !kernel_at_least(in->min_kernel))
        return false;
    if (ex->n_arches && native_arch_in(ex))
        return false;
    if (ex->caps & caps)
        return false;
    if (ex->min_kernel && kernel_at_least(ex->min_kernel))
        return false;
    return true;
}

static void compile_rule(scmp_filter_ctx ctx, const struct seccomp_profile *p, size_t i, uint32_t dflt)
{
    const struct seccomp_rule *r = &p->rules[i];
    uint32_t action = scmp_action(r->action, r->errno_ret);
    if (action == dflt) /* the same as no rule; libseccomp refuses it */
        return;
    struct scmp_arg_cmp cmp[6];
    for (size_t k = 0; k < r->n_args && k < 6; k++)
        cmp[k] = (struct scmp_arg_cmp){.arg = r->args[k].index, .op = (enum scmp_compare)r->args[k].op,
                                       .datum_a = r->args[k].value, .datum_b = r->args[k].value_two};
    for (size_t n = 0; n < r->n_names; n++) {
        int nr = seccomp_syscall_resolve_name(r->names[n]);
        int rc = seccomp_rule_add_array(ctx, action, nr, (unsigned)r->n_args, cmp);
        if (rc < 0)
            die("--seccomp-profile %s: syscalls[%zu] (%s): %s", p->source, i, r->names[n], strerror(-rc));
    }
}

/* Compile with libseccomp and export the classic-BPF program, so the
 * profile is installed exactly like bwrap's fd programs. */
static struct sock_fprog compile_profile(void *mem, const struct seccomp_profile *p, uint64_t caps)
{
    uint32_t dflt = scmp_action(p->default_action, p->default_errno);
    scmp_filter_ctx ctx = seccomp_init(dflt);
    if (ctx == NULL)
        die("--seccomp-profile %s: can't initialise libseccomp", p->source);
    /* A call through an ABI the profile does not list fails with EPERM
     * (not libseccomp's default, killing the thread): on x86-64 this is
     * what shuts the i386 and x32 entry points. */
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(EPERM));
    if (rc == 0 && p->n_arches > 0) {
        bool native_listed = false;
        for (size_t i = 0; i < p->n_arches && rc == 0; i++) {
            uint32_t arch = arch_token(p->arches[i]);
            native_listed |= arch == seccomp_arch_native();
            rc = seccomp_arch_add(ctx, arch);
            if (rc == -EEXIST)
                rc = 0;
        }
        if (rc == 0 && !native_listed)
            rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
    }
    for (size_t i = 0; rc == 0 && i < p->n_flags; i++)
        for (size_t k = 0; k < N_ELEMENTS(filter_flags); k++)
            if (strcmp(filter_flags[k].name, p->flags[i]) == 0)
                rc = seccomp_attr_set(ctx, filter_flags[k].attr, 1);
    if (rc < 0)
        die("--seccomp-profile %s: %s", p->source, strerror(-rc));
    for (size_t i = 0; i < p->n_rules; i++)
        if (rule_applies(&p->rules[i], caps))
            compile_rule(ctx, p, i, dflt);

    int fd = memfd_create("seccomp", MFD_CLOEXEC);
    if (fd < 0)
        die_errno("memfd_create");
    rc = seccomp_export_bpf(ctx, fd);
    seccomp_release(ctx);
    if (rc < 0)
        die("--seccomp-profile %s: can't export the filter: %s", p->source, strerror(-rc));
    size_t len;
    char *data = lseek(fd, 0, SEEK_SET) == 0 ? read_fd_all(mem, fd, &len) : NULL;
    if (data == NULL)
        die_errno("--seccomp-profile %s: can't read the compiled filter", p->source);
    close(fd);
    return (struct sock_fprog){.len = (unsigned short)(len / sizeof(struct sock_filter)),
                               .filter = (struct sock_filter *)data};
}

json_t *seccomp_profile_to_oci_json(const struct seccomp_profile *p, uint64_t caps)
{
    json_t *o = seccomp_profile_to_json(p);
    json_t *rules = json_object_get(o, "syscalls"), *kept = json_array();
    for (size_t i = 0; i < p->n_rules; i++) {
        if (!rule_applies(&p->rules[i], caps))
            continue;
        json_t *r = json_array_get(rules, i);
        json_object_del(r, "comment");
        json_object_del(r, "includes");
        json_object_del(r, "excludes");
        json_array_append(kept, r);
    }
    json_object_set_new(o, "syscalls", kept);
    return o;
}

/* ---- bwrap's fd programs, and installing ---- */

struct seccomp_programs {
    struct sock_fprog *progs;
    size_t n;
};

struct seccomp_programs *seccomp_prepare(void *mem, const struct plan *p, uint64_t caps)
{
    struct seccomp_programs *s = talloc_zero(mem, struct seccomp_programs);
    s->progs = talloc_array(s, struct sock_fprog, p->n_seccomp_fds + 1);
    for (size_t i = 0; i < p->n_seccomp_fds; i++) {
        size_t len;
        char *data = read_fd_all(s, p->seccomp_fds[i], &len);
        if (data == NULL)
            die_errno("Can't read seccomp data");
        close(p->seccomp_fds[i]);
        if (len == 0 || len % 8 != 0)
            die("Invalid seccomp data, must be multiple of 8");
        if (len / sizeof(struct sock_filter) > BPF_MAXINSNS)
            die("Invalid seccomp data, more than %u instructions", BPF_MAXINSNS);
        s->progs[s->n++] = (struct sock_fprog){.len = (unsigned short)(len / 8), .filter = (struct sock_filter *)data};
    }
    if (p->seccomp_profile)
        s->progs[s->n++] = compile_profile(s, p->seccomp_profile, caps);
    return s;
}

void seccomp_install(const struct seccomp_programs *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &s->progs[i]) != 0) {
            if (errno == EINVAL)
                die("Unable to set up system call filtering as requested: prctl(PR_SET_SECCOMP) reported EINVAL. (Hint: this requires a kernel configured with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER.)");
            die_errno("prctl(PR_SET_SECCOMP)");
        }
    }
}
