#include "params.hpp"

#include <cmath>
#include <cstring>

namespace fhec {

static bool is_pow2(uint32_t x) { return x != 0 && (x & (x - 1)) == 0; }

void Params::validate() const {
  auto fail = [](const std::string& m) { throw RuntimeError("invalid TFHE parameters: " + m); };
  auto in_range = [&](const char* name, uint64_t v, uint64_t lo, uint64_t hi) {
    if (v < lo || v > hi)
      fail(std::string(name) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(v));
  };
  // A gadget of base 2^base_log and `level` digits must fit the 64-bit torus.
  auto gadget_fits = [&](const char* base_name, uint64_t base_log, const char* level_name, uint64_t level) {
    if (base_log * level > 64)
      fail(std::string(base_name) + " * " + level_name + " must be at most 64, got " + std::to_string(base_log) + " * " + std::to_string(level));
  };
  auto noise_fraction = [&](const char* name, double v) {
    if (!std::isfinite(v) || v < 0 || v >= 0.5) fail(std::string(name) + " must be a finite fraction of q in [0, 0.5)");
  };
  in_range("lweDimension", lwe_dimension, 1, 16384);
  in_range("glweDimension", glwe_dimension, 1, 16);
  if (!is_pow2(polynomial_size) || polynomial_size < 64 || polynomial_size > 131072)
    fail("polynomialSize must be a power of two in [64, 131072], got " + std::to_string(polynomial_size));
  if (big_dimension() > 262144)
    fail("glweDimension * polynomialSize must be at most 262144, got " + std::to_string(big_dimension()));
  in_range("pbsBaseLog", pbs_base_log, 1, 52);
  // Levels are bounded first so that base * level cannot wrap (same rules as crypto-model/parameters.ts).
  in_range("pbsLevel", pbs_level, 1, 64);
  gadget_fits("pbsBaseLog", pbs_base_log, "pbsLevel", pbs_level);
  in_range("ksBaseLog", ks_base_log, 1, 63);
  in_range("ksLevel", ks_level, 1, 64);
  gadget_fits("ksBaseLog", ks_base_log, "ksLevel", ks_level);
  in_range("pbsGroupingFactor", pbs_grouping_factor, 1, 4);
  if (lwe_dimension % pbs_grouping_factor != 0)
    fail("lweDimension must be a multiple of pbsGroupingFactor, got " + std::to_string(lwe_dimension) + " and " +
         std::to_string(pbs_grouping_factor));
  noise_fraction("lweNoiseStd", lwe_noise_std);
  noise_fraction("glweNoiseStd", glwe_noise_std);
}

static void put32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; i++) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
static void put64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; i++) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
static uint32_t get32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
static uint64_t get64(const uint8_t* p) { return uint64_t(get32(p)) | (uint64_t(get32(p + 4)) << 32); }

std::string Params::payload() const {
  std::string s;
  put32(s, lwe_dimension);
  put32(s, glwe_dimension);
  put32(s, polynomial_size);
  put32(s, pbs_base_log);
  put32(s, pbs_level);
  put32(s, ks_base_log);
  put32(s, ks_level);
  put32(s, pbs_grouping_factor);
  uint64_t a, b;
  std::memcpy(&a, &lwe_noise_std, 8);
  std::memcpy(&b, &glwe_noise_std, 8);
  put64(s, a);
  put64(s, b);
  return s;
}

Params Params::from_payload(const uint8_t* p) {
  Params r;
  r.lwe_dimension = get32(p);
  r.glwe_dimension = get32(p + 4);
  r.polynomial_size = get32(p + 8);
  r.pbs_base_log = get32(p + 12);
  r.pbs_level = get32(p + 16);
  r.ks_base_log = get32(p + 20);
  r.ks_level = get32(p + 24);
  r.pbs_grouping_factor = get32(p + 28);
  uint64_t a = get64(p + 32), b = get64(p + 40);
  std::memcpy(&r.lwe_noise_std, &a, 8);
  std::memcpy(&r.glwe_noise_std, &b, 8);
  return r;
}

uint64_t Params::hash() const {
  std::string s = payload();
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace fhec
