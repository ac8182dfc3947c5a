/* Fuzz target: the head of a request to --allow-net's proxy, parsed as
 * the proxy does once it has read up to the blank line
 * (proxy_parse_request), and what it would send on checked: a malformed
 * head is refused, and an accepted one names a host and port and, for an
 * http:// request, is sent on with exactly one Host, the target's, and
 * nothing but CRLF-ended lines.
 *
 * Input: the bytes the client sends; the head is what comes before the
 * first CRLF CRLF (none: nothing to parse, as the proxy would wait). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <talloc.h>

#include "../proxy.h"
#include "harness.h"

struct input {
    const char *head;
    size_t len;
};

static void check(bool ok)
{
    if (!ok)
        abort();
}

/* The head sent on: CRLF-ended lines up to a blank one, the first the
 * request line, one Host among the rest. */
static void check_forward(const struct proxy_request *r)
{
    const char *text = r->forward, *end = text + r->forward_len;
    check(r->forward_len == strlen(text) && r->forward_len >= 4 && memcmp(end - 4, "\r\n\r\n", 4) == 0);
    check(strncmp(text, r->method, strlen(r->method)) == 0 && text[strlen(r->method)] == ' ');
    size_t hosts = 0;
    for (const char *line = text; line < end - 2;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        check(eol != NULL && eol > line && eol[-1] == '\r' && memchr(line, '\r', (size_t)(eol - 1 - line)) == NULL);
        hosts += line != text && strncasecmp(line, "host:", 5) == 0;
        line = eol + 1;
    }
    check(hosts == 1);
}

static void parse(void *ctx, void *arg)
{
    const struct input *in = arg;
    struct proxy_request r;
    if (proxy_parse_request(ctx, in->head, in->len, &r) != NULL)
        return;
    check(r.method != NULL && r.host != NULL && *r.host != '\0' && r.port >= 1 && r.port <= 65535);
    check(r.kind == HOST_NAME || r.kind == HOST_IP);
    check(r.tunnel == (r.forward == NULL));
    if (!r.tunnel)
        check_forward(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *end = memmem(data, size, "\r\n\r\n", 4);
    if (end == NULL)
        return 0;
    struct input in = {(const char *)data, (size_t)(end - (const char *)data) + 4};
    fuzz_run(parse, &in);
    return 0;
}
