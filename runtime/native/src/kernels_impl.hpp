// Kernel implementations. This file is included by kernels_scalar.cpp, kernels_avx2.cpp and
// kernels_avx512.cpp, each compiled with different target flags and defining KNS (namespace).
//
// Canonical Fourier order: a radix-2 DIF FFT (natural input, bit-reversed output) followed, on
// every 16-point chunk, by the permutation out[t] = std[kChunkSrc[t]]. The AVX-512 code produces
// that order directly with in-register shuffles in the last three stages; other kernels apply
// the permutation explicitly.
#include <cmath>
#include <cstring>

#include "kernels.hpp"

#if defined(__AVX512F__) && defined(__AVX512DQ__)
#include <immintrin.h>
#define FHEC_USE_AVX512 1
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define FHEC_USE_AVX2 1
#endif

namespace fhec {
namespace KNS {

// Streams the next bootstrapping-key entry towards L2 while the FFTs compute, one cache line
// per vector iteration, so the (DRAM-bound) multiply-accumulate finds it in cache.
// `extra` lines per step beyond the first (0..2): the one-thread classic loop raises it when one
// line per step would leave most of a small-N entry to be fetched on demand by the products.
struct Prefetcher {
  const char* p = nullptr;
  const char* end = nullptr;
  uint32_t extra = 0;
  inline void step() {
    if (p < end) {
      __builtin_prefetch(p, 0, 2);
      if (extra > 0) __builtin_prefetch(p + 64, 0, 2);
      if (extra > 1) __builtin_prefetch(p + 128, 0, 2);
      p += 64 * (1 + extra);
    }
  }
};

static const int kChunkSrc[16] = {0, 2, 8, 10, 4, 6, 12, 14, 1, 3, 9, 11, 5, 7, 13, 15};

// Where Fourier point m starts in a key entry of the chunked layout (kernels.hpp): each point
// holds R rows x k1 outputs complex values, R k1 2 doubles.
static inline const double* key_at_point(const double* entry, size_t m, size_t R, size_t k1) {
  return entry + m * R * k1 * 2;
}

static inline double round_half_even(double x) {
#if defined(__SSE4_1__)
  return std::nearbyint(x);
#else
  // Portable rounding (default rounding mode): exact for every finite double.
  const double magic = 0x1p52;
  double ax = std::fabs(x);
  if (ax >= magic) return x;
  double r = (ax + magic) - magic;
  return std::copysign(r, x);
#endif
}

/// Round x to the nearest integer and reduce modulo 2^64.
static inline uint64_t f64_to_torus(double x) {
  double k = round_half_even(x * 0x1p-64);
  double r = round_half_even(x - k * 0x1p64);  // exact, |r| <= 2^63
  // r = ±2^63 is outside int64_t (converting it is undefined behaviour in C++); both are the
  // residue 2^63 modulo 2^64.
  if (std::fabs(r) >= 0x1p63) return uint64_t(1) << 63;
  return static_cast<uint64_t>(static_cast<int64_t>(r));
}

static inline void dif_stage_generic(double* re, double* im, const double* twr, const double* twi,
                                     size_t h, size_t len, Prefetcher& pf) {
  const double* __restrict wr = twr + len;
  const double* __restrict wi = twi + len;
  for (size_t blk = 0; blk < h; blk += 2 * len) {
    double* __restrict ar = re + blk;
    double* __restrict ai = im + blk;
    double* __restrict br = re + blk + len;
    double* __restrict bi = im + blk + len;
    for (size_t q = 0; q < 2 * len; q += 16) pf.step();
    for (size_t j = 0; j < len; j++) {
      double ur = ar[j], ui = ai[j], vr = br[j], vi = bi[j];
      ar[j] = ur + vr;
      ai[j] = ui + vi;
      double dr = ur - vr, di = ui - vi;
      br[j] = dr * wr[j] - di * wi[j];
      bi[j] = dr * wi[j] + di * wr[j];
    }
  }
}

static inline void dit_stage_generic(double* re, double* im, const double* twr, const double* twi,
                                     size_t h, size_t len, Prefetcher& pf) {
  const double* __restrict wr = twr + len;
  const double* __restrict wi = twi + len;
  for (size_t blk = 0; blk < h; blk += 2 * len) {
    double* __restrict ar = re + blk;
    double* __restrict ai = im + blk;
    double* __restrict br = re + blk + len;
    double* __restrict bi = im + blk + len;
    for (size_t q = 0; q < 2 * len; q += 16) pf.step();
    for (size_t j = 0; j < len; j++) {
      double vr = br[j], vi = bi[j];
      double tr = vr * wr[j] + vi * wi[j];
      double ti = vi * wr[j] - vr * wi[j];
      double ur = ar[j], ui = ai[j];
      ar[j] = ur + tr;
      ai[j] = ui + ti;
      br[j] = ur - tr;
      bi[j] = ui - ti;
    }
  }
}

// The last two DIF stages (len = 2, 1) and the first two DIT stages written without inner loops,
// with the exact twiddles 1 and -i, so the compiler vectorizes them across blocks.
[[maybe_unused]] static void dif_small_stages(double* __restrict re, double* __restrict im, size_t h) {
  for (size_t b = 0; b < h; b += 4) {
    double* r = re + b;
    double* i = im + b;
    // len = 2: (0, 2) with w = 1, (1, 3) with w = -i
    double d0r = r[0] - r[2], d0i = i[0] - i[2], d1r = r[1] - r[3], d1i = i[1] - i[3];
    double s0r = r[0] + r[2], s0i = i[0] + i[2], s1r = r[1] + r[3], s1i = i[1] + i[3];
    // (d1r + i d1i) * (-i) = d1i - i d1r
    double e1r = d1i, e1i = -d1r;
    // len = 1: (0, 1) and (2, 3) with w = 1
    r[0] = s0r + s1r; i[0] = s0i + s1i;
    r[1] = s0r - s1r; i[1] = s0i - s1i;
    r[2] = d0r + e1r; i[2] = d0i + e1i;
    r[3] = d0r - e1r; i[3] = d0i - e1i;
  }
}

[[maybe_unused]] static void dit_small_stages(double* __restrict re, double* __restrict im, size_t h) {
  for (size_t b = 0; b < h; b += 4) {
    double* r = re + b;
    double* i = im + b;
    // len = 1: (0, 1) and (2, 3) with w = 1
    double s0r = r[0] + r[1], s0i = i[0] + i[1], t0r = r[0] - r[1], t0i = i[0] - i[1];
    double s1r = r[2] + r[3], s1i = i[2] + i[3], t1r = r[2] - r[3], t1i = i[2] - i[3];
    // len = 2: (0, 2) with conj(1), (1, 3) with conj(-i) = i: (t1r + i t1i) * i = -t1i + i t1r
    double u1r = -t1i, u1i = t1r;
    r[0] = s0r + s1r; i[0] = s0i + s1i;
    r[2] = s0r - s1r; i[2] = s0i - s1i;
    r[1] = t0r + u1r; i[1] = t0i + u1i;
    r[3] = t0r - u1r; i[3] = t0i - u1i;
  }
}

#ifdef FHEC_USE_AVX2
// AVX2 radix-2 stages for len >= 4 (4 complex values per vector, split re/im arrays).
static void dif_stage_256(double* re, double* im, const double* twr, const double* twi, size_t h, size_t len,
                          Prefetcher& pf) {
  for (size_t blk = 0; blk < h; blk += 2 * len) {
    double* ar = re + blk;
    double* ai = im + blk;
    double* br = ar + len;
    double* bi = ai + len;
    for (size_t j = 0; j < len; j += 4) {
      if ((j & 7) == 0) pf.step();
      __m256d ur = _mm256_load_pd(ar + j), ui = _mm256_load_pd(ai + j);
      __m256d vr = _mm256_load_pd(br + j), vi = _mm256_load_pd(bi + j);
      __m256d wr = _mm256_loadu_pd(twr + len + j), wi = _mm256_loadu_pd(twi + len + j);
      _mm256_store_pd(ar + j, _mm256_add_pd(ur, vr));
      _mm256_store_pd(ai + j, _mm256_add_pd(ui, vi));
      __m256d dr = _mm256_sub_pd(ur, vr), di = _mm256_sub_pd(ui, vi);
      _mm256_store_pd(br + j, _mm256_fmsub_pd(dr, wr, _mm256_mul_pd(di, wi)));
      _mm256_store_pd(bi + j, _mm256_fmadd_pd(dr, wi, _mm256_mul_pd(di, wr)));
    }
  }
}

static void dit_stage_256(double* re, double* im, const double* twr, const double* twi, size_t h, size_t len,
                          Prefetcher& pf) {
  for (size_t blk = 0; blk < h; blk += 2 * len) {
    double* ar = re + blk;
    double* ai = im + blk;
    double* br = ar + len;
    double* bi = ai + len;
    for (size_t j = 0; j < len; j += 4) {
      if ((j & 7) == 0) pf.step();
      __m256d wr = _mm256_loadu_pd(twr + len + j), wi = _mm256_loadu_pd(twi + len + j);
      __m256d vr = _mm256_load_pd(br + j), vi = _mm256_load_pd(bi + j);
      __m256d tr = _mm256_fmadd_pd(vr, wr, _mm256_mul_pd(vi, wi));
      __m256d ti = _mm256_fmsub_pd(vi, wr, _mm256_mul_pd(vr, wi));
      __m256d ur = _mm256_load_pd(ar + j), ui = _mm256_load_pd(ai + j);
      _mm256_store_pd(ar + j, _mm256_add_pd(ur, tr));
      _mm256_store_pd(ai + j, _mm256_add_pd(ui, ti));
      _mm256_store_pd(br + j, _mm256_sub_pd(ur, tr));
      _mm256_store_pd(bi + j, _mm256_sub_pd(ui, ti));
    }
  }
}

// AVX2 has no 64-bit integer <-> double conversions; these use the 1.5 * 2^52 magic number.
static inline __m256d small_i64_to_pd(__m256i v) {  // |v| < 2^51
  const __m256i mi = _mm256_set1_epi64x(0x4338000000000000LL);
  const __m256d md = _mm256_set1_pd(6755399441055744.0);
  return _mm256_sub_pd(_mm256_castsi256_pd(_mm256_add_epi64(v, mi)), md);
}
static inline __m256i small_pd_to_i64(__m256d x) {  // x integral, |x| < 2^51
  const __m256i mi = _mm256_set1_epi64x(0x4338000000000000LL);
  const __m256d md = _mm256_set1_pd(6755399441055744.0);
  return _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(x, md)), mi);
}
// round(x) mod 2^64 for 4 doubles (same result as f64_to_torus).
static inline __m256i torus256(__m256d x) {
  const int nearest = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  __m256d k = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(0x1p-64)), nearest);
  __m256d r = _mm256_round_pd(_mm256_fnmadd_pd(k, _mm256_set1_pd(0x1p64), x), nearest);  // |r| <= 2^63
  __m256d hi = _mm256_round_pd(_mm256_mul_pd(r, _mm256_set1_pd(0x1p-32)), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  __m256d lo = _mm256_fnmadd_pd(hi, _mm256_set1_pd(0x1p32), r);  // exact, in [0, 2^32)
  return _mm256_add_epi64(_mm256_slli_epi64(small_pd_to_i64(hi), 32), small_pd_to_i64(lo));
}

