#define _GNU_SOURCE
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <talloc.h>
#include <unistd.h>

#include "caps.h"
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

/* Docker names architectures the Go way in "includes"/"excludes"; those
 * this libseccomp cannot filter for have token 0 and never match. */
static const struct {
    uint32_t arch;
    const char *go;
} go_arches[] = {
    {SCMP_ARCH_X86_64, "amd64"},   {SCMP_ARCH_X86, "386"},          {SCMP_ARCH_X32, "x32"},
    {SCMP_ARCH_AARCH64, "arm64"},  {SCMP_ARCH_ARM, "arm"},          {SCMP_ARCH_PPC64LE, "ppc64le"},
    {SCMP_ARCH_PPC64, "ppc64"},    {SCMP_ARCH_PPC, "ppc"},          {SCMP_ARCH_S390X, "s390x"},
    {SCMP_ARCH_S390, "s390"},      {SCMP_ARCH_RISCV64, "riscv64"},  {SCMP_ARCH_MIPS, "mips"},
    {SCMP_ARCH_MIPSEL, "mipsle"},  {SCMP_ARCH_MIPS64, "mips64"},    {SCMP_ARCH_MIPSEL64, "mips64le"},
    {SCMP_ARCH_MIPS64N32, "mips64n32"}, {SCMP_ARCH_MIPSEL64N32, "mips64len32"}, {0, "loong64"},
};

/* Every SCMP_ARCH_ name libseccomp has had: a profile may list one this
 * build does not know (Docker's archMap lists them all) for another host. */
