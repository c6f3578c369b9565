#include "serialize.hpp"

#include <algorithm>
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

uint32_t ld32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= uint32_t(p[i]) << (8 * i);
  return v;
}
uint64_t ld64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= uint64_t(p[i]) << (8 * i);
  return v;
}

/// Copies raw bytes into `base` at their offset (arrays are stored little-endian, as the host).
void copy_at(void* base, const uint8_t* src, size_t len, uint64_t offset) {
  std::memcpy(static_cast<uint8_t*>(base) + offset, src, len);
}

}  // namespace

// ---------------------------------------------------------------- ByteSource

ByteSource::Segment& ByteSource::owned_tail() {
  if (segs_.empty() || segs_.back().mode != Mode::Owned) segs_.push_back(Segment{Mode::Owned, {}, nullptr, 0});
  return segs_.back();
}
void ByteSource::bytes(const void* p, size_t n) {
  const uint8_t* b = static_cast<const uint8_t*>(p);
  Segment& s = owned_tail();
  s.owned.insert(s.owned.end(), b, b + n);
  s.len += n;
  size_ += n;
}
void ByteSource::u32(uint32_t v) {
  uint8_t b[4];
  for (int i = 0; i < 4; i++) b[i] = static_cast<uint8_t>(v >> (8 * i));
  bytes(b, 4);
}
void ByteSource::u64(uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = static_cast<uint8_t>(v >> (8 * i));
  bytes(b, 8);
}
void ByteSource::header(const char* kind, uint64_t hash) {
  bytes("FHEC", 4);
  bytes(kind, 4);
  u32(kFormatVersion);
  u32(0);
  u64(hash);
}
void ByteSource::view(const void* p, uint64_t n) {
  if (n == 0) return;
  segs_.push_back(Segment{Mode::View, {}, static_cast<const uint8_t*>(p), n});
  size_ += n;
}
void ByteSource::high32(const uint64_t* p, uint64_t count) {
  if (count == 0) return;
  segs_.push_back(Segment{Mode::High32, {}, reinterpret_cast<const uint8_t*>(p), count * 4});
  size_ += count * 4;
}

size_t ByteSource::read(uint8_t* dst, size_t max) {
  size_t done = 0;
  while (done < max && seg_ < segs_.size()) {
    const Segment& s = segs_[seg_];
    const size_t n = static_cast<size_t>(std::min<uint64_t>(max - done, s.len - seg_off_));
    switch (s.mode) {
      case Mode::Owned: std::memcpy(dst + done, s.owned.data() + seg_off_, n); break;
      case Mode::View: std::memcpy(dst + done, s.ptr + seg_off_, n); break;
      case Mode::High32: {
        const uint64_t* w = reinterpret_cast<const uint64_t*>(s.ptr);
        for (size_t i = 0; i < n; i++) {
          const uint64_t at = seg_off_ + i;
          dst[done + i] = static_cast<uint8_t>(w[at / 4] >> (32 + 8 * (at % 4)));
        }
        break;
      }
    }
    done += n;
    seg_off_ += n;
    if (seg_off_ == s.len) {
      seg_++;
      seg_off_ = 0;
    }
  }
  pos_ += done;
  return done;
}

std::vector<uint8_t> drain(ByteSource& src) {
  std::vector<uint8_t> out(static_cast<size_t>(src.size() - src.position()));
  size_t off = 0;
  while (off < out.size()) off += src.read(out.data() + off, out.size() - off);
  return out;
}

// The opening every parameter-bound stream shares: header of `kind`, then the parameter payload.
static std::unique_ptr<ByteSource> opened_with_params(const char* kind, const Params& p) {
  auto s = std::make_unique<ByteSource>();
  s->header(kind, p.hash());
  std::string pl = p.payload();
  s->bytes(pl.data(), pl.size());
  return s;
}

std::unique_ptr<ByteSource> params_source(const Params& p) { return opened_with_params("PARM", p); }

// An array as every key stream lays it out: its element count, then its bytes (viewed, not copied).
template <class Array>
static void counted(ByteSource& s, const Array& v) {
  s.u64(v.size());
  s.view(v.data(), v.size() * sizeof(*v.data()));
}

