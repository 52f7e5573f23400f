// load_gen: a bounded, open-loop HTTP/1.1 load generator for bench/gateway_bench.sh.
//
// Requests are scheduled at fixed intervals (request k at t0 + k / rate) whatever the server does,
// and each latency is measured from the request's scheduled time, not from when it was written: a
// server that falls behind is charged for the queue it causes (no coordinated omission; the
// approach of wrk2, ref: https://github.com/giltene/wrk2#acknowledgements). N keep-alive
// connections carry one request each at a time (no pipelining); a scheduled request waits in a FIFO
// for the next idle connection, and that wait counts. One thread, epoll, nanosecond timeouts.
//
//   load_gen --url http://127.0.0.1:8080/v1/chat/completions --rate 5000 --duration 10 --warmup 3
//            --connections 64 --model gpt-bench --body-bytes 600 [-H 'name: value']... [--label direct]
//
// Prints one JSON line: rate asked and achieved, ok / errors / unfinished counts, latency
// percentiles in ms of the requests scheduled after the warm-up (answered ones, and unanswered ones
// at the time waited so far: then the percentiles are lower bounds), and the tool's own CPU time.
// Debian 12 has no fixed-rate load tool with percentiles (no wrk2; h2load --rps reports no
// percentiles and measures from the send), hence this file. Built by the bench script with g++ -O2.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string path = "/";
  double rate_rps = 1000;
  double duration_s = 10;
  double warmup_s = 2;
  double drain_s = 5;
  int n_connections = 64;
  std::string model = "gpt-bench";
  int body_bytes = 600;
  std::vector<std::string> headers;
  std::string label;
};

bool parse_url(std::string_view url, Options* options) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return false;
  url.remove_prefix(kScheme.size());
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  options->path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) return false;
  options->host = std::string(authority.substr(0, colon));
  std::string_view port_text = authority.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) return false;
  options->port = static_cast<uint16_t>(port);
  return true;
}

bool parse_double(const char* text, double min_value, double* out) {
  char* end = nullptr;
  double value = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(value >= min_value) || value > 1e9) return false;
  *out = value;
  return true;
}

void usage_and_exit() {
  std::fprintf(stderr,
               "usage: load_gen --url http://HOST:PORT/PATH --rate RPS --duration S [--warmup S] [--drain S]\n"
               "                [--connections N] [--model NAME] [--body-bytes N] [-H 'name: value']... [--label L]\n");
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options options;
  bool have_url = false;
  for (int arg_idx = 1; arg_idx < argc; ++arg_idx) {
    std::string_view flag = argv[arg_idx];
    if (arg_idx + 1 >= argc) usage_and_exit();
    const char* value = argv[++arg_idx];
    double number = 0;
    if (flag == "--url") {
      if (!parse_url(value, &options)) usage_and_exit();
      have_url = true;
    } else if (flag == "--rate" && parse_double(value, 1, &number)) {
      options.rate_rps = number;
    } else if (flag == "--duration" && parse_double(value, 0.1, &number)) {
      options.duration_s = number;
    } else if (flag == "--warmup" && parse_double(value, 0, &number)) {
      options.warmup_s = number;
    } else if (flag == "--drain" && parse_double(value, 0, &number)) {
      options.drain_s = number;
    } else if (flag == "--connections" && parse_double(value, 1, &number) && number <= 10000) {
      options.n_connections = static_cast<int>(number);
    } else if (flag == "--body-bytes" && parse_double(value, 128, &number) && number <= 1 << 20) {
      options.body_bytes = static_cast<int>(number);
    } else if (flag == "--model") {
      options.model = value;
    } else if (flag == "-H") {
      options.headers.emplace_back(value);
    } else if (flag == "--label") {
      options.label = value;
    } else {
      usage_and_exit();
    }
  }
  if (!have_url) usage_and_exit();
  return options;
}

// An OpenAI chat.completions body of exactly `n_bytes` bytes: the user message is padded.
std::string make_chat_body(const std::string& model, int n_bytes) {
  std::string head = "{\"model\":\"" + model +
                     "\",\"max_tokens\":16,\"temperature\":0,\"stream\":false,\"messages\":["
                     "{\"role\":\"system\",\"content\":\"You are a terse assistant for a small shop.\"},"
                     "{\"role\":\"user\",\"content\":\"Summarize the following note in one line: ";
  std::string tail = "\"}]}";
  std::string body = head;
  constexpr std::string_view kFiller = "the order of twelve chairs ships on Monday, invoice attached. ";
  while (body.size() + tail.size() < static_cast<size_t>(n_bytes)) {
    body += kFiller[(body.size() - head.size()) % kFiller.size()];
  }
  return body + tail;
}