static const char *const scmp_arch_names[] = {
    "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
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

static bool known_arch_name(const char *name, bool go_names_too)
{
    for (size_t i = 0; i < N_ELEMENTS(scmp_arch_names); i++)
        if (strcmp(name, scmp_arch_names[i]) == 0)
            return true;
    for (size_t i = 0; go_names_too && i < N_ELEMENTS(go_arches); i++)
        if (strcmp(name, go_arches[i].go) == 0)
            return true;
    return arch_token(name) != 0;
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

/* "5" or "5.8", as kernel_at_least compares them. */
static bool is_kernel_version(const char *v)
{
    size_t major = strspn(v, "0123456789");
    if (major == 0 || v[major] == '\0')
        return major > 0;
    size_t minor = v[major] == '.' ? strspn(v + major + 1, "0123456789") : 0;
    return minor > 0 && v[major + 1 + minor] == '\0';
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
    for (size_t i = 0; i < c->n_arches; i++)
        if (!known_arch_name(c->arches[i], true))
            BAD(rd, "%s.arches[%zu]: unknown architecture \"%s\"", where, i, c->arches[i]);
    for (size_t i = 0; i < n; i++) {
        int cap = cap_by_name(caps[i]);
        if (cap < 0)
            BAD(rd, "%s.caps[%zu]: unknown capability \"%s\"", where, i, caps[i]);
        c->caps |= (uint64_t)1 << cap;
    }
    json_t *k = json_object_get(v, "minKernel");
    if (k && !(json_is_string(k) && is_kernel_version(json_string_value(k))))
        BAD(rd, "%s.minKernel: must be a kernel version such as \"5.8\", not %s", where,
            json_is_string(k) ? talloc_asprintf(rd->mem, "\"%s\"", json_string_value(k)) : "a non-string");
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
        /* libseccomp refuses a second comparison on one argument when the
         * filter is built, with a bare EINVAL: say so here instead. */
        for (size_t k = 0; k < i; k++)
            if (r->args[k].index == r->args[i].index)
                BAD(rd, "%s: a second comparison on argument %u (args[%zu] has one); libseccomp allows one per "
                        "argument in a rule: write two rules", at, r->args[i].index, k);
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
        if (!known_arch_name(json_string_value(arch), false))
            BAD(rd, "%s.architecture: unknown architecture \"%s\"", at, json_string_value(arch));
        size_t n;
        const char **sub = strings_at(rd, json_object_get(e, "subArchitectures"),
                                      talloc_asprintf(rd->mem, "%s.subArchitectures", at), &n);
        /* The native entry's go into the filter: this libseccomp must know them. */
        bool native_entry = strcmp(json_string_value(arch), native) == 0;
        for (size_t k = 0; k < n; k++)
            if (native_entry ? arch_token(sub[k]) == 0 : !known_arch_name(sub[k], false))
                BAD(rd, "%s.subArchitectures[%zu]: unknown architecture \"%s\"", at, k, sub[k]);
        if (!native_entry)
            continue;
        p->arches = talloc_array(p, const char *, n + 1);
        p->arches[0] = native;
        for (size_t k = 0; k < n; k++)
            p->arches[k + 1] = sub[k];
        p->n_arches = n + 1;
    }
}

#define PROFILE_MAX_BYTES (1u << 20)

static struct seccomp_profile *read_profile_file(void *mem, const char *path)
{
    struct reader rd = {.mem = NULL, .file = path};
    struct seccomp_profile *p = talloc_zero(mem, struct seccomp_profile);
    rd.mem = p;
    p->source = talloc_strdup(p, path);
    /* Bounded before parsing: a real profile is a few kB, and jansson
     * would take seconds and gigabytes to refuse a huge file. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die_errno("--seccomp-profile %s", path);
    size_t len;
    char *text = read_fd_max(p, fd, PROFILE_MAX_BYTES, &len);
    if (text == NULL && errno == EFBIG)
        die("--seccomp-profile %s: larger than %u bytes: not a seccomp profile", path, PROFILE_MAX_BYTES);
    if (text == NULL)
        die_errno("--seccomp-profile %s", path);
    close(fd);
    json_error_t err;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    talloc_free(text);
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

struct sock_fprog seccomp_compile(void *mem, const struct seccomp_profile *p, uint64_t caps)
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

char *seccomp_rules_applying(void *mem, const struct seccomp_profile *p, uint64_t caps)
{
    char *applying = talloc_array(mem, char, p->n_rules + 1);
    for (size_t i = 0; i < p->n_rules; i++)
        applying[i] = rule_applies(&p->rules[i], caps) ? '1' : '0';
    applying[p->n_rules] = '\0';
    return applying;
}

bool seccomp_profile_is_default(const struct seccomp_profile *p)
{
    /* "default" as an argument always means this one, never a file */
    return strcmp(p->source, "default") == 0;
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

/* Whether the kernel's seccomp accepts CODE (seccomp_check_filter): the
 * classic-BPF instructions that make sense on struct seccomp_data. */
static bool seccomp_opcode_allowed(uint16_t code)
{
    switch (code) {
    case BPF_LD | BPF_W | BPF_ABS: case BPF_LD | BPF_W | BPF_LEN: case BPF_LDX | BPF_W | BPF_LEN:
    case BPF_RET | BPF_K: case BPF_RET | BPF_A:
    case BPF_ALU | BPF_ADD | BPF_K: case BPF_ALU | BPF_ADD | BPF_X:
    case BPF_ALU | BPF_SUB | BPF_K: case BPF_ALU | BPF_SUB | BPF_X:
    case BPF_ALU | BPF_MUL | BPF_K: case BPF_ALU | BPF_MUL | BPF_X:
    case BPF_ALU | BPF_DIV | BPF_K: case BPF_ALU | BPF_DIV | BPF_X:
    case BPF_ALU | BPF_AND | BPF_K: case BPF_ALU | BPF_AND | BPF_X:
    case BPF_ALU | BPF_OR | BPF_K: case BPF_ALU | BPF_OR | BPF_X:
    case BPF_ALU | BPF_XOR | BPF_K: case BPF_ALU | BPF_XOR | BPF_X:
    case BPF_ALU | BPF_LSH | BPF_K: case BPF_ALU | BPF_LSH | BPF_X:
    case BPF_ALU | BPF_RSH | BPF_K: case BPF_ALU | BPF_RSH | BPF_X:
    case BPF_ALU | BPF_NEG:
    case BPF_LD | BPF_IMM: case BPF_LDX | BPF_IMM:
    case BPF_MISC | BPF_TAX: case BPF_MISC | BPF_TXA:
    case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM: case BPF_ST: case BPF_STX:
    case BPF_JMP | BPF_JA:
    case BPF_JMP | BPF_JEQ | BPF_K: case BPF_JMP | BPF_JEQ | BPF_X:
    case BPF_JMP | BPF_JGE | BPF_K: case BPF_JMP | BPF_JGE | BPF_X:
    case BPF_JMP | BPF_JGT | BPF_K: case BPF_JMP | BPF_JGT | BPF_X:
    case BPF_JMP | BPF_JSET | BPF_K: case BPF_JMP | BPF_JSET | BPF_X:
        return true;
    }
    return false;
}

/* What the kernel would refuse in F (N instructions) with EINVAL, as its
 * bpf_check_classic and seccomp_check_filter do, or NULL: so that a bad
 * program is named at parse time, not blamed on the kernel's config. */
static const char *bpf_problem(void *mem, const struct sock_filter *f, size_t n)
{
    /* Scratch cells 0..15 a path has stored to, for every instruction:
     * a load from a cell no path has written is refused. */
    uint16_t *valid_at = talloc_array(mem, uint16_t, n), valid = 0;
    for (size_t i = 0; i < n; i++)
        valid_at[i] = 0xffff;
    for (size_t pc = 0; pc < n; pc++) {
        const struct sock_filter *in = &f[pc];
        uint16_t code = in->code;
        const char *at = talloc_asprintf(mem, "instruction %zu of %zu (code 0x%04x)", pc, n, code);
        if (!seccomp_opcode_allowed(code))
            return talloc_asprintf(mem, "%s: not an instruction seccomp allows", at);
        valid &= valid_at[pc];
        switch (code) {
        case BPF_LD | BPF_W | BPF_ABS:
            if (in->k >= sizeof(struct seccomp_data) || in->k % 4)
                return talloc_asprintf(mem, "%s: loads offset %u, outside struct seccomp_data or unaligned", at, in->k);
            break;
        case BPF_ALU | BPF_DIV | BPF_K:
            if (in->k == 0)
                return talloc_asprintf(mem, "%s: divides by zero", at);
            break;
        case BPF_ALU | BPF_LSH | BPF_K:
        case BPF_ALU | BPF_RSH | BPF_K:
            if (in->k >= 32)
                return talloc_asprintf(mem, "%s: shifts by %u bits", at, in->k);
            break;
        case BPF_ST: case BPF_STX: case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM:
            if (in->k >= BPF_MEMWORDS)
                return talloc_asprintf(mem, "%s: scratch cell %u does not exist", at, in->k);
            if (code == BPF_ST || code == BPF_STX)
                valid |= (uint16_t)(1u << in->k);
            else if (!(valid & (1u << in->k)))
                return talloc_asprintf(mem, "%s: reads scratch cell %u before any store to it", at, in->k);
            break;
        case BPF_JMP | BPF_JA:
            if (in->k >= n - pc - 1)
                return talloc_asprintf(mem, "%s: jumps past the end", at);
            valid_at[pc + 1 + in->k] &= valid;
            valid = 0xffff;
            break;
        default:
            if (BPF_CLASS(code) != BPF_JMP)
                break;
            if (pc + 1 + in->jt >= n || pc + 1 + in->jf >= n)
                return talloc_asprintf(mem, "%s: jumps past the end", at);
            valid_at[pc + 1 + in->jt] &= valid;
            valid_at[pc + 1 + in->jf] &= valid;
            valid = 0xffff;
            break;
        }
    }
    if (BPF_CLASS(f[n - 1].code) != BPF_RET)
        return talloc_asprintf(mem, "the last instruction (code 0x%04x) is not a return", f[n - 1].code);
    return NULL;
}

struct seccomp_fd_program seccomp_fd_read(void *mem, int fd, const char *option)
{
    const size_t max = BPF_MAXINSNS * sizeof(struct sock_filter);
    size_t len;
    char *data = read_fd_max(mem, fd, max, &len);
    if (data == NULL && errno == EFBIG)
        die("Invalid seccomp data, more than %u instructions (%s)", BPF_MAXINSNS, option);
    if (data == NULL)
        die("Can't read seccomp data: %s (%s)", strerror(errno), option);
    close(fd);
    if (len % sizeof(struct sock_filter) != 0)
        die("Invalid seccomp data, must be multiple of 8 (%s)", option);
    if (len == 0)
        die("Invalid seccomp data, no instructions (%s)", option);
    const struct sock_filter *insns = (const struct sock_filter *)data;
    size_t n = len / sizeof *insns;
    void *tmp = talloc_new(mem);
    const char *problem = bpf_problem(tmp, insns, n);
    if (problem != NULL)
        die("Invalid seccomp data, %s (%s)", problem, option);
    talloc_free(tmp);
    return (struct seccomp_fd_program){.fd = fd, .insns = insns, .n_insns = (unsigned short)n};
}
