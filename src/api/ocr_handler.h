// POST /v1/ocr on a connection: parse (api/ocr.h), lease the model (loading
// it within the budget), hand the document to the model's OCR engine and wait
// on the I/O thread for its pages, then write the whole response. The model
// must serve the ocr capability (a 400 model_not_supported otherwise, before
// anything loads). A document the engine cannot read, or one over a limit, is
// a 400 naming the field the document came from. A client that goes away
// meanwhile does not stop the request: its pages are read and dropped.
#pragma once

#include "api/http_connection.h"

namespace hearth::api {

asio::awaitable<void> handle_ocr(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                 RequestState& state);

}  // namespace hearth::api