std::unique_ptr<ByteSource> secret_key_source(std::shared_ptr<const SecretKey> sk) {
  auto s = opened_with_params("SKEY", sk->params);
  counted(*s, sk->lwe);
  counted(*s, sk->glwe);
  s->keep = sk;
  return s;
}

std::unique_ptr<ByteSource> seeded_eval_keys_source(std::shared_ptr<const SeededEvalKeys> k) {
  auto s = opened_with_params("SEVK", k->params);
  s->bytes(k->mask_seed.data(), k->mask_seed.size());
  s->u64(k->ksk_bodies.size());
  if (k->params.ksk_compact()) {
    s->high32(k->ksk_bodies.data(), k->ksk_bodies.size());
  } else {
    s->view(k->ksk_bodies.data(), k->ksk_bodies.size() * 8);
  }
  counted(*s, k->bsk_bodies);
  s->keep = k;
  return s;
}

std::unique_ptr<ByteSource> eval_keys_source(std::shared_ptr<const EvalKeys> k) {
  auto s = opened_with_params("EVKS", k->params);
  if (k->params.ksk_compact()) {
    counted(*s, k->ksk32);
  } else {
    counted(*s, k->ksk);
  }
  counted(*s, k->bsk);
  s->keep = k;
  return s;
}

std::unique_ptr<ByteSource> ciphertexts_source(uint64_t param_hash, uint64_t dimension, const std::vector<uint64_t>& shape,
                                               const uint64_t* words, uint64_t word_count) {
  auto s = std::make_unique<ByteSource>();
  s->header("CTXT", param_hash);
  s->u64(dimension);
  s->u32(static_cast<uint32_t>(shape.size()));
  for (uint64_t d : shape) s->u64(d);
  s->u64(word_count);
  s->view(words, word_count * 8);
  return s;
}

std::vector<uint8_t> serialize_params(const Params& p) { return drain(*params_source(p)); }

// ---------------------------------------------------------------- ArtifactParser

ArtifactParser::ArtifactParser(const char* what, const char* kind, const uint64_t* expected_hash) : what_(what) {
  if (expected_hash) {
    has_expected_ = true;
    expected_ = *expected_hash;
  }
  field(24, "header", [this, kind](const uint8_t* d) {
    if (std::memcmp(d, "FHEC", 4) != 0) error("bad magic (not a fhec artifact)");
    if (std::memcmp(d + 4, kind, 4) != 0) {
      const char* other = kind_name(reinterpret_cast<const char*>(d + 4));
      error(std::string("expected a ") + kind_name(kind) + " artifact but got " +
            (other ? std::string("a ") + other + " artifact" : std::string("an unknown artifact kind")));
    }
    const uint32_t ver = ld32(d + 8);
    if (ver != kFormatVersion)
      error("unsupported format version " + std::to_string(ver) + " (this runtime reads version " +
            std::to_string(kFormatVersion) + ")");
    if (ld32(d + 12) != 0) error("reserved header field must be 0");
    header_hash_ = ld64(d + 16);
  });
}

void ArtifactParser::error(const std::string& why) const { throw RuntimeError(std::string(what_) + ": " + why); }

void ArtifactParser::check_room(uint64_t bytes, const char* name) const {
  if (total_ != UINT64_MAX && bytes > total_ - std::min(total_, pos_))
    throw RuntimeError(std::string(what_) + " is truncated: " + name + " needs " + std::to_string(bytes) +
                       " bytes at offset " + std::to_string(pos_) + " but the input is only " +
                       std::to_string(total_) + " bytes");
}

void ArtifactParser::field(size_t n, const char* name, Scalar on) {
  Step s{n, name, std::move(on), nullptr, nullptr};
  if (staging_) staged_.push_back(std::move(s));
  else steps_.push_back(std::move(s));
}

void ArtifactParser::bulk(uint64_t n, const char* name, Sink sink, std::function<void()> done) {
  Step s{n, name, nullptr, std::move(sink), std::move(done)};
  if (staging_) staged_.push_back(std::move(s));
  else steps_.push_back(std::move(s));
}

void ArtifactParser::counted(uint64_t expected, const char* name) {
  field(8, name, [this, expected, name](const uint8_t* d) {
    const uint64_t n = ld64(d);
    if (n != expected)
      error(std::string(name) + " has length " + std::to_string(n) + ", expected " + std::to_string(expected) +
            " for these parameters");
  });
}

