// Shared definitions of the fhec native TFHE runtime.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string.h>  // explicit_bzero

namespace fhec {

/// Error raised for any invalid input; the addon turns it into a JS Error with the same message.
struct RuntimeError : std::runtime_error {
  explicit RuntimeError(const std::string& msg) : std::runtime_error(msg) {}
};

/// Zeroes memory that held secret material (explicit_bzero: never optimised away).
inline void wipe(void* p, size_t n) {
  if (p && n) explicit_bzero(p, n);
}

}  // namespace fhec
