// POST /v1/ocr in the shape of Mistral's OCR API: the request (model,
// document as a document_url or image_url holding a data: URL or bare
// base64, pages, id) and the response (pages with index, markdown, images,
// dimensions; usage_info).
// ref: https://docs.mistral.ai/api/#tag/ocr (OCRRequest, OCRResponse)
//
// hearth reads only documents carried in the request: an http(s) URL is a
// 400 (fetching it would make the server a client of any address a caller
// names). Images inside a document are not extracted: `images` is always
// empty, so include_image_base64, image_limit and image_min_size change
// nothing. Annotation formats are a 400 "not supported yet".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/openai_errors.h"
#include "infer/ocr_request.h"

namespace hearth::api {

struct OcrApiRequest {
  std::string model;
  std::string id;  // the caller's, echoed nowhere (Mistral's id of the request)
  infer::OcrRequest ocr;
  std::string document_param;  // "document.document_url" or "document.image_url": where the bytes came from
};

ApiResult<OcrApiRequest> parse_ocr_request(std::string_view body);

// {"pages":[{"index","markdown","images":[],"dimensions":{"dpi","height","width"}}],
//  "model", "document_annotation":null, "usage_info":{"pages_processed","doc_size_bytes"}}
std::string render_ocr_response(const OcrApiRequest& request, const infer::OcrResult& result);

// The bytes of a data: URL ("data:<mime>;base64,<data>") or of bare base64;
// a 400 naming `param` for anything else.
ApiResult<std::string> decode_document_url(std::string_view url, const std::string& param);

}  // namespace hearth::api
