#include <string>

#include "fuzz/targets.hpp"
#include "protocol/typed_output.hpp"

namespace crewai::fuzz {
namespace {

const Json& schema() {
  static const Json s = Json::parse(R"({
    "type": "object",
    "required": ["title", "score"],
    "properties": {
      "title": {"type": "string", "minLength": 1, "maxLength": 80},
      "score": {"type": "number", "minimum": 0, "maximum": 100},
      "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5, "uniqueItems": true},
      "kind": {"enum": ["crew", "flow"]},
      "owner": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}},
                "additionalProperties": false}
    }
  })");
  return s;
}

void touch(const Json& j) {
  volatile std::size_t n = j.dump(-1, ' ', false, Json::error_handler_t::replace).size();
  (void)n;
}

}  // namespace

void typed_output_one(std::string_view data) {
  auto found = protocol::extract_json(data);
  if (found) {
    if (!found->is_object() && !found->is_array()) __builtin_trap();  // a scalar alone never counts
    touch(*found);
    auto checked = protocol::validate_json(*found, schema());
    if (checked) touch(*checked);
  }
  RunResult r;
  r.result = std::string(data);
  auto j = r.json();
  if (j.has_value() != found.has_value()) __builtin_trap();  // json() falls back to extract_json
  (void)r.validated(schema());
}

}  // namespace crewai::fuzz
