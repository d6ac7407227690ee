// crewctl/config.hpp — where crewctl's connection settings come from, and small parsers.
//
// Precedence, field by field: command-line flags > environment > a profile in the TOML config file >
// built-in defaults. The config file is --config PATH, else $XDG_CONFIG_HOME/crewctl/config.toml,
// else ~/.config/crewctl/config.toml; a profile is a table named after it ([default], [staging]).
// Tokens never appear in any message produced here.
#pragma once

#include <optional>
#include <string>

#include "crewai/client.hpp"
#include "crewai/error.hpp"

namespace crewctl {

// What the user typed (flags); unset members fall through to the environment, then the profile.
struct GlobalFlags {
  std::string url;
  std::string token;
  std::string token_file;
  bool token_stdin = false;
  std::string profile;  // empty: "default"
  std::string config_path;
  std::optional<double> timeout_seconds;
  std::optional<double> poll_interval_seconds;
  std::optional<int> max_retries;
  bool json = false;
  bool verbose = false;
  bool quiet = false;
  std::string sim_crew;              // --sim CREW.json (kickoff, batch, inputs)
  std::optional<double> sim_time_scale;
  std::string kind;  // --kind crew|flow; empty: CREWAI_KIND, else the profile's kind, else crew
  std::string sim_dialect;           // --sim-dialect; empty: the simulator's default
  bool listening = false;            // --listen: webhooks end the waits, so polls can be slow
};

// Settings after precedence. base_url/token may be empty when --sim provides them later.
struct Settings {
  std::string base_url;
  std::string token;
  std::optional<double> timeout_seconds;
  std::optional<double> poll_interval_seconds;
  std::optional<int> max_retries;
  std::optional<int> max_concurrent;
  std::optional<double> rate;
  std::string source_note;  // which config file was read, for error messages
  crewai::DeploymentKind kind = crewai::DeploymentKind::crew;
};

// Resolves every field. `need_connection` false skips the "no URL / no token" checks (--sim).
// Errors are invalid_argument (exit 2) and name the flag, variable or file at fault.
crewai::Result<Settings> resolve_settings(const GlobalFlags& flags, bool need_connection);

// The deployment kind alone (flag > CREWAI_KIND > profile `kind` > crew), for work done before a
// connection (reading a batch's inputs). A value other than crew/flow names where it came from.
crewai::Result<crewai::DeploymentKind> resolve_kind(const GlobalFlags& flags);

// ClientOptions from settings (poll interval, timeout, retries applied).
crewai::ClientOptions client_options(const Settings& s);

// "90" (seconds), "90s", "1.5s", "500ms", "5m", "2h", "1d". nullopt when unreadable or outside
// parse_deadline's bounds (validate.hpp: above 0, at most 30 days).
std::optional<crewai::Millis> parse_duration(const std::string& text);

// The token in a file: its whole text with surrounding whitespace trimmed; one line only.
crewai::Result<std::string> read_token_file(const std::string& path);

}  // namespace crewctl
