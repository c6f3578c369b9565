// TFHE parameters (precision independent) and their canonical hash.
#pragma once
#include <cstdint>
#include <string>

#include "common.hpp"

namespace fhec {

/// Whether a keyswitching key with this decomposition and noise is stored on 32 bits (see
/// Params::ksk_compact); shared by the evaluation keys and the conversion keys.
inline bool ksk_compact_for(uint32_t base_log, uint32_t level, double noise_std) {
  return base_log * level <= 24 && noise_std >= 0x1p-28;
}

struct Params {
  uint32_t lwe_dimension = 0;      // n
  uint32_t glwe_dimension = 0;     // k
  uint32_t polynomial_size = 0;    // N
  uint32_t pbs_base_log = 0;
  uint32_t pbs_level = 0;
  uint32_t ks_base_log = 0;
  uint32_t ks_level = 0;
  /// Mask bits blind-rotated together (1: classic PBS; 2..4: multi-bit PBS, see multibit.hpp).
  uint32_t pbs_grouping_factor = 1;
  double lwe_noise_std = 0;        // fraction of q
  double glwe_noise_std = 0;       // fraction of q

  size_t big_dimension() const { return size_t(glwe_dimension) * polynomial_size; }
  /// Throws RuntimeError naming the offending field.
  void validate() const;
  /// FNV-1a 64 over the canonical little-endian encoding (serialized_payload()).
  uint64_t hash() const;
  /// 8 x u32 (the grouping factor last) then 2 x f64, little-endian: 48 bytes.
  std::string payload() const;
  static constexpr size_t kPayloadBytes = 8 * 4 + 2 * 8;
  static Params from_payload(const uint8_t* p);

  size_t ksk_rows() const { return big_dimension() * ks_level; }
  /// The keyswitching key is stored rounded to 32 bits (its top half) when that cannot matter:
  /// the decomposition keeps at most 24 bits and the LWE noise is at least 2^-28 (so the key is
  /// still an LWE instance with σ ≥ 16 modulo 2^32). Rounding is a public post-processing of the
  /// 64-bit key, so security is unchanged; it adds < 2^-40 of variance to the keyswitch output
  /// and halves the key's memory traffic.
  bool ksk_compact() const { return ksk_compact_for(ks_base_log, ks_level, lwe_noise_std); }
  size_t ksk_word_bytes() const { return ksk_compact() ? 4 : 8; }
  size_t ksk_len() const { return ksk_rows() * (size_t(lwe_dimension) + 1); }
  /// GGSW encryptions in the bootstrapping key: one per key bit (classic), or 2^g - 1 per group
  /// of g key bits (multi-bit: one per non-zero bit pattern of the group).
  size_t ggsw_count() const {
    return pbs_grouping_factor <= 1 ? size_t(lwe_dimension)
                                    : size_t(lwe_dimension / pbs_grouping_factor) * ((size_t(1) << pbs_grouping_factor) - 1);
  }
  size_t bsk_rows() const { return ggsw_count() * (glwe_dimension + 1) * pbs_level; }
  /// Standard-domain (u64) or Fourier-domain (f64: N/2 complex) length per BSK entry is the same.
  size_t bsk_len() const { return bsk_rows() * (glwe_dimension + 1) * size_t(polynomial_size); }
};

}  // namespace fhec
