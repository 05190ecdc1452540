// App over cpp-httplib: routes matched here (Flask's <int:name> converters),
// one session per request closed whatever happens, errors turned into JSON.
// httplib.h is heavy: it is included here only.
#include "retort/app/app.hpp"

#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

namespace retort {

namespace {

/// Deeper JSON than this is refused: a request cannot make the parser or
/// the destructor recurse without bound.
constexpr int kMaxJsonDepth = 64;
constexpr std::size_t kMaxBody = 1 << 20;  // 1 MiB: larger bodies get 413

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(path);
  while (std::getline(in, part, '/'))
    if (!part.empty()) parts.push_back(part);
  return parts;
}

bool parse_int(const std::string& text, std::int64_t& out) {
  auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

struct Segment {
  std::string literal;  // or, when name is set, a parameter
  std::string name;
  bool integer = false;
};

struct Route {
  std::string method, pattern;
  std::vector<Segment> segments;
  Handler handler;

  /// The path arguments when `parts` matches; nothing otherwise.
  std::optional<std::map<std::string, std::string>> match(const std::vector<std::string>& parts) const {
    if (parts.size() != segments.size()) return std::nullopt;
    std::map<std::string, std::string> args;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      auto& s = segments[i];
      if (s.name.empty()) {
        if (s.literal != parts[i]) return std::nullopt;
        continue;
      }
      std::int64_t unused = 0;
      if (s.integer && !parse_int(parts[i], unused)) return std::nullopt;  // Flask: <int:id> does not match "abc"
      args[s.name] = parts[i];
    }
    return args;
  }
};

nlohmann::json error_body(int status, const std::string& message) {
  return {{"error", message}, {"status", status}};
}

}  // namespace

// ---- Request -------------------------------------------------------------------------

Request::Request(std::string method, std::string path, std::string body, std::map<std::string, std::string> query,
                 std::map<std::string, std::string> path_args, std::function<Session()> open_session)
    : method_(std::move(method)),
      path_(std::move(path)),
      body_(std::move(body)),
      query_(std::move(query)),
      path_args_(std::move(path_args)),
      open_session_(std::move(open_session)) {}

Request::~Request() {
  if (!session_) return;
  try {
    session_->close();  // rolls back what was not committed
  } catch (...) {
  }
}

