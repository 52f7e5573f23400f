// API keys: who may call the gateway, at which data-class floor, and within
// which limits. Kept in hearth.db (table api_keys) and checked on every
// request from an in-memory copy, so the hot path does not touch SQLite.
//
//   HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<KeyStore> keys, KeyStore::open(db));
//   KeySpec spec;
//   spec.name = "alice";
//   spec.rpm = 60;
//   HEARTH_ASSIGN_OR_RETURN(CreatedKey created, keys->create(spec));
//   // created.secret ("hk-" + 40 base62 characters) is shown to the user once and never stored.
//   std::optional<ApiKey> caller = keys->verify(bearer_token);  // nullopt: 401
//
// A key's secret is stored only as its SHA-256. Keys are revoked, never
// deleted, so the egress ledger's key names keep meaning one key; a name is
// not reused.
//
// Thread-safety: a KeyStore may be used by any number of threads; its cache
// has its own mutex and SQLite access goes through the Database's Session.
// Keys created or revoked by another process (`hearth keys ...` beside
// `hearth serve`) are seen at the next cache miss, and within a second
// otherwise; revocation by another process thus takes up to a second.
// Changes through another KeyStore on the same Database (one connection) are
// not seen that way: keep one KeyStore per Database.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "gateway/data_class.h"
#include "db/sqlite_db.h"

namespace hearth::gateway {

inline constexpr std::string_view kApiKeySecretPrefix = "hk-";
inline constexpr size_t kApiKeySecretRandomChars = 40;  // base62: about 238 bits
inline constexpr size_t kApiKeyShownPrefixChars = 9;    // "hk-" and 6 characters, for `hearth keys list`
inline constexpr size_t kApiKeyNameMaxChars = 64;
inline constexpr int64_t kApiKeyLimitMax = 1'000'000'000;  // rpm and tpm

// What `hearth keys create` asks for. Unset limits mean no limit.
struct KeySpec {
  std::string name;
  DataClass data_class = DataClass::kInternal;  // the floor a request may raise, never lower
  std::optional<int64_t> rpm;                   // requests per minute
  std::optional<int64_t> tpm;                   // tokens per minute
  std::optional<int64_t> monthly_cloud_budget_udollars;
};

// A key as stored; never its secret.
struct ApiKey {
  std::string name;
  std::string key_prefix;  // the secret's first kApiKeyShownPrefixChars characters
  DataClass data_class = DataClass::kInternal;
  std::optional<int64_t> rpm;
  std::optional<int64_t> tpm;
  std::optional<int64_t> monthly_cloud_budget_udollars;
  int64_t created_unix_ms = 0;
  std::optional<int64_t> revoked_unix_ms;

  bool active() const { return !revoked_unix_ms.has_value(); }
};

struct CreatedKey {
  std::string secret;  // show once; it cannot be recovered
  ApiKey key;
};

struct KeyStoreOptions {
  // Wall-clock milliseconds since the epoch: creation and revocation times,
  // and the once-a-second check for other processes' changes.
  std::function<int64_t()> now_unix_ms;
  // Fills the span with cryptographically secure random bytes (default: getrandom).
  std::function<Status(std::span<uint8_t>)> random_bytes;
};

class KeyStore {
 public:
  // Precondition: `db` holds api_key_migrations() (through the state schema)
  // and outlives the KeyStore. kInternal when the table is missing.
  static Result<std::unique_ptr<KeyStore>> open(db::Database& db, KeyStoreOptions options = {});

  // kInvalidArgument for a bad name or limit, kFailedPrecondition when the
  // name is taken (by an active or a revoked key).
  Result<CreatedKey> create(const KeySpec& spec);
  // Every key, active and revoked, by name.
  Result<std::vector<ApiKey>> list();
  // kNotFound for an unknown name, kFailedPrecondition when already revoked.
  Status revoke(std::string_view name);

  // Whether any key is active (then requests need one). On a database error
  // the last known answer stands.
  bool has_active_keys();
  // The active key whose secret `token` is; nullopt for anything else (a
  // malformed token is refused before any lookup). On a database error while
  // refreshing, the last loaded keys answer (logged).
  std::optional<ApiKey> verify(std::string_view token);

 private:
  struct CachedKey {
    std::string hash_hex;
    ApiKey key;
  };

  KeyStore(db::Database& db, KeyStoreOptions options);
  // Reloads the active keys when another connection has committed since the
  // last load (PRAGMA data_version) or this store changed them. `force_check`
  // checks now; otherwise at most once per second. Called with cache_mutex_ held.
  Status refresh_locked(bool force_check);
  Status load_locked();

  db::Database& db_;
  KeyStoreOptions options_;

  std::mutex cache_mutex_;
  std::vector<CachedKey> active_keys_;   // guarded by cache_mutex_
  std::optional<int64_t> data_version_;  // guarded by cache_mutex_; nullopt: never loaded
  int64_t last_check_unix_ms_ = 0;       // guarded by cache_mutex_
  bool changed_here_ = false;  // guarded by cache_mutex_: this store wrote; data_version misses its own writes
};

// The steps that make the api_keys table, in order (see db::Database::migrate).
std::span<const db::Migration> api_key_migrations();

// 1 to 64 characters of [A-Za-z0-9._-]; kInvalidArgument naming the rule otherwise.
Status validate_key_name(std::string_view name);
// Whether `token` has the shape of a secret: "hk-" and 40 base62 characters.
bool is_well_formed_secret(std::string_view token);

}  // namespace hearth::gateway
