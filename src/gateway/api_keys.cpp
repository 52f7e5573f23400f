#include "gateway/api_keys.h"

#include <openssl/crypto.h>
#include <sys/random.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "base/clock.h"
#include "base/log.h"
#include "store/sha256.h"

namespace hearth::gateway {
namespace {

constexpr int64_t kRefreshIntervalMs = 1000;
constexpr int64_t kBudgetMaxUdollars = 1'000'000'000'000'000'000;  // 10^12 USD, as parse_usd allows

constexpr db::Migration kMigrations[] = {
    {"api_keys: create table",
     R"sql(
CREATE TABLE api_keys(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  key_prefix TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  data_class TEXT NOT NULL CHECK (data_class IN ('public', 'internal', 'confidential')),
  rpm INTEGER CHECK (rpm IS NULL OR rpm > 0),
  tpm INTEGER CHECK (tpm IS NULL OR tpm > 0),
  monthly_cloud_budget_udollars INTEGER CHECK (monthly_cloud_budget_udollars IS NULL OR monthly_cloud_budget_udollars >= 0),
  created_unix_ms INTEGER NOT NULL,
  revoked_unix_ms INTEGER
);
)sql"},
};

constexpr std::string_view kSelectColumns =
    "SELECT name, key_prefix, data_class, rpm, tpm, monthly_cloud_budget_udollars, created_unix_ms, "
    "revoked_unix_ms, key_hash FROM api_keys";

constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

Status getrandom_bytes(std::span<uint8_t> out) {
  size_t n_filled = 0;
  while (n_filled < out.size()) {
    const ssize_t n_read = ::getrandom(out.data() + n_filled, out.size() - n_filled, 0);
    if (n_read < 0) {
      if (errno == EINTR) continue;
      return io_error(std::string("getrandom failed: ") + std::strerror(errno));
    }
    n_filled += static_cast<size_t>(n_read);
  }
  return ok_status();
}

bool is_base62(char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'); }

std::string sha256_hex(std::string_view text) {
  store::Sha256 hasher;
  hasher.update(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  return hasher.finish_hex();
}

// "hk-" + 40 characters drawn uniformly from base62: bytes >= 248 (= 4 * 62)
// are dropped so that `byte % 62` has no bias.
Result<std::string> new_secret(const std::function<Status(std::span<uint8_t>)>& random_bytes) {
  std::string secret(kApiKeySecretPrefix);
  uint8_t batch[64];
  while (secret.size() < kApiKeySecretPrefix.size() + kApiKeySecretRandomChars) {
    HEARTH_RETURN_IF_ERROR(random_bytes(batch));
    for (uint8_t byte : batch) {
      if (byte >= 248) continue;
      secret.push_back(kBase62[byte % 62]);
      if (secret.size() == kApiKeySecretPrefix.size() + kApiKeySecretRandomChars) break;
    }
  }
  return secret;
}

Status validate_limit(const char* what, std::optional<int64_t> value) {
  if (value && (*value < 1 || *value > kApiKeyLimitMax)) {
    return invalid_argument_error(std::string(what) + " must be between 1 and " + std::to_string(kApiKeyLimitMax) +
                                  ", not " + std::to_string(*value));
  }
  return ok_status();
}

// One row of kSelectColumns; its key_hash in `hash_hex` when asked.
Result<ApiKey> read_key(const db::Statement& row, std::string* hash_hex) {
  ApiKey key;
  key.name = row.column_text(0);
  key.key_prefix = row.column_text(1);
  const std::string data_class = row.column_text(2);
  const std::optional<DataClass> parsed = parse_data_class(data_class);
  if (!parsed) return data_loss_error("api key '" + key.name + "' has an unknown data class '" + data_class + "'");
  key.data_class = *parsed;
  key.rpm = row.column_optional_int64(3);
  key.tpm = row.column_optional_int64(4);
  key.monthly_cloud_budget_udollars = row.column_optional_int64(5);
  key.created_unix_ms = row.column_int64(6);
  key.revoked_unix_ms = row.column_optional_int64(7);
  if (hash_hex != nullptr) *hash_hex = row.column_text(8);
  return key;
}

}  // namespace

std::span<const db::Migration> api_key_migrations() { return kMigrations; }

Status validate_key_name(std::string_view name) {
  bool valid = !name.empty() && name.size() <= kApiKeyNameMaxChars;
  for (char ch : name) valid = valid && (is_base62(ch) || ch == '.' || ch == '_' || ch == '-');
  if (!valid) {
    return invalid_argument_error("a key name is 1 to " + std::to_string(kApiKeyNameMaxChars) +
                                  " characters of letters, digits, '.', '_' and '-'");
  }
  return ok_status();
}

bool is_well_formed_secret(std::string_view token) {
  if (token.size() != kApiKeySecretPrefix.size() + kApiKeySecretRandomChars) return false;
  if (!token.starts_with(kApiKeySecretPrefix)) return false;
  for (char ch : token.substr(kApiKeySecretPrefix.size())) {
    if (!is_base62(ch)) return false;
  }
  return true;
}

KeyStore::KeyStore(db::Database& db, KeyStoreOptions options) : db_(db), options_(std::move(options)) {
  if (!options_.now_unix_ms) options_.now_unix_ms = unix_now_ms;
  if (!options_.random_bytes) options_.random_bytes = getrandom_bytes;
}

Result<std::unique_ptr<KeyStore>> KeyStore::open(db::Database& db, KeyStoreOptions options) {
  std::unique_ptr<KeyStore> keys(new KeyStore(db, std::move(options)));  // private constructor
  std::lock_guard<std::mutex> lock(keys->cache_mutex_);
  HEARTH_RETURN_IF_ERROR(keys->refresh_locked(/*force_check=*/true));
  return keys;
}

Status KeyStore::load_locked() {
  db::Database::Session session = db_.lock();
  HEARTH_ASSIGN_OR_RETURN(const int64_t data_version, session.data_version());
  HEARTH_ASSIGN_OR_RETURN(db::Statement query,
                          session.prepare(std::string(kSelectColumns) + " WHERE revoked_unix_ms IS NULL"));
  std::vector<CachedKey> loaded;
  while (true) {
    HEARTH_ASSIGN_OR_RETURN(const bool has_row, query.step());
    if (!has_row) break;
    CachedKey cached;
    HEARTH_ASSIGN_OR_RETURN(cached.key, read_key(query, &cached.hash_hex));
    if (!store::is_sha256_hex(cached.hash_hex)) {
      return data_loss_error("api key '" + cached.key.name + "' has a malformed hash");
    }
    loaded.push_back(std::move(cached));
  }
  active_keys_ = std::move(loaded);
  // Read before the load: a commit by another process in between makes the
  // next check reload once more, never miss it.
  data_version_ = data_version;
  changed_here_ = false;
  return ok_status();
}

Status KeyStore::refresh_locked(bool force_check) {
  const int64_t now = options_.now_unix_ms();
  const bool checked_recently = now >= last_check_unix_ms_ && now - last_check_unix_ms_ < kRefreshIntervalMs;
  if (data_version_ && !changed_here_ && !force_check && checked_recently) return ok_status();
  last_check_unix_ms_ = now;
  if (data_version_ && !changed_here_) {
    Result<int64_t> current = db_.lock().data_version();
    if (!current.ok()) return current.status();
    if (*current == *data_version_) return ok_status();
  }
  return load_locked();
}

Result<CreatedKey> KeyStore::create(const KeySpec& spec) {
  HEARTH_RETURN_IF_ERROR(validate_key_name(spec.name));
  HEARTH_RETURN_IF_ERROR(validate_limit("rpm", spec.rpm));
  HEARTH_RETURN_IF_ERROR(validate_limit("tpm", spec.tpm));
  if (spec.monthly_cloud_budget_udollars &&
      (*spec.monthly_cloud_budget_udollars < 0 || *spec.monthly_cloud_budget_udollars > kBudgetMaxUdollars)) {
    return invalid_argument_error("the monthly cloud budget must be between 0 and 10^12 USD");
  }
  CreatedKey created;
  HEARTH_ASSIGN_OR_RETURN(created.secret, new_secret(options_.random_bytes));
  // The secret is 238 random bits, so a plain SHA-256 cannot be reversed by
  // guessing: salts and slow hashes (bcrypt, argon2) defend low-entropy
  // passwords, which these are not. An unsalted hash also lets a request be
  // matched by its hash alone.
  const std::string hash_hex = sha256_hex(created.secret);
  ApiKey& key = created.key;
  key.name = spec.name;
  key.key_prefix = created.secret.substr(0, kApiKeyShownPrefixChars);
  key.data_class = spec.data_class;
  key.rpm = spec.rpm;
  key.tpm = spec.tpm;
  key.monthly_cloud_budget_udollars = spec.monthly_cloud_budget_udollars;
  key.created_unix_ms = options_.now_unix_ms();

  {
    db::Database::Session session = db_.lock();
    HEARTH_RETURN_IF_ERROR(session.write_transaction([&]() -> Status {
      HEARTH_ASSIGN_OR_RETURN(db::Statement existing,
                              session.prepare("SELECT revoked_unix_ms IS NOT NULL FROM api_keys WHERE name = ?1"));
      HEARTH_RETURN_IF_ERROR(existing.bind_text(1, key.name));
      HEARTH_ASSIGN_OR_RETURN(const bool taken, existing.step());
      if (taken) {
        return failed_precondition_error("a key named '" + key.name + "' already exists" +
                                         (existing.column_int64(0) != 0 ? " (revoked; names are not reused)" : ""));
      }
      HEARTH_ASSIGN_OR_RETURN(
          db::Statement insert,
          session.prepare("INSERT INTO api_keys(name, key_prefix, key_hash, data_class, rpm, tpm, "
                          "monthly_cloud_budget_udollars, created_unix_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
      HEARTH_RETURN_IF_ERROR(insert.bind_text(1, key.name));
      HEARTH_RETURN_IF_ERROR(insert.bind_text(2, key.key_prefix));
      HEARTH_RETURN_IF_ERROR(insert.bind_text(3, hash_hex));
      HEARTH_RETURN_IF_ERROR(insert.bind_text(4, data_class_name(key.data_class)));
      HEARTH_RETURN_IF_ERROR(insert.bind_optional_int64(5, key.rpm));
      HEARTH_RETURN_IF_ERROR(insert.bind_optional_int64(6, key.tpm));
      HEARTH_RETURN_IF_ERROR(insert.bind_optional_int64(7, key.monthly_cloud_budget_udollars));
      HEARTH_RETURN_IF_ERROR(insert.bind_int64(8, key.created_unix_ms));
      return insert.run();
    }));
  }
  // Lock order: the cache mutex, then the Session; so the Session is released by now.
  std::lock_guard<std::mutex> lock(cache_mutex_);
  changed_here_ = true;
  return created;
}

Result<std::vector<ApiKey>> KeyStore::list() {
  db::Database::Session session = db_.lock();
  HEARTH_ASSIGN_OR_RETURN(db::Statement query, session.prepare(std::string(kSelectColumns) + " ORDER BY name"));
  std::vector<ApiKey> keys;
  while (true) {
    HEARTH_ASSIGN_OR_RETURN(const bool has_row, query.step());
    if (!has_row) break;
    HEARTH_ASSIGN_OR_RETURN(ApiKey key, read_key(query, nullptr));
    keys.push_back(std::move(key));
  }
  return keys;
}

Status KeyStore::revoke(std::string_view name) {
  HEARTH_RETURN_IF_ERROR(validate_key_name(name));
  const int64_t now = options_.now_unix_ms();
  {
    db::Database::Session session = db_.lock();
    HEARTH_RETURN_IF_ERROR(session.write_transaction([&]() -> Status {
      HEARTH_ASSIGN_OR_RETURN(db::Statement existing,
                              session.prepare("SELECT revoked_unix_ms IS NOT NULL FROM api_keys WHERE name = ?1"));
      HEARTH_RETURN_IF_ERROR(existing.bind_text(1, name));
      HEARTH_ASSIGN_OR_RETURN(const bool found, existing.step());
      if (!found) return not_found_error("no key is named '" + std::string(name) + "'");
      if (existing.column_int64(0) != 0) {
        return failed_precondition_error("the key '" + std::string(name) + "' is already revoked");
      }
      HEARTH_ASSIGN_OR_RETURN(db::Statement update,
                              session.prepare("UPDATE api_keys SET revoked_unix_ms = ?1 WHERE name = ?2"));
      HEARTH_RETURN_IF_ERROR(update.bind_int64(1, now));
      HEARTH_RETURN_IF_ERROR(update.bind_text(2, name));
      return update.run();
    }));
  }
  std::lock_guard<std::mutex> lock(cache_mutex_);
  changed_here_ = true;
  return ok_status();
}

bool KeyStore::has_active_keys() {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  const Status refreshed = refresh_locked(/*force_check=*/false);
  if (!refreshed.ok()) HEARTH_LOG(kWarn, "api keys: keeping the loaded keys: " + refreshed.to_string());
  return !active_keys_.empty();
}

std::optional<ApiKey> KeyStore::verify(std::string_view token) {
  if (!is_well_formed_secret(token)) return std::nullopt;
  const std::string hash_hex = sha256_hex(token);
  std::lock_guard<std::mutex> lock(cache_mutex_);
  // Every stored hash is compared in full and in constant time, so the time
  // taken says nothing about how close a guess came. A shop has tens of keys.
  const auto find = [&]() -> const CachedKey* {
    const CachedKey* match = nullptr;
    for (const CachedKey& cached : active_keys_) {
      const bool equal = CRYPTO_memcmp(cached.hash_hex.data(), hash_hex.data(), store::kSha256HexChars) == 0;
      if (equal) match = &cached;
    }
    return match;
  };
  for (const bool force_check : {false, true}) {
    // Periodically first (a revocation elsewhere), then on a miss (a key just created elsewhere).
    const Status refreshed = refresh_locked(force_check);
    if (!refreshed.ok()) HEARTH_LOG(kWarn, "api keys: keeping the loaded keys: " + refreshed.to_string());
    if (const CachedKey* match = find()) return match->key;
  }
  return std::nullopt;
}

}  // namespace hearth::gateway
