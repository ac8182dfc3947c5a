/* make bench's proxy case, the yardstick: the least a user-space relay
 * can do to move one connection's bytes from a server to a client on
 * loopback, outside any sandbox.  No protocol, no policy, no event loop:
 * accept one client on 127.0.0.1 (its port printed once listening),
 * connect to 127.0.0.1:PORT, and move the server's bytes to the client
 * with blocking calls until the server ends: by splice(2) through one
 * pipe, or by read(2) and write(2) through one buffer ("copy").  Repeats
 * for each client until killed.
 *   bench_relay PORT splice|copy */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <err.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static void copy(int from, int to)
{
    static char buf[CHUNK];
    ssize_t n;
    while ((n = read(from, buf, CHUNK)) > 0)
        for (ssize_t done = 0, m; done < n; done += m)
            if ((m = write(to, buf + done, (size_t)(n - done))) <= 0)
                err(1, "write");
    if (n < 0)
        err(1, "read");
}

static void relay(int from, int to)
{
    int p[2];
    if (pipe(p) < 0)
        err(1, "pipe");
    (void)fcntl(p[1], F_SETPIPE_SZ, CHUNK);
    for (;;) {
        ssize_t n = splice(from, NULL, p[1], NULL, CHUNK, SPLICE_F_MOVE);
        if (n < 0)
            err(1, "splice in");
        if (n == 0)
            break;
        while (n > 0) {
            ssize_t m = splice(p[0], NULL, to, NULL, (size_t)n, SPLICE_F_MOVE);
            if (m <= 0)
                err(1, "splice out");
            n -= m;
        }
    }
    close(p[0]);
    close(p[1]);
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[2], "splice") != 0 && strcmp(argv[2], "copy") != 0))
        errx(2, "usage: bench_relay PORT splice|copy");
    void (*move)(int, int) = strcmp(argv[2], "copy") == 0 ? copy : relay;
    struct sockaddr_in up = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof me;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&me, sizeof me) < 0 || listen(l, 8) < 0 ||
        getsockname(l, (struct sockaddr *)&me, &len) < 0)
        err(1, "listen");
    printf("%u\n", ntohs(me.sin_port));
    fflush(stdout);
    for (;;) {
        int c = accept(l, NULL, NULL);
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || s < 0 || connect(s, (struct sockaddr *)&up, sizeof up) < 0)
            err(1, "accept/connect");
        move(s, c);
        close(s);
        close(c);
    }
}
