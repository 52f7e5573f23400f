// What `hearth --version` and `hearth version` print: "hearth 0.1.0", plus
// "(git <commit>)" when CMake found the source tree's git commit at configure
// time. The commit is the one checked out when the build was configured.
#pragma once

#include <string>

namespace hearth::cli {

// For example "hearth 0.1.0 (git 8b30893a1c2d)".
std::string version_text();

// The version number alone ("0.1.0"), as GET /api/version reports it.
std::string version_number();

}  // namespace hearth::cli
