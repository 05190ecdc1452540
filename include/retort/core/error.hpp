// retort's error hierarchy: one root, few subclasses, in the spirit of DB-API.
//
// Every failure a user can cause is one of these. The message is built once and
// names what failed, the thing (file:line, table.column, the SQL and its
// parameters), the database's own message and, where there is one, the fix.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace retort {

/// What an error carries besides its message. All fields are optional.
struct ErrorDetails {
  std::string sql;         ///< the statement that failed, as sent
  std::string params;      ///< its parameters, rendered and truncated
  std::string sqlstate;    ///< SQLSTATE (SQLite's codes are mapped onto the same classes)
  std::string db_message;  ///< the database's own message
  std::string constraint;  ///< the constraint (or table.column) an integrity error names
  std::string location;    ///< file:line:column for configuration and migration files
  std::string code;        ///< a short code, documented in docs/errors.md
  bool requires_rollback = false;  ///< the enclosing transaction can no longer commit
};

/// The root of every error retort raises.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorDetails details = {});

  const std::string& sql() const noexcept { return details_.sql; }
  const std::string& params() const noexcept { return details_.params; }
  const std::string& sqlstate() const noexcept { return details_.sqlstate; }
  const std::string& db_message() const noexcept { return details_.db_message; }
  const std::string& constraint() const noexcept { return details_.constraint; }
  const std::string& location() const noexcept { return details_.location; }
  const std::string& code() const noexcept { return details_.code; }
  bool requires_rollback() const noexcept { return details_.requires_rollback; }
  const ErrorDetails& details() const noexcept { return details_; }

 private:
  ErrorDetails details_;
};

/// A bad URL, a bad `.env` line, a missing setting.
class ConfigError : public Error {
  using Error::Error;
};

/// A migration cannot be read or run: a malformed revision file (its
/// location names file and line), a broken revision graph, an unknown target.
class MigrationError : public Error {
  using Error::Error;
};

/// A call the library cannot honour: an unknown column name, a bad option.
class ArgumentError : public Error {
  using Error::Error;
};

/// The database reported an error while running a statement.
class DatabaseError : public Error {
  using Error::Error;
};

/// The database could not do the work: cannot open, locked, server gone,
/// serialization failure. `retryable()` says whether running it again may work.
class OperationalError : public DatabaseError {
 public:
  OperationalError(const std::string& message, ErrorDetails details = {}, bool retryable = false)
      : DatabaseError(message, std::move(details)), retryable_(retryable) {}
  bool retryable() const noexcept { return retryable_; }

 private:
  bool retryable_;
};

/// No pooled connection became free within `pool_timeout` (SQLAlchemy's
/// "QueuePool limit ... reached"). Retryable: connections may free up.
class PoolTimeoutError : public OperationalError {
  using OperationalError::OperationalError;
};

/// NOT NULL, UNIQUE, FOREIGN KEY or CHECK violated; `constraint()` names it.
class IntegrityError : public DatabaseError {
  using DatabaseError::DatabaseError;
};

/// A value the database cannot hold: text with a NUL character on
/// PostgreSQL, a number out of range, a malformed date (SQLSTATE class 22).
class DataError : public DatabaseError {
  using DatabaseError::DatabaseError;
};

/// The SQL itself is wrong: syntax, unknown table or column.
class ProgrammingError : public DatabaseError {
  using DatabaseError::DatabaseError;
};

/// Input for a model (from_dict, a request body) is not acceptable: unknown
/// fields, values of the wrong type. `fields()` names each offending field.
class ValidationError : public ArgumentError {
 public:
  ValidationError(const std::string& message, std::vector<std::string> fields)
      : ArgumentError(message), fields_(std::move(fields)) {}
  const std::vector<std::string>& fields() const noexcept { return fields_; }

 private:
  std::vector<std::string> fields_;
};

/// A model's mapping is wrong (a column mapped twice, a foreign key to an
/// unknown table); raised once, when the registry is configured, naming the
/// model and member.
class MappingError : public Error {
  using Error::Error;
};

/// The session cannot do this now: a transaction that failed and was not yet
/// rolled back, an object of another session, an expired object of a closed
/// session.
class InvalidRequestError : public Error {
  using Error::Error;
};

/// An UPDATE or DELETE of one object matched no row (or several): the row was
/// changed or deleted by someone else since it was loaded.
class StaleDataError : public Error {
  using Error::Error;
};

/// `one()` found no row.
class NoResultFound : public Error {
  using Error::Error;
};

/// `one()` or `one_or_none()` found more than one row.
class MultipleResultsFound : public Error {
  using Error::Error;
};

}  // namespace retort
