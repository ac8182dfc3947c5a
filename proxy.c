/* --allow-net's proxy, in bwrapper's monitor: accept on the sandbox's
 * listening socket, read one request head, decide (netallow.c), resolve
 * and connect on the host, then move bytes both ways until both sides
 * are done.  One epoll set, edge-triggered per connection: any event of a
 * connection moves both of its directions as far as they go.  Bytes move
 * by splice(2) through a pipe per direction: the kernel hands pages from
 * one socket to the other, and bwrapper never copies them. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <talloc.h>
#include <unistd.h>

#include "netallow.h"
#include "proxy.h"
#include "util.h"

#define HEAD_MAX 16384          /* a request's line and headers */
#define FLOW_PIPE (1 << 20)     /* bytes in flight per direction: the unprivileged pipe-max-size */
#define MAX_CONNS 256
#define FDS_PER_CONN 6          /* two sockets, two pipes (or the resolver's one) */
#define MAX_ADDRS 32            /* of one name, tried in order */

enum side { CLIENT, UPSTREAM, RESOLVER };
enum conn_state { READING_REQUEST, RESOLVING, CONNECTING, RELAYING };

/* One direction: bytes read from one side, not yet written to the other,
 * wait in a pipe. */
struct flow {
    int pipe[2];    /* -1 until relaying */
    size_t pending; /* bytes in the pipe */
    bool eof;       /* the reading side is done */
    bool shut;      /* ...and the writing side has been told (SHUT_WR) */
    uint64_t bytes; /* read, after the request's head */
};

struct conn;
struct endpoint {
    struct conn *conn;
    enum side side;
};

struct conn {
    struct proxy *proxy;
    struct conn *next;
    int fd[3];           /* by side; the resolver's is its answer's pipe */
    struct endpoint ep[3];
    pid_t resolver;      /* resolving: the child doing it; 0 otherwise */
    char *answer;        /* what it wrote so far */
    size_t answer_len;
    enum conn_state state;
    bool dead;     /* closed; freed once the current batch of events is done */
    bool reported;
    char head[HEAD_MAX];
    size_t head_len;
    struct proxy_request req; /* what the head asks for, as far as it was read */
    const char *address, *error;
    const struct net_rule *rule;
    struct sockaddr_storage *addrs; /* to try, in order */
    size_t n_addrs, next_addr;
    const char *greeting; /* to the client once connected: CONNECT's 200 */
    char *request;   /* to the server once connected: the rewritten head, the body begun */
    size_t request_len;
    struct flow up, down; /* client -> server, server -> client */
};

struct proxy {
    const struct plan *plan;
    int listener, epoll;
    struct conn *conns; /* live and dead */
    size_t n_live, max_conns;
    void (*old_sigpipe)(int);
};

/* ---- in the sandbox ---- */

/* One socket for both loopbacks: an IPv6 socket on the unspecified
 * address that also takes IPv4 (IPV6_V6ONLY off) answers at 127.0.0.1 and,
 * where the namespace has IPv6, at [::1], so a client that resolves
 * "localhost" to ::1 finds the proxy too.  Its being unspecified widens
 * nothing: the namespace it listens in has only loopbacks, and the
 * sandbox's own.  Without IPv6 in the kernel, 127.0.0.1 alone. */
static int listen_loopback(unsigned port)
{
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
                                .sin6_addr = IN6ADDR_ANY_INIT};
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), off = 0;
    if (fd >= 0) {
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0 ||
            bind(fd, (struct sockaddr *)&sin6, sizeof sin6) < 0)
            die_errno("--allow-net: can't listen on [::]:%u in the sandbox", port);
        return fd;
    }
    if (errno != EAFNOSUPPORT)
        die_errno("--allow-net: can't make the proxy's socket in the sandbox");
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0)
        die_errno("--allow-net: can't listen on 127.0.0.1:%u in the sandbox", port);
    return fd;
}

void proxy_send_listener(int sock, unsigned port)
{
    int fd = listen_loopback(port);
    if (listen(fd, SOMAXCONN) < 0)
        die_errno("--allow-net: can't listen on port %u in the sandbox", port);
    if (send_fd(sock, fd) < 0)
        die_errno("--allow-net: can't pass the proxy's socket to the monitor");
    close(fd);
}

