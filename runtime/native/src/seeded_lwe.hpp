// Seeded (compressed) LWE encryption of input values: the mask of value i is the CSPRNG stream
// (seed, kInputStream | i) of a public per-tensor seed, so only the bodies travel; the server
// regenerates the masks. Security as for the seeded evaluation keys (docs/tfhe.md).
#pragma once
#include <cstddef>
#include <cstdint>

#include "chacha.hpp"
#include "tfhe.hpp"

namespace fhec {

/// Largest value index of a seeded tensor (the stream id keeps the top 4 bits for its domain).
constexpr uint64_t kSeededLweMaxCount = uint64_t(1) << 60;

/// Bodies of `count` seeded encryptions of `plain` under the big (kN) or small (n) key: value i
/// gets the mask stream (mask_seed, i) and fresh noise from `noise_seed` (the OS when null).
void lwe_encrypt_seeded(const SecretKey& sk, bool big, const uint64_t* plain, size_t count, const Seed& mask_seed,
                        const Seed* noise_seed, uint64_t* bodies);

/// Full ciphertexts (mask then body, dimension + 1 words each) of `count` seeded bodies.
void lwe_expand_seeded(const Seed& mask_seed, size_t dimension, const uint64_t* bodies, size_t count, uint64_t* out);

}  // namespace fhec
