// crewctl/completion.hpp — `crewctl completion bash|zsh`: shell completion scripts generated from
// the command tree CLI11 holds, so they cannot drift from the real subcommands and options.
#pragma once

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace crewctl {

// Adds the `completion SHELL` subcommand; `shell` receives its argument.
CLI::App* add_completion(CLI::App& app, std::string& shell);

// The completion script for `shell` ("bash" or "zsh") of every subcommand and option of `app`.
std::string completion_script(const CLI::App& app, std::string_view shell);

// Prints completion_script() on stdout; returns the exit code.
int cmd_completion(const CLI::App& app, const std::string& shell);

}  // namespace crewctl
