#include "serialize.hpp"

#include <cmath>
#include <cstring>
#include <sstream>

namespace fhec {
namespace {

const char* kind_name(const char* kind) {
  if (!std::memcmp(kind, "PARM", 4)) return "parameters";
  if (!std::memcmp(kind, "SKEY", 4)) return "secret key";
  if (!std::memcmp(kind, "SEVK", 4)) return "seeded evaluation keys";
  if (!std::memcmp(kind, "EVKS", 4)) return "evaluation keys";
  if (!std::memcmp(kind, "CTXT", 4)) return "ciphertext tensor";
  return nullptr;
}

std::string hex(uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

class Writer {
 public:
  void bytes(const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; i++) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; i++) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u64s(const uint64_t* p, size_t n) {  // little-endian host (x86-64)
    bytes(p, n * 8);
  }
  void header(const char* kind, uint64_t hash) {
    bytes("FHEC", 4);
    bytes(kind, 4);
    u32(kFormatVersion);
    u32(0);
    u64(hash);
  }
  std::vector<uint8_t> out;
};

class Reader {
 public:
  Reader(const uint8_t* d, size_t n, const char* what) : d_(d), n_(n), what_(what) {}
  void need(size_t bytes, const char* field) {
    if (bytes > n_ - pos_)
      throw RuntimeError(std::string(what_) + " is truncated: " + field + " needs " + std::to_string(bytes) +
                         " bytes at offset " + std::to_string(pos_) + " but only " + std::to_string(n_ - pos_) +
                         " remain");
  }
  uint32_t u32(const char* field) {
    need(4, field);
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= uint32_t(d_[pos_ + i]) << (8 * i);
    pos_ += 4;
    return v;
  }
  uint64_t u64(const char* field) {
    need(8, field);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= uint64_t(d_[pos_ + i]) << (8 * i);
    pos_ += 8;
    return v;
  }
  const uint8_t* take(size_t bytes, const char* field) {
    need(bytes, field);
    const uint8_t* p = d_ + pos_;
    pos_ += bytes;
    return p;
  }
  /// Reads a u64 element count that must equal `expected`, then checks the data is present.
  void counted(size_t expected, size_t elem_bytes, const char* field) {
    uint64_t n = u64(field);
    if (n != expected)
      throw RuntimeError(std::string(what_) + ": " + field + " has length " + std::to_string(n) + ", expected " +
                         std::to_string(expected) + " for these parameters");
    need(expected * elem_bytes, field);
  }
  void finish() {
    if (pos_ != n_)
      throw RuntimeError(std::string(what_) + " has " + std::to_string(n_ - pos_) + " unexpected trailing bytes");
  }
  /// Checks magic, kind and version; returns the parameter hash of the header.
  uint64_t header(const char* kind) {
    need(24, "header");
    if (std::memcmp(d_, "FHEC", 4) != 0)
      throw RuntimeError(std::string(what_) + ": bad magic (not a fhec artifact)");
    if (std::memcmp(d_ + 4, kind, 4) != 0) {
      const char* other = kind_name(reinterpret_cast<const char*>(d_ + 4));
      throw RuntimeError(std::string(what_) + ": expected a " + kind_name(kind) + " artifact but got " +
                         (other ? std::string("a ") + other + " artifact" : std::string("an unknown artifact kind")));
    }
    pos_ = 8;
    uint32_t ver = u32("version");
    if (ver != kFormatVersion)
      throw RuntimeError(std::string(what_) + ": unsupported format version " + std::to_string(ver) +
                         " (this runtime reads version " + std::to_string(kFormatVersion) + ")");
    uint32_t reserved = u32("reserved");
    if (reserved != 0) throw RuntimeError(std::string(what_) + ": reserved header field must be 0");
    return u64("parameter hash");
  }
  Params params(uint64_t header_hash, const uint64_t* expected_hash) {
    const uint8_t* p = take(Params::kPayloadBytes, "parameters");
    Params prm = Params::from_payload(p);
    if (prm.hash() != header_hash)
      throw RuntimeError(std::string(what_) + ": parameter hash in header (" + hex(header_hash) +
                         ") does not match the embedded parameters (" + hex(prm.hash()) + ")");
    check_hash(header_hash, expected_hash);
    prm.validate();
    return prm;
  }
  void check_hash(uint64_t got, const uint64_t* expected) {
    if (expected && *expected != got)
      throw RuntimeError(std::string(what_) + ": parameter hash mismatch: artifact was made for parameters " +
                         hex(got) + " but " + hex(*expected) + " were expected");
  }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t pos_ = 0;
  const char* what_;
};

void read_u64s(const uint8_t* src, uint64_t* dst, size_t n) { std::memcpy(dst, src, n * 8); }

}  // namespace

std::vector<uint8_t> serialize_params(const Params& p) {
  Writer w;
  w.header("PARM", p.hash());
  std::string pl = p.payload();
  w.bytes(pl.data(), pl.size());
  return w.out;
}

Params deserialize_params(const uint8_t* data, size_t len) {
  Reader r(data, len, "parameters");
  uint64_t h = r.header("PARM");
  Params p = r.params(h, nullptr);
  r.finish();
  return p;
}

std::vector<uint8_t> serialize_secret_key(const SecretKey& sk) {
  Writer w;
  w.header("SKEY", sk.params.hash());
  std::string pl = sk.params.payload();
  w.bytes(pl.data(), pl.size());
  w.u64(sk.lwe.size());
  w.bytes(sk.lwe.data(), sk.lwe.size());
  w.u64(sk.glwe.size());
  w.bytes(sk.glwe.data(), sk.glwe.size());
  return w.out;
}

std::shared_ptr<SecretKey> deserialize_secret_key(const uint8_t* data, size_t len, const uint64_t* expected_hash) {
  Reader r(data, len, "secret key");
  uint64_t h = r.header("SKEY");
  auto sk = std::make_shared<SecretKey>();
  sk->params = r.params(h, expected_hash);
  auto bits = [&](std::vector<uint8_t>& v, size_t n, const char* field) {
    r.counted(n, 1, field);
    const uint8_t* p = r.take(n, field);
    for (size_t i = 0; i < n; i++)
      if (p[i] > 1) throw RuntimeError(std::string("secret key: ") + field + " contains a non-binary value");
    v.assign(p, p + n);
  };
  bits(sk->lwe, sk->params.lwe_dimension, "LWE key");
  bits(sk->glwe, sk->params.big_dimension(), "GLWE key");
  r.finish();
  return sk;
}

std::vector<uint8_t> serialize_seeded_eval_keys(const SeededEvalKeys& k) {
  Writer w;
  w.header("SEVK", k.params.hash());
  std::string pl = k.params.payload();
  w.bytes(pl.data(), pl.size());
  w.bytes(k.mask_seed.data(), k.mask_seed.size());
  w.u64(k.ksk_bodies.size());
  if (k.params.ksk_compact()) {
    for (uint64_t b : k.ksk_bodies) w.u32(static_cast<uint32_t>(b >> 32));
  } else {
    w.u64s(k.ksk_bodies.data(), k.ksk_bodies.size());
  }
  w.u64(k.bsk_bodies.size());
  w.u64s(k.bsk_bodies.data(), k.bsk_bodies.size());
  return w.out;
}

std::shared_ptr<SeededEvalKeys> deserialize_seeded_eval_keys(const uint8_t* data, size_t len,
                                                             const uint64_t* expected_hash) {
  Reader r(data, len, "seeded evaluation keys");
  uint64_t h = r.header("SEVK");
  auto k = std::make_shared<SeededEvalKeys>();
  k->params = r.params(h, expected_hash);
  const Params& p = k->params;
  std::memcpy(k->mask_seed.data(), r.take(32, "mask seed"), 32);
  size_t ksk_n = p.big_dimension() * p.ks_level;
  const size_t kw = p.ksk_word_bytes();
  r.counted(ksk_n, kw, "keyswitching key bodies");
  k->ksk_bodies.resize(ksk_n);
  const uint8_t* kb = r.take(ksk_n * kw, "keyswitching key bodies");
  if (kw == 4) {
    for (size_t i = 0; i < ksk_n; i++) {
      uint32_t v;
      std::memcpy(&v, kb + 4 * i, 4);
      k->ksk_bodies[i] = uint64_t(v) << 32;
    }
  } else {
    read_u64s(kb, k->ksk_bodies.data(), ksk_n);
  }
  size_t bsk_n = p.bsk_rows() * p.polynomial_size;
  r.counted(bsk_n, 8, "bootstrapping key bodies");
  k->bsk_bodies.resize(bsk_n);
  read_u64s(r.take(bsk_n * 8, "bootstrapping key bodies"), k->bsk_bodies.data(), bsk_n);
  r.finish();
  return k;
}

std::vector<uint8_t> serialize_eval_keys(const EvalKeys& k) {
  Writer w;
  w.header("EVKS", k.params.hash());
  std::string pl = k.params.payload();
  w.bytes(pl.data(), pl.size());
  if (k.params.ksk_compact()) {
    w.u64(k.ksk32.size());
    w.bytes(k.ksk32.data(), k.ksk32.size() * 4);
  } else {
    w.u64(k.ksk.size());
    w.u64s(k.ksk.data(), k.ksk.size());
  }
  w.u64(k.bsk.size());
  w.bytes(k.bsk.data(), k.bsk.size() * 8);
  return w.out;
}

std::shared_ptr<EvalKeys> deserialize_eval_keys(const uint8_t* data, size_t len, const uint64_t* expected_hash) {
  Reader r(data, len, "evaluation keys");
  uint64_t h = r.header("EVKS");
  auto k = std::make_shared<EvalKeys>();
  k->params = r.params(h, expected_hash);
  const Params& p = k->params;
  const size_t kw = p.ksk_word_bytes();
  r.counted(p.ksk_len(), kw, "keyswitching key");
  const uint8_t* kb = r.take(p.ksk_len() * kw, "keyswitching key");
  if (kw == 4) {
    k->ksk32.resize(p.ksk_len());
    std::memcpy(k->ksk32.data(), kb, p.ksk_len() * 4);
  } else {
    k->ksk.resize(p.ksk_len());
    read_u64s(kb, k->ksk.data(), p.ksk_len());
  }
  r.counted(p.bsk_len(), 8, "bootstrapping key");
  k->bsk.resize(p.bsk_len());
  std::memcpy(k->bsk.data(), r.take(p.bsk_len() * 8, "bootstrapping key"), p.bsk_len() * 8);
  for (double v : k->bsk)
    if (!std::isfinite(v)) throw RuntimeError("evaluation keys: bootstrapping key contains a non-finite value");
  r.finish();
  return k;
}

std::vector<uint8_t> serialize_ciphertexts(uint64_t param_hash, uint64_t dimension, const std::vector<uint64_t>& shape,
                                           const uint64_t* words, size_t word_count) {
  Writer w;
  w.header("CTXT", param_hash);
  w.u64(dimension);
  w.u32(static_cast<uint32_t>(shape.size()));
  for (uint64_t s : shape) w.u64(s);
  w.u64(word_count);
  w.u64s(words, word_count);
  return w.out;
}

CiphertextTensor deserialize_ciphertexts(const uint8_t* data, size_t len, const uint64_t* expected_hash) {
  Reader r(data, len, "ciphertext tensor");
  CiphertextTensor t;
  t.param_hash = r.header("CTXT");
  r.check_hash(t.param_hash, expected_hash);
  t.dimension = r.u64("dimension");
  if (t.dimension == 0 || t.dimension > 262144)
    throw RuntimeError("ciphertext tensor: dimension " + std::to_string(t.dimension) + " is out of range");
  uint32_t rank = r.u32("rank");
  if (rank > 16) throw RuntimeError("ciphertext tensor: rank " + std::to_string(rank) + " is too large (max 16)");
  unsigned __int128 count = 1;
  for (uint32_t i = 0; i < rank; i++) {
    uint64_t s = r.u64("shape");
    t.shape.push_back(s);
    count *= s;
    if (count > (uint64_t(1) << 40))
      throw RuntimeError("ciphertext tensor: shape has too many elements");
  }
  unsigned __int128 words = count * (t.dimension + 1);
  if (words > (len / 8) + 1)
    throw RuntimeError("ciphertext tensor is truncated: shape needs " + std::to_string(uint64_t(words)) +
                       " words but the input is only " + std::to_string(len) + " bytes");
  r.counted(static_cast<size_t>(words), 8, "ciphertext data");
  t.data.resize(static_cast<size_t>(words));
  read_u64s(r.take(t.data.size() * 8, "ciphertext data"), t.data.data(), t.data.size());
  r.finish();
  return t;
}

}  // namespace fhec
