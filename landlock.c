/* Landlock isolation: the filesystem part of a plan as Landlock rules
 * (paths stay where they are, access is what is limited), network and
 * scoping by ABI level, and the seccomp filter that keeps sockets local. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <talloc.h>
#include <unistd.h>

#include "landlock.h"
#include "util.h"

/* The installed header may predate the running kernel (Debian's stops at
 * ABI 2): the newer constants, as the kernel's uapi defines them. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#define LL_RULE_NET_PORT 2                  /* ABI 4: LANDLOCK_RULE_NET_PORT */
#define LL_ACCESS_NET_BIND_TCP (1ULL << 0)   /* ABI 4 */
#define LL_ACCESS_NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)               /* ABI 6 */

/* struct landlock_ruleset_attr as of ABI 6.  The kernel takes a larger
 * struct than it knows as long as the unknown tail is zero, so one size
 * serves every ABI: fields the kernel lacks are left 0. */
struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

#define ACCESS_READ (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* The rights a rule on a file (not a directory) may carry. */
#define ACCESS_FILE                                                                                          \
    (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |             \
     LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

int landlock_abi(void)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return abi > 0 ? (int)abi : 0;
}

/* Every filesystem right the kernel of ABI knows: all are handled, so
 * all are denied outside the rules. */
static uint64_t fs_rights(int abi)
{
    uint64_t r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1 */
    if (abi >= 2)
        r |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        r |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5)
        r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    return r;
}

/* What a bind of a path onto itself allows: device ioctls only where
 * natively device nodes would work (--dev-bind), as binds are nodev. */
static uint64_t bind_access(const struct step *s, int abi)
{
    if (s->flags & STEP_RO)
        return ACCESS_READ;
    return fs_rights(abi) & ((s->flags & STEP_DEVICES) ? ~0ULL : ~LANDLOCK_ACCESS_FS_IOCTL_DEV);
}

static bool is_writable_bind(const struct step *s)
{
    return s->kind == STEP_BIND && !(s->flags & STEP_RO);
}

