#include "tfhe.hpp"

#include <cstring>

#include "kernels.hpp"
#include "multibit.hpp"
#include "pbs_split.hpp"
#include "threadpool.hpp"

namespace fhec {

namespace {
constexpr uint64_t kKskStream = uint64_t(1) << 60;
constexpr uint64_t kBskStream = uint64_t(2) << 60;

inline uint64_t round_to_u32(uint64_t x) { return (x + (uint64_t(1) << 31)) >> 32; }

inline uint64_t gadget(uint32_t base_log, uint32_t level_index) {
  uint32_t e = 64 - base_log * (level_index + 1);
  return uint64_t(1) << e;  // e in [0, 63]
}

/// out += sum_j a_j * S_j exactly (mod 2^64), for torus polynomials a_j and binary S_j given in
/// the Fourier domain. Uses four 16-bit limbs so every FFT product is an exact integer < 2^53.
void glwe_mask_product(const FftPlan& plan, const Kernels& K, const uint64_t* masks, size_t k,
                       const std::vector<AVec<double>>& key_f, uint64_t* out, AVec<uint64_t>& limb,
                       AVec<uint64_t>& tmp, AVec<double>& f, AVec<double>& acc) {
  const size_t N = plan.N, h = plan.h;
  for (int t = 0; t < 4; t++) {
    std::fill(acc.begin(), acc.begin() + N, 0.0);
    for (size_t j = 0; j < k; j++) {
      const uint64_t* a = masks + j * N;
      for (size_t m = 0; m < N; m++) limb[m] = (a[m] >> (16 * t)) & 0xffff;
      K.torus_to_fourier(plan, limb.data(), f.data(), f.data() + h);
      K.cmac(acc.data(), acc.data() + h, f.data(), f.data() + h, key_f[j].data(), key_f[j].data() + h, h);
    }
    std::fill(tmp.begin(), tmp.begin() + N, 0);
    K.fourier_to_torus_add(plan, acc.data(), acc.data() + h, tmp.data());
    for (size_t m = 0; m < N; m++) out[m] += tmp[m] << (16 * t);
  }
}
}  // namespace

std::shared_ptr<SecretKey> generate_secret_key(const Params& p, const Seed* seed) {
  p.validate();
  Csprng rng = seed ? Csprng(*seed, 0) : Csprng::from_os();
  auto sk = std::make_shared<SecretKey>();
  sk->params = p;
  sk->lwe.resize(p.lwe_dimension);
  sk->glwe.resize(p.big_dimension());
  for (auto& b : sk->lwe) b = rng.next_bit() ? 1 : 0;
  for (auto& b : sk->glwe) b = rng.next_bit() ? 1 : 0;
  return sk;
}

std::shared_ptr<SeededEvalKeys> generate_seeded_eval_keys(const SecretKey& sk, const Seed* mask_seed,
                                                          const Seed* noise_seed) {
  const Params& p = sk.params;
  p.validate();
  auto ek = std::make_shared<SeededEvalKeys>();
  ek->params = p;
  ek->mask_seed = mask_seed ? *mask_seed : os_seed();
  // The noise seed and the Fourier-domain GLWE key are as secret as the key: wiped on every exit.
  Seed nseed = noise_seed ? *noise_seed : os_seed();
  std::vector<AVec<double>> key_f;
  struct WipeOnExit {
    Seed& seed;
    std::vector<AVec<double>>& keys;
    ~WipeOnExit() {
      wipe(seed.data(), seed.size());
      for (auto& f : keys) wipe(f.data(), f.size() * sizeof(double));
    }
  } wipe_on_exit{nseed, key_f};
  const size_t n = p.lwe_dimension, k = p.glwe_dimension, N = p.polynomial_size, kN = p.big_dimension();
  ek->ksk_bodies.assign(kN * p.ks_level, 0);
  ek->bsk_bodies.assign(p.bsk_rows() * N, 0);

  // Keyswitching key: row (i, l) encrypts s_big[i] * q / B^(l+1) under the small key.
  const size_t ks_chunk = 64;
  parallel_for((kN + ks_chunk - 1) / ks_chunk, [&](size_t chunk) {
    std::vector<uint64_t> mask(n);
    for (size_t i = chunk * ks_chunk; i < std::min(kN, (chunk + 1) * ks_chunk); i++) {
      Csprng mrng(ek->mask_seed, kKskStream | i);
      Csprng nrng(nseed, kKskStream | i);
      for (uint32_t l = 0; l < p.ks_level; l++) {
        mrng.fill_u64(mask.data(), n);
        uint64_t body = 0;
        for (size_t j = 0; j < n; j++) body += mask[j] * sk.lwe[j];
        body += nrng.next_torus_gaussian(p.lwe_noise_std);
        body += uint64_t(sk.glwe[i]) * gadget(p.ks_base_log, l);
        ek->ksk_bodies[i * p.ks_level + l] = p.ksk_compact() ? round_to_u32(body) << 32 : body;
      }
    }
  });

  // Bootstrapping key: GGSW encryption i of a key bit s (s_lwe[i], or for multi-bit keys the
  // indicator of one bit pattern of a group, see ggsw_message); row (c, l) is a GLWE encryption
  // of -s * g_l * S_c (c < k) or s * g_l (c = k), with g_l = q / B^(l+1).
  const FftPlan& plan = get_fft_plan(N);
  const Kernels& K = active_kernels();
  key_f.assign(k, AVec<double>(N));
  {
    std::vector<uint64_t> s(N);
    for (size_t j = 0; j < k; j++) {
      for (size_t m = 0; m < N; m++) s[m] = sk.glwe[j * N + m];
      K.torus_to_fourier(plan, s.data(), key_f[j].data(), key_f[j].data() + plan.h);
    }
    wipe(s.data(), s.size() * sizeof(uint64_t));
  }
  const size_t R = (k + 1) * p.pbs_level;
  parallel_for(p.ggsw_count(), [&](size_t i) {
    Csprng mrng(ek->mask_seed, kBskStream | i);
    Csprng nrng(nseed, kBskStream | i);
    AVec<uint64_t> masks(k * N), limb(N), tmp(N);
    AVec<double> f(N), acc(N);
    const uint64_t bit = ggsw_message(p, sk.lwe.data(), i);
    for (size_t r = 0; r < R; r++) {
      size_t c = r / p.pbs_level;
      uint32_t l = static_cast<uint32_t>(r % p.pbs_level);
      mrng.fill_u64(masks.data(), k * N);
      uint64_t* body = ek->bsk_bodies.data() + (i * R + r) * N;
      glwe_mask_product(plan, K, masks.data(), k, key_f, body, limb, tmp, f, acc);
      for (size_t m = 0; m < N; m++) body[m] += nrng.next_torus_gaussian(p.glwe_noise_std);
      if (bit) {
        uint64_t g = gadget(p.pbs_base_log, l);
        if (c < k) {
          for (size_t m = 0; m < N; m++) body[m] -= g * sk.glwe[c * N + m];
        } else {
          body[0] += g;
        }
      }
    }
    // The products of masks with the key are intermediates of the secret: wiped.
    wipe(f.data(), f.size() * sizeof(double));
    wipe(acc.data(), acc.size() * sizeof(double));
    wipe(tmp.data(), tmp.size() * sizeof(uint64_t));
    wipe(limb.data(), limb.size() * sizeof(uint64_t));
  });
  return ek;
}

std::shared_ptr<EvalKeys> allocate_eval_keys(const Params& p) {
  p.validate();
  auto ek = std::make_shared<EvalKeys>();
  ek->params = p;
  ek->bsk.resize(p.bsk_len());
  if (p.ksk_compact()) {
    ek->ksk32.resize(p.ksk_len());
  } else {
    ek->ksk.resize(p.ksk_len());
  }
  return ek;
}

void expand_ksk(const Seed& mask_seed, const uint64_t* ksk_bodies, EvalKeys& ek) {
  const Params& p = ek.params;
  const size_t n = p.lwe_dimension, kN = p.big_dimension();
  const bool compact = p.ksk_compact();
  const size_t ks_chunk = 64;
  parallel_for((kN + ks_chunk - 1) / ks_chunk, [&](size_t chunk) {
    std::vector<uint64_t> mask(n);
    for (size_t i = chunk * ks_chunk; i < std::min(kN, (chunk + 1) * ks_chunk); i++) {
      Csprng mrng(mask_seed, kKskStream | i);
      for (uint32_t l = 0; l < p.ks_level; l++) {
        const size_t off = (i * p.ks_level + l) * (n + 1);
        const uint64_t body = ksk_bodies[i * p.ks_level + l];
        if (compact) {
          mrng.fill_u64(mask.data(), n);
          uint32_t* row = ek.ksk32.data() + off;
          for (size_t j = 0; j < n; j++) row[j] = static_cast<uint32_t>(round_to_u32(mask[j]));
          row[n] = static_cast<uint32_t>(body >> 32);
        } else {
          uint64_t* row = ek.ksk.data() + off;
          mrng.fill_u64(row, n);
          row[n] = body;
        }
      }
    }
  });
}

void expand_bsk_entries(const Seed& mask_seed, size_t first, size_t count, const uint64_t* bodies, EvalKeys& ek) {
  const Params& p = ek.params;
  const size_t k = p.glwe_dimension, N = p.polynomial_size;
  const FftPlan& plan = get_fft_plan(N);
  const Kernels& K = active_kernels();
  const size_t R = (k + 1) * p.pbs_level;
  const size_t k1 = k + 1, h = plan.h;
  parallel_for(count, [&](size_t e) {
    const size_t i = first + e;
    Csprng mrng(mask_seed, kBskStream | i);
    AVec<uint64_t> masks(k * N);
    AVec<double> f(N);
    double* dst = ek.bsk.data() + i * R * k1 * N;
    // Scatter one transformed polynomial into the chunked layout of blind_rotate_extract.
    auto put = [&](size_t r, size_t j, const uint64_t* poly) {
      K.torus_to_fourier(plan, poly, f.data(), f.data() + h);
      for (size_t c = 0; c < h; c += 8) {
        double* o = dst + ((c / 8 * R + r) * k1 + j) * 16;
        for (size_t t = 0; t < 8; t++) {
          o[t] = f[c + t];
          o[8 + t] = f[h + c + t];
        }
      }
    };
    for (size_t r = 0; r < R; r++) {
      mrng.fill_u64(masks.data(), k * N);
      for (size_t j = 0; j < k; j++) put(r, j, masks.data() + j * N);
      put(r, k, bodies + (e * R + r) * N);
    }
  });
}

std::shared_ptr<EvalKeys> expand_eval_keys(const SeededEvalKeys& sek) {
  auto ek = allocate_eval_keys(sek.params);
  expand_ksk(sek.mask_seed, sek.ksk_bodies.data(), *ek);
  expand_bsk_entries(sek.mask_seed, 0, sek.params.ggsw_count(), sek.bsk_bodies.data(), *ek);
  return ek;
}

void lwe_encrypt(const SecretKey& sk, bool big, const uint64_t* plain, size_t count, uint64_t* out,
                 const Seed* seed) {
  const std::vector<uint8_t>& key = big ? sk.glwe : sk.lwe;
  const double std = big ? sk.params.glwe_noise_std : sk.params.lwe_noise_std;
  const size_t d = key.size();
  Csprng rng = seed ? Csprng(*seed, 0) : Csprng::from_os();
  for (size_t c = 0; c < count; c++) {
    uint64_t* ct = out + c * (d + 1);
    rng.fill_u64(ct, d);
    uint64_t body = 0;
    for (size_t j = 0; j < d; j++) body += ct[j] * key[j];
    ct[d] = body + rng.next_torus_gaussian(std) + plain[c];
  }
}

void lwe_phase(const SecretKey& sk, bool big, const uint64_t* ct, size_t count, uint64_t* out) {
  const std::vector<uint8_t>& key = big ? sk.glwe : sk.lwe;
  const size_t d = key.size();
  for (size_t c = 0; c < count; c++) {
    const uint64_t* x = ct + c * (d + 1);
    uint64_t acc = 0;
    for (size_t j = 0; j < d; j++) acc += x[j] * key[j];
    out[c] = x[d] - acc;
  }
}

// Test polynomial for a table of 2^p entries: entry m fills the box [m*box - box/2, m*box + box/2)
// of rotation amounts (box = N / 2^p). Rotations in [-box/2, 0) wrap negacyclically and read
// -lut[N - t]; storing -table[0] there makes them decode to table[0].
void build_test_polynomial(const uint64_t* table, size_t table_len, size_t N, uint64_t* lut) {
  if (table_len == 0 || (table_len & (table_len - 1)) != 0)
    throw RuntimeError("lookup table length must be a power of two, got " + std::to_string(table_len));
  if (table_len * 2 > N)
    throw RuntimeError("lookup table of " + std::to_string(table_len) + " entries needs polynomialSize >= " +
                       std::to_string(table_len * 2) + ", got " + std::to_string(N));
  const size_t box = N / table_len, half = box / 2;
  for (size_t j = 0; j < N; j++) {
    size_t idx = (j + half) / box;
    lut[j] = idx < table_len ? table[idx] : uint64_t(0) - table[0];
  }
}

namespace {
thread_local PbsWorkspace t_ws;
thread_local AVec<uint64_t> t_small;
thread_local AVec<uint32_t> t_ks32;

void check_tables(const Params& p, size_t table_len, size_t table_count, const uint32_t* table_index,
                  size_t count) {
  if (table_count == 0) throw RuntimeError("at least one lookup table is required");
  if (table_len == 0 || (table_len & (table_len - 1)) != 0)
    throw RuntimeError("lookup table length must be a power of two, got " + std::to_string(table_len));
  if (table_len * 2 > p.polynomial_size)
    throw RuntimeError("lookup table of " + std::to_string(table_len) + " entries needs polynomialSize >= " +
                       std::to_string(table_len * 2));
  if (table_index) {
    for (size_t i = 0; i < count; i++)
      if (table_index[i] >= table_count)
        throw RuntimeError("table index " + std::to_string(table_index[i]) + " at position " +
                           std::to_string(i) + " is out of range (" + std::to_string(table_count) + " tables)");
  } else if (table_count != 1 && table_count != count) {
    throw RuntimeError("without a table index, give 1 table or one table per ciphertext");
  }
}

std::vector<uint64_t> build_luts(const Params& p, const uint64_t* tables, size_t table_len, size_t table_count) {
  const size_t N = p.polynomial_size;
  std::vector<uint64_t> luts(table_count * N);
  for (size_t t = 0; t < table_count; t++) build_test_polynomial(tables + t * table_len, table_len, N, luts.data() + t * N);
  return luts;
}

// Ciphertexts blind-rotated together per task: each key entry then comes from DRAM once per
// group instead of once per ciphertext (the PBS is memory bound on large keys).
constexpr size_t kMaxGroup = 4;

/// Whether a group of `count` samples (from a call that asked for parallel work) is a lone
/// lookup of a shape that the helper thread shares (its keyswitch and its blind rotation).
bool share_lone(const Params& p, size_t count) {
  return count == 1 && worth_sharing(p.polynomial_size, p.pbs_grouping_factor) && thread_count() >= 2 &&
         share_lone_pbs();
}

/// `split`: a lone ciphertext may use two threads (the caller asked for parallel work).
void pbs_group(const EvalKeys& ek, const Kernels& K, size_t count, const uint64_t* const* luts,
               const uint64_t* const* ins, uint64_t* const* outs, bool split) {
  const Params& p = ek.params;
  t_ws.ensure(p.glwe_dimension, p.polynomial_size, p.pbs_level, p.lwe_dimension, count);
  PbsArgs a;
  a.plan = &get_fft_plan(p.polynomial_size);
  a.n = p.lwe_dimension;
  a.k = p.glwe_dimension;
  a.N = p.polynomial_size;
  a.base_log = p.pbs_base_log;
  a.level = p.pbs_level;
  a.bsk = ek.bsk.data();
  a.count = count;
  a.luts = luts;
  a.ins = ins;
  a.outs = outs;
  a.ws = &t_ws;
  const bool multibit = p.pbs_grouping_factor > 1;
  if (multibit) set_multibit_args(p, a);
  if (split && share_lone(p, count) && blind_rotate_split(K, a)) return;
  if (multibit) {
    K.blind_rotate_extract_multibit(a);
  } else {
    K.blind_rotate_extract(a);
  }
}

/// Keyswitches `count` (at most kMaxKeyswitchGroup) consecutive ciphertexts in one pass over the
/// key. `split`: the keyswitch of a lone shared lookup (share_lone), run on two threads.
void ks_group(const EvalKeys& ek, const Kernels& K, const uint64_t* in, size_t count, uint64_t* out, bool split = false) {
  const Params& p = ek.params;
  KsArgs a;
  a.ksk = ek.ksk.data();
  a.ksk32 = ek.ksk32.empty() ? nullptr : ek.ksk32.data();
  if (t_ks32.size() < count * (size_t(p.lwe_dimension) + 1)) t_ks32.resize(count * (size_t(p.lwe_dimension) + 1));
  a.scratch32 = t_ks32.data();
  a.in_dim = p.big_dimension();
  a.out_dim = p.lwe_dimension;
  a.base_log = p.ks_base_log;
  a.level = p.ks_level;
  a.count = count;
  a.in = in;
  a.out = out;
  if (split && count == 1 && keyswitch_split(K, a)) return;
  K.keyswitch(a);
}
}  // namespace

void keyswitch_batch(const EvalKeys& ek, const uint64_t* in, size_t count, uint64_t* out, bool parallel) {
  const Kernels& K = active_kernels();
  const size_t din = ek.params.big_dimension() + 1, dout = size_t(ek.params.lwe_dimension) + 1;
  for_each_group(count, parallel, kMaxKeyswitchGroup, [&](size_t first, size_t m) {
    ks_group(ek, K, in + first * din, m, out + first * dout);
  });
}

namespace {
// Table lookups on `count` samples, blind-rotated in groups (one bootstrapping-key pass per group).
// `inputs(K, first, m)` gives the PBS inputs of samples first..first+m-1, one after another (n+1
// words each; ks_pbs keyswitches the group into a per-thread buffer there first, in one key pass).
template <class Inputs>
void lookup_in_groups(const EvalKeys& ek, size_t count, const uint64_t* tables, size_t table_len, size_t table_count,
                      const uint32_t* table_index, uint64_t* out, bool parallel, Inputs inputs) {
  const Params& p = ek.params;
  check_tables(p, table_len, table_count, table_index, count);
  const Kernels& K = active_kernels();
  std::vector<uint64_t> luts = build_luts(p, tables, table_len, table_count);
  const size_t dout = p.big_dimension() + 1, dmid = size_t(p.lwe_dimension) + 1, N = p.polynomial_size;
  static_assert(kMaxGroup <= kMaxKeyswitchGroup, "a PBS group is keyswitched in one pass");
  for_each_group(count, parallel, kMaxGroup, [&](size_t first, size_t m) {
    const uint64_t* lp[kMaxGroup];
    const uint64_t* ip[kMaxGroup];
    uint64_t* op[kMaxGroup];
    const uint64_t* in = inputs(K, first, m);
    for (size_t s = 0; s < m; s++) {
      const size_t i = first + s;
      const size_t t = table_index ? table_index[i] : (table_count == 1 ? 0 : i);
      lp[s] = luts.data() + t * N;
      ip[s] = in + s * dmid;
      op[s] = out + i * dout;
    }
    pbs_group(ek, K, m, lp, ip, op, parallel && count == 1);
  });
}
}  // namespace

void bootstrap_batch(const EvalKeys& ek, const uint64_t* in, size_t count, const uint64_t* tables,
                     size_t table_len, size_t table_count, const uint32_t* table_index, uint64_t* out,
                     bool parallel) {
  const size_t din = size_t(ek.params.lwe_dimension) + 1;
  lookup_in_groups(ek, count, tables, table_len, table_count, table_index, out, parallel,
                   [&](const Kernels&, size_t first, size_t) { return in + first * din; });
}

void ks_pbs_batch(const EvalKeys& ek, const uint64_t* in, size_t count, const uint64_t* tables,
                  size_t table_len, size_t table_count, const uint32_t* table_index, uint64_t* out,
                  bool parallel) {
  const size_t din = ek.params.big_dimension() + 1, dmid = size_t(ek.params.lwe_dimension) + 1;
  lookup_in_groups(ek, count, tables, table_len, table_count, table_index, out, parallel,
                   [&](const Kernels& K, size_t first, size_t m) {
                     if (t_small.size() < m * dmid) t_small.resize(m * dmid);
                     ks_group(ek, K, in + first * din, m, t_small.data(), parallel && count == 1 && share_lone(ek.params, 1));
                     return static_cast<const uint64_t*>(t_small.data());
                   });
}

}  // namespace fhec
