// Not part of the C ABI: what the Swift entry points (Sources/QuiverC) call in quiver_abi.c.
#ifndef QUIVER_ABI_INTERNAL_H
#define QUIVER_ABI_INTERNAL_H

/** Sets the calling thread's qv_last_error() message (copied, truncated to 1,023 bytes; null clears it). */
void qv_abi_set_last_error(const char *message);

#endif
