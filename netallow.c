/* --allow-net's rules: what HOST[:PORT] means, which rule lets a request
 * through, and which addresses a name may lead to. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>

#include "netallow.h"
#include "util.h"

/* RFC 1123 labels (and "_", which real names carry: _dmarc, SRV), at
 * most 253 bytes.  A name whose last label is all digits is refused:
 * resolvers read "127.1" or "2130706433" as an IPv4 address. */
static const char *name_invalid(const char *host)
{
    size_t total = strlen(host);
    if (total == 0)
        return "empty host name";
    if (total > 253)
        return "a host name is at most 253 characters";
    bool digits_only = true;
    for (const char *label = host;;) {
        size_t len = strcspn(label, ".");
        if (len == 0)
            return "empty label in the host name";
        if (len > 63)
            return "a label of a host name is at most 63 characters";
        if (label[0] == '-' || label[len - 1] == '-')
            return "a label of a host name cannot start or end with '-'";
        digits_only = true;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)label[i];
            if (!isalnum(c) && c != '-' && c != '_')
                return c == '*' ? "'*' only as the whole first label: *.example.com"
                                : "not a host name or IP address";
            digits_only &= isdigit(c) != 0;
        }
        if (label[len] == '\0')
            break;
        label += len + 1;
    }
    return digits_only ? "not a host name or IP address" : NULL;
}

enum host_kind net_host_kind(const char *host, struct net_addr *addr, const char **why)
{
    *addr = (struct net_addr){0};
    if (inet_pton(AF_INET, host, addr->bytes) == 1) {
        addr->family = AF_INET;
        return HOST_IP;
    }
    if (inet_pton(AF_INET6, host, addr->bytes) == 1) {
        addr->family = AF_INET6;
        return HOST_IP;
    }
    *why = name_invalid(host);
    return *why ? HOST_INVALID : HOST_NAME;
}

static unsigned parse_port(const char *arg, const char *s)
{
    unsigned long v = 0;
    size_t digits = strspn(s, "0123456789");
    if (digits > 0 && digits <= 5 && s[digits] == '\0')
        v = strtoul(s, NULL, 10);
    if (v < 1 || v > 65535)
        die("--allow-net %s: the port must be a number from 1 to 65535", arg);
    return (unsigned)v;
}

struct net_rule net_rule_parse(void *mem, const char *arg)
{
    struct net_rule r = {.text = talloc_strdup(mem, arg)};
    char *host = talloc_strdup(mem, arg);
    for (char *c = host; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    char *colon = strrchr(host, ':');
    if (host[0] == '[') {
        /* [IPv6] or [IPv6]:PORT */
        char *close = strchr(host, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':'))
            die("--allow-net %s: expected [IPv6-ADDRESS]:PORT", arg);
        if (close[1] == ':')
            r.port = parse_port(arg, close + 2);
        *close = '\0';
        host++;
        if (inet_pton(AF_INET6, host, r.addr.bytes) != 1)
            die("--allow-net %s: not an IPv6 address in brackets", arg);
        r.addr.family = AF_INET6;
        r.host = host;
        return r;
    }
    if (colon != NULL && strchr(host, ':') == colon) {
        r.port = parse_port(arg, colon + 1);
        *colon = '\0';
    }
    if (*host == '\0')
        die("--allow-net %s: empty host name", arg);
    if (strcmp(host, "*") == 0 || strcmp(host, "*.") == 0)
        die("--allow-net %s: a wildcard for every host is no allowlist (leave out --unshare-net, or use --share-net)",
            arg);
    r.wildcard = strncmp(host, "*.", 2) == 0;
    r.host = r.wildcard ? host + 2 : host;
    const char *why = NULL;
    enum host_kind kind = net_host_kind(r.host, &r.addr, &why);
    if (kind == HOST_INVALID && colon != NULL && strchr(host, ':') != NULL)
        die("--allow-net %s: an IPv6 address with a port goes in brackets: [ADDRESS]:PORT", arg);
    if (kind == HOST_INVALID)
        die("--allow-net %s: %s", arg, why);
    if (kind == HOST_IP && r.wildcard)
        die("--allow-net %s: a wildcard takes a domain name, not an address", arg);
    if (r.wildcard && strchr(r.host, '.') == NULL)
        die("--allow-net %s: a wildcard over a whole top-level domain matches too much: name a domain under it",
            arg);
    return r;
}

static bool port_matches(const struct net_rule *r, unsigned port)
{
    return r->port ? r->port == port : port == 80 || port == 443;
}

/* HOST is a subdomain of DOMAIN: "a.example.com" of "example.com". */
static bool is_subdomain(const char *host, const char *domain)
{
    size_t h = strlen(host), d = strlen(domain);
    return h > d + 1 && host[h - d - 1] == '.' && strcmp(host + h - d, domain) == 0;
}

static bool same_addr(const struct net_addr *a, const struct net_addr *b)
{
    size_t n = a->family == AF_INET ? 4 : 16;
    return a->family != 0 && a->family == b->family && memcmp(a->bytes, b->bytes, n) == 0;
}

