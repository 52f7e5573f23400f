#include "net/multipart.h"

#include <algorithm>
#include <random>

namespace hearth::net {
namespace {

constexpr size_t kMaxBoundaryChars = 70;  // RFC 2046 section 5.1.1

char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t idx = 0; idx < a.size(); ++idx) {
    if (lower_ascii(a[idx]) != lower_ascii(b[idx])) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// RFC 2046 bchars: DIGIT / ALPHA / "'()+_,-./:=?" and space (not last).
bool is_boundary_char(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

// RFC 9110 tchar.
bool is_token_char(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// One `name=value` parameter of a header value; value a token or a quoted string.
struct HeaderParam {
  std::string name;
  std::string value;
};

// The parameters after the first ';' of a header value such as
// `form-data; name="file"; filename="a b.jsonl"`; `kind` receives what comes
// before them. At most `max_value_bytes` per value.
Result<std::vector<HeaderParam>> parse_params(std::string_view text, std::string* kind, size_t max_value_bytes,
                                              std::string_view header) {
  const std::string where = "the " + std::string(header) + " header";
  size_t pos = 0;
  while (pos < text.size() && text[pos] != ';') ++pos;
  *kind = std::string(trim(text.substr(0, pos)));
  std::vector<HeaderParam> params;
  while (pos < text.size()) {
    ++pos;  // the ';'
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    if (pos == text.size()) break;  // a trailing ';'
    const size_t name_start = pos;
    while (pos < text.size() && is_token_char(text[pos])) ++pos;
    if (pos == name_start) return invalid_argument_error(where + " has a parameter without a name");
    HeaderParam param;
    param.name = std::string(text.substr(name_start, pos - name_start));
    std::transform(param.name.begin(), param.name.end(), param.name.begin(), lower_ascii);
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    if (pos == text.size() || text[pos] != '=') {
      return invalid_argument_error(where + "'s parameter '" + param.name + "' has no value");
    }
    ++pos;
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    if (pos < text.size() && text[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < text.size()) {
        char c = text[pos++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && pos < text.size()) c = text[pos++];
        if (param.value.size() >= max_value_bytes) {
          return invalid_argument_error(where + "'s parameter '" + param.name + "' is longer than " +
                                        std::to_string(max_value_bytes) + " bytes");
        }
        param.value.push_back(c);
      }
      if (!closed) return invalid_argument_error(where + "'s parameter '" + param.name + "' has an unclosed quote");
    } else {
      const size_t value_start = pos;
      while (pos < text.size() && is_token_char(text[pos])) ++pos;
      if (pos - value_start > max_value_bytes) {
        return invalid_argument_error(where + "'s parameter '" + param.name + "' is longer than " +
                                      std::to_string(max_value_bytes) + " bytes");
      }
      param.value = std::string(text.substr(value_start, pos - value_start));
    }
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    if (pos < text.size() && text[pos] != ';') {
      return invalid_argument_error(where + " has unexpected text after the parameter '" + param.name + "'");
    }
    for (const HeaderParam& earlier : params) {
      if (earlier.name == param.name) {
        return invalid_argument_error(where + " repeats the parameter '" + param.name + "'");
      }
    }
    params.push_back(std::move(param));
  }
  return params;
}

// The header block of one part (without its final empty line) into `part`.
Status parse_part_headers(std::string_view block, const MultipartLimits& limits, size_t part_idx,
                          MultipartPart* part) {
  const std::string where = "part " + std::to_string(part_idx + 1);
  size_t n_headers = 0;
  bool has_disposition = false;
  bool has_type = false;
  while (!block.empty()) {
    const size_t eol = block.find("\r\n");
    const std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    if (++n_headers > limits.max_headers_per_part) {
      return invalid_argument_error(where + " has more than " + std::to_string(limits.max_headers_per_part) +
                                    " header lines");
    }
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      return invalid_argument_error(where + " has a folded header line (not allowed in multipart/form-data)");
    }
    for (char c : line) {
      const auto byte = static_cast<unsigned char>(c);
      if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
        return invalid_argument_error(where + " has a control character in a header line");
      }
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return invalid_argument_error(where + " has a header line without a name and a colon");
    }
    const std::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (!is_token_char(c)) return invalid_argument_error(where + " has a header name that is not a token");
    }
    const std::string_view value = trim(line.substr(colon + 1));
    if (equals_ignore_case(name, "content-disposition")) {
      if (has_disposition) return invalid_argument_error(where + " repeats Content-Disposition");
      has_disposition = true;
      std::string kind;
      HEARTH_ASSIGN_OR_RETURN(
          std::vector<HeaderParam> params,
          parse_params(value, &kind, std::max(limits.max_name_bytes, limits.max_filename_bytes), "Content-Disposition"));
      if (!equals_ignore_case(kind, "form-data")) {
        return invalid_argument_error(where + "'s Content-Disposition is '" + kind.substr(0, 64) +
                                      "', not 'form-data'");
      }
      bool has_name = false;
      for (HeaderParam& param : params) {
        if (param.name == "name") {
          if (param.value.empty() || param.value.size() > limits.max_name_bytes) {
            return invalid_argument_error(where + "'s field name must be 1 to " +
                                          std::to_string(limits.max_name_bytes) + " bytes");
          }
          part->name = std::move(param.value);
          has_name = true;
        } else if (param.name == "filename") {
          if (param.value.size() > limits.max_filename_bytes) {
            return invalid_argument_error(where + "'s file name is longer than " +
                                          std::to_string(limits.max_filename_bytes) + " bytes");
          }
          part->filename = std::move(param.value);
        }
        // Other parameters (filename*, which RFC 7578 says senders must not use) are ignored.
      }
      if (!has_name) return invalid_argument_error(where + "'s Content-Disposition has no name");
    } else if (equals_ignore_case(name, "content-type")) {
      if (has_type) return invalid_argument_error(where + " repeats Content-Type");
      has_type = true;
      part->content_type = std::string(value.substr(0, 256));
    }
    // Other headers (Content-Transfer-Encoding, which RFC 7578 deprecates) are ignored.
  }
  if (!has_disposition) return invalid_argument_error(where + " has no Content-Disposition: form-data header");
  return ok_status();
}

}  // namespace

