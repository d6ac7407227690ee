#include "protocol/typed_output.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "protocol/json_util.hpp"

namespace crewai::protocol {
namespace {

// Bounds the work spent on text full of unmatched brackets.
constexpr int kMaxCandidates = 256;

bool structured(const Json& j) { return j.is_object() || j.is_array(); }

std::optional<Json> parse_structured(std::string_view text, bool decode_string) {
  auto j = try_parse(text);
  if (!j) return std::nullopt;
  if (decode_string && j->is_string()) j = try_parse(j->get_ref<const std::string&>());
  if (j && structured(*j)) return j;
  return std::nullopt;
}

std::optional<Json> from_fences(std::string_view text) {
  std::size_t pos = 0;
  while (true) {
    auto open = text.find("```", pos);
    if (open == std::string_view::npos) return std::nullopt;
    auto line_end = text.find('\n', open + 3);
    if (line_end == std::string_view::npos) return std::nullopt;
    auto close = text.find("```", line_end + 1);
    if (close == std::string_view::npos) return std::nullopt;
    if (auto j = parse_structured(trim(text.substr(line_end + 1, close - line_end - 1)), true)) return j;
    pos = close + 3;
  }
}

// End (one past) of the bracketed value starting at `start`, or npos when it never closes.
std::size_t balanced_end(std::string_view text, std::size_t start) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = start; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') ++depth;
    else if ((c == '}' || c == ']') && --depth == 0) return i + 1;
  }
  return std::string_view::npos;
}

std::optional<Json> from_embedded(std::string_view text) {
  int candidates = 0;
  for (auto start = text.find_first_of("{["); start != std::string_view::npos;
       start = text.find_first_of("{[", start + 1)) {
    if (++candidates > kMaxCandidates) return std::nullopt;
    auto end = balanced_end(text, start);
    if (end == std::string_view::npos) continue;
    if (auto j = parse_structured(text.substr(start, end - start), false)) return j;
  }
  return std::nullopt;
}

valijson::SchemaParser::Version schema_version(const Json& schema) {
  auto uri = get_string(schema, "$schema").value_or("");
  if (uri.find("draft-04") != std::string::npos) return valijson::SchemaParser::kDraft4;
  if (uri.find("draft-03") != std::string::npos) return valijson::SchemaParser::kDraft3;
  return valijson::SchemaParser::kDraft7;
}

// valijson's context ["<root>", "[items]", "[0]"] -> "/items/0" (RFC 6901 escaping).
std::string json_pointer(const std::vector<std::string>& context) {
  std::string out;
  for (const auto& part : context) {
    if (part == "<root>") continue;
    std::string_view token = part;
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']') token = token.substr(1, token.size() - 2);
    out += '/';
    for (char c : token) {
      if (c == '~') out += "~0";
      else if (c == '/') out += "~1";
      else out += c;
    }
  }
  return out;
}

// valijson also reports "property 'x' failed" at the parent of each failing member: a summary of the
// deeper entry, which is the violation worth naming.
bool is_summary_of_deeper(const std::string& pointer, const std::string& description,
                          const std::vector<std::pair<std::string, std::string>>& all) {
  constexpr std::array<std::string_view, 4> kWrappers{
      "Failed to validate against schema associated with property name '",
      "Failed to validate against schema associated with pattern '",
      "Failed to validate against additional properties schema",
      "Failed to validate item #",
  };
  bool wrapper = std::any_of(kWrappers.begin(), kWrappers.end(),
                             [&](std::string_view w) { return description.rfind(w, 0) == 0; });
  if (!wrapper) return false;
  const std::string prefix = pointer + "/";
  return std::any_of(all.begin(), all.end(), [&](const auto& other) { return other.first.rfind(prefix, 0) == 0; });
}

}  // namespace

std::optional<Json> extract_json(std::string_view text) {
  std::string_view t = trim(text);
  if (t.empty()) return std::nullopt;
  if (auto j = parse_structured(t, true)) return j;
  if (auto j = from_fences(t)) return j;
  return from_embedded(t);
}

Result<Json> validate_json(const Json& value, const Json& schema) {
  valijson::Schema parsed;
  try {
    valijson::SchemaParser parser(schema_version(schema));
    valijson::adapters::NlohmannJsonAdapter schema_adapter(schema);
    parser.populateSchema(schema_adapter, parsed);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::invalid_argument, std::string("unreadable JSON Schema: ") + e.what());
  }
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(value);
  bool ok = false;
  try {
    ok = validator.validate(parsed, target, &results);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::invalid_argument, std::string("JSON Schema check failed: ") + e.what());
  }
  if (ok) return value;
  Error e;
  e.code = ErrorCode::schema_violation;
  std::vector<std::pair<std::string, std::string>> found;  // pointer, description
  valijson::ValidationResults::Error error;
  while (results.popError(error)) found.emplace_back(json_pointer(error.context), std::move(error.description));
  for (const auto& [pointer, description] : found) {
    if (is_summary_of_deeper(pointer, description, found)) continue;
    e.violations.push_back((pointer.empty() ? "/" : pointer) + ": " + description);
  }
  e.message = "result does not match the schema (" + std::to_string(e.violations.size()) +
              (e.violations.size() == 1 ? " violation)" : " violations)");
  if (!e.violations.empty()) e.message += ": " + e.violations.front();
  return tl::unexpected(std::move(e));
}

}  // namespace crewai::protocol

namespace crewai {

Result<Json> RunResult::json() const {
  if (!result_json.is_null()) return result_json;
  if (!result) {
    auto e = make_error(ErrorCode::protocol, "the run has no result");
    e.value().kickoff_id = kickoff_id;
    return e;
  }
  if (auto j = protocol::extract_json(*result)) return std::move(*j);
  auto e = make_error(ErrorCode::protocol, "the result holds no JSON: " + protocol::excerpt(*result, 200));
  e.value().kickoff_id = kickoff_id;
  return e;
}

Result<Json> RunResult::validated(const Json& schema) const {
  auto j = json();
  if (!j) return j;
  auto checked = protocol::validate_json(*j, schema);
  if (!checked) {
    Error e = std::move(checked.error());
    e.kickoff_id = kickoff_id;
    return tl::unexpected(std::move(e));
  }
  return checked;
}

}  // namespace crewai