/* Is PATH at or beneath DIR? */
static bool path_beneath(const char *path, const char *dir)
{
    size_t len = strlen(dir);
    if (strcmp(dir, "/") == 0)
        return true;
    return strncmp(path, dir, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

static const char *step_unexpressible(void *mem, const struct plan *p, const struct step *s)
{
    if (s->flags & STEP_PROFILE) {
        if (s->kind == STEP_PROC || s->kind == STEP_DEV || s->kind == STEP_SYMLINK ||
            (s->kind == STEP_TMPFS && strcmp(s->dest, "/tmp") == 0))
            return NULL;
    }
    if (s->kind != STEP_BIND)
        return talloc_asprintf(mem, "%s: it needs a mount", s->option);
    if (s->fd >= 0 || strcmp(s->src, s->dest) != 0)
        return talloc_asprintf(mem, "%s: a bind to another path needs a mount", s->option);
    /* Landlock's rules only add up: a read-only path under a writable one
     * would be writable. */
    for (size_t i = 0; i < p->n_steps && (s->flags & STEP_RO); i++)
        if (is_writable_bind(&p->steps[i]) && strcmp(p->steps[i].dest, s->dest) != 0 &&
            path_beneath(s->dest, p->steps[i].dest))
            return talloc_asprintf(mem, "%s: Landlock cannot make part of %s read-only", s->option,
                                   p->steps[i].option);
    return NULL;
}

const char *landlock_unexpressible(void *mem, const struct plan *p)
{
    /* What only namespaces (or bwrap's setuid mode) do, by option. */
    const struct {
        bool given;
        const char *option;
    } scalars[] = {
        {p->hostname != NULL, "--hostname"},
        {p->uid >= 0, "--uid"},
        {p->gid >= 0, "--gid"},
        {p->userns_fd != -1, "--userns"},
        {p->userns2_fd != -1, "--userns2"},
        {p->pidns_fd != -1, "--pidns"},
        {p->userns_block_fd != -1, "--userns-block-fd"},
        {p->disable_userns, "--disable-userns"},
        {p->assert_userns_disabled, "--assert-userns-disabled"},
        {p->as_pid_1, "--as-pid-1"},
        {p->exec_label != NULL, "--exec-label"},
        {p->file_label != NULL, "--file-label"},
        {p->n_lock_files > 0, "--lock-file"},
        {p->block_fd != -1, "--block-fd"},
        {p->pty, "--pty"},
        {p->n_net_rules > 0, "--allow-net"},
        {p->cap_add != 0, "--cap-add"},
        {(p->ns & NS_USER) && !(p->ns & NS_USER_TRY), "--unshare-user"},
        {(p->ns & NS_CGROUP) && !(p->ns & NS_CGROUP_TRY), "--unshare-cgroup"},
    };
    for (size_t i = 0; i < N_ELEMENTS(scalars); i++)
        if (scalars[i].given)
            return talloc_asprintf(mem, "%s: it needs namespaces", scalars[i].option);
    for (size_t i = 0; i < p->n_steps; i++) {
        const char *why = step_unexpressible(mem, p, &p->steps[i]);
        if (why != NULL)
            return why;
    }
    return NULL;
}

static void add_path_rule(int ruleset, const char *path, uint64_t access, bool may_be_missing)
{
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0 && may_be_missing && errno == ENOENT)
        return;
    if (fd < 0)
        die_errno("Can't find source path %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        die_errno("fstat %s", path);
    if (!S_ISDIR(st.st_mode))
        access &= ACCESS_FILE;
    struct landlock_path_beneath_attr rule = {.allowed_access = access, .parent_fd = fd};
    if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0)
        die_errno("landlock_add_rule %s", path);
    close(fd);
}

/* --profile agent's --dev, as far as Landlock goes: the usual character
 * devices, usable; the rest of the host's /dev stays closed. */
static void add_dev_rules(int ruleset, int abi)
{
    static const char *const nodes[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"};
    for (size_t i = 0; i < N_ELEMENTS(nodes); i++)
        add_path_rule(ruleset, nodes[i], fs_rights(abi) & ACCESS_FILE & ~LANDLOCK_ACCESS_FS_EXECUTE, true);
}

int landlock_ruleset(const struct plan *p, int abi, const char *tmpdir)
{
    struct ll_ruleset_attr attr = {.handled_access_fs = fs_rights(abi)};
    /* Only a network namespace keeps TCP from the command; Landlock
     * handles TCP from ABI 4 on, with no rule: nothing is allowed. */
    if ((p->ns & NS_NET) && abi >= 4)
        attr.handled_access_net = LL_ACCESS_NET_BIND_TCP | LL_ACCESS_NET_CONNECT_TCP;
    /* Abstract unix sockets belong to a network namespace; signals stay
     * inside a pid namespace. */
    if ((p->ns & NS_NET) && abi >= 6)
        attr.scoped |= LL_SCOPE_ABSTRACT_UNIX_SOCKET;
    if ((p->ns & NS_PID) && abi >= 6)
        attr.scoped |= LL_SCOPE_SIGNAL;
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (ruleset < 0)
        die_errno("landlock_create_ruleset");
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct step *s = &p->steps[i];
        if (s->kind == STEP_BIND)
            add_path_rule(ruleset, s->src, bind_access(s, abi), s->flags & STEP_TRY);
        else if (s->kind == STEP_PROC)
            add_path_rule(ruleset, "/proc", ACCESS_READ, false);
        else if (s->kind == STEP_DEV)
            add_dev_rules(ruleset, abi);
    }
    if (tmpdir != NULL)
        add_path_rule(ruleset, tmpdir, fs_rights(abi), false);
    return ruleset;
}

void landlock_enforce(int ruleset)
{
    if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
        die_errno("landlock_restrict_self");
    close(ruleset);
}

void seccomp_unix_sockets_only(void)
{
    /* Only the native architecture: a 32-bit process would reach socket()
     * through socketcall(), whose arguments a filter cannot read, so other
     * architectures are killed (libseccomp's default for them). */
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL)
        die("seccomp_init failed");
    int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                             (struct scmp_arg_cmp){.arg = 0, .op = SCMP_CMP_NE, .datum_a = AF_UNIX});
    if (r == 0)
        r = seccomp_load(ctx);
    seccomp_release(ctx);
    if (r < 0) {
        errno = -r;
        die_errno("seccomp: refusing non-unix sockets");
    }
}

char *private_tmpdir_make(void *mem)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || *base != '/')
        base = "/tmp";
    char *dir = talloc_asprintf(mem, "%s/bwrapper-tmp.XXXXXX", base);
    if (mkdtemp(dir) == NULL)
        die_errno("can't make a private temporary directory in %s", base);
    return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    if (remove(path) < 0 && errno != ENOENT)
        warn("can't remove %s: %s", path, strerror(errno));
    return 0;
}

void private_tmpdir_remove(const char *path)
{
    /* Depth first, symlinks not followed, no other filesystem entered. */
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}