/* ---- reporting ---- */

static void set_text(json_t *o, const char *key, const char *v)
{
    json_t *s = v ? json_string(v) : NULL;
    json_object_set_new(o, key, s ? s : json_null());
}

/* --report-fd: one line per connection, at its decision when denied, at
 * its end when allowed (with the bytes it carried). */
static void report(struct conn *c, const char *decision, const char *reason)
{
    int fd = c->proxy->plan->report_fd;
    c->reported = true;
    if (fd < 0)
        return;
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string("net"));
    set_text(o, "host", c->req.host);
    json_object_set_new(o, "port", c->req.port ? json_integer(c->req.port) : json_null());
    json_object_set_new(o, "decision", json_string(decision));
    set_text(o, "rule", c->rule ? c->rule->text : NULL);
    json_object_set_new(o, "bytes", json_integer((json_int_t)(c->up.bytes + c->down.bytes)));
    json_object_set_new(o, "sent", json_integer((json_int_t)c->up.bytes));
    json_object_set_new(o, "received", json_integer((json_int_t)c->down.bytes));
    if (c->req.method)
        set_text(o, "method", c->req.method);
    if (c->address)
        set_text(o, "address", c->address);
    if (reason)
        set_text(o, "reason", reason);
    if (c->error)
        set_text(o, "error", c->error);
    char *line = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (line == NULL)
        die("--report-fd: out of memory");
    size_t n = strlen(line);
    line[n] = '\n'; /* over the NUL: write_all needs no string */
    /* A reader that has gone away loses the rest of the reports, not the
     * sandbox (SIGPIPE is ignored while the proxy runs). */
    (void)write_all(fd, line, n + 1);
    free(line);
}

/* ---- connections ---- */

static bool watch(struct conn *c, enum side s)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = &c->ep[s]};
    return epoll_ctl(c->proxy->epoll, EPOLL_CTL_ADD, c->fd[s], &ev) == 0;
}

/* Before each close: an fd a resolver child still holds a copy of would
 * keep its registration, and its events would name a freed connection. */
static void unwatch(struct conn *c, enum side s)
{
    if (c->fd[s] >= 0)
        (void)epoll_ctl(c->proxy->epoll, EPOLL_CTL_DEL, c->fd[s], NULL);
}

