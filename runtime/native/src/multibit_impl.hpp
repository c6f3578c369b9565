// Multi-bit blind rotation (see multibit.hpp), included by kernels_impl.hpp inside the kernel
// namespace: compiled once per instruction set like the classic PBS.

// rot = round_to_gadget(in): keeps the top base_log * level bits of each coefficient, rounded.
static void round_to_gadget(uint64_t* __restrict out, const uint64_t* __restrict in, size_t N, uint32_t base_log,
                            uint32_t level) {
  const uint32_t total = base_log * level;
  if (total >= 64) {
    std::memcpy(out, in, N * sizeof(uint64_t));
    return;
  }
  const uint32_t shift = 64 - total;
  const uint64_t total_mask = (uint64_t(1) << total) - 1;
  for (size_t j = 0; j < N; j++) out[j] = ((in[j] >> shift) + ((in[j] >> (shift - 1)) & 1)) & total_mask;
}

// accf[col] = sum_j w_j * sum_r decf[r] * bsk_j[r][col] over the Fourier points, with
// w_j = zeta^(e_m t_j) - 1 the transform of X^(t_j) - 1 at point m. K1 = k + 1 (0: any).
template <size_t K1>
static void multibit_mac(const PbsArgs& a, const double* __restrict decf, const double* group_bsk,
                         const uint32_t* t, size_t patterns, double* __restrict accf, size_t rs, size_t c0, size_t c1) {
  const size_t N = a.N, h = N / 2, k1 = K1 ? K1 : size_t(a.k) + 1, R = k1 * a.level;
  const size_t stride = R * k1 * N;  // doubles per GGSW entry
  const uint64_t mask = 2 * N - 1;
  constexpr size_t KM = K1 ? K1 : 17;
  (void)h;
  for (size_t c = c0; c < c1; c += 8) {
    double ar[KM][8], ai[KM][8];
    for (size_t col = 0; col < k1; col++)
      for (int q = 0; q < 8; q++) ar[col][q] = ai[col][q] = 0.0;
    const uint32_t* e = a.point_exponent + c;
    for (size_t j = 0; j < patterns; j++) {
      const double* b = key_at_point(group_bsk + j * stride, c, R, k1);
      double sr[KM][8], si[KM][8];
      for (size_t col = 0; col < k1; col++)
        for (int q = 0; q < 8; q++) sr[col][q] = si[col][q] = 0.0;
      mac_chunk8(decf, b, R, k1, rs, h, c, sr, si);
      double wr[8], wi[8];
      for (int q = 0; q < 8; q++) {
        const uint64_t u = (uint64_t(e[q]) * t[j]) & mask;
        wr[q] = a.root_re[u] - 1.0;
        wi[q] = a.root_im[u];
      }
      for (size_t col = 0; col < k1; col++)
        for (int q = 0; q < 8; q++) {
          ar[col][q] += wr[q] * sr[col][q] - wi[q] * si[col][q];
          ai[col][q] += wr[q] * si[col][q] + wi[q] * sr[col][q];
        }
    }
    store_chunk8(accf, k1, rs, h, c, ar, ai);
  }
}

