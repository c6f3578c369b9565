#include "conversion.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels.hpp"
#include "params.hpp"
#include "threadpool.hpp"

namespace fhec {

namespace {
// Stream tag of conversion keys: distinct from the evaluation keys' KSK (1<<60) and BSK (2<<60).
constexpr uint64_t kConversionStream = uint64_t(3) << 60;

inline uint64_t round_to_u32(uint64_t x) { return (x + (uint64_t(1) << 31)) >> 32; }

inline uint64_t gadget(uint32_t base_log, uint32_t level_index) {
  return uint64_t(1) << (64 - base_log * (level_index + 1));
}

// Calls row(i, mask_rng, mask) for every source-key coefficient i, in parallel chunks of rows.
// Each row draws its masks from its own stream (kConversionStream | i), so generation and
// expansion agree whatever the split; `mask` is the chunk's scratch of out_dim words.
template <class Row>
void for_each_row(const ConversionShape& s, const Seed& mask_seed, Row&& row) {
  const size_t chunk = 64;
  parallel_for((s.in_dim + chunk - 1) / chunk, [&](size_t c) {
    std::vector<uint64_t> mask(s.out_dim);
    for (size_t i = c * chunk; i < std::min(s.in_dim, (c + 1) * chunk); i++) {
      Csprng mrng(mask_seed, kConversionStream | i);
      row(i, mrng, mask);
    }
  });
}
}  // namespace

void ConversionShape::validate() const {
  if (in_dim < 1 || in_dim > 262144) throw std::runtime_error("conversion key: input dimension must be in [1, 262144]");
  if (out_dim < 1 || out_dim > 262144) throw std::runtime_error("conversion key: output dimension must be in [1, 262144]");
  if (base_log < 1 || level < 1 || base_log * level > 64)
    throw std::runtime_error("conversion key: needs base_log >= 1, level >= 1 and base_log * level <= 64");
}

void generate_conversion_key(const uint8_t* from, const uint8_t* to, const ConversionShape& s, double noise_std,
                             const Seed& mask_seed, const Seed& noise_seed, uint64_t* bodies) {
  s.validate();
  for_each_row(s, mask_seed, [&](size_t i, Csprng& mrng, std::vector<uint64_t>& mask) {
    Csprng nrng(noise_seed, kConversionStream | i);
    for (uint32_t l = 0; l < s.level; l++) {
      mrng.fill_u64(mask.data(), s.out_dim);
      uint64_t body = 0;
      for (size_t j = 0; j < s.out_dim; j++) body += mask[j] * to[j];
      body += nrng.next_torus_gaussian(noise_std);
      body += uint64_t(from[i]) * gadget(s.base_log, l);
      // Compact keys round the body at generation (public post-processing, as for the KSK).
      bodies[i * s.level + l] = s.compact ? round_to_u32(body) << 32 : body;
    }
  });
}

void expand_conversion_key(const ConversionShape& s, const Seed& mask_seed, const uint64_t* bodies, uint64_t* ksk,
                           uint32_t* ksk32) {
  s.validate();
  for_each_row(s, mask_seed, [&](size_t i, Csprng& mrng, std::vector<uint64_t>& mask) {
    for (uint32_t l = 0; l < s.level; l++) {
      const size_t off = (i * s.level + l) * (s.out_dim + 1);
      const uint64_t body = bodies[i * s.level + l];
      if (s.compact) {
        mrng.fill_u64(mask.data(), s.out_dim);
        for (size_t j = 0; j < s.out_dim; j++) ksk32[off + j] = static_cast<uint32_t>(round_to_u32(mask[j]));
        ksk32[off + s.out_dim] = static_cast<uint32_t>(body >> 32);
      } else {
        mrng.fill_u64(ksk + off, s.out_dim);
        ksk[off + s.out_dim] = body;
      }
    }
  });
}

void conversion_keyswitch_batch(const ConversionShape& s, const uint64_t* ksk, const uint32_t* ksk32, const uint64_t* in,
                                size_t count, uint64_t* out) {
  s.validate();
  const Kernels& K = active_kernels();
  for_each_group(count, true, kMaxKeyswitchGroup, [&](size_t first, size_t m) {
    thread_local std::vector<uint32_t> scratch;
    if (scratch.size() < m * (s.out_dim + 1)) scratch.resize(m * (s.out_dim + 1));
    KsArgs a;
    a.ksk = ksk;
    a.ksk32 = s.compact ? ksk32 : nullptr;
    a.scratch32 = scratch.data();
    a.in_dim = s.in_dim;
    a.out_dim = s.out_dim;
    a.base_log = s.base_log;
    a.level = s.level;
    a.count = m;
    a.in = in + first * (s.in_dim + 1);
    a.out = out + first * (s.out_dim + 1);
    K.keyswitch(a);
  });
}

}  // namespace fhec