static void conn_close(struct conn *c)
{
    if (c->dead)
        return;
    if (!c->reported)
        report(c, c->rule ? "allow" : "deny", c->rule ? NULL : "no complete request");
    if (c->resolver > 0) {
        kill(c->resolver, SIGKILL);
        (void)waitpid(c->resolver, NULL, 0);
        c->resolver = 0;
    }
    for (int side = CLIENT; side <= RESOLVER; side++)
        unwatch(c, side);
    int *fds[] = {&c->fd[CLIENT], &c->fd[UPSTREAM], &c->fd[RESOLVER], &c->up.pipe[0], &c->up.pipe[1],
                  &c->down.pipe[0], &c->down.pipe[1]};
    for (size_t i = 0; i < N_ELEMENTS(fds); i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
    c->dead = true;
    c->proxy->n_live--;
}

/* A short answer of the proxy's own, then the end of the connection. */
static void respond(struct conn *c, int status, const char *why)
{
    static const struct { int status; const char *text; } texts[] = {
        {400, "Bad Request"}, {403, "Forbidden"}, {502, "Bad Gateway"}, {503, "Service Unavailable"},
    };
    const char *text = "Error";
    for (size_t i = 0; i < N_ELEMENTS(texts); i++)
        if (texts[i].status == status)
            text = texts[i].text;
    char *body = talloc_asprintf(c, "%s: %s\n", prog_name, why);
    char *msg = talloc_asprintf(c, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                                   "Connection: close\r\n\r\n%s", status, text, strlen(body), body);
    /* The socket's buffer is empty: it takes this at once, or the client
     * has gone. */
    (void)send(c->fd[CLIENT], msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
    conn_close(c);
}

static void deny(struct conn *c, int status, const char *why)
{
    report(c, "deny", why);
    respond(c, status, why);
}

/* Allowed, but the server could not be reached. */
static void fail(struct conn *c, const char *why)
{
    c->error = why;
    respond(c, 502, why);
}

/* ---- relaying ---- */

/* Move FLOW's bytes from FROM to TO as far as they go; whether anything
 * moved.  *BROKEN on an error of either side.  (EAGAIN from the first
 * splice is an empty socket or a full pipe: either way, nothing to do.) */
static bool flow_step(struct flow *f, int from, int to, bool *broken)
{
    const unsigned flags = SPLICE_F_NONBLOCK | SPLICE_F_MOVE;
    bool moved = false;
    if (!f->eof && f->pending < FLOW_PIPE) {
        ssize_t n = splice(from, NULL, f->pipe[1], NULL, FLOW_PIPE - f->pending, flags);
        if (n > 0) {
            f->pending += (size_t)n;
            f->bytes += (uint64_t)n;
            moved = true;
        } else if (n == 0) {
            f->eof = moved = true;
        } else if (errno != EAGAIN && errno != EINTR) {
            *broken = true;
        }
    }
    if (f->pending > 0) {
        ssize_t n = splice(f->pipe[0], NULL, to, NULL, f->pending, flags);
        if (n > 0) {
            f->pending -= (size_t)n;
            moved = true;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            *broken = true;
        }
    }
    if (f->eof && f->pending == 0 && !f->shut) {
        shutdown(to, SHUT_WR);
        f->shut = true;
    }
    return moved;
}

static void pump(struct conn *c)
{
    bool broken = false, moved = true;
    while (!broken && moved) {
        /* both directions each time round, whatever the first did */
        bool up = flow_step(&c->up, c->fd[CLIENT], c->fd[UPSTREAM], &broken);
        bool down = flow_step(&c->down, c->fd[UPSTREAM], c->fd[CLIENT], &broken);
        moved = up || down;
    }
    if (broken || (c->up.shut && c->down.shut))
        conn_close(c);
}

/* The pipe of a direction, with DATA in it first: an empty pipe of
 * FLOW_PIPE bytes (or the 64 KiB default) takes a head of HEAD_MAX at
 * once. */
static bool start_flow(struct flow *f, const char *data, size_t len)
{
    if (pipe2(f->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return false;
    (void)fcntl(f->pipe[1], F_SETPIPE_SZ, FLOW_PIPE);
    f->pending = len;
    return len == 0 || write(f->pipe[1], data, len) == (ssize_t)len;
}

static void connected(struct conn *c)
{
    c->state = RELAYING;
    if (!start_flow(&c->up, c->request, c->request_len) ||
        !start_flow(&c->down, c->greeting ? c->greeting : "", c->greeting ? strlen(c->greeting) : 0)) {
        c->error = talloc_asprintf(c, "can't make a pipe: %s", strerror(errno));
        conn_close(c);
        return;
    }
    pump(c);
}

/* Try the next of the name's addresses; fail once none is left. */
static void connect_next(struct conn *c, int err)
{
    while (c->next_addr < c->n_addrs) {
        const struct sockaddr_storage *sa = &c->addrs[c->next_addr++];
        socklen_t len = sa->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
        int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd >= 0 && (connect(fd, (const struct sockaddr *)sa, len) == 0 || errno == EINPROGRESS)) {
            c->fd[UPSTREAM] = fd;
            c->address = net_addr_text(c, (const struct sockaddr *)sa);
            c->state = CONNECTING;
            /* the first event says whether the connection was made */
            if (watch(c, UPSTREAM))
                return;
        }
        err = errno;
        if (fd >= 0)
            close(fd);
        c->fd[UPSTREAM] = -1;
    }
    fail(c, talloc_asprintf(c, "can't connect to %s port %u: %s", c->req.host, c->req.port, strerror(err)));
}

static void connect_done(struct conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd[UPSTREAM], SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == 0) {
        connected(c);
        return;
    }
    unwatch(c, UPSTREAM);
    close(c->fd[UPSTREAM]);
    c->fd[UPSTREAM] = -1;
    connect_next(c, err);
}

/* ---- the request ---- */

/* "host", "host:port", "[v6]", "[v6]:port": R's host in lower case
 * (without brackets) and port (DEFAULT_PORT if none); false if
 * malformed. */
static bool split_authority(void *mem, struct proxy_request *r, const char *auth, unsigned default_port)
{
    char *host = talloc_strdup(mem, auth), *port = NULL;
    if (host[0] == '[') {
        char *close = strchr(host, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':'))
            return false;
        port = close[1] == ':' ? close + 2 : NULL;
        *close = '\0';
        host++;
    } else if ((port = strchr(host, ':')) != NULL) {
        if (strchr(port + 1, ':') != NULL)
            return false; /* an IPv6 address needs its brackets */
        *port++ = '\0';
    }
    r->port = default_port;
    if (port != NULL) {
        size_t digits = strspn(port, "0123456789");
        unsigned long v = digits > 0 && digits <= 5 && port[digits] == '\0' ? strtoul(port, NULL, 10) : 0;
        if (v < 1 || v > 65535)
            return false;
        r->port = (unsigned)v;
    }
    for (char *h = host; *h; h++)
        *h = (char)tolower((unsigned char)*h);
    r->host = host;
    return *host != '\0';
}

/* Whether the field name that starts LINE and ends at COLON is NAME. */
static bool field_is(const char *line, const char *colon, const char *name)
{
    return strlen(name) == (size_t)(colon - line) && strncasecmp(line, name, strlen(name)) == 0;
}

/* The head sent on for a plain http:// request: the path alone on the
 * request line, and the target's own Host (so that a server holding many
 * sites cannot be steered to an unlisted one by the client's Host), with
 * the proxy's hop-by-hop headers dropped and one request per connection
 * (further ones would skip the decision).  A folded line (obsolete: RFC
 * 9112 lets a proxy refuse it) is malformed: servers differ on whether it
 * continues the header before, which a dropped one would make count. */
static bool forward_head(void *mem, struct proxy_request *r, const char *path, const char *version,
                         char *headers)
{
    static const char *const dropped[] = {"host", "connection", "proxy-connection", "keep-alive",
                                          "proxy-authorization"};
    char *out = talloc_asprintf(mem, "%s %s %s\r\n", r->method, path, version);
    for (char *line = headers, *next; *line; line = next) {
        char *eol = strstr(line, "\r\n");
        if (eol == NULL)
            return false;
        *eol = '\0';
        next = eol + 2;
        /* white space before the colon ("Host : x") would pass by the
         * dropped names, and some servers take it all the same */
        char *colon = strchr(line, ':');
        if (colon == NULL || colon == line || strcspn(line, " \t") < (size_t)(colon - line))
            return false;
        bool drop = false;
        for (size_t i = 0; i < N_ELEMENTS(dropped); i++)
            drop |= field_is(line, colon, dropped[i]);
        if (!drop)
            out = talloc_asprintf_append(out, "%s\r\n", line);
    }
    bool v6 = r->kind == HOST_IP && r->literal.family == AF_INET6;
    out = talloc_asprintf_append(out, "Host: %s%s%s", v6 ? "[" : "", r->host, v6 ? "]" : "");
    if (r->port != 80)
        out = talloc_asprintf_append(out, ":%u", r->port);
    r->forward = talloc_asprintf_append(out, "\r\nConnection: close\r\n\r\n");
    r->forward_len = strlen(r->forward);
    return true;
}

/* Every line ends in CRLF, and CR and LF come nowhere else: a bare LF
 * that a server takes for a line's end would carry a second Host past
 * forward_head. */
static bool crlf_only(const char *head, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (head[i] == '\r' && (i + 1 == len || head[i + 1] != '\n'))
            return false;
        if (head[i] == '\n' && (i == 0 || head[i - 1] != '\r'))
            return false;
    }
    return true;
}