#ifdef FHEC_USE_AVX512
// The same for AVX-512, K1 accumulator pairs in registers, G = g. The weights at the 8 points of a
// vector are z_b = zeta^(e a_b), one per mask bit of the group, and the subset products of the
// z_b (pattern j's monomial is the product of the z_b of its bits). With e = e_c + turn N/8 (e_c
// the first point of the 16-point chunk, MonomialTable), z_b = zeta^(e_c a_b) rho^(turn a_b),
// rho = zeta^(N/8): one table value broadcast, times 16th roots of unity picked by a two-register
// permutation whose indices depend on a_b only. Gathers from the 2N-entry table took a third of
// this kernel's time (most of their lines in L2 at N = 2048).
template <size_t K1, size_t G>
static void multibit_mac_512(const PbsArgs& a, const double* __restrict decf, const double* group_bsk,
                             const uint32_t* ms, double* __restrict accf, size_t rs, size_t c0, size_t c1) {
  constexpr size_t patterns = (size_t(1) << G) - 1;
  const size_t N = a.N, h = N / 2, R = K1 * a.level;
  const size_t stride = R * K1 * N;
  // Each pattern's entry is its own stream through the key: the lines two chunks ahead are
  // prefetched as the MAC goes (0.92-0.94x the time at N = 2048, g = 4).
  const size_t ahead = 2 * R * K1 * 16;
  const uint64_t two_n_mask = 2 * N - 1;
  const __m512d one = _mm512_set1_pd(1.0);
  const __m512d rr0 = _mm512_load_pd(a.turn_re), rr1 = _mm512_load_pd(a.turn_re + 8);
  const __m512d ri0 = _mm512_load_pd(a.turn_im), ri1 = _mm512_load_pd(a.turn_im + 8);
  // Permutation indices per bit and chunk half: turn a_b; only the low 4 bits count (mod 16).
  const __m512i turn0 = _mm512_loadu_si512(a.chunk_turn), turn1 = _mm512_loadu_si512(a.chunk_turn + 8);
  __m512i idx[G][2];
  for (size_t b = 0; b < G; b++) {
    const __m512i ab = _mm512_set1_epi64(ms[b]);
    idx[b][0] = _mm512_mullo_epi64(turn0, ab);
    idx[b][1] = _mm512_mullo_epi64(turn1, ab);
  }
  for (size_t c = c0; c < c1; c += 8) {
    __m512d ar[K1], ai[K1];
    for (size_t col = 0; col < K1; col++) ar[col] = ai[col] = _mm512_setzero_pd();
    const size_t half = (c >> 3) & 1;
    const uint64_t ec = a.point_exponent[c & ~size_t(15)];
    __m512d zr[patterns + 1], zi[patterns + 1];  // zeta^(e t_j) for every pattern j (index 0 unused)
    for (size_t b = 0; b < G; b++) {
      const uint64_t u = (ec * ms[b]) & two_n_mask;
      const __m512d tr = _mm512_permutex2var_pd(rr0, idx[b][half], rr1);
      const __m512d ti = _mm512_permutex2var_pd(ri0, idx[b][half], ri1);
      cmul512(_mm512_set1_pd(a.root_re[u]), _mm512_set1_pd(a.root_im[u]), tr, ti, zr[size_t(1) << b], zi[size_t(1) << b]);
    }
    for (size_t j = 3; j <= patterns; j++) {
      const size_t low = j & (~j + 1);
      if (low == j) continue;  // single bit: formed above
      cmul512(zr[j - low], zi[j - low], zr[low], zi[low], zr[j], zi[j]);
    }
    for (size_t j = 1; j <= patterns; j++) {
      const double* b = key_at_point(group_bsk + (j - 1) * stride, c, R, K1);
      __m512d sr[K1], si[K1];
      for (size_t col = 0; col < K1; col++) sr[col] = si[col] = _mm512_setzero_pd();
      for (size_t r = 0; r < R; r++) {
        const __m512d dr = _mm512_load_pd(decf + r * rs + c), di = _mm512_load_pd(decf + r * rs + h + c);
        for (size_t col = 0; col < K1; col++) {
          _mm_prefetch(reinterpret_cast<const char*>(b + ahead), _MM_HINT_T0);
          _mm_prefetch(reinterpret_cast<const char*>(b + ahead + 8), _MM_HINT_T0);
          const __m512d br = _mm512_load_pd(b), bi = _mm512_load_pd(b + 8);
          sr[col] = _mm512_fmadd_pd(dr, br, _mm512_fnmadd_pd(di, bi, sr[col]));
          si[col] = _mm512_fmadd_pd(dr, bi, _mm512_fmadd_pd(di, br, si[col]));
          b += 16;
        }
      }
      const __m512d wr = _mm512_sub_pd(zr[j], one), wi = zi[j];
      for (size_t col = 0; col < K1; col++) {
        ar[col] = _mm512_fmadd_pd(wr, sr[col], _mm512_fnmadd_pd(wi, si[col], ar[col]));
        ai[col] = _mm512_fmadd_pd(wr, si[col], _mm512_fmadd_pd(wi, sr[col], ai[col]));
      }
    }
    for (size_t col = 0; col < K1; col++) {
      _mm512_store_pd(accf + col * rs + c, ar[col]);
      _mm512_store_pd(accf + col * rs + h + c, ai[col]);
    }
  }
}

