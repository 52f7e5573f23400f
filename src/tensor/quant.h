// Quantize and dequantize rows of every supported type.
//
// The *_ref functions are the scalar definitions of each layout: plain loops,
// written for clarity, used by tests and by model synthesis. dequantize_row is
// the SIMD-dispatched fast path and must agree with dequantize_row_ref exactly.
// Precondition everywhere: n % dtype_info(dtype).block_elems == 0.
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace hearth::tensor {

void dequantize_row_ref(DType dtype, const void* src, float* dst, int64_t n);
// Round-to-nearest quantization into `dtype`'s layout. For the K types this is
// a straightforward per-sub-block min/max (or abs-max) fit, not an optimizing search.
void quantize_row_ref(DType dtype, const float* src, void* dst, int64_t n);

void dequantize_row(DType dtype, const void* src, float* dst, int64_t n);

}  // namespace hearth::tensor
