// gateway::KeyStore over a temp hearth.db: create, verify, revoke; wrong and
// malformed tokens; names and limits; what is stored (a hash, never the
// secret); and a second process's changes reaching the cache.
#include "gateway/api_keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "base/money.h"
#include "store/sha256.h"
#include "temp_dir.h"

namespace hearth::gateway {
namespace {

using db::Database;

// A clock the test moves by hand.
struct FakeClock {
  int64_t now_unix_ms = 1'790'000'000'000;
  std::function<int64_t()> function() {
    return [this] { return now_unix_ms; };
  }
};

// KeySpec field by field (GCC 12 warns on designated initializers that skip members).
KeySpec spec(const std::string& name, DataClass data_class = DataClass::kInternal) {
  KeySpec key_spec;
  key_spec.name = name;
  key_spec.data_class = data_class;
  return key_spec;
}

KeySpec with_rpm(KeySpec key_spec, int64_t rpm) {
  key_spec.rpm = rpm;
  return key_spec;
}

KeySpec with_tpm(KeySpec key_spec, int64_t tpm) {
  key_spec.tpm = tpm;
  return key_spec;
}

KeySpec with_budget(KeySpec key_spec, int64_t budget_udollars) {
  key_spec.monthly_cloud_budget_udollars = budget_udollars;
  return key_spec;
}

std::string sha256_hex(const std::string& text) {
  store::Sha256 hasher;
  hasher.update(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  return hasher.finish_hex();
}

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    db_ = open_db();
    ASSERT_NE(db_, nullptr);
    keys_ = open_keys(*db_);
    ASSERT_NE(keys_, nullptr);
  }

  // A connection of its own, as another process (`hearth keys create`) has.
  std::unique_ptr<Database> open_db() {
    Result<std::unique_ptr<Database>> db = Database::open(dir_.file("state/hearth.db"));
    EXPECT_TRUE(db.ok()) << db.status().to_string();
    if (!db.ok()) return nullptr;
    const Status migrated = (*db)->migrate(api_key_migrations());
    EXPECT_TRUE(migrated.ok()) << migrated.to_string();
    return std::move(db).value();
  }

  std::unique_ptr<KeyStore> open_keys(Database& db, KeyStoreOptions options = {}) {
    if (!options.now_unix_ms) options.now_unix_ms = clock_.function();
    Result<std::unique_ptr<KeyStore>> keys = KeyStore::open(db, std::move(options));
    EXPECT_TRUE(keys.ok()) << keys.status().to_string();
    return keys.ok() ? std::move(keys).value() : nullptr;
  }

  CreatedKey create(KeyStore& keys, const std::string& name, DataClass data_class = DataClass::kInternal) {
    Result<CreatedKey> created = keys.create(spec(name, data_class));
    EXPECT_TRUE(created.ok()) << created.status().to_string();
    return created.ok() ? std::move(created).value() : CreatedKey{};
  }

