#include "crewai/sim/faults.hpp"

#include <fstream>
#include <sstream>

namespace crewai::sim {
namespace {

using nlohmann::json;
using Fail = tl::unexpected<std::string>;

const char* const kEndpoints[] = {"all", "inputs", "kickoff", "status", "resume", "stop", "feedback"};

bool known_endpoint(const std::string& e) {
  for (const char* k : kEndpoints)
    if (e == k) return true;
  return false;
}

tl::expected<double, std::string> rate_of(const json& v, const std::string& path) {
  if (!v.is_number() || v.get<double>() < 0.0 || v.get<double>() > 1.0)
    return Fail(path + ": must be a probability in [0, 1]");
  return v.get<double>();
}

// Counts, milliseconds, seconds and statuses alike: bounded so the conversion to an integer is defined.
constexpr double kMaxCount = 1e9;
constexpr double kMaxOversizedMb = 256;

tl::expected<std::int64_t, std::string> count_of(const json& v, const std::string& path) {
  if (!v.is_number() || v.get<double>() < 0.0) return Fail(path + ": must be a non-negative number");
  if (v.get<double>() > kMaxCount) return Fail(path + ": must be at most 1000000000");
  return static_cast<std::int64_t>(v.get<double>());
}

tl::expected<void, std::string> parse_latency(const json& v, const std::string& path,
                                              EndpointFaults& f) {
  if (v.is_array() && v.size() == 2) {
    auto lo = count_of(v[0], path + "[0]");
    auto hi = count_of(v[1], path + "[1]");
    if (!lo) return Fail(lo.error());
    if (!hi) return Fail(hi.error());
    if (*hi < *lo) return Fail(path + ": max below min");
    f.latency_min_ms = *lo;
    f.latency_max_ms = *hi;
    return {};
  }
  auto ms = count_of(v, path);
  if (!ms) return Fail(path + ": must be milliseconds or [min, max]");
  f.latency_min_ms = f.latency_max_ms = *ms;
  return {};
}

tl::expected<void, std::string> parse_garbage(const json& g, const std::string& path,
                                              EndpointFaults& f) {
  if (!g.is_object()) return Fail(path + ": must be an object");
  for (auto it = g.begin(); it != g.end(); ++it) {
    const auto& k = it.key();
    std::string p = path + "." + k;
    if (k == "oversized_mb") {
      if (!it->is_number() || it->get<double>() <= 0.0 || it->get<double>() > kMaxOversizedMb)
        return Fail(p + ": must be a positive number of at most 256");
      f.oversized_bytes = static_cast<std::size_t>(it->get<double>() * (1 << 20));
      continue;
    }
    double* slot = k == "non_json"        ? &f.non_json
                   : k == "truncated"     ? &f.truncated
                   : k == "wrong_types"   ? &f.wrong_types
                   : k == "unknown_state" ? &f.unknown_state
                   : k == "oversized"     ? &f.oversized
                                          : nullptr;
    if (!slot) return Fail(p + ": unknown garbage kind");
    auto r = rate_of(*it, p);
    if (!r) return Fail(r.error());
    *slot = *r;
  }
  return {};
}

tl::expected<void, std::string> parse_errors(const json& e, const std::string& path,
                                             EndpointFaults& f) {
  if (!e.is_object()) return Fail(path + ": must be an object of status -> rate");
  for (auto it = e.begin(); it != e.end(); ++it) {
    int code = std::atoi(it.key().c_str());
    if (code < 400 || code > 599) return Fail(path + "." + it.key() + ": not an HTTP error status");
    auto r = rate_of(*it, path + "." + it.key());
    if (!r) return Fail(r.error());
    f.error_rates[code] = *r;
  }
  return {};
}

tl::expected<EndpointFaults, std::string> parse_endpoint(const json& j, const std::string& path) {
  if (!j.is_object()) return Fail(path + ": must be an object");
  EndpointFaults f;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& k = it.key();
    std::string p = path + "." + k;
    tl::expected<void, std::string> ok;
    if (k == "latency_ms") {
      ok = parse_latency(*it, p, f);
    } else if (k == "errors") {
      ok = parse_errors(*it, p, f);
    } else if (k == "retry_after") {
      auto s = count_of(*it, p);
      if (!s) return Fail(s.error());
      f.retry_after = static_cast<int>(*s);
    } else if (k == "reset" || k == "drop_response") {
      auto r = rate_of(*it, p);
      if (!r) return Fail(r.error());
      (k == "reset" ? f.reset : f.drop_response) = *r;
    } else if (k == "garbage") {
      ok = parse_garbage(*it, p, f);
    } else {
      return Fail(p + ": unknown fault key");
    }
    if (!ok) return Fail(ok.error());
  }
  return f;
}

tl::expected<ColdStart, std::string> parse_cold(const json& j) {
  if (!j.is_object()) return Fail("cold_start: must be an object");
  ColdStart c;
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string p = "cold_start." + it.key();
    if (it.key() == "seconds" || it.key() == "idle_seconds") {
      if (!it->is_number() || it->get<double>() < 0.0) return Fail(p + ": must be a non-negative number");
      (it.key() == "seconds" ? c.seconds : c.idle_seconds) = it->get<double>();
      continue;
    }
    auto n = count_of(*it, p);
    if (!n) return Fail(n.error());
    if (it.key() == "requests") c.requests = *n;
    else if (it.key() == "status") c.status = static_cast<int>(*n);
    else if (it.key() == "latency_ms") c.latency_ms = *n;
    else if (it.key() == "retry_after") c.retry_after = static_cast<int>(*n);
    else return Fail(p + ": unknown cold_start key");
  }
  if (c.status != 0 && (c.status < 400 || c.status > 599))
    return Fail("cold_start.status: must be 0 or an HTTP error status");
  return c;
}

}  // namespace

