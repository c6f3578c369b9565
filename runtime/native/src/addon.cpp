// Node-API bindings of the fhec TFHE runtime. Every entry point validates its arguments and
// converts C++ exceptions into JS Errors; long operations have *Async variants that run on a
// libuv worker (which drives the addon's own thread pool) and return promises.
#include <napi.h>

#include <atomic>
#include <cstring>
#include <cmath>
#include <functional>
#include <initializer_list>

#include "bench_kernels.hpp"
#include "pbs_split.hpp"
#include "chacha.hpp"
#include "conversion.hpp"
#include "kernels.hpp"
#include "linear.hpp"
#include "seeded_lwe.hpp"
#include "serialize.hpp"
#include "tfhe.hpp"
#include "threadpool.hpp"

using namespace fhec;

namespace {

// ---------------------------------------------------------------- handles
enum class Kind : uint32_t { SecretKey = 1, SeededKeys = 2, EvalKeys = 3, Source = 4, Parser = 5 };
const char* kind_label(Kind k) {
  switch (k) {
    case Kind::SecretKey: return "a secret key";
    case Kind::SeededKeys: return "seeded evaluation keys";
    case Kind::EvalKeys: return "evaluation keys";
    case Kind::Source: return "an artifact source";
    case Kind::Parser: return "an artifact parser";
  }
  return "?";
}
const napi_type_tag kTags[6] = {
    {0, 0},
    {0x6668656373656372ULL, 0x0000000000000001ULL},
    {0x6668656373656564ULL, 0x0000000000000002ULL},
    {0x6668656365766b73ULL, 0x0000000000000003ULL},
    {0x6668656373726365ULL, 0x0000000000000004ULL},
    {0x6668656370727372ULL, 0x0000000000000005ULL},
};

struct Handle {
  Kind kind;
  std::shared_ptr<void> ptr;
  int64_t bytes;
  Napi::ObjectReference ref{};  // a JS object the native one reads from or writes into
};

// Bytes of native memory the live handles hold, as reported to the garbage collector (all
// threads' environments: the addon may be loaded in workers too).
std::atomic<int64_t> g_held_bytes{0};

/// Sets the bytes a handle holds, telling V8 the difference: it weighs them when it decides to
/// collect, and a handle's memory goes only when it is released or collected.
void set_held(Napi::Env env, Handle* h, int64_t bytes) {
  const int64_t change = bytes - h->bytes;
  if (change == 0) return;
  Napi::MemoryManagement::AdjustExternalMemory(env, change);
  g_held_bytes += change;
  h->bytes = bytes;
}

template <typename T>
Napi::Value wrap(Napi::Env env, Kind kind, std::shared_ptr<T> obj, int64_t bytes, Napi::Object keep = Napi::Object()) {
  auto* h = new Handle{kind, std::static_pointer_cast<void>(obj), 0};
  if (!keep.IsEmpty()) h->ref = Napi::Persistent(keep);
  auto ext = Napi::External<Handle>::New(env, h, [](Napi::Env e, Handle* hh) {
    set_held(e, hh, 0);
    delete hh;
  });
  napi_status st = napi_type_tag_object(env, ext, &kTags[static_cast<uint32_t>(kind)]);
  if (st != napi_ok) throw Napi::Error::New(env, "internal error: cannot tag native handle");
  set_held(env, h, bytes);
  return ext;
}

Handle* unwrap_handle(const Napi::Value& v, Kind kind, const char* arg) {
  Napi::Env env = v.Env();
  bool ok = false;
  if (v.IsExternal()) napi_check_object_type_tag(env, v, &kTags[static_cast<uint32_t>(kind)], &ok);
  if (!ok) throw Napi::TypeError::New(env, std::string(arg) + " must be " + kind_label(kind));
  return v.As<Napi::External<Handle>>().Data();
}
template <typename T>
std::shared_ptr<T> unwrap(const Napi::Value& v, Kind kind, const char* arg) {
  Handle* h = unwrap_handle(v, kind, arg);
  if (!h->ptr) throw Napi::Error::New(v.Env(), std::string(arg) + " was released");
  return std::static_pointer_cast<T>(h->ptr);
}

// ---------------------------------------------------------------- argument helpers
Napi::TypedArrayOf<uint64_t> u64_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array)
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a BigUint64Array");
  return v.As<Napi::TypedArrayOf<uint64_t>>();
}
Napi::TypedArrayOf<int64_t> i64_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array)
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a BigInt64Array");
  return v.As<Napi::TypedArrayOf<int64_t>>();
}
// The BigInt typed array of element type T (for code generic over signedness).
template <class T>
Napi::TypedArrayOf<T> typed_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
template <>
Napi::TypedArrayOf<uint64_t> typed_arg<uint64_t>(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return u64_arg(info, i, name);
}
template <>
Napi::TypedArrayOf<int64_t> typed_arg<int64_t>(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return i64_arg(info, i, name);
}
Napi::Uint8Array bytes_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Uint8Array");
  return v.As<Napi::Uint8Array>();
}
size_t size_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d) || d > 9007199254740991.0)
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be a non-negative integer");
  return static_cast<size_t>(d);
}
bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsBoolean()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}
const uint64_t* opt_hash(const Napi::CallbackInfo& info, size_t i, uint64_t& storage) {
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return nullptr;
  if (!info[i].IsBigInt()) throw Napi::TypeError::New(info.Env(), "expected parameter hash must be a bigint");
  bool lossless = true;
  storage = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
  return &storage;
}
bool opt_seed(const Napi::CallbackInfo& info, size_t i, Seed& seed) {
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return false;
  Napi::Uint8Array a = bytes_arg(info, i, "seed");
  if (a.ElementLength() != 32) throw Napi::RangeError::New(info.Env(), "seed must be 32 bytes");
  std::memcpy(seed.data(), a.Data(), 32);
  return true;
}

uint32_t u32_field(Napi::Object o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("parameter ") + name + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d) || d > 4294967295.0)
    throw Napi::RangeError::New(o.Env(), std::string("parameter ") + name + " must be a non-negative 32-bit integer");
  return static_cast<uint32_t>(d);
}
double f64_field(Napi::Object o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("parameter ") + name + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}
Params params_arg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsObject()) throw Napi::TypeError::New(info.Env(), "parameters must be an object");
  Napi::Object o = info[i].As<Napi::Object>();
  Params p;
  p.lwe_dimension = u32_field(o, "lweDimension");
  p.glwe_dimension = u32_field(o, "glweDimension");
  p.polynomial_size = u32_field(o, "polynomialSize");
  p.pbs_base_log = u32_field(o, "pbsBaseLog");
  p.pbs_level = u32_field(o, "pbsLevel");
  p.ks_base_log = u32_field(o, "ksBaseLog");
  p.ks_level = u32_field(o, "ksLevel");
  if (!o.Get("pbsGroupingFactor").IsUndefined()) p.pbs_grouping_factor = u32_field(o, "pbsGroupingFactor");
  p.lwe_noise_std = f64_field(o, "lweNoiseStd");
  p.glwe_noise_std = f64_field(o, "glweNoiseStd");
  p.validate();
  return p;
}
Napi::Object params_obj(Napi::Env env, const Params& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("lweDimension", p.lwe_dimension);
  o.Set("glweDimension", p.glwe_dimension);
  o.Set("polynomialSize", p.polynomial_size);
  o.Set("pbsBaseLog", p.pbs_base_log);
  o.Set("pbsLevel", p.pbs_level);
  o.Set("ksBaseLog", p.ks_base_log);
  o.Set("ksLevel", p.ks_level);
  o.Set("pbsGroupingFactor", p.pbs_grouping_factor);
  o.Set("lweNoiseStd", p.lwe_noise_std);
  o.Set("glweNoiseStd", p.glwe_noise_std);
  return o;
}

