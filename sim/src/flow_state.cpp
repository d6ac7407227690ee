#include "flow_state.hpp"

#include <array>
#include <utility>

#include "runs.hpp"

namespace crewai::sim::detail {
namespace {

using Type = StateField::Type;

constexpr std::array<std::pair<const char*, Type>, 7> kTypes = {{{"string", Type::string},
                                                                 {"integer", Type::integer},
                                                                 {"number", Type::number},
                                                                 {"boolean", Type::boolean},
                                                                 {"array", Type::array},
                                                                 {"object", Type::object},
                                                                 {"any", Type::any}}};

const char* type_name(Type t) {
  for (const auto& [name, type] : kTypes)
    if (type == t) return name;
  return "any";
}

bool fits(Type t, const json& v) {
  switch (t) {
    case Type::string:
      return v.is_string();
    case Type::integer:
      return v.is_number_integer();
    case Type::number:
      return v.is_number();
    case Type::boolean:
      return v.is_boolean();
    case Type::array:
      return v.is_array();
    case Type::object:
      return v.is_object();
    case Type::any:
      return true;
  }
  return false;
}

json empty_value(Type t) {
  switch (t) {
    case Type::string:
      return "";
    case Type::integer:
      return 0;
    case Type::number:
      return 0.0;
    case Type::boolean:
      return false;
    case Type::array:
      return json::array();
    case Type::object:
      return json::object();
    case Type::any:
      return nullptr;
  }
  return nullptr;
}

// "the string \"2\"", "an array", ... for the failure message; long values are cut.
std::string describe(const json& v) {
  std::string text = dump_json(v);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  if (v.is_string()) return "the string " + text;
  if (v.is_number()) return "the number " + text;
  if (v.is_boolean()) return "the boolean " + text;
  if (v.is_array()) return "the array " + text;
  if (v.is_object()) return "an object";
  return "null";
}

}  // namespace

tl::expected<std::vector<StateField>, std::string> parse_state(const json& j) {
  using Fail = tl::unexpected<std::string>;
  if (!j.is_array()) return Fail("state: must be an array of {\"name\", \"type\", \"default\"}");
  std::vector<StateField> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string path = "state[" + std::to_string(i) + "]";
    const json& f = j[i];
    if (!f.is_object()) return Fail(path + ": must be an object");
    StateField field;
    auto name = f.find("name");
    if (name == f.end() || !name->is_string() || name->get_ref<const std::string&>().empty())
      return Fail(path + ".name: must be a non-empty string");
    field.name = name->get<std::string>();
    for (const auto& other : out)
      if (other.name == field.name)
        return Fail(path + ".name: \"" + field.name + "\" is declared twice");
    if (auto type = f.find("type"); type != f.end() && !type->is_null()) {
      bool known = false;
      for (const auto& [text, t] : kTypes)
        if (type->is_string() && type->get_ref<const std::string&>() == text)
          field.type = t, known = true;
      if (!known)
        return Fail(path +
                    ".type: must be one of string, integer, number, boolean, array, object, any");
    }
    if (auto def = f.find("default"); def != f.end() && !def->is_null()) {
      if (!fits(field.type, *def))
        return Fail(path + ".default: must be of type " + type_name(field.type));
      field.default_value = *def;
    }
    out.push_back(std::move(field));
  }
  return out;
}

json default_state(const std::vector<StateField>& fields, const std::string& kickoff_id) {
  json state = json::object();
  for (const auto& f : fields) {
    if (!f.default_value.is_null())
      state[f.name] = f.default_value;
    else if (f.name == "id" && (f.type == Type::string || f.type == Type::any))
      state[f.name] = kickoff_id;
    else
      state[f.name] = empty_value(f.type);
  }
  return state;
}

std::string apply_inputs(const std::vector<StateField>& fields, const json& inputs, json& state) {
  if (!inputs.is_object()) return {};
  if (!state.is_object()) state = json::object();
  if (fields.empty()) {
    for (auto it = inputs.begin(); it != inputs.end(); ++it) state[it.key()] = it.value();
    return {};
  }
  std::string errors;
  for (const auto& f : fields) {
    auto it = inputs.find(f.name);
    if (it == inputs.end()) continue;
    if (fits(f.type, *it)) {
      state[f.name] = *it;
      continue;
    }
    errors += (errors.empty() ? "" : "; ") + std::string("\"") + f.name + "\" must be " +
              (f.type == Type::integer || f.type == Type::array || f.type == Type::object ? "an "
                                                                                          : "a ") +
              type_name(f.type) + ", got " + describe(*it);
  }
  return errors.empty() ? errors : "Invalid flow state: " + errors;
}

void RunStore::init_flow_state(Run& r, const std::string& restore_from) const {
  json state;
  if (!restore_from.empty())
    if (auto it = runs_.find(restore_from); it != runs_.end()) state = values(it->second);
  if (!state.is_object()) state = default_state(crew_.state, r.id);
  if (auto failure = apply_inputs(crew_.state, r.inputs, state); !failure.empty()) {
    r.fail_at_start = true;
    r.fail_message = std::move(failure);
  }
  r.inputs = std::move(state);
}

}  // namespace crewai::sim::detail
