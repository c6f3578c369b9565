#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common.hpp"
#include "kernels.hpp"

namespace fhec {

bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl") && cpu_has_avx2();
}

static const Kernels* select(const std::string& name) {
  if (name == "scalar") return &scalar_k::kernels();
  if (name == "avx2") {
    if (!cpu_has_avx2()) throw RuntimeError("kernel 'avx2' requested but this CPU lacks AVX2/FMA");
    return &avx2_k::kernels();
  }
  if (name == "avx512") {
    if (!cpu_has_avx512()) throw RuntimeError("kernel 'avx512' requested but this CPU lacks AVX-512 F/DQ/VL");
    return &avx512_k::kernels();
  }
  if (name == "auto" || name.empty()) {
    if (cpu_has_avx512()) return &avx512_k::kernels();
    if (cpu_has_avx2()) return &avx2_k::kernels();
    return &scalar_k::kernels();
  }
  throw RuntimeError("unknown kernel '" + name + "' (expected auto, scalar, avx2 or avx512)");
}

static std::atomic<const Kernels*> g_active{nullptr};

const Kernels& active_kernels() {
  const Kernels* k = g_active.load(std::memory_order_acquire);
  if (k) return *k;
  const char* env = std::getenv("FHEC_RUNTIME_KERNEL");
  k = select(env ? env : "auto");
  g_active.store(k, std::memory_order_release);
  return *k;
}

void set_kernels(const char* name) { g_active.store(select(name), std::memory_order_release); }

}  // namespace fhec
