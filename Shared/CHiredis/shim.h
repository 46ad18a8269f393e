// hiredis 0.14 from Debian's libhiredis-dev. No pkg-config on this target on
// purpose: hiredis.pc adds a flag SwiftPM rejects with a warning on every build.
#include <hiredis/hiredis.h>
