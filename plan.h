/* The plan: a plain description of one sandbox.
 *
 * bwrapper.c builds it from argv (and --args fds) without side effects;
 * the executors (run.c with mounts.c and caps.c, and oci.c with bundle.c and runtime.c) only read it.
 * Everything hangs off one talloc context, so one talloc_free releases it. */
#ifndef BWRAPPER_PLAN_H
#define BWRAPPER_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/filter.h>

/* Namespaces asked for.  The -TRY variants are resolved by the executor,
 * because only it may look at what the kernel offers. */
enum {
    NS_USER = 1u << 0,
    NS_USER_TRY = 1u << 1,
    NS_IPC = 1u << 2,
    NS_PID = 1u << 3,
    NS_NET = 1u << 4,
    NS_UTS = 1u << 5,
    NS_CGROUP = 1u << 6,
    NS_CGROUP_TRY = 1u << 7,
};

enum step_kind {
    STEP_BIND,       /* --bind, --ro-bind, --dev-bind (and -try), --bind-fd, --ro-bind-fd */
    STEP_REMOUNT_RO, /* --remount-ro */
    STEP_PROC,       /* --proc */
    STEP_DEV,        /* --dev */
    STEP_TMPFS,      /* --tmpfs */
    STEP_MQUEUE,     /* --mqueue */
    STEP_DIR,        /* --dir */
    STEP_FILE,       /* --file */
    STEP_BIND_DATA,  /* --bind-data, --ro-bind-data */
    STEP_SYMLINK,    /* --symlink */
    STEP_CHMOD,      /* --chmod */
    STEP_OVERLAY,    /* --overlay, --tmp-overlay, --ro-overlay */
};

/* step.flags */
enum {
    STEP_RO = 1u << 0,      /* read-only mount */
    STEP_DEVICES = 1u << 1, /* keep device nodes usable (no MS_NODEV) */
    STEP_TRY = 1u << 2,     /* a missing source skips the step */
    STEP_TMP = 1u << 3,     /* overlay writes go to a private tmpfs */
    STEP_EXPOSE = 1u << 4,  /* --rw/--ro/--stage: directories made to hold it stay read-only */
    STEP_PROFILE = 1u << 5, /* made by --profile agent: under Landlock, its equivalent is used
                             * (/proc readable, a few /dev nodes, a private TMPDIR for /tmp,
                             * the host's own /bin symlinks) instead of a mount */
    STEP_STAGE = 1u << 6,   /* --stage: an overlay whose upper and work dirs are the private stage
                             * directory the executor makes (src and work are NULL) */
};

/* --isolation: how the sandbox is made. */
enum isolation {
    ISOLATION_NAMESPACES, /* bwrap's way: namespaces and mounts (the default) */
    ISOLATION_AUTO,       /* namespaces where they work, else Landlock (--profile agent's default) */
    ISOLATION_LANDLOCK,   /* no namespaces: Landlock rules, seccomp, a monitor outside */
    N_ISOLATIONS
};

#define PERMS_UNSET (-1)

/* One filesystem step, in the order the user gave it. */
struct step {
    enum step_kind kind;
    unsigned flags;
    const char *option; /* "--ro-bind /usr /usr": names the step in errors */
    const char *src;    /* bind source, symlink target, overlay upper dir */
    const char *work;   /* overlay work dir */
    const char *dest;
    const char **layers; /* overlay lower layers, bottom first */
    size_t n_layers;
    int fd;    /* --bind-fd, --file, --bind-data source; -1 otherwise */
    int perms; /* from --perms (or --chmod's OCTAL); PERMS_UNSET otherwise */
    uint64_t size; /* from --size; 0 = the kernel's default */
};

/* --rlimit NAME=SOFT[:HARD], applied just before exec. */
struct rlimit_op {
    int resource; /* RLIMIT_* */
    const char *option; /* "--rlimit nofile=16", for errors */
    uint64_t soft, hard; /* RLIM_INFINITY for "unlimited" */
    bool hard_given;     /* else the hard limit stays as it is */
};

enum env_kind { ENV_SET, ENV_UNSET, ENV_CLEAR };

struct env_op {
    enum env_kind kind;
    const char *name, *value;
};