const char *proxy_parse_request(void *mem, const char *head, size_t len, struct proxy_request *r)
{
    *r = (struct proxy_request){.kind = HOST_INVALID};
    if (memchr(head, '\0', len) != NULL)
        return "a NUL byte in the request";
    if (!crlf_only(head, len))
        return "a CR or LF alone in the request";
    char *text = talloc_strndup(mem, head, len - 2); /* up to the blank line's CRLF */
    char *eol = strstr(text, "\r\n");
    *eol = '\0';
    char *method = text, *target = strchr(text, ' ');
    char *version = target ? strchr(target + 1, ' ') : NULL;
    if (version == NULL || strchr(version + 1, ' ') != NULL || strncmp(version + 1, "HTTP/1.", 7) != 0)
        return "not an HTTP/1 request line";
    *target++ = '\0';
    *version++ = '\0';
    r->method = method;
    const char *path = NULL;
    r->tunnel = strcmp(method, "CONNECT") == 0;
    if (r->tunnel) {
        /* the port is part of CONNECT's target (RFC 9110) */
        if (!split_authority(mem, r, target, 0) || r->port == 0)
            return "CONNECT takes HOST:PORT";
    } else {
        if (strncasecmp(target, "http://", 7) != 0)
            return strncasecmp(target, "https://", 8) == 0
                       ? "https:// goes through CONNECT"
                       : "a request through the proxy names its target: http://HOST[:PORT]/PATH or CONNECT HOST:PORT";
        char *auth = target + 7;
        size_t n = strcspn(auth, "/?#");
        path = auth[n] == '/' ? auth + n : talloc_asprintf(mem, "/%s", auth + n);
        auth = talloc_strndup(mem, auth, n);
        if (strchr(auth, '@') != NULL)
            return "user information in the URL";
        if (!split_authority(mem, r, auth, 80))
            return "malformed host or port in the URL";
    }
    const char *why = NULL;
    r->kind = net_host_kind(r->host, &r->literal, &why);
    if (r->kind == HOST_INVALID)
        return why;
    if (!r->tunnel && !forward_head(mem, r, path, version, eol + 2))
        return "malformed header lines";
    return NULL;
}

