#include "api/ollama_handler.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "api/embeddings_handler.h"
#include "api/gateway_handler.h"
#include "api/generation_handler.h"
#include "api/json_fields.h"
#include "api/json_output.h"
#include "api/model_lease_wait.h"
#include "api/ollama_model_names.h"
#include "api/ollama_models.h"
#include "api/request_parsing.h"
#include "base/clock.h"
#include "store/model_name.h"
#include "store/model_pull.h"
#include "store/model_source.h"
#include "store/model_store.h"

namespace hearth::api {
namespace {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

// Every id a request may resolve to: this node's models (invalid ones too, so
// that a request for one says why it cannot be served) and, on a gateway, its
// aliases and its nodes' models.
std::vector<std::string> servable_ids(ServerContext& ctx, bool local_only) {
  std::vector<std::string> ids;
  if (ctx.gateway != nullptr && !local_only) ids = gateway_model_ids(*ctx.gateway, ctx.models);
  for (const node::ModelInfo& info : ctx.models.list()) ids.push_back(info.id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// Resolves `name`; a name that matches nothing rescans the models directory once (a file may have been added).
ApiResult<std::string> resolve_model(ServerContext& ctx, std::string_view name, bool local_only = false) {
  ApiResult<std::string> id = resolve_ollama_model(name, servable_ids(ctx, local_only));
  if (id.ok() || id.error().http_status != 404 || !ctx.models.rescan().ok()) return id;
  return resolve_ollama_model(name, servable_ids(ctx, local_only));
}

// A request body with its model's name: "model", or the older "name" (which
// Ollama's clients still send to /api/show, /api/pull and /api/delete).
struct NamedBody {
  ordered body;
  std::string name;
};

ApiResult<NamedBody> read_named_body(std::string_view text, bool name_alias) {
  ApiResult<json> checked = parse_json_body(text);
  if (!checked.ok()) return checked.error();
  if (!checked->is_object()) return invalid_field_error("", "The request body must be a JSON object");
  NamedBody out;
  out.body = ordered::parse(text);
  for (const char* key : {"model", "name"}) {
    if (!name_alias && std::string_view(key) == "name") break;
    const auto found = out.body.find(key);
    if (found == out.body.end() || found->is_null()) continue;
    if (!found->is_string() || found->get<std::string>().empty()) {
      return invalid_field_error(key, quote(key) + std::string(" must be a non-empty string"));
    }
    out.name = found->get<std::string>();
    if (name_alias && std::string_view(key) == "name") {
      out.body["model"] = out.name;
      out.body.erase("name");
    }
    break;
  }
  if (out.name.empty()) return invalid_field_error("model", "'model' is required");
  return out;
}

// The request with its body's model replaced by the resolved id.
HttpRequest with_model(const HttpRequest& request, NamedBody& named, const std::string& id) {
  HttpRequest local = request;
  named.body["model"] = id;
  local.body() = named.body.dump(-1, ' ', false, ordered::error_handler_t::replace);
  local.prepare_payload();
  return local;
}

// Reads the body's model and resolves it; writes the error and returns nullopt when it cannot.
asio::awaitable<std::optional<HttpRequest>> resolved_request(ServerContext& ctx, Connection& connection,
                                                             const HttpRequest& request, RequestState& state) {
  ApiResult<NamedBody> named = read_named_body(to_std(request.body()), /*name_alias=*/false);
  if (!named.ok()) {
    ApiError error = named.error();
    co_await write_error(connection, state, std::move(error));
    co_return std::nullopt;
  }
  state.record.model = named->name;
  ApiResult<std::string> id = resolve_model(ctx, named->name);
  if (!id.ok()) {
    ApiError error = id.error();
    co_await write_error(connection, state, std::move(error));
    co_return std::nullopt;
  }
  co_return with_model(request, *named, *id);
}

asio::awaitable<void> serve_generation(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                       GenerationKind kind, RequestState& state) {
  std::optional<HttpRequest> local = co_await resolved_request(ctx, connection, request, state);
  if (!local) co_return;
  if (ctx.gateway != nullptr) {
    co_await handle_gateway_generation(ctx, connection, *local, kind, state);
  } else {
    co_await handle_generation(ctx, connection, *local, kind, state);
  }
}

asio::awaitable<void> serve_embed(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                  EmbeddingsDialect dialect, RequestState& state) {
  std::optional<HttpRequest> local = co_await resolved_request(ctx, connection, request, state);
  if (!local) co_return;
  if (ctx.gateway != nullptr) {
    co_await handle_gateway_embeddings(ctx, connection, *local, state, dialect);
  } else {
    co_await handle_embeddings(ctx, connection, *local, state, dialect);
  }
}

std::vector<node::ModelInfo> servable_local(ServerContext& ctx) {
  (void)ctx.models.rescan();  // an unreadable directory keeps the list as it was; the status shows it
  std::vector<node::ModelInfo> listed = ctx.models.list();
  std::erase_if(listed, [](const node::ModelInfo& model) { return !model.invalid_reason.empty(); });
  return listed;
}

std::string tags_body(ServerContext& ctx) {
  std::vector<node::ModelInfo> local = servable_local(ctx);
  std::vector<std::string> remote;
  if (ctx.gateway != nullptr) {
    for (const std::string& id : gateway_model_ids(*ctx.gateway, ctx.models)) {
      if (!ctx.models.contains(id)) remote.push_back(id);
    }
  }
  return render_ollama_tags(local, remote);
}

std::string ps_body(ServerContext& ctx) {
  std::vector<node::ModelInfo> local = ctx.models.list();
  std::vector<std::string> remote;
  if (ctx.gateway != nullptr) {
    const gateway::Fleet& fleet = ctx.gateway->fleet;
    for (size_t node_idx = 0; node_idx < fleet.nodes().size(); ++node_idx) {
      if (!fleet.up(node_idx)) continue;
      for (const gateway::NodeModelStatus& model : fleet.status(node_idx).models) {
        if (model.resident && !ctx.models.contains(model.id)) remote.push_back(model.id);
      }
    }
    std::sort(remote.begin(), remote.end());
    remote.erase(std::unique(remote.begin(), remote.end()), remote.end());
  }
  return render_ollama_ps(local, remote, unix_now_ms());
}

ApiResult<std::string> show_body(ServerContext& ctx, std::string_view body) {
  ApiResult<NamedBody> named = read_named_body(body, /*name_alias=*/true);
  if (!named.ok()) return named.error();
  for (const auto& [key, value] : named->body.items()) {
    if (key != "model" && key != "verbose" && key != "system" && key != "template" && key != "options") {
      return invalid_field_error(key, "Unrecognized request argument supplied: " + key);
    }
  }
  ApiResult<std::string> id = resolve_model(ctx, named->name);
  if (!id.ok()) return id.error();
  std::optional<node::ModelInfo> info = ctx.models.info(*id);
  if (!info) {
    // Another node's model, or an alias: the gateway knows its name only.
    return dump_json(json{{"license", ""},
                          {"modelfile", ""},
                          {"parameters", ""},
                          {"template", ""},
                          {"details", {{"format", "gguf"}}},
                          {"model_info", json::object()},
                          {"capabilities", json::array()}});
  }
  if (!info->invalid_reason.empty()) {
    return api_error(data_loss_error("The model '" + info->id + "' cannot be served: " + info->invalid_reason),
                     "model", "model_file_invalid");
  }
  return render_ollama_show(*info);
}

ApiError no_models_dir_error(std::string_view what) {
  return invalid_field_error("model", "This server serves --model files only; it has no models directory to " +
                                          std::string(what) + " (start it with --models-dir)");
}

// DELETE /api/delete: the name goes (its blob when no other name links it); a
// loaded model stays until its last request ends.
ApiResult<std::string> delete_model(ServerContext& ctx, std::string_view body) {
  ApiResult<NamedBody> named = read_named_body(body, /*name_alias=*/true);
  if (!named.ok()) return named.error();
  if (named->body.size() != 1) return invalid_field_error("", "DELETE /api/delete takes only 'model'");
  if (ctx.options.models_dir.empty()) return no_models_dir_error("delete from");
  ApiResult<std::string> id = resolve_model(ctx, named->name, /*local_only=*/true);
  if (!id.ok()) return id.error();
  Result<store::ModelStore> opened = store::ModelStore::open(ctx.options.models_dir, /*create=*/false);
  if (!opened.ok()) return api_error(opened.status(), "model");
  Result<store::RemoveOutcome> removed = opened->remove(*id, /*force=*/false);
  if (!removed.ok()) {
    if (removed.status().code() == ErrorCode::kNotFound) return ollama_model_not_found_error(named->name);
    if (removed.status().code() == ErrorCode::kFailedPrecondition) {
      return invalid_field_error("model", "The model '" + *id + "' is a file placed by hand, not a store entry: " +
                                              removed.status().message() + " (`hearth models rm --force` removes it)");
    }
    return api_error(removed.status(), "model");
  }
  (void)ctx.models.rescan();
  return std::string();
}

// What /api/pull reads: the source and the name it gets in the store.
struct PullRequest {
  store::ModelSource source;
  std::string name;
  bool stream = true;
};

ApiResult<PullRequest> read_pull_request(ServerContext& ctx, std::string_view body) {
  ApiResult<NamedBody> named = read_named_body(body, /*name_alias=*/true);
  if (!named.ok()) return named.error();
  PullRequest out;
  for (const auto& [key, value] : named->body.items()) {
    if (key == "model") continue;
    if (key == "stream" && value.is_boolean()) {
      out.stream = value.get<bool>();
    } else if (key == "insecure" && value.is_boolean()) {
      if (value.get<bool>()) {
        ApiError error = invalid_field_error("insecure", "'insecure' pulls (TLS without verification) are not supported");
        error.code = kUnsupportedFeatureCode;
        return error;
      }
    } else if (key == "stream" || key == "insecure") {
      return invalid_field_error(key, quote(key) + " must be a boolean");
    } else {
      return invalid_field_error(key, "Unrecognized request argument supplied: " + key);
    }
  }
  if (ctx.options.models_dir.empty()) return no_models_dir_error("pull into");
  const std::string& model = named->name;
  std::string source_text;
  const bool is_url = model.rfind("http://", 0) == 0 || model.rfind("https://", 0) == 0;
  if (is_url) {
    source_text = model;
    Result<std::string> name = store::model_name_from_source(model, /*is_url=*/true);
    if (!name.ok()) return invalid_field_error("model", "'model': " + name.status().message());
    out.name = *name;
  } else {
    if (model.find('/') != std::string::npos || model.rfind("file:", 0) == 0) {
      return invalid_field_error("model", "'model' must be a model name (\"qwen3:8b\") or an http(s) URL; a path is "
                                          "pulled on the server itself with `hearth models pull PATH`");
    }
    // The store's name: "NAME:latest" -> NAME, "NAME:TAG" -> NAME-TAG (api/ollama_model_names.h).
    out.name = model;
    if (out.name.ends_with(":latest")) {
      out.name.resize(out.name.size() - std::string_view(":latest").size());
    } else if (const size_t colon = out.name.rfind(':'); colon != std::string::npos) {
      out.name[colon] = '-';
    }
    if (Status valid = store::validate_new_model_name(out.name); !valid.ok()) {
      return invalid_field_error("model", "'model': " + valid.message());
    }
    if (ctx.options.pull_from.empty()) {
      return invalid_field_error("model", "This server has no place to pull '" + model +
                                              "' from: give an http(s) URL, or start it with --pull-from DIR_OR_URL "
                                              "(pull_from in the config)");
    }
    std::string base = ctx.options.pull_from;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    source_text = base + "/" + out.name + ".gguf";
  }
  Result<store::ModelSource> source = store::parse_model_source(source_text);
  if (!source.ok()) return invalid_field_error("model", "'model': " + source.status().message());
  out.source = std::move(source).value();
  return out;
}

// Shared by the pull's thread and its handler.
struct PullState {
  std::mutex mutex;
  uint64_t done_bytes = 0;                // guarded by mutex
  std::optional<uint64_t> total_bytes;    // guarded by mutex
  bool notified = false;                  // guarded by mutex: a wake-up is on its way
  std::optional<Result<store::PullResult>> result;  // guarded by mutex
  std::atomic<bool> cancel{false};        // the client left
};

std::string ndjson(const json& value) { return dump_json(value) + "\n"; }

ApiError pull_error(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kNotFound:
      return api_error(status, "model", "model_not_found");
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kFailedPrecondition:
      return api_error(status, "model");
    default:
      return api_error(status);
  }
}

asio::awaitable<void> serve_pull(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                 RequestState& state) {
  ApiResult<PullRequest> pull = read_pull_request(ctx, to_std(request.body()));
  if (!pull.ok()) {
    ApiError error = pull.error();
    co_await write_error(connection, state, std::move(error));
    co_return;
  }
  state.record.model = pull->name;
  Result<store::ModelStore> opened = store::ModelStore::open(ctx.options.models_dir, /*create=*/true);
  if (!opened.ok()) {
    ApiError error = api_error(opened.status());
    co_await write_error(connection, state, std::move(error));
    co_return;
  }

  auto executor = connection.stream.get_executor();
  auto waiter = std::make_shared<Waiter>();
  asio::steady_timer timer(executor);
  WaiterTimer attached(*waiter, timer);
  auto shared = std::make_shared<PullState>();
  // Runs on the pull's thread: hands a wake-up to the I/O thread unless one is on its way.
  auto notify = [executor, waiter, shared] {
    if (shared->notified) return;
    shared->notified = true;
    asio::post(executor, [waiter] { waiter->wake(); });
  };
  store::PullOptions options;
  options.name = pull->name;
  options.progress = [shared, notify](uint64_t done_bytes, std::optional<uint64_t> total_bytes) {
    std::lock_guard lock(shared->mutex);
    shared->done_bytes = done_bytes;
    shared->total_bytes = total_bytes;
    notify();
  };
  BackgroundThreads& background = ctx.background;
  options.stop_requested = [&background, shared] { return background.stop_requested() || shared->cancel.load(); };
  const bool spawned = background.spawn(
      [store = std::move(opened).value(), source = pull->source, options = std::move(options), shared, notify] {
        Result<store::PullResult> result = store::pull_model(store, source, options);
        std::lock_guard lock(shared->mutex);
        shared->result = std::move(result);
        notify();
      });
  if (!spawned) {
    ApiError error = api_error(unavailable_error("The server is shutting down"), "", "server_shutting_down");
    co_await write_error(connection, state, std::move(error));
    co_return;
  }

  const std::string digest = pull->name;  // Ollama's layer digest; hearth knows the sha256 only at the end
  bool written = true;
  if (pull->stream) {
    written = co_await write_stream_head(connection, state, "application/x-ndjson");
    const std::string first = ndjson({{"status", "pulling manifest"}});
    if (written) written = co_await write_chunk(connection, first);
  }
  uint64_t sent_bytes = UINT64_MAX;
  for (;;) {
    std::optional<Result<store::PullResult>> result;
    uint64_t done_bytes = 0;
    std::optional<uint64_t> total_bytes;
    {
      std::lock_guard lock(shared->mutex);
      shared->notified = false;
      done_bytes = shared->done_bytes;
      total_bytes = shared->total_bytes;
      if (shared->result) result = std::move(shared->result);
    }
    if (pull->stream && written && done_bytes != sent_bytes) {
      json line = {{"status", "pulling " + digest}, {"digest", digest}, {"completed", done_bytes}};
      if (total_bytes) line["total"] = *total_bytes;
      const std::string text = ndjson(line);
      written = co_await write_chunk(connection, text);
      sent_bytes = done_bytes;
    }
    if (!written) {
      // The client left: the pull stops at its next piece and keeps its partial download.
      shared->cancel = true;
      connection.close_after_response = true;
      state.record.status = 499;
      co_return;
    }
    if (result) {
      if (result->ok()) {
        (void)ctx.models.rescan();
        if (pull->stream) {
          std::string tail = ndjson({{"status", "verifying sha256 digest"}}) + ndjson({{"status", "writing manifest"}}) +
                             ndjson({{"status", "success"}});
          if (co_await write_chunk(connection, tail)) co_await write_last_chunk(connection);
        } else {
          std::string body = dump_json(json{{"status", "success"}});
          co_await write_json(connection, state, 200, std::move(body));
        }
      } else {
        ApiError error = pull_error(result->status());
        if (pull->stream) {
          connection.close_after_response = true;
          state.record.status = error.http_status;
          const std::string event = stream_error_event(state, error);
          if (co_await write_chunk(connection, event)) co_await write_last_chunk(connection);
        } else {
          co_await write_error(connection, state, std::move(error));
        }
      }
      co_return;
    }
    co_await wait_for_wake(*waiter, timer);
  }
}

}  // namespace

asio::awaitable<void> handle_ollama(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                    Route route, RequestState& state) {
  switch (route) {
    case Route::kOllamaChat:
      co_await serve_generation(ctx, connection, request, GenerationKind::kOllamaChat, state);
      co_return;
    case Route::kOllamaGenerate:
      co_await serve_generation(ctx, connection, request, GenerationKind::kOllamaGenerate, state);
      co_return;
    case Route::kOllamaEmbed:
      co_await serve_embed(ctx, connection, request, EmbeddingsDialect::kOllamaEmbed, state);
      co_return;
    case Route::kOllamaEmbeddings:
      co_await serve_embed(ctx, connection, request, EmbeddingsDialect::kOllamaLegacy, state);
      co_return;
    case Route::kOllamaPull:
      co_await serve_pull(ctx, connection, request, state);
      co_return;
    default:
      break;
  }
  ApiResult<std::string> body = std::string();
  if (route == Route::kOllamaTags) {
    body = tags_body(ctx);
  } else if (route == Route::kOllamaPs) {
    body = ps_body(ctx);
  } else if (route == Route::kOllamaVersion) {
    body = dump_json(json{{"version", ctx.options.version}});
  } else if (route == Route::kOllamaShow) {
    body = show_body(ctx, to_std(request.body()));
  } else if (route == Route::kOllamaDelete) {
    body = delete_model(ctx, to_std(request.body()));
  }
  if (!body.ok()) {
    ApiError error = body.error();
    co_await write_error(connection, state, std::move(error));
    co_return;
  }
  std::string text = std::move(body).value();
  co_await write_json(connection, state, 200, std::move(text));
}

}  // namespace hearth::api
