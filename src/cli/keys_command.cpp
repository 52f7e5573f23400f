#include "cli/keys_command.h"

#include <sys/stat.h>

#include <charconv>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/money.h"
#include "cli/state_db.h"
#include "cli/utc_time.h"
#include "gateway/api_keys.h"

namespace hearth::cli {
namespace {

struct KeysArgs {
  std::string state_dir;
  std::string name;
  std::string name_positional;  // revoke: the key's name given without --name
  std::string data_class;
  std::string rpm;
  std::string tpm;
  std::string monthly_cloud_budget;
  bool json = false;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "hearth keys: %s\n", message.c_str());
  return 1;
}

int fail(const Status& status) { return fail(status.message()); }

// A whole number of requests or tokens per minute, from a flag.
Result<std::optional<int64_t>> parse_limit(const char* flag, const std::string& text) {
  if (text.empty()) return std::optional<int64_t>();
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1 || value > gateway::kApiKeyLimitMax) {
    return invalid_argument_error(std::string(flag) + " must be a whole number from 1 to " +
                                  std::to_string(gateway::kApiKeyLimitMax) + ", not '" + text + "'");
  }
  return std::optional<int64_t>(value);
}

std::string limit_text(std::optional<int64_t> limit) { return limit ? std::to_string(*limit) : "-"; }

std::string budget_text(std::optional<int64_t> budget_udollars) {
  return budget_udollars ? format_usd(*budget_udollars) : "-";
}

struct OpenedKeys {
  std::unique_ptr<db::Database> db;  // declared first: the KeyStore refers to it
  std::unique_ptr<gateway::KeyStore> keys;
};

Result<OpenedKeys> open_keys(const std::string& db_path) {
  OpenedKeys opened;
  HEARTH_ASSIGN_OR_RETURN(opened.db, open_state_db(db_path));
  HEARTH_ASSIGN_OR_RETURN(opened.keys, gateway::KeyStore::open(*opened.db));
  return opened;
}

int run_create(const KeysArgs& args) {
  Result<std::string> db_path = resolve_state_db_path(args.state_dir);
  if (!db_path.ok()) return fail(db_path.status());
  gateway::KeySpec spec;
  spec.name = args.name;
  if (Status valid = gateway::validate_key_name(spec.name); !valid.ok()) return fail(valid);
  const std::optional<gateway::DataClass> data_class = gateway::parse_data_class(args.data_class);
  if (!data_class) {
    return fail("--class must be public, internal or confidential, not '" + args.data_class + "'");
  }
  spec.data_class = *data_class;
  Result<std::optional<int64_t>> rpm = parse_limit("--rpm", args.rpm);
  if (!rpm.ok()) return fail(rpm.status());
  spec.rpm = *rpm;
  Result<std::optional<int64_t>> tpm = parse_limit("--tpm", args.tpm);
  if (!tpm.ok()) return fail(tpm.status());
  spec.tpm = *tpm;
  if (!args.monthly_cloud_budget.empty()) {
    Result<int64_t> budget = parse_usd(args.monthly_cloud_budget);
    if (!budget.ok()) return fail("--monthly-cloud-budget: " + budget.status().message());
    spec.monthly_cloud_budget_udollars = *budget;
  }

  Result<OpenedKeys> opened = open_keys(*db_path);
  if (!opened.ok()) return fail(opened.status());
  Result<gateway::CreatedKey> created = opened->keys->create(spec);
  if (!created.ok()) return fail(created.status());
  const gateway::ApiKey& key = created->key;
  const std::string rpm_text = key.rpm ? std::to_string(*key.rpm) + " requests/min" : "no request limit";
  const std::string tpm_text = key.tpm ? std::to_string(*key.tpm) + " tokens/min" : "no token limit";
  const std::string budget_sentence =
      key.monthly_cloud_budget_udollars
          ? "a monthly cloud budget of " + format_usd(*key.monthly_cloud_budget_udollars) + " USD"
          : "no monthly cloud budget";
  std::printf("Created key '%s': class %s, %s, %s, %s.\n", key.name.c_str(),
              std::string(gateway::data_class_name(key.data_class)).c_str(), rpm_text.c_str(), tpm_text.c_str(),
              budget_sentence.c_str());
  std::printf("Its secret is below. It is shown only this once and cannot be shown again: store it now.\n\n");
  std::printf("%s\n", created->secret.c_str());
  return 0;
}