Napi::TypedArrayOf<uint64_t> new_u64(Napi::Env env, const uint64_t* src, size_t n) {
  auto a = Napi::TypedArrayOf<uint64_t>::New(env, n);
  if (n) std::memcpy(a.Data(), src, n * 8);
  return a;
}
// Largest buffer to_buffer creates: the engine's own limit unless a test lowers it to exercise
// the failure path without allocating gigabytes.
uint64_t g_buffer_limit = UINT64_MAX;

/// A new Node buffer holding the whole of `src`. Node owns the memory from the start (no
/// external buffer whose ownership is ambiguous on failure): any failure is a thrown error.
Napi::Value to_buffer(Napi::Env env, ByteSource& src) {
  const uint64_t n = src.size() - src.position();
  if (n > g_buffer_limit)
    throw Napi::RangeError::New(env, "cannot create a buffer of " + std::to_string(n) + " bytes (limit " +
                                         std::to_string(g_buffer_limit) + "): serialize this artifact in chunks");
  napi_value out;
  void* data = nullptr;
  if (napi_create_buffer(env, static_cast<size_t>(n), &data, &out) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value e;
      napi_get_and_clear_last_exception(env, &e);
    }
    throw Napi::RangeError::New(env, "cannot create a buffer of " + std::to_string(n) +
                                         " bytes: serialize this artifact in chunks");
  }
  size_t off = 0;
  while (off < n) off += src.read(static_cast<uint8_t*>(data) + off, static_cast<size_t>(n) - off);
  return Napi::Value(env, out);
}

/// a * b, throwing a RangeError instead of wrapping around.
size_t mul_checked(Napi::Env env, size_t a, size_t b, const char* what) {
  size_t r;
  if (__builtin_mul_overflow(a, b, &r) || r > (size_t(1) << 48))
    throw Napi::RangeError::New(env, std::string(what) + " is too large");
  return r;
}

size_t count_of(Napi::Env env, size_t words, size_t dim, const char* name) {
  if (words % (dim + 1) != 0)
    throw Napi::RangeError::New(env, std::string(name) + " length " + std::to_string(words) +
                                         " is not a multiple of dimension + 1 = " + std::to_string(dim + 1));
  return words / (dim + 1);
}

// ---------------------------------------------------------------- async
class Task : public Napi::AsyncWorker {
 public:
  Task(Napi::Env env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> done)
      : Napi::AsyncWorker(env, "fhec-runtime"), work_(std::move(work)), done_(std::move(done)),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      work_();
    } catch (const std::exception& e) {
      SetError(e.what());
    } catch (...) {
      SetError("unknown native error");
    }
  }
  void OnOK() override {
    try {
      deferred_.Resolve(done_(Env()));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::function<void()> work_;
  std::function<Napi::Value(Napi::Env)> done_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value run_async(Napi::Env env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> done) {
  auto* t = new Task(env, std::move(work), std::move(done));
  Napi::Promise p = t->promise();
  t->Queue();
  return p;
}

// The blocking entry point runs `work` here and returns `done`'s value; the async one, a Promise of it.
Napi::Value run_now_or_async(Napi::Env env, bool async, std::function<void()> work, std::function<Napi::Value(Napi::Env)> done) {
  if (async) return run_async(env, std::move(work), std::move(done));
  work();
  return done(env);
}

// Every binding runs through guard(): std::exception -> JS Error with the same message.
using Fn = Napi::Value (*)(const Napi::CallbackInfo&);
template <Fn F>
Napi::Value guard(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(info.Env(), "fhec runtime: out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// ---------------------------------------------------------------- system
Napi::Value KernelInfo(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("active", active_kernels().name);
  o.Set("avx2", cpu_has_avx2());
  o.Set("avx512", cpu_has_avx512());
  o.Set("threads", static_cast<double>(thread_count()));
  return o;
}
Napi::Value SetKernel(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "kernel name must be a string");
  set_kernels(info[0].As<Napi::String>().Utf8Value().c_str());
  return Napi::String::New(info.Env(), active_kernels().name);
}
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  size_t n = size_arg(info, 0, "thread count");
  if (n > 1024) throw Napi::RangeError::New(info.Env(), "thread count must be at most 1024");
  set_thread_count(n);
  return Napi::Number::New(info.Env(), static_cast<double>(thread_count()));
}

// ---------------------------------------------------------------- randomness
Napi::Value Chacha20Block(const Napi::CallbackInfo& info) {
  auto key = bytes_arg(info, 0, "key");
  size_t counter = size_arg(info, 1, "counter");
  auto nonce = bytes_arg(info, 2, "nonce");
  if (key.ElementLength() != 32) throw Napi::RangeError::New(info.Env(), "key must be 32 bytes");
  if (nonce.ElementLength() != 12) throw Napi::RangeError::New(info.Env(), "nonce must be 12 bytes");
  if (counter > 0xffffffffu) throw Napi::RangeError::New(info.Env(), "counter must fit in 32 bits");
  uint32_t st[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  auto ld = [](const uint8_t* p) {
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
  };
  for (int i = 0; i < 8; i++) st[4 + i] = ld(key.Data() + 4 * i);
  st[12] = static_cast<uint32_t>(counter);
  for (int i = 0; i < 3; i++) st[13 + i] = ld(nonce.Data() + 4 * i);
  auto out = Napi::Uint8Array::New(info.Env(), 64);
  chacha20_block(st, out.Data());
  return out;
}
Napi::Value CsprngU64(const Napi::CallbackInfo& info) {
  Seed seed;
  size_t count = size_arg(info, 0, "count");
  size_t stream = size_arg(info, 1, "stream");
  if (count > (size_t(1) << 28)) throw Napi::RangeError::New(info.Env(), "count too large");
  Csprng rng = opt_seed(info, 2, seed) ? Csprng(seed, stream) : Csprng::from_os(stream);
  auto out = Napi::TypedArrayOf<uint64_t>::New(info.Env(), count);
  rng.fill_u64(out.Data(), count);
  return out;
}
Napi::Value SampleGaussian(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "std must be a number");
  double std = info[0].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(std) || std < 0 || std >= 0.5) throw Napi::RangeError::New(info.Env(), "std must be in [0, 0.5)");
  size_t count = size_arg(info, 1, "count");
  if (count > (size_t(1) << 28)) throw Napi::RangeError::New(info.Env(), "count too large");
  Seed seed;
  Csprng rng = opt_seed(info, 2, seed) ? Csprng(seed, 0) : Csprng::from_os();
  auto out = Napi::TypedArrayOf<uint64_t>::New(info.Env(), count);
  for (size_t i = 0; i < count; i++) out[i] = rng.next_torus_gaussian(std);
  return out;
}

// ---------------------------------------------------------------- parameters
Napi::Value ParamsValidate(const Napi::CallbackInfo& info) {
  params_arg(info, 0);
  return info.Env().Undefined();
}
Napi::Value ParamsHash(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), params_arg(info, 0).hash());
}
Napi::Value ParamsSerialize(const Napi::CallbackInfo& info) {
  return to_buffer(info.Env(), *params_source(params_arg(info, 0)));
}
Napi::Value ParamsDeserialize(const Napi::CallbackInfo& info) {
  auto b = bytes_arg(info, 0, "bytes");
  return params_obj(info.Env(), deserialize_params(b.Data(), b.ByteLength()));
}

