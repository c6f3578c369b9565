// Hot kernels, compiled three times (portable scalar, AVX2+FMA, AVX-512) and selected at run time.
// The kernel translation units must not instantiate any inline/template code shared with the
// rest of the addon (e.g. std::vector members): the linker could pick the AVX-512 copy for
// generic callers. They only touch raw pointers; `nm` on their objects shows no weak symbols.
#pragma once
#include <cstddef>
#include <cstdint>

#include "fft.hpp"

namespace fhec {

/// Scratch for blind rotations of up to `batch` ciphertexts at once.
/// Doubles of padding after each Fourier row of the multi-bit loop's decompositions and products:
/// rows N doubles apart (a multiple of 4 KiB) all fall in the same L1 sets, and its products read
/// 2 (k+1) level rows, 2^g - 1 key streams and write 2 (k+1) rows at once.
constexpr size_t kRowPad = 16;

struct PbsWorkspace {
  AVec<uint64_t> acc;    // batch x (k+1) N  accumulator GLWEs
  AVec<uint64_t> rot;    // N  X^a * ACC_c - ACC_c (destroyed by decomposition)
  AVec<double> dec_f;    // batch x (k+1) level * N   Fourier transforms of the decompositions
  AVec<double> acc_f;    // batch x (k+1) N   Fourier accumulators (shared and multi-bit rotations;
                         //           the one-thread classic rotation reuses dec_f's first rows)
  AVec<uint32_t> ms;     // batch x n   modulus-switched masks
  void ensure(size_t k, size_t N, size_t level, size_t n, size_t batch) {
    if (ms.size() < n * batch) ms.resize(n * batch);
    size_t k1 = k + 1;
    if (acc.size() < batch * k1 * N) acc.resize(batch * k1 * N);
    if (rot.size() < N) rot.resize(N);
    if (dec_f.size() < batch * k1 * level * (N + kRowPad)) dec_f.resize(batch * k1 * level * (N + kRowPad));
    if (acc_f.size() < batch * k1 * (N + kRowPad)) acc_f.resize(batch * k1 * (N + kRowPad));
  }
};

struct PbsArgs {
  const FftPlan* plan;
  uint32_t n, k, N, base_log, level;
  /// Fourier BSK, per entry i (stride (k+1) level (k+1) N doubles) in chunked layout:
  /// [N/16 chunks c][row r = component * level + l][output j][8 re | 8 im]; the value for
  /// Fourier point m = 8c + t of (r, j) is at ((c * R + r) * (k+1) + j) * 16 + t (+8 for im).
  const double* bsk;
  /// `count` ciphertexts blind-rotated together: each key entry is read once for all of them.
  size_t count;
  const uint64_t* const* luts;  // per ciphertext: test polynomial (N coefficients)
  const uint64_t* const* ins;   // per ciphertext: LWE ciphertext of dimension n (n+1 words)
  uint64_t* const* outs;        // per ciphertext: LWE ciphertext of dimension kN (kN+1 words)
  PbsWorkspace* ws;             // ensured for at least `count`
  // Multi-bit PBS only (see multibit.hpp): the BSK holds (n / grouping)(2^grouping - 1) GGSW
  // entries, group-major; Fourier point m is zeta^point_exponent[m]; root[u] = zeta^u, u < 2N;
  // chunk_turn as in MonomialTable.
  uint32_t grouping = 1;
  const uint32_t* point_exponent = nullptr;
  const double* root_re = nullptr;
  const double* root_im = nullptr;
  const uint64_t* chunk_turn = nullptr;  // 16 turns: point 16c + t is point 16c times zeta^(turn_t N/8)
  const double* turn_re = nullptr;       // 16: zeta^(j N/8), j < 16 (64-byte aligned)
  const double* turn_im = nullptr;
};

/// Runs the tasks of one phase of a blind rotation on every participating thread (pbs_split.cpp):
/// returns once `count` calls task(arg, i), i < count, have all finished.
struct PbsTaskRunner {
  void (*run)(void* ctx, size_t count, void (*task)(void* arg, size_t i), void* arg);
  void* ctx;
  uint64_t* rots;  // (k+1) x N words: one rotation scratch per GLWE column
};

/// Ciphertexts keyswitched in one pass over the key at most: the keyswitch streams its whole key
/// (tens of MB) per pass and is memory bound, so a group pays that stream once for all of them.
constexpr size_t kMaxKeyswitchGroup = 8;

struct KsArgs {
  const uint64_t* ksk;   // [in_dim][level][out_dim + 1]
  const uint32_t* ksk32; // same, 32-bit storage (top halves); used instead of ksk when non-null
  uint32_t* scratch32;   // count (out_dim + 1) words of scratch for the 32-bit path
  size_t in_dim, out_dim;
  uint32_t base_log, level;
  size_t count = 1;      // ciphertexts, 1..kMaxKeyswitchGroup, one after another in `in` and `out`
  const uint64_t* in;    // count (in_dim + 1) words
  uint64_t* out;         // count (out_dim + 1) words
};

struct Kernels {
  const char* name;
  void (*fft_forward)(const FftPlan&, double* re, double* im);
  void (*fft_inverse)(const FftPlan&, double* re, double* im);
  /// Twist + forward FFT of a torus polynomial read as signed 64-bit integers.
  void (*torus_to_fourier)(const FftPlan&, const uint64_t* poly, double* re, double* im);
  /// Inverse FFT (destroys re/im), untwist, round modulo 2^64 and add into out (N words).
  void (*fourier_to_torus_add)(const FftPlan&, double* re, double* im, uint64_t* out);
  /// acc += a * b (complex, split re/im arrays of length h).
  void (*cmac)(double* acc_re, double* acc_im, const double* a_re, const double* a_im,
               const double* b_re, const double* b_im, size_t h);
  void (*blind_rotate_extract)(const PbsArgs&);
  void (*blind_rotate_extract_multibit)(const PbsArgs&);
  /// Classic blind rotation of one ciphertext (count = 1) as phases of independent tasks.
  void (*blind_rotate_extract_tasks)(const PbsArgs&, const PbsTaskRunner&);
  /// The same for the multi-bit blind rotation of one ciphertext.
  void (*blind_rotate_extract_multibit_tasks)(const PbsArgs&, const PbsTaskRunner&);
  /// Runs `iters` rounds of independent vector FMAs; returns the flops done (peak measurement).
  double (*fma_burst)(uint64_t iters);
  /// Keyswitches a.count ciphertexts, each key row read once for all of them.
  void (*keyswitch)(const KsArgs&);
  /// The keyswitch's output columns [first, end) only (column out_dim is the body): the same
  /// integers as `keyswitch` gives them. The 32-bit path's scratch is indexed by column too.
  void (*keyswitch_columns)(const KsArgs&, size_t first, size_t end);
};

namespace scalar_k { const Kernels& kernels(); }
namespace avx2_k { const Kernels& kernels(); }
namespace avx512_k { const Kernels& kernels(); }

/// Currently selected kernels (auto-detected; FHEC_RUNTIME_KERNEL=scalar|avx2|avx512 or
/// set_kernels() override).
const Kernels& active_kernels();
/// "auto", "scalar", "avx2" or "avx512". Throws if the CPU lacks the requested extension.
void set_kernels(const char* name);
bool cpu_has_avx2();
bool cpu_has_avx512();

}  // namespace fhec