template <size_t K1>
static void multibit_mac_512_g(const PbsArgs& a, const double* decf, const double* group_bsk, const uint32_t* ms,
                               double* accf, size_t rs, size_t c0, size_t c1) {
  switch (a.grouping) {
    case 2: return multibit_mac_512<K1, 2>(a, decf, group_bsk, ms, accf, rs, c0, c1);
    case 3: return multibit_mac_512<K1, 3>(a, decf, group_bsk, ms, accf, rs, c0, c1);
    default: return multibit_mac_512<K1, 4>(a, decf, group_bsk, ms, accf, rs, c0, c1);
  }
}
#endif

// Rotation amounts t_j = sum of the group's mask bits in pattern j (mod 2N), j = 1..2^g - 1 at
// t[j - 1]. False when every bit is 0: the group then leaves the accumulator unchanged.
static bool pattern_rotations(const PbsArgs& a, const uint32_t* ms, uint32_t* t) {
  const size_t g = a.grouping, patterns = (size_t(1) << g) - 1;
  const size_t two_n_mask = 2 * size_t(a.N) - 1;
  bool any = false;
  for (size_t j = 1; j <= patterns; j++) {
    uint64_t s = 0;
    for (size_t bit = 0; bit < g; bit++)
      if ((j >> bit) & 1) s += ms[bit];
    t[j - 1] = static_cast<uint32_t>(s & two_n_mask);
  }
  for (size_t bit = 0; bit < g; bit++) any |= ms[bit] != 0;
  return any;
}

// The group's products at Fourier points [c0, c1): accf[col] = sum_j (X^(t_j) - 1) sum_r dec[r]
// bsk_j[r][col], by the widest kernel this instruction set has for k + 1 columns.
static void multibit_products(const PbsArgs& a, const double* decf, const double* group_bsk, const uint32_t* ms,
                              const uint32_t* t, double* accf, size_t rs, size_t c0, size_t c1) {
  const size_t k1 = size_t(a.k) + 1, g = a.grouping, patterns = (size_t(1) << g) - 1;
#ifdef FHEC_USE_AVX512
  if (k1 == 2) return multibit_mac_512_g<2>(a, decf, group_bsk, ms, accf, rs, c0, c1);
  if (k1 == 3) return multibit_mac_512_g<3>(a, decf, group_bsk, ms, accf, rs, c0, c1);
#endif
  switch (k1) {
    case 2: multibit_mac<2>(a, decf, group_bsk, t, patterns, accf, rs, c0, c1); break;
    case 3: multibit_mac<3>(a, decf, group_bsk, t, patterns, accf, rs, c0, c1); break;
    default: multibit_mac<0>(a, decf, group_bsk, t, patterns, accf, rs, c0, c1); break;
  }
}

