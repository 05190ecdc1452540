// App: a small Flask-like web application over cpp-httplib, for serving
// models as JSON.
//
// **Example**:
//   r::App app("petshop");
//   r::Database db;
//   db.init_app(app);                    // DATABASE_URL, SQLALCHEMY_ECHO, pool settings from app.config()
//   r::Migrate migrate(app, db);         // `petshop db upgrade` and the other db commands
//   app.get("/owners/<int:id>", [&](r::Request& req) {
//     auto owner = req.session().get<Owner>(req.arg_int("id"));
//     if (!owner) throw r::NotFound("no owner with id " + req.arg("id"));
//     return r::Response::json(owner.to_dict());
//   });
//   return app.main(argc, argv);         // `petshop run --port 5000` or `petshop db ...`
//
// Each request gets its own Session (`req.session()`), closed at the end of
// the request, rolled back if it was not committed, whatever happens. Errors
// become JSON responses: HttpError (400, 404, ...) as given, ValidationError
// and malformed JSON 400 naming the problem, IntegrityError 409 naming the
// constraint, anything else 500 without internals; every error is logged.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "retort/core/config.hpp"
#include "retort/core/error.hpp"
#include "retort/orm/session.hpp"

namespace retort {

class App;
class Database;

/// An error with an HTTP status, turned into `{"error": ..., "status": ...}`.
class HttpError : public Error {
 public:
  HttpError(int status, const std::string& message) : Error(message), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};
/// 404 Not Found.
class NotFound : public HttpError {
 public:
  explicit NotFound(const std::string& message) : HttpError(404, message) {}
};
/// 400 Bad Request.
class BadRequest : public HttpError {
 public:
  explicit BadRequest(const std::string& message) : HttpError(400, message) {}
};

/// One request, as a handler sees it.
class Request {
 public:
  Request(std::string method, std::string path, std::string body, std::map<std::string, std::string> query,
          std::map<std::string, std::string> path_args, std::function<Session()> open_session);
  ~Request();
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  const std::string& method() const { return method_; }
  const std::string& path() const { return path_; }
  const std::string& body() const { return body_; }
  /// The body as JSON; BadRequest naming the parse error when it is not.
  const nlohmann::json& json();
  /// A path argument (`<id>` or `<int:id>` in the route); BadRequest when missing.
  const std::string& arg(const std::string& name) const;
  std::int64_t arg_int(const std::string& name) const;
  /// A query-string parameter, or nothing.
  std::optional<std::string> query(const std::string& name) const;
  /// A query parameter as a positive integer, `fallback` when absent; BadRequest when not a number.
  std::int64_t query_int(const std::string& name, std::int64_t fallback) const;
  /// This request's session: opened on first use, closed when the request ends.
  Session& session();

 private:
  std::string method_, path_, body_;
  std::map<std::string, std::string> query_, path_args_;
  std::function<Session()> open_session_;
  std::optional<nlohmann::json> json_;
  std::optional<Session> session_;
};

/// What a handler returns.
struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";

  /// `value` as JSON text; bytes that are not UTF-8 are written as U+FFFD.
  static Response json(const nlohmann::json& value, int status = 200);
  static Response html(std::string text);
  /// 204 No Content.
  static Response empty();
};

using Handler = std::function<Response(Request&)>;

/// The application: configuration, routes, the server and the program's entry.
class App {
 public:
  explicit App(std::string name);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  const std::string& name() const { return name_; }
  /// Flask's app.config: read from the environment, `.env` and `.flaskenv`
  /// when the app is made; set() more before init_app.
  Config& config() { return config_; }

  /// Routes: "/owners", "/owners/<int:id>", "/users/<int:id>/following/<int:channel_id>".
  /// Add them before start() or run(): the server reads them without a lock. A GET route also answers HEAD.
  App& route(const std::string& method, const std::string& pattern, Handler handler);
  App& get(const std::string& pattern, Handler h) { return route("GET", pattern, std::move(h)); }
  App& post(const std::string& pattern, Handler h) { return route("POST", pattern, std::move(h)); }
  App& patch(const std::string& pattern, Handler h) { return route("PATCH", pattern, std::move(h)); }
  App& delete_(const std::string& pattern, Handler h) { return route("DELETE", pattern, std::move(h)); }

  /// Answers one request in-process (the server calls it for each request).
  Response handle(const std::string& method, const std::string& path, const std::string& body,
                  const std::map<std::string, std::string>& query);

  /// Serves until stop() (or SIGINT/SIGTERM through main()); `port` 0 picks a free one.
  void run(const std::string& host = "127.0.0.1", int port = 5000);
  /// Starts serving in a background thread; returns the bound port.
  int start(const std::string& host = "127.0.0.1", int port = 0);
  void stop();

  /// A command of the program (Flask's `@app.cli.command`): `PROGRAM name ARGS...`
  /// calls `fn(argc, argv)` with argv[0] the command's name.
  App& command(const std::string& name, std::function<int(int, char**)> fn);

  /// The program's entry: `run [--host H] [--port P]`, `db ...` when a
  /// Migrate is attached, or a command(). Returns the exit code.
  int main(int argc, char** argv);
  /// Where each request and error is logged (default: standard error).
  void set_log(std::function<void(const std::string&)> sink);

 private:
  friend class Database;
  friend class Migrate;
  void attach_session_factory(std::function<Session()> open);
  void attach_db_commands(std::function<int(int, char**)> db_main);
  struct Impl;
  std::string name_;
  Config config_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace retort
