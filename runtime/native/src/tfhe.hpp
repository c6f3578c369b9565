// TFHE objects and operations on the 2^64 torus.
#pragma once
#include <string.h>

#include <memory>
#include <optional>
#include <vector>

#include "chacha.hpp"
#include "fft.hpp"
#include "params.hpp"

namespace fhec {

/// Client secret: binary LWE key s (n bits) and binary GLWE key S (k polynomials of N bits).
/// The "big" LWE key of dimension kN is the concatenation of the GLWE key's coefficients.
struct SecretKey {
  Params params;
  std::vector<uint8_t> lwe;   // n
  std::vector<uint8_t> glwe;  // k * N
  SecretKey() = default;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  /// Wipes the key bits before the memory is released.
  ~SecretKey() {
    explicit_bzero(lwe.data(), lwe.size());
    explicit_bzero(glwe.data(), glwe.size());
  }
};

/// Compressed evaluation keys: masks are regenerated from `mask_seed`, only bodies are stored.
struct SeededEvalKeys {
  Params params;
  Seed mask_seed{};
  std::vector<uint64_t> ksk_bodies;  // [kN][ks_level] (low 32 bits zero if params.ksk_compact())
  std::vector<uint64_t> bsk_bodies;  // [n][(k+1) pbs_level][N]
};

/// Server evaluation keys: keyswitching key (kN -> n) and bootstrapping key in the Fourier domain.
struct EvalKeys {
  Params params;
  AVec<uint64_t> ksk;    // [kN][ks_level][n+1], 64-bit storage (empty if compact)
  AVec<uint32_t> ksk32;  // same layout, top 32 bits (params.ksk_compact(); empty otherwise)
  AVec<double> bsk;    // [n][(k+1) pbs_level][k+1][re N/2 | im N/2]
};

std::shared_ptr<SecretKey> generate_secret_key(const Params& p, const Seed* seed);
/// Seeded key generation. `mask_seed`/`noise_seed` are drawn from the OS unless given (tests).
std::shared_ptr<SeededEvalKeys> generate_seeded_eval_keys(const SecretKey& sk, const Seed* mask_seed,
                                                          const Seed* noise_seed);
std::shared_ptr<EvalKeys> expand_eval_keys(const SeededEvalKeys& sek);
// The pieces of expand_eval_keys, for expanding while seeded keys are being read:
/// Evaluation keys of final size, not yet filled.
std::shared_ptr<EvalKeys> allocate_eval_keys(const Params& p);
/// Regenerates the keyswitching key's masks next to its bodies ([kN][ks_level] words).
void expand_ksk(const Seed& mask_seed, const uint64_t* ksk_bodies, EvalKeys& ek);
/// Fills GGSW entries [first, first + count) of the Fourier bootstrapping key from their bodies
/// (count x (k+1) pbs_level x N words, entry after entry).
void expand_bsk_entries(const Seed& mask_seed, size_t first, size_t count, const uint64_t* bodies, EvalKeys& ek);

/// Encrypt torus plaintexts (already encoded) under the big (kN) or small (n) LWE key.
void lwe_encrypt(const SecretKey& sk, bool big, const uint64_t* plain, size_t count, uint64_t* out,
                 const Seed* seed);
/// Phases b - <a, s> of `count` ciphertexts.
void lwe_phase(const SecretKey& sk, bool big, const uint64_t* ct, size_t count, uint64_t* out);

/// Builds the PBS test polynomial from a table of 2^p torus values (see tfhe.cpp).
void build_test_polynomial(const uint64_t* table, size_t table_len, size_t N, uint64_t* lut);

/// Keyswitch `count` ciphertexts of dimension kN to dimension n.
void keyswitch_batch(const EvalKeys& ek, const uint64_t* in, size_t count, uint64_t* out, bool parallel);
/// PBS of `count` ciphertexts of dimension n to dimension kN. `tables` holds `table_count`
/// tables of table_len entries; table_index (optional) selects one per ciphertext.
void bootstrap_batch(const EvalKeys& ek, const uint64_t* in, size_t count, const uint64_t* tables,
                     size_t table_len, size_t table_count, const uint32_t* table_index, uint64_t* out,
                     bool parallel);
/// Atomic pattern: keyswitch then PBS (kN -> n -> kN) for each ciphertext.
void ks_pbs_batch(const EvalKeys& ek, const uint64_t* in, size_t count, const uint64_t* tables,
                  size_t table_len, size_t table_count, const uint32_t* table_index, uint64_t* out,
                  bool parallel);

}  // namespace fhec