void ArtifactParser::params_field(std::function<void(const Params&)> on) {
  field(Params::kPayloadBytes, "parameters", [this, on](const uint8_t* d) {
    Params prm = Params::from_payload(d);
    if (prm.hash() != header_hash_)
      error("parameter hash in header (" + hex(header_hash_) + ") does not match the embedded parameters (" +
            hex(prm.hash()) + ")");
    if (has_expected_ && expected_ != header_hash_)
      error("parameter hash mismatch: artifact was made for parameters " + hex(header_hash_) + " but " +
            hex(expected_) + " were expected");
    prm.validate();
    on(prm);
  });
}

void ArtifactParser::complete_front() {
  Step s = std::move(steps_.front());
  steps_.pop_front();
  step_off_ = 0;
  staging_ = true;
  staged_.clear();
  try {
    if (s.scalar) s.scalar(buf_.data());
    if (s.done) s.done();
  } catch (...) {
    staging_ = false;
    steps_.clear();  // a failed parser accepts nothing more
    throw;
  }
  staging_ = false;
  steps_.insert(steps_.begin(), std::make_move_iterator(staged_.begin()), std::make_move_iterator(staged_.end()));
  staged_.clear();
  buf_.clear();
}

void ArtifactParser::push(const uint8_t* data, size_t len) {
  size_t i = 0;
  for (;;) {
    // Zero-length steps (empty arrays) complete without input.
    while (!steps_.empty() && steps_.front().len == 0) complete_front();
    if (i == len) return;
    if (steps_.empty())
      throw RuntimeError(std::string(what_) + " has unexpected trailing bytes (at offset " + std::to_string(pos_) + ")");
    Step& s = steps_.front();
    const size_t n = static_cast<size_t>(std::min<uint64_t>(len - i, s.len - step_off_));
    if (s.scalar) {
      buf_.insert(buf_.end(), data + i, data + i + n);
    } else {
      try {
        s.sink(data + i, n, step_off_);
      } catch (...) {
        steps_.clear();
        throw;
      }
    }
    i += n;
    pos_ += n;
    step_off_ += n;
    if (step_off_ == s.len) complete_front();
  }
}

void ArtifactParser::finish() {
  while (!steps_.empty() && steps_.front().len == 0) complete_front();
  if (!steps_.empty()) {
    const Step& s = steps_.front();
    throw RuntimeError(std::string(what_) + " is truncated: " + s.name + " needs " + std::to_string(s.len) +
                       " bytes at offset " + std::to_string(pos_ - step_off_) + " but only " +
                       std::to_string(step_off_) + " remain");
  }
}

// ---------------------------------------------------------------- parsers per kind

namespace {

class ParamsParser : public ArtifactParser {
 public:
  ParamsParser() : ArtifactParser("parameters", "PARM", nullptr) {
    params_field([this](const Params& p) { result = p; });
  }
  Params result;
};

class SecretKeyParser : public ArtifactParser {
 public:
  explicit SecretKeyParser(const uint64_t* h) : ArtifactParser("secret key", "SKEY", h), key(std::make_shared<SecretKey>()) {
    params_field([this](const Params& p) {
      key->params = p;
      bits(key->lwe, p.lwe_dimension, "LWE key");
      bits(key->glwe, p.big_dimension(), "GLWE key");
    });
  }
  std::shared_ptr<SecretKey> key;
  uint64_t held_bytes() const override { return ArtifactParser::held_bytes() + key_bytes(*key); }

