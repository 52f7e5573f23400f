#include "cli/service_unit.h"

#include <algorithm>

namespace hearth::cli {
namespace {

Status check_spec(const ServiceSpec& spec) {
  if (spec.binary.empty() || spec.binary.front() != '/') {
    return invalid_argument_error("the hearth binary's path must be absolute, got '" + spec.binary + "'");
  }
  if (spec.working_dir.empty() || spec.working_dir.front() != '/') {
    return invalid_argument_error("the working directory must be absolute, got '" + spec.working_dir + "'");
  }
  std::vector<const std::string*> texts = {&spec.binary, &spec.working_dir, &spec.home};
  for (const std::string& arg : spec.serve_args) texts.push_back(&arg);
  for (const std::string* text : texts) {
    if (std::any_of(text->begin(), text->end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
      return invalid_argument_error("a service argument holds a control character (a line break?): '" + *text + "'");
    }
  }
  return ok_status();
}

bool plain_word(std::string_view word) {
  return !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("/._-+=:,@").find(c) != std::string_view::npos;
  });
}

// A path in a unit's directive (WorkingDirectory=): specifiers doubled, no quoting.
std::string systemd_path(std::string_view path) {
  std::string out;
  for (const char c : path) {
    out += c;
    if (c == '%') out += '%';
  }
  return out;
}

}  // namespace

std::string systemd_word(std::string_view word) {
  std::string escaped;
  for (const char c : word) {
    if (c == '%') {
      escaped += "%%";
    } else if (c == '$') {
      escaped += "$$";
    } else if (c == '\\' || c == '"') {
      escaped += '\\';
      escaped += c;
    } else {
      escaped += c;
    }
  }
  if (plain_word(word)) return escaped;
  return "\"" + escaped + "\"";
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

// Both files are built by appending: GCC 12 warns (-Wrestrict, a false
// positive) about long chains of std::string operator+ starting at a literal.
Result<std::string> render_systemd_unit(const ServiceSpec& spec) {
  HEARTH_RETURN_IF_ERROR(check_spec(spec));
  std::string exec = systemd_word(spec.binary);
  exec += " serve";
  for (const std::string& arg : spec.serve_args) {
    exec += ' ';
    exec += systemd_word(arg);
  }
  std::string out;
  out += "# Written by `hearth service install`; `hearth service uninstall` removes it.\n";
  out += "[Unit]\n";
  out += "Description=hearth inference server (hearth serve)\n";
  out += "After=network-online.target\n";
  out += "Wants=network-online.target\n";
  out += "\n";
  out += "[Service]\n";
  out += "Type=simple\n";
  out += "ExecStart=";
  out += exec;
  out += "\nWorkingDirectory=";
  out += systemd_path(spec.working_dir);
  out += "\n";
  // hearth serve drains its engines on SIGTERM (--drain-timeout-ms, 10 s by default).
  out += "KillSignal=SIGTERM\n";
  out += "TimeoutStopSec=60\n";
  out += "Restart=on-failure\n";
  out += "RestartSec=5\n";
  out += "\n";
  out += "[Install]\n";
  out += "WantedBy=default.target\n";
  return out;
}

Result<std::string> render_launchd_plist(const ServiceSpec& spec) {
  HEARTH_RETURN_IF_ERROR(check_spec(spec));
  const auto string_element = [](std::string* out, std::string_view indent, std::string_view text) {
    *out += indent;
    *out += "<string>";
    *out += xml_escape(text);
    *out += "</string>\n";
  };
  std::string log = spec.home;
  log += "/Library/Logs/hearth.log";
  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n";
  out += "<!-- Written by `hearth service install`; `hearth service uninstall` removes it. -->\n";
  out += "<plist version=\"1.0\">\n";
  out += "<dict>\n";
  out += "  <key>Label</key>\n";
  string_element(&out, "  ", kLaunchdLabel);
  out += "  <key>ProgramArguments</key>\n";
  out += "  <array>\n";
  string_element(&out, "    ", spec.binary);
  string_element(&out, "    ", "serve");
  for (const std::string& arg : spec.serve_args) string_element(&out, "    ", arg);
  out += "  </array>\n";
  out += "  <key>WorkingDirectory</key>\n";
  string_element(&out, "  ", spec.working_dir);
  out += "  <key>RunAtLoad</key>\n";
  out += "  <true/>\n";
  // Restarted when it exits unsuccessfully (a crash, a failed start); a clean exit stays stopped.
  out += "  <key>KeepAlive</key>\n";
  out += "  <dict>\n";
  out += "    <key>SuccessfulExit</key>\n";
  out += "    <false/>\n";
  out += "  </dict>\n";
  out += "  <key>ThrottleInterval</key>\n";
  out += "  <integer>5</integer>\n";
  out += "  <key>ExitTimeOut</key>\n";
  out += "  <integer>60</integer>\n";
  out += "  <key>StandardOutPath</key>\n";
  string_element(&out, "  ", log);
  out += "  <key>StandardErrorPath</key>\n";
  string_element(&out, "  ", log);
  out += "</dict>\n";
  out += "</plist>\n";
  return out;
}

}  // namespace hearth::cli
