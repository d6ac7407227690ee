// batch/sqlite_util.hpp — small RAII and error helpers over the SQLite C API (journal use only).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "crewai/error.hpp"

namespace crewai::batch::sqlite {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbClose>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// "journal <path>: <what>: <sqlite message>", coded by what went wrong: the caller's file
// (cannot open, not a database, read-only) is invalid_argument, I/O and full disks unavailable.
inline Error make(sqlite3* db, int rc, std::string_view path, std::string_view what) {
  Error e;
  switch (rc & 0xff) {
    case SQLITE_CANTOPEN: case SQLITE_NOTADB: case SQLITE_READONLY: case SQLITE_PERM:
    case SQLITE_AUTH: case SQLITE_CORRUPT:
      e.code = ErrorCode::invalid_argument;
      break;
    default:
      e.code = ErrorCode::unavailable;
  }
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  e.message = "journal " + std::string(path) + ": " + std::string(what) + ": " + detail;
  return e;
}

inline int exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }

inline int prepare(sqlite3* db, std::string_view sql, Stmt& out) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &raw, nullptr);
  out.reset(raw);
  return rc;
}

inline void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

// Without a copy: the caller keeps `v` alive until the statement is reset or rebound.
inline void bind_static_text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

// Steps a statement that returns no row (BEGIN, COMMIT) and resets it: SQLITE_OK or the error.
inline int step_once(sqlite3_stmt* s) {
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

inline std::string column_text(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))) : std::string();
}

inline std::optional<std::string> column_opt_text(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return column_text(s, i);
}

}  // namespace crewai::batch::sqlite
