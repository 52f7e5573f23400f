// PowerSpectrum: |DFT|^2 of real frames of one fixed length, by a mixed-radix
// FFT in double precision (Whisper's 400-sample frames are 2^4 * 5^2; any
// length whose prime factors are small runs in O(n * sum of factors), and a
// large prime factor falls back to its direct DFT).
//
//   PowerSpectrum spectrum(400);
//   std::vector<double> power(spectrum.n_bins());   // n / 2 + 1 bins: 0 .. Nyquist
//   spectrum.compute(frame, power.data());
//
// Thread-safety: compute() is const and keeps its scratch on the caller's
// stack frame (a thread_local buffer), so one instance serves many threads.
#pragma once

#include <complex>
#include <cstdint>
#include <vector>

namespace hearth::media {

class PowerSpectrum {
 public:
  // Precondition: n_fft >= 2 (a programming constant, not input).
  explicit PowerSpectrum(int64_t n_fft);

  int64_t n_fft() const { return n_fft_; }
  int64_t n_bins() const { return n_fft_ / 2 + 1; }

  // power[k] = |sum_t frame[t] * exp(-2 pi i k t / n)|^2 for k in [0, n_bins).
  void compute(const double* frame, double* power) const;

  // The complex DFT of `in` (n_fft values), into `out`; what compute() squares.
  void dft(const std::complex<double>* in, std::complex<double>* out) const;

 private:
  void transform(const std::complex<double>* in, int64_t stride, std::complex<double>* out, int64_t n,
                 size_t factor_idx) const;

  int64_t n_fft_;
  std::vector<int64_t> factors_;             // radices, first applied first
  std::vector<std::complex<double>> roots_;  // exp(-2 pi i j / n_fft), j in [0, n_fft)
};

}  // namespace hearth::media