/* getaddrinfo waits as long as the name's DNS servers like, which the
 * command can choose (any name under a listed wildcard): it runs in a
 * child of its own, so that the monitor's loop (the other connections,
 * signals, --timeout) never waits for it.  The child writes getaddrinfo's
 * status, then each address as a sockaddr_storage, and exits.  (The
 * static build's getaddrinfo, which the linker warns about, reads
 * /etc/hosts and DNS itself; other NSS modules come from the host's glibc,
 * which must be the one bwrapper was linked with, as for any static glibc
 * program.) */
static _Noreturn void resolver_child(const char *host, unsigned port, int out)
{
    /* none of the monitor's other fds: a connection it closes must end now,
     * not when this child does */
    if (out != 3 && dup2(out, 3) < 0)
        _exit(1);
    out = 3;
    syscall(SYS_close_range, 4u, ~0u, 0u);
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res = NULL;
    int rc = getaddrinfo(host, service, &hints, &res);
    (void)write_all(out, &rc, sizeof rc);
    size_t n = 0;
    for (struct addrinfo *ai = rc == 0 ? res : NULL; ai != NULL && n < MAX_ADDRS; ai = ai->ai_next) {
        struct sockaddr_storage ss = {0};
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) || ai->ai_addrlen > sizeof ss)
            continue;
        memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
        (void)write_all(out, &ss, sizeof ss);
        n++;
    }
    _exit(0);
}

static void start_resolving(struct conn *c)
{
    int answer[2];
    if (pipe2(answer, O_CLOEXEC) < 0) {
        fail(c, talloc_asprintf(c, "can't resolve %s: pipe: %s", c->req.host, strerror(errno)));
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(answer[0]);
        resolver_child(c->req.host, c->req.port, answer[1]);
    }
    int err = errno;
    close(answer[1]);
    if (pid < 0) {
        close(answer[0]);
        fail(c, talloc_asprintf(c, "can't resolve %s: fork: %s", c->req.host, strerror(err)));
        return;
    }
    c->resolver = pid;
    c->fd[RESOLVER] = answer[0];
    c->state = RESOLVING;
    if (fcntl(answer[0], F_SETFL, O_NONBLOCK) < 0 || !watch(c, RESOLVER))
        fail(c, talloc_asprintf(c, "can't resolve %s: %s", c->req.host, strerror(errno)));
}

/* The resolver's answer is complete: keep the addresses the rule reaches
 * (netallow.c), and connect. */
