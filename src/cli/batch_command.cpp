#include "cli/batch_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "base/file_text.h"
#include "base/quoted_text.h"
#include "cli/batch_progress.h"
#include "jobs/batch_window.h"
#include "net/http_request.h"
#include "net/multipart.h"
#include "net/url.h"

namespace hearth::cli {
namespace {

using json = nlohmann::json;

constexpr int64_t kMaxInputBytes = int64_t{512} << 20;
constexpr int64_t kPollMs = 1000;

struct BatchArgs {
  std::string url;
  std::string api_key;
  // submit
  std::string file;
  std::string model;
  std::string window;
  std::string endpoint;
  // status, cancel, results
  std::string id;
  bool wait = false;
  std::string out;
  bool errors = false;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "hearth batch: %s\n", message.c_str());
  return 1;
}

// The server's answer to one call, or a sentence saying why there is none.
struct Client {
  net::Url base;
  std::string api_key;

  Result<json> call(const std::string& method, const std::string& path, const std::string& content_type,
                    std::string body) const {
    HEARTH_ASSIGN_OR_RETURN(std::string text, call_raw(method, path, content_type, std::move(body)));
    json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return data_loss_error("the server at " + base.to_string() + " answered " + path + " with something not JSON");
    }
    return parsed;
  }

  Result<std::string> call_raw(const std::string& method, const std::string& path, const std::string& content_type,
                               std::string body) const {
    net::HttpRequestSpec spec;
    spec.method = method;
    spec.url = base;
    spec.url.target = net::path_prefix(base) + path;
    if (!content_type.empty()) spec.headers.emplace_back("Content-Type", content_type);
    if (!api_key.empty()) spec.headers.emplace_back("Authorization", "Bearer " + api_key);
    spec.body = std::move(body);
    HEARTH_ASSIGN_OR_RETURN(net::HttpReply reply, net::http_request(spec, net::HttpRequestOptions{}));
    if (reply.status != 200) {
      std::string why = "HTTP " + std::to_string(reply.status);
      json error = json::parse(reply.body, nullptr, false);
      if (!error.is_discarded() && error.is_object() && error.contains("error") && error["error"].is_object() &&
          error["error"].contains("message") && error["error"]["message"].is_string()) {
        why += ": " + error["error"]["message"].get<std::string>();
      }
      return unavailable_error(method + " " + path + " failed (" + why + ")");
    }
    return std::move(reply.body);
  }
};

// A batch id goes into a URL path: letters, digits, '_' and '-' only.
bool is_plain_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<Client> make_client(const BatchArgs& args) {
  if (!args.id.empty() && !is_plain_id(args.id)) {
    return invalid_argument_error(single_quoted(args.id.substr(0, 64)) + " is not a batch id (like batch_abc123)");
  }
  std::string url = args.url;
  if (url.empty()) {
    const char* from_env = std::getenv("HEARTH_URL");
    url = from_env != nullptr && from_env[0] != '\0' ? from_env : "http://127.0.0.1:8770";
  }
  auto base = net::parse_base_url(url);
  if (!base.ok()) return invalid_argument_error("--url: " + base.status().message());
  std::string key = args.api_key;
  if (key.empty()) {
    const char* from_env = std::getenv("HEARTH_API_KEY");
    if (from_env != nullptr) key = from_env;
  }
  return Client{*base, key};
}

int64_t get_int(const json& object, const char* key) {
  return object.contains(key) && object[key].is_number_integer() ? object[key].get<int64_t>() : 0;
}

std::string get_string(const json& object, const char* key) {
  return object.contains(key) && object[key].is_string() ? object[key].get<std::string>() : "";
}

bool is_final(const std::string& status) {
  return status == "completed" || status == "failed" || status == "expired" || status == "cancelled";
}

void print_summary(const json& batch) {
  const json counts = batch.value("request_counts", json::object());
  std::printf("%s %s: %lld/%lld lines done, %lld failed", get_string(batch, "id").c_str(),
              get_string(batch, "status").c_str(),
              static_cast<long long>(get_int(counts, "completed") + get_int(counts, "failed")),
              static_cast<long long>(get_int(counts, "total")), static_cast<long long>(get_int(counts, "failed")));
  if (batch.contains("output_file_id")) std::printf(", output %s", get_string(batch, "output_file_id").c_str());
  if (batch.contains("error_file_id")) std::printf(", errors %s", get_string(batch, "error_file_id").c_str());
  std::printf("\n");
  if (batch.contains("errors") && batch["errors"].contains("data") && batch["errors"]["data"].is_array()) {
    for (const json& error : batch["errors"]["data"]) {
      std::printf("  line %s: %s\n", error.contains("line") && error["line"].is_number() ? error["line"].dump().c_str() : "-",
                  get_string(error, "message").c_str());
    }
  }
}

