// The db commands of a --multidb migrations folder (Flask-Migrate's
// `flask db init --multidb`): one revision file holds the operations of each
// database (bind), and each database runs its own part with its own version
// table. Binds run one after another, default first (downgrade: last); a
// revision is atomic within each database, not across them: a bind that
// fails leaves the binds before it upgraded, and the next `db upgrade`
// continues each bind from the revision its own version table records.
#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "app/migrate_commands.hpp"
#include "migrate/text.hpp"
#include "retort/core/config.hpp"
#include "retort/core/engine.hpp"
#include "retort/core/error.hpp"
#include "retort/migrate.hpp"

namespace retort::detail {

namespace {

using migrate::detail::join;

/// A bind key as revision files and messages write it: "" is `default`.
std::string shown(const std::string& key) { return key.empty() ? migrate::kDefaultBindName : key; }


/// One database of the folder.
struct Bind {
  std::string key;  ///< "" the default
  Engine engine;
  std::string name() const { return shown(key); }
  /// "the default database (DATABASE_URL)", "bind auth (DATABASE_URL_AUTH)"
  std::string label() const {
    return (key.empty() ? std::string("the default database") : "bind " + key) + " (" + Config::bind_url_setting(key) + ")";
  }
};

/// The default database and every bind the models or the revisions name,
/// default first, each with its engine; ConfigError naming the setting of a
/// bind that has no URL (and where it is used), before anything runs.
std::vector<Bind> open_binds(const Config& config, const Migrate::BindModels& models,
                             const migrate::RevisionGraph& graph) {
  auto named = graph.bind_keys();
  std::set<std::string> keys{""};
  for (auto& [key, md] : models) keys.insert(key);
  for (auto& [key, where] : named) keys.insert(key);
  if (keys.count(migrate::kDefaultBindName))
    throw ConfigError(std::string("a model's bind_key is '") + migrate::kDefaultBindName +
                      "', the name revision files of a --multidb folder give the default database (DATABASE_URL); "
                      "give that bind another key");
  auto urls = config.binds();
  auto options = EngineOptions::from_config(config);
  std::vector<Bind> out;
  std::map<std::string, std::string> seen;  // URL → the bind that has it
  // Two binds on one database would share its version table: the second would find the first's row and skip its part.
  auto distinct = [&](const std::string& key, const Url& url) {
    if (url.is_memory()) return;
    auto [it, fresh] = seen.emplace(url.render(), key);
    if (!fresh)
      throw ConfigError(Config::bind_url_setting(it->second) + " and " + Config::bind_url_setting(key) + " name one database (" + url.render() +
                        "): in a --multidb folder each bind records its revision in its own database's " +
                        "version table, so each bind needs a database of its own");
  };
  for (auto& key : keys) {
    if (key.empty()) {
      distinct(key, config.database_url());
      out.push_back({key, Engine(config.database_url(), options)});
      continue;
    }
    auto it = urls.find(key);
    if (it == urls.end()) {
      std::string used;
      auto where = named.find(key);
      if (where != named.end()) used = "named in " + where->second;
      if (models.count(key)) used += (used.empty() ? "" : ", and ") + std::string("the bind_key of models");
      std::string configured;
      for (auto& [k, url] : urls) configured += (configured.empty() ? "" : ", ") + k;
      throw ConfigError("bind '" + key + "' (" + used + ") has no database: set " + Config::bind_url_setting(key) +
                            " (or add \"" + key + "\" to SQLALCHEMY_BINDS) in the environment or .env" +
                            (configured.empty() ? std::string("; no bind is configured")
                                                : "; the configured binds are " + configured),
                        ErrorDetails{.location = where != named.end() ? where->second : ""});
    }
    distinct(key, it->second);
    auto bind_options = options;
    bind_options.replicas.clear();  // migrations run on the primary; the default's replicas are not this bind's
    out.push_back({key, Engine(it->second, bind_options)});
  }
  return out;
}

/// An error of one bind, saying which and what the binds before it are left at.
MigrationError in_bind(const Error& e, const Bind& bind, const std::vector<std::string>& done, const std::string& command) {
  std::string message = bind.label() + ": " + e.what();
  if (!done.empty())
    message += "\nThe binds before it (" + join(done) + ") ran their " + command +
               " and keep it: a revision is atomic within each database, not across them. Fix the cause and run `db " +
               command + "` again: each bind continues from the revision it records.";
  return MigrationError(message, e.details());
}

}  // namespace

int run_multidb(const DbCommand& cmd, const MigrationsFolder& folder, const migrate::RevisionGraph& graph,
                const Config& config, const Migrate::BindModels& models, bool all_binds, std::ostream& out,
                std::ostream& err) {
  auto binds = open_binds(config, models, graph);
  auto migrator = [&](const Bind& b, std::ostream* sql) {
    std::string prefix = "INFO  [" + b.name() + "] ";
    return migrate::Migrator(b.engine, graph.for_bind(b.key),
                             {.version_table = folder.version_table,
                              .sql = sql,
                              .progress = [&out, prefix](const std::string& line) { out << prefix << line << "\n"; }});
  };
  auto models_of = [&](const std::string& key) -> const MetaData& {
    static const MetaData no_tables;
    auto it = models.find(key);
    return it == models.end() ? no_tables : *it->second;
  };
  if ((cmd.name == "migrate" || cmd.name == "check") && !all_binds && binds.size() > 1) {
    std::vector<std::string> others;
    for (auto& b : binds)
      if (!b.key.empty()) others.push_back(b.key);
    throw MigrationError("`db " + cmd.name + "` was given the default database's models only, and this --multidb "
                         "folder also has bind " + join(others) + ": give Migrate every bind's models, "
                         "Migrate(Migrate::mapped_models()) or Migrate(app, db)");
  }

  if (cmd.name == "upgrade" || cmd.name == "downgrade") {
    bool up = cmd.name == "upgrade";
    if (!up) std::reverse(binds.begin(), binds.end());
    std::vector<std::string> done;
    for (auto& b : binds) {
      if (cmd.sql) out << "-- Bind " << b.name() << " (" << Config::bind_url_setting(b.key) << ")\n\n";
      try {
        auto m = migrator(b, cmd.sql ? &out : nullptr);
        if (up) m.upgrade(cmd.target);
        else m.downgrade(cmd.target);
      } catch (const Error& e) {
        throw in_bind(e, b, done, cmd.name);
      }
      done.push_back(b.name());
    }
    return 0;
  }
  if (cmd.name == "stamp") {
    std::vector<std::string> done;
    for (auto& b : binds) {
      try {
        migrator(b, nullptr).stamp(cmd.revision);
      } catch (const Error& e) {
        throw in_bind(e, b, done, "stamp");
      }
      done.push_back(b.name());
    }
    return 0;
  }
  if (cmd.name == "current") {
    auto heads = graph.heads();
    for (auto& b : binds) {
      auto at = migrator(b, nullptr).current();
      if (at.empty()) out << b.name() << ": (base)\n";
      for (auto& id : at)
        out << b.name() << ": " << id << (std::find(heads.begin(), heads.end(), id) != heads.end() ? " (head)" : "")
            << "\n";
    }
    return 0;
  }
  if (cmd.name == "check") {
    std::string report;
    for (auto& b : binds) {
      auto conn = b.engine.connect();
      auto diff = migrate::compare(models_of(b.key), conn, folder.version_table);
      if (!diff.empty()) report += "New upgrade operations detected in " + b.label() + ":\n" + describe_ops(diff.upgrade);
    }
    if (report.empty()) {
      out << "No new upgrade operations detected.\n";
      return 0;
    }
    err << report << "Run `db migrate -m MESSAGE` to write them into a revision, then `db upgrade`.\n";
    return 1;
  }

  // migrate, revision, merge: one revision with a list per bind
  migrate::Revision rev;
  rev.id = migrate::new_revision_id();
  rev.layout = migrate::Layout::multidb;
  rev.message = cmd.message.empty() && cmd.name == "merge" ? "merge" : cmd.message;
  auto heads = graph.heads();
  if (cmd.name == "merge") {
    if (heads.size() < 2) throw MigrationError("nothing to merge: there is " + std::to_string(heads.size()) + " head");
  } else if (heads.size() > 1) {
    throw MigrationError("Multiple heads are present (" + join(heads) + "); run `db merge` first");
  }
  rev.down_revisions = heads;
  for (auto& b : binds) rev.binds[b.key];
  if (cmd.name == "migrate") {
    // Every bind at the head first: a bind no revision names yet may be at base.
    auto named = graph.bind_keys();
    for (auto& b : binds) {
      auto at = migrator(b, nullptr).current();
      if (at != heads && !(at.empty() && !named.count(b.key)))
        throw MigrationError("Target database of " + b.label() + " is not up to date (it is at " +
                             (at.empty() ? std::string("base") : join(at)) + ", the head is " +
                             (heads.empty() ? std::string("base") : join(heads)) + "); run `db upgrade` first");
    }
    bool changed = false;
    for (auto& b : binds) {
      auto conn = b.engine.connect();
      auto diff = migrate::compare(models_of(b.key), conn, folder.version_table);
      for (auto& op : diff.upgrade) out << "INFO  [" << b.name() << "] Detected " << migrate::describe(op) << "\n";
      for (auto& note : diff.notes) {
        out << "WARN  [" << b.name() << "] " << note << "\n";
        rev.notes.push_back("[" + b.name() + "] " + note);
      }
      changed = changed || !diff.empty();
      rev.binds[b.key].upgrade = std::move(diff.upgrade);
      rev.binds[b.key].downgrade = std::move(diff.downgrade);
    }
    if (!changed) {
      out << "INFO  No changes in schema detected.\n";
      return 0;
    }
  }
  auto path = write_revision(folder, rev);
  out << "Generating " << path.string() << " ...  done\n";
  return 0;
}

}  // namespace retort::detail
