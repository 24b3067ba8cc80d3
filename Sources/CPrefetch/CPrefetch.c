// CPrefetch is header-only (a static inline function); this file gives the target a source.
#include "CPrefetch.h"