// A group of ciphertexts shares each key group the way the classic loop shares each entry: the
// decompositions of as many ciphertexts as fit in kSharedDecBytes are held at once, and the
// products run span by span of Fourier points over all of them, so each span of the 2^g - 1 key
// entries comes from memory once and from L1 for the others (the key is 1.5-3.75x the classic
// key per mask bit, and the multi-bit PBS of a batch is bound by its stream).
static void blind_rotate_extract_multibit(const PbsArgs& a) {
  const size_t N = a.N, h = N / 2, k1 = size_t(a.k) + 1, L = a.level, R = k1 * L, B = a.count;
  const size_t g = a.grouping, patterns = (size_t(1) << g) - 1, groups = a.n / g;
  const FftPlan& p = *a.plan;
  PbsWorkspace& ws = *a.ws;
  uint64_t* rot = ws.rot.data();
  const size_t group_stride = patterns * R * k1 * N;  // doubles per group of GGSW entries
  const size_t rs = N + kRowPad;  // row stride of the decompositions and products
  const size_t dec_stride = R * rs, accf_stride = k1 * rs;
  constexpr size_t kMaxHeld = 16;
  size_t held = kSharedDecBytes / (dec_stride * sizeof(double));
  held = held < 1 ? 1 : held > B ? B : held > kMaxHeld ? kMaxHeld : held;
  size_t span = kSpanKeyBytes / (patterns * R * k1 * 16) / 8 * 8;  // 16 bytes per complex value
  span = held == 1 ? h : span < 8 ? 8 : span;

  init_accumulators(a);
  Prefetcher pf;
  uint32_t t[kMaxHeld][15];
  uint32_t active[kMaxHeld];  // ciphertexts of the held set whose group is not the identity
  for (size_t grp = 0; grp < groups; grp++) {
    const double* group_bsk = a.bsk + grp * group_stride;
    pf.p = reinterpret_cast<const char*>(group_bsk + group_stride);
    pf.end = pf.p + (grp + 1 < groups ? group_stride * sizeof(double) : 0);
    for (size_t b0 = 0; b0 < B; b0 += held) {
      size_t na = 0;
      for (size_t b = b0; b < B && b < b0 + held; b++)
        if (pattern_rotations(a, ws.ms.data() + b * a.n + grp * g, t[na])) active[na++] = static_cast<uint32_t>(b);
      for (size_t q = 0; q < na; q++) {
        const uint64_t* acc = ws.acc.data() + active[q] * k1 * N;
        for (size_t c = 0; c < k1; c++) {
          round_to_gadget(rot, acc + c * N, N, a.base_log, a.level);
          decompose_forward(p, rot, a.base_log, L, ws.dec_f.data() + q * dec_stride + c * L * rs, pf, rs);
        }
      }
      for (size_t c0 = 0; c0 < h; c0 += span) {
        const size_t c1 = c0 + span < h ? c0 + span : h;
        for (size_t q = 0; q < na; q++)
          multibit_products(a, ws.dec_f.data() + q * dec_stride, group_bsk, ws.ms.data() + active[q] * a.n + grp * g, t[q],
                            ws.acc_f.data() + q * accf_stride, rs, c0, c1);
      }
      for (size_t q = 0; q < na; q++) {
        uint64_t* acc = ws.acc.data() + active[q] * k1 * N;
        double* accf = ws.acc_f.data() + q * accf_stride;
        for (size_t j = 0; j < k1; j++) fourier_to_torus_add_pf(p, accf + j * rs, accf + j * rs + h, acc + j * N, pf);
      }
    }
  }
  extract_samples(a);
}

// The multi-bit blind rotation of one ciphertext as phases of tasks that two threads share (see
// blind_rotate_extract_tasks), two phases per group: k + 1 column tasks, then slices of the
// Fourier points for the products (each slice streams its part of all 2^g - 1 key entries, so
// two threads draw on the memory system together; the PBS is bound by that stream). Column task
// c first finishes the last group on column c (inverse transform added into the accumulator),
// then rounds, decomposes and transforms column c for this group: both touch column c only.
// The same code computes each value as in blind_rotate_extract_multibit: bit-identical results.
struct MultibitTasks {
  const PbsArgs* a;
  uint64_t* rots;
  const double* group_bsk;  // this group's key (nullptr: no group left, column tasks only finish)
  const uint32_t* ms;
  uint32_t t[15];
  bool finish;   // column tasks first finish the last group (its products are pending)
  size_t slice;  // Fourier points per product task (multiple of 8)
};

