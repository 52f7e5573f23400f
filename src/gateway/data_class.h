// Data classes: how sensitive a request's content is, which decides where it
// may be sent. Ordered: a request may raise its class above its API key's
// floor, never lower it; `confidential` never leaves the shop's own nodes.
#pragma once

#include <optional>
#include <string_view>

namespace hearth::gateway {

enum class DataClass { kPublic = 0, kInternal = 1, kConfidential = 2 };

// "public", "internal", "confidential".
std::string_view data_class_name(DataClass data_class);
// Case-sensitive; nullopt for anything else.
std::optional<DataClass> parse_data_class(std::string_view name);

// The more sensitive of the two.
inline DataClass stricter(DataClass lhs, DataClass rhs) { return lhs > rhs ? lhs : rhs; }

}  // namespace hearth::gateway