// ---------------------------------------------------------------- keys
int64_t sk_bytes(const SecretKey& k) { return int64_t(key_bytes(k)); }
int64_t sek_bytes(const SeededEvalKeys& k) { return int64_t(key_bytes(k)); }
int64_t ek_bytes(const EvalKeys& k) { return int64_t(key_bytes(k)); }

// Every key kind travels the same way: handle -> bytes of its stream, and (bytes, expected
// parameter hash?) -> handle, its native size reported to the GC.
template <class T>
Napi::Value serialize_key(const Napi::CallbackInfo& info, Kind kind, const char* what,
                          std::unique_ptr<ByteSource> (*source)(std::shared_ptr<const T>)) {
  return to_buffer(info.Env(), *source(unwrap<T>(info[0], kind, what)));
}
template <class T>
Napi::Value deserialize_key(const Napi::CallbackInfo& info, Kind kind,
                            std::shared_ptr<T> (*parse)(const uint8_t*, size_t, const uint64_t*), int64_t (*bytes)(const T&)) {
  auto b = bytes_arg(info, 0, "bytes");
  uint64_t hs;
  auto k = parse(b.Data(), b.ByteLength(), opt_hash(info, 1, hs));
  return wrap(info.Env(), kind, k, bytes(*k));
}

Napi::Value SecretKeyGenerate(const Napi::CallbackInfo& info) {
  Params p = params_arg(info, 0);
  Seed seed;
  bool has = opt_seed(info, 1, seed);
  auto sk = generate_secret_key(p, has ? &seed : nullptr);
  return wrap(info.Env(), Kind::SecretKey, sk, sk_bytes(*sk));
}
Napi::Value SecretKeyParams(const Napi::CallbackInfo& info) {
  return params_obj(info.Env(), unwrap<SecretKey>(info[0], Kind::SecretKey, "key")->params);
}
Napi::Value SecretKeySerialize(const Napi::CallbackInfo& info) {
  return serialize_key<SecretKey>(info, Kind::SecretKey, "key", secret_key_source);
}
Napi::Value SecretKeyDeserialize(const Napi::CallbackInfo& info) {
  return deserialize_key<SecretKey>(info, Kind::SecretKey, deserialize_secret_key, sk_bytes);
}

// (secret key, mask seed?, noise seed?) -> seeded evaluation keys.
Napi::Value seeded_keys_generate(const Napi::CallbackInfo& info, bool async) {
  auto sk = unwrap<SecretKey>(info[0], Kind::SecretKey, "secret key");
  Seed ms, ns;
  bool hm = opt_seed(info, 1, ms), hn = opt_seed(info, 2, ns);
  auto result = std::make_shared<std::shared_ptr<SeededEvalKeys>>();
  return run_now_or_async(
      info.Env(), async, [=] { *result = generate_seeded_eval_keys(*sk, hm ? &ms : nullptr, hn ? &ns : nullptr); },
      [=](Napi::Env env) { return wrap(env, Kind::SeededKeys, *result, sek_bytes(**result)); });
}
// seeded keys -> evaluation keys (in the Fourier domain).
Napi::Value seeded_keys_expand(const Napi::CallbackInfo& info, bool async) {
  auto sek = unwrap<SeededEvalKeys>(info[0], Kind::SeededKeys, "seeded keys");
  auto result = std::make_shared<std::shared_ptr<EvalKeys>>();
  return run_now_or_async(
      info.Env(), async, [=] { *result = expand_eval_keys(*sek); },
      [=](Napi::Env env) { return wrap(env, Kind::EvalKeys, *result, ek_bytes(**result)); });
}
Napi::Value SeededKeysGenerateAsync(const Napi::CallbackInfo& info) { return seeded_keys_generate(info, true); }
Napi::Value SeededKeysExpandAsync(const Napi::CallbackInfo& info) { return seeded_keys_expand(info, true); }
Napi::Value SeededKeysGenerate(const Napi::CallbackInfo& info) { return seeded_keys_generate(info, false); }
Napi::Value SeededKeysExpand(const Napi::CallbackInfo& info) { return seeded_keys_expand(info, false); }
Napi::Value SeededKeysInfo(const Napi::CallbackInfo& info) {
  auto k = unwrap<SeededEvalKeys>(info[0], Kind::SeededKeys, "seeded keys");
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("params", params_obj(info.Env(), k->params));
  o.Set("kskBytes", static_cast<double>(k->ksk_bodies.size() * k->params.ksk_word_bytes()));
  o.Set("bskBytes", static_cast<double>(k->bsk_bodies.size() * 8));
  o.Set("seedBytes", 32);
  return o;
}
Napi::Value EvalKeysInfo(const Napi::CallbackInfo& info) {
  auto k = unwrap<EvalKeys>(info[0], Kind::EvalKeys, "evaluation keys");
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("params", params_obj(info.Env(), k->params));
  o.Set("kskBytes", static_cast<double>(k->ksk.size() * 8 + k->ksk32.size() * 4));
  o.Set("bskBytes", static_cast<double>(k->bsk.size() * 8));
  return o;
}
Napi::Value SeededKeysSerialize(const Napi::CallbackInfo& info) {
  return serialize_key<SeededEvalKeys>(info, Kind::SeededKeys, "keys", seeded_eval_keys_source);
}
Napi::Value SeededKeysDeserialize(const Napi::CallbackInfo& info) {
  return deserialize_key<SeededEvalKeys>(info, Kind::SeededKeys, deserialize_seeded_eval_keys, sek_bytes);
}
Napi::Value EvalKeysSerialize(const Napi::CallbackInfo& info) {
  return serialize_key<EvalKeys>(info, Kind::EvalKeys, "keys", eval_keys_source);
}
Napi::Value EvalKeysDeserialize(const Napi::CallbackInfo& info) {
  return deserialize_key<EvalKeys>(info, Kind::EvalKeys, deserialize_eval_keys, ek_bytes);
}