static void resolved(struct conn *c)
{
    int rc;
    if (c->answer_len < sizeof rc) {
        fail(c, talloc_asprintf(c, "can't resolve %s: the resolver died", c->req.host));
        return;
    }
    memcpy(&rc, c->answer, sizeof rc);
    if (rc != 0) {
        fail(c, talloc_asprintf(c, "can't resolve %s: %s", c->req.host, gai_strerror(rc)));
        return;
    }
    const char *refused = NULL;
    size_t n = (c->answer_len - sizeof rc) / sizeof(struct sockaddr_storage);
    c->addrs = talloc_array(c, struct sockaddr_storage, n);
    for (size_t i = 0; i < n; i++) {
        struct sockaddr_storage ss;
        memcpy(&ss, c->answer + sizeof rc + i * sizeof ss, sizeof ss);
        const char *why = net_addr_refused(c, c->proxy->plan, c->rule, (struct sockaddr *)&ss, c->req.port);
        if (why == NULL)
            c->addrs[c->n_addrs++] = ss;
        else if (refused == NULL)
            refused = why;
    }
    if (c->n_addrs == 0 && refused != NULL)
        deny(c, 403, talloc_asprintf(c, "%s resolves to a %s, which only a name or address listed by itself "
                                        "reaches (%s matched the wildcard %s)", c->req.host, refused, c->req.host,
                                     c->rule->text));
    else if (c->n_addrs == 0)
        fail(c, talloc_asprintf(c, "%s has no IPv4 or IPv6 address", c->req.host));
    else
        connect_next(c, EHOSTUNREACH);
}

static void read_answer(struct conn *c)
{
    for (;;) {
        char buf[4096];
        ssize_t n = read(c->fd[RESOLVER], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0)
            break;
        c->answer = talloc_realloc(c, c->answer, char, c->answer_len + (size_t)n);
        memcpy(c->answer + c->answer_len, buf, (size_t)n);
        c->answer_len += (size_t)n;
    }
    unwatch(c, RESOLVER);
    close(c->fd[RESOLVER]);
    c->fd[RESOLVER] = -1;
    /* it has closed its end: it is exiting */
    (void)waitpid(c->resolver, NULL, 0);
    c->resolver = 0;
    resolved(c);
}

/* An address is its own answer. */
static void connect_literal(struct conn *c, const struct net_addr *literal)
{
    c->addrs = talloc_zero(c, struct sockaddr_storage);
    c->n_addrs = 1;
    if (literal->family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)c->addrs;
        *sin = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)c->req.port)};
        memcpy(&sin->sin_addr, literal->bytes, 4);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)c->addrs;
        *sin6 = (struct sockaddr_in6){.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)c->req.port)};
        memcpy(&sin6->sin6_addr, literal->bytes, 16);
    }
    connect_next(c, EHOSTUNREACH);
}

/* The head is complete (it ends at HEAD_END): decide, and start. */
static void on_request(struct conn *c, size_t head_end)
{
    const char *malformed = proxy_parse_request(c, c->head, head_end, &c->req);
    if (malformed != NULL) {
        deny(c, 400, malformed);
        return;
    }
    c->rule = net_rule_for(c->proxy->plan, c->req.host, c->req.kind, &c->req.literal, c->req.port);
    if (c->rule == NULL) {
        deny(c, 403, talloc_asprintf(c, "%s port %u is not in --allow-net", c->req.host, c->req.port));
        return;
    }
    /* what the client sent after the head (a body begun, or the tunnel's
     * first bytes) follows the head sent on */
    size_t rest = c->head_len - head_end;
    c->request_len = c->req.forward_len + rest;
    c->request = talloc_size(c, c->request_len + 1);
    if (c->req.forward != NULL) /* none for a tunnel */
        memcpy(c->request, c->req.forward, c->req.forward_len);
    memcpy(c->request + c->req.forward_len, c->head + head_end, rest);
    c->up.bytes = rest;
    if (c->req.tunnel)
        c->greeting = "HTTP/1.1 200 Connection established\r\n\r\n";
    if (c->req.kind == HOST_IP)
        connect_literal(c, &c->req.literal);
    else
        start_resolving(c);
}

static void read_request(struct conn *c)
{
    for (;;) {
        if (c->head_len == HEAD_MAX) {
            deny(c, 400, "the request's head is over 16 KiB");
            return;
        }
        ssize_t n = recv(c->fd[CLIENT], c->head + c->head_len, HEAD_MAX - c->head_len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            conn_close(c);
            return;
        }
        /* the end may straddle the last read: look 3 bytes back */
        size_t from = c->head_len > 3 ? c->head_len - 3 : 0;
        c->head_len += (size_t)n;
        char *end = memmem(c->head + from, c->head_len - from, "\r\n\r\n", 4);
        if (end != NULL) {
            on_request(c, (size_t)(end - c->head) + 4);
            return;
        }
    }
}

