#include "linear.hpp"

#include <cstring>
#include <string>

#include "common.hpp"
#include "threadpool.hpp"

namespace fhec {

static inline void axpy(uint64_t* __restrict acc, const uint64_t* __restrict x, uint64_t c, size_t w) {
  for (size_t j = 0; j < w; j++) acc[j] += c * x[j];
}

void lwe_matmul(const uint64_t* in, size_t rows, size_t K, size_t w, const int64_t* W, size_t M,
                uint64_t* out) {
  const size_t total = rows * M;
  const size_t chunk = 16;
  auto body = [&](size_t c) {
    for (size_t o = c * chunk; o < std::min(total, (c + 1) * chunk); o++) {
      size_t r = o / M, m = o % M;
      uint64_t* acc = out + o * w;
      std::memset(acc, 0, w * sizeof(uint64_t));
      for (size_t k = 0; k < K; k++) {
        int64_t c64 = W[k * M + m];
        if (c64 != 0) axpy(acc, in + (r * K + k) * w, static_cast<uint64_t>(c64), w);
      }
    }
  };
  size_t chunks = (total + chunk - 1) / chunk;
  if (total * K * w > (1u << 20)) {
    parallel_for(chunks, body);
  } else {
    for (size_t c = 0; c < chunks; c++) body(c);
  }
}

void Conv2dShape::validate() const {
  auto fail = [](const std::string& m) { throw RuntimeError("conv2d: " + m); };
  if (batch == 0 || in_channels == 0 || in_h == 0 || in_w == 0) fail("input shape must be non-empty");
  if (out_channels == 0 || kernel_h == 0 || kernel_w == 0) fail("kernel shape must be non-empty");
  if (group == 0 || in_channels % group != 0 || out_channels % group != 0)
    fail("group " + std::to_string(group) + " must divide input channels " + std::to_string(in_channels) +
         " and output channels " + std::to_string(out_channels));
  if (stride_h == 0 || stride_w == 0) fail("strides must be >= 1");
  if (dil_h == 0 || dil_w == 0) fail("dilations must be >= 1");
  if (in_h + pad_top + pad_bottom < dil_h * (kernel_h - 1) + 1 ||
      in_w + pad_left + pad_right < dil_w * (kernel_w - 1) + 1)
    fail("kernel (with dilation) is larger than the padded input");
}

void lwe_conv2d(const uint64_t* in, size_t w, const Conv2dShape& s, const int64_t* kernel,
                const uint64_t* bias, uint64_t* out) {
  s.validate();
  const size_t OH = s.out_h(), OW = s.out_w();
  const size_t cpg = s.in_channels / s.group, mpg = s.out_channels / s.group;
  const size_t total = s.batch * s.out_channels * OH * OW;
  auto body = [&](size_t o) {
    size_t ow = o % OW, t = o / OW;
    size_t oh = t % OH;
    t /= OH;
    size_t m = t % s.out_channels, b = t / s.out_channels;
    size_t g = m / mpg;
    uint64_t* acc = out + o * w;
    std::memset(acc, 0, w * sizeof(uint64_t));
    if (bias) acc[w - 1] = bias[m];
    for (size_t ci = 0; ci < cpg; ci++) {
      size_t c = g * cpg + ci;
      for (size_t ki = 0; ki < s.kernel_h; ki++) {
        long ih = long(oh * s.stride_h + ki * s.dil_h) - long(s.pad_top);
        if (ih < 0 || ih >= long(s.in_h)) continue;
        for (size_t kj = 0; kj < s.kernel_w; kj++) {
          long iw = long(ow * s.stride_w + kj * s.dil_w) - long(s.pad_left);
          if (iw < 0 || iw >= long(s.in_w)) continue;
          int64_t kv = kernel[((m * cpg + ci) * s.kernel_h + ki) * s.kernel_w + kj];
          if (kv == 0) continue;
          const uint64_t* x = in + (((b * s.in_channels + c) * s.in_h + size_t(ih)) * s.in_w + size_t(iw)) * w;
          axpy(acc, x, static_cast<uint64_t>(kv), w);
        }
      }
    }
  };
  if (total * cpg * s.kernel_h * s.kernel_w * w > (1u << 20)) {
    parallel_for(total, body);
  } else {
    for (size_t o = 0; o < total; o++) body(o);
  }
}

}  // namespace fhec
