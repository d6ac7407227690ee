// tools/crewctl/malloc_arenas.hpp — one malloc arena for a batch process (crewctl batch;
// batch_bench does the same so that it measures what crewctl does). Programs only, never the library: how a
// process allocates is its owner's choice.
#pragma once

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace crewctl {

// Why: glibc gives each thread that allocates its own arena, and a batch's per-run state is made
// on one thread and freed on another (the loop builds a kickoff, the engine thread the request and
// the wait; the answers go back to the loop). Each arena then keeps its own holes that the other
// cannot reuse, and their peaks add up: at 10,000 runs in flight, bench/batch_bench.sh measured
// 64 MiB with the default arenas against 55 MiB with one (bench/README.md, "RSS: after the fix"),
// at no measurable CPU cost: the hot allocations stay in glibc's per-thread cache, which takes no
// arena lock. Call before the process starts threads.
inline void one_malloc_arena() {
#if defined(__GLIBC__)
  mallopt(M_ARENA_MAX, 1);
#endif
}

}  // namespace crewctl
