// http_rate: an open-loop HTTP/1.1 load generator, for "p99 at N requests/s".
//
// wrk is closed-loop: each connection sends its next request only after the
// previous answer (plus a pause), so a slow answer delays the requests behind
// it and they are never measured as late (coordinated omission), and
// connections that start together stay in step, so "10 connections pausing
// 10 ms" is bursts of 10 requests every ~11 ms, not 1,000 requests/s. This
// sends on a schedule instead: arrivals at RATE per second (Poisson by
// default: independent clients; or evenly spaced), each request on an idle
// keep-alive connection (a new one when all are busy, up to -c), and each
// latency measured from the request's scheduled time, so queueing anywhere,
// including here, counts. Prints one JSON line.
//
//   http_rate -a HOST:PORT -p PATH [-m METHOD] [-b BODY] [-H "Name: value"]...
//             [-r RATE] [-d SECONDS] [-w WARMUP_SECONDS] [-c MAX_CONNECTIONS]
//             [-e poisson|uniform]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

#define MAX_HEADERS 16
#define BUFFER_BYTES 65536

typedef struct {
    int fd;
    int busy;
    uint64_t intended;   // scheduled send time of the request on the wire
    int measured;        // inside the measurement window
    size_t written;      // bytes of the request written so far
    size_t filled;       // bytes of the response read so far
    char buffer[BUFFER_BYTES];
} Connection;

static struct sockaddr_in address;
static char *request;
static size_t request_bytes;
static Connection *connections;
static int connection_count, max_connections;
static int epoll_fd;

// Requests due but not yet on a connection: their scheduled times, a ring.
static uint64_t *pending;
static size_t pending_capacity, pending_head, pending_count;

static uint64_t *latencies;
static size_t latency_count, latency_capacity;
// HTTP_RATE_TRACE=FILE: each measured request's scheduled time and latency
// (ns), one line each, to see when slow answers happen.
static FILE *trace;
static uint64_t errors, unanswered;
// Every answered request, warm-up included (to divide CPU time by).
static uint64_t answered;
static uint64_t window_start, window_end;

static void fail(const char *what) {
    fprintf(stderr, "http_rate: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void record(Connection *c, int ok) {
    answered++;
    if (!c->measured) return;
    if (!ok) { errors++; return; }
    if (latency_count == latency_capacity) {
        latency_capacity = latency_capacity ? latency_capacity * 2 : 65536;
        latencies = realloc(latencies, latency_capacity * sizeof *latencies);
        if (!latencies) fail("realloc");
    }
    latencies[latency_count++] = now_ns() - c->intended;
    if (trace) fprintf(trace, "%llu %llu\n", (unsigned long long)c->intended, (unsigned long long)latencies[latency_count - 1]);
}

static void open_connection(Connection *c) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) fail("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // Blocking connect (a local server answers at once), then non-blocking I/O.
    if (connect(c->fd, (struct sockaddr *)&address, sizeof address) != 0) fail("connect");
    if (fcntl(c->fd, F_SETFL, O_NONBLOCK) != 0) fail("fcntl");
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c->fd, &event) != 0) fail("epoll_ctl");
    c->busy = 0;
    c->filled = 0;
}

static void reopen(Connection *c) {
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    open_connection(c);
}

static void write_some(Connection *c) {
    while (c->written < request_bytes) {
        ssize_t n = write(c->fd, request + c->written, request_bytes - c->written);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct epoll_event event = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
                epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &event);
                return;
            }
            record(c, 0);
            reopen(c);
            return;
        }
        c->written += (size_t)n;
    }
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &event);
}

static void start(Connection *c, uint64_t intended) {
    c->busy = 1;
    c->intended = intended;
    c->measured = intended >= window_start && intended < window_end;
    c->written = 0;
    c->filled = 0;
    write_some(c);
}

static Connection *idle_connection(void) {
    for (int i = 0; i < connection_count; i++)
        if (!connections[i].busy) return &connections[i];
    if (connection_count < max_connections) {
        Connection *c = &connections[connection_count++];
        open_connection(c);
        return c;
    }
    return NULL;
}

