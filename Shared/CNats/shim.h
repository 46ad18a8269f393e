// cnats from Debian's libnats-dev. The shim exists only because SwiftPM system
// libraries need one header; <nats/nats.h> is the warning-free include path.
#include <nats/nats.h>

// cnats' own "free this message now", exported by libnats but not declared in
// nats.h. natsMsg_Destroy queues every message for cnats' garbage-collector
// thread instead: one more thread wake-up per message received. See
// Shared/AgionBus/Raw/DeliveredMessage.swift for when it is safe to call.
void natsMsg_free(void *object);
