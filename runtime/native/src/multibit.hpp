// Multi-bit PBS (grouping factor g = 2..4): the blind rotation consumes g mask bits per step.
//
// For a group of g key bits s_1..s_g and a bit pattern j != 0, the bootstrapping key holds a GGSW
// encryption of the indicator f_j(s) = prod_b (j_b ? s_b : 1 - s_b). Exactly one pattern matches
// the key, so with t_j = sum_b j_b a_b (mod 2N),
//   X^(sum_b a_b s_b) = 1 + sum_{j != 0} f_j(s) (X^(t_j) - 1),
// and one external product of the accumulator with sum_j (X^(t_j) - 1) GGSW(f_j) (formed in
// the Fourier domain, where X^t is a pointwise power of the evaluation points) rotates it by the
// whole group: n/g external products instead of n, for 2^g - 1 key entries per group.
#pragma once
#include <cstdint>

#include "fft.hpp"
#include "params.hpp"

namespace fhec {

struct PbsArgs;

/// Message of GGSW number `index` of the bootstrapping key (0 or 1): the key bit itself for a
/// classic key, the indicator of its bit pattern for a multi-bit key (group-major, patterns
/// 1..2^g-1 in order).
uint64_t ggsw_message(const Params& p, const uint8_t* lwe_key, size_t index);

/// Evaluation points of the negacyclic transform of size N: point m (canonical order) is
/// zeta^exponent[m] with zeta = exp(i pi / N); roots[u] = zeta^u for u in [0, 2N).
/// Within every 16-point chunk of the canonical order the points are the chunk's first point
/// times a 16th root of unity: exponent[16c + t] = exponent[16c] + chunk_turn[t] N/8 (mod 2N), the
/// same turns for every chunk (checked when the table is made). A vector kernel then forms
/// zeta^(e a) on 8 points from one table value and a permutation of the 16 roots, not a gather.
struct MonomialTable {
  AVec<uint32_t> exponent;  // N/2
  AVec<double> root_re, root_im;  // 2N
  AVec<uint64_t> chunk_turn;  // 16
  AVec<double> turn_re, turn_im;  // 16: the 16th roots of unity zeta^(j N/8), j < 16
};
const MonomialTable& get_monomial_table(size_t N);

/// Fills the multi-bit fields of PbsArgs (grouping factor and monomial table).
void set_multibit_args(const Params& p, PbsArgs& a);

}  // namespace fhec