// Incremental view of one HTTP/1.1 response in `buffer`: complete once the head and the whole body
// (Content-Length or chunked) are there.
struct ParsedResponse {
  bool complete = false;
  bool malformed = false;
  int status = 0;
  bool close = false;
  size_t n_bytes = 0;  // of the whole response, head included
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t idx = 0; idx < a.size(); ++idx) {
    if (std::tolower(static_cast<unsigned char>(a[idx])) != std::tolower(static_cast<unsigned char>(b[idx]))) {
      return false;
    }
  }
  return true;
}

ParsedResponse parse_response(std::string_view buffer) {
  ParsedResponse response;
  size_t head_end = buffer.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    response.malformed = buffer.size() > 64 * 1024;
    return response;
  }
  std::string_view head = buffer.substr(0, head_end);
  if (head.size() < 12 || head.substr(0, 7) != "HTTP/1.") {
    response.malformed = true;
    return response;
  }
  auto [status_end, status_ec] = std::from_chars(head.data() + 9, head.data() + 12, response.status);
  if (status_ec != std::errc() || status_end != head.data() + 12) {
    response.malformed = true;
    return response;
  }
  std::optional<size_t> content_length;
  bool chunked = false;
  if (head.substr(0, 8) == "HTTP/1.0") response.close = true;
  size_t line_start = head.find("\r\n");
  while (line_start != std::string_view::npos && line_start + 2 <= head.size()) {
    line_start += 2;
    size_t line_end = head.find("\r\n", line_start);
    std::string_view line =
        head.substr(line_start, line_end == std::string_view::npos ? head.npos : line_end - line_start);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view name = line.substr(0, colon);
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      if (iequals(name, "content-length")) {
        size_t length = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (ec != std::errc() || end != value.data() + value.size()) {
          response.malformed = true;
          return response;
        }
        content_length = length;
      } else if (iequals(name, "transfer-encoding")) {
        chunked = iequals(value, "chunked");
      } else if (iequals(name, "connection")) {
        response.close = iequals(value, "close");
      }
    }
    line_start = line_end;
  }
  size_t body_start = head_end + 4;
  if (chunked) {
    size_t pos = body_start;
    while (true) {
      size_t size_end = buffer.find("\r\n", pos);
      if (size_end == std::string_view::npos) return response;
      std::string_view size_text = buffer.substr(pos, size_end - pos);
      size_t semicolon = size_text.find(';');
      if (semicolon != std::string_view::npos) size_text = size_text.substr(0, semicolon);
      size_t chunk_bytes = 0;
      auto [end, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), chunk_bytes, 16);
      if (ec != std::errc() || chunk_bytes > (1u << 30)) {
        response.malformed = true;
        return response;
      }
      pos = size_end + 2;
      if (chunk_bytes == 0) {
        // Trailers (none expected) end with an empty line.
        size_t trailer_end = buffer.find("\r\n", pos);
        while (trailer_end != std::string_view::npos && trailer_end != pos) {
          pos = trailer_end + 2;
          trailer_end = buffer.find("\r\n", pos);
        }
        if (trailer_end == std::string_view::npos) return response;
        response.n_bytes = trailer_end + 2;
        response.complete = true;
        return response;
      }
      if (buffer.size() < pos + chunk_bytes + 2) return response;
      pos += chunk_bytes + 2;
    }
  }
  if (!content_length) {
    // Neither length nor chunked: the body runs to the close, which this tool does not expect.
    response.malformed = true;
    return response;
  }
  if (buffer.size() < body_start + *content_length) return response;
  response.n_bytes = body_start + *content_length;
  response.complete = true;
  return response;
}

struct Connection {
  int fd = -1;
  bool connected = false;
  bool busy = false;
  int64_t request_idx = -1;  // the request in flight
  size_t n_written = 0;
  std::string in;
};

struct Stats {
  std::vector<int64_t> latencies_ns;  // ok responses to measured requests
  int64_t n_ok = 0;
  int64_t n_errors = 0;  // non-2xx, malformed, or the connection failed under the request
  std::map<std::string, int64_t> error_kinds;
  int64_t n_ok_in_window = 0;  // ok responses (to any request) that arrived in the measured window
};