static void digit_twist_256(const FftPlan& p, uint64_t* v, uint32_t base_log, double* re, double* im) {
  const size_t h = p.h;
  const __m256i mask = _mm256_set1_epi64x(static_cast<long long>((uint64_t(1) << base_log) - 1));
  const __m128i bl = _mm_cvtsi32_si128(static_cast<int>(base_log));
  const __m128i top = _mm_cvtsi32_si128(static_cast<int>(base_log - 1));
  auto digit = [&](uint64_t* q) {
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
    __m256i d = _mm256_and_si256(a, mask);
    __m256i carry = _mm256_srl_epi64(d, top);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), _mm256_add_epi64(_mm256_srl_epi64(a, bl), carry));
    return small_i64_to_pd(_mm256_sub_epi64(d, _mm256_sll_epi64(carry, bl)));
  };
  for (size_t m = 0; m < h; m += 4) {
    __m256d x = digit(v + m), y = digit(v + h + m);
    __m256d c = _mm256_load_pd(p.twist_re.data() + m), s = _mm256_load_pd(p.twist_im.data() + m);
    _mm256_store_pd(re + m, _mm256_fmsub_pd(x, c, _mm256_mul_pd(y, s)));
    _mm256_store_pd(im + m, _mm256_fmadd_pd(x, s, _mm256_mul_pd(y, c)));
  }
}

// Fourier multiply-accumulate with K1 accumulator pairs in registers.
template <size_t K1>
static void external_mac_256(const double* decf, const double* bsk_i, double* accf, size_t R, size_t N, size_t c0, size_t c1) {
  const size_t h = N / 2;
  const double* b = key_at_point(bsk_i, c0, R, K1);
  for (size_t c = c0; c < c1; c += 8) {
    for (size_t half = 0; half < 8; half += 4) {
      __m256d sr[K1], si[K1];
      for (size_t j = 0; j < K1; j++) sr[j] = si[j] = _mm256_setzero_pd();
      for (size_t r = 0; r < R; r++) {
        const __m256d dr = _mm256_load_pd(decf + r * N + c + half);
        const __m256d di = _mm256_load_pd(decf + r * N + h + c + half);
        const double* bb = b + r * K1 * 16 + half;
        for (size_t j = 0; j < K1; j++) {
          const __m256d br = _mm256_load_pd(bb + j * 16), bi = _mm256_load_pd(bb + j * 16 + 8);
          sr[j] = _mm256_fmadd_pd(dr, br, _mm256_fnmadd_pd(di, bi, sr[j]));
          si[j] = _mm256_fmadd_pd(dr, bi, _mm256_fmadd_pd(di, br, si[j]));
        }
      }
      for (size_t j = 0; j < K1; j++) {
        _mm256_store_pd(accf + j * N + c + half, sr[j]);
        _mm256_store_pd(accf + j * N + h + c + half, si[j]);
      }
    }
    b += R * K1 * 16;
  }
}
#endif

#ifdef FHEC_USE_AVX512
static inline void cmul512(__m512d ar, __m512d ai, __m512d br, __m512d bi, __m512d& cr, __m512d& ci) {
  cr = _mm512_fmsub_pd(ar, br, _mm512_mul_pd(ai, bi));
  ci = _mm512_fmadd_pd(ar, bi, _mm512_mul_pd(ai, br));
}
// c = a * conj(b)
static inline void cmulc512(__m512d ar, __m512d ai, __m512d br, __m512d bi, __m512d& cr, __m512d& ci) {
  cr = _mm512_fmadd_pd(ar, br, _mm512_mul_pd(ai, bi));
  ci = _mm512_fmsub_pd(ai, br, _mm512_mul_pd(ar, bi));
}

// Where the first forward stage reads its inputs: from the arrays, or (fused) the next balanced
// digit of a rounded torus polynomial, twisted on the fly.
struct LoadSource {
  const double* re;
  const double* im;
  inline void get(size_t m, __m512d& vr, __m512d& vi) {
    vr = _mm512_load_pd(re + m);
    vi = _mm512_load_pd(im + m);
  }
};

// kLast: the most significant digit, whose carry-adjusted rest is never read again (not stored).
template <bool kLast>
struct DigitTwistSource {
  uint64_t* lo;       // rounded coefficients m (updated: digit removed)
  uint64_t* hi;       // rounded coefficients m + h
  const double* c;    // psi^m
  const double* s;
  __m512i base_log;   // shift counts (per lane: one-uop variable shifts)
  __m512i top;        // base_log - 1
  __m512i mask;       // B - 1
  // Balanced digit of the coefficients v; their rest (v without it, carry added) goes to p.
  inline __m512d digit_of(__m512i v, uint64_t* p) const {
    __m512i d = _mm512_and_si512(v, mask);
    __m512i carry = _mm512_srlv_epi64(d, top);
    if (!kLast) _mm512_storeu_si512(p, _mm512_add_epi64(_mm512_srlv_epi64(v, base_log), carry));
    return _mm512_cvtepi64_pd(_mm512_sub_epi64(d, _mm512_sllv_epi64(carry, base_log)));
  }
  // The fold and twist of coefficients m (x) and m + h (y).
  inline void twist(size_t m, __m512d x, __m512d y, __m512d& vr, __m512d& vi) const {
    __m512d cr = _mm512_load_pd(c + m), ci = _mm512_load_pd(s + m);
    vr = _mm512_fmsub_pd(x, cr, _mm512_mul_pd(y, ci));
    vi = _mm512_fmadd_pd(x, ci, _mm512_mul_pd(y, cr));
  }
  inline void get(size_t m, __m512d& vr, __m512d& vi) const {
    twist(m, digit_of(_mm512_loadu_si512(lo + m), lo + m), digit_of(_mm512_loadu_si512(hi + m), hi + m), vr, vi);
  }
};

// X^t * acc (negated when sw is all ones) at the 8 coefficients [j, j + 8) that straddle the
// wrap-around. Out of line: inlined into every digit of the fused first pass, its scalar loop
// and stack array cost registers in the common path.
[[gnu::noinline, gnu::cold]] static __m512i rotated_straddling(const uint64_t* acc, size_t N, size_t t, uint64_t sw,
                                                              size_t j) {
  alignas(64) uint64_t w[8];
  for (size_t q = 0; q < 8; q++) w[q] = j + q < t ? ((acc[j + q + N - t] ^ ~sw) - ~sw) : ((acc[j + q - t] ^ sw) - sw);
  return _mm512_load_si512(w);
}

// One level: the CMux's only digit, read straight from the accumulator: round_to_gadget(X^t *
// acc - acc) as rotate_round computes it, taken balanced in [-B/2, B/2), without a pass that
// writes the rotation out and reads it back. With total = base_log bits kept, that digit is the
// rotated difference plus half a step, shifted right arithmetically by 64 - base_log: the same
// integer as rounding, masking and the carry test. The conditional negation's "- sw" is folded
// into the half step: (r ^ sw) - sw - a + half = (r ^ sw) - a + (half - sw) mod 2^64, so a digit
// takes xor, subtract, add, shift and convert.
struct RotateTopDigitSource {
  const uint64_t* acc;
  const double* c;     // psi^m
  const double* s;
  size_t N, h;
  size_t t;            // rotation in [0, N) ...
  uint64_t sw_word;    // ... negated (all ones) when the exponent was in [N, 2N)
  __m512i sw, nsw;     // sw and ~sw in every lane: coefficients [t, N) take sw, the wrapped ones ~sw
  __m512i half_sw, half_nsw;  // half - sw, half - ~sw (half = 2^(shift - 1), 0 when shift = 0)
  __m128i shift;       // 64 - base_log
  RotateTopDigitSource(const uint64_t* acc_, const double* c_, const double* s_, size_t N_, size_t h_, size_t t_,
                       uint64_t sw_, uint64_t half, uint32_t shift_)
      : acc(acc_), c(c_), s(s_), N(N_), h(h_), t(t_), sw_word(sw_), sw(_mm512_set1_epi64(static_cast<long long>(sw_))),
        nsw(_mm512_set1_epi64(static_cast<long long>(~sw_))),
        half_sw(_mm512_set1_epi64(static_cast<long long>(half - sw_))),
        half_nsw(_mm512_set1_epi64(static_cast<long long>(half - ~sw_))),
        shift(_mm_cvtsi32_si128(static_cast<int>(shift_))) {}
  inline __m512d digit(size_t j) const {
    __m512i x;
    if (j >= t) {
      x = _mm512_add_epi64(_mm512_sub_epi64(_mm512_xor_si512(_mm512_loadu_si512(acc + j - t), sw),
                                            _mm512_loadu_si512(acc + j)), half_sw);
    } else if (j + 8 <= t) {
      x = _mm512_add_epi64(_mm512_sub_epi64(_mm512_xor_si512(_mm512_loadu_si512(acc + j + N - t), nsw),
                                            _mm512_loadu_si512(acc + j)), half_nsw);
    } else {
      const __m512i r = rotated_straddling(acc, N, t, sw_word, j);  // already negated where due
      x = _mm512_add_epi64(_mm512_sub_epi64(r, _mm512_loadu_si512(acc + j)), _mm512_add_epi64(half_sw, sw));
    }
    return _mm512_cvtepi64_pd(_mm512_sra_epi64(x, shift));
  }
  inline void get(size_t m, __m512d& vr, __m512d& vi) const {
    const __m512d x = digit(m), y = digit(m + h);
    const __m512d cr = _mm512_load_pd(c + m), ci = _mm512_load_pd(s + m);
    vr = _mm512_fmsub_pd(x, cr, _mm512_mul_pd(y, ci));
    vi = _mm512_fmadd_pd(x, ci, _mm512_mul_pd(y, cr));
  }
};

template <class Source>
static void dif_stage_512(double* re, double* im, const double* twr, const double* twi, size_t h,
                          size_t len, Prefetcher& pf, Source src) {
  for (size_t blk = 0; blk < h; blk += 2 * len) {
    double* ar = re + blk;
    double* ai = im + blk;
    double* br = ar + len;
    double* bi = ai + len;
    for (size_t j = 0; j < len; j += 8) {
      pf.step();
      __m512d ur, ui, vr, vi;
      src.get(blk + j, ur, ui);
      src.get(blk + len + j, vr, vi);
      __m512d wr = _mm512_loadu_pd(twr + len + j), wi = _mm512_loadu_pd(twi + len + j);
      _mm512_store_pd(ar + j, _mm512_add_pd(ur, vr));
      _mm512_store_pd(ai + j, _mm512_add_pd(ui, vi));
      __m512d cr, ci;
      cmul512(_mm512_sub_pd(ur, vr), _mm512_sub_pd(ui, vi), wr, wi, cr, ci);
      _mm512_store_pd(br + j, cr);
      _mm512_store_pd(bi + j, ci);
    }
  }
}

// Where the last inverse stage puts its results: back into the arrays, or (fused) untwisted,
// rounded modulo 2^64 and added to a torus polynomial.
struct StoreSink {
  double* re;
  double* im;
  inline void put(size_t m, __m512d vr, __m512d vi) {
    _mm512_store_pd(re + m, vr);
    _mm512_store_pd(im + m, vi);
  }
};

