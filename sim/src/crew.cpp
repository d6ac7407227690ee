#include "crewai/sim/crew.hpp"

#include <fstream>
#include <sstream>

#include "flow_state.hpp"
#include "text.hpp"

namespace crewai::sim {
namespace {

using nlohmann::json;
using Fail = tl::unexpected<std::string>;

Fail bad(const std::string& field, const std::string& what) { return Fail(field + ": " + what); }

tl::expected<std::string, std::string> get_string(const json& j, const std::string& key,
                                                  const std::string& path, bool required,
                                                  std::string fallback = {}) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return bad(path + key, "is required");
    return fallback;
  }
  if (!it->is_string()) return bad(path + key, "must be a string");
  return it->get<std::string>();
}

tl::expected<double, std::string> get_seconds(const json& j, const std::string& key,
                                              const std::string& path, double fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number() || it->get<double>() < 0.0)
    return bad(path + key, "must be a non-negative number");
  return it->get<double>();
}

tl::expected<bool, std::string> get_bool(const json& j, const std::string& key,
                                         const std::string& path) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return false;
  if (!it->is_boolean()) return bad(path + key, "must be true or false");
  return it->get<bool>();
}

tl::expected<std::int64_t, std::string> get_tokens(const json& usage, const std::string& key,
                                                   const std::string& path) {
  auto it = usage.find(key);
  if (it == usage.end() || it->is_null()) return 0;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0)
    return bad(path + key, "must be a non-negative integer");
  return it->get<std::int64_t>();
}

tl::expected<TaskScript, std::string> parse_task(const json& j, const std::string& path) {
  if (!j.is_object()) return bad(path.substr(0, path.size() - 1), "must be an object");
  TaskScript t;
  auto name = get_string(j, "name", path, true);
  if (!name) return Fail(name.error());
  t.name = *name;
  auto agent = get_string(j, "agent", path, false, "Agent");
  auto desc = get_string(j, "description", path, false, t.name);
  auto expected = get_string(j, "expected_output", path, false);
  auto output = get_string(j, "output", path, false, t.name + " done");
  for (auto* r : {&agent, &desc, &expected, &output})
    if (!*r) return Fail(r->error());
  t.agent = *agent;
  t.description = *desc;
  t.expected_output = *expected;
  t.output = *output;
  auto duration = get_seconds(j, "duration", path, 1.0);
  if (!duration) return Fail(duration.error());
  t.duration = *duration;
  if (auto it = j.find("output_json"); it != j.end() && !it->is_null()) t.output_json = *it;
  auto human = get_bool(j, "human_input", path);
  if (!human) return Fail(human.error());
  t.human_input = *human;
  if (auto it = j.find("usage"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return bad(path + "usage", "must be an object");
    auto p = get_tokens(*it, "prompt_tokens", path + "usage.");
    auto c = get_tokens(*it, "completion_tokens", path + "usage.");
    if (!p) return Fail(p.error());
    if (!c) return Fail(c.error());
    t.prompt_tokens = *p;
    t.completion_tokens = *c;
  }
  return t;
}

std::optional<std::size_t> task_index(const Crew& crew, const std::string& name) {
  for (std::size_t i = 0; i < crew.tasks.size(); ++i)
    if (crew.tasks[i].name == name) return i;
  return std::nullopt;
}

tl::expected<FailureRule, std::string> parse_failure(const json& j, const Crew& crew,
                                                     const std::string& path) {
  if (!j.is_object()) return bad(path.substr(0, path.size() - 1), "must be an object");
  FailureRule r;
  if (auto it = j.find("always"); it != j.end()) {
    if (!it->is_boolean()) return bad(path + "always", "must be true or false");
    r.kind = it->get<bool>() ? FailureRule::Kind::always : FailureRule::Kind::rate;
  } else if (auto rate = j.find("rate"); rate != j.end()) {
    if (!rate->is_number() || rate->get<double>() < 0.0 || rate->get<double>() > 1.0)
      return bad(path + "rate", "must be a number in [0, 1]");
    r.kind = FailureRule::Kind::rate;
    r.rate = rate->get<double>();
  } else if (auto when = j.find("when"); when != j.end()) {
    if (!when->is_object()) return bad(path + "when", "must be an object");
    auto input = get_string(*when, "input", path + "when.", true);
    auto matches = get_string(*when, "matches", path + "when.", true);
    if (!input) return Fail(input.error());
    if (!matches) return Fail(matches.error());
    r.kind = FailureRule::Kind::when;
    r.input = *input;
    r.pattern = *matches;
    try {
      r.regex = std::make_shared<const std::regex>(r.pattern);
    } catch (const std::regex_error&) {
      r.regex = nullptr;
    }
  } else {
    return bad(path.substr(0, path.size() - 1), "needs one of \"always\", \"rate\", \"when\"");
  }
  auto msg = get_string(j, "message", path, false, r.message);
  if (!msg) return Fail(msg.error());
  r.message = *msg;
  r.task_index = crew.tasks.size() - 1;
  auto task = get_string(j, "task", path, false);
  if (!task) return Fail(task.error());
  if (!task->empty()) {
    auto idx = task_index(crew, *task);
    if (!idx) return bad(path + "task", "names no task of this crew");
    r.task_index = *idx;
  }
  return r;
}

std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : detail::dump_json(v); }

}  // namespace

