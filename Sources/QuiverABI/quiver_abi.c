// The parts of the C ABI that are simplest in C: the calling thread's last error message and the
// version string. The entry points themselves are Swift (Sources/QuiverC, `@_cdecl`).
#include "quiver.h"
#include "quiver_abi_internal.h"

#include <string.h>

static _Thread_local char last_error[1024];

const char *qv_last_error(void) { return last_error; }

void qv_abi_set_last_error(const char *message) {
  if (message == NULL) {
    last_error[0] = 0;
    return;
  }
  size_t n = strlen(message);
  if (n >= sizeof last_error) n = sizeof last_error - 1;
  memcpy(last_error, message, n);
  last_error[n] = 0;
}

// The same text as Store.createdBy (what a new store records as created_by).
const char *qv_version(void) { return "quiver 0.4"; }
