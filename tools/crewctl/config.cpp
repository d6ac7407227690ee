// Configuration precedence (flags > environment > profile > defaults) and the small parsers.
#include "config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <toml++/toml.h>

#include "protocol/json_util.hpp"
#include "validate.hpp"

namespace crewctl {
namespace {

using crewai::ErrorCode;
using crewai::make_error;
using crewai::Result;

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

Result<std::optional<double>> env_number(Num n, const char* name) {
  const char* v = env(name);
  if (!v) return std::optional<double>{};
  auto d = parse_number(n, v, name);
  if (!d) return tl::unexpected(d.error());
  return std::optional<double>(*d);
}

// A flag's value, already a number (CLI11 read it), through the same rule as its variable.
template <class T>
Result<std::optional<T>> flag_number(Num n, const std::optional<T>& v, const char* flag) {
  if (!v) return v;
  auto d = check_number(n, static_cast<double>(*v), flag);
  if (!d) return tl::unexpected(d.error());
  return v;
}

std::string default_config_path() {
  if (const char* xdg = env("XDG_CONFIG_HOME")) return std::string(xdg) + "/crewctl/config.toml";
  if (const char* home = env("HOME")) return std::string(home) + "/.config/crewctl/config.toml";
  return {};
}

struct Profile {
  std::string base_url, token, token_file, kind;
  std::optional<double> timeout, poll_interval, rate;
  std::optional<int> max_concurrent, max_retries;
};

Result<std::optional<double>> toml_number(Num n, const toml::table& t, const char* key,
                                          const std::string& where) {
  auto node = t.get(key);
  if (!node) return std::optional<double>{};
  auto d = node->value<double>();
  if (!d) {
    return make_error(ErrorCode::invalid_argument,
                      where + " " + key + " must be a number, " + describe(n));
  }
  auto ok = check_number(n, *d, where + " " + key);
  if (!ok) return tl::unexpected(ok.error());
  return std::optional<double>(*d);
}

// A string key; any other TOML type (token = 12345678) is an error naming the key.
Result<std::string> toml_string(const toml::table& t, const char* key, const std::string& where) {
  auto node = t.get(key);
  if (!node) return std::string();
  if (auto v = node->value<std::string>(); v && node->is_string()) return *v;
  return make_error(ErrorCode::invalid_argument,
                    where + " " + key + " must be a string (in quotes)");
}

// "~/x" is $HOME/x, as a shell would have it.
std::string expand_home(const std::string& path) {
  const char* home = env("HOME");
  if (home && (path == "~" || path.rfind("~/", 0) == 0)) return home + path.substr(1);
  return path;
}

// The config file's text. A missing file is nullopt (a missing default config is no error);
// anything else that stops the read (a loop of links, a name too long, a directory, no
// permission) is an error naming the path.
Result<std::optional<std::string>> read_config_text(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found) return std::optional<std::string>{};
  if (ec) {
    return make_error(ErrorCode::invalid_argument,
                      "cannot read config file " + path + ": " + ec.message());
  }
  if (fs::is_directory(st)) {
    return make_error(ErrorCode::invalid_argument,
                      "config file " + path + " is a directory, not a file");
  }
  std::ifstream in(path, std::ios::binary);
  std::string text;
  if (in) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) {
    return make_error(ErrorCode::invalid_argument,
                      "cannot read config file " + path + ": " + std::strerror(errno));
  }
  return std::optional<std::string>(std::move(text));
}