// round(x) mod 2^64 for 8 doubles (same result as f64_to_torus).
static inline __m512i torus512(__m512d x) {
  const __m512d inv = _mm512_set1_pd(0x1p-64), two64 = _mm512_set1_pd(0x1p64);
  __m512d k = _mm512_roundscale_pd(_mm512_mul_pd(x, inv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd(k, two64, x);  // exact
  // |r| = 2^63 converts to the integer indefinite 0x8000...0, the right residue.
  return _mm512_cvt_roundpd_epi64(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

struct TorusAddSink {
  const double* c;  // conj(psi^m) / h
  const double* s;
  uint64_t* lo;     // out[m]
  uint64_t* hi;     // out[m + h]
  inline void put(size_t m, __m512d yr, __m512d yi) {
    __m512d cr = _mm512_load_pd(c + m), ci = _mm512_load_pd(s + m);
    __m512d zr = _mm512_fmsub_pd(yr, cr, _mm512_mul_pd(yi, ci));
    __m512d zi = _mm512_fmadd_pd(yr, ci, _mm512_mul_pd(yi, cr));
    __m512i a = _mm512_loadu_si512(lo + m), b = _mm512_loadu_si512(hi + m);
    _mm512_storeu_si512(lo + m, _mm512_add_epi64(a, torus512(zr)));
    _mm512_storeu_si512(hi + m, _mm512_add_epi64(b, torus512(zi)));
  }
};

template <class Sink>
static void dit_stage_512(double* re, double* im, const double* twr, const double* twi, size_t h,
                          size_t len, Prefetcher& pf, Sink sink) {
  for (size_t blk = 0; blk < h; blk += 2 * len) {
    double* ar = re + blk;
    double* ai = im + blk;
    double* br = ar + len;
    double* bi = ai + len;
    for (size_t j = 0; j < len; j += 8) {
      pf.step();
      __m512d wr = _mm512_loadu_pd(twr + len + j), wi = _mm512_loadu_pd(twi + len + j);
      __m512d tr, ti;
      cmulc512(_mm512_load_pd(br + j), _mm512_load_pd(bi + j), wr, wi, tr, ti);
      __m512d ur = _mm512_load_pd(ar + j), ui = _mm512_load_pd(ai + j);
      sink.put(blk + j, _mm512_add_pd(ur, tr), _mm512_add_pd(ui, ti));
      sink.put(blk + len + j, _mm512_sub_pd(ur, tr), _mm512_sub_pd(ui, ti));
    }
  }
}

// Two consecutive DIF stages (len = 2q then len = q) as one radix-4 pass over memory. With
// w = tw[2q + j], the second pair of the first stage takes w (-i) and the second stage w^2, so
// the four outputs are (a0 + a2) + (a1 + a3), ((a0 + a2) - (a1 + a3)) w^2, ((a0 - a2) - i (a1 - a3)) w
// and ((a0 - a2) + i (a1 - a3)) w^3: three complex products instead of the two stages' four.
template <class Source>
static void dif_stage2_512(const FftPlan& p, double* re, double* im, size_t h, size_t q, Prefetcher& pf, Source src) {
  for (size_t blk = 0; blk < h; blk += 4 * q) {
    double* r0 = re + blk; double* i0 = im + blk;
    const double* t = p.tw4.data() + 6 * q;
    for (size_t j = 0; j < q; j += 8, t += 48) {
      pf.step();
      __m512d a0r, a0i, a1r, a1i, a2r, a2i, a3r, a3i;
      src.get(blk + j, a0r, a0i);
      src.get(blk + q + j, a1r, a1i);
      src.get(blk + 2 * q + j, a2r, a2i);
      src.get(blk + 3 * q + j, a3r, a3i);
      const __m512d t0r = _mm512_add_pd(a0r, a2r), t0i = _mm512_add_pd(a0i, a2i);
      const __m512d t1r = _mm512_sub_pd(a0r, a2r), t1i = _mm512_sub_pd(a0i, a2i);
      const __m512d t2r = _mm512_add_pd(a1r, a3r), t2i = _mm512_add_pd(a1i, a3i);
      const __m512d dr = _mm512_sub_pd(a1r, a3r), di = _mm512_sub_pd(a1i, a3i);  // -i d = (di, -dr)
      _mm512_store_pd(r0 + j, _mm512_add_pd(t0r, t2r));
      _mm512_store_pd(i0 + j, _mm512_add_pd(t0i, t2i));
      __m512d cr, ci;
      cmul512(_mm512_sub_pd(t0r, t2r), _mm512_sub_pd(t0i, t2i), _mm512_load_pd(t), _mm512_load_pd(t + 8), cr, ci);
      _mm512_store_pd(r0 + q + j, cr);
      _mm512_store_pd(i0 + q + j, ci);
      cmul512(_mm512_add_pd(t1r, di), _mm512_sub_pd(t1i, dr), _mm512_load_pd(t + 16), _mm512_load_pd(t + 24), cr, ci);
      _mm512_store_pd(r0 + 2 * q + j, cr);
      _mm512_store_pd(i0 + 2 * q + j, ci);
      cmul512(_mm512_sub_pd(t1r, di), _mm512_add_pd(t1i, dr), _mm512_load_pd(t + 32), _mm512_load_pd(t + 40), cr, ci);
      _mm512_store_pd(r0 + 3 * q + j, cr);
      _mm512_store_pd(i0 + 3 * q + j, ci);
    }
  }
}

// Two consecutive DIT stages (len = q then len = 2q) as one radix-4 pass, the inverse of
// dif_stage2_512 (conjugate twiddles): with x = a2 conj(w) and y = a3 conj(w^3), u = a1 conj(w^2),
// the outputs are (a0 + u) + (x + y), (a0 - u) + i (x - y), (a0 + u) - (x + y), (a0 - u) - i (x - y).
template <class Sink>
static void dit_stage2_512(const FftPlan& p, double* re, double* im, size_t h, size_t q, Prefetcher& pf, Sink sink) {
  for (size_t blk = 0; blk < h; blk += 4 * q) {
    double* r0 = re + blk; double* i0 = im + blk;
    const double* t = p.tw4.data() + 6 * q;
    for (size_t j = 0; j < q; j += 8, t += 48) {
      pf.step();
      __m512d ur, ui, xr, xi, yr, yi;
      cmulc512(_mm512_load_pd(r0 + q + j), _mm512_load_pd(i0 + q + j), _mm512_load_pd(t), _mm512_load_pd(t + 8), ur, ui);
      cmulc512(_mm512_load_pd(r0 + 2 * q + j), _mm512_load_pd(i0 + 2 * q + j), _mm512_load_pd(t + 16),
               _mm512_load_pd(t + 24), xr, xi);
      cmulc512(_mm512_load_pd(r0 + 3 * q + j), _mm512_load_pd(i0 + 3 * q + j), _mm512_load_pd(t + 32),
               _mm512_load_pd(t + 40), yr, yi);
      const __m512d a0r = _mm512_load_pd(r0 + j), a0i = _mm512_load_pd(i0 + j);
      const __m512d b0r = _mm512_add_pd(a0r, ur), b0i = _mm512_add_pd(a0i, ui);
      const __m512d b1r = _mm512_sub_pd(a0r, ur), b1i = _mm512_sub_pd(a0i, ui);
      const __m512d sr = _mm512_add_pd(xr, yr), si = _mm512_add_pd(xi, yi);
      const __m512d er = _mm512_sub_pd(xr, yr), ei = _mm512_sub_pd(xi, yi);  // i e = (-ei, er)
      sink.put(blk + j, _mm512_add_pd(b0r, sr), _mm512_add_pd(b0i, si));
      sink.put(blk + 2 * q + j, _mm512_sub_pd(b0r, sr), _mm512_sub_pd(b0i, si));
      sink.put(blk + q + j, _mm512_sub_pd(b1r, ei), _mm512_add_pd(b1i, er));
      sink.put(blk + 3 * q + j, _mm512_add_pd(b1r, ei), _mm512_sub_pd(b1i, er));
    }
  }
}

// Stages len = 4, 2, 1 on 16-point chunks, producing the canonical order; kLen8: stage len = 8 (the
// chunk's two vectors, its twiddles held in registers) first.
template <bool kLen8>
static void dif_tail_512(double* re, double* im, const double* twr, const double* twi, size_t h,
                         Prefetcher& pf) {
  const __m512i iU = _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11);
  const __m512i iV = _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15);
  const __m512i iU2 = _mm512_setr_epi64(0, 1, 4, 5, 8, 9, 12, 13);
  const __m512i iV2 = _mm512_setr_epi64(2, 3, 6, 7, 10, 11, 14, 15);
  const __m512d w4r = _mm512_broadcast_f64x4(_mm256_loadu_pd(twr + 4));
  const __m512d w4i = _mm512_broadcast_f64x4(_mm256_loadu_pd(twi + 4));
  const __m512d w2r = _mm512_setr_pd(twr[2], twr[3], twr[2], twr[3], twr[2], twr[3], twr[2], twr[3]);
  const __m512d w2i = _mm512_setr_pd(twi[2], twi[3], twi[2], twi[3], twi[2], twi[3], twi[2], twi[3]);
  const __m512d w8r = _mm512_loadu_pd(twr + 8), w8i = _mm512_loadu_pd(twi + 8);
  for (size_t c = 0; c < h; c += 16) {
    pf.step();
    __m512d Ar = _mm512_load_pd(re + c), Br = _mm512_load_pd(re + c + 8);
    __m512d Ai = _mm512_load_pd(im + c), Bi = _mm512_load_pd(im + c + 8);
    if (kLen8) {  // the arithmetic of dif_stage_512 at len = 8
      const __m512d sr = _mm512_add_pd(Ar, Br), si = _mm512_add_pd(Ai, Bi);
      cmul512(_mm512_sub_pd(Ar, Br), _mm512_sub_pd(Ai, Bi), w8r, w8i, Br, Bi);
      Ar = sr;
      Ai = si;
    }
    __m512d Ur = _mm512_permutex2var_pd(Ar, iU, Br), Vr = _mm512_permutex2var_pd(Ar, iV, Br);
    __m512d Ui = _mm512_permutex2var_pd(Ai, iU, Bi), Vi = _mm512_permutex2var_pd(Ai, iV, Bi);
    __m512d U1r = _mm512_add_pd(Ur, Vr), U1i = _mm512_add_pd(Ui, Vi);
    __m512d V1r, V1i;
    cmul512(_mm512_sub_pd(Ur, Vr), _mm512_sub_pd(Ui, Vi), w4r, w4i, V1r, V1i);
    __m512d U2r = _mm512_permutex2var_pd(U1r, iU2, V1r), V2r = _mm512_permutex2var_pd(U1r, iV2, V1r);
    __m512d U2i = _mm512_permutex2var_pd(U1i, iU2, V1i), V2i = _mm512_permutex2var_pd(U1i, iV2, V1i);
    __m512d P2r = _mm512_add_pd(U2r, V2r), P2i = _mm512_add_pd(U2i, V2i);
    __m512d Q2r, Q2i;
    cmul512(_mm512_sub_pd(U2r, V2r), _mm512_sub_pd(U2i, V2i), w2r, w2i, Q2r, Q2i);
    __m512d Xr = _mm512_unpacklo_pd(P2r, Q2r), Yr = _mm512_unpackhi_pd(P2r, Q2r);
    __m512d Xi = _mm512_unpacklo_pd(P2i, Q2i), Yi = _mm512_unpackhi_pd(P2i, Q2i);
    _mm512_store_pd(re + c, _mm512_add_pd(Xr, Yr));
    _mm512_store_pd(re + c + 8, _mm512_sub_pd(Xr, Yr));
    _mm512_store_pd(im + c, _mm512_add_pd(Xi, Yi));
    _mm512_store_pd(im + c + 8, _mm512_sub_pd(Xi, Yi));
  }
}

// The inverse of dif_tail_512: stages len = 1, 2, 4, and with kLen8 stage len = 8 last.
template <bool kLen8>
static void dit_tail_512(double* re, double* im, const double* twr, const double* twi, size_t h,
                         Prefetcher& pf) {
  const __m512i jU = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
  const __m512i jV = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
  const __m512i jA = _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11);
  const __m512i jB = _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15);
  const __m512d w4r = _mm512_broadcast_f64x4(_mm256_loadu_pd(twr + 4));
  const __m512d w4i = _mm512_broadcast_f64x4(_mm256_loadu_pd(twi + 4));
  const __m512d w2r = _mm512_setr_pd(twr[2], twr[3], twr[2], twr[3], twr[2], twr[3], twr[2], twr[3]);
  const __m512d w2i = _mm512_setr_pd(twi[2], twi[3], twi[2], twi[3], twi[2], twi[3], twi[2], twi[3]);
  const __m512d w8r = _mm512_loadu_pd(twr + 8), w8i = _mm512_loadu_pd(twi + 8);
  for (size_t c = 0; c < h; c += 16) {
    pf.step();
    __m512d X1r = _mm512_load_pd(re + c), Y1r = _mm512_load_pd(re + c + 8);
    __m512d X1i = _mm512_load_pd(im + c), Y1i = _mm512_load_pd(im + c + 8);
    __m512d Xr = _mm512_add_pd(X1r, Y1r), Yr = _mm512_sub_pd(X1r, Y1r);
    __m512d Xi = _mm512_add_pd(X1i, Y1i), Yi = _mm512_sub_pd(X1i, Y1i);
    __m512d U2r = _mm512_unpacklo_pd(Xr, Yr), V2r = _mm512_unpackhi_pd(Xr, Yr);
    __m512d U2i = _mm512_unpacklo_pd(Xi, Yi), V2i = _mm512_unpackhi_pd(Xi, Yi);
    __m512d tr, ti;
    cmulc512(V2r, V2i, w2r, w2i, tr, ti);
    __m512d P2r = _mm512_add_pd(U2r, tr), P2i = _mm512_add_pd(U2i, ti);
    __m512d Q2r = _mm512_sub_pd(U2r, tr), Q2i = _mm512_sub_pd(U2i, ti);
    __m512d Ur = _mm512_permutex2var_pd(P2r, jU, Q2r), Vr = _mm512_permutex2var_pd(P2r, jV, Q2r);
    __m512d Ui = _mm512_permutex2var_pd(P2i, jU, Q2i), Vi = _mm512_permutex2var_pd(P2i, jV, Q2i);
    cmulc512(Vr, Vi, w4r, w4i, tr, ti);
    __m512d Pr = _mm512_add_pd(Ur, tr), Pi = _mm512_add_pd(Ui, ti);
    __m512d Qr = _mm512_sub_pd(Ur, tr), Qi = _mm512_sub_pd(Ui, ti);
    __m512d Ar = _mm512_permutex2var_pd(Pr, jA, Qr), Br = _mm512_permutex2var_pd(Pr, jB, Qr);
    __m512d Ai = _mm512_permutex2var_pd(Pi, jA, Qi), Bi = _mm512_permutex2var_pd(Pi, jB, Qi);
    if (kLen8) {  // the arithmetic of dit_stage_512 at len = 8
      cmulc512(Br, Bi, w8r, w8i, tr, ti);
      Br = _mm512_sub_pd(Ar, tr);
      Bi = _mm512_sub_pd(Ai, ti);
      Ar = _mm512_add_pd(Ar, tr);
      Ai = _mm512_add_pd(Ai, ti);
    }
    _mm512_store_pd(re + c, Ar);
    _mm512_store_pd(re + c + 8, Br);
    _mm512_store_pd(im + c, Ai);
    _mm512_store_pd(im + c + 8, Bi);
  }
}
#endif

