#define KNS avx2_k
#include "kernels_impl.hpp"
