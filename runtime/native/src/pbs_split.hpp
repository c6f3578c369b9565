// A lone large PBS on two threads: the calling thread and a dedicated helper thread share its
// keyswitch and the tasks of its blind rotation (Kernels::blind_rotate_extract_tasks, or its multi-bit twin). Tasks are claimed, not
// assigned: when the helper is not scheduled (a busy machine), the caller runs every task itself
// and loses only the bookkeeping, never waits for a descheduled partner to start.
#pragma once
#include <string>

#include "kernels.hpp"

namespace fhec {

/// Smallest polynomial size worth sharing: below it, the per-phase handoffs cost more than the
/// second thread saves.
constexpr size_t kSplitMinPolynomialSize = 8192;
/// The same for a multi-bit PBS: each group streams 2^g - 1 key entries, far more work per phase
/// than a classic CMux of the same N, and the products phase is where two threads gain most.
constexpr size_t kSplitMinPolynomialSizeMultibit = 2048;
/// Whether a lone PBS of this shape is worth sharing (the two thresholds above).
bool worth_sharing(size_t polynomial_size, uint32_t grouping_factor);

/// Whether a second core is likely idle: the 1-minute load average (which counts this PBS's own
/// thread) is below the number of online CPUs minus 1/2 (re-read at most once a second). On an oversubscribed machine the helper would
/// be descheduled while holding tasks and the shared PBS would be slower than a lone thread.
bool spare_core_available();

/// "auto" (default: share when spare_core_available()), "always" or "never" (tests, benches).
void set_shared_pbs_mode(const std::string& mode);
/// Whether a lone large PBS should use the helper thread now.
bool share_lone_pbs();

/// Runs the blind rotation (classic or multi-bit) of a.count == 1 ciphertext on two threads. Returns false (and
/// does nothing) when the helper is busy with another PBS: the caller then runs it alone.
bool blind_rotate_split(const Kernels& K, const PbsArgs& a);

/// The keyswitch before such a PBS on the same two threads, each taking half of the output
/// columns (the same integers as one thread). Returns false (and does nothing) when the helper
/// is busy: the caller then keyswitches alone.
bool keyswitch_split(const Kernels& K, const KsArgs& a);

}  // namespace fhec