static void multibit_column_task(void* arg, size_t c) {
  const MultibitTasks& t = *static_cast<const MultibitTasks*>(arg);
  const PbsArgs& a = *t.a;
  const size_t N = a.N, h = N / 2, L = a.level;
  uint64_t* acc = a.ws->acc.data() + c * N;
  Prefetcher none;
  if (t.finish) {
    double* accf = a.ws->acc_f.data() + c * N;
    fourier_to_torus_add_pf(*a.plan, accf, accf + h, acc, none);
  }
  if (t.group_bsk != nullptr) {
    uint64_t* rot = t.rots + c * N;
    round_to_gadget(rot, acc, N, a.base_log, a.level);
    decompose_forward(*a.plan, rot, a.base_log, L, a.ws->dec_f.data() + c * L * N, none);
  }
}

static void multibit_product_task(void* arg, size_t s) {
  const MultibitTasks& t = *static_cast<const MultibitTasks*>(arg);
  const PbsArgs& a = *t.a;
  const size_t h = size_t(a.N) / 2;
  const size_t c0 = s * t.slice, c1 = c0 + t.slice < h ? c0 + t.slice : h;
  // Rows N doubles apart here, as the column tasks' transforms write them (the one-thread loop
  // pads its rows; both layouts fit the workspace).
  multibit_products(a, a.ws->dec_f.data(), t.group_bsk, t.ms, t.t, a.ws->acc_f.data(), a.N, c0, c1);
}

static void blind_rotate_extract_multibit_tasks(const PbsArgs& a, const PbsTaskRunner& r) {
  const size_t N = a.N, h = N / 2, k1 = size_t(a.k) + 1, R = k1 * a.level;
  const size_t g = a.grouping, patterns = (size_t(1) << g) - 1, groups = a.n / g;
  const size_t group_stride = patterns * R * k1 * N;
  init_accumulators(a);
  MultibitTasks t{&a, r.rots, nullptr, nullptr, {}, false, 0};
  const size_t slices = 4;
  t.slice = ((h / 8 + slices - 1) / slices) * 8;
  for (size_t grp = 0; grp < groups; grp++) {
    t.ms = a.ws->ms.data() + grp * g;
    if (!pattern_rotations(a, t.ms, t.t)) continue;
    t.group_bsk = a.bsk + grp * group_stride;
    r.run(r.ctx, k1, multibit_column_task, &t);
    r.run(r.ctx, slices, multibit_product_task, &t);
    t.finish = true;
  }
  if (t.finish) {
    t.group_bsk = nullptr;
    r.run(r.ctx, k1, multibit_column_task, &t);
  }
  extract_samples(a);
}

// The widest vector type of this instruction set, as the FMA probe uses it (internal linkage, so
// no kernel object emits a weak symbol for it).
namespace {
#if defined(FHEC_USE_AVX512)
struct FmaLanes {
  using V = __m512d;
  static constexpr int W = 8;
  static V set1(double x) { return _mm512_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static double sum(V v) { return _mm512_reduce_add_pd(v); }
};
#elif defined(FHEC_USE_AVX2)
struct FmaLanes {
  using V = __m256d;
  static constexpr int W = 4;
  static V set1(double x) { return _mm256_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static double sum(V v) {
    double tmp[4];
    _mm256_storeu_pd(tmp, v);
    return tmp[0] + tmp[1] + tmp[2] + tmp[3];
  }
};
#else
struct FmaLanes {
  using V = double;
  static constexpr int W = 1;
  static V set1(double x) { return x; }
  static V fma(V a, V b, V c) { return a * b + c; }
  static V add(V a, V b) { return a + b; }
  static double sum(V v) { return v; }
};
#endif
}  // namespace

// Peak FMA throughput probe: 12 independent accumulator chains of the widest vector type.
static double fma_burst(uint64_t iters) {
  using L = FmaLanes;
  L::V acc[12];
  const L::V x = L::set1(0.999999), y = L::set1(1e-9);
  for (int i = 0; i < 12; i++) acc[i] = L::set1(double(i));
  for (uint64_t it = 0; it < iters; it++)
    for (int i = 0; i < 12; i++) acc[i] = L::fma(acc[i], x, y);
  L::V s = acc[0];
  for (int i = 1; i < 12; i++) s = L::add(s, acc[i]);
  volatile double sink = L::sum(s);
  (void)sink;
  return 2.0 * L::W * 12 * static_cast<double>(iters);
}
