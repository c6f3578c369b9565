#include "seeded_lwe.hpp"

#include <algorithm>
#include <vector>

#include "threadpool.hpp"

namespace fhec {

namespace {
// Stream domain of input masks, apart from the key streams of tfhe.cpp (1 << 60, 2 << 60): a
// seed is never shared between them, but distinct domains make that independent of the caller.
constexpr uint64_t kInputStream = uint64_t(3) << 60;
// Values per parallel task; each task draws its noise from its own stream of the noise seed.
constexpr size_t kChunk = 64;
// Mask words generated at a time (the mask of a big-key value is never held whole).
constexpr size_t kBlock = 512;

Csprng mask_stream(const Seed& seed, uint64_t index) { return Csprng(seed, kInputStream | index); }
}  // namespace

void lwe_encrypt_seeded(const SecretKey& sk, bool big, const uint64_t* plain, size_t count, const Seed& mask_seed,
                        const Seed* noise_seed, uint64_t* bodies) {
  if (count > kSeededLweMaxCount) throw RuntimeError("too many values for one seeded tensor");
  const std::vector<uint8_t>& key = big ? sk.glwe : sk.lwe;
  const double std = big ? sk.params.glwe_noise_std : sk.params.lwe_noise_std;
  const size_t d = key.size();
  // The noise is secret: never derived from the public mask seed.
  const Seed nseed = noise_seed ? *noise_seed : os_seed();
  parallel_for((count + kChunk - 1) / kChunk, [&](size_t chunk) {
    Csprng noise(nseed, chunk);
    uint64_t mask[kBlock];
    for (size_t c = chunk * kChunk; c < std::min(count, (chunk + 1) * kChunk); c++) {
      Csprng rng = mask_stream(mask_seed, c);
      uint64_t dot = 0;
      for (size_t j0 = 0; j0 < d; j0 += kBlock) {
        const size_t m = std::min(kBlock, d - j0);
        rng.fill_u64(mask, m);
        for (size_t j = 0; j < m; j++) dot += mask[j] * key[j0 + j];
      }
      bodies[c] = dot + noise.next_torus_gaussian(std) + plain[c];
    }
  });
}

void lwe_expand_seeded(const Seed& mask_seed, size_t dimension, const uint64_t* bodies, size_t count, uint64_t* out) {
  if (count > kSeededLweMaxCount) throw RuntimeError("too many values for one seeded tensor");
  parallel_for((count + kChunk - 1) / kChunk, [&](size_t chunk) {
    for (size_t c = chunk * kChunk; c < std::min(count, (chunk + 1) * kChunk); c++) {
      uint64_t* ct = out + c * (dimension + 1);
      mask_stream(mask_seed, c).fill_u64(ct, dimension);
      ct[dimension] = bodies[c];
    }
  });
}

}  // namespace fhec
