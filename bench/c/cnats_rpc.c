// cnats.rpc: plain C request/reply, the reference for bus.rpc.
//   cnats_rpc server SUBJECT   responder (prints "ready", exits when stdin closes)
//   cnats_rpc client SUBJECT N requests in sequence, prints one JSON line
// Both sides use send-asap, as the Bus module does.
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure) {
    static char reply[64];
    (void)sub; (void)closure;
    natsConnection_Publish(nc, natsMsg_GetReply(msg), reply, sizeof(reply));
    natsMsg_Destroy(msg);
}

static natsConnection *connect_to(const char *url) {
    natsOptions *opts = NULL;
    natsConnection *nc = NULL;
    natsOptions_Create(&opts);
    natsOptions_SetURL(opts, url);
    natsOptions_SetSendAsap(opts, true);
    /* The local stack's NATS wants credentials (docs/security.md). */
    if (getenv("AGION_NATS_CREDS")) natsOptions_SetUserCredentialsFromFiles(opts, getenv("AGION_NATS_CREDS"), NULL);
    if (natsConnection_Connect(&nc, opts) != NATS_OK) { fprintf(stderr, "connect failed\n"); exit(1); }
    natsOptions_Destroy(opts);
    return nc;
}

int main(int argc, char **argv) {
    const char *url = getenv("AGION_NATS_URL") ? getenv("AGION_NATS_URL") : "nats://127.0.0.1:14222";
    if (argc < 3) { fprintf(stderr, "usage: cnats_rpc server|client SUBJECT [N]\n"); return 2; }
    natsConnection *nc = connect_to(url);
    if (strcmp(argv[1], "server") == 0) {
        natsSubscription *sub = NULL;
        natsConnection_QueueSubscribe(&sub, nc, argv[2], "bench", on_request, NULL);
        natsConnection_Flush(nc);
        printf("ready\n");
        fflush(stdout);
        char buf[64];
        while (read(0, buf, sizeof buf) > 0) {}
        natsSubscription_Destroy(sub);
    } else {
        int n = argc > 3 ? atoi(argv[3]) : 20000;
        char payload[200];
        memset(payload, 7, sizeof payload);
        uint64_t *samples = calloc((size_t)n, sizeof(uint64_t));
        natsMsg *reply = NULL;
        for (int i = 0; i < 1000; i++) {
            if (natsConnection_Request(&reply, nc, argv[2], payload, sizeof payload, 2000) == NATS_OK) natsMsg_Destroy(reply);
        }
        uint64_t start = now_ns();
        for (int i = 0; i < n; i++) {
            uint64_t t0 = now_ns();
            if (natsConnection_Request(&reply, nc, argv[2], payload, sizeof payload, 2000) != NATS_OK) { fprintf(stderr, "request failed\n"); return 1; }
            natsMsg_Destroy(reply);
            samples[i] = now_ns() - t0;
        }
        uint64_t elapsed = now_ns() - start;
        qsort(samples, (size_t)n, sizeof(uint64_t), compare_u64);
        printf("{\"bench\":\"cnats.rpc\",\"clients\":1,\"ops_per_s\":%d,\"p50_us\":%llu,\"p99_us\":%llu}\n",
               (int)((double)n / ((double)elapsed / 1e9)),
               (unsigned long long)(samples[n / 2] / 1000), (unsigned long long)(samples[(int)(n * 0.99)] / 1000));
        free(samples);
    }
    natsConnection_Destroy(nc);
    return 0;
}