// ---------------------------------------------------------------- encryption
Napi::Value Encrypt(const Napi::CallbackInfo& info) {
  auto sk = unwrap<SecretKey>(info[0], Kind::SecretKey, "secret key");
  auto plain = u64_arg(info, 1, "plaintexts");
  bool big = bool_arg(info, 2, "big");
  Seed seed;
  bool hs = opt_seed(info, 3, seed);
  size_t d = big ? sk->params.big_dimension() : sk->params.lwe_dimension;
  size_t count = plain.ElementLength();
  auto out = Napi::TypedArrayOf<uint64_t>::New(info.Env(), count * (d + 1));
  std::vector<uint64_t> pl(plain.Data(), plain.Data() + count);
  lwe_encrypt(*sk, big, pl.data(), count, out.Data(), hs ? &seed : nullptr);
  return out;
}
// Seeded encryption (seeded_lwe.hpp): { seed, bodies }; the mask seed is drawn from the OS
// unless a test gives it.
Napi::Value EncryptSeeded(const Napi::CallbackInfo& info) {
  auto sk = unwrap<SecretKey>(info[0], Kind::SecretKey, "secret key");
  auto plain = u64_arg(info, 1, "plaintexts");
  bool big = bool_arg(info, 2, "big");
  Seed mask_seed, noise_seed;
  if (!opt_seed(info, 3, mask_seed)) mask_seed = os_seed();
  bool hn = opt_seed(info, 4, noise_seed);
  size_t count = plain.ElementLength();
  std::vector<uint64_t> pl(plain.Data(), plain.Data() + count);
  auto bodies = Napi::TypedArrayOf<uint64_t>::New(info.Env(), count);
  lwe_encrypt_seeded(*sk, big, pl.data(), count, mask_seed, hn ? &noise_seed : nullptr, bodies.Data());
  auto out = Napi::Object::New(info.Env());
  auto seed = Napi::Uint8Array::New(info.Env(), 32);
  std::memcpy(seed.Data(), mask_seed.data(), 32);
  out.Set("seed", seed);
  out.Set("bodies", bodies);
  return out;
}
Napi::Value ExpandSeeded(const Napi::CallbackInfo& info) {
  Seed seed;
  if (!opt_seed(info, 0, seed)) throw Napi::TypeError::New(info.Env(), "seed must be a 32-byte Uint8Array");
  size_t d = size_arg(info, 1, "dimension");
  if (d < 1) throw Napi::RangeError::New(info.Env(), "dimension must be positive");
  auto bodies = u64_arg(info, 2, "bodies");
  size_t count = bodies.ElementLength();
  auto out = Napi::TypedArrayOf<uint64_t>::New(info.Env(), mul_checked(info.Env(), count, d + 1, "expanded ciphertexts"));
  lwe_expand_seeded(seed, d, bodies.Data(), count, out.Data());
  return out;
}
Napi::Value Phase(const Napi::CallbackInfo& info) {
  auto sk = unwrap<SecretKey>(info[0], Kind::SecretKey, "secret key");
  auto ct = u64_arg(info, 1, "ciphertexts");
  bool big = bool_arg(info, 2, "big");
  size_t d = big ? sk->params.big_dimension() : sk->params.lwe_dimension;
  size_t count = count_of(info.Env(), ct.ElementLength(), d, "ciphertexts");
  auto out = Napi::TypedArrayOf<uint64_t>::New(info.Env(), count);
  lwe_phase(*sk, big, ct.Data(), count, out.Data());
  return out;
}

// ---------------------------------------------------------------- KS / PBS
struct TableArgs {
  std::vector<uint64_t> tables;
  size_t table_len = 0, table_count = 0;
  std::vector<uint32_t> index;
  bool has_index = false;
};
TableArgs table_args(const Napi::CallbackInfo& info, size_t i, size_t count) {
  TableArgs t;
  auto tab = u64_arg(info, i, "tables");
  t.table_len = size_arg(info, i + 1, "table length");
  if (t.table_len == 0 || tab.ElementLength() % t.table_len != 0)
    throw Napi::RangeError::New(info.Env(), "tables length must be a non-zero multiple of the table length");
  t.table_count = tab.ElementLength() / t.table_len;
  t.tables.assign(tab.Data(), tab.Data() + tab.ElementLength());
  if (info.Length() > i + 2 && !info[i + 2].IsUndefined() && !info[i + 2].IsNull()) {
    Napi::Value v = info[i + 2];
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
      throw Napi::TypeError::New(info.Env(), "table index must be a Uint32Array");
    auto idx = v.As<Napi::Uint32Array>();
    if (idx.ElementLength() != count)
      throw Napi::RangeError::New(info.Env(), "table index must have one entry per ciphertext");
    t.index.assign(idx.Data(), idx.Data() + count);
    t.has_index = true;
  }
  return t;
}

enum class Op { KS, PBS, KSPBS };

Napi::Value server_op(const Napi::CallbackInfo& info, Op op, bool async) {
  auto ek = unwrap<EvalKeys>(info[0], Kind::EvalKeys, "evaluation keys");
  auto ct = u64_arg(info, 1, "ciphertexts");
  const Params& p = ek->params;
  size_t din = op == Op::PBS ? p.lwe_dimension : p.big_dimension();
  size_t dout = op == Op::KS ? p.lwe_dimension : p.big_dimension();
  size_t count = count_of(info.Env(), ct.ElementLength(), din, "ciphertexts");
  auto in = std::make_shared<std::vector<uint64_t>>(ct.Data(), ct.Data() + ct.ElementLength());
  auto tabs = std::make_shared<TableArgs>();
  size_t next = 2;
  if (op != Op::KS) {
    *tabs = table_args(info, 2, count);
    next = 5;
  }
  bool parallel = true;
  if (!async && info.Length() > next && !info[next].IsUndefined()) parallel = bool_arg(info, next, "parallel");
  auto out = std::make_shared<std::vector<uint64_t>>(count * (dout + 1));
  auto work = [=] {
    const uint32_t* idx = tabs->has_index ? tabs->index.data() : nullptr;
    switch (op) {
      case Op::KS: keyswitch_batch(*ek, in->data(), count, out->data(), parallel); break;
      case Op::PBS:
        bootstrap_batch(*ek, in->data(), count, tabs->tables.data(), tabs->table_len, tabs->table_count, idx,
                        out->data(), parallel);
        break;
      case Op::KSPBS:
        ks_pbs_batch(*ek, in->data(), count, tabs->tables.data(), tabs->table_len, tabs->table_count, idx,
                     out->data(), parallel);
        break;
    }
  };
  auto done = [=](Napi::Env env) -> Napi::Value { return new_u64(env, out->data(), out->size()); };
  return run_now_or_async(info.Env(), async, work, done);
}
Napi::Value Keyswitch(const Napi::CallbackInfo& info) { return server_op(info, Op::KS, false); }
Napi::Value Bootstrap(const Napi::CallbackInfo& info) { return server_op(info, Op::PBS, false); }
Napi::Value KsPbs(const Napi::CallbackInfo& info) { return server_op(info, Op::KSPBS, false); }
Napi::Value KeyswitchAsync(const Napi::CallbackInfo& info) { return server_op(info, Op::KS, true); }
Napi::Value BootstrapAsync(const Napi::CallbackInfo& info) { return server_op(info, Op::PBS, true); }
Napi::Value KsPbsAsync(const Napi::CallbackInfo& info) { return server_op(info, Op::KSPBS, true); }

