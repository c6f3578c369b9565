// Tables that depend only on a polynomial size (FFT plans, monomial tables): built once per size
// on first use, under a lock, and kept for the life of the process, so every caller shares them.
#pragma once
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>

namespace fhec {

template <class T>
const T& cached_for_size(size_t N, std::unique_ptr<T> (*make)(size_t)) {
  static std::mutex mu;
  static std::map<size_t, std::unique_ptr<T>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(N);
  if (it != cache.end()) return *it->second;
  return *cache.emplace(N, make(N)).first->second;
}

}  // namespace fhec