[[maybe_unused]] static void chunk_permute(double* re, double* im, size_t h, bool inverse) {
  double tr[16], ti[16];
  for (size_t c = 0; c < h; c += 16) {
    for (int t = 0; t < 16; t++) {
      tr[t] = re[c + t];
      ti[t] = im[c + t];
    }
    for (int t = 0; t < 16; t++) {
      if (!inverse) {
        re[c + t] = tr[kChunkSrc[t]];
        im[c + t] = ti[kChunkSrc[t]];
      } else {
        re[c + kChunkSrc[t]] = tr[t];
        im[c + kChunkSrc[t]] = ti[t];
      }
    }
  }
}

#ifdef FHEC_USE_AVX512
// Points per cache block of the large transforms: a block's re and im (16 KiB) and the twiddles
// of its stages (16 KiB) stay in L1 while the block runs all its remaining stages.
constexpr size_t kFftBlock = 1024;
// A block's own stages (len = 512 ... 8) are odd in number: its tail also runs stage 8, so that
// the rest pair up and no pass over the block runs a lone stage (standalone FFT 0.87-0.96x at
// N = 4096-16384). Below a block the same change made the PBS slower (1.01-1.05x at N = 512 and
// 2048), where the lone stage is the first forward pass, fused with the rotation.
static_assert(kFftBlock == 1024, "the blocked transforms assume 7 stages per block before the tail");

// DIF stages len = hi, hi/2, ..., lo (lo >= 8) over `extent` points: fused in pairs, a single
// stage first if their number is odd; the first pass reads its inputs from `first`.
template <class Source>
static void dif_stages_512(const FftPlan& p, double* re, double* im, size_t extent, size_t hi, size_t lo, Prefetcher& pf,
                           Source first) {
  const double* twr = p.tw_re.data();
  const double* twi = p.tw_im.data();
  size_t nst = 0;
  for (size_t l = hi; l >= lo; l >>= 1) nst++;
  size_t len = hi;
  bool at_first = true;
  if (nst & 1) {
    dif_stage_512(re, im, twr, twi, extent, len, pf, first);
    len >>= 1;
    at_first = false;
  }
  for (; len >= 2 * lo; len >>= 2) {
    if (at_first) {
      dif_stage2_512(p, re, im, extent, len / 2, pf, first);
      at_first = false;
    } else {
      dif_stage2_512(p, re, im, extent, len / 2, pf, LoadSource{re, im});
    }
  }
}

// Above kFftBlock points: the forward stages whose butterflies span more than a block (the
// first pass reading `first`) ...
template <class Source>
static void fft_forward_cross_512(const FftPlan& p, double* re, double* im, Prefetcher& pf, Source first) {
  dif_stages_512(p, re, im, p.h, p.h / 2, kFftBlock, pf, first);
}
// ... then, block by block while in L1, the remaining stages and the tail of block [b, b + kFftBlock).
static void fft_forward_block_512(const FftPlan& p, double* re, double* im, size_t b, Prefetcher& pf) {
  const double* twr = p.tw_re.data();
  const double* twi = p.tw_im.data();
  dif_stages_512(p, re + b, im + b, kFftBlock, kFftBlock / 2, 16, pf, LoadSource{re + b, im + b});
  dif_tail_512<true>(re + b, im + b, twr, twi, kFftBlock, pf);
}

// Forward FFT whose first pass reads its inputs from `first` (later passes work in place).
// Above kFftBlock points, the stages whose butterflies span more than a block run over the
// whole array, then each block finishes its remaining stages (and the tail) while in L1: the
// same butterflies in another order, so the result is bit-identical to the unblocked order.
template <class Source>
static void fft_forward_512(const FftPlan& p, double* re, double* im, Prefetcher& pf, Source first) {
  const size_t h = p.h;  // >= 32
  const double* twr = p.tw_re.data();
  const double* twi = p.tw_im.data();
  if (h <= kFftBlock) {
    dif_stages_512(p, re, im, h, h / 2, 8, pf, first);
    dif_tail_512<false>(re, im, twr, twi, h, pf);
    return;
  }
  fft_forward_cross_512(p, re, im, pf, first);
  for (size_t b = 0; b < h; b += kFftBlock) fft_forward_block_512(p, re, im, b, pf);
}
#endif

static void fft_forward_pf(const FftPlan& p, double* re, double* im, Prefetcher& pf) {
#ifdef FHEC_USE_AVX512
  fft_forward_512(p, re, im, pf, LoadSource{re, im});
#else
  const size_t h = p.h;
  const double* twr = p.tw_re.data();
  const double* twi = p.tw_im.data();
#ifdef FHEC_USE_AVX2
  for (size_t len = h / 2; len >= 4; len >>= 1) dif_stage_256(re, im, twr, twi, h, len, pf);
#else
  for (size_t len = h / 2; len >= 4; len >>= 1) dif_stage_generic(re, im, twr, twi, h, len, pf);
#endif
  dif_small_stages(re, im, h);
  chunk_permute(re, im, h, false);
#endif
}

#ifdef FHEC_USE_AVX512
// DIT stages len = lo, 2 lo, ..., hi (lo >= 8) over `extent` points: fused in pairs, the single
// stage last if their number is odd; the last pass hands its results to `last`.
template <class Sink>
static void dit_stages_512(const FftPlan& p, double* re, double* im, size_t extent, size_t lo, size_t hi, Prefetcher& pf,
                           Sink last) {
  const double* twr = p.tw_re.data();
  const double* twi = p.tw_im.data();
  size_t nst = 0;
  for (size_t l = lo; l <= hi; l <<= 1) nst++;
  size_t len = lo;
  for (size_t pairs = nst / 2; pairs > 0; pairs--, len <<= 2) {
    if (pairs == 1 && !(nst & 1)) {
      dit_stage2_512(p, re, im, extent, len, pf, last);
    } else {
      dit_stage2_512(p, re, im, extent, len, pf, StoreSink{re, im});
    }
  }
  if (nst & 1) dit_stage_512(re, im, twr, twi, extent, len, pf, last);
}

// Above kFftBlock points: the inverse transform's first stages, block by block while in L1 ...
static void fft_inverse_block_512(const FftPlan& p, double* re, double* im, size_t b, Prefetcher& pf) {
  const double* twr = p.tw_re.data();
  const double* twi = p.tw_im.data();
  dit_tail_512<true>(re + b, im + b, twr, twi, kFftBlock, pf);
  dit_stages_512(p, re + b, im + b, kFftBlock, 16, kFftBlock / 2, pf, StoreSink{re + b, im + b});
}
// ... then the stages that span blocks, the last pass handing its results to `last`.
template <class Sink>
static void fft_inverse_cross_512(const FftPlan& p, double* re, double* im, Prefetcher& pf, Sink last) {
  dit_stages_512(p, re, im, p.h, kFftBlock, p.h / 2, pf, last);
}