// Polls the batch until it ends, redrawing the progress line on a terminal.
int follow(const Client& client, const std::string& id) {
  const bool tty = isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  int64_t done_at_start = -1;
  std::string last_line;
  while (true) {
    auto batch = client.call("GET", "/v1/batches/" + id, "", "");
    if (!batch.ok()) return fail(batch.status().message());
    const json counts = batch->value("request_counts", json::object());
    BatchProgress progress;
    progress.n_total = get_int(counts, "total");
    progress.n_failed = get_int(counts, "failed");
    progress.n_done = get_int(counts, "completed") + progress.n_failed;
    if (done_at_start < 0) done_at_start = progress.n_done;
    progress.n_done_at_start = done_at_start;
    progress.elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    const std::string status = get_string(*batch, "status");
    const std::string line = status + " " + format_batch_progress(progress);
    if (tty) {
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      std::fflush(stderr);
    } else if (line != last_line) {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    last_line = line;
    if (is_final(status)) {
      if (tty) std::fprintf(stderr, "\n");
      print_summary(*batch);
      return status == "completed" ? 0 : 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
}

int run_submit(const BatchArgs& args) {
  auto client = make_client(args);
  if (!client.ok()) return fail(client.status().message());
  if (!args.window.empty()) {
    auto window = jobs::parse_time_window(args.window);
    if (!window.ok()) return fail("--window: " + window.status().message());
  }
  auto text = read_text_file(args.file, kMaxInputBytes);
  if (!text.ok()) return fail(text.status().message());
  // Lines as written, with --model filled in where a body names none.
  std::string input;
  std::string endpoint = args.endpoint;
  int64_t line_no = 0;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t eol = text->find('\n', pos);
    if (eol == std::string::npos) eol = text->size();
    const std::string line_text = text->substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (line_text.find_first_not_of(" \t\r") == std::string::npos) continue;
    json line = json::parse(line_text, nullptr, false);
    const std::string where = args.file + ":" + std::to_string(line_no);
    if (line.is_discarded() || !line.is_object()) return fail(where + " is not a JSON object");
    if (!line.contains("body") || !line["body"].is_object()) return fail(where + " has no \"body\" object");
    json& body = line["body"];
    if (!args.model.empty()) {
      if (!body.contains("model")) {
        body["model"] = args.model;
      } else if (!body["model"].is_string() || body["model"].get<std::string>() != args.model) {
        return fail(where + " names the model " + body["model"].dump() + ", not --model " + args.model);
      }
    }
    if (endpoint.empty()) endpoint = get_string(line, "url");
    input += line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  }
  if (input.empty()) return fail(args.file + " has no requests");
  if (endpoint.empty()) endpoint = "/v1/chat/completions";

  const std::string boundary = net::random_multipart_boundary();
  const std::string filename = args.file.substr(args.file.rfind('/') + 1);
  std::string form = net::write_multipart(
      boundary, {{"purpose", "", "", "batch"}, {"file", filename, "application/jsonl", input}});
  auto file = client->call("POST", "/v1/files", "multipart/form-data; boundary=" + boundary, std::move(form));
  if (!file.ok()) return fail(file.status().message());
  json create = {{"input_file_id", get_string(*file, "id")}, {"endpoint", endpoint}, {"completion_window", "24h"}};
  if (!args.window.empty()) create["metadata"] = {{"hearth_window", args.window}};
  auto batch = client->call("POST", "/v1/batches", "application/json", create.dump());
  if (!batch.ok()) return fail(batch.status().message());
  std::printf("%s\n", get_string(*batch, "id").c_str());
  std::fflush(stdout);
  if (get_string(*batch, "status") == "failed") {
    print_summary(*batch);
    return 1;
  }
  return args.wait ? follow(*client, get_string(*batch, "id")) : 0;
}

int run_status(const BatchArgs& args) {
  auto client = make_client(args);
  if (!client.ok()) return fail(client.status().message());
  if (args.wait) return follow(*client, args.id);
  auto batch = client->call("GET", "/v1/batches/" + args.id, "", "");
  if (!batch.ok()) return fail(batch.status().message());
  print_summary(*batch);
  return 0;
}

int run_cancel(const BatchArgs& args) {
  auto client = make_client(args);
  if (!client.ok()) return fail(client.status().message());
  auto batch = client->call("POST", "/v1/batches/" + args.id + "/cancel", "application/json", "{}");
  if (!batch.ok()) return fail(batch.status().message());
  print_summary(*batch);
  return 0;
}

int run_results(const BatchArgs& args) {
  auto client = make_client(args);
  if (!client.ok()) return fail(client.status().message());
  auto batch = client->call("GET", "/v1/batches/" + args.id, "", "");
  if (!batch.ok()) return fail(batch.status().message());
  const char* key = args.errors ? "error_file_id" : "output_file_id";
  const std::string file_id = get_string(*batch, key);
  if (file_id.empty()) {
    return fail("the batch " + args.id + " (" + get_string(*batch, "status") + ") has no " +
                (args.errors ? "error" : "output") + " file" +
                (is_final(get_string(*batch, "status")) ? "" : " yet"));
  }
  auto content = client->call_raw("GET", "/v1/files/" + file_id + "/content", "", "");
  if (!content.ok()) return fail(content.status().message());
  if (args.out.empty()) {
    std::fwrite(content->data(), 1, content->size(), stdout);
    return 0;
  }
  std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(args.out.c_str(), "wb"), &std::fclose);
  if (!out) return fail("cannot write " + args.out);
  if (std::fwrite(content->data(), 1, content->size(), out.get()) != content->size()) {
    return fail("cannot write " + args.out);
  }
  return 0;
}

void add_server_options(CLI::App* cmd, BatchArgs& args) {
  cmd->add_option("--url", args.url, "The hearth server (default: $HEARTH_URL, else http://127.0.0.1:8770)");
  cmd->add_option("--api-key", args.api_key, "An API key (default: $HEARTH_API_KEY)");
}

}  // namespace

