// Configuration precedence (flags > environment > profile > defaults) and the small parsers.
#include "config.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <toml++/toml.h>

namespace crewctl {
namespace {

using crewai::ErrorCode;
using crewai::make_error;
using crewai::Result;

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

Result<std::optional<double>> env_number(const char* name) {
  const char* v = env(name);
  if (!v) return std::optional<double>{};
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(v, &end);
  if (errno != 0 || end == v || *end != '\0' || d < 0 || !std::isfinite(d)) {
    return make_error(ErrorCode::invalid_argument,
                      std::string(name) + " must be a non-negative number, got \"" + v + "\"");
  }
  return std::optional<double>(d);
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

Result<std::optional<double>> toml_number(const toml::table& t, const char* key,
                                          const std::string& where) {
  auto node = t.get(key);
  if (!node) return std::optional<double>{};
  if (auto d = node->value<double>(); d && *d >= 0) return std::optional<double>(*d);
  return make_error(ErrorCode::invalid_argument,
                    where + ": " + key + " must be a non-negative number");
}

Result<Profile> read_profile(const GlobalFlags& f, std::string& note) {
  std::string path = f.config_path.empty() ? default_config_path() : f.config_path;
  std::string name = f.profile.empty() ? "default" : f.profile;
  Profile p;
  if (path.empty() || !std::filesystem::exists(path)) {
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
    doc = toml::parse_file(path);
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
  p.base_url = t->get("base_url") ? t->get("base_url")->value_or(std::string()) : std::string();
  p.token = t->get("token") ? t->get("token")->value_or(std::string()) : std::string();
  p.token_file = t->get("token_file") ? t->get("token_file")->value_or(std::string()) : std::string();
  p.kind = t->get("kind") ? t->get("kind")->value_or(std::string("?")) : std::string();
  if (!p.kind.empty() && !crewai::deployment_kind_from_string(p.kind))
    return make_error(ErrorCode::invalid_argument, where + ": kind must be \"crew\" or \"flow\"");
  auto timeout = toml_number(*t, "timeout", where);
  auto poll = toml_number(*t, "poll_interval", where);
  auto rate = toml_number(*t, "rate", where);
  auto conc = toml_number(*t, "max_concurrent", where);
  auto retries = toml_number(*t, "max_retries", where);
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
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
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
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::invalid_argument, "cannot read token file " + path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  if (line.empty()) return make_error(ErrorCode::invalid_argument, "token file " + path + " is empty");
  return line;
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

  auto timeout = env_number("CREWAI_TIMEOUT");
  auto poll = env_number("CREWAI_POLL_INTERVAL");
  auto retries = env_number("CREWAI_MAX_RETRIES");
  auto conc = env_number("CREWAI_MAX_CONCURRENT");
  for (auto* r : {&timeout, &poll, &retries, &conc}) {
    if (!*r) return tl::unexpected(r->error());
  }
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
  auto ms = [](double seconds) { return crewai::Millis(static_cast<long long>(seconds * 1000)); };
  if (s.timeout_seconds && *s.timeout_seconds > 0) o.request_timeout = ms(*s.timeout_seconds);
  if (s.poll_interval_seconds && *s.poll_interval_seconds > 0) {
    o.poll.initial = ms(*s.poll_interval_seconds);
    o.poll.cap = o.poll.initial;
    o.poll.growth = 1.0;
  }
  if (s.max_retries) o.retry.max_attempts = std::max(0, *s.max_retries) + 1;
  return o;
}

std::optional<crewai::Millis> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || end == text.c_str() || v < 0 || !std::isfinite(v)) return std::nullopt;
  std::string unit(end);
  double factor = 0;
  if (unit.empty() || unit == "s") factor = 1000;
  else if (unit == "ms") factor = 1;
  else if (unit == "m") factor = 60'000;
  else if (unit == "h") factor = 3'600'000;
  else return std::nullopt;
  return crewai::Millis(static_cast<long long>(std::llround(v * factor)));
}

}  // namespace crewctl