// Inverse FFT whose last pass hands its results to `last` (the other passes store in place);
// cache-blocked above kFftBlock points like the forward transform.
template <class Sink>
static void fft_inverse_512(const FftPlan& p, double* re, double* im, Prefetcher& pf, Sink last) {
  const size_t h = p.h;  // >= 32
  const double* twr = p.tw_re.data();
  const double* twi = p.tw_im.data();
  if (h <= kFftBlock) {
    dit_tail_512<false>(re, im, twr, twi, h, pf);
    dit_stages_512(p, re, im, h, 8, h / 2, pf, last);
    return;
  }
  for (size_t b = 0; b < h; b += kFftBlock) fft_inverse_block_512(p, re, im, b, pf);
  fft_inverse_cross_512(p, re, im, pf, last);
}
#endif

static void fft_inverse_pf(const FftPlan& p, double* re, double* im, Prefetcher& pf) {
#ifdef FHEC_USE_AVX512
  fft_inverse_512(p, re, im, pf, StoreSink{re, im});
#else
  const size_t h = p.h;
  const double* twr = p.tw_re.data();
  const double* twi = p.tw_im.data();
  chunk_permute(re, im, h, true);
  dit_small_stages(re, im, h);
#ifdef FHEC_USE_AVX2
  for (size_t len = 4; len < h; len <<= 1) dit_stage_256(re, im, twr, twi, h, len, pf);
#else
  for (size_t len = 4; len < h; len <<= 1) dit_stage_generic(re, im, twr, twi, h, len, pf);
#endif
#endif
}

static void fft_forward(const FftPlan& p, double* re, double* im) {
  Prefetcher none;
  fft_forward_pf(p, re, im, none);
}
static void fft_inverse(const FftPlan& p, double* re, double* im) {
  Prefetcher none;
  fft_inverse_pf(p, re, im, none);
}

static void torus_to_fourier(const FftPlan& p, const uint64_t* poly, double* re, double* im) {
  const size_t h = p.h;
  const double* __restrict c = p.twist_re.data();
  const double* __restrict s = p.twist_im.data();
  for (size_t m = 0; m < h; m++) {
    double lo = static_cast<double>(static_cast<int64_t>(poly[m]));
    double hi = static_cast<double>(static_cast<int64_t>(poly[m + h]));
    re[m] = lo * c[m] - hi * s[m];
    im[m] = lo * s[m] + hi * c[m];
  }
  fft_forward(p, re, im);
}

static void fourier_to_torus_add_pf(const FftPlan& p, double* re, double* im, uint64_t* out, Prefetcher& pf) {
#ifdef FHEC_USE_AVX512
  // Untwist, rounding and accumulation fused into the last inverse pass.
  fft_inverse_512(p, re, im, pf, TorusAddSink{p.itwist_re.data(), p.itwist_im.data(), out, out + p.h});
  return;
#endif
  fft_inverse_pf(p, re, im, pf);
  const size_t h = p.h;
#ifdef FHEC_USE_AVX2
  for (size_t m = 0; m < h; m += 4) {
    __m256d yr = _mm256_load_pd(re + m), yi = _mm256_load_pd(im + m);
    __m256d c = _mm256_load_pd(p.itwist_re.data() + m), s = _mm256_load_pd(p.itwist_im.data() + m);
    __m256d zr = _mm256_fmsub_pd(yr, c, _mm256_mul_pd(yi, s));
    __m256d zi = _mm256_fmadd_pd(yr, s, _mm256_mul_pd(yi, c));
    __m256i* lo = reinterpret_cast<__m256i*>(out + m);
    __m256i* hi = reinterpret_cast<__m256i*>(out + h + m);
    _mm256_storeu_si256(lo, _mm256_add_epi64(_mm256_loadu_si256(lo), torus256(zr)));
    _mm256_storeu_si256(hi, _mm256_add_epi64(_mm256_loadu_si256(hi), torus256(zi)));
  }
  return;
#endif
  const double* __restrict c = p.itwist_re.data();
  const double* __restrict s = p.itwist_im.data();
  uint64_t* __restrict lo = out;
  uint64_t* __restrict hi = out + h;
  for (size_t m = 0; m < h; m++) {
    double zr = re[m] * c[m] - im[m] * s[m];
    double zi = re[m] * s[m] + im[m] * c[m];
    lo[m] += f64_to_torus(zr);
    hi[m] += f64_to_torus(zi);
  }
}

static void cmac(double* __restrict accr, double* __restrict acci, const double* __restrict ar,
                 const double* __restrict ai, const double* __restrict br, const double* __restrict bi,
                 size_t h) {
  for (size_t m = 0; m < h; m++) {
    accr[m] += ar[m] * br[m] - ai[m] * bi[m];
    acci[m] += ar[m] * bi[m] + ai[m] * br[m];
  }
}

static void fourier_to_torus_add(const FftPlan& p, double* re, double* im, uint64_t* out) {
  Prefetcher none;
  fourier_to_torus_add_pf(p, re, im, out, none);
}

#ifdef FHEC_USE_AVX512
// K1 accumulator pairs stay in registers (the output count is a template parameter).
// kFar: each key line is also prefetched into L2 16 KiB ahead. For entries of 1 MiB and more
// (N = 16384, l = 2 and above), which the FFTs' prefetch covers only in part and whose
// prefetched part the FFTs' own working set pushes out of L2: (1006, 1, 16384) 0.92-0.96x;
// at N = 2048-8192 it measured 0.99-1.05x (runtime/README.md).
template <size_t K1, bool kFar>
static void external_mac_512(const double* decf, const double* bsk_i, double* accf, size_t R, size_t N, size_t c0, size_t c1) {
  const size_t h = N / 2;
  const double* b = key_at_point(bsk_i, c0, R, K1);
  for (size_t c = c0; c < c1; c += 8) {
    __m512d sr[K1], si[K1];
    for (size_t j = 0; j < K1; j++) sr[j] = si[j] = _mm512_setzero_pd();
    for (size_t r = 0; r < R; r++) {
      const __m512d dr = _mm512_load_pd(decf + r * N + c), di = _mm512_load_pd(decf + r * N + h + c);
      for (size_t j = 0; j < K1; j++) {
        _mm_prefetch(reinterpret_cast<const char*>(b + 128), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(b + 136), _MM_HINT_T0);
        if (kFar) {
          _mm_prefetch(reinterpret_cast<const char*>(b + 2048), _MM_HINT_T1);
          _mm_prefetch(reinterpret_cast<const char*>(b + 2056), _MM_HINT_T1);
        }
        const __m512d br = _mm512_load_pd(b), bi = _mm512_load_pd(b + 8);
        sr[j] = _mm512_fmadd_pd(dr, br, _mm512_fnmadd_pd(di, bi, sr[j]));
        si[j] = _mm512_fmadd_pd(dr, bi, _mm512_fmadd_pd(di, br, si[j]));
        b += 16;
      }
    }
    for (size_t j = 0; j < K1; j++) {
      _mm512_store_pd(accf + j * N + c, sr[j]);
      _mm512_store_pd(accf + j * N + h + c, si[j]);
    }
  }
}
#endif

// Scalar core of the Fourier-domain products, on the 8 points [c, c + 8) of one chunked BSK block
// `b` (see kernels.hpp): s[j] += sum_r dec[r] * b[r][j] (complex, re and im halves of decf).
// The external product and the multi-bit rotation both accumulate through it.
static inline void mac_chunk8(const double* decf, const double* b, size_t R, size_t k1, size_t rs, size_t h, size_t c,
                              double (*sr)[8], double (*si)[8]) {
  for (size_t r = 0; r < R; r++) {
    const double* dr = decf + r * rs + c;
    const double* di = dr + h;
    for (size_t j = 0; j < k1; j++) {
      const double* br = b + (r * k1 + j) * 16;
      const double* bi = br + 8;
      for (int t = 0; t < 8; t++) {
        sr[j][t] += dr[t] * br[t] - di[t] * bi[t];
        si[j][t] += dr[t] * bi[t] + di[t] * br[t];
      }
    }
  }
}

// Writes the k1 accumulated chunks back to accf's re and im halves at points [c, c + 8).
static inline void store_chunk8(double* accf, size_t k1, size_t rs, size_t h, size_t c, const double (*sr)[8],
                                const double (*si)[8]) {
  for (size_t j = 0; j < k1; j++)
    for (int t = 0; t < 8; t++) {
      accf[j * rs + c + t] = sr[j][t];
      accf[j * rs + h + c + t] = si[j][t];
    }
}

// Fourier-domain part of the external product for one BSK entry:
// accf[j] = sum_r dec[r] * bsk[r][j]. `bsk_i` uses the chunked layout (see kernels.hpp).
// Fourier points [c0, c1) only (multiples of 8): lets two threads share one external product.
// accf may be decf itself (rows j < k1 <= R): every kernel reads all R rows of an 8-point chunk
// before it writes that chunk's outputs, and touches no other chunk meanwhile.
static void external_mac(const double* decf, const double* bsk_i, double* accf, size_t R, size_t k1, size_t N,
                         size_t c0, size_t c1) {
#ifdef FHEC_USE_AVX512
  // Entries of R k1 N/2 complex values; every set with such entries here has k = 1.
  if (k1 == 2 && R * k1 * N * sizeof(double) >= (size_t(1) << 20)) {
    external_mac_512<2, true>(decf, bsk_i, accf, R, N, c0, c1);
    return;
  }
  switch (k1) {
    case 2: external_mac_512<2, false>(decf, bsk_i, accf, R, N, c0, c1); return;
    case 3: external_mac_512<3, false>(decf, bsk_i, accf, R, N, c0, c1); return;
    case 4: external_mac_512<4, false>(decf, bsk_i, accf, R, N, c0, c1); return;
    case 5: external_mac_512<5, false>(decf, bsk_i, accf, R, N, c0, c1); return;
    // k = 5..7 (the compiler's small-N shapes, e.g. k = 5 at N = 256): 2(k+1) accumulators and
    // the 4 operands still fit the 32 registers. With the portable loop below, the PBS at
    // n = 663, k = 5, N = 256, l = 2 took 1.19x as long (1.17x in batches of 8).
    case 6: external_mac_512<6, false>(decf, bsk_i, accf, R, N, c0, c1); return;
    case 7: external_mac_512<7, false>(decf, bsk_i, accf, R, N, c0, c1); return;
    case 8: external_mac_512<8, false>(decf, bsk_i, accf, R, N, c0, c1); return;
    default: break;
  }
#elif defined(FHEC_USE_AVX2)
  switch (k1) {
    case 2: external_mac_256<2>(decf, bsk_i, accf, R, N, c0, c1); return;
    case 3: external_mac_256<3>(decf, bsk_i, accf, R, N, c0, c1); return;
    case 4: external_mac_256<4>(decf, bsk_i, accf, R, N, c0, c1); return;
    default: break;
  }
#endif
  constexpr size_t kMaxK1 = 17;  // glweDimension <= 16
  for (size_t c = c0; c < c1; c += 8) {
    double sr[kMaxK1][8] = {}, si[kMaxK1][8] = {};
    mac_chunk8(decf, key_at_point(bsk_i, c, R, k1), R, k1, N, N / 2, c, sr, si);
    store_chunk8(accf, k1, N, N / 2, c, sr, si);
  }
}

