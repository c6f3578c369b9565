// ChaCha20 (RFC 8439) block function and a CSPRNG built on it.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>

#include "common.hpp"

namespace fhec {

using Seed = std::array<uint8_t, 32>;

/// RFC 8439 section 2.3 block function: 16 input words -> 64 output bytes.
/// state = constants(4) | key(8) | counter(1) | nonce(3).
void chacha20_block(const uint32_t in[16], uint8_t out[64]);

/// Fill `out` with `len` bytes of OS entropy (getrandom, falling back to /dev/urandom).
/// Throws RuntimeError if the OS cannot provide entropy.
void os_random(uint8_t* out, size_t len);

Seed os_seed();

/// ChaCha20-based cryptographic generator. A (key, stream) pair identifies a deterministic
/// stream: words 12-13 hold a 64-bit block counter and words 14-15 the 64-bit stream id
/// (the original 64/64 ChaCha layout; the block function itself is the RFC 8439 one).
class Csprng {
 public:
  Csprng(const Seed& key, uint64_t stream);
  Csprng(const Csprng&) = default;
  Csprng& operator=(const Csprng&) = default;
  /// The state is the key of every later output (noise, secret bits): wiped when freed.
  ~Csprng() {
    wipe(state_, sizeof state_);
    wipe(buf_, sizeof buf_);
    wipe(&spare_, sizeof spare_);
  }
  /// Seeded from the operating system.
  static Csprng from_os(uint64_t stream = 0) {
    Seed s = os_seed();
    Csprng c(s, stream);
    wipe(s.data(), s.size());
    return c;
  }

  uint64_t next_u64() {
    if (pos_ + 8 > kBuf) refill();
    uint64_t v;
    std::memcpy(&v, buf_ + pos_, 8);
    pos_ += 8;
    return v;
  }
  void fill_bytes(uint8_t* out, size_t len);
  void fill_u64(uint64_t* out, size_t count);
  /// Uniform double in [0, 1) with 53 random bits.
  double next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1p-53; }
  /// Standard normal sample (Box-Muller on 53-bit uniforms).
  double next_normal();
  /// Gaussian noise on the 2^64 torus: round(std * 2^64 * N(0,1)) mod 2^64.
  /// `std` is a fraction of q (e.g. 2^-40).
  uint64_t next_torus_gaussian(double std);
  bool next_bit() { return (next_u64() & 1) != 0; }
  Seed next_seed() {
    Seed s;
    fill_bytes(s.data(), s.size());
    return s;
  }

 private:
  static constexpr size_t kBlocks = 8;
  static constexpr size_t kBuf = 64 * kBlocks;
  void refill();
  uint32_t state_[16];
  uint8_t buf_[kBuf];
  size_t pos_;
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace fhec