static void dispatch(void) {
    while (pending_count > 0) {
        Connection *c = idle_connection();
        if (!c) return;
        uint64_t intended = pending[pending_head];
        pending_head = (pending_head + 1) % pending_capacity;
        pending_count--;
        start(c, intended);
    }
}

// The length of a complete response at the start of the buffer, 0 if incomplete,
// -1 if it cannot be parsed (no Content-Length: the gateway always sends one).
static long response_length(Connection *c, int *status) {
    char *end = memmem(c->buffer, c->filled, "\r\n\r\n", 4);
    if (!end) return c->filled == BUFFER_BYTES ? -1 : 0;
    size_t head = (size_t)(end - c->buffer) + 4;
    if (c->filled < 12 || memcmp(c->buffer, "HTTP/1.", 7) != 0) return -1;
    *status = atoi(c->buffer + 9);
    long body = -1;
    for (char *line = memchr(c->buffer, '\n', head); line && line < end; line = memchr(line + 1, '\n', (size_t)(end - line))) {
        if (strncasecmp(line + 1, "content-length:", 15) == 0) body = atol(line + 16);
    }
    if (body < 0 || head + (size_t)body > BUFFER_BYTES) return -1;
    return c->filled >= head + (size_t)body ? (long)(head + (size_t)body) : 0;
}

static void read_some(Connection *c) {
    for (;;) {
        ssize_t n = read(c->fd, c->buffer + c->filled, BUFFER_BYTES - c->filled);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {  // closed or failed: the request in flight failed
            if (c->busy) record(c, 0);
            reopen(c);
            return;
        }
        c->filled += (size_t)n;
        int status = 0;
        long length = response_length(c, &status);
        if (length < 0) {
            fprintf(stderr, "http_rate: unparseable response: %.*s\n", (int)(c->filled < 200 ? c->filled : 200), c->buffer);
            exit(2);
        }
        if (length == 0) continue;
        if (!c->busy) { fprintf(stderr, "http_rate: response without a request\n"); exit(2); }
        record(c, status >= 200 && status < 300);
        c->busy = 0;
        c->filled = 0;
        return;
    }
}

