#include "api/ocr.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "api/json_fields.h"
#include "api/json_output.h"
#include "api/request_parsing.h"
#include "base/base64.h"

namespace hearth::api {
namespace {

using nlohmann::json;

constexpr int64_t kMaxPageIndex = 1'000'000;

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t pos = 0; pos < prefix.size(); ++pos) {
    if (std::tolower(static_cast<unsigned char>(text[pos])) != prefix[pos]) return false;
  }
  return true;
}

ApiError unsupported(std::string param, const std::string& what) {
  ApiError error = invalid_field_error(std::move(param), what + " is not supported yet");
  error.code = kUnsupportedFeatureCode;
  return error;
}

}  // namespace

ApiResult<std::string> decode_document_url(std::string_view url, const std::string& param) {
  if (starts_with_nocase(url, "http://") || starts_with_nocase(url, "https://")) {
    // A provider behind a gateway may fetch it (unsupported_feature lets the gateway route it there).
    ApiError error = invalid_field_error(
        param, "hearth reads only documents sent in the request (a data: URL or base64); it does not fetch URLs");
    error.code = kUnsupportedFeatureCode;
    return error;
  }
  std::string_view payload = url;
  if (starts_with_nocase(url, "data:")) {
    const size_t comma = url.find(',');
    if (comma == std::string_view::npos) return invalid_field_error(param, "the data: URL has no ',' before its data");
    const std::string_view header = url.substr(5, comma - 5);
    if (header.size() < 7 || !starts_with_nocase(header.substr(header.size() - 7), ";base64")) {
      return invalid_field_error(param, "the data: URL must carry base64 (data:<type>;base64,...)");
    }
    payload = url.substr(comma + 1);
  }
  if (payload.empty()) return invalid_field_error(param, "the document is empty");
  std::optional<std::string> bytes = base64_decode(payload);
  if (!bytes) return invalid_field_error(param, "the document is not valid base64");
  if (bytes->empty()) return invalid_field_error(param, "the document is empty");
  return std::move(*bytes);
}

ApiResult<OcrApiRequest> parse_ocr_request(std::string_view body) {
  ApiResult<json> parsed = parse_json_body(body);
  if (!parsed.ok()) return parsed.error();
  const json& root = *parsed;
  FieldReader fields(root, "", "the request body");
  if (fields.failed()) return fields.error();
  OcrApiRequest out;
  fields.string("model", &out.model, true);
  fields.string("id", &out.id);
  bool include_images = false;
  fields.boolean("include_image_base64", &include_images);
  int64_t image_limit = 0;
  fields.integer("image_limit", &image_limit, 0, int64_t{1} << 40);
  int64_t image_min_size = 0;
  fields.integer("image_min_size", &image_min_size, 0, int64_t{1} << 40);
  for (const char* annotation : {"bbox_annotation_format", "document_annotation_format"}) {
    if (fields.has(annotation)) fields.fail(unsupported(annotation, quote(annotation)));
  }
  if (const json* pages = fields.get("pages")) {
    if (!pages->is_array()) {
      fields.fail("pages", "'pages' must be an array of page indices (from 0), not " + json_kind(*pages));
    } else {
      for (size_t idx = 0; idx < pages->size() && !fields.failed(); ++idx) {
        const json& page = (*pages)[idx];
        if (!page.is_number_integer() || page.get<int64_t>() < 0 || page.get<int64_t>() > kMaxPageIndex) {
          fields.fail("pages[" + std::to_string(idx) + "]", "each page must be an integer from 0 (the first page)");
          break;
        }
        out.ocr.pages.push_back(static_cast<int32_t>(page.get<int64_t>()));
      }
    }
  }
  const json* document = fields.get("document");
  if (!fields.failed() && document == nullptr) fields.fail("document", "'document' is required");
  fields.reject_unknown();
  if (fields.failed()) return fields.error();

  FieldReader doc_fields(*document, "document.", "'document'");
  if (doc_fields.failed()) return doc_fields.error();
  std::string type;
  doc_fields.string("type", &type, true);
  if (doc_fields.failed()) return doc_fields.error();
  std::string url;
  if (type == "document_url") {
    doc_fields.string("document_url", &url, true);
    doc_fields.ignore("document_name");
    out.document_param = "document.document_url";
  } else if (type == "image_url") {
    out.document_param = "document.image_url";
    const json* image = doc_fields.get("image_url");
    if (image == nullptr) {
      doc_fields.fail("image_url", "'document.image_url' is required for a document of type image_url");
    } else if (image->is_string()) {
      url = image->get<std::string>();
    } else if (image->is_object()) {
      FieldReader image_fields(*image, "document.image_url.", "'document.image_url'");
      image_fields.string("url", &url, true);
      image_fields.ignore("detail");
      image_fields.reject_unknown();
      if (image_fields.failed()) return image_fields.error();
      out.document_param = "document.image_url.url";
    } else {
      doc_fields.fail("image_url",
                      "'document.image_url' must be a string or an object with 'url', not " + json_kind(*image));
    }
  } else if (type == "file") {
    doc_fields.fail(unsupported("document.type", "a document given by file id (type 'file')"));
  } else {
    doc_fields.fail("type", "'document.type' must be 'document_url' or 'image_url', not " + quote(type));
  }
  doc_fields.reject_unknown();
  if (doc_fields.failed()) return doc_fields.error();
  ApiResult<std::string> bytes = decode_document_url(url, out.document_param);
  if (!bytes.ok()) return bytes.error();
  out.ocr.document = std::move(bytes).value();
  return out;
}

std::string render_ocr_response(const OcrApiRequest& request, const infer::OcrResult& result) {
  json pages = json::array();
  for (const infer::OcrPage& page : result.pages) {
    pages.push_back({{"index", page.index},
                     {"markdown", page.markdown},
                     {"images", json::array()},
                     {"dimensions", {{"dpi", page.dpi}, {"height", page.height}, {"width", page.width}}}});
  }
  json body = {{"pages", std::move(pages)},
               {"model", request.model},
               {"document_annotation", nullptr},
               {"usage_info", {{"pages_processed", result.pages.size()}, {"doc_size_bytes", result.doc_size_bytes}}}};
  return dump_json(body);
}

}  // namespace hearth::api
