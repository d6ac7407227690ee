// batch/pg_conn.hpp — one libpq connection for the PostgreSQL journal: connect, run a statement
// with text parameters, tell a lost connection from a refused statement, and never show a password.
//
// Not thread-safe: one Session belongs to one thread at a time (the journal's writer, or the caller
// of a one-shot command such as `crewctl journal status`).
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <libpq-fe.h>

#include "crewai/error.hpp"

namespace crewai::batch::pg {

struct ConnFree {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnFree>;
using Res = std::unique_ptr<PGresult, ResultFree>;
using Param = std::optional<std::string>;  // nullopt: SQL NULL

// True for a libpq connection string: a postgres:// or postgresql:// URI. (Key=value strings are
// accepted by the journal too, but the CLI recognises the shared journal by its URI scheme.)
bool is_uri(const std::string& s);

// The connection string as it may be shown: postgresql://user@host:port/db (host may be a socket
// directory), never the password, whatever form the string had. Unparseable: "postgresql://(invalid)".
std::string display(const std::string& conninfo);

class Session {
 public:
  explicit Session(std::string conninfo);
  // Connects (closing any previous connection). Errors say "journal <display>: ..." and never hold
  // the password; unreachable servers are `unavailable`, refused logins `invalid_argument`.
  Result<void> connect();
  bool connected() const;
  void close() { conn_.reset(); }

  // Runs one statement; every row-returning or command result is success. On failure, `lost()`
  // tells whether the connection died (reconnect and repeat) or the statement was refused.
  Result<Res> exec(const std::string& sql, const std::vector<Param>& params = {});
  // Several statements without parameters (the schema).
  Result<void> exec_script(const std::string& sql);
  // The connection was lost (server restart, network): the last failure was not the statement's.
  bool lost() const { return lost_; }

  const std::string& shown() const { return shown_; }
  // An error about this database: "journal <display>: <what>: <libpq message, password scrubbed>".
  Error error(ErrorCode code, const std::string& what, const std::string& detail) const;

 private:
  std::string scrub(std::string text) const;

  std::string conninfo_;
  std::string shown_;
  std::string password_;  // only to scrub it from messages
  Conn conn_;
  bool lost_ = false;
};

// Field helpers (row r, column c).
std::string text(const PGresult* res, int r, int c);
std::optional<std::string> opt_text(const PGresult* res, int r, int c);
long long integer(const PGresult* res, int r, int c);

}  // namespace crewai::batch::pg