/* --seccomp FD, --add-seccomp-fd FD: a classic-BPF program, read from FD
 * (then closed) and checked as the kernel will once the command line is
 * parsed; --print-plan reads nothing and leaves insns NULL. */
struct seccomp_fd_program {
    int fd;                          /* as given, for --print-plan and errors */
    const struct sock_filter *insns; /* 1..BPF_MAXINSNS of them */
    unsigned short n_insns;
};

/* A seccomp profile in the OCI / Docker JSON shape (--seccomp-profile),
 * read once and shared by the native executor and the OCI bundle. */
enum seccomp_action {
    SC_KILL_THREAD, SC_KILL_PROCESS, SC_TRAP, SC_ERRNO, SC_TRACE, SC_ALLOW, SC_LOG,
};

struct seccomp_arg {
    unsigned index; /* 0..5 */
    uint64_t value, value_two;
    int op; /* enum scmp_compare */
};

/* Docker's "includes"/"excludes": a rule that applies only on some
 * architectures, with some capabilities or from some kernel on. */
struct seccomp_cond {
    const char **arches;
    size_t n_arches;
    uint64_t caps;
    const char *min_kernel;
};

struct seccomp_rule {
    const char **names;
    size_t n_names;
    enum seccomp_action action;
    int errno_ret; /* for SC_ERRNO (default EPERM) and SC_TRACE */
    struct seccomp_arg *args; /* all must match */
    size_t n_args;
    const char *comment;
    struct seccomp_cond includes, excludes;
};

struct seccomp_profile {
    const char *source; /* "default" or the file's path */
    enum seccomp_action default_action;
    int default_errno;
    const char **arches; /* "SCMP_ARCH_X86_64", ...; none = the native one */
    size_t n_arches;
    const char **flags;  /* "SECCOMP_FILTER_FLAG_LOG", ... */
    size_t n_flags;
    struct seccomp_rule *rules;
    size_t n_rules;
};

/* An IP address as the kernel has it: family AF_INET (4 bytes used) or
 * AF_INET6; 0 for none. */
struct net_addr {
    int family;
    unsigned char bytes[16];
};

/* --allow-net HOST[:PORT]: a host (or every subdomain of one) and port
 * the command may reach through bwrapper's proxy (netallow.c, proxy.c). */
struct net_rule {
    const char *text;  /* as given: "*.example.com:443", for reports */
    const char *host;  /* lower case; for a wildcard the domain after "*." */
    bool wildcard;     /* "*.example.com": its subdomains, not example.com itself */
    struct net_addr addr; /* an IP literal's address; family 0 for a name */
    unsigned port;     /* 1..65535; 0: 80 and 443 */
};

enum stage_end { STAGE_END_DEFAULT, STAGE_END_COMMIT, STAGE_END_DISCARD, STAGE_END_KEEP, STAGE_END_ASK };
enum stage_action { STAGE_ACTION_NONE, STAGE_ACTION_COMMIT, STAGE_ACTION_DISCARD, STAGE_ACTION_DIFF };

struct plan {
    unsigned ns;          /* NS_* */
    int userns_fd, userns2_fd, pidns_fd; /* -1 when not given */
    bool disable_userns, assert_userns_disabled;
    int64_t uid, gid;     /* -1: the caller's */
    const char *hostname, *chdir, *argv0;
    const char *exec_label, *file_label;

    struct env_op *env;
    size_t n_env;
    struct step *steps;
    size_t n_steps;
    const char **lock_files;
    size_t n_lock_files;

    int sync_fd, block_fd, userns_block_fd, info_fd, json_status_fd; /* -1: none */
    /* The caller's fds above 2 reach the command only if named: --keep-fd,
     * and --sync-fd with --as-pid-1 (in keep_fds too).  Set by --profile
     * agent and --pty; otherwise every inherited fd passes, as in bwrap. */
    bool close_fds;
    int *keep_fds; /* --keep-fd, in order */
    size_t n_keep_fds;
    struct seccomp_fd_program *seccomp_fds; /* --seccomp or --add-seccomp-fd, in order */
    size_t n_seccomp_fds;
    bool seccomp_replace; /* given as --seccomp (last one wins) */
    struct seccomp_profile *seccomp_profile; /* --seccomp-profile; NULL if none */

