/* --allow-net's rules: parsing HOST[:PORT], matching what the command asks
 * the proxy for, and the addresses a name may resolve to.  Pure: no
 * sockets, no resolution; proxy.c does those. */
#ifndef BWRAPPER_NETALLOW_H
#define BWRAPPER_NETALLOW_H

#include <stdbool.h>
#include <sys/socket.h>

#include "plan.h"

/* The proxy's port on the sandbox's own 127.0.0.1 (squid's): the sandbox
 * has a network namespace of its own, so it is never taken on the host. */
#define NET_PROXY_PORT 3128
#define NET_PROXY_PORT_TEXT "3128"

/* What a host text names. */
enum host_kind { HOST_INVALID, HOST_NAME, HOST_IP };

/* HOST (lower case, no brackets): a name, an IPv4 or IPv6 literal (its
 * address in *ADDR), or neither (*WHY says what is wrong). */
enum host_kind net_host_kind(const char *host, struct net_addr *addr, const char **why);

/* --allow-net ARG as a rule; dies with "--allow-net ARG: why" on bad input. */
struct net_rule net_rule_parse(void *mem_ctx, const char *arg);

/* The rule that lets the command reach HOST:PORT (HOST in lower case,
 * KIND from net_host_kind), or NULL.  A rule for the name itself wins over
 * a wildcard, so that "listed by itself" is known (net_addr_refused). */
const struct net_rule *net_rule_for(const struct plan *plan, const char *host, enum host_kind kind,
                                    const struct net_addr *addr, unsigned port);

/* NULL if the proxy may connect to SA (port PORT) for a request RULE
 * allowed; else why not ("loopback address 127.0.0.1"), a talloc child of
 * MEM_CTX.  Loopback, private, link-local, unspecified, multicast and
 * reserved addresses are refused unless the name was listed by itself (no
 * wildcard) or the address itself is listed. */
const char *net_addr_refused(void *mem_ctx, const struct plan *plan, const struct net_rule *rule,
                             const struct sockaddr *sa, unsigned port);

/* "127.0.0.1", "::1": SA's address as text, a talloc child of MEM_CTX. */
char *net_addr_text(void *mem_ctx, const struct sockaddr *sa);

#endif
