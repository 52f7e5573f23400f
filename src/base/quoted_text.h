// Text in single quotes for error messages: 'name'. Built by appending, not
// with "'" + std::string(...) + "'", on which GCC 12 reports a false
// -Wrestrict (an error under -Werror).
//
//   return invalid_argument_error(single_quoted(text) + " is not a window");
#pragma once

#include <string>
#include <string_view>

namespace hearth {

std::string single_quoted(std::string_view text);

}  // namespace hearth