tl::expected<Crew, std::string> parse_crew(const json& j) {
  if (!j.is_object()) return Fail("crew: must be a JSON object");
  Crew c;
  auto name = get_string(j, "name", "", true);
  if (!name) return Fail(name.error());
  c.name = *name;
  auto kind = get_string(j, "kind", "", false, "crew");
  if (!kind) return Fail(kind.error());
  if (*kind != "crew" && *kind != "flow") return bad("kind", "must be \"crew\" or \"flow\"");
  c.flow = *kind == "flow";
  if (auto it = j.find("inputs"); it != j.end()) {
    if (!it->is_array()) return bad("inputs", "must be an array of names");
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string() || (*it)[i].get<std::string>().empty())
        return bad("inputs[" + std::to_string(i) + "]", "must be a non-empty string");
      c.inputs.push_back((*it)[i].get<std::string>());
    }
  }
  if (auto it = j.find("state"); it != j.end() && !it->is_null()) {
    if (!c.flow) return bad("state", "only a flow (\"kind\": \"flow\") has a state model");
    if (j.contains("inputs"))
      return bad("inputs", "a flow with a \"state\" lists its inputs from the state: drop \"inputs\"");
    auto fields = detail::parse_state(*it);
    if (!fields) return Fail(fields.error());
    c.state = std::move(*fields);
    for (const auto& f : c.state) c.inputs.push_back(f.name);
  }
  auto tasks = j.find("tasks");
  if (tasks == j.end() || !tasks->is_array() || tasks->empty())
    return bad("tasks", "must be a non-empty array");
  for (std::size_t i = 0; i < tasks->size(); ++i) {
    auto t = parse_task((*tasks)[i], "tasks[" + std::to_string(i) + "].");
    if (!t) return Fail(t.error());
    c.tasks.push_back(std::move(*t));
  }
  auto pending = get_seconds(j, "pending_seconds", "", 1.0);
  auto started = get_seconds(j, "started_seconds", "", 1.0);
  if (!pending) return Fail(pending.error());
  if (!started) return Fail(started.error());
  c.pending_seconds = *pending;
  c.started_seconds = *started;
  auto result = get_string(j, "result", "", false, c.tasks.back().output);
  if (!result) return Fail(result.error());
  c.result = *result;
  if (auto it = j.find("result_json"); it != j.end() && !it->is_null()) c.result_json = *it;
  auto as_string = get_bool(j, "result_is_json_string", "");
  if (!as_string) return Fail(as_string.error());
  c.result_is_json_string = *as_string || c.flow;
  if (auto it = j.find("failures"); it != j.end()) {
    if (!it->is_array()) return bad("failures", "must be an array");
    for (std::size_t i = 0; i < it->size(); ++i) {
      auto r = parse_failure((*it)[i], c, "failures[" + std::to_string(i) + "].");
      if (!r) return Fail(r.error());
      c.failures.push_back(std::move(*r));
    }
  }
  return c;
}

tl::expected<Crew, std::string> load_crew(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Fail("cannot open crew file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) return Fail(path + ": not valid JSON");
  auto c = parse_crew(j);
  if (!c) return Fail(path + ": " + c.error());
  return c;
}

std::string render_template(const std::string& tmpl, const json& values) {
  std::string out;
  out.reserve(tmpl.size());
  std::size_t i = 0;
  while (i < tmpl.size()) {
    if (tmpl[i] == '{') {
      auto close = tmpl.find('}', i + 1);
      if (close != std::string::npos && values.is_object()) {
        auto key = tmpl.substr(i + 1, close - i - 1);
        if (auto it = values.find(key); it != values.end()) {
          out += value_text(*it);
          i = close + 1;
          continue;
        }
      }
    }
    out += tmpl[i++];
  }
  return out;
}

json render_json(const json& tmpl, const json& values) {
  if (tmpl.is_string()) return render_template(tmpl.get<std::string>(), values);
  if (tmpl.is_object()) {
    json out = json::object();
    for (auto it = tmpl.begin(); it != tmpl.end(); ++it) out[it.key()] = render_json(it.value(), values);
    return out;
  }
  if (tmpl.is_array()) {
    json out = json::array();
    for (const auto& v : tmpl) out.push_back(render_json(v, values));
    return out;
  }
  return tmpl;
}

std::vector<std::string> missing_inputs(const Crew& crew, const json& inputs) {
  std::vector<std::string> out;
  for (const auto& name : crew.inputs)
    if (!inputs.is_object() || !inputs.contains(name)) out.push_back(name);
  return out;
}

const FailureRule* select_failure(const Crew& crew, const json& inputs,
                                  const std::vector<double>& draws) {
  for (std::size_t i = 0; i < crew.failures.size(); ++i) {
    const auto& r = crew.failures[i];
    switch (r.kind) {
      case FailureRule::Kind::always:
        return &r;
      case FailureRule::Kind::rate:
        if (i < draws.size() && draws[i] < r.rate) return &r;
        break;
      case FailureRule::Kind::when: {
        if (!inputs.is_object() || !inputs.contains(r.input)) break;
        auto text = value_text(inputs[r.input]);
        bool hit = r.regex ? std::regex_search(text, *r.regex)
                           : text.find(r.pattern) != std::string::npos;
        if (hit) return &r;
        break;
      }
    }
  }
  return nullptr;
}

}  // namespace crewai::sim