    /* --cap-add/--cap-drop folded in order: the sandbox keeps
     * (initial & ~cap_drop) | cap_add, where initial is the caller's
     * effective set for root and empty otherwise. */
    bool caps_given;
    uint64_t cap_add, cap_drop;

    struct rlimit_op *rlimits;
    size_t n_rlimits;
    uint64_t timeout_ms; /* --timeout; 0: none */
    bool root_readonly;  /* the root tmpfs is made read-only once built (--profile agent) */
    enum isolation isolation; /* --isolation; --profile agent sets auto */
    const char **require;     /* --require NAME,...: guarantees that must be kept, or no run */
    size_t n_require;

    bool pty; /* the command on a new pseudo-terminal, in its own session, relayed to ours */
    bool new_session, die_with_parent, as_pid_1, level_prefix;
    bool not_a_security_boundary; /* bwrap 0.12: non-essential set-up failures only warn */

    /* The OCI executor (oci.c): --emit-oci, --runtime, --runtime-flag. */
    const char *emit_oci, *runtime;
    const char **runtime_flags;
    size_t n_runtime_flags;

    /* --stage PATH: one STEP_OVERLAY with STEP_STAGE (layers = {PATH},
     * dest = PATH, realpath'd).  It needs a mount namespace: the native
     * executor; the OCI one refuses it. */
    const char *stage_path;   /* NULL: no --stage */
    enum stage_end stage_end; /* --stage-end; STAGE_END_DEFAULT: ask when stdin and stderr
                               * are terminals, keep otherwise */
    int changes_fd;           /* --changes-fd: one JSON line per change; -1: none */
    /* --commit, --discard, --diff DIR: act on a kept stage, run nothing. */
    enum stage_action stage_action;
    const char *stage_dir;    /* their DIR; NULL with STAGE_ACTION_NONE */

    /* --allow-net: the sandbox keeps a network namespace of its own and
     * reaches only these hosts, through an HTTP proxy (CONNECT and
     * absolute http:// requests) that bwrapper's monitor runs outside and
     * the command sees at 127.0.0.1:NET_PROXY_PORT (its *_PROXY variables
     * are set last, after the env ops).  None: no proxy.  The native
     * executor only. */
    struct net_rule *net_rules;
    size_t n_net_rules;
    int report_fd; /* --report-fd: one JSON line per proxied connection; -1: none */

    const char *const *argv; /* the command and its arguments, NULL-terminated */
    size_t argc;
};

/* bwrapper.c */
/* What to print instead of running: --print-plan, --print-seccomp,
 * --print-seccomp-bpf, --print-guarantees. */
enum print_what { PRINT_NOTHING, PRINT_PLAN, PRINT_SECCOMP, PRINT_SECCOMP_BPF, PRINT_GUARANTEES };
/* With a print option no command is needed. */
struct plan *plan_from_argv(void *mem_ctx, int argc, const char *const *argv, enum print_what *print);

/* plan.c */
extern const char *const isolation_names[N_ISOLATIONS]; /* as --isolation takes them */
char *plan_to_json(void *mem_ctx, const struct plan *plan);
/* User text as JSON: a string when it is UTF-8, else {"hex": "ff78"}
 * (its bytes: a JSON string cannot hold them).  For every document
 * bwrapper writes that names paths. */
struct json_t *text_json(const char *text);
/* The text back from what text_json made (a string, or {"hex": ...}),
 * under MEM; NULL if it is neither. */
char *text_from_json(void *mem, const struct json_t *j);
/* --print-seccomp: the profile in the JSON shape --seccomp-profile reads. */
char *seccomp_profile_json(void *mem_ctx, const struct seccomp_profile *profile);

/* run.c: build the sandbox, run the command, return its exit status. */
int run_plan(const struct plan *plan);
/* --print-seccomp-bpf: write the program run_plan would install for the
 * plan's --seccomp-profile to stdout; the exit status. */
int print_seccomp_bpf(const struct plan *plan);

/* The mode a step gives what it creates (--perms, or bwrap's default for
 * its kind; 0 for none), and the mode of the directories made to hold it.
 * Shared by both executors. */
mode_t step_perms(const struct step *s);
mode_t parent_mode_for(const struct step *s);

#endif