 private:
  void bits(std::vector<uint8_t>& v, size_t n, const char* name) {
    counted(n, name);
    bulk(n, name, [this, &v, n, name](const uint8_t* d, size_t len, uint64_t off) {
      if (v.size() != n) v.resize(n);
      for (size_t i = 0; i < len; i++)
        if (d[i] > 1) error(std::string(name) + " contains a non-binary value");
      copy_at(v.data(), d, len, off);
    });
  }
};

/// Seeded keys; with `expand`, the keys are expanded as they arrive instead: the keyswitching
/// key once its bodies are in, the bootstrapping key a batch of GGSW entries at a time, straight
/// into the final Fourier layout. The seeded bodies are then never held whole.
class SeededKeysParser : public ArtifactParser {
 public:
  SeededKeysParser(const uint64_t* h, bool expand)
      : ArtifactParser("seeded evaluation keys", "SEVK", h), keys(std::make_shared<SeededEvalKeys>()), expand_(expand) {
    params_field([this](const Params& p) {
      keys->params = p;
      field(32, "mask seed", [this](const uint8_t* d) { std::memcpy(keys->mask_seed.data(), d, 32); });
      const uint64_t ksk_n = p.big_dimension() * p.ks_level;
      const size_t kw = p.ksk_word_bytes();
      counted(ksk_n, "keyswitching key bodies");
      bulk(
          ksk_n * kw, "keyswitching key bodies",
          [this, ksk_n, kw](const uint8_t* d, size_t len, uint64_t off) {
            if (keys->ksk_bodies.empty()) {
              check_room(ksk_n * kw - off, "keyswitching key bodies");
              keys->ksk_bodies.assign(ksk_n, 0);
            }
            if (kw == 8) return copy_at(keys->ksk_bodies.data(), d, len, off);
            // Compact bodies are the top 32 bits of each word (low half zero).
            uint8_t* w = reinterpret_cast<uint8_t*>(keys->ksk_bodies.data());
            for (size_t i = 0; i < len; i++) {
              const uint64_t at = off + i;
              w[(at / 4) * 8 + 4 + at % 4] = d[i];
            }
          },
          [this] {
            if (!expand_) return;
            check_room(keys->params.bsk_rows() * keys->params.polynomial_size * 8 + 8, "bootstrapping key bodies");
            expanded = allocate_eval_keys(keys->params);
            expand_ksk(keys->mask_seed, keys->ksk_bodies.data(), *expanded);
            std::vector<uint64_t>().swap(keys->ksk_bodies);
          });
      const uint64_t bsk_n = p.bsk_rows() * p.polynomial_size;
      counted(bsk_n, "bootstrapping key bodies");
      if (expand_) return expanding_bsk(p);
      bulk(bsk_n * 8, "bootstrapping key bodies", [this, bsk_n](const uint8_t* d, size_t len, uint64_t off) {
        if (keys->bsk_bodies.empty()) {
          check_room(bsk_n * 8 - off, "bootstrapping key bodies");
          keys->bsk_bodies.resize(bsk_n);
        }
        copy_at(keys->bsk_bodies.data(), d, len, off);
      });
    });
  }
  std::shared_ptr<SeededEvalKeys> keys;
  std::shared_ptr<EvalKeys> expanded;
  uint64_t held_bytes() const override {
    return ArtifactParser::held_bytes() + key_bytes(*keys) + (expanded ? key_bytes(*expanded) : 0) + pending_.capacity() * 8;
  }

