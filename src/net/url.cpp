#include "net/url.h"

#include <cctype>
#include <vector>

namespace hearth::net {
namespace {

// Visible ASCII only: a space, CR or LF in a target would forge the request line.
bool is_clean_target(std::string_view target) {
  for (char ch : target) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte <= 0x20 || byte >= 0x7f) return false;
  }
  return true;
}

bool is_host_char(char ch) {
  return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-' || ch == '.' || ch == '_';
}

// "the URL 'TEXT' PROBLEM", TEXT cut to 200 printable characters. Built by
// appending: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string&&.
Status bad_url(std::string_view prefix, std::string_view text, std::string_view problem) {
  std::string message(prefix);
  message.append(" '");
  for (char ch : text.substr(0, 200)) message.push_back(std::isprint(static_cast<unsigned char>(ch)) ? ch : '?');
  message.append("' ").append(problem);
  return invalid_argument_error(std::move(message));
}

int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

// RFC 3986 section 5.2.4: "/a/b/../c/./d" -> "/a/c/d". `path` starts with '/'; a query is kept as is.
std::string remove_dot_segments(std::string_view path) {
  std::string_view query;
  const size_t query_pos = path.find('?');
  if (query_pos != std::string_view::npos) {
    query = path.substr(query_pos);
    path = path.substr(0, query_pos);
  }
  std::vector<std::string_view> segments;
  size_t pos = 1;  // after the leading '/'
  bool trailing_slash = false;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    const std::string_view segment = path.substr(pos, next - pos);
    trailing_slash = false;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      trailing_slash = true;
    } else if (segment == ".") {
      trailing_slash = true;
    } else {
      segments.push_back(segment);
    }
    pos = next + 1;
  }
  std::string out;
  for (const std::string_view segment : segments) {
    out.push_back('/');
    out.append(segment);
  }
  if (out.empty() || trailing_slash) out.push_back('/');
  out.append(query);
  return out;
}

}  // namespace

std::string percent_decode(std::string_view text) {
  std::string out;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (text[pos] == '%' && pos + 2 < text.size()) {
      const int high = hex_value(text[pos + 1]);
      const int low = hex_value(text[pos + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        pos += 2;
        continue;
      }
    }
    out.push_back(text[pos]);
  }
  return out;
}

std::string Url::to_string() const { return scheme + "://" + host_header() + target; }

std::string Url::host_header() const {
  const bool default_port = (tls && port == "443") || (!tls && port == "80");
  const std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return default_port ? shown_host : shown_host + ":" + port;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  for (size_t idx = 0; idx < lower_prefix.size(); ++idx) {
    if (std::tolower(static_cast<unsigned char>(text[idx])) != lower_prefix[idx]) return false;
  }
  return true;
}

Result<Url> parse_url(std::string_view text) {
  bool tls = false;
  std::string_view rest;
  if (starts_with_ignoring_case(text, "https://")) {
    tls = true;
    rest = text.substr(8);
  } else if (starts_with_ignoring_case(text, "http://")) {
    rest = text.substr(7);
  } else {
    return bad_url("the source", text, "is not an http:// or https:// URL");
  }
  const size_t fragment = rest.find('#');
  if (fragment != std::string_view::npos) rest = rest.substr(0, fragment);
  const size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return bad_url("the URL", text, "carries a user name or password; hearth does not send those");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad_url("the URL", text, "has an unclosed '['");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad_url("the URL", text, "has junk after its host");
      port = after.substr(1);
    }
    for (char ch : host) {
      if (std::isxdigit(static_cast<unsigned char>(ch)) == 0 && ch != ':' && ch != '.') {
        return bad_url("the URL", text, "has a malformed IPv6 address");
      }
    }
  } else {
    const size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    for (char ch : host) {
      if (!is_host_char(ch)) return bad_url("the URL", text, "has a malformed host");
    }
  }
  if (host.empty()) return bad_url("the URL", text, "has no host");
  if (host.size() > 253) return invalid_argument_error("the URL's host is longer than 253 characters");
  int port_number = tls ? 443 : 80;
  if (!port.empty() || authority.find(':') != std::string_view::npos) {
    if (port.empty() || port.size() > 5) return bad_url("the URL", text, "has a bad port");
    int value = 0;
    for (char ch : port) {
      if (ch < '0' || ch > '9') return bad_url("the URL", text, "has a bad port");
      value = value * 10 + (ch - '0');
    }
    if (value < 1 || value > 65535) return bad_url("the URL", text, "has a port out of range");
    port_number = value;
  }
  Url url;
  url.scheme = tls ? "https" : "http";
  url.tls = tls;
  url.port = std::to_string(port_number);
  if (target.empty()) target = "/";
  url.target.reserve(target.size() + 1);
  if (target.front() == '?') url.target.push_back('/');
  url.target.append(target.data(), target.size());
  if (!is_clean_target(url.target)) {
    return bad_url("the URL", text, "has spaces or non-ASCII bytes in its path (percent-encode them)");
  }
  if (url.target.size() > 8192) return invalid_argument_error("the URL's path is longer than 8192 characters");
  url.host = std::string(host);
  return url;
}

Result<Url> parse_base_url(std::string_view text) {
  HEARTH_ASSIGN_OR_RETURN(Url url, parse_url(text));
  if (url.target.find('?') != std::string::npos) return bad_url("the base URL", text, "has a query");
  return url;
}

std::string path_prefix(const Url& base) {
  std::string_view path = base.target;
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return std::string(path);
}

Result<Url> resolve_location(const Url& base, std::string_view location) {
  if (location.empty()) return invalid_argument_error("the redirect has an empty Location");
  if (starts_with_ignoring_case(location, "http://") || starts_with_ignoring_case(location, "https://"))
    return parse_url(location);
  if (location.find("://") != std::string_view::npos) {
    return bad_url("the redirect points to", location, "which is not http(s)");
  }
  if (location.size() >= 2 && location[0] == '/' && location[1] == '/') {
    return parse_url(base.scheme + ":" + std::string(location));
  }
  std::string path;
  if (location.front() == '/') {
    path = std::string(location);
  } else {
    std::string_view base_path = base.target;
    const size_t query = base_path.find('?');
    if (query != std::string_view::npos) base_path = base_path.substr(0, query);
    const size_t slash = base_path.rfind('/');
    path = std::string(base_path.substr(0, slash + 1)) + std::string(location);
  }
  std::string resolved = base.scheme;
  resolved.append("://").append(base.host_header()).append(remove_dot_segments(path));
  return parse_url(resolved);
}

}  // namespace hearth::net