const struct net_rule *net_rule_for(const struct plan *p, const char *host, enum host_kind kind,
                                    const struct net_addr *addr, unsigned port)
{
    for (size_t i = 0; i < p->n_net_rules; i++) {
        const struct net_rule *r = &p->net_rules[i];
        bool same = kind == HOST_IP ? same_addr(&r->addr, addr) : r->addr.family == 0 && strcmp(r->host, host) == 0;
        if (!r->wildcard && same && port_matches(r, port))
            return r;
    }
    for (size_t i = 0; i < p->n_net_rules && kind == HOST_NAME; i++) {
        const struct net_rule *r = &p->net_rules[i];
        if (r->wildcard && is_subdomain(host, r->host) && port_matches(r, port))
            return r;
    }
    return NULL;
}

/* Address ranges a name found through a wildcard may not lead to: the
 * host itself, its networks, the cloud metadata service (169.254.169.254)
 * and what is not a unicast host on the internet. */
struct range {
    int family;
    unsigned char prefix[16];
    unsigned bits;
    const char *what;
};

static const struct range refused_ranges[] = {
    {AF_INET, {0}, 8, "unspecified"},
    {AF_INET, {10}, 8, "private"},
    {AF_INET, {100, 64}, 10, "shared (carrier-grade NAT)"},
    {AF_INET, {127}, 8, "loopback"},
    {AF_INET, {169, 254}, 16, "link-local"},
    {AF_INET, {172, 16}, 12, "private"},
    {AF_INET, {192, 0, 0}, 24, "reserved"},
    {AF_INET, {192, 0, 2}, 24, "documentation"},
    {AF_INET, {192, 168}, 16, "private"},
    {AF_INET, {198, 18}, 15, "benchmarking"},
    {AF_INET, {198, 51, 100}, 24, "documentation"},
    {AF_INET, {203, 0, 113}, 24, "documentation"},
    {AF_INET, {224}, 4, "multicast"},
    {AF_INET, {240}, 4, "reserved"},
    {AF_INET6, {0}, 128, "unspecified"},
    {AF_INET6, {[15] = 1}, 128, "loopback"},
    {AF_INET6, {0}, 8, "reserved"},
    {AF_INET6, {1, 0}, 64, "discard"},
    {AF_INET6, {0x20, 0x01, 0x0d, 0xb8}, 32, "documentation"},
    {AF_INET6, {0xfc}, 7, "private (unique local)"},
    {AF_INET6, {0xfe, 0x80}, 10, "link-local"},
    {AF_INET6, {0xfe, 0xc0}, 10, "site-local"},
    {AF_INET6, {0xff}, 8, "multicast"},
};

static bool in_range(const struct net_addr *a, const struct range *r)
{
    if (a->family != r->family)
        return false;
    unsigned whole = r->bits / 8, rest = r->bits % 8;
    if (memcmp(a->bytes, r->prefix, whole) != 0)
        return false;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return rest == 0 || (a->bytes[whole] & mask) == (r->prefix[whole] & mask);
}

static struct net_addr addr_of(const struct sockaddr *sa)
{
    struct net_addr a = {.family = sa->sa_family};
    if (sa->sa_family == AF_INET)
        memcpy(a.bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    else
        memcpy(a.bytes, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    /* IPv4 in IPv6 clothing (::ffff:127.0.0.1, NAT64's 64:ff9b::/96)
     * reaches the IPv4 address: judge that one. */
    static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
    if (a.family == AF_INET6 && (memcmp(a.bytes, mapped, 12) == 0 || memcmp(a.bytes, nat64, 12) == 0)) {
        a.family = AF_INET;
        memmove(a.bytes, a.bytes + 12, 4);
    }
    return a;
}

char *net_addr_text(void *mem, const struct sockaddr *sa)
{
    char text[INET6_ADDRSTRLEN];
    const void *bytes = sa->sa_family == AF_INET ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
                                                 : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (inet_ntop(sa->sa_family, bytes, text, sizeof text) == NULL)
        return talloc_strdup(mem, "?");
    return talloc_strdup(mem, text);
}

const char *net_addr_refused(void *mem, const struct plan *p, const struct net_rule *rule,
                             const struct sockaddr *sa, unsigned port)
{
    if (!rule->wildcard)
        return NULL; /* the name or the address was listed by itself */
    struct net_addr a = addr_of(sa);
    const struct range *hit = NULL;
    for (size_t i = 0; i < N_ELEMENTS(refused_ranges) && hit == NULL; i++)
        if (in_range(&a, &refused_ranges[i]))
            hit = &refused_ranges[i];
    if (hit == NULL)
        return NULL;
    for (size_t i = 0; i < p->n_net_rules; i++)
        if (same_addr(&p->net_rules[i].addr, &a) && port_matches(&p->net_rules[i], port))
            return NULL;
    return talloc_asprintf(mem, "%s address %s", hit->what, net_addr_text(mem, sa));
}
