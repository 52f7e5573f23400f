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

Result<std::string> render_systemd_unit(const ServiceSpec& spec) {
  HEARTH_RETURN_IF_ERROR(check_spec(spec));
  std::string exec = systemd_word(spec.binary) + " serve";
  for (const std::string& arg : spec.serve_args) exec += " " + systemd_word(arg);
  return "# Written by `hearth service install`; `hearth service uninstall` removes it.\n"
         "[Unit]\n"
         "Description=hearth inference server (hearth serve)\n"
         "After=network-online.target\n"
         "Wants=network-online.target\n"
         "\n"
         "[Service]\n"
         "Type=simple\n"
         "ExecStart=" + exec + "\n"
         "WorkingDirectory=" + systemd_path(spec.working_dir) + "\n"
         // hearth serve drains its engines on SIGTERM (--drain-timeout-ms, 10 s by default).
         "KillSignal=SIGTERM\n"
         "TimeoutStopSec=60\n"
         "Restart=on-failure\n"
         "RestartSec=5\n"
         "\n"
         "[Install]\n"
         "WantedBy=default.target\n";
}

Result<std::string> render_launchd_plist(const ServiceSpec& spec) {
  HEARTH_RETURN_IF_ERROR(check_spec(spec));
  std::string arguments = "    <string>" + xml_escape(spec.binary) + "</string>\n    <string>serve</string>\n";
  for (const std::string& arg : spec.serve_args) arguments += "    <string>" + xml_escape(arg) + "</string>\n";
  const std::string log = xml_escape(spec.home + "/Library/Logs/hearth.log");
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
         "<!-- Written by `hearth service install`; `hearth service uninstall` removes it. -->\n"
         "<plist version=\"1.0\">\n"
         "<dict>\n"
         "  <key>Label</key>\n"
         "  <string>" + std::string(kLaunchdLabel) + "</string>\n"
         "  <key>ProgramArguments</key>\n"
         "  <array>\n" + arguments +
         "  </array>\n"
         "  <key>WorkingDirectory</key>\n"
         "  <string>" + xml_escape(spec.working_dir) + "</string>\n"
         "  <key>RunAtLoad</key>\n"
         "  <true/>\n"
         // Restarted when it exits unsuccessfully (a crash, a failed start); a clean exit stays stopped.
         "  <key>KeepAlive</key>\n"
         "  <dict>\n"
         "    <key>SuccessfulExit</key>\n"
         "    <false/>\n"
         "  </dict>\n"
         "  <key>ThrottleInterval</key>\n"
         "  <integer>5</integer>\n"
         "  <key>ExitTimeOut</key>\n"
         "  <integer>60</integer>\n"
         "  <key>StandardOutPath</key>\n"
         "  <string>" + log + "</string>\n"
         "  <key>StandardErrorPath</key>\n"
         "  <string>" + log + "</string>\n"
         "</dict>\n"
         "</plist>\n";
}

}  // namespace hearth::cli
