// Linear operations on tensors of LWE ciphertexts with clear integer operands.
// A ciphertext is `w = dim + 1` words (mask then body); tensors are contiguous.
#pragma once
#include <cstddef>
#include <cstdint>

namespace fhec {

/// out[r][m] = sum_k W[k][m] * in[r][k]   (in: rows x K ciphertexts, W: K x M, out: rows x M)
void lwe_matmul(const uint64_t* in, size_t rows, size_t K, size_t w, const int64_t* W, size_t M,
                uint64_t* out);

struct Conv2dShape {
  size_t batch, in_channels, in_h, in_w;
  size_t out_channels, kernel_h, kernel_w;
  size_t stride_h, stride_w, pad_top, pad_left, pad_bottom, pad_right, dil_h, dil_w, group;
  size_t out_h() const { return (in_h + pad_top + pad_bottom - dil_h * (kernel_h - 1) - 1) / stride_h + 1; }
  size_t out_w() const { return (in_w + pad_left + pad_right - dil_w * (kernel_w - 1) - 1) / stride_w + 1; }
  /// Throws RuntimeError if inconsistent.
  void validate() const;
};

/// NCHW conv2d with a clear kernel [M][C/group][kh][kw] and optional encoded bias [M] (added
/// to the body). Zero padding contributes nothing (a trivial encryption of 0).
void lwe_conv2d(const uint64_t* in, size_t w, const Conv2dShape& s, const int64_t* kernel,
                const uint64_t* bias, uint64_t* out);

}  // namespace fhec
