// The db commands over the migrate layer, parsed with CLI11. Each command
// reads the migrations folder (-d) and, when it needs one, the database named
// by DATABASE_URL; errors are retort errors, printed with what to do. A
// --multidb folder's commands that touch databases are in multidb.cpp.
#include "retort/app/migrate.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>

#include "app/migrate_commands.hpp"
#include "retort/app/app.hpp"
#include "retort/app/database.hpp"
#include "retort/core/config.hpp"
#include "retort/core/dialect.hpp"
#include "retort/core/engine.hpp"
#include "migrate/text.hpp"
#include "retort/core/error.hpp"
#include "retort/migrate.hpp"
#include "retort/orm/mapper.hpp"

namespace retort {

namespace detail {

namespace {

constexpr const char* kConfigName = "retort.yaml";

std::string now_text() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

/// The value of `key: value` on a line of retort.yaml, unquoted; nullopt for another key.
std::optional<std::string> setting(const std::string& line, std::string_view key) {
  if (line.rfind(std::string(key) + ":", 0) != 0) return std::nullopt;
  std::string value = line.substr(key.size() + 1);
  value.erase(0, value.find_first_not_of(" \t\"'"));
  value.erase(value.find_last_not_of(" \t\"'\r") + 1);
  return value;
}

}  // namespace

void MigrationsFolder::load() {
  if (!std::filesystem::is_directory(dir))
    throw MigrationError("no migrations folder at '" + dir.string() + "'; run `db init` first, or give it with -d DIR");
  std::ifstream in(dir / kConfigName);
  for (std::string line; std::getline(in, line);) {
    if (auto v = setting(line, "version_table")) version_table = *v;
    if (auto v = setting(line, "multidb")) {
      if (*v != "true" && *v != "false")
        throw MigrationError((dir / kConfigName).string() + ": multidb is true or false, not '" + *v + "'",
                             ErrorDetails{.location = (dir / kConfigName).string()});
      multidb = *v == "true";
    }
  }
}

std::string describe_ops(const std::vector<migrate::Operation>& ops) {
  std::string out;
  for (auto& op : ops) out += "  - " + migrate::describe(op) + "\n";
  return out;
}

std::filesystem::path write_revision(const MigrationsFolder& folder, migrate::Revision rev) {
  rev.create_date = now_text();
  std::filesystem::path path = folder.versions() / migrate::revision_file_name(rev);
  std::ofstream(path) << migrate::revision_yaml(rev);
  return path;
}

}  // namespace detail

namespace {

using migrate::detail::join;
using detail::describe_ops;
using detail::kConfigName;
using detail::write_revision;
using Folder = detail::MigrationsFolder;

namespace fs = std::filesystem;

Engine connect_database(const std::optional<Config>& given) {
  auto config = given ? *given : Config::from_env();
  return Engine(config.database_url(), EngineOptions::from_config(config));
}

}  // namespace

Migrate::Migrate(const MetaData& models, bool has_models)
    : models_{{"", &models}}, has_models_(has_models), all_binds_(false) {}

Migrate::Migrate(BindModels models) : models_(std::move(models)), has_models_(true), all_binds_(true) {
  static const MetaData no_tables;
  models_.try_emplace("", &no_tables);
}

Migrate::BindModels Migrate::mapped_models() {
  BindModels out{{"", &mapped_metadata()}};
  for (auto& key : mapped_bind_keys()) out.emplace(key, &mapped_metadata(key));
  return out;
}

Migrate::Migrate(App& app, Database& db) : Migrate(mapped_models()) {
  (void)db;  // its models are the mapped ones; its config is the app's
  config_ = app.config();
  app.attach_db_commands([this](int argc, char** argv) { return main(argc, argv); });
}

int Migrate::main(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return run(args, std::cout, std::cerr);
}

int Migrate::run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{"Database migrations (Flask-Migrate's commands)", "db"};
  app.require_subcommand(1);
  std::string directory = "migrations";
  app.add_option("-d,--directory", directory, "The migrations folder")->capture_default_str();
  std::string message, target, revision;
  bool sql = false, multidb = false;
  auto* init = app.add_subcommand("init", "Create the migrations folder");
  init->add_flag("--multidb", multidb, "Revisions for several databases: the default and each bind");
  auto* migrate_cmd = app.add_subcommand("migrate", "Autogenerate a revision from the models");
  migrate_cmd->add_option("-m,--message", message, "The revision's message");
  auto* revision_cmd = app.add_subcommand("revision", "Create an empty revision");
  revision_cmd->add_option("-m,--message", message, "The revision's message");
  auto* upgrade = app.add_subcommand("upgrade", "Upgrade to a later revision");
  upgrade->add_option("revision", target, "head (default), heads, an id, +N; with --sql FROM:TO");
  upgrade->add_flag("--sql", sql, "Print the SQL instead of running it");
  auto* downgrade = app.add_subcommand("downgrade", "Revert to an earlier revision");
  downgrade->add_option("revision", target, "-1 (default), base, an id, -N; with --sql FROM:TO");
  downgrade->add_flag("--sql", sql, "Print the SQL instead of running it");
  auto* current = app.add_subcommand("current", "The database's revision");
  auto* history = app.add_subcommand("history", "Every revision, newest first");
  auto* heads = app.add_subcommand("heads", "The head revisions");
  auto* branches = app.add_subcommand("branches", "Revisions with more than one child");
  auto* show = app.add_subcommand("show", "A revision's file");
  show->add_option("revision", revision, "An id or prefix")->required();
  auto* stamp = app.add_subcommand("stamp", "Set the database's revision without running anything");
  stamp->add_option("revision", revision, "head, base or an id")->required();
  auto* merge = app.add_subcommand("merge", "Merge the heads into one revision");
  merge->add_option("-m,--message", message, "The revision's message");
  auto* check = app.add_subcommand("check", "Exit 1 when the models and the database differ");
  for (auto* sub : app.get_subcommands({})) sub->add_option("-d,--directory", directory, "The migrations folder");

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, out, err);
  }

  Folder folder(directory);
  try {
    if (init->parsed()) {
      if (fs::exists(folder.dir) && !fs::is_empty(folder.dir))
        throw MigrationError("Directory " + folder.dir.string() + " already exists and is not empty");
      fs::create_directories(folder.versions());
      std::ofstream(folder.dir / kConfigName) << "# retort migrations settings\nversion_table: retort_version\n"
                                              << (multidb ? "# revisions hold each database's operations under binds\n"
                                                            "multidb: true\n"
                                                          : "");
      std::ofstream(folder.dir / "README")
          << "Migrations for this program's models, one YAML file per revision in versions/.\n"
          << (multidb ? "Multi-database: each revision holds the operations of the default database (DATABASE_URL),\n"
                        "written `default`, and of each bind (DATABASE_URL_<KEY>) under `binds`.\n"
                      : "")
          << "`db migrate -m MSG` writes a revision from the models; `db upgrade` applies them.\n";
      out << "Creating directory " << folder.dir.string() << " ...  done\n"
          << "Please edit " << (folder.dir / kConfigName).string() << " if the version table needs another name.\n";
      return 0;
    }
    if ((migrate_cmd->parsed() || check->parsed()) && !has_models_)
      throw MigrationError(std::string("`db ") + (check->parsed() ? "check" : "migrate") +
                           "` compares the models with the database; run it through the program that maps them: "
                           "PROGRAM db " + (check->parsed() ? "check" : "migrate"));
    folder.load();
    auto graph = folder.graph();
    if (folder.multidb) {
      auto* command = app.get_subcommands().front();
      const std::string name = command->get_name();
      if (name == "migrate" || name == "revision" || name == "merge" || name == "upgrade" || name == "downgrade" ||
          name == "stamp" || name == "current" || name == "check") {
        std::string to = target.empty() ? (name == "downgrade" ? "-1" : "head") : target;
        return detail::run_multidb({.name = name, .message = message, .target = to, .revision = revision, .sql = sql},
                                   folder, graph, config_ ? *config_ : Config::from_env(), models_, all_binds_, out,
                                   err);
      }
    }
    // One database: the default's models; those of other binds are not this folder's.
    const MetaData& models = *models_.at("");
    auto unused_binds = [&] {
      for (auto& [key, md] : models_)
        if (!key.empty() && !md->tables().empty())
          out << "WARN  the models of bind '" << key << "' are not compared: this migrations folder is for one "
              << "database (DATABASE_URL); `db init --multidb` makes one for several\n";
    };
    auto migrator = [&](std::ostream* sql_out) {
      return migrate::Migrator(connect_database(config_), graph,
                               {.version_table = folder.version_table,
                                .sql = sql_out,
                                .progress = [&](const std::string& line) { out << "INFO  " << line << "\n"; }});
    };
    if (migrate_cmd->parsed() || revision_cmd->parsed() || merge->parsed()) {
      migrate::Revision rev;
      rev.id = migrate::new_revision_id();
      rev.message = message.empty() && merge->parsed() ? "merge" : message;
      auto h = graph.heads();
      if (merge->parsed()) {
        if (h.size() < 2) throw MigrationError("nothing to merge: there is " + std::to_string(h.size()) + " head");
        rev.down_revisions = h;
      } else {
        if (h.size() > 1)
          throw MigrationError("Multiple heads are present (" + join(h) + "); run `db merge` first");
        rev.down_revisions = h;
      }
      if (migrate_cmd->parsed()) {
        auto engine = connect_database(config_);
        migrate::Migrator m(engine, graph, {.version_table = folder.version_table});
        auto at = m.current();
        if (at != h)
          throw MigrationError("Target database is not up to date (it is at " + (at.empty() ? std::string("base") : join(at)) +
                               ", the head is " + (h.empty() ? std::string("base") : join(h)) + "); run `db upgrade` first");
        unused_binds();
        auto conn = engine.connect();
        auto diff = migrate::compare(models, conn, folder.version_table);
        if (diff.empty()) {
          out << "INFO  No changes in schema detected.\n";
          return 0;
        }
        for (auto& op : diff.upgrade) out << "INFO  Detected " << migrate::describe(op) << "\n";
        for (auto& note : diff.notes) out << "WARN  " << note << "\n";
        rev.upgrade = std::move(diff.upgrade);
        rev.downgrade = std::move(diff.downgrade);
        rev.notes = std::move(diff.notes);
      }
      auto path = write_revision(folder, rev);
      out << "Generating " << path.string() << " ...  done\n";
      return 0;
    }
    if (upgrade->parsed()) {
      if (sql) migrator(&out).upgrade(target.empty() ? "head" : target);
      else migrator(nullptr).upgrade(target.empty() ? "head" : target);
      return 0;
    }
    if (downgrade->parsed()) {
      if (sql) migrator(&out).downgrade(target.empty() ? "-1" : target);
      else migrator(nullptr).downgrade(target.empty() ? "-1" : target);
      return 0;
    }
    if (stamp->parsed()) {
      migrator(nullptr).stamp(revision);
      return 0;
    }
    auto head_mark = [&](const std::string& id) {
      auto h = graph.heads();
      return std::find(h.begin(), h.end(), id) != h.end() ? " (head)" : "";
    };
    if (current->parsed()) {
      for (auto& id : migrator(nullptr).current()) out << id << head_mark(id) << "\n";
      return 0;
    }
    if (history->parsed()) {
      auto all = graph.ordered();
      for (auto it = all.rbegin(); it != all.rend(); ++it) {
        auto& r = **it;
        out << (r.down_revisions.empty() ? "<base>" : join(r.down_revisions)) << " -> " << r.id << head_mark(r.id) << ", "
            << r.message << "\n";
      }
      return 0;
    }
    if (heads->parsed()) {
      for (auto& id : graph.heads()) out << id << " (head)\n";
      return 0;
    }
    if (branches->parsed()) {
      for (auto& id : graph.branch_points()) out << id << " (branchpoint)\n";
      return 0;
    }
    if (show->parsed()) {
      std::ifstream in(graph.get(revision).path);
      out << in.rdbuf();
      return 0;
    }
    if (check->parsed()) {
      auto engine = connect_database(config_);
      unused_binds();
      auto conn = engine.connect();
      auto diff = migrate::compare(models, conn, folder.version_table);
      if (diff.empty()) {
        out << "No new upgrade operations detected.\n";
        return 0;
      }
      err << "New upgrade operations detected:\n" << describe_ops(diff.upgrade)
          << "Run `db migrate -m MESSAGE` to write them into a revision, then `db upgrade`.\n";
      return 1;
    }
  } catch (const Error& e) {
    err << "Error: " << e.what() << "\n";
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {  // a folder that cannot be made or read
    err << "Error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace retort