 private:
  void expanding_bsk(const Params& p) {
    const uint64_t entry = uint64_t(p.bsk_rows() / p.ggsw_count()) * p.polynomial_size * 8;  // bytes of one GGSW
    const uint64_t batch = std::max<uint64_t>(1, std::min<uint64_t>(p.ggsw_count(), (uint64_t(64) << 20) / entry));
    bulk(
        p.bsk_rows() * p.polynomial_size * 8, "bootstrapping key bodies",
        [this, entry, batch](const uint8_t* d, size_t len, uint64_t off) {
          if (pending_.empty()) pending_.resize(batch * entry / 8);
          while (len > 0) {
            const uint64_t at = off - flushed_ * entry;  // offset inside the current batch
            const size_t n = static_cast<size_t>(std::min<uint64_t>(len, batch * entry - at));
            copy_at(pending_.data(), d, n, at);
            d += n;
            len -= n;
            off += n;
            if (at + n == batch * entry) flush(batch);
          }
        },
        [this, entry] {
          const uint64_t done = keys->params.ggsw_count() - flushed_;
          if (done > 0) flush(done);
          std::vector<uint64_t>().swap(pending_);
          (void)entry;
        });
  }
  void flush(uint64_t count) {
    expand_bsk_entries(keys->mask_seed, flushed_, count, pending_.data(), *expanded);
    flushed_ += count;
  }
  bool expand_;
  std::vector<uint64_t> pending_;  // bodies of the GGSW entries not yet expanded
  uint64_t flushed_ = 0;           // GGSW entries expanded so far
};

class EvalKeysParser : public ArtifactParser {
 public:
  explicit EvalKeysParser(const uint64_t* h) : ArtifactParser("evaluation keys", "EVKS", h), keys(std::make_shared<EvalKeys>()) {
    params_field([this](const Params& p) {
      keys->params = p;
      const size_t kw = p.ksk_word_bytes();
      counted(p.ksk_len(), "keyswitching key");
      bulk(p.ksk_len() * kw, "keyswitching key", [this, kw](const uint8_t* d, size_t len, uint64_t off) {
        const Params& q = keys->params;
        if (off == 0) check_room(q.ksk_len() * kw, "keyswitching key");
        if (kw == 4) {
          if (keys->ksk32.empty()) keys->ksk32.resize(q.ksk_len());
          copy_at(keys->ksk32.data(), d, len, off);
        } else {
          if (keys->ksk.empty()) keys->ksk.resize(q.ksk_len());
          copy_at(keys->ksk.data(), d, len, off);
        }
      });
      counted(p.bsk_len(), "bootstrapping key");
      bulk(
          p.bsk_len() * 8, "bootstrapping key",
          [this](const uint8_t* d, size_t len, uint64_t off) {
            if (keys->bsk.empty()) {
              check_room(keys->params.bsk_len() * 8 - off, "bootstrapping key");
              keys->bsk.resize(keys->params.bsk_len());
            }
            copy_at(keys->bsk.data(), d, len, off);
          },
          [this] {
            for (double v : keys->bsk)
              if (!std::isfinite(v)) error("bootstrapping key contains a non-finite value");
          });
    });
  }
  std::shared_ptr<EvalKeys> keys;
  uint64_t held_bytes() const override { return ArtifactParser::held_bytes() + key_bytes(*keys); }
};

class CiphertextsParser : public ArtifactParser {
 public:
  CiphertextsParser(const uint64_t* h, std::function<uint64_t*(size_t)> alloc)
      : ArtifactParser("ciphertext tensor", "CTXT", nullptr), alloc_(std::move(alloc)) {
    if (h) {
      has_expected_ = true;
      expected_ = *h;
    }
    // The header hash is checked as soon as the header is in (no embedded parameters here).
    field(0, "header", [this](const uint8_t*) {
      t.param_hash = header_hash_;
      if (has_expected_ && expected_ != header_hash_)
        error("parameter hash mismatch: artifact was made for parameters " + hex(header_hash_) + " but " +
              hex(expected_) + " were expected");
    });
    field(8, "dimension", [this](const uint8_t* d) {
      t.dimension = ld64(d);
      if (t.dimension == 0 || t.dimension > 262144)
        error("dimension " + std::to_string(t.dimension) + " is out of range");
    });
    field(4, "rank", [this](const uint8_t* d) {
      const uint32_t rank = ld32(d);
      if (rank > 16) error("rank " + std::to_string(rank) + " is too large (max 16)");
      for (uint32_t i = 0; i < rank; i++)
        field(8, "shape", [this](const uint8_t* s) {
          t.shape.push_back(ld64(s));
          count_ *= t.shape.back();
          if (count_ > (uint64_t(1) << 40)) error("shape has too many elements");
        });
      field(0, "shape", [this](const uint8_t*) {
        const unsigned __int128 words = count_ * (t.dimension + 1);
        words_ = static_cast<uint64_t>(words);
        check_room(words_ * 8, "shape");
        counted(words_, "ciphertext data");
        bulk(words_ * 8, "ciphertext data", [this](const uint8_t* d, size_t len, uint64_t off) {
          if (!dst_) dst_ = alloc_ ? alloc_(static_cast<size_t>(words_)) : default_alloc();
          copy_at(dst_, d, len, off);
        });
      });
    });
  }
  CiphertextTensor t;
  // Words written into a caller's array are that array's memory, not the parser's.
  uint64_t held_bytes() const override { return ArtifactParser::held_bytes() + t.data.capacity() * 8; }

