// The dashboard's routes over a loopback socket (port 0): the embedded assets
// with their content types, CSP, caching headers and 304s; 404 for a name no
// asset has; the key on a server that requires one (Bearer, or Basic as a
// browser sends it after the challenge), off loopback too; GET
// /hearth/v1/egress. The page itself is driven in Chromium by
// tests/api/dashboard_test.mjs.
#include "api/dashboard_route.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "api/dashboard_assets.h"
#include "api/egress_route.h"
#include "api/http_server.h"
#include "base/base64.h"
#include "db/sqlite_db.h"
#include "gateway/api_keys.h"
#include "ledger/egress_ledger.h"
#include "temp_dir.h"

namespace hearth::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

const DashboardAsset* find_asset(std::string_view name) {
  for (const DashboardAsset& asset : dashboard_assets()) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

using Response = http::response<http::string_body>;

// A header's value as a std::string (Beast's string_view is Boost's).
template <typename Name>
std::string header(const Response& response, Name name) {
  const auto value = response[name];
  return std::string(value.data(), value.size());
}

TEST(DashboardAssetsTest, EveryFileIsEmbeddedWithItsContentTypeAndHash) {
  const std::vector<std::pair<std::string, std::string>> expected = {{"index.html", "text/html; charset=utf-8"},
                                                                     {"dashboard.js", "text/javascript; charset=utf-8"},
                                                                     {"dashboard.css", "text/css; charset=utf-8"},
                                                                     {"favicon.svg", "image/svg+xml"}};
  ASSERT_EQ(dashboard_assets().size(), expected.size());
  for (const auto& [name, content_type] : expected) {
    const DashboardAsset* asset = find_asset(name);
    ASSERT_NE(asset, nullptr) << name;
    EXPECT_EQ(asset->content_type, content_type) << name;
    EXPECT_GT(asset->bytes.size(), 100u) << name;
    EXPECT_TRUE(std::regex_match(std::string(asset->sha256_hex), std::regex("[0-9a-f]{64}"))) << name;
  }
}

// The CSP allows no inline code and nothing from elsewhere: the page must need neither.
TEST(DashboardAssetsTest, ThePageLoadsOnlyItsOwnFilesAndHasNoInlineCode) {
  const DashboardAsset* page = find_asset("index.html");
  ASSERT_NE(page, nullptr);
  const std::string html(page->bytes);
  const std::regex reference(R"re((src|href)="([^"]*)")re");
  int n_references = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), reference); it != std::sregex_iterator(); ++it) {
    const std::string url = (*it)[2].str();
    EXPECT_TRUE(url.starts_with("/dashboard/")) << url;
    EXPECT_NE(find_asset(url.substr(std::string("/dashboard/").size())), nullptr) << url;
    ++n_references;
  }
  EXPECT_EQ(n_references, 3);  // the script, the style sheet, the icon
  EXPECT_EQ(html.find("<style"), std::string::npos);
  EXPECT_EQ(html.find(" style="), std::string::npos);
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(<script(?![^>]*\bsrc=))")));
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(\son[a-z]+=)")));
  // Server text reaches the page as text only.
  const DashboardAsset* script = find_asset("dashboard.js");
  ASSERT_NE(script, nullptr);
  const std::string js(script->bytes);
  for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("}) {
    EXPECT_EQ(js.find(sink), std::string::npos) << sink;
  }
}

TEST(DashboardRouteTest, EtagMatching) {
  const std::string etag = "\"abc\"";
  EXPECT_TRUE(etag_matches("\"abc\"", etag));
  EXPECT_TRUE(etag_matches(" \"x\", W/\"abc\" ", etag));
  EXPECT_TRUE(etag_matches("*", etag));
  EXPECT_FALSE(etag_matches("\"abcd\"", etag));
  EXPECT_FALSE(etag_matches("abc", etag));
  EXPECT_FALSE(etag_matches("", etag));
}

TEST(DashboardRouteTest, UnknownNamesHaveNoAnswer) {
  for (const char* name : {"", "nope.js", "../index.html", "index.html/", "Dashboard.js", "dashboard.js?x"}) {
    EXPECT_FALSE(dashboard_response(name, "")) << name;
  }
  EXPECT_TRUE(dashboard_response("index.html", ""));
}

// A manager that serves no model: the dashboard's routes need none.
std::unique_ptr<node::ModelManager> no_models() {
  node::ModelManagerOptions options;
  options.budget_bytes = int64_t{1} << 30;
  return std::move(node::ModelManager::create({}, std::move(options))).value();
}

