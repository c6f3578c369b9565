#include "threadpool.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace fhec {
namespace {

class Pool {
 public:
  explicit Pool(size_t threads) {
    target_.store(effective(threads));
    start(target_.load());
  }
  ~Pool() { stop(); }

  /// Never waits for a running batch (an async call may hold the pool for minutes, and this is
  /// called from the JS thread): an idle pool is resized now, a busy one when its batch ends.
  void resize(size_t threads) {
    target_.store(effective(threads));
    std::unique_lock<std::mutex> run(run_mu_, std::try_to_lock);
    if (run.owns_lock()) apply_target();
  }
  /// The size requested last (what every batch from now on uses); safe from any thread.
  size_t size() const { return target_.load(); }

  void run(size_t count, const std::function<void(size_t)>& fn) {
    if (count == 0) return;
    // If the pool is busy (another batch, e.g. an async call, holds it), run on the calling
    // thread instead of waiting: a synchronous call from the JS thread must never block behind
    // a long asynchronous batch.
    std::unique_lock<std::mutex> run(run_mu_, std::try_to_lock);
    if (run.owns_lock()) apply_target();
    if (!run.owns_lock() || workers_.empty() || count == 1) {
      for (size_t i = 0; i < count; i++) fn(i);
      return;
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &fn;
      count_ = count;
      next_.store(0);
      error_ = nullptr;
      active_ = workers_.size();
      generation_++;
    }
    cv_.notify_all();
    work();
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [&] { return active_ == 0; });
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void work() {
    for (;;) {
      size_t i = next_.fetch_add(1);
      if (i >= count_) break;
      try {
        (*job_)(i);
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu_);
        if (!error_) error_ = std::current_exception();
        next_.store(count_);
      }
    }
  }
  void loop() {
    size_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return quit_ || generation_ != seen; });
        if (quit_) return;
        seen = generation_;
      }
      work();
      {
        std::lock_guard<std::mutex> lk(mu_);
        if (--active_ == 0) done_cv_.notify_one();
      }
    }
  }
  static size_t effective(size_t threads) {
    return threads == 0 ? std::max<size_t>(1, std::thread::hardware_concurrency()) : threads;
  }
  /// Called with run_mu_ held: brings the workers to the requested size.
  void apply_target() {
    const size_t want = target_.load();
    if (want == workers_.size() + 1) return;
    stop();
    start(want);
  }
  void start(size_t threads) {
    quit_ = false;
    for (size_t t = 1; t < threads; t++) workers_.emplace_back([this] { loop(); });
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::mutex run_mu_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;  // only touched with run_mu_ held
  std::atomic<size_t> target_{1};
  const std::function<void(size_t)>* job_ = nullptr;
  size_t count_ = 0;
  std::atomic<size_t> next_{0};
  size_t active_ = 0;
  size_t generation_ = 0;
  bool quit_ = false;
  std::exception_ptr error_;
};

Pool& pool() {
  static Pool* p = new Pool(0);  // intentionally leaked: workers must outlive static destructors
  return *p;
}

}  // namespace

void parallel_for(size_t count, const std::function<void(size_t)>& fn) { pool().run(count, fn); }
void set_thread_count(size_t n) { pool().resize(n); }
size_t thread_count() { return pool().size(); }

void for_each_group(size_t count, bool parallel, size_t most, const std::function<void(size_t first, size_t m)>& fn) {
  const size_t threads = parallel ? thread_count() : 1;
  const size_t G = std::max<size_t>(1, std::min(most, (count + threads - 1) / threads));
  const size_t groups = (count + G - 1) / G;
  const auto group = [&](size_t g) { fn(g * G, std::min(count - g * G, G)); };
  if (parallel && groups > 1) {
    parallel_for(groups, group);
  } else {
    for (size_t g = 0; g < groups; g++) group(g);
  }
}

}  // namespace fhec