// ---------------------------------------------------------------- linear ops
Napi::Value Add(const Napi::CallbackInfo& info) {
  auto a = u64_arg(info, 0, "a");
  auto b = u64_arg(info, 1, "b");
  bool sub = bool_arg(info, 2, "subtract");
  if (a.ElementLength() != b.ElementLength()) throw Napi::RangeError::New(info.Env(), "operands differ in size");
  size_t n = a.ElementLength();
  auto out = Napi::TypedArrayOf<uint64_t>::New(info.Env(), n);
  const uint64_t* x = a.Data();
  const uint64_t* y = b.Data();
  uint64_t* o = out.Data();
  if (sub) {
    for (size_t i = 0; i < n; i++) o[i] = x[i] - y[i];
  } else {
    for (size_t i = 0; i < n; i++) o[i] = x[i] + y[i];
  }
  return out;
}
Napi::Value Neg(const Napi::CallbackInfo& info) {
  auto a = u64_arg(info, 0, "a");
  size_t n = a.ElementLength();
  auto out = Napi::TypedArrayOf<uint64_t>::New(info.Env(), n);
  for (size_t i = 0; i < n; i++) out.Data()[i] = uint64_t(0) - a.Data()[i];
  return out;
}
// (ciphertexts, dimension, clear operand) -> ciphertexts: `apply` rewrites each ciphertext (its
// dimension + 1 words) with its operand entry; the operand has one entry for all, or one each.
template <class T>
Napi::Value with_clear_operand(const Napi::CallbackInfo& info, const char* what, void (*apply)(uint64_t*, size_t, T)) {
  auto a = u64_arg(info, 0, "ciphertexts");
  size_t dim = size_arg(info, 1, "dimension");
  auto operand = typed_arg<T>(info, 2, what);
  size_t count = count_of(info.Env(), a.ElementLength(), dim, "ciphertexts");
  if (operand.ElementLength() != count && operand.ElementLength() != 1)
    throw Napi::RangeError::New(info.Env(), std::string(what) + " must have 1 or one entry per ciphertext");
  const size_t step = operand.ElementLength() == 1 ? 0 : 1;
  auto out = new_u64(info.Env(), a.Data(), a.ElementLength());
  for (size_t i = 0; i < count; i++) apply(out.Data() + i * (dim + 1), dim, operand.Data()[i * step]);
  return out;
}
Napi::Value AddPlain(const Napi::CallbackInfo& info) {
  return with_clear_operand<uint64_t>(info, "plaintexts", [](uint64_t* ct, size_t dim, uint64_t plain) { ct[dim] += plain; });
}
Napi::Value MulClear(const Napi::CallbackInfo& info) {
  return with_clear_operand<int64_t>(info, "weights", [](uint64_t* ct, size_t dim, int64_t weight) {
    for (size_t j = 0; j <= dim; j++) ct[j] *= static_cast<uint64_t>(weight);
  });
}
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  auto a = u64_arg(info, 0, "ciphertexts");
  size_t dim = size_arg(info, 1, "dimension");
  size_t rows = size_arg(info, 2, "rows");
  size_t K = size_arg(info, 3, "inner dimension");
  auto W = i64_arg(info, 4, "weights");
  size_t M = size_arg(info, 5, "columns");
  size_t count = count_of(info.Env(), a.ElementLength(), dim, "ciphertexts");
  Napi::Env env = info.Env();
  if (mul_checked(env, rows, K, "rows * inner") != count)
    throw Napi::RangeError::New(env, "ciphertext count must equal rows * inner dimension");
  if (W.ElementLength() != mul_checked(env, K, M, "inner * columns"))
    throw Napi::RangeError::New(env, "weights must have inner * columns entries");
  auto out = Napi::TypedArrayOf<uint64_t>::New(env, mul_checked(env, mul_checked(env, rows, M, "output"), dim + 1, "output"));
  lwe_matmul(a.Data(), rows, K, dim + 1, W.Data(), M, out.Data());
  return out;
}
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  auto a = u64_arg(info, 0, "ciphertexts");
  size_t dim = size_arg(info, 1, "dimension");
  if (!info[2].IsArray()) throw Napi::TypeError::New(info.Env(), "conv2d geometry must be an array of 16 numbers");
  Napi::Array g = info[2].As<Napi::Array>();
  if (g.Length() != 16) throw Napi::TypeError::New(info.Env(), "conv2d geometry must be an array of 16 numbers");
  size_t v[16];
  for (uint32_t i = 0; i < 16; i++) {
    Napi::Value x = g.Get(i);
    if (!x.IsNumber()) throw Napi::TypeError::New(info.Env(), "conv2d geometry entries must be numbers");
    double d = x.As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d != std::floor(d) || d > 1048576)
      throw Napi::RangeError::New(info.Env(), "conv2d geometry entries must be integers in [0, 2^20]");
    v[i] = static_cast<size_t>(d);
  }
  Conv2dShape s{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]};
  s.validate();
  auto kern = i64_arg(info, 3, "kernel");
  const uint64_t* bias = nullptr;
  if (info.Length() > 4 && !info[4].IsUndefined() && !info[4].IsNull()) {
    auto b = u64_arg(info, 4, "bias");
    if (b.ElementLength() != s.out_channels) throw Napi::RangeError::New(info.Env(), "bias must have one entry per output channel");
    bias = b.Data();
  }
  size_t count = count_of(info.Env(), a.ElementLength(), dim, "ciphertexts");
  Napi::Env env = info.Env();
  auto prod = [&](std::initializer_list<size_t> xs, const char* what) {
    size_t r = 1;
    for (size_t x : xs) r = mul_checked(env, r, x, what);
    return r;
  };
  if (count != prod({s.batch, s.in_channels, s.in_h, s.in_w}, "input shape"))
    throw Napi::RangeError::New(env, "ciphertext count does not match the input shape");
  if (kern.ElementLength() != prod({s.out_channels, s.in_channels / s.group, s.kernel_h, s.kernel_w}, "kernel shape"))
    throw Napi::RangeError::New(env, "kernel size does not match [M, C/group, kH, kW]");
  size_t outn = prod({s.batch, s.out_channels, s.out_h(), s.out_w()}, "output shape");
  mul_checked(env, outn, dim + 1, "output");
  auto out = Napi::TypedArrayOf<uint64_t>::New(info.Env(), outn * (dim + 1));
  lwe_conv2d(a.Data(), dim + 1, s, kern.Data(), bias, out.Data());
  return out;
}

