// pg_cluster.hpp — a throwaway PostgreSQL 15 cluster for a test binary: initdb + pg_ctl in a temp
// directory, unix socket only (listen_addresses=''), password authentication, no port on the network.
//
// The server refuses to run as root: as root (CI) the cluster runs as the `postgres` system user
// (runuser), otherwise as the current user. When it cannot start (no server binaries, no postgres
// user), skip_reason() says why and the tests GTEST_SKIP with it. The destructor stops the server
// (immediate) and removes the directory; a cluster left by a test binary that was killed is removed
// by the next one (its owner pid is dead).
#pragma once

#include <pwd.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <libpq-fe.h>

namespace crewai::test {

class PgCluster {
 public:
  static constexpr const char* kBin = "/usr/lib/postgresql/15/bin";
  static constexpr const char* kPassword = "s3cret-Pg-pass";

  PgCluster() {
    namespace fs = std::filesystem;
    remove_orphans();
    if (!fs::exists(std::string(kBin) + "/pg_ctl")) {
      skip_ = "PostgreSQL 15 server not installed (scripts/bootstrap installs `postgresql`)";
      return;
    }
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr || !fs::exists("/usr/sbin/runuser")) {
        skip_ = "running as root, but there is no `postgres` user or no runuser to start PostgreSQL with";
        return;
      }
      uid_ = pw->pw_uid;
      gid_ = pw->pw_gid;
      as_ = "/usr/sbin/runuser -u postgres -- ";
    }
    std::string tmpl = "/tmp/crewai-pg-XXXXXX";
    dir_ = ::mkdtemp(tmpl.data());
    std::ofstream(dir_ + "/owner") << ::getpid();
    std::ofstream(dir_ + "/pw") << kPassword << "\n";
    if (uid_) {
      for (const char* f : {"", "/owner", "/pw"}) (void)::chown((dir_ + f).c_str(), uid_, gid_);
    }
    std::string init = as_ + kBin + "/initdb -D " + dir_ + "/data -U postgres --pwfile=" + dir_ +
                       "/pw -A scram-sha-256 --no-sync >" + dir_ + "/initdb.log 2>&1";
    if (run(init.c_str()) != 0) {
      skip_ = "initdb failed (see " + dir_ + "/initdb.log)";
      return;
    }
    if (!start()) skip_ = "pg_ctl start failed (see " + dir_ + "/server.log)";
  }

  ~PgCluster() {
    if (dir_.empty()) return;
    (void)run((as_ + kBin + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop >/dev/null 2>&1").c_str());
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // Runs a shell command with no descriptor of this process but stdin/out/err: the server it starts
  // must not inherit the test's sockets (a postmaster holding a dup of the simulator's connections
  // keeps them open after the simulator closed them, and a client's next request on one hangs).
  static int run(const std::string& command) {
    const pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
      ::close_range(3, ~0U, 0);
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  const std::string& skip_reason() const { return skip_; }
  const std::string& socket_dir() const { return dir_; }

  // A connection URI for `db` (password included: what a user passes to --journal).
  std::string uri(const std::string& db = "postgres") const {
    return "postgresql://postgres:" + std::string(kPassword) + "@/" + db + "?host=" + dir_;
  }
  // The same without the password (for PGPASSWORD / ~/.pgpass).
  std::string uri_without_password(const std::string& db = "postgres") const {
    return "postgresql://postgres@/" + db + "?host=" + dir_;
  }

  bool start() {
    return run((as_ + kBin + "/pg_ctl -D " + dir_ + "/data -l " + dir_ +
                        "/server.log -w -t 60 -o \"-k " + dir_ +
                        " -c listen_addresses='' -c fsync=off -c max_connections=200\" start >/dev/null 2>&1")
                           .c_str()) == 0;
  }
  bool stop() {
    return run((as_ + kBin + "/pg_ctl -D " + dir_ + "/data -m fast -w -t 60 stop >/dev/null 2>&1").c_str()) == 0;
  }
  bool restart() { return stop() && start(); }

  // A new, empty database (each test its own).
  bool create_database(const std::string& name) const { return exec("postgres", "CREATE DATABASE " + name); }

  // Runs one statement; true when it succeeded.
  bool exec(const std::string& db, const std::string& sql) const {
    std::unique_ptr<PGconn, decltype(&PQfinish)> c(PQconnectdb(uri(db).c_str()), &PQfinish);
    if (PQstatus(c.get()) != CONNECTION_OK) return false;
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(c.get(), sql.c_str()), &PQclear);
    auto st = PQresultStatus(r.get());
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  }
  // The first column of the first row, or "" (for assertions).
  std::string query(const std::string& db, const std::string& sql) const {
    std::unique_ptr<PGconn, decltype(&PQfinish)> c(PQconnectdb(uri(db).c_str()), &PQfinish);
    if (PQstatus(c.get()) != CONNECTION_OK) return "";
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(c.get(), sql.c_str()), &PQclear);
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) == 0) return "";
    return PQgetvalue(r.get(), 0, 0);
  }

 private:
  // Clusters of test binaries that died without their destructor (a ctest timeout kills them).
  void remove_orphans() {
    namespace fs = std::filesystem;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/tmp", ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("crewai-pg-", 0) != 0) continue;
      std::ifstream in(e.path() / "owner");
      pid_t pid = 0;
      if (!(in >> pid) || pid <= 0 || ::kill(pid, 0) == 0) continue;
      const std::string data = (e.path() / "data").string();
      if (fs::exists(data + "/postmaster.pid")) {
        std::string as = ::geteuid() == 0 ? "/usr/sbin/runuser -u postgres -- " : "";
        (void)run((as + kBin + "/pg_ctl -D " + data + " -m immediate -w stop >/dev/null 2>&1").c_str());
      }
      fs::remove_all(e.path(), ec);
    }
  }

  std::string dir_, skip_, as_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace crewai::test
