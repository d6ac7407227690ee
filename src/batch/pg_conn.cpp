// libpq session: connection parameters, error classification and the password scrub.
#include "batch/pg_conn.hpp"

#include <cstdlib>
#include <string_view>

namespace crewai::batch::pg {
namespace {

struct OptionsFree {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

// SQLSTATE classes that mean "the connection, not the statement": connection exceptions (08),
// the server shutting down or starting (57P01-57P03), and libpq's own failures (no state).
bool connection_state(const char* state) {
  if (state == nullptr) return true;
  std::string_view s(state);
  return s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03";
}

std::string trim_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

bool is_uri(const std::string& s) { return s.starts_with("postgresql://") || s.starts_with("postgres://"); }

std::string display(const std::string& conninfo) {
  char* err = nullptr;
  std::unique_ptr<PQconninfoOption, OptionsFree> opts(PQconninfoParse(conninfo.c_str(), &err));
  if (err != nullptr) PQfreemem(err);
  if (!opts) return "postgresql://(invalid)";
  std::string user, host, port, db;
  for (auto* o = opts.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string_view k(o->keyword);
    if (k == "user") user = o->val;
    if (k == "host") host = o->val;
    if (k == "port") port = o->val;
    if (k == "dbname") db = o->val;
  }
  std::string out = "postgresql://";
  if (!user.empty()) out += user + "@";
  const bool socket_dir = host.starts_with("/");
  if (!socket_dir) out += host;
  if (!port.empty()) out += ":" + port;
  if (!db.empty()) out += "/" + db;
  if (socket_dir) out += "?host=" + host;
  return out;
}

Session::Session(std::string conninfo) : conninfo_(std::move(conninfo)), shown_(display(conninfo_)) {
  char* err = nullptr;
  std::unique_ptr<PQconninfoOption, OptionsFree> opts(PQconninfoParse(conninfo_.c_str(), &err));
  if (err != nullptr) PQfreemem(err);
  if (!opts) return;
  for (auto* o = opts.get(); o->keyword != nullptr; ++o) {
    if (o->val != nullptr && std::string_view(o->keyword) == "password") password_ = o->val;
  }
}

std::string Session::scrub(std::string text) const {
  for (const std::string* secret : {&password_, &conninfo_}) {
    if (secret->size() < 3) continue;
    for (auto pos = text.find(*secret); pos != std::string::npos; pos = text.find(*secret, pos)) {
      text.replace(pos, secret->size(), secret == &conninfo_ ? shown_ : "***");
    }
  }
  return text;
}

Error Session::error(ErrorCode code, const std::string& what, const std::string& detail) const {
  Error e;
  e.code = code;
  e.message = "journal " + shown_ + ": " + what + (detail.empty() ? "" : ": " + scrub(trim_newline(detail)));
  return e;
}

Result<void> Session::connect() {
  conn_.reset();
  // Defaults first: the connection string (last, expanded) overrides any of them. Keepalives make a
  // silently lost network fail within ~25 s instead of hanging the writer.
  const char* keys[] = {"connect_timeout", "application_name", "keepalives_idle", "keepalives_interval",
                        "keepalives_count", "dbname", nullptr};
  const char* values[] = {"10", "crewctl", "10", "5", "3", conninfo_.c_str(), nullptr};
  conn_.reset(PQconnectdbParams(keys, values, 1));
  if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) {
    lost_ = false;
    return {};
  }
  std::string detail = conn_ ? PQerrorMessage(conn_.get()) : "out of memory";
  conn_.reset();
  lost_ = true;
  // A refused login or a bad connection string will not fix itself; an absent server may.
  const bool refused = detail.find("authentication") != std::string::npos ||
                       detail.find("password") != std::string::npos ||
                       detail.find("does not exist") != std::string::npos ||
                       detail.find("invalid") != std::string::npos;
  return tl::unexpected(error(refused ? ErrorCode::invalid_argument : ErrorCode::unavailable,
                              "cannot connect", detail));
}

bool Session::connected() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

Result<Res> Session::exec(const std::string& sql, const std::vector<Param>& params) {
  if (!connected()) {
    lost_ = true;
    return tl::unexpected(error(ErrorCode::unavailable, "not connected", ""));
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  Res res(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                       values.data(), nullptr, nullptr, 0));
  const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    lost_ = false;
    return res;
  }
  const char* state = res ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
  lost_ = PQstatus(conn_.get()) != CONNECTION_OK || connection_state(state);
  std::string detail = res ? PQresultErrorMessage(res.get()) : PQerrorMessage(conn_.get());
  if (lost_) conn_.reset();
  return tl::unexpected(error(lost_ ? ErrorCode::unavailable : ErrorCode::internal,
                              lost_ ? "connection lost" : "statement refused", detail));
}

Result<void> Session::exec_script(const std::string& sql) {
  if (!connected()) {
    lost_ = true;
    return tl::unexpected(error(ErrorCode::unavailable, "not connected", ""));
  }
  Res res(PQexec(conn_.get(), sql.c_str()));
  if (res && PQresultStatus(res.get()) == PGRES_COMMAND_OK) return {};
  lost_ = PQstatus(conn_.get()) != CONNECTION_OK;
  std::string detail = res ? PQresultErrorMessage(res.get()) : PQerrorMessage(conn_.get());
  if (lost_) conn_.reset();
  return tl::unexpected(error(lost_ ? ErrorCode::unavailable : ErrorCode::internal, "cannot create the tables", detail));
}

std::string text(const PGresult* res, int r, int c) {
  return std::string(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c)));
}

std::optional<std::string> opt_text(const PGresult* res, int r, int c) {
  if (PQgetisnull(res, r, c)) return std::nullopt;
  return text(res, r, c);
}

long long integer(const PGresult* res, int r, int c) {
  return PQgetisnull(res, r, c) ? 0 : std::strtoll(PQgetvalue(res, r, c), nullptr, 10);
}

}  // namespace crewai::batch::pg