// out = X^t * in (negacyclic), t in [0, 2N)
static void monomial_mul(uint64_t* __restrict out, const uint64_t* __restrict in, size_t t, size_t N) {
  bool neg = t >= N;
  if (neg) t -= N;
  uint64_t sw = neg ? ~uint64_t(0) : 0;  // conditional negation: (x ^ sw) - sw
  for (size_t j = 0; j < t; j++) out[j] = ((in[j + N - t] ^ ~sw) - ~sw);
  for (size_t j = t; j < N; j++) out[j] = ((in[j - t] ^ sw) - sw);
}

// rot = round_to_gadget(X^t * in - in): the rotation of the CMux fused with the rounding step of
// the decomposition (keeps the top base_log*level bits, rounded to nearest).
static void rotate_round(uint64_t* __restrict out, const uint64_t* __restrict in, size_t t, size_t N,
                         uint32_t base_log, uint32_t level) {
  const uint32_t total = base_log * level;
  const uint32_t shift = 64 - total;
  const uint64_t total_mask = total >= 64 ? ~uint64_t(0) : ((uint64_t(1) << total) - 1);
  bool neg = t >= N;
  if (neg) t -= N;
  const uint64_t sw = neg ? ~uint64_t(0) : 0;
  if (shift == 0) {
    for (size_t j = 0; j < t; j++) out[j] = ((in[j + N - t] ^ ~sw) - ~sw) - in[j];
    for (size_t j = t; j < N; j++) out[j] = ((in[j - t] ^ sw) - sw) - in[j];
    return;
  }
  for (size_t j = 0; j < t; j++) {
    uint64_t x = ((in[j + N - t] ^ ~sw) - ~sw) - in[j];
    out[j] = ((x >> shift) + ((x >> (shift - 1)) & 1)) & total_mask;
  }
  for (size_t j = t; j < N; j++) {
    uint64_t x = ((in[j - t] ^ sw) - sw) - in[j];
    out[j] = ((x >> shift) + ((x >> (shift - 1)) & 1)) & total_mask;
  }
}

// Extracts the next balanced digit (from the least significant level up) of every coefficient of
// the rounded polynomial `v` (updated in place) and writes its twisted transform input.
[[maybe_unused]] static void digit_twist(const FftPlan& p, uint64_t* __restrict v, uint32_t base_log, double* __restrict re,
                        double* __restrict im) {
  const size_t h = p.h;
  const uint64_t mask = (uint64_t(1) << base_log) - 1;
  const double* __restrict c = p.twist_re.data();
  const double* __restrict s = p.twist_im.data();
  uint64_t* __restrict lo = v;
  uint64_t* __restrict hi = v + h;
  for (size_t m = 0; m < h; m++) {
    uint64_t a = lo[m], b = hi[m];
    uint64_t da = a & mask, db = b & mask;
    uint64_t ca = da >> (base_log - 1), cb = db >> (base_log - 1);
    lo[m] = (a >> base_log) + ca;
    hi[m] = (b >> base_log) + cb;
    double x = static_cast<double>(static_cast<int64_t>(da - (ca << base_log)));
    double y = static_cast<double>(static_cast<int64_t>(db - (cb << base_log)));
    re[m] = x * c[m] - y * s[m];
    im[m] = x * s[m] + y * c[m];
  }
}

static inline uint32_t mod_switch(uint64_t x, uint32_t log2_2n) {
  uint32_t s = 64 - log2_2n;
  return static_cast<uint32_t>((((x >> (s - 1)) + 1) >> 1) & ((uint64_t(1) << log2_2n) - 1));
}

#ifdef FHEC_USE_AVX512
template <bool kLast>
static DigitTwistSource<kLast> digit_source(const FftPlan& p, uint64_t* rot, uint32_t base_log) {
  return {rot, rot + p.h, p.twist_re.data(), p.twist_im.data(), _mm512_set1_epi64(base_log),
          _mm512_set1_epi64(base_log - 1), _mm512_set1_epi64(static_cast<long long>((uint64_t(1) << base_log) - 1))};
}
#endif

#ifdef FHEC_USE_AVX512
// The forward transform of one decomposition row, its first pass reading `src`; kCrossOnly: only
// the stages that span blocks (the caller runs the blocks later, see blind_rotate_blocked).
template <bool kCrossOnly, class Source>
static void forward_row(const FftPlan& p, double* re, Prefetcher& pf, Source src) {
  if (kCrossOnly) {
    fft_forward_cross_512(p, re, re + p.h, pf, src);
  } else {
    fft_forward_512(p, re, re + p.h, pf, src);
  }
}
#endif

// Decomposes the rounded polynomial `rot` (destroyed) into `level` balanced digits and writes
// their forward transforms to decf[l * N ...] (l = 0 is the most significant level).
template <bool kCrossOnly = false>
static void decompose_forward(const FftPlan& p, uint64_t* rot, uint32_t base_log, size_t level, double* decf,
                              Prefetcher& pf, size_t row_stride = 0) {
  const size_t rs = row_stride ? row_stride : p.N;
  for (size_t l = level; l-- > 0;) {
    double* re = decf + l * rs;
#ifdef FHEC_USE_AVX512
    // digit extraction and twist fused into the first FFT pass
    if (l > 0) {
      forward_row<kCrossOnly>(p, re, pf, digit_source<false>(p, rot, base_log));
    } else {
      forward_row<kCrossOnly>(p, re, pf, digit_source<true>(p, rot, base_log));
    }
#elif defined(FHEC_USE_AVX2)
    digit_twist_256(p, rot, base_log, re, re + p.h);
    fft_forward_pf(p, re, re + p.h, pf);
#else
    digit_twist(p, rot, base_log, re, re + p.h);
    fft_forward_pf(p, re, re + p.h, pf);
#endif
  }
}

// The decomposition side of a CMux: round_to_gadget(X^t * acc - acc), t in [0, 2N), split into
// `level` digits whose forward transforms go to decf[l * N ...]; rot is N words of scratch.
// kCrossOnly: as in forward_row.
template <bool kCrossOnly = false>
static void rotate_decompose_forward(const FftPlan& p, const uint64_t* acc, size_t t, uint64_t* rot,
                                     uint32_t base_log, size_t level, double* decf, Prefetcher& pf) {
  const size_t N = p.N;
#ifdef FHEC_USE_AVX512
  // One level: the rotation and rounding are fused into the first FFT pass (0.94x the time at
  // N = 2048). With more levels the fused pass would also store the rest for the next digit,
  // and that many streams in one pass made it slower (1.07-1.09x at l = 2) than a separate pass;
  // recomputing the rotation for each digit instead gained nothing (0.93-1.08x, runtime/README.md).
  if (level == 1) {
    const bool neg = t >= N;
    const uint32_t shift = 64 - base_log;
    RotateTopDigitSource src(acc, p.twist_re.data(), p.twist_im.data(), N, p.h, neg ? t - N : t, neg ? ~uint64_t(0) : 0,
                             shift ? uint64_t(1) << (shift - 1) : 0, shift);
    forward_row<kCrossOnly>(p, decf, pf, src);
    return;
  }
#endif
  rotate_round(rot, acc, t, N, base_log, static_cast<uint32_t>(level));
  decompose_forward<kCrossOnly>(p, rot, base_log, level, decf, pf);
}

static uint32_t log2_two_n(size_t N) {
  uint32_t r = 0;
  while ((size_t(1) << r) < 2 * N) r++;
  return r;
}

// Accumulators X^(-b) * LUT and modulus-switched masks of every ciphertext of the group.
static void init_accumulators(const PbsArgs& a) {
  const size_t N = a.N, k1 = size_t(a.k) + 1, two_n = 2 * N;
  const uint32_t log2_2n = log2_two_n(N);
  PbsWorkspace& ws = *a.ws;
  for (size_t b = 0; b < a.count; b++) {
    uint64_t* acc = ws.acc.data() + b * k1 * N;
    const uint64_t* in = a.ins[b];
    std::memset(acc, 0, sizeof(uint64_t) * a.k * N);
    uint32_t* ms = ws.ms.data() + b * a.n;
    // Centred modulus switch: each mask coefficient's rounding error d_i = a_i - 2^s * ms_i is
    // public, and with a uniform binary key the phase gains sum_i d_i s_i, of mean sum_i d_i / 2.
    // The body takes that mean off before its own rounding, which leaves sum_i d_i (s_i - 1/2):
    // half the variance, the same for every key weight (crypto-model/noise.ts, docs/tfhe.md).
    const uint32_t s = 64 - log2_2n;
    __int128 drift = 0;
    for (uint32_t i = 0; i < a.n; i++) {
      ms[i] = mod_switch(in[i], log2_2n);
      drift += static_cast<int64_t>(in[i] - (static_cast<uint64_t>(ms[i]) << s));
    }
    const uint64_t centred_body = in[a.n] - static_cast<uint64_t>(static_cast<int64_t>(drift >> 1));
    uint32_t body = mod_switch(centred_body, log2_2n);
    monomial_mul(acc + a.k * N, a.luts[b], (two_n - body) % two_n, N);
  }
}

// Sample extraction of coefficient 0 of every accumulator.
static void extract_samples(const PbsArgs& a) {
  const size_t N = a.N, k1 = size_t(a.k) + 1;
  for (size_t b = 0; b < a.count; b++) {
    const uint64_t* acc = a.ws->acc.data() + b * k1 * N;
    uint64_t* out = a.outs[b];
    for (size_t c = 0; c < a.k; c++) {
      const uint64_t* poly = acc + c * N;
      uint64_t* o = out + c * N;
      o[0] = poly[0];
      for (size_t m = 1; m < N; m++) o[m] = uint64_t(0) - poly[N - m];
    }
    out[size_t(a.k) * N] = acc[size_t(a.k) * N];
  }
}

// Ciphertexts of a group whose decompositions are held at once, so that the products read each
// span of the key entry from L2 once for all of them (then from L1): as many as fit in
// kSharedDecBytes, else one at a time (large N, where 4 decompositions would crowd the entry out
// of L2).
constexpr size_t kSharedDecBytes = 256 * 1024;
// Points per product span: the span's key (R (k+1) complex values per point) stays in L1
// while the span runs for every ciphertext of the group.
constexpr size_t kSpanKeyBytes = 16 * 1024;

#ifdef FHEC_USE_AVX512
// How far the blocked loop's key prefetch may run ahead of its products, and the lines it
// prefetches per transform step. A block's key is 256 R (k+1) lines against 160 (R + k+1) steps
// of its transforms: 1.6 lines per step at l = 1, 2.1 at l = 2, 2.4 at l = 3 (k = 1). Measured
// side by side on 2026-12-03 (one thread, quiet machine, ratios of paired calls): at l = 3
// (N = 65536) three lines and 1 MiB took 0.88-0.92x the time of two lines and 256 KiB in four
// of five runs (the products' share of the samples 21% -> 16%); at l = 2 (N = 8192, 16384) they
// took 1.03-1.15x, and 128 KiB to 1 MiB with two lines were within the noise.
static size_t blocked_key_ahead(size_t level) { return level >= 3 ? 1024 * 1024 : 256 * 1024; }
static uint32_t blocked_extra_lines(size_t level) { return level >= 3 ? 2 : 1; }

