#include <cmath>

#include "common.hpp"
#include "fft.hpp"
#include "size_cache.hpp"

namespace fhec {

static std::unique_ptr<FftPlan> make_plan(size_t N) {
  auto p = std::make_unique<FftPlan>();
  p->N = N;
  p->h = N / 2;
  size_t h = p->h;
  p->twist_re.resize(h);
  p->twist_im.resize(h);
  p->itwist_re.resize(h);
  p->itwist_im.resize(h);
  p->tw_re.assign(h, 0.0);
  p->tw_im.assign(h, 0.0);
  p->tw4.assign(3 * h, 0.0);
  const long double pi = 3.141592653589793238462643383279502884L;
  for (size_t m = 0; m < h; m++) {
    long double ang = pi * static_cast<long double>(m) / static_cast<long double>(N);
    double c = static_cast<double>(std::cos(ang)), s = static_cast<double>(std::sin(ang));
    p->twist_re[m] = c;
    p->twist_im[m] = s;
    p->itwist_re[m] = c / static_cast<double>(h);
    p->itwist_im[m] = -s / static_cast<double>(h);
  }
  for (size_t len = 1; len < h; len <<= 1) {
    for (size_t j = 0; j < len; j++) {
      long double ang = -pi * static_cast<long double>(j) / static_cast<long double>(len);
      p->tw_re[len + j] = static_cast<double>(std::cos(ang));
      p->tw_im[len + j] = static_cast<double>(std::sin(ang));
    }
  }
  for (size_t q = 8; 4 * q <= h; q <<= 1) {
    for (size_t j = 0; j < q; j++) {
      long double ang = -pi * static_cast<long double>(j) / static_cast<long double>(2 * q);  // w = tw[2q + j]
      double* t = p->tw4.data() + 6 * q + 6 * (j & ~size_t(7)) + (j & 7);
      t[0] = static_cast<double>(std::cos(2 * ang));
      t[8] = static_cast<double>(std::sin(2 * ang));
      t[16] = static_cast<double>(std::cos(ang));
      t[24] = static_cast<double>(std::sin(ang));
      t[32] = static_cast<double>(std::cos(3 * ang));
      t[40] = static_cast<double>(std::sin(3 * ang));
    }
  }
  return p;
}

const FftPlan& get_fft_plan(size_t N) {
  if (N < 64 || (N & (N - 1)) != 0) throw RuntimeError("FFT size must be a power of two >= 64");
  return cached_for_size(N, make_plan);
}

}  // namespace fhec