 private:
  uint64_t* default_alloc() {
    t.data.resize(static_cast<size_t>(words_));
    return t.data.data();
  }
  std::function<uint64_t*(size_t)> alloc_;
  unsigned __int128 count_ = 1;
  uint64_t words_ = 0;
  uint64_t* dst_ = nullptr;
};

template <typename T>
T& finished(ArtifactParser& p, const char* what) {
  auto* q = dynamic_cast<T*>(&p);
  if (!q) throw RuntimeError(std::string("internal error: not a ") + what + " parser");
  p.finish();
  return *q;
}

}  // namespace

uint64_t key_bytes(const SecretKey& k) { return k.lwe.size() + k.glwe.size(); }
uint64_t key_bytes(const SeededEvalKeys& k) { return k.ksk_bodies.capacity() * 8 + k.bsk_bodies.capacity() * 8; }
uint64_t key_bytes(const EvalKeys& k) { return k.ksk.size() * 8 + k.ksk32.size() * 4 + k.bsk.size() * 8; }

std::unique_ptr<ArtifactParser> params_parser() { return std::make_unique<ParamsParser>(); }
std::unique_ptr<ArtifactParser> secret_key_parser(const uint64_t* h) { return std::make_unique<SecretKeyParser>(h); }
std::unique_ptr<ArtifactParser> seeded_eval_keys_parser(const uint64_t* h) { return std::make_unique<SeededKeysParser>(h, false); }
std::unique_ptr<ArtifactParser> expanding_seeded_keys_parser(const uint64_t* h) {
  return std::make_unique<SeededKeysParser>(h, true);
}
std::unique_ptr<ArtifactParser> eval_keys_parser(const uint64_t* h) { return std::make_unique<EvalKeysParser>(h); }
std::unique_ptr<ArtifactParser> ciphertexts_parser(const uint64_t* h, std::function<uint64_t*(size_t)> alloc) {
  return std::make_unique<CiphertextsParser>(h, std::move(alloc));
}

Params parsed_params(ArtifactParser& p) { return finished<ParamsParser>(p, "parameters").result; }
std::shared_ptr<SecretKey> parsed_secret_key(ArtifactParser& p) { return finished<SecretKeyParser>(p, "secret key").key; }
std::shared_ptr<SeededEvalKeys> parsed_seeded_eval_keys(ArtifactParser& p) {
  auto& q = finished<SeededKeysParser>(p, "seeded keys");
  if (q.expanded) throw RuntimeError("internal error: these seeded keys were expanded while read");
  return q.keys;
}
std::shared_ptr<EvalKeys> parsed_eval_keys(ArtifactParser& p) {
  if (auto* s = dynamic_cast<SeededKeysParser*>(&p)) {
    p.finish();
    if (!s->expanded) throw RuntimeError("internal error: seeded keys were parsed without expanding them");
    return s->expanded;
  }
  return finished<EvalKeysParser>(p, "evaluation keys").keys;
}
CiphertextTensor parsed_ciphertexts(ArtifactParser& p) {
  auto& q = finished<CiphertextsParser>(p, "ciphertext");
  return std::move(q.t);
}

// ---------------------------------------------------------------- whole-buffer forms

namespace {
ArtifactParser& fed(ArtifactParser& p, const uint8_t* data, size_t len) {
  p.set_total(len);
  p.push(data, len);
  return p;
}
}  // namespace

Params deserialize_params(const uint8_t* data, size_t len) { return parsed_params(fed(*params_parser(), data, len)); }
std::shared_ptr<SecretKey> deserialize_secret_key(const uint8_t* data, size_t len, const uint64_t* h) {
  return parsed_secret_key(fed(*secret_key_parser(h), data, len));
}
std::shared_ptr<SeededEvalKeys> deserialize_seeded_eval_keys(const uint8_t* data, size_t len, const uint64_t* h) {
  return parsed_seeded_eval_keys(fed(*seeded_eval_keys_parser(h), data, len));
}
std::shared_ptr<EvalKeys> deserialize_eval_keys(const uint8_t* data, size_t len, const uint64_t* h) {
  return parsed_eval_keys(fed(*eval_keys_parser(h), data, len));
}
CiphertextTensor deserialize_ciphertexts(const uint8_t* data, size_t len, const uint64_t* h) {
  return parsed_ciphertexts(fed(*ciphertexts_parser(h), data, len));
}

}  // namespace fhec