const nlohmann::json& Request::json() {
  if (json_) return *json_;
  if (body_.empty()) throw BadRequest("the request has no body; send a JSON object");
  try {
    json_ = nlohmann::json::parse(body_, [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      if (depth > kMaxJsonDepth)
        throw BadRequest("the JSON body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
      return true;
    });
  } catch (const nlohmann::json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 9: ..." without the prefix; a
    // number too large for a double ("1e400") is an out_of_range error of the parser, not a parse_error.
    std::string what = e.what();
    auto at = what.find("] ");
    throw BadRequest("malformed JSON: " + (at == std::string::npos ? what : what.substr(at + 2)));
  }
  return *json_;
}

const std::string& Request::arg(const std::string& name) const {
  auto it = path_args_.find(name);
  if (it == path_args_.end()) throw BadRequest("the route has no argument '" + name + "'");
  return it->second;
}

std::int64_t Request::arg_int(const std::string& name) const {
  std::int64_t v = 0;
  if (!parse_int(arg(name), v)) throw BadRequest("'" + name + "' must be an integer, not '" + arg(name) + "'");
  return v;
}

std::optional<std::string> Request::query(const std::string& name) const {
  auto it = query_.find(name);
  if (it == query_.end()) return std::nullopt;
  return it->second;
}

std::int64_t Request::query_int(const std::string& name, std::int64_t fallback) const {
  auto text = query(name);
  if (!text) return fallback;
  std::int64_t v = 0;
  if (!parse_int(*text, v) || v < 1)
    throw BadRequest("query parameter '" + name + "' must be a positive integer, not '" + *text + "'");
  return v;
}

Session& Request::session() {
  if (!session_) {
    if (!open_session_) throw InvalidRequestError("the app has no database: call db.init_app(app)");
    session_.emplace(open_session_());
  }
  return *session_;
}

// ---- Response -----------------------------------------------------------------------

Response Response::json(const nlohmann::json& value, int status) {
  // Text that is not UTF-8 (a stored SQLite value, a client's bytes echoed in an error) is
  // written with U+FFFD in place of the bad bytes: dump() would otherwise throw.
  return Response{status, value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json"};
}
Response Response::html(std::string text) { return Response{200, std::move(text), "text/html; charset=utf-8"}; }
Response Response::empty() { return Response{204, "", "application/json"}; }

// ---- App ---------------------------------------------------------------------------------

struct App::Impl {
  std::vector<Route> routes;
  std::function<Session()> open_session;
  std::function<int(int, char**)> db_main;
  std::map<std::string, std::function<int(int, char**)>> commands;
  std::function<void(const std::string&)> log;
  std::mutex log_mutex;
  httplib::Server server;
  std::thread background;

  void write_log(const std::string& line) {
    std::lock_guard lock(log_mutex);
    if (log) log(line);
    else std::clog << line << std::endl;  // flushed: a log is read while the server runs
  }
};

App::App(std::string name) : name_(std::move(name)), config_(Config::from_env()), impl_(std::make_unique<Impl>()) {
  auto serve = [this](const httplib::Request& in, httplib::Response& out) {
    std::map<std::string, std::string> query;
    for (auto& [k, v] : in.params) query.emplace(k, v);  // the first value of a repeated parameter
    auto r = handle(in.method, in.path, in.body, query);
    out.status = r.status;
    out.set_content(r.body, r.content_type);
  };
  auto& s = impl_->server;
  s.Get(".*", serve);
  s.Post(".*", serve);
  s.Patch(".*", serve);
  s.Delete(".*", serve);
  s.Put(".*", serve);
  s.Options(".*", serve);
  s.set_payload_max_length(kMaxBody);
}

App::~App() { stop(); }

void App::attach_session_factory(std::function<Session()> open) { impl_->open_session = std::move(open); }
void App::attach_db_commands(std::function<int(int, char**)> db_main) { impl_->db_main = std::move(db_main); }
App& App::command(const std::string& name, std::function<int(int, char**)> fn) {
  impl_->commands[name] = std::move(fn);
  return *this;
}

void App::set_log(std::function<void(const std::string&)> sink) { impl_->log = std::move(sink); }

App& App::route(const std::string& method, const std::string& pattern, Handler handler) {
  Route r{method, pattern, {}, std::move(handler)};
  for (auto& part : split_path(pattern)) {
    Segment s;
    if (part.size() > 2 && part.front() == '<' && part.back() == '>') {
      std::string inner = part.substr(1, part.size() - 2);
      if (inner.rfind("int:", 0) == 0) {
        s.integer = true;
        inner = inner.substr(4);
      }
      if (inner.empty() || inner.find(':') != std::string::npos)
        throw ArgumentError("route '" + pattern + "': write a parameter as <name> or <int:name>, not " + part);
      s.name = inner;
    } else {
      s.literal = part;
    }
    r.segments.push_back(std::move(s));
  }
  impl_->routes.push_back(std::move(r));
  return *this;
}

Response App::handle(const std::string& method, const std::string& path, const std::string& body,
                     const std::map<std::string, std::string>& query) {
  auto start = std::chrono::steady_clock::now();
  auto parts = split_path(path);
  Response response;
  std::string failure;  // what is logged besides the status line
  const Route* found = nullptr;
  std::map<std::string, std::string> args;
  bool path_known = false;
  for (auto& r : impl_->routes) {
    auto m = r.match(parts);
    if (!m) continue;
    path_known = true;
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {  // HEAD: GET's answer, the server drops the body
      found = &r;
      args = std::move(*m);
      break;
    }
  }
  if (!found) {
    response = path_known ? Response::json(error_body(405, "method " + method + " is not allowed on " + path), 405)
                          : Response::json(error_body(404, "no route for " + path), 404);
  } else {
    try {
      Request request(method, path, body, query, std::move(args), impl_->open_session);
      response = found->handler(request);
    } catch (const HttpError& e) {
      response = Response::json(error_body(e.status(), e.what()), e.status());
      failure = e.what();
    } catch (const ValidationError& e) {
      auto j = error_body(400, e.what());
      j["fields"] = e.fields();
      response = Response::json(j, 400);
      failure = e.what();
    } catch (const ArgumentError& e) {
      response = Response::json(error_body(400, e.what()), 400);
      failure = e.what();
    } catch (const DataError& e) {
      // A value the database cannot hold (out of range, a NUL in PostgreSQL text): the client's input.
      response = Response::json(error_body(400, "a value the database cannot store: " + e.db_message()), 400);
      failure = e.what();
    } catch (const OperationalError& e) {
      // No connection free in time, the server gone, a conflict: worth trying again later.
      response = Response::json(error_body(503, "the database is unavailable; try again"), 503);
      failure = e.what();
    } catch (const NoResultFound& e) {
      response = Response::json(error_body(404, e.what()), 404);
      failure = e.what();
    } catch (const IntegrityError& e) {
      // The constraint, not the SQL: the client learns what clashed, not the schema's internals.
      std::string what = e.constraint().empty() ? "the change breaks a constraint: " + e.db_message()
                                                : "the change breaks the constraint " + e.constraint();
      auto j = error_body(409, what);
      j["constraint"] = e.constraint();
      response = Response::json(j, 409);
      failure = e.what();
    } catch (const std::exception& e) {
      response = Response::json(error_body(500, "internal server error"), 500);
      failure = e.what();
    } catch (...) {
      response = Response::json(error_body(500, "internal server error"), 500);
      failure = "an exception that is not a std::exception";
    }
  }
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  char timing[32];
  std::snprintf(timing, sizeof timing, "%.1f ms", ms);
  std::string line = name_ + ": " + method + " " + path + " " + std::to_string(response.status) + " " + timing;
  if (!failure.empty()) line += "\n  " + failure;
  impl_->write_log(line);
  return response;
}

void App::run(const std::string& host, int port) {
  // SIGINT and SIGTERM stop the server: blocked in every thread (the
  // server's workers inherit the mask) and awaited by one.
  sigset_t signals, previous;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, &previous);
  std::atomic<bool> finished{false};
  std::thread waiter([this, signals, &finished] {
    int sig = 0;
    sigwait(&signals, &sig);
    // httplib ignores stop() until it listens: a signal that came early waits for that.
    while (!finished && !impl_->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    impl_->server.stop();
  });
  if (!impl_->server.bind_to_port(host, port)) {
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    throw OperationalError("cannot listen on " + host + ":" + std::to_string(port) +
                           ": the port is in use or the address is not this machine's; choose another with --port");
  }
  impl_->write_log(name_ + ": serving on http://" + host + ":" + std::to_string(port) + " (Ctrl-C stops)");
  impl_->server.listen_after_bind();
  finished = true;
  pthread_kill(waiter.native_handle(), SIGTERM);  // wakes the waiter when stop() came from elsewhere
  waiter.join();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  impl_->write_log(name_ + ": stopped");
}

int App::start(const std::string& host, int port) {
  int bound = port == 0 ? impl_->server.bind_to_any_port(host) : (impl_->server.bind_to_port(host, port) ? port : -1);
  if (bound < 0) throw OperationalError("cannot listen on " + host + ":" + std::to_string(port));
  // Bound means listening: connections queue until the thread accepts them.
  impl_->background = std::thread([this] { impl_->server.listen_after_bind(); });
  // httplib ignores stop() until it runs: return once it does, so stop() works at once.
  while (!impl_->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return bound;
}

void App::stop() {
  if (!impl_) return;
  impl_->server.stop();
  if (impl_->background.joinable()) impl_->background.join();
}

int App::main(int argc, char** argv) {
  std::string usage = "usage: " + name_ + " run [--host 127.0.0.1] [--port 5000]";
  if (impl_->db_main) usage += " | " + name_ + " db COMMAND ...";
  for (auto& [command, fn] : impl_->commands) usage += " | " + name_ + " " + command;
  if (argc < 2) {
    std::cerr << usage << "\n";
    return 2;
  }
  std::string command = argv[1];
  try {
    if (command == "db" && impl_->db_main) return impl_->db_main(argc - 1, argv + 1);
    if (auto it = impl_->commands.find(command); it != impl_->commands.end()) return it->second(argc - 1, argv + 1);
    if (command == "run") {
      std::string host = "127.0.0.1";
      int port = 5000;
      for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        std::int64_t n = 0;
        if (a == "--host" && i + 1 < argc) {
          host = argv[++i];
        } else if (a == "--port" && i + 1 < argc && parse_int(argv[i + 1], n) && n > 0 && n < 65536) {
          port = static_cast<int>(n);
          ++i;
        } else {
          std::cerr << name_ << " run: unexpected '" << a << "'\n" << usage << "\n";
          return 2;
        }
      }
      run(host, port);
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << name_ << ": error: " << e.what() << "\n";
    return 1;
  }
  std::cerr << name_ << ": unknown command '" << command << "'\n" << usage << "\n";
  return 2;
}

}  // namespace retort