const EndpointFaults* FaultConfig::for_endpoint(const std::string& endpoint) const {
  if (auto it = endpoints.find(endpoint); it != endpoints.end()) return &it->second;
  if (auto it = endpoints.find("all"); it != endpoints.end()) return &it->second;
  return nullptr;
}

tl::expected<FaultConfig, std::string> parse_faults(const json& j) {
  if (!j.is_object()) return Fail("faults: must be a JSON object");
  FaultConfig cfg;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& k = it.key();
    if (k == "stuck") {
      auto r = rate_of(*it, "stuck");
      if (!r) return Fail(r.error());
      cfg.stuck = *r;
    } else if (k == "cold_start") {
      auto c = parse_cold(*it);
      if (!c) return Fail(c.error());
      cfg.cold_start = *c;
    } else if (known_endpoint(k)) {
      auto e = parse_endpoint(*it, k);
      if (!e) return Fail(e.error());
      cfg.endpoints[k] = *e;
    } else {
      return Fail(k +
                  ": unknown fault section (all, inputs, kickoff, status, resume, stop, feedback, stuck, "
                  "cold_start)");
    }
  }
  return cfg;
}

tl::expected<FaultConfig, std::string> load_faults(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Fail("cannot open faults file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) return Fail(path + ": not valid JSON");
  auto f = parse_faults(j);
  if (!f) return Fail(path + ": " + f.error());
  return f;
}

namespace {

json number_value(const std::string& v) {
  json j = json::parse(v, nullptr, false);
  return j.is_number() ? j : json(v);
}

tl::expected<void, std::string> merge_endpoint_pair(const std::string& key, const std::string& v,
                                                    json& e) {
  if (key == "latency") {
    auto dash = v.find('-');
    if (dash == std::string::npos) e["latency_ms"] = number_value(v);
    else e["latency_ms"] = {number_value(v.substr(0, dash)), number_value(v.substr(dash + 1))};
  } else if (!key.empty() && std::isdigit(static_cast<unsigned char>(key[0]))) {
    e["errors"][key] = number_value(v);
  } else if (key == "retry-after") {
    e["retry_after"] = number_value(v);
  } else if (key == "reset") {
    e["reset"] = number_value(v);
  } else if (key == "drop") {
    e["drop_response"] = number_value(v);
  } else if (key == "non-json" || key == "truncated" || key == "wrong-types" ||
             key == "unknown-state" || key == "oversized" || key == "oversized-mb") {
    std::string k = key;
    for (auto& ch : k)
      if (ch == '-') ch = '_';
    e["garbage"][k] = number_value(v);
  } else {
    return Fail("unknown fault key '" + key + "'");
  }
  return {};
}

}  // namespace

tl::expected<void, std::string> merge_fault_flag(const std::string& flag, json& doc) {
  auto colon = flag.find(':');
  if (colon == std::string::npos) return Fail("fault flag '" + flag + "': expected SECTION:KEY=VALUE,...");
  std::string section = flag.substr(0, colon);
  if (!doc.is_object()) doc = json::object();
  std::stringstream items(flag.substr(colon + 1));
  std::string item;
  while (std::getline(items, item, ',')) {
    auto eq = item.find('=');
    if (eq == std::string::npos) return Fail("fault flag '" + flag + "': '" + item + "' lacks =VALUE");
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (section == "run") {
      if (key != "stuck") return Fail("fault flag '" + flag + "': run takes only stuck=RATE");
      doc["stuck"] = number_value(value);
    } else if (section == "cold-start") {
      static const std::map<std::string, std::string> kCold = {
          {"requests", "requests"}, {"seconds", "seconds"}, {"idle", "idle_seconds"},
          {"status", "status"},     {"latency", "latency_ms"}, {"retry-after", "retry_after"}};
      auto it = kCold.find(key);
      if (it == kCold.end()) return Fail("fault flag '" + flag + "': unknown cold-start key '" + key + "'");
      doc["cold_start"][it->second] = number_value(value);
    } else if (known_endpoint(section)) {
      auto ok = merge_endpoint_pair(key, value, doc[section]);
      if (!ok) return Fail("fault flag '" + flag + "': " + ok.error());
    } else {
      return Fail("fault flag '" + flag + "': unknown section '" + section + "'");
    }
  }
  return {};
}

}  // namespace crewai::sim
