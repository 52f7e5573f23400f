#include "api/ocr_handler.h"

#include <memory>
#include <optional>

#include "api/model_lease_wait.h"
#include "api/ocr.h"
#include "api/openai_errors.h"

namespace hearth::api {
namespace {

ApiError ocr_error(const Status& status, const std::string& document_param) {
  switch (status.code()) {
    case ErrorCode::kResourceExhausted:
      return api_error(status, "", "queue_full");
    case ErrorCode::kUnavailable:
      return api_error(status, "", "server_shutting_down");
    case ErrorCode::kInvalidArgument:
      return api_error(status, document_param, "invalid_document");
    case ErrorCode::kOutOfRange: {
      // Over a limit: a page index or the number of pages names "pages", the rest the document.
      const std::string& message = status.message();
      const bool about_pages =
          message.starts_with("the request reads") ||
          (message.starts_with("page ") && message.find("not in the document") != std::string::npos);
      return api_error(status, about_pages ? "pages" : document_param, "document_over_limit");
    }
    default:
      return api_error(status);
  }
}

}  // namespace

asio::awaitable<void> handle_ocr(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                 RequestState& state) {
  ApiResult<OcrApiRequest> parsed = parse_ocr_request(to_std(request.body()));
  if (!parsed.ok()) {
    co_await write_error(connection, state, ApiError(parsed.error()));
    co_return;
  }
  state.record.model = parsed->model;
  auto executor = connection.stream.get_executor();
  auto waiter = std::make_shared<Waiter>();
  asio::steady_timer timer(executor);
  WaiterTimer attached(*waiter, timer);
  std::optional<node::ModelLease> leased = co_await lease_for_request(
      ctx, connection, state, parsed->model, model::Capability::kOcr, "OCR", std::nullopt, waiter, timer);
  if (!leased) co_return;  // answered (refused or not leased) or closed
  node::ModelLease lease = std::move(*leased);

  // The engine thread hands the result to the I/O thread.
  auto result = std::make_shared<std::optional<Result<infer::OcrResult>>>();
  infer::OcrRequest ocr = std::move(parsed->ocr);
  parsed->ocr = {};
  Status submitted = lease->engine->ocr(std::move(ocr), deliver_to(executor, waiter, result));
  if (!submitted.ok()) {
    co_await write_error(connection, state, ocr_error(submitted, parsed->document_param));
    co_return;
  }
  // The lease keeps the model loaded until the result lands, even if the client left.
  while (!result->has_value()) co_await wait_for_wake(*waiter, timer);
  if (!(*result)->ok()) {
    co_await write_error(connection, state, ocr_error((*result)->status(), parsed->document_param));
    co_return;
  }
  std::string body = render_ocr_response(*parsed, result->value().value());
  co_await write_json(connection, state, 200, std::move(body));
}

}  // namespace hearth::api
