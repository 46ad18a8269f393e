// machine.hiccups: how often each CPU disappears for a while, with nothing of
// ours involved. One thread per CPU, pinned, sleeps 200 us again and again and
// counts the wake-ups that came more than 1 ms late (a stall: the CPU ran
// something else, a kernel thread or the hypervisor, or was not running this
// virtual machine). Latency percentiles at low load cannot be better than the
// stalls of the CPUs a request crosses; run this beside them to read them.
// Prints one JSON line per CPU.
//
//   hiccups [SECONDS]    default 5
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

#define SLEEP_NS 200000ull
#define STALL_NS 1000000ull

typedef struct {
    int cpu;
    double seconds;
    uint64_t stalls, stalled_ns, max_ns;
} Probe;

static void *probe(void *argument) {
    Probe *p = argument;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(p->cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) return NULL;
    uint64_t start = now_ns(), end = start + (uint64_t)(p->seconds * 1e9), before = start;
    struct timespec pause = {0, (long)SLEEP_NS};
    for (;;) {
        nanosleep(&pause, NULL);
        uint64_t after = now_ns();
        if (after > end) break;
        uint64_t late = after - before > SLEEP_NS ? after - before - SLEEP_NS : 0;
        if (late > STALL_NS) {
            p->stalls++;
            p->stalled_ns += late;
            if (late > p->max_ns) p->max_ns = late;
        }
        before = after;
    }
    return NULL;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 5;
    if (seconds <= 0) { fprintf(stderr, "usage: hiccups [SECONDS]\n"); return 2; }
    int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    Probe *probes = calloc((size_t)cpus, sizeof *probes);
    pthread_t *threads = calloc((size_t)cpus, sizeof *threads);
    if (!probes || !threads) return 2;
    for (int i = 0; i < cpus; i++) {
        probes[i] = (Probe){.cpu = i, .seconds = seconds};
        if (pthread_create(&threads[i], NULL, probe, &probes[i]) != 0) { perror("pthread_create"); return 2; }
    }
    for (int i = 0; i < cpus; i++) pthread_join(threads[i], NULL);
    for (int i = 0; i < cpus; i++) {
        Probe *p = &probes[i];
        printf("{\"bench\":\"machine.hiccups\",\"cpu\":%d,\"seconds\":%g,\"stalls_per_s\":%.1f,\"stalled_ms_per_s\":%.2f,\"max_us\":%llu}\n",
               p->cpu, seconds, (double)p->stalls / seconds, (double)p->stalled_ns / 1e6 / seconds,
               (unsigned long long)(p->max_ns / 1000));
    }
    return 0;
}
