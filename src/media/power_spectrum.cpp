// Mixed-radix decimation-in-time FFT (see power_spectrum.h).
#include "media/power_spectrum.h"

#include <cassert>
#include <cmath>
#include <numbers>

namespace hearth::media {

PowerSpectrum::PowerSpectrum(int64_t n_fft) : n_fft_(n_fft) {
  assert(n_fft >= 2 && "a spectrum needs at least two samples");
  int64_t rest = n_fft;
  for (int64_t radix : {4, 2, 3, 5, 7}) {
    while (rest % radix == 0) {
      factors_.push_back(radix);
      rest /= radix;
    }
  }
  if (rest > 1) factors_.push_back(rest);  // a prime factor > 7: its direct DFT
  roots_.resize(static_cast<size_t>(n_fft));
  for (int64_t j = 0; j < n_fft; ++j) {
    const double angle = -2.0 * std::numbers::pi * static_cast<double>(j) / static_cast<double>(n_fft);
    roots_[static_cast<size_t>(j)] = {std::cos(angle), std::sin(angle)};
  }
}

// out[k] for k in [0, n) = DFT of in[0], in[stride], ... (n values). Splits n =
// radix * m: the radix interleaved sub-sequences are transformed recursively,
// then combined with twiddles from roots_ (whose step for length n is n_fft / n).
void PowerSpectrum::transform(const std::complex<double>* in, int64_t stride, std::complex<double>* out, int64_t n,
                              size_t factor_idx) const {
  if (n == 1) {
    out[0] = in[0];
    return;
  }
  const int64_t radix = factors_[factor_idx];
  const int64_t m = n / radix;
  for (int64_t r = 0; r < radix; ++r) transform(in + r * stride, stride * radix, out + r * m, m, factor_idx + 1);
  const int64_t root_step = n_fft_ / n;
  std::complex<double> sums[64];
  std::vector<std::complex<double>> big;
  std::complex<double>* acc = sums;
  if (radix > 64) {
    big.resize(static_cast<size_t>(radix));
    acc = big.data();
  }
  for (int64_t k = 0; k < m; ++k) {
    // x_r = twiddled k-th output of sub-transform r; out[k + q*m] = sum_r x_r * w_radix^(r q)
    for (int64_t r = 0; r < radix; ++r) {
      acc[r] = out[r * m + k] * roots_[static_cast<size_t>((r * k * root_step) % n_fft_)];
    }
    for (int64_t q = 0; q < radix; ++q) {
      std::complex<double> s = 0.0;
      for (int64_t r = 0; r < radix; ++r) {
        s += acc[r] * roots_[static_cast<size_t>(((r * q) % radix) * m * root_step)];
      }
      out[q * m + k] = s;  // safe: this k's inputs were copied into acc above
    }
  }
}

void PowerSpectrum::dft(const std::complex<double>* in, std::complex<double>* out) const {
  transform(in, 1, out, n_fft_, 0);
}

void PowerSpectrum::compute(const double* frame, double* power) const {
  thread_local std::vector<std::complex<double>> in, out;
  in.resize(static_cast<size_t>(n_fft_));
  out.resize(static_cast<size_t>(n_fft_));
  for (int64_t t = 0; t < n_fft_; ++t) in[static_cast<size_t>(t)] = {frame[t], 0.0};
  dft(in.data(), out.data());
  for (int64_t k = 0; k < n_bins(); ++k) power[k] = std::norm(out[static_cast<size_t>(k)]);
}

}  // namespace hearth::media
