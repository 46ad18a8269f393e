// cnats.publish_async: plain C JetStream async publish, the reference for
// bus.publish_async: 200-byte messages with a Nats-Msg-Id each, file storage.
//   cnats_publish_async STREAM SUBJECT N
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"

int main(int argc, char **argv) {
    const char *url = getenv("AGION_NATS_URL") ? getenv("AGION_NATS_URL") : "nats://127.0.0.1:14222";
    if (argc < 4) { fprintf(stderr, "usage: cnats_publish_async STREAM SUBJECT N\n"); return 2; }
    int n = atoi(argv[3]);
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsOptions jo;
    jsErrCode jerr = 0;
    natsOptions *opts = NULL;
    natsOptions_Create(&opts);
    natsOptions_SetURL(opts, url);
    /* The local stack's NATS wants credentials (docs/security.md). */
    if (getenv("AGION_NATS_CREDS")) natsOptions_SetUserCredentialsFromFiles(opts, getenv("AGION_NATS_CREDS"), NULL);
    if (natsConnection_Connect(&nc, opts) != NATS_OK) { fprintf(stderr, "connect failed\n"); return 1; }
    natsOptions_Destroy(opts);
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = 16384;
    natsConnection_JetStream(&js, nc, &jo);

    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char *subjects[1] = { argv[2] };
    cfg.Name = argv[1];
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    jsStreamInfo *si = NULL;
    if (js_AddStream(&si, js, &cfg, NULL, &jerr) != NATS_OK) { fprintf(stderr, "add stream failed %d\n", jerr); return 1; }
    jsStreamInfo_Destroy(si);

    char payload[200];
    memset(payload, 0x42, sizeof payload);
    char id[64];
    uint64_t start = now_ns();
    for (int i = 0; i < n; i++) {
        natsMsg *msg = NULL;
        natsMsg_Create(&msg, argv[2], NULL, payload, sizeof payload);
        snprintf(id, sizeof id, "ref-%d", i);
        natsMsgHeader_Set(msg, "Nats-Msg-Id", id);
        if (js_PublishMsgAsync(js, &msg, NULL) != NATS_OK) { natsMsg_Destroy(msg); fprintf(stderr, "publish failed\n"); return 1; }
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 60000;
    if (js_PublishAsyncComplete(js, &po) != NATS_OK) { fprintf(stderr, "complete failed\n"); return 1; }
    uint64_t elapsed = now_ns() - start;
    printf("{\"bench\":\"cnats.publish_async\",\"ops_per_s\":%d,\"ns_per_op\":%llu}\n",
           (int)((double)n / ((double)elapsed / 1e9)), (unsigned long long)(elapsed / (uint64_t)n));
    js_DeleteStream(js, argv[1], NULL, &jerr);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return 0;
}
