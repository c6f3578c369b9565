#define KNS scalar_k
#include "kernels_impl.hpp"
