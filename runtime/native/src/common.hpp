// Shared definitions of the fhec native TFHE runtime.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace fhec {

/// Error raised for any invalid input; the addon turns it into a JS Error with the same message.
struct RuntimeError : std::runtime_error {
  explicit RuntimeError(const std::string& msg) : std::runtime_error(msg) {}
};

}  // namespace fhec
