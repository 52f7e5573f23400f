// The dashboard's static files (web/dashboard/), compiled into the binary:
// at build time cmake/embed_assets.cmake writes their bytes, content types and
// SHA-256s into a generated dashboard_assets_data.cpp, so `hearth serve`
// needs no files beside it and serves exactly what it was built with.
//
//   for (const DashboardAsset& asset : dashboard_assets()) ... asset.name, asset.bytes
//
// The list of files is in src/api/CMakeLists.txt; a file with an extension
// the script has no content type for fails the build.
#pragma once

#include <span>
#include <string_view>

namespace hearth::api {

struct DashboardAsset {
  std::string_view name;          // "dashboard.js": its path under /dashboard/
  std::string_view content_type;  // "text/javascript; charset=utf-8", from the extension
  std::string_view bytes;         // the file as it was at build time
  std::string_view sha256_hex;    // of `bytes`, 64 lowercase hex digits
};

// Every asset, in the order CMakeLists.txt names them. Static storage.
std::span<const DashboardAsset> dashboard_assets();

}  // namespace hearth::api
