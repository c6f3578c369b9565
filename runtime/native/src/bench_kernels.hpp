// Speed probes for the PBS benchmark's lower bound (bench/pbs.ts): the standalone FFT of the
// active kernels and the core's peak FMA rate, measured on one thread of the running machine.
#pragma once
#include <cstddef>

namespace fhec {

struct KernelTimings {
  double forward_us;   // one forward negacyclic FFT of size N (N/2 complex points), median
  double inverse_us;   // one inverse
  double fma_gflops;   // peak double-precision FLOP/s (an FMA counts 2), best of the runs
};

KernelTimings measure_kernels(size_t N, size_t reps);

}  // namespace fhec