class LoadGen {
 public:
  LoadGen(Options options, std::string request)
      : options_(std::move(options)), request_(std::move(request)), connections_(options_.n_connections) {}

  int run();

 private:
  bool open_connection(int conn_idx);
  void close_connection(int conn_idx, const char* error_kind);
  void try_write(int conn_idx);
  void on_readable(int conn_idx);
  void dispatch();
  void finish_request(int conn_idx, bool ok, const char* error_kind, int64_t done_ns);
  int64_t scheduled_ns(int64_t request_idx) const {
    return t0_ns_ + static_cast<int64_t>(static_cast<double>(request_idx) * 1e9 / options_.rate_rps);
  }

  Options options_;
  std::string request_;
  std::vector<Connection> connections_;
  std::vector<int> idle_;
  int epoll_fd_ = -1;
  sockaddr_in address_{};
  int64_t t0_ns_ = 0;
  int64_t n_total_ = 0;     // requests scheduled in all
  int64_t n_warmup_ = 0;    // the first n_warmup_ are not measured
  int64_t next_sched_ = 0;  // requests [0, next_sched_) have reached their time
  int64_t next_send_ = 0;   // requests [next_send_, next_sched_) wait for a connection
  int64_t n_done_ = 0;
  Stats stats_;
};

bool LoadGen::open_connection(int conn_idx) {
  Connection& connection = connections_[conn_idx];
  connection = Connection{};
  connection.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (connection.fd < 0) return false;
  int one = 1;
  setsockopt(connection.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  int rc = connect(connection.fd, reinterpret_cast<const sockaddr*>(&address_), sizeof(address_));
  if (rc != 0 && errno != EINPROGRESS) {
    ::close(connection.fd);
    connection.fd = -1;
    return false;
  }
  epoll_event event{};
  // Edge-triggered: reads and writes run to EAGAIN, so an always-writable socket does not spin.
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.u32 = static_cast<uint32_t>(conn_idx);
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, connection.fd, &event) == 0;
}

void LoadGen::close_connection(int conn_idx, const char* error_kind) {
  Connection& connection = connections_[conn_idx];
  if (connection.busy) finish_request(conn_idx, false, error_kind, now_ns());
  if (connection.fd >= 0) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, connection.fd, nullptr);
    ::close(connection.fd);
  }
  idle_.erase(std::remove(idle_.begin(), idle_.end(), conn_idx), idle_.end());
  if (!open_connection(conn_idx)) {
    std::fprintf(stderr, "load_gen: cannot reconnect: %s\n", std::strerror(errno));
    std::exit(1);
  }
}

void LoadGen::finish_request(int conn_idx, bool ok, const char* error_kind, int64_t done_ns) {
  Connection& connection = connections_[conn_idx];
  int64_t request_idx = connection.request_idx;
  connection.busy = false;
  connection.request_idx = -1;
  ++n_done_;
  if (ok && done_ns >= scheduled_ns(n_warmup_) && done_ns < scheduled_ns(n_total_)) ++stats_.n_ok_in_window;
  if (request_idx < n_warmup_) return;
  if (ok) {
    ++stats_.n_ok;
    stats_.latencies_ns.push_back(done_ns - scheduled_ns(request_idx));
  } else {
    ++stats_.n_errors;
    ++stats_.error_kinds[error_kind];
  }
}

