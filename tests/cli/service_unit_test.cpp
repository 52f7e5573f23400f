// The service files `hearth service install` writes, as text: systemd's
// quoting rules for ExecStart words, XML escaping for the launchd plist, and
// the refusals (relative paths, control characters).
#include "cli/service_unit.h"

#include <gtest/gtest.h>

namespace hearth::cli {
namespace {

TEST(ServiceUnitTest, SystemdWordsQuoteWhatSystemdWouldReadOtherwise) {
  EXPECT_EQ(systemd_word("--port"), "--port");
  EXPECT_EQ(systemd_word("/srv/models"), "/srv/models");
  EXPECT_EQ(systemd_word("a b"), "\"a b\"");
  EXPECT_EQ(systemd_word("100%"), "\"100%%\"");  // % starts a specifier
  EXPECT_EQ(systemd_word("$HOME"), "\"$$HOME\"");  // $ starts a variable
  EXPECT_EQ(systemd_word("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
  EXPECT_EQ(systemd_word(""), "\"\"");
  EXPECT_EQ(systemd_word(";"), "\";\"");
}

TEST(ServiceUnitTest, SystemdUnitRunsServeAndRestartsOnFailure) {
  const ServiceSpec spec{"/usr/local/bin/hearth", {"--models-dir", "/srv/my models", "--port", "9000"}, "/home/ann",
                         "/home/ann"};
  Result<std::string> unit = render_systemd_unit(spec);
  ASSERT_TRUE(unit.ok()) << unit.status().message();
  EXPECT_NE(unit->find("\nExecStart=/usr/local/bin/hearth serve --models-dir \"/srv/my models\" --port 9000\n"),
            std::string::npos)
      << *unit;
  EXPECT_NE(unit->find("\nRestart=on-failure\n"), std::string::npos);
  EXPECT_NE(unit->find("\nWorkingDirectory=/home/ann\n"), std::string::npos);
  EXPECT_NE(unit->find("\nWantedBy=default.target\n"), std::string::npos);
  EXPECT_EQ(unit->find("User="), std::string::npos);  // a user unit runs as its user
}

TEST(ServiceUnitTest, LaunchdPlistEscapesAndKeepsAliveOnFailure) {
  const ServiceSpec spec{"/opt/hearth/bin/hearth", {"--models-dir", "/Volumes/NAS/a&b <c>"}, "/Users/ann", "/Users/ann"};
  Result<std::string> plist = render_launchd_plist(spec);
  ASSERT_TRUE(plist.ok()) << plist.status().message();
  EXPECT_NE(plist->find("<string>/opt/hearth/bin/hearth</string>\n    <string>serve</string>\n    "
                        "<string>--models-dir</string>\n    <string>/Volumes/NAS/a&amp;b &lt;c&gt;</string>\n"),
            std::string::npos)
      << *plist;
  EXPECT_NE(plist->find("<key>SuccessfulExit</key>\n    <false/>"), std::string::npos);
  EXPECT_NE(plist->find("<string>/Users/ann/Library/Logs/hearth.log</string>"), std::string::npos);
  EXPECT_NE(plist->find("<string>dev.hearth.serve</string>"), std::string::npos);
}

TEST(ServiceUnitTest, Refusals) {
  EXPECT_FALSE(render_systemd_unit(ServiceSpec{"hearth", {}, "/home/ann", "/home/ann"}).ok());
  EXPECT_FALSE(render_systemd_unit(ServiceSpec{"/bin/hearth", {}, "relative", "/home/ann"}).ok());
  Result<std::string> newline = render_launchd_plist(ServiceSpec{"/bin/hearth", {"a\nb"}, "/home/ann", "/home/ann"});
  ASSERT_FALSE(newline.ok());
  EXPECT_NE(newline.status().message().find("control character"), std::string::npos);
}

}  // namespace
}  // namespace hearth::cli