// One ciphertext above kFftBlock Fourier points (N >= 4096). Each CMux runs the forward
// transforms' cross-block stages, then block by block: the rest of every row's forward transform,
// the products on that block's points, and the block's first inverse stages; then the inverse
// stages that span blocks. The key entry is streamed by the CMux that reads it, at most
// blocked_key_ahead() bytes ahead of its products, so that the lines it prefetches are still in L2
// when the products read them (one entry ahead, the products' own stream of 0.5-6 MiB per CMux
// evicted most of them first). Same butterflies and products as blind_rotate_extract, in another
// order: bit-identical.
static void blind_rotate_blocked(const PbsArgs& a) {
  const size_t N = a.N, h = N / 2, k1 = size_t(a.k) + 1, L = a.level, R = k1 * L;
  const FftPlan& p = *a.plan;
  PbsWorkspace& ws = *a.ws;
  uint64_t* rot = ws.rot.data();
  double* decf = ws.dec_f.data();
  const size_t bsk_stride = R * k1 * N;               // doubles per key entry
  const char* key_end = reinterpret_cast<const char*>(a.bsk + size_t(a.n) * bsk_stride);
  const size_t ahead = blocked_key_ahead(L);
  Prefetcher pf;
  pf.extra = blocked_extra_lines(L);
  pf.p = reinterpret_cast<const char*>(a.bsk);
  auto consumed = [&](const char* at) { pf.end = at + ahead < key_end ? at + ahead : key_end; };
  init_accumulators(a);
  for (uint32_t i = 0; i < a.n; i++) {
    const uint32_t t = ws.ms[i];
    if (t == 0) continue;  // X^0 - 1 = 0: no change
    const double* bsk_i = a.bsk + size_t(i) * bsk_stride;
    const char* entry = reinterpret_cast<const char*>(bsk_i);
    if (pf.p < entry) pf.p = entry;  // skipped entries
    consumed(entry);
    for (size_t c = 0; c < k1; c++)
      rotate_decompose_forward<true>(p, ws.acc.data() + c * N, t, rot, a.base_log, L, decf + c * L * N, pf);
    for (size_t b = 0; b < h; b += kFftBlock) {
      for (size_t r = 0; r < R; r++) fft_forward_block_512(p, decf + r * N, decf + r * N + h, b, pf);
      external_mac(decf, bsk_i, decf, R, k1, N, b, b + kFftBlock);
      consumed(reinterpret_cast<const char*>(key_at_point(bsk_i, b + kFftBlock, R, k1)));
      for (size_t j = 0; j < k1; j++) fft_inverse_block_512(p, decf + j * N, decf + j * N + h, b, pf);
    }
    for (size_t j = 0; j < k1; j++) {
      uint64_t* acc = ws.acc.data() + j * N;
      fft_inverse_cross_512(p, decf + j * N, decf + j * N + h, pf,
                            TorusAddSink{p.itwist_re.data(), p.itwist_im.data(), acc, acc + h});
    }
  }
  extract_samples(a);
}
#endif

static void blind_rotate_extract(const PbsArgs& a) {
  const size_t N = a.N, h = N / 2, k1 = size_t(a.k) + 1, L = a.level, R = k1 * L, B = a.count;
  const FftPlan& p = *a.plan;
  PbsWorkspace& ws = *a.ws;
  uint64_t* rot = ws.rot.data();
  // The products overwrite the decomposition's first k+1 rows: a working set smaller by
  // (k+1)N doubles, which keeps more of the streamed key entry in L2.
  const size_t dec_stride = R * N;       // doubles per ciphertext's decomposition
  const size_t bsk_stride = R * k1 * N;  // doubles per BSK entry
  constexpr size_t kMaxHeld = 64;
  size_t held = kSharedDecBytes / (dec_stride * sizeof(double));
  held = held < 1 ? 1 : held > B ? B : held > kMaxHeld ? kMaxHeld : held;
  size_t span = kSpanKeyBytes / (R * k1 * 16) / 8 * 8;  // 16 bytes per complex value
  span = held == 1 ? h : span < 8 ? 8 : span;

#ifdef FHEC_USE_AVX512
  if (B == 1 && h > kFftBlock) {
    blind_rotate_blocked(a);
    return;
  }
#endif
  init_accumulators(a);
  // Software prefetch one key entry ahead: while the CMuxes of entry i run their FFTs, entry
  // i+1 streams towards L2 (one cache line per vector step). With several ciphertexts, entry i
  // is read from DRAM once and reused from cache for all of them.
  Prefetcher pf;
  // The FFTs of one CMux step the prefetcher a fixed number of times: measured on the first
  // CMux that runs. Where one line per step covers under two thirds of an entry (N = 512, k = 3:
  // 24 of its 64 KiB; N = 1024, k = 2: 30 of 72), the rest would come from L3 or DRAM on demand
  // in the products, so lines per step rise to cover it (at most 3); elsewhere they stay 1.
  bool stride_set = false;
  uint32_t active[kMaxHeld];  // ciphertexts of the held set whose CMux is not the identity
  for (uint32_t i = 0; i < a.n; i++) {
    const double* bsk_i = a.bsk + size_t(i) * bsk_stride;
    const char* next = reinterpret_cast<const char*>(bsk_i + bsk_stride);
    pf.p = next;
    pf.end = pf.p + (i + 1 < a.n ? bsk_stride * sizeof(double) : 0);
    for (size_t b0 = 0; b0 < B; b0 += held) {
      size_t na = 0;
      for (size_t b = b0; b < B && b < b0 + held; b++)
        if (ws.ms[b * a.n + i] != 0) active[na++] = static_cast<uint32_t>(b);  // X^0 - 1 = 0: no change
      for (size_t q = 0; q < na; q++) {
        const size_t b = active[q];
        uint64_t* acc = ws.acc.data() + b * k1 * N;
        double* decf = ws.dec_f.data() + q * dec_stride;
        for (size_t c = 0; c < k1; c++)
          rotate_decompose_forward(p, acc + c * N, ws.ms[b * a.n + i], rot, a.base_log, L, decf + c * L * N, pf);
      }
      for (size_t c0 = 0; c0 < h; c0 += span) {
        const size_t c1 = c0 + span < h ? c0 + span : h;
        for (size_t q = 0; q < na; q++) {
          double* decf = ws.dec_f.data() + q * dec_stride;
          external_mac(decf, bsk_i, decf, R, k1, N, c0, c1);
        }
      }
      for (size_t q = 0; q < na; q++) {
        uint64_t* acc = ws.acc.data() + active[q] * k1 * N;
        double* accf = ws.dec_f.data() + q * dec_stride;
        for (size_t j = 0; j < k1; j++) fourier_to_torus_add_pf(p, accf + j * N, accf + j * N + h, acc + j * N, pf);
      }
    }
    if (!stride_set && pf.p > next) {
      const size_t reached = static_cast<size_t>(pf.p - next), entry = bsk_stride * sizeof(double);
      if (pf.p < pf.end && 3 * reached < 2 * entry) {  // under two thirds covered
        const size_t lines = (entry + reached - 1) / reached;
        pf.extra = static_cast<uint32_t>(lines > 3 ? 2 : lines - 1);
      }
      stride_set = true;
    }
  }
  extract_samples(a);
}

// The classic blind rotation of one ciphertext cut into tasks that several threads can share,
// two phases per CMux: k+1 column tasks, then slices of the Fourier points for the products.
// Column task c first finishes the previous CMux on GLWE column c (its inverse transform, added
// into the accumulator) and then starts the next CMux on that column (rotation, decomposition,
// forward transforms): both read and write column c only, so no synchronisation is needed
// between them (3 phases per CMux before: 1 fewer handoff per CMux). Each value is computed by
// the same code as in blind_rotate_extract, so the result is bit-identical whoever runs which task.
struct CmuxTasks {
  const PbsArgs* a;
  uint64_t* rots;
  const double* bsk_i;  // key entry of the products (prefetched by the column tasks before them)
  uint32_t ai;          // rotation of the CMux the column tasks start (0: none left)
  bool finish;          // column tasks first finish the previous CMux (its products are pending)
  size_t slice = 0;     // Fourier points per product task (multiple of 8; unused by the block split)
};

static void cmux_column_task(void* arg, size_t c) {
  const CmuxTasks& t = *static_cast<const CmuxTasks*>(arg);
  const PbsArgs& a = *t.a;
  const size_t N = a.N, h = N / 2, L = a.level, k1 = size_t(a.k) + 1;
  uint64_t* acc = a.ws->acc.data() + c * N;
  Prefetcher pf;
  if (t.ai != 0) {
    // This column's share of the next products' key entry, one line per transform step as in
    // the one-thread loop (a line-count parameter in the step cost that loop 3% at N = 16384).
    // The slices are the same contiguous ranges of the chunked layout, and the caller claims
    // task 0 of each phase first, so a thread usually finds its slice in its own L2.
    const size_t entry = k1 * L * k1 * N * sizeof(double);
    pf.p = reinterpret_cast<const char*>(t.bsk_i) + c * entry / k1;
    pf.end = pf.p + entry / k1;
  }
  if (t.finish) {
    double* accf = a.ws->acc_f.data() + c * N;
    fourier_to_torus_add_pf(*a.plan, accf, accf + h, acc, pf);
  }
  if (t.ai != 0)
    rotate_decompose_forward(*a.plan, acc, t.ai, t.rots + c * N, a.base_log, L, a.ws->dec_f.data() + c * L * N, pf);
}

static void cmux_product_task(void* arg, size_t s) {
  const CmuxTasks& t = *static_cast<const CmuxTasks*>(arg);
  const PbsArgs& a = *t.a;
  const size_t N = a.N, h = N / 2, k1 = size_t(a.k) + 1;
  const size_t c0 = s * t.slice, c1 = c0 + t.slice < h ? c0 + t.slice : h;
  external_mac(a.ws->dec_f.data(), t.bsk_i, a.ws->acc_f.data(), k1 * a.level, k1, N, c0, c1);
}

#ifdef FHEC_USE_AVX512
// The block-by-block CMux of blind_rotate_blocked cut into tasks, two phases per CMux: k+1 column
// tasks (the previous CMux's inverse stages that span blocks, added into column c, then column c's
// rotation, decomposition and forward cross-block stages), then one task per block of Fourier
// points (every row's forward block stages, the block's products into acc_f, and its inverse
// block stages). The products go to acc_f, not over the decomposition, so that column c's next
// decomposition cannot overwrite another column's pending products. Same arithmetic as
// blind_rotate_blocked: bit-identical whoever runs which task. Against the column split of
// cmux_column_task, the phase that both threads share is now most of the work (the block stages
// and the products), not only the products.
static void blocked_column_task(void* arg, size_t c) {
  const CmuxTasks& t = *static_cast<const CmuxTasks*>(arg);
  const PbsArgs& a = *t.a;
  const FftPlan& p = *a.plan;
  const size_t N = a.N, h = N / 2, L = a.level;
  uint64_t* acc = a.ws->acc.data() + c * N;
  Prefetcher none;
  if (t.finish) {
    double* accf = a.ws->acc_f.data() + c * N;
    fft_inverse_cross_512(p, accf, accf + h, none, TorusAddSink{p.itwist_re.data(), p.itwist_im.data(), acc, acc + h});
  }
  if (t.ai != 0)
    rotate_decompose_forward<true>(p, acc, t.ai, t.rots + c * N, a.base_log, L, a.ws->dec_f.data() + c * L * N, none);
}