Result<Profile> read_profile(const GlobalFlags& f, std::string& note) {
  std::string path = f.config_path.empty() ? default_config_path() : f.config_path;
  std::string name = f.profile.empty() ? "default" : f.profile;
  Profile p;
  std::optional<std::string> text;
  if (!path.empty()) {
    auto read = read_config_text(path);
    if (!read) return tl::unexpected(read.error());
    text = std::move(*read);
  }
  if (!text) {
    if (!f.config_path.empty()) {
      return make_error(ErrorCode::invalid_argument, "config file " + path + " does not exist");
    }
    if (!f.profile.empty() && f.profile != "default") {
      return make_error(ErrorCode::invalid_argument,
                        "profile \"" + name + "\" requested but no config file at " + path);
    }
    return p;
  }
  note = path;
  toml::table doc;
  try {
    doc = toml::parse(*text, path);
  } catch (const toml::parse_error& e) {
    return make_error(ErrorCode::invalid_argument,
                      path + ": not valid TOML (" + std::string(e.description()) + ")");
  }
  const toml::table* t = doc[name].as_table();
  if (!t) {
    if (f.profile.empty()) return p;
    return make_error(ErrorCode::invalid_argument, path + ": no profile [" + name + "]");
  }
  std::string where = path + " [" + name + "]";
  auto base_url = toml_string(*t, "base_url", where);
  auto token = toml_string(*t, "token", where);
  auto token_file = toml_string(*t, "token_file", where);
  for (auto* r : {&base_url, &token, &token_file}) {
    if (!*r) return tl::unexpected(r->error());
  }
  p.base_url = *base_url;
  p.token = *token;
  p.token_file = token_file->empty() ? std::string() : expand_home(*token_file);
  auto kind = toml_string(*t, "kind", where);
  if (!kind) return tl::unexpected(kind.error());
  p.kind = *kind;
  if (!p.kind.empty() && !crewai::deployment_kind_from_string(p.kind))
    return make_error(ErrorCode::invalid_argument, where + ": kind must be \"crew\" or \"flow\"");
  auto timeout = toml_number(Num::timeout, *t, "timeout", where);
  auto poll = toml_number(Num::poll_interval, *t, "poll_interval", where);
  auto rate = toml_number(Num::rate, *t, "rate", where);
  auto conc = toml_number(Num::concurrency, *t, "max_concurrent", where);
  auto retries = toml_number(Num::max_retries, *t, "max_retries", where);
  for (auto* r : {&timeout, &poll, &rate, &conc, &retries}) {
    if (!*r) return tl::unexpected(r->error());
  }
  p.timeout = *timeout;
  p.poll_interval = *poll;
  p.rate = *rate;
  if (*conc) p.max_concurrent = static_cast<int>(**conc);
  if (*retries) p.max_retries = static_cast<int>(**retries);
  return p;
}

Result<std::string> token_from_stdin() {
  std::string line;
  if (!std::getline(std::cin, line)) {
    return make_error(ErrorCode::invalid_argument, "--token-stdin: nothing on stdin");
  }
  line = std::string(crewai::protocol::trim(line));
  if (line.empty()) return make_error(ErrorCode::invalid_argument, "--token-stdin: empty token");
  return line;
}

Result<std::string> resolve_token(const GlobalFlags& f, const Profile& p) {
  int given = !f.token.empty() + !f.token_file.empty() + (f.token_stdin ? 1 : 0);
  if (given > 1) {
    return make_error(ErrorCode::invalid_argument,
                      "give only one of --token, --token-file, --token-stdin");
  }
  if (!f.token.empty()) return f.token;
  if (f.token_stdin) return token_from_stdin();
  if (!f.token_file.empty()) return read_token_file(f.token_file);
  if (const char* t = env("CREWAI_TOKEN")) return std::string(t);
  if (const char* t = env("CREWAI_DEPLOYMENT_TOKEN")) return std::string(t);
  if (!p.token.empty()) return p.token;
  if (!p.token_file.empty()) return read_token_file(p.token_file);
  return std::string();
}

template <class T>
std::optional<T> first_of(std::optional<T> a, std::optional<T> b, std::optional<T> c) {
  return a ? a : (b ? b : c);
}

}  // namespace

Result<std::string> read_token_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return make_error(ErrorCode::invalid_argument,
                      "token file " + path + " is a directory, not a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::invalid_argument,
                      "cannot read token file " + path + ": " + std::strerror(errno));
  }
  constexpr std::size_t kMaxTokenFile = 64 * 1024;  // a token, not a data file
  std::string text(kMaxTokenFile + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxTokenFile) {
    return make_error(ErrorCode::invalid_argument, "token file " + path + " is too large for a token");
  }
  // Surrounding blank lines and spaces (an editor's final newline) are not part of the token.
  std::string token(crewai::protocol::trim(text));
  if (token.empty()) return make_error(ErrorCode::invalid_argument, "token file " + path + " is empty");
  if (token.find_first_of("\r\n") != std::string::npos) {
    return make_error(ErrorCode::invalid_argument,
                      "token file " + path + " holds more than one line; it must hold only the token");
  }
  return token;
}

namespace {

// flag > CREWAI_KIND > profile `kind` (checked when read) > crew.
Result<crewai::DeploymentKind> kind_of(const GlobalFlags& f, const Profile& p) {
  std::string where = "--kind";
  std::string value = f.kind;
  if (value.empty()) {
    if (const char* k = env("CREWAI_KIND")) {
      value = k;
      where = "CREWAI_KIND";
    }
  }
  if (value.empty()) value = p.kind;
  if (value.empty()) return crewai::DeploymentKind::crew;
  auto kind = crewai::deployment_kind_from_string(value);
  if (!kind)
    return make_error(ErrorCode::invalid_argument,
                      where + " must be crew or flow, got \"" + value + "\"");
  return *kind;
}

}  // namespace

