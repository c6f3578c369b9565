// Binary formats. Every artifact: "FHEC" | kind (4 bytes) | u32 version | u32 reserved (0) |
// u64 parameter hash, then a kind-specific payload; all integers little-endian. Readers check
// every length against the parameters before allocating and reject trailing bytes.
//
// Artifacts of any size are written and read in chunks: a ByteSource emits the bytes of an
// object without ever building them in one array (it views the object's own arrays), and an
// ArtifactParser is fed chunks of any size and builds the object as they arrive. The whole-buffer
// functions below are these two run over one buffer, so each format is defined once per direction.
#pragma once
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tfhe.hpp"

namespace fhec {

constexpr uint32_t kFormatVersion = 2;  // 2: parameters carry the PBS grouping factor

struct CiphertextTensor {
  uint64_t param_hash = 0;
  uint64_t dimension = 0;
  std::vector<uint64_t> shape;
  std::vector<uint64_t> data;
};

/// The bytes of one artifact, produced on demand. Segments are small owned byte strings or views
/// of arrays owned by `keep` (the serialized object), so memory stays that of the object itself.
class ByteSource {
 public:
  uint64_t size() const { return size_; }
  uint64_t position() const { return pos_; }
  /// Copies the next min(max, remaining) bytes into dst and returns how many; 0 at the end.
  size_t read(uint8_t* dst, size_t max);

  // Building (used by the serializers).
  void bytes(const void* p, size_t n);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void header(const char* kind, uint64_t hash);
  /// A view of n bytes that must stay valid while this source lives (see `keep`).
  void view(const void* p, uint64_t n);
  /// count u64 words emitted as their top 32 bits (4 bytes each).
  void high32(const uint64_t* p, uint64_t count);
  std::shared_ptr<const void> keep;

 private:
  enum class Mode { Owned, View, High32 };
  struct Segment {
    Mode mode;
    std::vector<uint8_t> owned;
    const uint8_t* ptr = nullptr;
    uint64_t len = 0;
  };
  Segment& owned_tail();
  std::vector<Segment> segs_;
  size_t seg_ = 0;
  uint64_t seg_off_ = 0, size_ = 0, pos_ = 0;
};

std::unique_ptr<ByteSource> params_source(const Params& p);
std::unique_ptr<ByteSource> secret_key_source(std::shared_ptr<const SecretKey> sk);
std::unique_ptr<ByteSource> seeded_eval_keys_source(std::shared_ptr<const SeededEvalKeys> k);
std::unique_ptr<ByteSource> eval_keys_source(std::shared_ptr<const EvalKeys> k);
/// `words` must outlive the source (the caller keeps its owner alive through `keep`).
std::unique_ptr<ByteSource> ciphertexts_source(uint64_t param_hash, uint64_t dimension, const std::vector<uint64_t>& shape,
                                               const uint64_t* words, uint64_t word_count);
/// Drains a source into one vector (small artifacts and tests only).
std::vector<uint8_t> drain(ByteSource& src);

/// Incremental reader: push() chunks of any size (1 byte to gigabytes), then finish(). Steps are
/// fixed-size scalar fields (buffered, at most a few KiB) or bulk arrays copied straight into
/// their final place as bytes arrive. Every check of the whole-buffer reader happens as soon as
/// the bytes it needs have arrived; finish() reports a truncated input.
class ArtifactParser {
 public:
  virtual ~ArtifactParser() = default;
  void push(const uint8_t* data, size_t len);
  void finish();
  uint64_t consumed() const { return pos_; }
  /// Bytes of native memory the parser holds now (what it has built so far and its buffers): the
  /// addon reports them to the garbage collector as they grow, since a parser can hold whole keys.
  virtual uint64_t held_bytes() const { return buf_.capacity(); }
  /// Total input length when known in advance (a file size): claims beyond it fail at once,
  /// before anything is allocated.
  void set_total(uint64_t total) { total_ = total; }

 protected:
  ArtifactParser(const char* what, const char* kind, const uint64_t* expected_hash);
  using Scalar = std::function<void(const uint8_t*)>;
  using Sink = std::function<void(const uint8_t*, size_t len, uint64_t offset)>;
  void field(size_t n, const char* name, Scalar on);
  void bulk(uint64_t n, const char* name, Sink sink, std::function<void()> done = nullptr);
  /// u64 count that must equal `expected`; then the caller's bulk step follows.
  void counted(uint64_t expected, const char* name);
  /// Parameter payload after the header (checked against the header hash and the expected hash).
  void params_field(std::function<void(const Params&)> on);
  [[noreturn]] void error(const std::string& why) const;
  /// Throws if `bytes` more are announced than the known total can hold.
  void check_room(uint64_t bytes, const char* name) const;
  const char* what_;
  uint64_t header_hash_ = 0;
  bool has_expected_ = false;
  uint64_t expected_ = 0;

 private:
  struct Step {
    uint64_t len;
    const char* name;
    Scalar scalar;  // set for buffered fields
    Sink sink;      // set for bulk arrays
    std::function<void()> done;
  };
  void complete_front();
  std::deque<Step> steps_;
  std::vector<Step> staged_;
  bool staging_ = false;
  std::vector<uint8_t> buf_;
  uint64_t step_off_ = 0, pos_ = 0, total_ = UINT64_MAX;
};

/// Bytes of native memory each kind of key holds (what the addon reports to the garbage collector).
uint64_t key_bytes(const SecretKey& k);
uint64_t key_bytes(const SeededEvalKeys& k);
uint64_t key_bytes(const EvalKeys& k);

std::unique_ptr<ArtifactParser> params_parser();
std::unique_ptr<ArtifactParser> secret_key_parser(const uint64_t* expected_hash);
std::unique_ptr<ArtifactParser> seeded_eval_keys_parser(const uint64_t* expected_hash);
std::unique_ptr<ArtifactParser> eval_keys_parser(const uint64_t* expected_hash);
/// Reads seeded evaluation keys and expands them as they arrive (result: parsed_eval_keys).
std::unique_ptr<ArtifactParser> expanding_seeded_keys_parser(const uint64_t* expected_hash);
/// `alloc(words)` returns where the ciphertext words go (default: the tensor's own vector).
std::unique_ptr<ArtifactParser> ciphertexts_parser(const uint64_t* expected_hash,
                                                   std::function<uint64_t*(size_t)> alloc = nullptr);

/// Results of finished parsers (each throws if the parser is of another kind or unfinished).
Params parsed_params(ArtifactParser& p);
std::shared_ptr<SecretKey> parsed_secret_key(ArtifactParser& p);
std::shared_ptr<SeededEvalKeys> parsed_seeded_eval_keys(ArtifactParser& p);
std::shared_ptr<EvalKeys> parsed_eval_keys(ArtifactParser& p);
CiphertextTensor parsed_ciphertexts(ArtifactParser& p);

// Whole-buffer forms.
std::vector<uint8_t> serialize_params(const Params& p);
Params deserialize_params(const uint8_t* data, size_t len);
std::shared_ptr<SecretKey> deserialize_secret_key(const uint8_t* data, size_t len, const uint64_t* expected_hash);
std::shared_ptr<SeededEvalKeys> deserialize_seeded_eval_keys(const uint8_t* data, size_t len,
                                                             const uint64_t* expected_hash);
std::shared_ptr<EvalKeys> deserialize_eval_keys(const uint8_t* data, size_t len, const uint64_t* expected_hash);
CiphertextTensor deserialize_ciphertexts(const uint8_t* data, size_t len, const uint64_t* expected_hash);

}  // namespace fhec
