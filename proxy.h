/* --allow-net's proxy: an HTTP proxy (CONNECT, and absolute http://
 * requests) that bwrapper's monitor runs outside the sandbox, on a
 * listening socket the sandbox made in its own network namespace and
 * passed out (SCM_RIGHTS over a socketpair made before the clone): the
 * command reaches it at 127.0.0.1:NET_PROXY_PORT (and [::1]:NET_PROXY_PORT
 * where the sandbox has IPv6), nothing listens on the host, and every
 * connection out is the monitor's, made after netallow.c's rules allowed
 * it. */
#ifndef BWRAPPER_PROXY_H
#define BWRAPPER_PROXY_H

#include "netallow.h"
#include "plan.h"

/* In the sandbox, once its loopback is up: listen on 127.0.0.1:PORT and
 * [::1]:PORT and send the socket over SOCK.  Dies on failure. */
void proxy_send_listener(int sock, unsigned port);

/* The monitor side: one epoll set serves every connection, so the
 * monitor's poll loop waits on one more fd, no thread per connection.
 * Names are resolved by getaddrinfo in a short-lived child per request,
 * whose answer comes back through a pipe in the same epoll set. */
struct proxy;

/* Takes LISTENER (closed by proxy_end).  Dies on failure. */
struct proxy *proxy_begin(void *mem_ctx, const struct plan *plan, int listener);
/* The fd to poll for POLLIN: then call proxy_handle. */
int proxy_poll_fd(const struct proxy *proxy);
void proxy_handle(struct proxy *proxy);
/* The sandbox has ended: close every connection (each reported), free. */
void proxy_end(struct proxy *proxy);

/* What a request's head asks the proxy for. */
struct proxy_request {
    const char *method;
    const char *host;        /* lower case, without an IPv6 address's brackets */
    unsigned port;           /* 80 for an http:// URL without one */
    bool tunnel;             /* CONNECT HOST:PORT */
    enum host_kind kind;     /* of host (netallow.h) */
    struct net_addr literal; /* host's address, if kind is HOST_IP */
    char *forward;           /* http://: the head sent on to the server; CONNECT: NULL */
    size_t forward_len;
};

/* Parse HEAD, LEN bytes that end at the first CRLF CRLF (the blank line),
 * into *REQ, its strings talloc children of MEM_CTX: NULL, or why the head
 * is malformed (a 400), with what it named before that in *REQ.  Pure:
 * the fuzz target's way in (fuzz/proxy-request.c). */
const char *proxy_parse_request(void *mem_ctx, const char *head, size_t len, struct proxy_request *req);

#endif
