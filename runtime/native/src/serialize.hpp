// Binary formats. Every artifact: "FHEC" | kind (4 bytes) | u32 version | u32 reserved (0) |
// u64 parameter hash, then a kind-specific payload; all integers little-endian. Readers check
// every length against the parameters before allocating and reject trailing bytes.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tfhe.hpp"

namespace fhec {

constexpr uint32_t kFormatVersion = 1;

struct CiphertextTensor {
  uint64_t param_hash = 0;
  uint64_t dimension = 0;
  std::vector<uint64_t> shape;
  std::vector<uint64_t> data;
};

std::vector<uint8_t> serialize_params(const Params& p);
Params deserialize_params(const uint8_t* data, size_t len);

std::vector<uint8_t> serialize_secret_key(const SecretKey& sk);
std::shared_ptr<SecretKey> deserialize_secret_key(const uint8_t* data, size_t len, const uint64_t* expected_hash);

std::vector<uint8_t> serialize_seeded_eval_keys(const SeededEvalKeys& k);
std::shared_ptr<SeededEvalKeys> deserialize_seeded_eval_keys(const uint8_t* data, size_t len,
                                                             const uint64_t* expected_hash);

std::vector<uint8_t> serialize_eval_keys(const EvalKeys& k);
std::shared_ptr<EvalKeys> deserialize_eval_keys(const uint8_t* data, size_t len, const uint64_t* expected_hash);

std::vector<uint8_t> serialize_ciphertexts(uint64_t param_hash, uint64_t dimension, const std::vector<uint64_t>& shape,
                                           const uint64_t* words, size_t word_count);
CiphertextTensor deserialize_ciphertexts(const uint8_t* data, size_t len, const uint64_t* expected_hash);

}  // namespace fhec