class DashboardServerTest : public ::testing::Test {
 protected:
  virtual void configure(HttpServerOptions& /*options*/) {}

  void SetUp() override {
    HttpServerOptions options;
    options.port = 0;
    options.handle_signals = false;
    options.id_seed = 1;
    options.shutdown_grace_ms = 200;
    options.access_log = [](std::string_view) {};
    configure(options);
    auto server = HttpServer::create(options, *models_);
    ASSERT_TRUE(server.ok()) << server.status().to_string();
    server_ = std::move(server).value();
    runner_ = std::thread([this] { run_status_ = server_->run(); });
  }

  void TearDown() override {
    if (server_) server_->shutdown();
    if (runner_.joinable()) runner_.join();
    EXPECT_TRUE(run_status_.ok()) << run_status_.to_string();
  }

  // One GET (or `method`) over a fresh loopback connection.
  http::response<http::string_body> request(const std::string& target, const Headers& headers = {},
                                            http::verb method = http::verb::get) {
    beast::tcp_stream stream(io_);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    stream.expires_after(std::chrono::seconds(10));
    http::request<http::string_body> out{method, target, 11};
    out.set(http::field::host, "localhost");
    for (const auto& [name, value] : headers) out.insert(name, value);
    out.prepare_payload();
    http::write(stream, out);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.skip(method == http::verb::head);
    beast::error_code error;
    http::read(stream, buffer, parser, error);
    EXPECT_FALSE(error) << error.message();
    return parser.release();
  }

  std::unique_ptr<node::ModelManager> models_ = no_models();
  std::unique_ptr<HttpServer> server_;
  std::thread runner_;
  Status run_status_;
  asio::io_context io_;
};