Result<crewai::DeploymentKind> resolve_kind(const GlobalFlags& f) {
  std::string note;
  auto profile = read_profile(f, note);
  if (!profile) return tl::unexpected(profile.error());
  return kind_of(f, *profile);
}

Result<Settings> resolve_settings(const GlobalFlags& f, bool need_connection) {
  Settings s;
  auto profile = read_profile(f, s.source_note);
  if (!profile) return tl::unexpected(profile.error());
  const Profile& p = *profile;
  auto kind = kind_of(f, p);
  if (!kind) return tl::unexpected(kind.error());
  s.kind = *kind;

  if (!f.url.empty()) s.base_url = f.url;
  else if (const char* u = env("CREWAI_BASE_URL")) s.base_url = u;
  else if (const char* u2 = env("CREWAI_DEPLOYMENT_URL")) s.base_url = u2;
  else s.base_url = p.base_url;

  auto token = resolve_token(f, p);
  if (!token) return tl::unexpected(token.error());
  s.token = std::move(*token);

  auto timeout = env_number(Num::timeout, "CREWAI_TIMEOUT");
  auto poll = env_number(Num::poll_interval, "CREWAI_POLL_INTERVAL");
  auto retries = env_number(Num::max_retries, "CREWAI_MAX_RETRIES");
  auto conc = env_number(Num::concurrency, "CREWAI_MAX_CONCURRENT");
  for (auto* r : {&timeout, &poll, &retries, &conc}) {
    if (!*r) return tl::unexpected(r->error());
  }
  auto flag_timeout = flag_number(Num::timeout, f.timeout_seconds, "--timeout");
  auto flag_poll = flag_number(Num::poll_interval, f.poll_interval_seconds, "--poll-interval");
  if (!flag_timeout) return tl::unexpected(flag_timeout.error());
  if (!flag_poll) return tl::unexpected(flag_poll.error());
  auto flag_retries = flag_number(Num::max_retries, f.max_retries, "--max-retries");
  if (!flag_retries) return tl::unexpected(flag_retries.error());
  s.timeout_seconds = first_of(f.timeout_seconds, *timeout, p.timeout);
  s.poll_interval_seconds = first_of(f.poll_interval_seconds, *poll, p.poll_interval);
  std::optional<int> env_retries, env_conc;
  if (*retries) env_retries = static_cast<int>(**retries);
  if (*conc) env_conc = static_cast<int>(**conc);
  s.max_retries = first_of(f.max_retries, env_retries, p.max_retries);
  s.max_concurrent = first_of(std::optional<int>{}, env_conc, p.max_concurrent);
  s.rate = p.rate;

  if (need_connection) {
    if (s.base_url.empty()) {
      return make_error(ErrorCode::invalid_argument,
                        "no deployment URL: pass --url, set CREWAI_BASE_URL, add base_url to a "
                        "config profile, or use --sim CREW.json");
    }
    if (s.token.empty()) {
      return make_error(ErrorCode::invalid_argument,
                        "no token: use --token-file, --token-stdin, CREWAI_TOKEN or a config "
                        "profile's token/token_file");
    }
  }
  return s;
}

crewai::ClientOptions client_options(const Settings& s) {
  crewai::ClientOptions o;
  o.base_url = s.base_url;
  o.token = s.token;
  o.kind = s.kind;
  auto ms = [](double seconds) {
    return crewai::Millis(std::max(1LL, static_cast<long long>(seconds * 1000)));
  };
  // A timeout the user gave bounds every request, the first (cold start) included.
  if (s.timeout_seconds) o.request_timeout = o.first_call_timeout = ms(*s.timeout_seconds);
  if (s.poll_interval_seconds) {
    o.poll.initial = ms(*s.poll_interval_seconds);
    o.poll.cap = o.poll.initial;
    o.poll.growth = 1.0;
  }
  if (s.max_retries) o.retry.max_attempts = std::max(0, *s.max_retries) + 1;
  return o;
}

std::optional<crewai::Millis> parse_duration(const std::string& text) {
  auto d = parse_deadline(text, "duration");
  if (!d) return std::nullopt;
  return *d;
}

}  // namespace crewctl
