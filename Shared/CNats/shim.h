// cnats from Debian's libnats-dev. The shim exists only because SwiftPM system
// libraries need one header; <nats/nats.h> is the warning-free include path.
#include <nats/nats.h>
