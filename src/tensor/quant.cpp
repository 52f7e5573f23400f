// dequantize_row. First version: the scalar reference.
#include "tensor/quant.h"

namespace hearth::tensor {

void dequantize_row(DType dtype, const void* src, float* dst, int64_t n) { dequantize_row_ref(dtype, src, dst, n); }

}  // namespace hearth::tensor
