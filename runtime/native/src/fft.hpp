// Negacyclic FFT plan: polynomials of size N (mod X^N + 1) map to N/2 complex points.
//
// Forward transform of a real polynomial a: fold c_m = (a_m + i a_{m+N/2}) * psi^m with
// psi = exp(i pi / N) (the twist by 2N-th roots of unity), then an in-place radix-2 DIF FFT of
// size N/2. The output order is a fixed permutation ("canonical order", see kernels_impl.hpp)
// shared by every kernel (scalar, AVX2, AVX-512) so Fourier-domain keys are interchangeable.
// Products of polynomials are pointwise products of their transforms.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include <sys/mman.h>

namespace fhec {

template <typename T>
struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>&) {}
  T* allocate(size_t n) {
    // Large buffers (keys) are 2 MiB aligned and marked for transparent huge pages: the keys are
    // streamed once per bootstrap, and 4 KiB pages would cost a TLB miss (and stop the hardware
    // prefetcher) every 4 KiB.
    constexpr size_t kHuge = size_t(2) << 20;
    size_t bytes = ((n * sizeof(T) + 63) / 64) * 64;
    size_t align = bytes >= 2 * kHuge ? kHuge : 64;
    bytes = ((bytes + align - 1) / align) * align;
    void* p = std::aligned_alloc(align, bytes == 0 ? 64 : bytes);
    if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    if (align == kHuge) madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { std::free(p); }
  template <typename U>
  bool operator==(const AlignedAllocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const AlignedAllocator<U>&) const { return false; }
};
template <typename T>
using AVec = std::vector<T, AlignedAllocator<T>>;

struct FftPlan {
  size_t N = 0;     // polynomial size
  size_t h = 0;     // FFT size N/2
  AVec<double> twist_re, twist_im;    // psi^m
  AVec<double> itwist_re, itwist_im;  // conj(psi^m) / h
  AVec<double> tw_re, tw_im;          // stage twiddles: tw[len + j] = exp(-2 pi i j / (2 len))
  // Twiddles of the AVX-512 radix-4 passes (stages 2q and q fused, q >= 8 a power of two), in one
  // stream per pass: at [6q + 6j ...) for j = 0, 8, ... < q, the 8 values w^2 (re, im), w (re, im)
  // and w^3 (re, im) of w = tw[2q + j ...]. The regions [6q, 12q) of all q tile [48, 3h).
  AVec<double> tw4;
};

/// Cached plan for polynomial size N (power of two, >= 64). Thread safe.
const FftPlan& get_fft_plan(size_t N);

}  // namespace fhec