void expect_dashboard_headers(const Response& response) {
  EXPECT_EQ(header(response, "Content-Security-Policy"), kDashboardCsp);
  EXPECT_EQ(header(response, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(response, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(header(response, "Cache-Control"), "no-cache");
  EXPECT_TRUE(std::regex_match(header(response, http::field::etag), std::regex("\"[0-9a-f]{32}\"")))
      << header(response, http::field::etag);
}

TEST_F(DashboardServerTest, ServesEachAssetWithItsContentTypeCspAndCaching) {
  const auto page = request("/");
  ASSERT_EQ(page.result_int(), 200);
  EXPECT_EQ(header(page, http::field::content_type), "text/html; charset=utf-8");
  EXPECT_EQ(page.body(), find_asset("index.html")->bytes);
  expect_dashboard_headers(page);
  EXPECT_EQ(request("/?refresh=1").body(), page.body());  // the query is the page's own

  for (const DashboardAsset& asset : dashboard_assets()) {
    const auto response = request("/dashboard/" + std::string(asset.name));
    ASSERT_EQ(response.result_int(), 200) << asset.name;
    EXPECT_EQ(header(response, http::field::content_type), asset.content_type);
    EXPECT_EQ(response.body(), asset.bytes);
    expect_dashboard_headers(response);
  }
  EXPECT_EQ(header(request("/dashboard/dashboard.js"), http::field::content_type), "text/javascript; charset=utf-8");
  EXPECT_EQ(header(request("/dashboard/dashboard.css"), http::field::content_type), "text/css; charset=utf-8");
}

TEST_F(DashboardServerTest, RevalidationWithTheEtagIs304WithoutABody) {
  const auto first = request("/dashboard/dashboard.js");
  ASSERT_EQ(first.result_int(), 200);
  const std::string etag(header(first, http::field::etag));
  const auto again = request("/dashboard/dashboard.js", {{"If-None-Match", etag}});
  EXPECT_EQ(again.result_int(), 304);
  EXPECT_TRUE(again.body().empty());
  EXPECT_EQ(header(again, http::field::etag), etag);
  expect_dashboard_headers(again);
  // Another file's tag, or an old one, gets the file.
  EXPECT_EQ(request("/", {{"If-None-Match", etag}}).result_int(), 200);
  EXPECT_EQ(request("/dashboard/dashboard.js", {{"If-None-Match", "\"0123\""}}).result_int(), 200);
}

TEST_F(DashboardServerTest, UnknownAssetsAre404AndOtherMethods405) {
  for (const char* target : {"/dashboard/nope.js", "/dashboard/", "/dashboard/../dashboard/index.html",
                             "/dashboard/dashboard.js/", "/dashboard/%2e%2e/hearth.db"}) {
    const auto response = request(target);
    EXPECT_EQ(response.result_int(), 404) << target;
    EXPECT_EQ(header(response, http::field::content_type), "application/json");
    EXPECT_EQ(json::parse(response.body())["error"]["code"], "asset_not_found") << response.body();
  }
  EXPECT_EQ(request("/index.html").result_int(), 404);  // no route at all
  const auto posted = request("/", {}, http::verb::post);
  EXPECT_EQ(posted.result_int(), 405);
  EXPECT_EQ(header(posted, http::field::allow), "GET");
}

// A server whose every route needs a key ("admin"), from hearth.db.
class DashboardKeysTest : public DashboardServerTest {
 protected:
  void configure(HttpServerOptions& options) override {
    ASSERT_TRUE(dir_.ok());
    auto db = db::Database::open(dir_.file("hearth.db"));
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->migrate(gateway::api_key_migrations()).ok());
    auto keys = gateway::KeyStore::open(*db_);
    ASSERT_TRUE(keys.ok()) << keys.status().to_string();
    keys_ = std::move(keys).value();
    gateway::KeySpec spec;
    spec.name = "admin";
    spec.data_class = gateway::DataClass::kInternal;
    auto created = keys_->create(spec);
    ASSERT_TRUE(created.ok()) << created.status().to_string();
    secret_ = created->secret;
    options.keys = keys_.get();
    options.host = host_;
    options.require_keys = host_ == "127.0.0.1";  // off loopback the server decides it by itself
  }

  static Headers basic(const std::string& user, const std::string& password) {
    return {{"Authorization", "Basic " + base64_encode(user + ":" + password)}};
  }

  // Every dashboard route refuses a request without the key, and takes it as a browser sends it.
  void expect_key_required() {
    const std::string& secret = secret_;
    for (const char* target : {"/", "/dashboard/dashboard.js", "/dashboard/nope.js", "/hearth/v1/egress"}) {
      const auto refused = request(target);
      EXPECT_EQ(refused.result_int(), 401) << target;
      EXPECT_EQ(json::parse(refused.body())["error"]["code"], "invalid_api_key");
      // The dashboard's own routes challenge the browser; the JSON routes answer as they always have.
      if (std::string_view(target) == "/hearth/v1/egress") {
        EXPECT_EQ(header(refused, http::field::www_authenticate), "") << target;
      } else {
        EXPECT_EQ(header(refused, http::field::www_authenticate), kDashboardChallenge) << target;
      }
    }
    const auto with_bearer = request("/", {{"Authorization", "Bearer " + secret}});
    EXPECT_EQ(with_bearer.result_int(), 200);
    expect_dashboard_headers(with_bearer);
    // As a browser sends it once asked: any user name, the key as the password.
    EXPECT_EQ(request("/", basic("me", secret)).result_int(), 200);
    EXPECT_EQ(request("/hearth/v1/status", basic("", secret)).result_int(), 200);
    EXPECT_EQ(request("/dashboard/nope.js", basic("me", secret)).result_int(), 404);
    EXPECT_EQ(request("/", basic("me", "hk-" + std::string(40, 'x'))).result_int(), 401);
    EXPECT_EQ(request("/", basic(secret, "")).result_int(), 401);  // the password is the key
    EXPECT_EQ(request("/health").result_int(), 200);
  }

  std::string host_ = "127.0.0.1";
  test::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<gateway::KeyStore> keys_;
  std::string secret_;
};

TEST_F(DashboardKeysTest, TheDashboardNeedsAKeyWhenKeysAreRequired) {
  ASSERT_TRUE(server_->keys_required());
  expect_key_required();
}

TEST_F(DashboardKeysTest, BasicCredentialsThatAreNotBase64OfUserColonKeyAre400) {
  for (const char* value : {"Basic", "Basic !!!!", "Basic YWJj", "Basic YWJjZA=", "Basic ====", "Basic YQ==YQ=="}) {
    const auto response = request("/", {{"Authorization", value}});
    EXPECT_EQ(response.result_int(), 400) << value;
    const json error = json::parse(response.body())["error"];
    EXPECT_EQ(error["code"], "invalid_authorization") << value;
  }
  // Basic credentials and x-api-key must name the same key.
  Headers both = basic("me", secret_);
  both.emplace_back("x-api-key", secret_);
  EXPECT_EQ(request("/", both).result_int(), 200);
  both.back().second = "hk-" + std::string(40, 'y');
  EXPECT_EQ(request("/", both).result_int(), 400);
}

class DashboardOffLoopbackTest : public DashboardKeysTest {
 protected:
  void configure(HttpServerOptions& options) override {
    host_ = "0.0.0.0";  // every interface; the test connects through loopback
    DashboardKeysTest::configure(options);
  }
};

TEST_F(DashboardOffLoopbackTest, ANodeOffLoopbackShowsItsDashboardOnlyWithAKey) {
  ASSERT_TRUE(server_->keys_required());
  expect_key_required();
}

// A server with an egress ledger holding three rows.
class EgressRouteTest : public DashboardServerTest {
 protected:
  void configure(HttpServerOptions& options) override {
    ASSERT_TRUE(dir_.ok());
    auto db = db::Database::open(dir_.file("hearth.db"));
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->migrate(ledger::egress_migrations()).ok());
    auto egress = ledger::EgressLedger::open(*db_);
    ASSERT_TRUE(egress.ok()) << egress.status().to_string();
    egress_.emplace(std::move(egress).value());
    for (int row_idx = 0; row_idx < 3; ++row_idx) {
      ledger::EgressRecord record;
      record.ts_unix_ms = 1'796'083'200'000 + row_idx;
      record.key_name = row_idx == 0 ? "" : "alice";
      record.data_class = "public";
      record.provider = "openai";
      record.model = "gpt-" + std::to_string(row_idx);
      record.body_sha256 = std::string(64, 'a');
      Result<int64_t> id = egress_->begin(record);
      ASSERT_TRUE(id.ok()) << id.status().to_string();
      if (row_idx < 2) {
        ASSERT_TRUE(egress_->finish(*id, 10 + row_idx, 5, 123 + row_idx, ledger::EgressStatus::kOk).ok());
      }
    }
    options.egress = &*egress_;
  }

  test::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  std::optional<ledger::EgressLedger> egress_;
};

TEST_F(EgressRouteTest, TheMostRecentRowsNewestFirst) {
  const auto response = request("/hearth/v1/egress?limit=2");
  ASSERT_EQ(response.result_int(), 200) << response.body();
  EXPECT_EQ(header(response, http::field::content_type), "application/json");
  const json body = json::parse(response.body());
  EXPECT_EQ(body["object"], "list");
  ASSERT_EQ(body["data"].size(), 2u);
  const json& newest = body["data"][0];
  EXPECT_EQ(newest["model"], "gpt-2");
  EXPECT_EQ(newest["status"], "sent");  // still in flight
  EXPECT_EQ(newest["key"], "alice");
  EXPECT_EQ(newest["cost_udollars"], 0);
  const json& older = body["data"][1];
  EXPECT_EQ(older["model"], "gpt-1");
  EXPECT_EQ(older["status"], "ok");
  EXPECT_EQ(older["prompt_tokens"], 11);
  EXPECT_EQ(older["completion_tokens"], 5);
  EXPECT_EQ(older["cost_udollars"], 124);
  EXPECT_EQ(older["data_class"], "public");
  EXPECT_EQ(older["provider"], "openai");
  EXPECT_EQ(older["body_sha256"], std::string(64, 'a'));
  EXPECT_EQ(older["ts_unix_ms"], 1'796'083'200'001);

  const json all = json::parse(request("/hearth/v1/egress").body());
  ASSERT_EQ(all["data"].size(), 3u);
  EXPECT_TRUE(all["data"][2]["key"].is_null());  // a request without a key
}

TEST_F(EgressRouteTest, BadQueriesAre400NamingTheParameter) {
  for (const std::string query :
       {"limit=0", "limit=-1", "limit=abc", "limit=", "limit=1.5", "limit=501", "limit=99999999999999999999"}) {
    const auto response = request("/hearth/v1/egress?" + query);
    EXPECT_EQ(response.result_int(), 400) << query;
    EXPECT_EQ(json::parse(response.body())["error"]["param"], "limit") << query;
  }
  EXPECT_EQ(json::parse(request("/hearth/v1/egress?since=1").body())["error"]["param"], "since");
  EXPECT_EQ(json::parse(request("/hearth/v1/egress?limit=1&limit=2").body())["error"]["param"], "limit");
  EXPECT_EQ(request("/hearth/v1/egress?limit=500").result_int(), 200);
}

TEST_F(DashboardServerTest, EgressWithoutAStateDatabaseIs503) {
  const auto response = request("/hearth/v1/egress");
  EXPECT_EQ(response.result_int(), 503);
  EXPECT_EQ(json::parse(response.body())["error"]["type"], "service_unavailable_error");
}

}  // namespace
}  // namespace hearth::api
