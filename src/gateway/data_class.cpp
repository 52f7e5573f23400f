#include "gateway/data_class.h"

namespace hearth::gateway {

std::string_view data_class_name(DataClass data_class) {
  switch (data_class) {
    case DataClass::kPublic:
      return "public";
    case DataClass::kInternal:
      return "internal";
    case DataClass::kConfidential:
      return "confidential";
  }
  return "confidential";
}

std::optional<DataClass> parse_data_class(std::string_view name) {
  if (name == "public") return DataClass::kPublic;
  if (name == "internal") return DataClass::kInternal;
  if (name == "confidential") return DataClass::kConfidential;
  return std::nullopt;
}

}  // namespace hearth::gateway
