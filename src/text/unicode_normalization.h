// Unicode normalization of tokenizer input (HF tokenizers' "NFC" normalizer),
// with utf8proc.
// ref: https://unicode.org/reports/tr15/ (Unicode Normalization Forms)
#pragma once

#include <string>
#include <string_view>

namespace hearth::text {

// `text` in Normalization Form C. Each well-formed UTF-8 run is normalized on
// its own; ill-formed bytes are kept as they are, between the runs, so that
// no byte is lost (the tokenizer encodes them as bytes). ASCII is returned
// unchanged without calling into utf8proc. Thread-safe.
std::string nfc_normalize(std::string_view text);

}  // namespace hearth::text
