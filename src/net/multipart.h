// multipart/form-data (RFC 7578 over RFC 2046's multipart framing): the
// boundary from a Content-Type header, a whole body split into its parts, and
// a body written from parts (the CLI's uploads). Shared by every route that
// takes a form upload (`POST /v1/files`, speech-to-text).
// ref: https://www.rfc-editor.org/rfc/rfc7578 , https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1
//
//   HEARTH_ASSIGN_OR_RETURN(std::string boundary, multipart_boundary(content_type_header));
//   HEARTH_ASSIGN_OR_RETURN(std::vector<MultipartPart> parts, parse_multipart(body, boundary, {}));
//   for (const MultipartPart& part : parts) if (part.name == "file") store(part.data);
//
// Every input is hostile: the body is parsed in one pass with every length
// bounded by MultipartLimits; a malformed body (no closing delimiter, a part
// without Content-Disposition: form-data, a header line without a colon, a
// header block past its limit, too many parts) is kInvalidArgument with a
// sentence saying what is wrong, never a partial result. Parts' data are views
// into the body: the body must outlive them.
//
// Thread-safety: free functions on their arguments.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace hearth::net {

struct MultipartLimits {
  size_t max_parts = 16;                  // a form with more parts is refused
  size_t max_part_header_bytes = 8192;    // one part's header block
  size_t max_headers_per_part = 16;       // header lines in one part
  size_t max_name_bytes = 256;            // a field name
  size_t max_filename_bytes = 1024;       // a file name
};

struct MultipartPart {
  std::string name;                     // Content-Disposition's name (required, may not be empty)
  std::optional<std::string> filename;  // Content-Disposition's filename, when sent
  std::string content_type;             // the part's Content-Type; empty when not sent
  std::string_view data;                // the part's bytes, a view into the body
};

// The boundary of a `multipart/form-data; boundary=...` Content-Type value
// (the media type in any letter case, the boundary token or quoted string of
// 1..70 characters from RFC 2046's set). kInvalidArgument otherwise.
Result<std::string> multipart_boundary(std::string_view content_type);

// Splits `body` into its parts. The preamble and epilogue are ignored, as RFC
// 2046 says; header names are matched in any letter case.
Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                   const MultipartLimits& limits);

// One part to write. filename empty: a plain field.
struct MultipartField {
  std::string name;
  std::string filename;
  std::string content_type;
  std::string_view data;
};

// A body for `boundary` holding the fields in order. The caller picks a
// boundary that none of the data contains (random_multipart_boundary's odds
// are 2^-192 per body); names and file names must not hold '"', CR or LF.
std::string write_multipart(std::string_view boundary, const std::vector<MultipartField>& fields);

// "hearth-" + 32 random characters from [A-Za-z0-9].
std::string random_multipart_boundary();

}  // namespace hearth::net