  test::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<KeyStore> keys_;
};

TEST_F(KeyStoreTest, ACreatedKeyVerifiesUntilRevoked) {
  EXPECT_FALSE(keys_->has_active_keys());
  Result<CreatedKey> created =
      keys_->create(with_budget(with_tpm(with_rpm(spec("alice", DataClass::kConfidential), 60), 100'000), 12'500'000));
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  const std::string& secret = created->secret;
  EXPECT_TRUE(is_well_formed_secret(secret)) << secret;
  EXPECT_EQ(created->key.key_prefix, secret.substr(0, kApiKeyShownPrefixChars));
  EXPECT_EQ(created->key.created_unix_ms, clock_.now_unix_ms);
  EXPECT_TRUE(keys_->has_active_keys());

  std::optional<ApiKey> caller = keys_->verify(secret);
  ASSERT_TRUE(caller.has_value());
  EXPECT_EQ(caller->name, "alice");
  EXPECT_EQ(caller->data_class, DataClass::kConfidential);
  EXPECT_EQ(caller->rpm, 60);
  EXPECT_EQ(caller->tpm, 100'000);
  EXPECT_EQ(caller->monthly_cloud_budget_udollars, 12'500'000);
  EXPECT_TRUE(caller->active());

  clock_.now_unix_ms += 5;
  ASSERT_TRUE(keys_->revoke("alice").ok());
  EXPECT_FALSE(keys_->verify(secret).has_value());
  EXPECT_FALSE(keys_->has_active_keys());
  Result<std::vector<ApiKey>> listed = keys_->list();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].revoked_unix_ms, clock_.now_unix_ms);

  const Status again = keys_->revoke("alice");
  EXPECT_EQ(again.code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(keys_->revoke("bob").code(), ErrorCode::kNotFound);
}

TEST_F(KeyStoreTest, UnsetLimitsStayUnset) {
  const CreatedKey created = create(*keys_, "batch-job_1.x", DataClass::kPublic);
  std::optional<ApiKey> caller = keys_->verify(created.secret);
  ASSERT_TRUE(caller.has_value());
  EXPECT_EQ(caller->data_class, DataClass::kPublic);
  EXPECT_EQ(caller->rpm, std::nullopt);
  EXPECT_EQ(caller->tpm, std::nullopt);
  EXPECT_EQ(caller->monthly_cloud_budget_udollars, std::nullopt);
}

TEST_F(KeyStoreTest, WrongAndMalformedTokensAreRefused) {
  const CreatedKey created = create(*keys_, "alice");
  const CreatedKey other = create(*keys_, "bob");
  ASSERT_EQ(keys_->verify(other.secret)->name, "bob");

  std::string one_char_off = created.secret;
  one_char_off.back() = one_char_off.back() == 'a' ? 'b' : 'a';
  EXPECT_TRUE(is_well_formed_secret(one_char_off));
  EXPECT_FALSE(keys_->verify(one_char_off).has_value());
  EXPECT_FALSE(keys_->verify("hk-" + std::string(kApiKeySecretRandomChars, 'A')).has_value());

  const std::vector<std::string> malformed = {
      "",
      "hk-",
      "Bearer " + created.secret,
      created.secret + " ",
      created.secret.substr(0, created.secret.size() - 1),
      created.secret + "A",
      "HK-" + created.secret.substr(3),
      "sk-" + created.secret.substr(3),
      created.secret.substr(0, 10) + "-" + created.secret.substr(11),
      created.secret.substr(0, 10) + std::string(1, '\0') + created.secret.substr(11),
      created.secret.substr(0, 10) + "\xc3\xa9" + created.secret.substr(12),
      sha256_hex(created.secret),  // the stored hash is not a token
  };
  for (const std::string& token : malformed) {
    EXPECT_FALSE(is_well_formed_secret(token)) << token;
    EXPECT_FALSE(keys_->verify(token).has_value()) << token;
  }
  EXPECT_EQ(keys_->verify(created.secret)->name, "alice");
}

TEST_F(KeyStoreTest, StoresTheHashAndPrefixNeverTheSecret) {
  const CreatedKey created = create(*keys_, "alice");
  Database::Session session = db_->lock();
  Result<db::Statement> query = session.prepare("SELECT * FROM api_keys");
  ASSERT_TRUE(query.ok());
  ASSERT_TRUE(*query->step());
  bool saw_hash = false;
  for (int column = 0; column < 10; ++column) {
    const std::string value = query->column_text(column);
    EXPECT_EQ(value.find(created.secret.substr(kApiKeyShownPrefixChars)), std::string::npos) << value;
    saw_hash = saw_hash || value == sha256_hex(created.secret);
  }
  EXPECT_TRUE(saw_hash);
}

TEST_F(KeyStoreTest, SecretsAreDistinctAndUseTheWholeAlphabet) {
  std::set<std::string> secrets;
  std::set<char> chars;
  for (int key_idx = 0; key_idx < 20; ++key_idx) {
    const CreatedKey created = create(*keys_, "key" + std::to_string(key_idx));
    secrets.insert(created.secret);
    for (char ch : created.secret.substr(3)) chars.insert(ch);
  }
  EXPECT_EQ(secrets.size(), 20u);
  EXPECT_GT(chars.size(), 55u);  // 800 draws from 62 characters miss one with probability ~ 62 * e^-13
}

TEST_F(KeyStoreTest, RandomBytesAtOrAbove248AreDroppedForAnUnbiasedAlphabet) {
  int64_t n_calls = 0;
  KeyStoreOptions options;
  options.random_bytes = [&n_calls](std::span<uint8_t> out) {
    // 250, 0, 250, 1, ...: every other byte would bias `byte % 62` and must be skipped.
    for (size_t byte_idx = 0; byte_idx < out.size(); ++byte_idx) {
      out[byte_idx] = byte_idx % 2 == 0 ? 250 : static_cast<uint8_t>((n_calls * 32 + byte_idx / 2) % 248);
    }
    ++n_calls;
    return ok_status();
  };
  std::unique_ptr<KeyStore> keys = open_keys(*db_, std::move(options));
  ASSERT_NE(keys, nullptr);
  const CreatedKey created = create(*keys, "fixed");
  const std::string base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string expected = "hk-";
  for (int char_idx = 0; char_idx < 40; ++char_idx) expected += base62[char_idx % 62];
  EXPECT_EQ(created.secret, expected);
  EXPECT_EQ(n_calls, 2);  // 32 usable bytes per 64-byte batch
}

TEST_F(KeyStoreTest, ARandomnessFailureCreatesNothing) {
  KeyStoreOptions options;
  options.random_bytes = [](std::span<uint8_t>) { return io_error("no entropy"); };
  std::unique_ptr<KeyStore> keys = open_keys(*db_, std::move(options));
  ASSERT_NE(keys, nullptr);
  Result<CreatedKey> created = keys->create(spec("alice"));
  EXPECT_EQ(created.status().code(), ErrorCode::kIo);
  EXPECT_TRUE(keys->list()->empty());
}

TEST_F(KeyStoreTest, NamesAreValidatedAndNeverReused) {
  const std::vector<std::string> bad_names = {"",       std::string(65, 'a'),  "a b", "caf\xc3\xa9", "../up", "a/b",
                                              "name\n", std::string("a\0b", 3)};
  for (const std::string& name : bad_names) {
    Result<CreatedKey> created = keys_->create(spec(name));
    EXPECT_EQ(created.status().code(), ErrorCode::kInvalidArgument) << name;
    EXPECT_EQ(keys_->revoke(name).code(), ErrorCode::kInvalidArgument) << name;
  }
  EXPECT_TRUE(keys_->create(spec(std::string(64, 'z'))).ok());
  EXPECT_TRUE(keys_->create(spec("A.b_c-9")).ok());

  create(*keys_, "alice");
  Result<CreatedKey> duplicate = keys_->create(spec("alice"));
  EXPECT_EQ(duplicate.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(duplicate.status().message().find("already exists"), std::string::npos);
  ASSERT_TRUE(keys_->revoke("alice").ok());
  Result<CreatedKey> reused = keys_->create(spec("alice"));
  EXPECT_EQ(reused.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(reused.status().message().find("revoked"), std::string::npos);
  EXPECT_EQ(keys_->list()->size(), 3u);
}

TEST_F(KeyStoreTest, LimitsAndBudgetsAreChecked) {
  EXPECT_EQ(keys_->create(with_rpm(spec("a"), 0)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(keys_->create(with_rpm(spec("a"), -5)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(keys_->create(with_tpm(spec("a"), kApiKeyLimitMax + 1)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(keys_->create(with_budget(spec("a"), -1)).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(keys_->list()->empty());

  // Budgets as the CLI parses them: exact decimal dollars, no float rounding.
  Result<int64_t> budget = parse_usd("12.50");
  ASSERT_TRUE(budget.ok());
  Result<CreatedKey> created = keys_->create(with_budget(spec("a"), *budget));
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(keys_->list()->at(0).monthly_cloud_budget_udollars, 12'500'000);
  ASSERT_TRUE(keys_->create(with_budget(spec("b"), *parse_usd("0.000001"))).ok());
  ASSERT_TRUE(keys_->create(with_budget(spec("c"), *parse_usd("0"))).ok());
  EXPECT_EQ(keys_->list()->at(1).monthly_cloud_budget_udollars, 1);
  EXPECT_EQ(keys_->list()->at(2).monthly_cloud_budget_udollars, 0);
  EXPECT_FALSE(parse_usd("12.5000001").ok());
  EXPECT_FALSE(parse_usd("-3").ok());
  EXPECT_FALSE(parse_usd("1e3").ok());
}

TEST_F(KeyStoreTest, AnotherProcesssCreateIsSeenAtOnceAndItsRevokeWithinASecond) {
  // `hearth keys` in another process: its own connection and KeyStore.
  std::unique_ptr<Database> other_db = open_db();
  ASSERT_NE(other_db, nullptr);
  std::unique_ptr<KeyStore> other = open_keys(*other_db);
  ASSERT_NE(other, nullptr);

  EXPECT_FALSE(keys_->has_active_keys());
  const CreatedKey created = create(*other, "alice");
  // A miss checks data_version at once, so a new key works on its first request.
  std::optional<ApiKey> caller = keys_->verify(created.secret);
  ASSERT_TRUE(caller.has_value());
  EXPECT_EQ(caller->name, "alice");
  EXPECT_TRUE(keys_->has_active_keys());

  ASSERT_TRUE(other->revoke("alice").ok());
  // A hit does not look at the database more than once a second...
  clock_.now_unix_ms += 999;
  EXPECT_TRUE(keys_->verify(created.secret).has_value());
  // ...and after a second it sees the revocation.
  clock_.now_unix_ms += 1;
  EXPECT_FALSE(keys_->verify(created.secret).has_value());
  EXPECT_FALSE(keys_->has_active_keys());

  // A clock that steps back does not freeze the cache.
  const CreatedKey second = create(*other, "bob");
  ASSERT_TRUE(keys_->verify(second.secret).has_value());
  ASSERT_TRUE(other->revoke("bob").ok());
  clock_.now_unix_ms -= 60'000;
  EXPECT_FALSE(keys_->verify(second.secret).has_value());
}

TEST_F(KeyStoreTest, OpenNeedsTheTable) {
  Result<std::unique_ptr<Database>> bare = Database::open(dir_.file("bare.db"));
  ASSERT_TRUE(bare.ok());
  Result<std::unique_ptr<KeyStore>> keys = KeyStore::open(**bare);
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), ErrorCode::kInternal);
  EXPECT_NE(keys.status().message().find("api_keys"), std::string::npos) << keys.status().message();
}

}  // namespace
}  // namespace hearth::gateway
