#include "multibit.hpp"

#include <cmath>
#include <vector>

#include "common.hpp"
#include "kernels.hpp"
#include "size_cache.hpp"

namespace fhec {

uint64_t ggsw_message(const Params& p, const uint8_t* lwe_key, size_t index) {
  const uint32_t g = p.pbs_grouping_factor;
  if (g <= 1) return lwe_key[index];
  const size_t patterns = (size_t(1) << g) - 1;
  const size_t group = index / patterns, pattern = index % patterns + 1;
  uint64_t m = 1;
  for (uint32_t b = 0; b < g; b++) {
    const uint64_t s = lwe_key[group * g + b];
    m &= ((pattern >> b) & 1) ? s : 1 - s;
  }
  return m;
}

static std::unique_ptr<MonomialTable> make_table(size_t N) {
  auto t = std::make_unique<MonomialTable>();
  const FftPlan& plan = get_fft_plan(N);
  const size_t h = plan.h;
  // The transform of X^1 is the list of evaluation points; read each one's exponent off its angle.
  std::vector<uint64_t> x(N, 0);
  x[1] = 1;
  AVec<double> f(N);
  active_kernels().torus_to_fourier(plan, x.data(), f.data(), f.data() + h);
  const long double pi = 3.141592653589793238462643383279502884L;
  t->exponent.resize(h);
  for (size_t m = 0; m < h; m++) {
    const double turns = std::atan2(f[h + m], f[m]) * static_cast<double>(N) / static_cast<double>(pi);
    const long long two_n = static_cast<long long>(2 * N);
    const long long e = std::llround(turns);
    t->exponent[m] = static_cast<uint32_t>(((e % two_n) + two_n) % two_n);
  }
  t->chunk_turn.resize(16);
  const uint64_t eighth = N / 8, two_n = 2 * N;
  for (size_t m = 0; m < h; m++) {
    const uint64_t turn = (t->exponent[m] + two_n - t->exponent[m & ~size_t(15)]) % two_n;
    if (turn % eighth != 0 || (m >= 16 && turn / eighth != t->chunk_turn[m % 16]))
      throw RuntimeError("internal: the evaluation points of a 16-point chunk are not its first point times 16th roots of unity");
    t->chunk_turn[m % 16] = turn / eighth;
  }
  t->root_re.resize(2 * N);
  t->root_im.resize(2 * N);
  for (size_t u = 0; u < 2 * N; u++) {
    const long double ang = pi * static_cast<long double>(u) / static_cast<long double>(N);
    t->root_re[u] = static_cast<double>(std::cos(ang));
    t->root_im[u] = static_cast<double>(std::sin(ang));
  }
  t->turn_re.resize(16);
  t->turn_im.resize(16);
  for (size_t j = 0; j < 16; j++) {
    t->turn_re[j] = t->root_re[j * (N / 8)];
    t->turn_im[j] = t->root_im[j * (N / 8)];
  }
  return t;
}

const MonomialTable& get_monomial_table(size_t N) {
  return cached_for_size(N, make_table);
}

void set_multibit_args(const Params& p, PbsArgs& a) {
  const MonomialTable& t = get_monomial_table(p.polynomial_size);
  a.grouping = p.pbs_grouping_factor;
  a.point_exponent = t.exponent.data();
  a.root_re = t.root_re.data();
  a.root_im = t.root_im.data();
  a.chunk_turn = t.chunk_turn.data();
  a.turn_re = t.turn_re.data();
  a.turn_im = t.turn_im.data();
}

}  // namespace fhec