// ---------------------------------------------------------------- ciphertext serialization
/// (hash, dimension, shape, data) arguments as a source viewing the caller's typed array.
std::unique_ptr<ByteSource> ciphertexts_source_arg(const Napi::CallbackInfo& info, size_t i0) {
  if (!info[i0].IsBigInt()) throw Napi::TypeError::New(info.Env(), "parameter hash must be a bigint");
  bool lossless;
  uint64_t hash = info[i0].As<Napi::BigInt>().Uint64Value(&lossless);
  size_t dim = size_arg(info, i0 + 1, "dimension");
  if (!info[i0 + 2].IsArray()) throw Napi::TypeError::New(info.Env(), "shape must be an array");
  Napi::Array sh = info[i0 + 2].As<Napi::Array>();
  std::vector<uint64_t> shape;
  size_t count = 1;
  if (sh.Length() > 16) throw Napi::RangeError::New(info.Env(), "rank must be at most 16");
  for (uint32_t i = 0; i < sh.Length(); i++) {
    Napi::Value x = sh.Get(i);
    if (!x.IsNumber()) throw Napi::TypeError::New(info.Env(), "shape entries must be numbers");
    double d = x.As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d != std::floor(d) || d > 9007199254740991.0)
      throw Napi::RangeError::New(info.Env(), "shape entries must be non-negative integers");
    shape.push_back(static_cast<uint64_t>(d));
    count = mul_checked(info.Env(), count, shape.back(), "shape");
  }
  auto data = u64_arg(info, i0 + 3, "data");
  if (data.ElementLength() != mul_checked(info.Env(), count, dim + 1, "data")) throw Napi::RangeError::New(info.Env(), "data does not match shape");
  return ciphertexts_source(hash, dim, shape, data.Data(), data.ElementLength());
}
Napi::Value CiphertextsSerialize(const Napi::CallbackInfo& info) {
  return to_buffer(info.Env(), *ciphertexts_source_arg(info, 0));
}
Napi::Object ciphertexts_obj(Napi::Env env, const CiphertextTensor& t, Napi::Value data) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("paramHash", Napi::BigInt::New(env, t.param_hash));
  o.Set("dimension", static_cast<double>(t.dimension));
  Napi::Array sh = Napi::Array::New(env, t.shape.size());
  for (uint32_t i = 0; i < t.shape.size(); i++) sh.Set(i, static_cast<double>(t.shape[i]));
  o.Set("shape", sh);
  o.Set("data", data);
  return o;
}
Napi::Value CiphertextsDeserialize(const Napi::CallbackInfo& info) {
  auto b = bytes_arg(info, 0, "bytes");
  uint64_t hs;
  CiphertextTensor t = deserialize_ciphertexts(b.Data(), b.ByteLength(), opt_hash(info, 1, hs));
  return ciphertexts_obj(info.Env(), t, new_u64(info.Env(), t.data.data(), t.data.size()));
}

// ---------------------------------------------------------------- chunked artifacts
// A source emits an artifact's bytes into caller-provided chunks; a parser is fed chunks and
// builds the object. Neither ever holds a whole serialized artifact.
Napi::Value wrap_source(Napi::Env env, std::unique_ptr<ByteSource> src, Napi::Object keep = Napi::Object()) {
  return wrap(env, Kind::Source, std::shared_ptr<ByteSource>(std::move(src)), 0, keep);
}
Napi::Value SourceOf(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "artifact kind must be a string");
  const std::string kind = info[0].As<Napi::String>().Utf8Value();
  Napi::Env env = info.Env();
  if (kind == "params") return wrap_source(env, params_source(params_arg(info, 1)));
  if (kind == "secret-key") return wrap_source(env, secret_key_source(unwrap<SecretKey>(info[1], Kind::SecretKey, "key")));
  if (kind == "seeded-keys")
    return wrap_source(env, seeded_eval_keys_source(unwrap<SeededEvalKeys>(info[1], Kind::SeededKeys, "keys")));
  if (kind == "eval-keys") return wrap_source(env, eval_keys_source(unwrap<EvalKeys>(info[1], Kind::EvalKeys, "keys")));
  if (kind == "ciphertexts") return wrap_source(env, ciphertexts_source_arg(info, 1), info[4].As<Napi::Object>());
  throw Napi::TypeError::New(env, "unknown artifact kind '" + kind + "'");
}
Napi::Value SourceSize(const Napi::CallbackInfo& info) {
  auto s = unwrap<ByteSource>(info[0], Kind::Source, "source");
  return Napi::Number::New(info.Env(), static_cast<double>(s->size()));
}
/// Fills `chunk` with the next bytes; returns how many (0 at the end).
Napi::Value SourceRead(const Napi::CallbackInfo& info) {
  auto s = unwrap<ByteSource>(info[0], Kind::Source, "source");
  auto chunk = bytes_arg(info, 1, "chunk");
  return Napi::Number::New(info.Env(), static_cast<double>(s->read(chunk.Data(), chunk.ByteLength())));
}

