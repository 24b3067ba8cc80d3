#ifndef QUIVER_CLMDB_SHIM_H
#define QUIVER_CLMDB_SHIM_H
#include <lmdb.h>
#endif