void add_batch_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<BatchArgs>();
  CLI::App* batch = app.add_subcommand("batch", "OpenAI batch jobs on a hearth server (docs/batch.md)");
  batch->require_subcommand(1);

  CLI::App* submit = batch->add_subcommand("submit", "Upload a JSONL file of requests and start a batch; prints its id");
  submit->add_option("file", args->file, "JSONL: one {custom_id, method, url, body} request per line")
      ->required()
      ->check(CLI::ExistingFile);
  submit->add_option("--model", args->model, "The model of every line (filled in where a body names none)");
  submit->add_option("--window", args->window, "Run only in this local-time window, e.g. 22:00-06:00");
  submit->add_option("--endpoint", args->endpoint,
                     "/v1/chat/completions, /v1/completions or /v1/embeddings (default: the first line's url)");
  submit->add_flag("--wait", args->wait, "Follow the batch to its end with a progress bar");
  add_server_options(submit, *args);
  submit->callback([args, &run] { run = [args] { return run_submit(*args); }; });

  CLI::App* status = batch->add_subcommand("status", "A batch's status and counts");
  status->add_option("id", args->id, "The batch id")->required();
  status->add_flag("--wait", args->wait, "Follow the batch to its end with a progress bar and ETA");
  add_server_options(status, *args);
  status->callback([args, &run] { run = [args] { return run_status(*args); }; });

  CLI::App* cancel = batch->add_subcommand("cancel", "Cancel a batch (lines done so far are kept)");
  cancel->add_option("id", args->id, "The batch id")->required();
  add_server_options(cancel, *args);
  cancel->callback([args, &run] { run = [args] { return run_cancel(*args); }; });

  CLI::App* results = batch->add_subcommand("results", "Print (or save) a batch's output file");
  results->add_option("id", args->id, "The batch id")->required();
  results->add_option("-o,--output", args->out, "Write to this file instead of stdout");
  results->add_flag("--errors", args->errors, "The error file instead of the output file");
  add_server_options(results, *args);
  results->callback([args, &run] { run = [args] { return run_results(*args); }; });
}

}  // namespace hearth::cli
