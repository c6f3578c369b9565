#include "bench_kernels.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "kernels.hpp"

namespace fhec {

namespace {
double now_us() {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}
}  // namespace

KernelTimings measure_kernels(size_t N, size_t reps) {
  const Kernels& K = active_kernels();
  const FftPlan& plan = get_fft_plan(N);
  const size_t h = plan.h;
  AVec<double> buf(N);
  for (size_t i = 0; i < N; i++) buf[i] = double((i * 2654435761u) % 1000) - 500.0;
  // Batches of transforms per timing so that the clock's resolution does not matter.
  const size_t inner = std::max<size_t>(1, 65536 / N);
  std::vector<double> fwd, inv;
  for (size_t r = 0; r < reps + 1; r++) {
    double t0 = now_us();
    for (size_t i = 0; i < inner; i++) K.fft_forward(plan, buf.data(), buf.data() + h);
    double t1 = now_us();
    for (size_t i = 0; i < inner; i++) K.fft_inverse(plan, buf.data(), buf.data() + h);
    double t2 = now_us();
    // The inverse is unnormalized: rescale so the values stay bounded across repetitions.
    for (size_t i = 0; i < N; i++) buf[i] *= 1.0 / double(h);
    if (r == 0) continue;  // warm-up
    fwd.push_back((t1 - t0) / double(inner));
    inv.push_back((t2 - t1) / double(inner));
  }
  double best = 0;
  for (int r = 0; r < 5; r++) {
    double t0 = now_us();
    double flops = K.fma_burst(2000000);
    double t1 = now_us();
    best = std::max(best, flops / ((t1 - t0) * 1e3));
  }
  return {median(fwd), median(inv), best};
}

}  // namespace fhec
