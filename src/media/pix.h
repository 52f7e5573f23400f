// PixPtr: an owned Leptonica image (PIX), freed with pixDestroy. Leptonica is
// the image library tesseract reads from; every page hearth reads is one.
#pragma once

#include <memory>

struct Pix;

namespace hearth::media {

struct PixDeleter {
  void operator()(Pix* pix) const;
};
using PixPtr = std::unique_ptr<Pix, PixDeleter>;

}  // namespace hearth::media
