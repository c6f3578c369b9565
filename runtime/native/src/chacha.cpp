#include "chacha.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <sys/random.h>

namespace fhec {

// Four 32-bit lanes: one word of four ChaCha blocks computed side by side.
typedef uint32_t v4u __attribute__((vector_size(16)));

static inline uint32_t rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
static inline v4u rotl(v4u x, int n) { return (x << n) | (x >> (32 - n)); }

#define QR(a, b, c, d)                 \
  a += b; d ^= a; d = rotl(d, 16);     \
  c += d; b ^= c; b = rotl(b, 12);     \
  a += b; d ^= a; d = rotl(d, 8);      \
  c += d; b ^= c; b = rotl(b, 7);

// The 20 rounds (ten column-then-diagonal double rounds) on a working state of words W: uint32_t
// for one block, v4u for four blocks in lanes.
template <class W>
static inline void chacha20_rounds(W x[16]) {
  for (int i = 0; i < 10; i++) {
    QR(x[0], x[4], x[8], x[12]);
    QR(x[1], x[5], x[9], x[13]);
    QR(x[2], x[6], x[10], x[14]);
    QR(x[3], x[7], x[11], x[15]);
    QR(x[0], x[5], x[10], x[15]);
    QR(x[1], x[6], x[11], x[12]);
    QR(x[2], x[7], x[8], x[13]);
    QR(x[3], x[4], x[9], x[14]);
  }
}

void chacha20_block(const uint32_t in[16], uint8_t out[64]) {
  uint32_t x[16];
  for (int i = 0; i < 16; i++) x[i] = in[i];
  chacha20_rounds(x);
  for (int i = 0; i < 16; i++) {
    uint32_t v = x[i] + in[i];
    out[4 * i + 0] = static_cast<uint8_t>(v);
    out[4 * i + 1] = static_cast<uint8_t>(v >> 8);
    out[4 * i + 2] = static_cast<uint8_t>(v >> 16);
    out[4 * i + 3] = static_cast<uint8_t>(v >> 24);
  }
}

void os_random(uint8_t* out, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t r = getrandom(out + done, len - done, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    done += static_cast<size_t>(r);
  }
  if (done == len) return;
  FILE* f = std::fopen("/dev/urandom", "rb");
  if (!f) throw RuntimeError("cannot obtain OS randomness (getrandom and /dev/urandom failed)");
  size_t got = std::fread(out + done, 1, len - done, f);
  std::fclose(f);
  if (got != len - done) throw RuntimeError("cannot obtain OS randomness (short read from /dev/urandom)");
}

Seed os_seed() {
  Seed s;
  os_random(s.data(), s.size());
  return s;
}

static uint32_t load32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}

Csprng::Csprng(const Seed& key, uint64_t stream) {
  state_[0] = 0x61707865;
  state_[1] = 0x3320646e;
  state_[2] = 0x79622d32;
  state_[3] = 0x6b206574;
  for (int i = 0; i < 8; i++) state_[4 + i] = load32(key.data() + 4 * i);
  state_[12] = 0;
  state_[13] = 0;
  state_[14] = static_cast<uint32_t>(stream);
  state_[15] = static_cast<uint32_t>(stream >> 32);
  pos_ = kBuf;
}

// Four consecutive blocks at once: lane b of every vector belongs to block (counter + b). Same
// output as four chacha20_block calls (checked by the stream test against the block function).
static void chacha20_blocks4(uint32_t st[16], uint8_t* out) {
  v4u in[16];
  for (int i = 0; i < 16; i++) in[i] = v4u{st[i], st[i], st[i], st[i]};
  // per-lane 64-bit counter in words 12-13
  for (uint32_t b = 0; b < 4; b++) {
    uint64_t ctr = (uint64_t(st[13]) << 32 | st[12]) + b;
    in[12][b] = static_cast<uint32_t>(ctr);
    in[13][b] = static_cast<uint32_t>(ctr >> 32);
  }
  v4u x[16];
  for (int i = 0; i < 16; i++) x[i] = in[i];
  chacha20_rounds(x);
  for (int i = 0; i < 16; i++) x[i] += in[i];
  for (uint32_t b = 0; b < 4; b++) {
    for (int i = 0; i < 16; i++) {
      uint32_t v = x[i][b];
      uint8_t* o = out + 64 * b + 4 * i;
      o[0] = static_cast<uint8_t>(v);
      o[1] = static_cast<uint8_t>(v >> 8);
      o[2] = static_cast<uint8_t>(v >> 16);
      o[3] = static_cast<uint8_t>(v >> 24);
    }
  }
  uint64_t next = (uint64_t(st[13]) << 32 | st[12]) + 4;
  st[12] = static_cast<uint32_t>(next);
  st[13] = static_cast<uint32_t>(next >> 32);
}

void Csprng::refill() {
  static_assert(kBlocks % 4 == 0, "refill produces blocks four at a time");
  for (size_t b = 0; b < kBlocks; b += 4) chacha20_blocks4(state_, buf_ + 64 * b);
  pos_ = 0;
}

void Csprng::fill_bytes(uint8_t* out, size_t len) {
  while (len > 0) {
    if (pos_ >= kBuf) refill();
    size_t take = kBuf - pos_ < len ? kBuf - pos_ : len;
    std::memcpy(out, buf_ + pos_, take);
    pos_ += take;
    out += take;
    len -= take;
  }
}

void Csprng::fill_u64(uint64_t* out, size_t count) {
  for (size_t i = 0; i < count; i++) out[i] = next_u64();
}

double Csprng::next_normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  // u1 in (0, 1] so log(u1) is finite; u2 in [0, 1).
  double u1 = static_cast<double>((next_u64() >> 11) + 1) * 0x1p-53;
  double u2 = next_unit();
  double r = std::sqrt(-2.0 * std::log(u1));
  double t = 2.0 * M_PI * u2;
  spare_ = r * std::sin(t);
  has_spare_ = true;
  return r * std::cos(t);
}

uint64_t Csprng::next_torus_gaussian(double std) {
  if (std == 0.0) return 0;
  // x is the noise in units of the torus (fraction of q); reduce to [-1/2, 1/2) before scaling
  // so the conversion to a 64-bit integer never overflows, then round to the nearest integer.
  double x = next_normal() * std;
  x -= std::nearbyint(x);
  double scaled = std::nearbyint(x * 0x1p64);
  if (scaled >= 0x1p63) scaled -= 0x1p64;
  return static_cast<uint64_t>(static_cast<int64_t>(scaled));
}

}  // namespace fhec