Result<std::string> multipart_boundary(std::string_view content_type) {
  std::string kind;
  HEARTH_ASSIGN_OR_RETURN(std::vector<HeaderParam> params,
                          parse_params(content_type, &kind, kMaxBoundaryChars + 1, "Content-Type"));
  if (!equals_ignore_case(kind, "multipart/form-data")) {
    return invalid_argument_error("the body must be multipart/form-data (Content-Type is '" + kind.substr(0, 64) +
                                  "')");
  }
  for (const HeaderParam& param : params) {
    if (param.name != "boundary") continue;
    const std::string& boundary = param.value;
    if (boundary.empty() || boundary.size() > kMaxBoundaryChars || boundary.back() == ' ' ||
        !std::all_of(boundary.begin(), boundary.end(), is_boundary_char)) {
      return invalid_argument_error("the multipart boundary must be 1 to 70 characters of RFC 2046's set");
    }
    return boundary;
  }
  return invalid_argument_error("the multipart/form-data Content-Type has no boundary parameter");
}

Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                   const MultipartLimits& limits) {
  if (boundary.empty() || boundary.size() > kMaxBoundaryChars) {
    return invalid_argument_error("the multipart boundary must be 1 to 70 characters");
  }
  const std::string dash_boundary = "--" + std::string(boundary);
  const std::string delimiter = "\r\n" + dash_boundary;
  size_t pos = 0;
  if (body.substr(0, dash_boundary.size()) != dash_boundary) {
    const size_t found = body.find(delimiter);
    if (found == std::string_view::npos) return invalid_argument_error("the multipart body has no boundary line");
    pos = found + 2;
  }
  std::vector<MultipartPart> parts;
  while (true) {
    // body[pos..] starts with dash_boundary.
    pos += dash_boundary.size();
    if (body.substr(pos, 2) == "--") return parts;  // the close delimiter; the epilogue is ignored
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;  // transport padding
    if (body.substr(pos, 2) != "\r\n") {
      return invalid_argument_error("a multipart boundary line is not followed by CRLF");
    }
    pos += 2;
    if (parts.size() == limits.max_parts) {
      return invalid_argument_error("the form has more than " + std::to_string(limits.max_parts) + " parts");
    }
    // The header block ends at the first empty line; a part with no headers
    // starts with that empty line at once.
    size_t headers_end = 0;
    size_t data_start = 0;
    if (body.substr(pos, 2) == "\r\n") {
      headers_end = pos;
      data_start = pos + 2;
    } else {
      const size_t search_bytes = limits.max_part_header_bytes + 4;
      const size_t blank = body.substr(pos, search_bytes).find("\r\n\r\n");
      if (blank == std::string_view::npos) {
        return invalid_argument_error(
            body.size() - pos >= search_bytes
                ? "part " + std::to_string(parts.size() + 1) + "'s headers are longer than " +
                      std::to_string(limits.max_part_header_bytes) + " bytes"
                : "part " + std::to_string(parts.size() + 1) + "'s headers do not end (no empty line)");
      }
      headers_end = pos + blank;
      data_start = headers_end + 4;
    }
    MultipartPart part;
    HEARTH_RETURN_IF_ERROR(parse_part_headers(body.substr(pos, headers_end - pos), limits, parts.size(), &part));
    const size_t data_end = body.find(delimiter, data_start);
    if (data_end == std::string_view::npos) {
      return invalid_argument_error("the multipart body ends inside part " + std::to_string(parts.size() + 1) +
                                    " (no closing boundary)");
    }
    part.data = body.substr(data_start, data_end - data_start);
    parts.push_back(std::move(part));
    pos = data_end + 2;
  }
}

std::string write_multipart(std::string_view boundary, const std::vector<MultipartField>& fields) {
  std::string body;
  for (const MultipartField& field : fields) {
    body += "--";
    body += boundary;
    body += "\r\nContent-Disposition: form-data; name=\"" + field.name + "\"";
    if (!field.filename.empty()) body += "; filename=\"" + field.filename + "\"";
    body += "\r\n";
    if (!field.content_type.empty()) body += "Content-Type: " + field.content_type + "\r\n";
    body += "\r\n";
    body += field.data;
    body += "\r\n";
  }
  body += "--";
  body += boundary;
  body += "--\r\n";
  return body;
}

std::string random_multipart_boundary() {
  static constexpr std::string_view kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  std::uniform_int_distribution<size_t> pick(0, kChars.size() - 1);
  std::string boundary = "hearth-";
  for (int idx = 0; idx < 32; ++idx) boundary.push_back(kChars[pick(device)]);
  return boundary;
}

}  // namespace hearth::net
