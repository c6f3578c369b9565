#define KNS avx512_k
#include "kernels_impl.hpp"
