// Conversion keyswitching keys between two arbitrary binary LWE keys, e.g. partition A's big key
// (dimension k_A·N_A) to partition B's small key (n_B). Same gadget and layout as the atomic
// pattern's keyswitching key; kept apart so a key set can hold any number of them.
#pragma once
#include <cstddef>
#include <cstdint>

#include "chacha.hpp"

namespace fhec {

struct ConversionShape {
  size_t in_dim = 0;   // dimension of the source key
  size_t out_dim = 0;  // dimension of the target key
  uint32_t base_log = 0;
  uint32_t level = 0;
  /// Stored on 32 bits (top halves), as the evaluation keys' KSK when ksk_compact_for() allows.
  bool compact = false;
  /// Throws RuntimeError when a field is out of range.
  void validate() const;
  size_t rows() const { return in_dim * level; }
};

/// Seeded key: bodies[i·level + l] encrypts from[i]·q/B^(l+1) under `to` with noise `noise_std`
/// (fraction of q); the masks come from `mask_seed` (public) and are not stored.
void generate_conversion_key(const uint8_t* from, const uint8_t* to, const ConversionShape& s, double noise_std,
                             const Seed& mask_seed, const Seed& noise_seed, uint64_t* bodies);
/// Regenerates the masks: the key is [in_dim][level][out_dim + 1], in `ksk` (64-bit) or `ksk32`
/// (top halves, s.compact).
void expand_conversion_key(const ConversionShape& s, const Seed& mask_seed, const uint64_t* bodies, uint64_t* ksk,
                           uint32_t* ksk32);
/// Keyswitches `count` ciphertexts of dimension in_dim to out_dim with an expanded key.
void conversion_keyswitch_batch(const ConversionShape& s, const uint64_t* ksk, const uint32_t* ksk32, const uint64_t* in,
                                size_t count, uint64_t* out);

}  // namespace fhec
