#ifndef QUIVER_CXXHASH_SHIM_H
#define QUIVER_CXXHASH_SHIM_H
#include <xxhash.h>
#endif