static void usage(void) {
    fprintf(stderr, "usage: http_rate -a HOST:PORT -p PATH [-m METHOD] [-b BODY] [-H 'Name: value']... "
                    "[-r RATE] [-d SECONDS] [-w WARMUP] [-c MAX_CONNECTIONS] [-e poisson|uniform]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *target = NULL, *path = NULL, *method = "GET", *body = "", *arrivals = "poisson";
    const char *headers[MAX_HEADERS];
    int header_count = 0;
    double rate = 1000, seconds = 10, warmup = 2;
    max_connections = 64;
    int option;
    while ((option = getopt(argc, argv, "a:p:m:b:H:r:d:w:c:e:")) != -1) {
        switch (option) {
        case 'a': target = optarg; break;
        case 'p': path = optarg; break;
        case 'm': method = optarg; break;
        case 'b': body = optarg; break;
        case 'H': if (header_count == MAX_HEADERS) usage(); headers[header_count++] = optarg; break;
        case 'r': rate = atof(optarg); break;
        case 'd': seconds = atof(optarg); break;
        case 'w': warmup = atof(optarg); break;
        case 'c': max_connections = atoi(optarg); break;
        case 'e': arrivals = optarg; break;
        default: usage();
        }
    }
    int poisson = strcmp(arrivals, "poisson") == 0;
    if (!target || !path || rate <= 0 || seconds <= 0 || warmup < 0 || max_connections < 1 || (!poisson && strcmp(arrivals, "uniform") != 0)) usage();
    char host[256];
    const char *colon = strrchr(target, ':');
    if (!colon || (size_t)(colon - target) >= sizeof host) usage();
    memcpy(host, target, (size_t)(colon - target));
    host[colon - target] = 0;
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) usage();

    // The request, built once.
    size_t capacity = strlen(method) + strlen(path) + strlen(target) + strlen(body) + 128;
    for (int i = 0; i < header_count; i++) capacity += strlen(headers[i]) + 2;
    request = malloc(capacity);
    int used = snprintf(request, capacity, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %zu\r\n", method, path, target, strlen(body));
    for (int i = 0; i < header_count; i++) used += snprintf(request + used, capacity - (size_t)used, "%s\r\n", headers[i]);
    used += snprintf(request + used, capacity - (size_t)used, "\r\n%s", body);
    request_bytes = (size_t)used;

    const char *trace_path = getenv("HTTP_RATE_TRACE");
    if (trace_path && !(trace = fopen(trace_path, "w"))) fail(trace_path);
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) fail("epoll_create1");
    connections = calloc((size_t)max_connections, sizeof *connections);
    pending_capacity = 1 << 20;
    pending = malloc(pending_capacity * sizeof *pending);
    if (!connections || !pending) fail("calloc");
    int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer < 0) fail("timerfd_create");
    struct epoll_event timer_event = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, timer, &timer_event) != 0) fail("epoll_ctl");
    // A few connections up front, so the first requests do not pay for connect.
    for (int i = 0; i < 4 && i < max_connections; i++) open_connection(&connections[connection_count++]);

    uint32_t seed;
    if (getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = (uint32_t)now_ns();
    srand48(seed);
    double interval = 1e9 / rate;
    uint64_t begin = now_ns() + 1000000;
    window_start = begin + (uint64_t)(warmup * 1e9);
    window_end = window_start + (uint64_t)(seconds * 1e9);
    uint64_t next = begin;
    struct epoll_event events[64];
    for (;;) {
        uint64_t now = now_ns();
        // Everything due goes out now; new arrivals stop at the end of the window.
        while (next <= now && next < window_end) {
            if (pending_count == pending_capacity) { fprintf(stderr, "http_rate: the server fell too far behind\n"); exit(2); }
            pending[(pending_head + pending_count++) % pending_capacity] = next;
            next += (uint64_t)(poisson ? -log(1.0 - drand48()) * interval : interval);
        }
        dispatch();
        int in_flight = 0;
        for (int i = 0; i < connection_count; i++) in_flight += connections[i].busy;
        if (next >= window_end && pending_count == 0 && in_flight == 0) break;
        if (next >= window_end && now > window_end + 5000000000ull) { unanswered = (uint64_t)in_flight + pending_count; break; }
        struct itimerspec when = {0};
        uint64_t wake = next < window_end ? next : now + 10000000;
        when.it_value.tv_sec = (time_t)(wake / 1000000000ull);
        when.it_value.tv_nsec = (long)(wake % 1000000000ull);
        timerfd_settime(timer, TFD_TIMER_ABSTIME, &when, NULL);
        int n = epoll_wait(epoll_fd, events, 64, -1);
        if (n < 0 && errno != EINTR) fail("epoll_wait");
        for (int i = 0; i < n; i++) {
            Connection *c = events[i].data.ptr;
            if (!c) { uint64_t expirations; (void)!read(timer, &expirations, sizeof expirations); continue; }
            if (events[i].events & EPOLLOUT) write_some(c);
            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) read_some(c);
        }
    }

    if (trace) fclose(trace);
    qsort(latencies, latency_count, sizeof *latencies, compare_u64);
#define PCT(p) (latency_count ? latencies[(size_t)((double)(latency_count - 1) * (p))] / 1000 : 0)
    printf("{\"arrivals\":\"%s\",\"rate\":%g,\"requests\":%zu,\"ops_per_s\":%.0f,\"p50_us\":%llu,\"p90_us\":%llu,"
           "\"p99_us\":%llu,\"p999_us\":%llu,\"max_us\":%llu,\"connections_used\":%d,\"answered\":%llu,\"errors\":%llu}\n",
           arrivals, rate, latency_count, (double)latency_count / seconds, (unsigned long long)PCT(0.50),
           (unsigned long long)PCT(0.90), (unsigned long long)PCT(0.99), (unsigned long long)PCT(0.999),
           (unsigned long long)(latency_count ? latencies[latency_count - 1] / 1000 : 0), connection_count, (unsigned long long)answered,
           (unsigned long long)(errors + unanswered));
    return 0;
}