struct ParserState {
  std::string kind;
  std::unique_ptr<ArtifactParser> parser;
  napi_env env = nullptr;  // set during each push (where the ciphertext array is created)
  Napi::Reference<Napi::TypedArrayOf<uint64_t>> words;
};
Napi::Value ParserOpen(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "artifact kind must be a string");
  auto st = std::make_shared<ParserState>();
  st->kind = info[0].As<Napi::String>().Utf8Value();
  uint64_t hs;
  const uint64_t* h = opt_hash(info, 1, hs);
  if (st->kind == "params") st->parser = params_parser();
  else if (st->kind == "secret-key") st->parser = secret_key_parser(h);
  else if (st->kind == "seeded-keys") st->parser = seeded_eval_keys_parser(h);
  else if (st->kind == "eval-keys") st->parser = eval_keys_parser(h);
  else if (st->kind == "seeded-keys-expanding") st->parser = expanding_seeded_keys_parser(h);
  else if (st->kind == "ciphertexts") {
    ParserState* raw = st.get();
    // Ciphertext words go straight into the BigUint64Array the caller receives (no copy).
    st->parser = ciphertexts_parser(h, [raw](size_t words) {
      auto a = Napi::TypedArrayOf<uint64_t>::New(Napi::Env(raw->env), words);
      raw->words = Napi::Persistent(a);
      return a.Data();
    });
  } else throw Napi::TypeError::New(info.Env(), "unknown artifact kind '" + st->kind + "'");
  if (info.Length() > 2 && !info[2].IsUndefined()) st->parser->set_total(size_arg(info, 2, "total length"));
  return wrap(info.Env(), Kind::Parser, st, 0);
}
Napi::Value ParserPush(const Napi::CallbackInfo& info) {
  auto st = unwrap<ParserState>(info[0], Kind::Parser, "parser");
  Handle* h = unwrap_handle(info[0], Kind::Parser, "parser");
  auto chunk = bytes_arg(info, 1, "chunk");
  st->env = info.Env();
  // What the parser built so far (an expanding key parser: whole keys) is reported as it grows.
  try {
    st->parser->push(chunk.Data(), chunk.ByteLength());
  } catch (...) {
    set_held(info.Env(), h, int64_t(st->parser->held_bytes()));
    throw;
  }
  set_held(info.Env(), h, int64_t(st->parser->held_bytes()));
  return info.Env().Undefined();
}
Napi::Value ParserFinish(const Napi::CallbackInfo& info) {
  auto st = unwrap<ParserState>(info[0], Kind::Parser, "parser");
  Napi::Env env = info.Env();
  // The result's handle reports what the parser built; the parser itself is released next.
  set_held(env, unwrap_handle(info[0], Kind::Parser, "parser"), 0);
  if (st->kind == "params") return params_obj(env, parsed_params(*st->parser));
  if (st->kind == "secret-key") {
    auto k = parsed_secret_key(*st->parser);
    return wrap(env, Kind::SecretKey, k, sk_bytes(*k));
  }
  if (st->kind == "seeded-keys") {
    auto k = parsed_seeded_eval_keys(*st->parser);
    return wrap(env, Kind::SeededKeys, k, sek_bytes(*k));
  }
  if (st->kind == "eval-keys" || st->kind == "seeded-keys-expanding") {
    auto k = parsed_eval_keys(*st->parser);
    return wrap(env, Kind::EvalKeys, k, ek_bytes(*k));
  }
  CiphertextTensor t = parsed_ciphertexts(*st->parser);
  Napi::Value data = st->words.IsEmpty() ? Napi::Value(Napi::TypedArrayOf<uint64_t>::New(env, 0)) : Napi::Value(st->words.Value());
  st->words.Reset();
  return ciphertexts_obj(env, t, data);
}
/// Frees a key's memory now instead of at garbage collection (work in flight keeps its own reference).
/// A source holds the key it reads: releasing it too lets the key's memory go as soon as both are.
/// A parser holds what it built so far (an expanding key parser: the keys expanded so far, which
/// the garbage collector is not told about), so parsers are released once they finish or fail.
Napi::Value Release(const Napi::CallbackInfo& info) {
  for (Kind k : {Kind::SecretKey, Kind::SeededKeys, Kind::EvalKeys, Kind::Source, Kind::Parser}) {
    bool ok = false;
    if (info[0].IsExternal()) napi_check_object_type_tag(info.Env(), info[0], &kTags[static_cast<uint32_t>(k)], &ok);
    if (!ok) continue;
    Handle* h = info[0].As<Napi::External<Handle>>().Data();
    h->ptr.reset();
    set_held(info.Env(), h, 0);
    return info.Env().Undefined();
  }
  throw Napi::TypeError::New(info.Env(), "release takes a key, source or parser handle");
}
/// Bytes of native memory held by live key and parser handles (what the garbage collector is told).
Napi::Value NativeHeldBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(g_held_bytes.load()));
}
/// TESTS ONLY: lowers the largest buffer the addon creates (0 restores the default).
Napi::Value SetBufferLimit(const Napi::CallbackInfo& info) {
  size_t n = size_arg(info, 0, "limit");
  g_buffer_limit = n == 0 ? UINT64_MAX : n;
  return info.Env().Undefined();
}

// ---------------------------------------------------------------- conversion keys (partitions)
// Keys between two secret keys of a key set (partition A's big key -> partition B's small key).
// Plain typed arrays, no handle: the TypeScript key set owns, serializes and checks them.
ConversionShape conversion_shape(const Napi::CallbackInfo& info, size_t i) {
  ConversionShape s;
  s.in_dim = size_arg(info, i, "input dimension");
  s.out_dim = size_arg(info, i + 1, "output dimension");
  s.base_log = static_cast<uint32_t>(size_arg(info, i + 2, "base log"));
  s.level = static_cast<uint32_t>(size_arg(info, i + 3, "level"));
  s.validate();
  return s;
}
// (baseLog, level, noiseStd) -> whether a conversion key with this target noise is stored on 32 bits
Napi::Value ConversionKeyCompact(const Napi::CallbackInfo& info) {
  const uint32_t b = static_cast<uint32_t>(size_arg(info, 0, "base log"));
  const uint32_t l = static_cast<uint32_t>(size_arg(info, 1, "level"));
  if (!info[2].IsNumber()) throw Napi::TypeError::New(info.Env(), "noise std must be a number");
  return Napi::Boolean::New(info.Env(), ksk_compact_for(b, l, info[2].As<Napi::Number>().DoubleValue()));
}
// (fromKey, fromBig, toKey, toBig, baseLog, level, maskSeed?, noiseSeed?) -> {maskSeed, bodies}
Napi::Value ConversionKeyGenerate(const Napi::CallbackInfo& info) {
  auto from = unwrap<SecretKey>(info[0], Kind::SecretKey, "source key");
  const bool from_big = bool_arg(info, 1, "fromBig");
  auto to = unwrap<SecretKey>(info[2], Kind::SecretKey, "target key");
  const bool to_big = bool_arg(info, 3, "toBig");
  ConversionShape s;
  s.in_dim = from_big ? from->glwe.size() : from->lwe.size();
  s.out_dim = to_big ? to->glwe.size() : to->lwe.size();
  s.base_log = static_cast<uint32_t>(size_arg(info, 4, "base log"));
  s.level = static_cast<uint32_t>(size_arg(info, 5, "level"));
  s.validate();
  Seed ms, ns;
  if (!opt_seed(info, 6, ms)) ms = os_seed();
  if (!opt_seed(info, 7, ns)) ns = os_seed();
  // The target key's own noise: the key is an encryption under it, secure by its curve point.
  const double std = to_big ? to->params.glwe_noise_std : to->params.lwe_noise_std;
  s.compact = ksk_compact_for(s.base_log, s.level, std);
  std::vector<uint64_t> bodies(s.rows());
  generate_conversion_key(from_big ? from->glwe.data() : from->lwe.data(), to_big ? to->glwe.data() : to->lwe.data(), s,
                          std, ms, ns, bodies.data());
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  auto seed = Napi::Uint8Array::New(env, 32);
  std::memcpy(seed.Data(), ms.data(), 32);
  o.Set("maskSeed", seed);
  o.Set("bodies", new_u64(env, bodies.data(), bodies.size()));
  o.Set("inputDimension", static_cast<double>(s.in_dim));
  o.Set("outputDimension", static_cast<double>(s.out_dim));
  o.Set("compact", s.compact);
  return o;
}
// (inDim, outDim, baseLog, level, maskSeed, bodies, compact) -> expanded key [in][level][out + 1]:
// a BigUint64Array, or a Uint32Array of top halves when compact
Napi::Value ConversionKeyExpand(const Napi::CallbackInfo& info) {
  ConversionShape s = conversion_shape(info, 0);
  Seed ms;
  if (!opt_seed(info, 4, ms)) throw Napi::TypeError::New(info.Env(), "mask seed is required");
  auto bodies = u64_arg(info, 5, "bodies");
  s.compact = bool_arg(info, 6, "compact");
  if (bodies.ElementLength() != s.rows()) throw Napi::RangeError::New(info.Env(), "bodies length does not match the key shape");
  const size_t len = mul_checked(info.Env(), s.rows(), s.out_dim + 1, "conversion key");
  if (s.compact) {
    auto out = Napi::Uint32Array::New(info.Env(), len);
    expand_conversion_key(s, ms, bodies.Data(), nullptr, out.Data());
    return out;
  }
  auto out = Napi::TypedArrayOf<uint64_t>::New(info.Env(), len);
  expand_conversion_key(s, ms, bodies.Data(), out.Data(), nullptr);
  return out;
}
// (ksk, inDim, outDim, baseLog, level, ciphertexts) -> Promise<ciphertexts under the target key>
Napi::Value ConversionKeyswitchAsync(const Napi::CallbackInfo& info) {
  Napi::Value kv = info[0];
  if (!kv.IsTypedArray()) throw Napi::TypeError::New(info.Env(), "conversion key must be a BigUint64Array or Uint32Array");
  auto kt = kv.As<Napi::TypedArray>();
  ConversionShape s = conversion_shape(info, 1);
  s.compact = kt.TypedArrayType() == napi_uint32_array;
  if (!s.compact && kt.TypedArrayType() != napi_biguint64_array)
    throw Napi::TypeError::New(info.Env(), "conversion key must be a BigUint64Array or Uint32Array");
  if (kt.ElementLength() != s.rows() * (s.out_dim + 1))
    throw Napi::RangeError::New(info.Env(), "conversion key length does not match its shape");
  auto ct = u64_arg(info, 5, "ciphertexts");
  const size_t count = count_of(info.Env(), ct.ElementLength(), s.in_dim, "ciphertexts");
  // The key is large: read in place, kept alive by a reference released on the main thread
  // (the Task, which owns both lambdas, is destroyed there).
  auto keep = std::make_shared<Napi::Reference<Napi::Value>>(Napi::Persistent(info[0]));
  const uint64_t* key = s.compact ? nullptr : kv.As<Napi::TypedArrayOf<uint64_t>>().Data();
  const uint32_t* key32 = s.compact ? kv.As<Napi::Uint32Array>().Data() : nullptr;
  auto in = std::make_shared<std::vector<uint64_t>>(ct.Data(), ct.Data() + ct.ElementLength());
  auto out = std::make_shared<std::vector<uint64_t>>(count * (s.out_dim + 1));
  return run_async(
      info.Env(), [=] { conversion_keyswitch_batch(s, key, key32, in->data(), count, out->data()); },
      [=](Napi::Env env) -> Napi::Value {
        (void)keep;
        return new_u64(env, out->data(), out->size());
      });
}

