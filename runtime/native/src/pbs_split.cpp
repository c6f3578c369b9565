#include "pbs_split.hpp"

#include "common.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FHEC_PAUSE() _mm_pause()
#else
#define FHEC_PAUSE() ((void)0)
#endif

namespace fhec {
namespace {

using Task = void (*)(void*, size_t);

// One phase at a time. `state` packs (phase generation << 32 | next unclaimed task): a claim is a
// compare-and-swap of the whole word, so a claim made with a stale view of the phase fails.
// Odd generations are closed: a new phase first closes the last one (a new generation, so every
// claim still holding the old word fails), then writes its task/arg/count, then opens. Without
// the closing step, a thread that had read the finished phase's word with the index at its end
// could read the next phase's larger count and claim that index in the old generation: a task
// run early and counted into the next phase, which then ended before its last task had.
class Helper {
 public:
  Helper() { std::thread([this] { loop(); }).detach(); }

  /// Runs `body(runner)` with the helper taking tasks of its phases; false (nothing run) when
  /// the helper is busy with another shared call.
  template <class Body>
  bool share(size_t rot_words, const Body& body) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    if (rots_.size() < rot_words) rots_.resize(rot_words);
    {
      std::lock_guard<std::mutex> lk(mu_);
      active_.store(true);
    }
    cv_.notify_one();
    body(PbsTaskRunner{&Helper::run_phase, this, rots_.data()});
    active_.store(false);
    return true;
  }

 private:
  static void run_phase(void* self, size_t count, Task task, void* arg) {
    static_cast<Helper*>(self)->phase(count, task, arg);
  }

  void phase(size_t count, Task task, void* arg) {
    const uint64_t closed = (state_.load() >> 32) + 1;  // the open generations are even
    state_.store(closed << 32);
    task_ = task;
    arg_ = arg;
    count_ = count;
    done_.store(0);
    const uint64_t gen = closed + 1;
    state_.store(gen << 32);
    work(gen);
    for (int spins = 0; done_.load() < count; spins++) {
      if (spins < 2000) FHEC_PAUSE();
      else std::this_thread::yield();
    }
  }

  // Claims and runs tasks of phase `gen` until none is left.
  void work(uint64_t gen) {
    for (;;) {
      uint64_t s = state_.load();
      if ((s >> 32) != gen) return;
      const size_t i = static_cast<size_t>(s & 0xffffffffu);
      const Task task = task_;
      void* arg = arg_;
      if (i >= count_) return;
      if (!state_.compare_exchange_weak(s, s + 1)) continue;
      task(arg, i);
      done_.fetch_add(1);
    }
  }

  void loop() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return active_.load(); });
      }
      uint64_t seen = 0;
      while (active_.load()) {
        const uint64_t gen = state_.load() >> 32;
        if (gen != seen && (gen & 1) == 0) {
          work(gen);
          seen = gen;
        } else {
          FHEC_PAUSE();
        }
      }
    }
  }

  std::mutex busy_;  // one shared PBS at a time
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> active_{false};
  std::atomic<uint64_t> state_{0};
  std::atomic<size_t> done_{0};
  // The open phase (see the class comment); atomics so that the helper's reads are ordered.
  std::atomic<Task> task_{nullptr};
  std::atomic<void*> arg_{nullptr};
  std::atomic<size_t> count_{0};
  AVec<uint64_t> rots_;
};

Helper& helper() {
  static Helper* h = new Helper();  // intentionally leaked, like the pool: its thread is detached
  return *h;
}

}  // namespace

bool blind_rotate_split(const Kernels& K, const PbsArgs& a) {
  return helper().share((size_t(a.k) + 1) * a.N, [&](const PbsTaskRunner& runner) {
    if (a.grouping > 1) {
      K.blind_rotate_extract_multibit_tasks(a, runner);
    } else {
      K.blind_rotate_extract_tasks(a, runner);
    }
  });
}

namespace {
// The two halves of a shared keyswitch: output columns split at a cache-line boundary of the
// 32-bit scratch (16 columns), so the threads never write the same line.
struct KeyswitchHalves {
  const Kernels* K;
  const KsArgs* a;
  size_t split;
  static void task(void* arg, size_t i) {
    const KeyswitchHalves& t = *static_cast<const KeyswitchHalves*>(arg);
    const size_t len = t.a->out_dim + 1;
    t.K->keyswitch_columns(*t.a, i == 0 ? 0 : t.split, i == 0 ? t.split : len);
  }
};
}  // namespace

bool keyswitch_split(const Kernels& K, const KsArgs& a) {
  const size_t len = a.out_dim + 1;
  KeyswitchHalves halves{&K, &a, std::min(len, (len / 2 + 15) / 16 * 16)};
  return helper().share(0, [&](const PbsTaskRunner& runner) { runner.run(runner.ctx, 2, &KeyswitchHalves::task, &halves); });
}

bool worth_sharing(size_t polynomial_size, uint32_t grouping_factor) {
  return polynomial_size >= (grouping_factor > 1 ? kSplitMinPolynomialSizeMultibit : kSplitMinPolynomialSize);
}

bool spare_core_available() {
  static std::atomic<int64_t> checked_ms{-1000000};
  static std::atomic<bool> spare{false};
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch()).count();
  if (now - checked_ms.load() >= 1000) {
    double load[1];
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    spare.store(getloadavg(load, 1) == 1 && cpus >= 2 && load[0] < double(cpus) - 0.5);
    checked_ms.store(now);
  }
  return spare.load();
}


namespace {
std::atomic<int> g_mode{0};  // 0 auto, 1 always, 2 never
}

void set_shared_pbs_mode(const std::string& mode) {
  if (mode == "auto") g_mode.store(0);
  else if (mode == "always") g_mode.store(1);
  else if (mode == "never") g_mode.store(2);
  else throw RuntimeError("shared PBS mode must be auto, always or never, got '" + mode + "'");
}

bool share_lone_pbs() {
  const int m = g_mode.load();
  return m == 1 || (m == 0 && spare_core_available());
}

}  // namespace fhec