int run_list(const KeysArgs& args) {
  Result<std::string> db_path = resolve_state_db_path(args.state_dir);
  if (!db_path.ok()) return fail(db_path.status());
  std::vector<gateway::ApiKey> keys;
  struct stat info {};
  // Listing does not create the state: a mistyped --state-dir shows nothing rather than a new empty file.
  if (::stat(db_path->c_str(), &info) == 0) {
    Result<OpenedKeys> opened = open_keys(*db_path);
    if (!opened.ok()) return fail(opened.status());
    Result<std::vector<gateway::ApiKey>> listed = opened->keys->list();
    if (!listed.ok()) return fail(listed.status());
    keys = *std::move(listed);
  }

  if (args.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const gateway::ApiKey& key : keys) {
      const auto optional_json = [](std::optional<int64_t> value) {
        return value ? nlohmann::json(*value) : nlohmann::json();
      };
      rows.push_back({{"name", key.name},
                      {"key_prefix", key.key_prefix},
                      {"data_class", gateway::data_class_name(key.data_class)},
                      {"rpm", optional_json(key.rpm)},
                      {"tpm", optional_json(key.tpm)},
                      {"monthly_cloud_budget_udollars", optional_json(key.monthly_cloud_budget_udollars)},
                      {"created", format_utc_iso_time(key.created_unix_ms)},
                      {"revoked", key.revoked_unix_ms ? nlohmann::json(format_utc_iso_time(*key.revoked_unix_ms))
                                                      : nlohmann::json()}});
    }
    std::printf("%s\n", nlohmann::json({{"state_db", *db_path}, {"keys", rows}}).dump(2).c_str());
    return 0;
  }
  if (keys.empty()) {
    std::printf("No API keys in %s: hearth serve accepts requests without one. Create one with `hearth keys create`.\n",
                db_path->c_str());
    return 0;
  }
  size_t name_width = 4;
  for (const gateway::ApiKey& key : keys) name_width = std::max(name_width, key.name.size());
  const int width = static_cast<int>(name_width);
  std::printf("%-*s  %-12s  %-12s  %10s  %10s  %18s  %-19s  %s\n", width, "name", "key", "class", "rpm", "tpm",
              "budget USD/month", "created (UTC)", "revoked (UTC)");
  for (const gateway::ApiKey& key : keys) {
    const std::string shown_prefix = key.key_prefix + "...";
    std::printf("%-*s  %-12s  %-12s  %10s  %10s  %18s  %-19s  %s\n", width, key.name.c_str(), shown_prefix.c_str(),
                std::string(gateway::data_class_name(key.data_class)).c_str(), limit_text(key.rpm).c_str(),
                limit_text(key.tpm).c_str(), budget_text(key.monthly_cloud_budget_udollars).c_str(),
                format_utc_table_time(key.created_unix_ms).c_str(),
                key.revoked_unix_ms ? format_utc_table_time(*key.revoked_unix_ms).c_str() : "-");
  }
  return 0;
}

// revoke takes the name as `--name NAME` (as create does) or as `NAME`: exactly one.
Result<std::string> revoke_name(const KeysArgs& args) {
  if (!args.name.empty() && !args.name_positional.empty()) {
    return invalid_argument_error("give the key's name once, as --name NAME or as NAME, not both");
  }
  if (args.name.empty() && args.name_positional.empty()) {
    return invalid_argument_error("say which key to revoke: hearth keys revoke --name NAME");
  }
  return args.name.empty() ? args.name_positional : args.name;
}

int run_revoke(const KeysArgs& args) {
  Result<std::string> name = revoke_name(args);
  if (!name.ok()) return fail(name.status());
  Result<std::string> db_path = resolve_state_db_path(args.state_dir);
  if (!db_path.ok()) return fail(db_path.status());
  if (Status valid = gateway::validate_key_name(*name); !valid.ok()) return fail(valid);
  Result<OpenedKeys> opened = open_keys(*db_path);
  if (!opened.ok()) return fail(opened.status());
  if (Status revoked = opened->keys->revoke(*name); !revoked.ok()) return fail(revoked);
  std::printf("Revoked key '%s': requests with it are refused (by a running hearth serve within a second).\n",
              name->c_str());
  return 0;
}

void add_state_dir_option(CLI::App* cmd, KeysArgs& args) {
  cmd->add_option("--state-dir", args.state_dir,
                  "Where hearth.db lives (default: $HEARTH_STATE_DIR, else ~/.local/share/hearth/state)");
}

}  // namespace

void add_keys_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<KeysArgs>();
  CLI::App* keys = app.add_subcommand("keys", "Create, list and revoke the API keys hearth serve accepts");
  keys->require_subcommand(1);

  CLI::App* create = keys->add_subcommand("create", "Create an API key and print its secret once");
  create->add_option("--name", args->name, "The key's name: 1-64 of A-Z a-z 0-9 . _ -")->required();
  create
      ->add_option("--class", args->data_class,
                   "The data class of its requests at least: public, internal or confidential")
      ->required();
  create->add_option("--rpm", args->rpm, "Requests per minute (default: no limit)");
  create->add_option("--tpm", args->tpm, "Tokens per minute (default: no limit)");
  create->add_option("--monthly-cloud-budget", args->monthly_cloud_budget,
                     "US dollars of cloud spend per calendar month (UTC), e.g. 12.50 (default: no ceiling)");
  add_state_dir_option(create, *args);
  create->callback([args, &run] { run = [args] { return run_create(*args); }; });

  CLI::App* list = keys->add_subcommand("list", "List the API keys (never their secrets)");
  list->add_flag("--json", args->json, "Print JSON");
  add_state_dir_option(list, *args);
  list->callback([args, &run] { run = [args] { return run_list(*args); }; });

  CLI::App* revoke = keys->add_subcommand("revoke", "Revoke an API key; its name is not reused");
  revoke->add_option("--name", args->name, "The key's name (or give it without --name)");
  revoke->add_option("name", args->name_positional, "The key's name, as with --name");
  add_state_dir_option(revoke, *args);
  revoke->callback([args, &run] { run = [args] { return run_revoke(*args); }; });
}

}  // namespace hearth::cli