Napi::Value BenchKernels(const Napi::CallbackInfo& info) {
  KernelTimings t = measure_kernels(static_cast<size_t>(info[0].As<Napi::Number>().Uint32Value()),
                                    static_cast<size_t>(info[1].As<Napi::Number>().Uint32Value()));
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("forwardUs", t.forward_us);
  o.Set("inverseUs", t.inverse_us);
  o.Set("fmaGflops", t.fma_gflops);
  return o;
}

Napi::Value SetSharedPbs(const Napi::CallbackInfo& info) {
  set_shared_pbs_mode(info[0].As<Napi::String>().Utf8Value());
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#define EXPORT(name, fn) exports.Set(name, Napi::Function::New(env, guard<fn>, name))
  EXPORT("kernelInfo", KernelInfo);
  EXPORT("setKernel", SetKernel);
  EXPORT("setThreads", SetThreads);
  EXPORT("chacha20Block", Chacha20Block);
  EXPORT("csprngU64", CsprngU64);
  EXPORT("sampleGaussian", SampleGaussian);
  EXPORT("paramsValidate", ParamsValidate);
  EXPORT("paramsHash", ParamsHash);
  EXPORT("paramsSerialize", ParamsSerialize);
  EXPORT("paramsDeserialize", ParamsDeserialize);
  EXPORT("secretKeyGenerate", SecretKeyGenerate);
  EXPORT("secretKeyParams", SecretKeyParams);
  EXPORT("secretKeySerialize", SecretKeySerialize);
  EXPORT("secretKeyDeserialize", SecretKeyDeserialize);
  EXPORT("seededKeysGenerate", SeededKeysGenerate);
  EXPORT("seededKeysGenerateAsync", SeededKeysGenerateAsync);
  EXPORT("seededKeysExpand", SeededKeysExpand);
  EXPORT("seededKeysExpandAsync", SeededKeysExpandAsync);
  EXPORT("seededKeysInfo", SeededKeysInfo);
  EXPORT("seededKeysSerialize", SeededKeysSerialize);
  EXPORT("seededKeysDeserialize", SeededKeysDeserialize);
  EXPORT("evalKeysInfo", EvalKeysInfo);
  EXPORT("evalKeysSerialize", EvalKeysSerialize);
  EXPORT("evalKeysDeserialize", EvalKeysDeserialize);
  EXPORT("encrypt", Encrypt);
  EXPORT("phase", Phase);
  EXPORT("encryptSeeded", EncryptSeeded);
  EXPORT("expandSeeded", ExpandSeeded);
  EXPORT("keyswitch", Keyswitch);
  EXPORT("bootstrap", Bootstrap);
  EXPORT("ksPbs", KsPbs);
  EXPORT("keyswitchAsync", KeyswitchAsync);
  EXPORT("bootstrapAsync", BootstrapAsync);
  EXPORT("ksPbsAsync", KsPbsAsync);
  EXPORT("add", Add);
  EXPORT("neg", Neg);
  EXPORT("addPlain", AddPlain);
  EXPORT("mulClear", MulClear);
  EXPORT("matmul", Matmul);
  EXPORT("conv2d", Conv2d);
  EXPORT("ciphertextsSerialize", CiphertextsSerialize);
  EXPORT("ciphertextsDeserialize", CiphertextsDeserialize);
  EXPORT("sourceOf", SourceOf);
  EXPORT("sourceSize", SourceSize);
  EXPORT("sourceRead", SourceRead);
  EXPORT("parserOpen", ParserOpen);
  EXPORT("parserPush", ParserPush);
  EXPORT("parserFinish", ParserFinish);
  EXPORT("setBufferLimitForTests", SetBufferLimit);
  EXPORT("release", Release);
  EXPORT("nativeHeldBytes", NativeHeldBytes);
  EXPORT("benchKernels", BenchKernels);
  EXPORT("setSharedPbs", SetSharedPbs);
  EXPORT("conversionKeyCompact", ConversionKeyCompact);
  EXPORT("conversionKeyGenerate", ConversionKeyGenerate);
  EXPORT("conversionKeyExpand", ConversionKeyExpand);
  EXPORT("conversionKeyswitchAsync", ConversionKeyswitchAsync);
#undef EXPORT
  return exports;
}

}  // namespace

NODE_API_MODULE(fhec_runtime, Init)
