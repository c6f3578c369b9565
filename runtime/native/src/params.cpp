#include "params.hpp"

#include <cmath>
#include <cstring>

namespace fhec {

static bool is_pow2(uint32_t x) { return x != 0 && (x & (x - 1)) == 0; }

void Params::validate() const {
  auto fail = [](const std::string& m) { throw RuntimeError("invalid TFHE parameters: " + m); };
  if (lwe_dimension < 1 || lwe_dimension > 16384)
    fail("lweDimension must be in [1, 16384], got " + std::to_string(lwe_dimension));
  if (glwe_dimension < 1 || glwe_dimension > 16)
    fail("glweDimension must be in [1, 16], got " + std::to_string(glwe_dimension));
  if (!is_pow2(polynomial_size) || polynomial_size < 64 || polynomial_size > 131072)
    fail("polynomialSize must be a power of two in [64, 131072], got " + std::to_string(polynomial_size));
  if (big_dimension() > 262144)
    fail("glweDimension * polynomialSize must be at most 262144, got " + std::to_string(big_dimension()));
  if (pbs_base_log < 1 || pbs_base_log > 52)
    fail("pbsBaseLog must be in [1, 52], got " + std::to_string(pbs_base_log));
  // Levels are bounded first so that base * level cannot wrap (same rules as crypto-model/parameters.ts).
  if (pbs_level < 1 || pbs_level > 64)
    fail("pbsLevel must be in [1, 64], got " + std::to_string(pbs_level));
  if (pbs_base_log * pbs_level > 64)
    fail("pbsBaseLog * pbsLevel must be at most 64, got " + std::to_string(pbs_base_log) + " * " + std::to_string(pbs_level));
  if (ks_base_log < 1 || ks_base_log > 63)
    fail("ksBaseLog must be in [1, 63], got " + std::to_string(ks_base_log));
  if (ks_level < 1 || ks_level > 64)
    fail("ksLevel must be in [1, 64], got " + std::to_string(ks_level));
  if (ks_base_log * ks_level > 64)
    fail("ksBaseLog * ksLevel must be at most 64, got " + std::to_string(ks_base_log) + " * " + std::to_string(ks_level));
  if (!std::isfinite(lwe_noise_std) || lwe_noise_std < 0 || lwe_noise_std >= 0.5)
    fail("lweNoiseStd must be a finite fraction of q in [0, 0.5)");
  if (!std::isfinite(glwe_noise_std) || glwe_noise_std < 0 || glwe_noise_std >= 0.5)
    fail("glweNoiseStd must be a finite fraction of q in [0, 0.5)");
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
  uint64_t a = get64(p + 28), b = get64(p + 36);
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
