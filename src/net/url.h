// The one URL parser: http(s) URLs for model pulls, node and provider base
// URLs, parsed strictly (a URL comes from the user, a config file or, through
// redirects, from a server), and a redirect's Location resolved against the
// URL that answered it. Schemes and host names ignore letter case.
// ref: RFC 3986 sections 3 and 5.2 (the subset HTTP redirects use).
//
//   HEARTH_ASSIGN_OR_RETURN(Url url, parse_url("https://nas.local:8443/models/x.gguf?v=1"));
//   // url.host "nas.local", url.port "8443", url.target "/models/x.gguf?v=1", url.tls true
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth::net {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // a name, an IPv4 address, or an IPv6 address without brackets
  std::string port;    // decimal, 1..65535; the scheme's default when absent
  std::string target;  // path and query, starting with '/'; never a fragment
  bool tls = false;

  // scheme://host[:port]target, brackets around IPv6 hosts; the port only when not the default.
  std::string to_string() const;
  // The Host header value.
  std::string host_header() const;
};

// kInvalidArgument for anything but an absolute http:// or https:// URL with a
// host, an optional numeric port and a path of visible ASCII (no spaces or
// control bytes: they would end up in the request line). User info
// ("user:pass@") is refused rather than sent in the clear.
Result<Url> parse_url(std::string_view text);

// An API's base URL ("https://api.openai.com/v1", "http://10.0.0.2:8770"):
// parse_url's rules, and no query. Requests go to path_prefix(url) + "/v1/...".
Result<Url> parse_base_url(std::string_view text);

// A base URL's path without its trailing slashes: "" for "http://h:1/", "/v1" for ".../v1/".
std::string path_prefix(const Url& base);

// Whether `text` starts with `lower_prefix` (lower case), ignoring ASCII case:
// URL schemes and host names are case-insensitive ("HTTPS://").
bool starts_with_ignoring_case(std::string_view text, std::string_view lower_prefix);

// The URL a Location header points to, relative to `base`: absolute URLs,
// "//host/path", "/path" and "path" (relative to base's directory).
Result<Url> resolve_location(const Url& base, std::string_view location);

// "%2B" -> "+". A malformed escape is kept as it is.
std::string percent_decode(std::string_view text);

}  // namespace hearth::net