static void conn_event(struct conn *c, enum side side)
{
    switch (c->state) {
    case READING_REQUEST:
        if (side == CLIENT)
            read_request(c);
        break;
    case RESOLVING:
        if (side == RESOLVER)
            read_answer(c);
        break;
    case CONNECTING:
        /* the client's events wait: the relay reads what they announced */
        if (side == UPSTREAM)
            connect_done(c);
        break;
    case RELAYING:
        pump(c);
        break;
    }
}

static void accept_all(struct proxy *px)
{
    for (;;) {
        int fd = accept4(px->listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue;
        if (fd < 0)
            return; /* EAGAIN; or out of fds, and it waits in the backlog */
        struct conn *c = talloc_zero(px, struct conn);
        *c = (struct conn){.proxy = px, .next = px->conns, .fd = {fd, -1, -1}, .state = READING_REQUEST,
                           .up.pipe = {-1, -1}, .down.pipe = {-1, -1}};
        for (int side = CLIENT; side <= RESOLVER; side++)
            c->ep[side] = (struct endpoint){c, (enum side)side};
        px->conns = c;
        px->n_live++;
        if (px->n_live > px->max_conns)
            deny(c, 503, talloc_asprintf(c, "more than %zu connections at a time", px->max_conns));
        else if (!watch(c, CLIENT))
            deny(c, 503, talloc_asprintf(c, "can't watch the connection: %s", strerror(errno)));
    }
}

static void free_dead(struct proxy *px)
{
    for (struct conn **link = &px->conns; *link;) {
        struct conn *c = *link;
        if (c->dead) {
            *link = c->next;
            talloc_free(c);
        } else {
            link = &c->next;
        }
    }
}

struct proxy *proxy_begin(void *mem, const struct plan *p, int listener)
{
    struct proxy *px = talloc_zero(mem, struct proxy);
    px->plan = p;
    px->listener = listener;
    if ((px->epoll = epoll_create1(EPOLL_CLOEXEC)) < 0)
        die_errno("--allow-net: epoll_create1");
    /* level-triggered: a connection left in the backlog is taken later */
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = px};
    if (epoll_ctl(px->epoll, EPOLL_CTL_ADD, listener, &ev) < 0)
        die_errno("--allow-net: epoll_ctl");
    px->old_sigpipe = signal(SIGPIPE, SIG_IGN);
    /* Room for MAX_CONNS connections if the hard limit allows (the
     * command's limits are its own: it runs already); fewer if not. */
    struct rlimit nofile;
    px->max_conns = MAX_CONNS;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
        rlim_t want = MAX_CONNS * FDS_PER_CONN + 64;
        if (nofile.rlim_cur < want && nofile.rlim_max != nofile.rlim_cur) {
            nofile.rlim_cur = nofile.rlim_max < want ? nofile.rlim_max : want;
            (void)setrlimit(RLIMIT_NOFILE, &nofile);
        }
        if (nofile.rlim_cur < want)
            px->max_conns = nofile.rlim_cur > 64 + FDS_PER_CONN ? (nofile.rlim_cur - 64) / FDS_PER_CONN : 1;
    }
    return px;
}

int proxy_poll_fd(const struct proxy *px)
{
    return px->epoll;
}

void proxy_handle(struct proxy *px)
{
    struct epoll_event ev[64];
    int n = epoll_wait(px->epoll, ev, (int)N_ELEMENTS(ev), 0);
    for (int i = 0; i < n; i++) {
        if (ev[i].data.ptr == px) {
            accept_all(px);
            continue;
        }
        struct endpoint *ep = ev[i].data.ptr;
        if (!ep->conn->dead)
            conn_event(ep->conn, ep->side);
    }
    free_dead(px);
}

void proxy_end(struct proxy *px)
{
    for (struct conn *c = px->conns; c; c = c->next) {
        if (c->state == RESOLVING || c->state == CONNECTING)
            c->error = "the sandbox ended before the connection was made";
        conn_close(c);
    }
    free_dead(px);
    close(px->listener);
    close(px->epoll);
    signal(SIGPIPE, px->old_sigpipe);
    talloc_free(px);
}