void LoadGen::try_write(int conn_idx) {
  Connection& connection = connections_[conn_idx];
  while (connection.n_written < request_.size()) {
    ssize_t n = ::send(connection.fd, request_.data() + connection.n_written, request_.size() - connection.n_written,
                       MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;  // EPOLLOUT resumes it
    if (n <= 0) {
      close_connection(conn_idx, "write");
      return;
    }
    connection.n_written += static_cast<size_t>(n);
  }
}

void LoadGen::on_readable(int conn_idx) {
  Connection& connection = connections_[conn_idx];
  char chunk[16384];
  while (true) {
    ssize_t n = ::recv(connection.fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      close_connection(conn_idx, n == 0 ? "closed" : "read");
      return;
    }
    connection.in.append(chunk, static_cast<size_t>(n));
  }
  if (!connection.busy) {
    if (!connection.in.empty()) close_connection(conn_idx, "unsolicited");
    return;
  }
  ParsedResponse response = parse_response(connection.in);
  if (response.malformed) {
    close_connection(conn_idx, "malformed");
    return;
  }
  if (!response.complete) return;
  int64_t done_ns = now_ns();
  bool ok = response.status >= 200 && response.status < 300;
  std::string kind = "http_" + std::to_string(response.status);
  connection.in.erase(0, response.n_bytes);
  finish_request(conn_idx, ok, kind.c_str(), done_ns);
  if (response.close || !connection.in.empty()) {
    close_connection(conn_idx, "closed");
    return;
  }
  idle_.push_back(conn_idx);
}

void LoadGen::dispatch() {
  while (next_send_ < next_sched_ && !idle_.empty()) {
    int conn_idx = idle_.back();
    idle_.pop_back();
    Connection& connection = connections_[conn_idx];
    connection.busy = true;
    connection.request_idx = next_send_++;
    connection.n_written = 0;
    connection.in.clear();
    try_write(conn_idx);
  }
}

int LoadGen::run() {
  address_.sin_family = AF_INET;
  address_.sin_port = htons(options_.port);
  if (inet_pton(AF_INET, options_.host.c_str(), &address_.sin_addr) != 1) {
    std::fprintf(stderr, "load_gen: host must be an IPv4 address: %s\n", options_.host.c_str());
    return 2;
  }
  // Timers fire within 1 us rather than the default 50 us slack: send times are the measurement.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return 1;
  for (int conn_idx = 0; conn_idx < options_.n_connections; ++conn_idx) {
    if (!open_connection(conn_idx)) {
      std::fprintf(stderr, "load_gen: cannot connect: %s\n", std::strerror(errno));
      return 1;
    }
  }
  std::vector<epoll_event> events(static_cast<size_t>(options_.n_connections));
  // Wait (up to 5 s) for every connection before the clock starts.
  int64_t connect_deadline_ns = now_ns() + 5'000'000'000;
  int n_connected = 0;
  while (n_connected < options_.n_connections && now_ns() < connect_deadline_ns) {
    int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 100);
    for (int event_idx = 0; event_idx < n; ++event_idx) {
      int conn_idx = static_cast<int>(events[event_idx].data.u32);
      Connection& connection = connections_[conn_idx];
      if (connection.connected) continue;
      int error = 0;
      socklen_t error_len = sizeof(error);
      getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &error_len);
      if (error != 0 || (events[event_idx].events & (EPOLLERR | EPOLLHUP))) {
        std::fprintf(stderr, "load_gen: cannot connect to %s:%u: %s\n", options_.host.c_str(), options_.port,
                     std::strerror(error != 0 ? error : ECONNREFUSED));
        return 1;
      }
      connection.connected = true;
      idle_.push_back(conn_idx);
      ++n_connected;
    }
  }
  if (n_connected < options_.n_connections) {
    std::fprintf(stderr, "load_gen: only %d of %d connections opened\n", n_connected, options_.n_connections);
    return 1;
  }
  n_warmup_ = static_cast<int64_t>(options_.warmup_s * options_.rate_rps);
  n_total_ = n_warmup_ + static_cast<int64_t>(options_.duration_s * options_.rate_rps);
  stats_.latencies_ns.reserve(static_cast<size_t>(n_total_ - n_warmup_));
  rusage usage_start{};
  getrusage(RUSAGE_SELF, &usage_start);
  t0_ns_ = now_ns() + 1'000'000;
  int64_t drain_deadline_ns = scheduled_ns(n_total_) + static_cast<int64_t>(options_.drain_s * 1e9);
  while (n_done_ < n_total_) {
    int64_t now = now_ns();
    if (now >= drain_deadline_ns) break;
    while (next_sched_ < n_total_ && scheduled_ns(next_sched_) <= now) ++next_sched_;
    dispatch();
    int64_t wake_ns = next_sched_ < n_total_ ? scheduled_ns(next_sched_) : drain_deadline_ns;
    int64_t wait_ns = std::max<int64_t>(0, wake_ns - now);
    timespec timeout{static_cast<time_t>(wait_ns / 1000000000), static_cast<long>(wait_ns % 1000000000)};
    int n = epoll_pwait2(epoll_fd_, events.data(), static_cast<int>(events.size()), &timeout, nullptr);
    if (n < 0 && errno != EINTR) {
      std::perror("load_gen: epoll_pwait2");
      return 1;
    }
    for (int event_idx = 0; event_idx < n; ++event_idx) {
      int conn_idx = static_cast<int>(events[event_idx].data.u32);
      Connection& connection = connections_[conn_idx];
      uint32_t flags = events[event_idx].events;
      if (!connection.connected) {
        // A reconnect finished (or failed: then the next read reports it).
        connection.connected = true;
        idle_.push_back(conn_idx);
      }
      if (flags & EPOLLIN) on_readable(conn_idx);
      if ((flags & EPOLLOUT) && connections_[conn_idx].busy) try_write(conn_idx);
      if ((flags & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) && !(flags & EPOLLIN)) close_connection(conn_idx, "hangup");
    }
  }
  rusage usage_end{};
  getrusage(RUSAGE_SELF, &usage_end);
  auto cpu_s = [](const rusage& usage) {
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  };
  double wall_s = static_cast<double>(now_ns() - t0_ns_) / 1e9;

  int64_t n_measured = n_total_ - n_warmup_;
  int64_t n_unfinished = n_measured - stats_.n_ok - stats_.n_errors;
  std::vector<int64_t>& latencies = stats_.latencies_ns;
  // A request still unanswered at the end (in flight, or never sent for want of a free connection)
  // has waited at least until now: it enters the percentiles with that lower bound, so a server
  // that stops answering cannot show a low p99. The percentiles are then lower bounds themselves.
  int64_t end_ns = now_ns();
  for (const Connection& connection : connections_) {
    if (connection.busy && connection.request_idx >= n_warmup_) {
      latencies.push_back(end_ns - scheduled_ns(connection.request_idx));
    }
  }
  for (int64_t request_idx = std::max(next_send_, n_warmup_); request_idx < n_total_; ++request_idx) {
    latencies.push_back(end_ns - scheduled_ns(request_idx));
  }
  std::sort(latencies.begin(), latencies.end());
  auto percentile_ms = [&](double fraction) {
    if (latencies.empty()) return 0.0;
    size_t rank = static_cast<size_t>(fraction * static_cast<double>(latencies.size()));
    return static_cast<double>(latencies[std::min(rank, latencies.size() - 1)]) / 1e6;
  };
  // Achieved: ok responses that arrived between the first and the last measured schedule, whichever
  // request they answer, over that time: the asked rate for a server that keeps up, its throughput
  // for one that does not (then it is still working off the warm-up's queue, which is the point).
  double window_s = static_cast<double>(scheduled_ns(n_total_) - scheduled_ns(n_warmup_)) / 1e9;
  double achieved_rps = static_cast<double>(stats_.n_ok_in_window) / window_s;
  std::string errors;
  for (const auto& [kind, count] : stats_.error_kinds) {
    errors += (errors.empty() ? "" : ",") + std::string("\"") + kind + "\":" + std::to_string(count);
  }
  std::printf(
      "{\"target\":\"%s\",\"rate_asked\":%.0f,\"rate_achieved\":%.1f,\"duration_s\":%.1f,\"warmup_s\":%.1f,"
      "\"connections\":%d,\"body_bytes\":%d,\"measured\":%lld,\"ok\":%lld,\"errors\":%lld,\"unfinished\":%lld,"
      "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,"
      "\"latency_lower_bound\":%s,\"load_gen_cpu_pct\":%.1f,\"error_kinds\":{%s}}\n",
      options_.label.c_str(), options_.rate_rps, achieved_rps, options_.duration_s, options_.warmup_s,
      options_.n_connections, options_.body_bytes, static_cast<long long>(n_measured),
      static_cast<long long>(stats_.n_ok), static_cast<long long>(stats_.n_errors),
      static_cast<long long>(n_unfinished), percentile_ms(0.50), percentile_ms(0.90), percentile_ms(0.99),
      percentile_ms(0.999), latencies.empty() ? 0.0 : static_cast<double>(latencies.back()) / 1e6,
      n_unfinished > 0 ? "true" : "false", 100.0 * (cpu_s(usage_end) - cpu_s(usage_start)) / wall_s, errors.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse_args(argc, argv);
  std::string body = make_chat_body(options.model, options.body_bytes);
  std::string request = "POST " + options.path + " HTTP/1.1\r\nHost: " + options.host + ":" +
                        std::to_string(options.port) +
                        "\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n";
  for (const std::string& header : options.headers) request += header + "\r\n";
  request += "\r\n" + body;
  if (body.size() != static_cast<size_t>(options.body_bytes)) {
    std::fprintf(stderr, "load_gen: the body came out %zu bytes, not %d\n", body.size(), options.body_bytes);
    return 2;
  }
  LoadGen load_gen(std::move(options), std::move(request));
  return load_gen.run();
}
