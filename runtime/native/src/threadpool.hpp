// Thread pool owned by the addon; parallel_for splits an index range over all workers.
#pragma once
#include <cstddef>
#include <functional>

namespace fhec {

/// Runs fn(i) for i in [0, count) on the pool (the calling thread participates). If the pool is
/// already running another batch, fn runs on the calling thread alone (never waits for the pool).
/// Exceptions from fn are rethrown (first one wins). Must not be nested.
void parallel_for(size_t count, const std::function<void(size_t)>& fn);
/// Number of threads used by parallel_for (including the caller). 0 = hardware concurrency.
void set_thread_count(size_t n);
size_t thread_count();
/// Runs fn(first, m) over `count` items in consecutive groups of m <= `most` (one pass over a key
/// per group), on the pool when `parallel` (else on the calling thread): groups as large as `most`
/// while every thread still gets work.
void for_each_group(size_t count, bool parallel, size_t most, const std::function<void(size_t first, size_t m)>& fn);

}  // namespace fhec
