// accounting.hpp — the reliability suite's bookkeeping: one record per item, one kickoff per
// meta.requestId (as counted by the simulator), and the one figure line each scenario prints.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crewai/batch.hpp"
#include "support/temp_dir.hpp"

namespace crewai::test {

// What happened to a batch, from its records (by index) and the simulator's kickoff counts.
struct Accounting {
  std::size_t items = 0;
  std::map<std::string, std::size_t> outcomes;  // "succeeded" -> n
  std::size_t kicked = 0;          // records that say a kickoff was sent (attempts > 0)
  std::int64_t sim_kickoffs = 0;   // kickoffs.total summed over the simulators
  std::size_t lost = 0;            // items without a record + runs the simulator has with no record
  std::size_t duplicates = 0;      // extra records per index + extra kickoffs per requestId
  std::vector<std::string> problems;  // the first few, for the failure message

  std::size_t count(const std::string& outcome) const {
    auto it = outcomes.find(outcome);
    return it == outcomes.end() ? 0 : it->second;
  }

  // `records`: {index, state|outcome, request_id, attempts} as JSON (ItemRecord via to_json, or a
  // crewctl output line). `sims`: GET /_sim/stats of every simulator the batch talked to.
  static Accounting of(std::size_t items, const std::vector<nlohmann::json>& records,
                       const std::vector<nlohmann::json>& sims) {
    Accounting a;
    a.items = items;
    std::map<std::size_t, int> per_index;
    std::set<std::string> claimed;
    for (const auto& r : records) {
      auto index = r.value("index", static_cast<std::size_t>(-1));
      ++per_index[index];
      ++a.outcomes[r.contains("state") ? r.value("state", std::string("?"))
                                       : r.value("outcome", std::string("?"))];
      if (r.value("attempts", 0) > 0) ++a.kicked;
      if (r.contains("request_id") && r["request_id"].is_string()) {
        claimed.insert(r["request_id"].get<std::string>());
      }
    }
    for (std::size_t i = 0; i < items; ++i) {
      auto it = per_index.find(i);
      if (it == per_index.end()) {
        a.note(a.lost, "item " + std::to_string(i) + " has no record");
      } else if (it->second > 1) {
        a.duplicates += static_cast<std::size_t>(it->second - 1);
        a.problems.push_back("item " + std::to_string(i) + " has " + std::to_string(it->second) +
                             " records");
      }
    }
    if (per_index.size() > items) a.note(a.duplicates, "records for indexes beyond the input");
    std::map<std::string, std::int64_t> kickoffs;
    for (const auto& s : sims) {
      a.sim_kickoffs += s["kickoffs"]["total"].get<std::int64_t>();
      for (const auto& [id, n] : s["kickoffs"]["by_request_id"].items()) kickoffs[id] += n.get<std::int64_t>();
    }
    for (const auto& [id, n] : kickoffs) {
      if (n > 1) {
        a.duplicates += static_cast<std::size_t>(n - 1);
        a.problems.push_back("requestId " + id + " kicked off " + std::to_string(n) + " times");
      }
      if (!claimed.count(id)) a.note(a.lost, "requestId " + id + " ran but no record names it");
    }
    return a;
  }

  static Accounting of(std::size_t items, const std::vector<ItemRecord>& records,
                       const std::vector<nlohmann::json>& sims) {
    std::vector<nlohmann::json> js;
    for (const auto& r : records) js.push_back(to_json(r));
    return of(items, js, sims);
  }

  // "reliability: NAME items=N succeeded=.. ... kickoffs=K dup=D lost=L 12.3s"
  std::string figure(const std::string& name, double seconds) const {
    std::string line = "reliability: " + name + " items=" + std::to_string(items);
    for (const char* o : {"succeeded", "failed", "paused", "ambiguous", "timeout", "error", "invalid",
                          "skipped"}) {
      if (count(o) || std::string(o) == "succeeded") line += std::string(" ") + o + "=" + std::to_string(count(o));
    }
    char secs[32];
    std::snprintf(secs, sizeof secs, " %.1fs", seconds);
    return line + " kickoffs=" + std::to_string(sim_kickoffs) + " dup=" + std::to_string(duplicates) +
           " lost=" + std::to_string(lost) + secs;
  }

  std::string first_problems() const {
    std::string s;
    for (std::size_t i = 0; i < problems.size() && i < 5; ++i) s += "\n  " + problems[i];
    return s;
  }

 private:
  void note(std::size_t& counter, std::string what) {
    ++counter;
    problems.push_back(std::move(what));
  }
};

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Prints the figure line (stdout, flushed) so ctest -V and the CI log show it.
inline void print_figure(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// JSONL of n research-crew items with ids t0, t1, ... (the input of the crewctl reliability tests).
inline std::string topics_jsonl(std::size_t n) {
  std::string text;
  for (std::size_t i = 0; i < n; ++i) {
    text += R"({"id": "t)" + std::to_string(i) + R"(", "inputs": {"topic": "topic )" + std::to_string(i) +
            R"(", "current_year": "2026"}})" + "\n";
  }
  return text;
}

}  // namespace crewai::test
