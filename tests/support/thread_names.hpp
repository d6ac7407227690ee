// The names of this process's threads, as ps -L and top -H show them (/proc/self/task/*/comm).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace crewai::test {

inline std::vector<std::string> thread_names() {
  std::vector<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.push_back(name);
  }
  return names;
}

}  // namespace crewai::test