static void blocked_block_task(void* arg, size_t blk) {
  const CmuxTasks& t = *static_cast<const CmuxTasks*>(arg);
  const PbsArgs& a = *t.a;
  const FftPlan& p = *a.plan;
  const size_t N = a.N, h = N / 2, k1 = size_t(a.k) + 1, R = k1 * a.level, b = blk * kFftBlock;
  double* decf = a.ws->dec_f.data();
  double* accf = a.ws->acc_f.data();
  // This block's key slice, three lines per step of its forward stages (most of the slice).
  Prefetcher pf;
  pf.extra = 2;
  pf.p = reinterpret_cast<const char*>(key_at_point(t.bsk_i, b, R, k1));
  pf.end = reinterpret_cast<const char*>(key_at_point(t.bsk_i, b + kFftBlock, R, k1));
  for (size_t r = 0; r < R; r++) fft_forward_block_512(p, decf + r * N, decf + r * N + h, b, pf);
  external_mac(decf, t.bsk_i, accf, R, k1, N, b, b + kFftBlock);
  Prefetcher none;
  for (size_t j = 0; j < k1; j++) fft_inverse_block_512(p, accf + j * N, accf + j * N + h, b, none);
}

#endif

// Two phases per CMux: k+1 column tasks (each finishes the previous CMux on its column and starts
// this one), then `count` tasks of `second`; a last column phase finishes the last CMux.
static void run_cmux_phases(const PbsArgs& a, const PbsTaskRunner& r, CmuxTasks& t, void (*column)(void*, size_t),
                            void (*second)(void*, size_t), size_t count) {
  const size_t k1 = size_t(a.k) + 1, bsk_stride = k1 * a.level * k1 * a.N;
  init_accumulators(a);
  for (uint32_t i = 0; i < a.n; i++) {
    const uint32_t ai = a.ws->ms[i];
    if (ai == 0) continue;
    t.ai = ai;
    t.bsk_i = a.bsk + size_t(i) * bsk_stride;
    r.run(r.ctx, k1, column, &t);
    r.run(r.ctx, count, second, &t);
    t.finish = true;
  }
  if (t.finish) {
    t.ai = 0;
    r.run(r.ctx, k1, column, &t);
  }
  extract_samples(a);
}

static void blind_rotate_extract_tasks(const PbsArgs& a, const PbsTaskRunner& r) {
  const size_t h = a.N / 2, k1 = size_t(a.k) + 1;
  CmuxTasks t{&a, r.rots, nullptr, 0, false, 0};
#ifdef FHEC_USE_AVX512
  if (h > kFftBlock) {
    run_cmux_phases(a, r, t, blocked_column_task, blocked_block_task, h / kFftBlock);
    return;
  }
#endif
  // One product slice per column task (see cmux_column_task's prefetch).
  t.slice = ((h / 8 + k1 - 1) / k1) * 8;
  run_cmux_phases(a, r, t, cmux_column_task, cmux_product_task, k1);
}

#include "multibit_impl.hpp"

// Keyswitch digits are balanced, in [−B/2, B/2], and zero-mean: a digit of exactly B/2 becomes
// −B/2 (with a carry) when a fair coin says so. With digits in [−B/2, B/2) the mean would be −1/2,
// and each key's own noise e would add the same −½·Σe to every keyswitch through that key: an
// offset shared by all reads, which breaks per-read error statistics. The coin is the parity of
// the rest of the value for the lower digits (the carry then leaves it even), and for the top
// digit, whose carry wraps away, the lowest bit of the input coefficient (discarded by the
// rounding, independent of the kept bits).
static inline uint64_t ks_carry(uint64_t d, uint64_t coin, uint32_t base_log) {
  const uint64_t half = uint64_t(1) << (base_log - 1);
  return (d > half || (d == half && (coin & 1))) ? 1 : 0;
}

// The balanced digits of the rounded coefficient v (of input x), level l at digits[l] (l = 0 the
// most significant), each a signed value as wrapping u64.
static inline void ks_digits(uint64_t x, uint64_t v, uint32_t base_log, size_t level, uint64_t* digits) {
  const uint64_t mask = (uint64_t(1) << base_log) - 1;
  for (size_t l = level; l-- > 0;) {
    uint64_t d = v & mask;
    v >>= base_log;
    uint64_t carry = ks_carry(d, l == 0 ? x : v, base_log);
    digits[l] = d - (carry << base_log);
    v += carry;
  }
}

static void ks_sub_row(uint64_t* __restrict out, const uint64_t* __restrict row, uint64_t d, size_t len) {
  for (size_t j = 0; j < len; j++) out[j] -= d * row[j];
}

static void ks_sub_row32(uint32_t* __restrict out, const uint32_t* __restrict row, uint32_t d, size_t len) {
  for (size_t j = 0; j < len; j++) out[j] -= d * row[j];
}

// The rounded top (base_log level) bits of every input coefficient of the group, decomposed:
// digits[b * level + l] for ciphertext b at coefficient i.
static inline void ks_group_digits(const KsArgs& a, size_t i, uint32_t shift, uint64_t total_mask, uint64_t* digits) {
  const size_t din = a.in_dim + 1;
  for (size_t b = 0; b < a.count; b++) {
    const uint64_t x = a.in[b * din + i];
    const uint64_t v = shift == 0 ? x : ((x >> shift) + ((x >> (shift - 1)) & 1));
    ks_digits(x, v & total_mask, a.base_log, a.level, digits + b * a.level);
  }
}

// Keyswitch with a 32-bit key: arithmetic modulo 2^32 on the top halves, result scaled back.
// Output columns [j0, j1) only (the body is column out_dim): two threads can share one
// keyswitch, each streaming its part of every key row; every column gets the same integers.
// Each key row is read once for the whole group (then from L1): subtraction modulo 2^32 does not
// depend on the order, so every ciphertext gets the integers it gets alone.
static void keyswitch32_columns(const KsArgs& a, size_t j0, size_t j1) {
  const size_t len = a.out_dim + 1, din = a.in_dim + 1, B = a.count;
  for (size_t b = 0; b < B; b++) {
    uint32_t* o = a.scratch32 + b * len;
    std::memset(o + j0, 0, sizeof(uint32_t) * (j1 - j0));
    if (j1 > a.out_dim) o[a.out_dim] = static_cast<uint32_t>((a.in[b * din + a.in_dim] + (uint64_t(1) << 31)) >> 32);
  }
  const uint32_t total = a.base_log * a.level;
  const uint64_t total_mask = (uint64_t(1) << total) - 1;  // total <= 24 here
  uint64_t digits[kMaxKeyswitchGroup * 64];                 // level <= 64 / base_log
  for (size_t i = 0; i < a.in_dim; i++) {
    ks_group_digits(a, i, 64 - total, total_mask, digits);
    // Rows in ascending address order: one forward stream for the hardware prefetcher.
    const uint32_t* rows = a.ksk32 + i * a.level * len + j0;
    size_t done = 0;
#ifdef FHEC_USE_AVX512
    // In a group, 32 columns at a time, each ciphertext's output held in registers across the
    // levels (the rows in L1 across the group): one load and store of the output per
    // coefficient, not per level and coefficient (at n = 848, 2^2 x 8 in groups of 8: 0.87x the
    // time; 2^3 x 6: 0.77x). Alone, the row-by-row loop below keeps one forward stream through
    // the key and skips zero digits: the tiles took 1.13x there.
    for (; B > 1 && done + 32 <= j1 - j0; done += 32)
      for (size_t b = 0; b < B; b++) {
        uint32_t* o = a.scratch32 + b * len + j0 + done;
        __m512i o0 = _mm512_loadu_si512(o), o1 = _mm512_loadu_si512(o + 16);
        for (size_t l = 0; l < a.level; l++) {
          const __m512i d = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(digits[b * a.level + l])));
          const uint32_t* row = rows + l * len + done;
          o0 = _mm512_sub_epi32(o0, _mm512_mullo_epi32(d, _mm512_loadu_si512(row)));
          o1 = _mm512_sub_epi32(o1, _mm512_mullo_epi32(d, _mm512_loadu_si512(row + 16)));
        }
        _mm512_storeu_si512(o, o0);
        _mm512_storeu_si512(o + 16, o1);
      }
#endif
    for (size_t l = 0; l < a.level; l++)
      for (size_t b = 0; b < B; b++) {
        const uint64_t d = digits[b * a.level + l];
        if (d != 0)
          ks_sub_row32(a.scratch32 + b * len + j0 + done, rows + l * len + done, static_cast<uint32_t>(d), j1 - j0 - done);
      }
  }
  for (size_t b = 0; b < B; b++)
    for (size_t j = j0; j < j1; j++) a.out[b * len + j] = uint64_t(a.scratch32[b * len + j]) << 32;
}

static void keyswitch_columns(const KsArgs& a, size_t j0, size_t j1) {
  if (a.ksk32) {
    keyswitch32_columns(a, j0, j1);
    return;
  }
  const size_t len = a.out_dim + 1, din = a.in_dim + 1, B = a.count;
  for (size_t b = 0; b < B; b++) {
    std::memset(a.out + b * len + j0, 0, sizeof(uint64_t) * (j1 - j0));
    if (j1 > a.out_dim) a.out[b * len + a.out_dim] = a.in[b * din + a.in_dim];
  }
  const uint32_t total = a.base_log * a.level;
  const uint64_t total_mask = total >= 64 ? ~uint64_t(0) : ((uint64_t(1) << total) - 1);
  uint64_t digits[kMaxKeyswitchGroup * 64];  // level <= 64 / base_log
  for (size_t i = 0; i < a.in_dim; i++) {
    ks_group_digits(a, i, 64 - total, total_mask, digits);
    const uint64_t* rows = a.ksk + i * a.level * len + j0;
    for (size_t l = 0; l < a.level; l++)
      for (size_t b = 0; b < B; b++) {
        const uint64_t d = digits[b * a.level + l];
        if (d != 0) ks_sub_row(a.out + b * len + j0, rows + l * len, d, j1 - j0);
      }
  }
}

static void keyswitch(const KsArgs& a) { keyswitch_columns(a, 0, a.out_dim + 1); }

static const Kernels kKernels = {
#if defined(FHEC_USE_AVX512)
    "avx512",
#elif defined(__AVX2__)
    "avx2",
#else
    "scalar",
#endif
    fft_forward, fft_inverse, torus_to_fourier, fourier_to_torus_add, cmac, blind_rotate_extract,
    blind_rotate_extract_multibit, blind_rotate_extract_tasks, blind_rotate_extract_multibit_tasks, fma_burst,
    keyswitch, keyswitch_columns,
};

const Kernels& kernels() { return kKernels; }

}  // namespace KNS
}  // namespace fhec
