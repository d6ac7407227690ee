// Names for the SDK's threads, so that top -H, ps -L, perf and gdb tell them apart.
#pragma once

#include <pthread.h>

namespace crewai::transport {

// Names the calling thread (Linux keeps at most 15 characters; a longer name is refused, so the
// names given here stay short). A failure only leaves the process's name in place.
inline void name_this_thread(const char* name) { ::pthread_setname_np(::pthread_self(), name); }

}  // namespace crewai::transport
