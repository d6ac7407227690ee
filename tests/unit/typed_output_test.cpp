// Typed results: as<T>(), JSON found in text, JSON Schema validation with every violation listed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crewai/types.hpp"
#include "protocol/status.hpp"
#include "protocol/typed_output.hpp"
#include "support/throw_count.hpp"

namespace report {

struct Report {
  std::string title;
  int score = 0;
  std::vector<std::string> tags;
};

void from_json(const crewai::Json& j, Report& r) {
  j.at("title").get_to(r.title);
  j.at("score").get_to(r.score);
  r.tags = j.value("tags", std::vector<std::string>{});
}

}  // namespace report

namespace crewai::protocol {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

RunResult with_text(std::string text) {
  RunResult r;
  r.kickoff_id = "k-7";
  r.state = RunState::success;
  r.result = std::move(text);
  return r;
}

TEST(As, StructThroughFromJson) {
  auto r = parse_status(R"({"state":"SUCCESS","result":"{\"title\":\"T\",\"score\":9,\"tags\":[\"a\"]}"})", "k");
  ASSERT_TRUE(r);
  auto rep = r->as<report::Report>();
  ASSERT_TRUE(rep) << rep.error().to_string();
  EXPECT_EQ(rep->title, "T");
  EXPECT_EQ(rep->score, 9);
  EXPECT_THAT(rep->tags, ElementsAre("a"));
}

TEST(As, FromFencedTextAndWrongShape) {
  auto ok = with_text("Here you go:\n```json\n{\"title\":\"F\",\"score\":1}\n```\nThanks").as<report::Report>();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->title, "F");
  auto wrong = with_text(R"({"title":"x"})").as<report::Report>();
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::protocol);
  EXPECT_THAT(wrong.error().message, HasSubstr("does not convert"));
  auto none = with_text("no json here").as<int>();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::protocol);
  EXPECT_EQ(none.error().kickoff_id, "k-7");
}

TEST(Json, PrefersResultJsonAndFailsWithoutResult) {
  RunResult r = with_text("ignored {\"a\":1}");
  r.result_json = Json{{"b", 2}};
  EXPECT_EQ(r.json().value(), Json({{"b", 2}}));
  RunResult empty;
  auto e = empty.json();
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::protocol);
}

// Issue 13, point 5: a crew's Markdown result is the normal case, read at the end of every run; it
// is an error value, never an exception thrown and caught inside (that cost ~µs per attempt).
TEST(Json, MarkdownResultIsAnErrorValueWithoutAnyThrow) {
  const auto control = test::throws_so_far();
  try {
    throw 1;
  } catch (int) {
  }
  ASSERT_EQ(test::throws_so_far(), control + 1) << "the throw counter does not see throws";

  const auto before = test::throws_so_far();
  auto status = parse_status(
      R"({"state":"SUCCESS","status":null,"result":"# Report\n\nThe {topic} in (x): )"
      R"(```text\nnot json {\n```\n- a [list] {with: braces}\n"})",
      "k");
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_TRUE(status->result_json.is_null());
  auto j = status->json();
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code, ErrorCode::protocol);
  EXPECT_FALSE(extract_json("plain prose, no JSON at all").has_value());
  EXPECT_EQ(test::throws_so_far(), before);
}

TEST(ExtractJson, PlainObjectAndArray) {
  EXPECT_EQ(extract_json(R"(  {"a": [1, 2]}  )"), Json::parse(R"({"a":[1,2]})"));
  EXPECT_EQ(extract_json("[1, {\"b\": null}]"), Json::parse(R"([1,{"b":null}])"));
}

TEST(ExtractJson, FlowJsonString) {
  Json inner = {{"x", 1}};
  EXPECT_EQ(extract_json(Json(inner.dump()).dump()), inner);
}

TEST(ExtractJson, FencedBlocks) {
  EXPECT_EQ(extract_json("Result:\n```json\n{\"k\": \"v\"}\n```"), Json({{"k", "v"}}));
  EXPECT_EQ(extract_json("```\n[1,2]\n```"), Json::array({1, 2}));
  EXPECT_EQ(extract_json("```python\nprint(1)\n```\nthen\n```json\n{\"second\":true}\n```"),
            Json({{"second", true}}));
}

TEST(ExtractJson, EmbeddedObjectSkipsNonJsonBraces) {
  EXPECT_EQ(extract_json(R"(The {best} answer is {"answer": "42 {not a brace}", "ok": true}. Done.)"),
            Json::parse(R"({"answer":"42 {not a brace}","ok":true})"));
  EXPECT_EQ(extract_json(R"(values: [3, 4] and more)"), Json::array({3, 4}));
  EXPECT_EQ(extract_json(R"(escaped {"q": "say \"}\" now"} end)"), Json::parse(R"({"q":"say \"}\" now"})"));
}

TEST(ExtractJson, NoneForScalarsAndProse) {
  EXPECT_FALSE(extract_json("42"));
  EXPECT_FALSE(extract_json("\"just a string\""));
  EXPECT_FALSE(extract_json("true"));
  EXPECT_FALSE(extract_json(""));
  EXPECT_FALSE(extract_json("plain words, {unbalanced"));
  EXPECT_FALSE(extract_json(std::string(10000, '{')));
}

const Json kSchema = Json::parse(R"({
  "type": "object",
  "required": ["title", "score"],
  "properties": {
    "title": {"type": "string", "minLength": 1},
    "score": {"type": "integer", "minimum": 0, "maximum": 10},
    "tags": {"type": "array", "items": {"type": "string"}}
  }
})");

TEST(Validate, PassesAValidValue) {
  Json v = {{"title", "ok"}, {"score", 3}, {"tags", {"a"}}};
  EXPECT_EQ(validate_json(v, kSchema).value(), v);
}

TEST(Validate, ListsEveryViolationWithItsPointer) {
  Json v = {{"title", ""}, {"score", 11}, {"tags", {"a", 5, "c", true}}};
  auto r = validate_json(v, kSchema);
  ASSERT_FALSE(r);
  const Error& e = r.error();
  EXPECT_EQ(e.code, ErrorCode::schema_violation);
  std::vector<std::string> pointers;
  for (const auto& v : e.violations) pointers.push_back(v.substr(0, v.find(':')));
  EXPECT_THAT(pointers, UnorderedElementsAre("/title", "/score", "/tags/1", "/tags/3"));
  EXPECT_THAT(e.message, HasSubstr("4 violations"));
}

TEST(Validate, MissingRequiredAtTheRoot) {
  auto r = validate_json(Json::object(), kSchema);
  ASSERT_FALSE(r);
  ASSERT_FALSE(r.error().violations.empty());
  EXPECT_THAT(r.error().violations, UnorderedElementsAre("/: Missing required property 'score'.",
                                                         "/: Missing required property 'title'."));
}

TEST(Validate, PointerEscaping) {
  Json schema = Json::parse(R"({"properties": {"a/b~c": {"type": "string"}}})");
  auto r = validate_json(Json{{"a/b~c", 1}}, schema);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().violations, ::testing::Contains(HasSubstr("/a~1b~0c: ")));
}

TEST(Validate, ThroughRunResultCarriesKickoffId) {
  auto bad = with_text(R"({"title":"x","score":-1})").validated(kSchema);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::schema_violation);
  EXPECT_EQ(bad.error().kickoff_id, "k-7");
  EXPECT_TRUE(with_text(R"({"title":"x","score":1})").validated(kSchema));
}

TEST(Validate, UnreadableSchemaIsInvalidArgument) {
  auto r = validate_json(Json::object(), Json::parse(R"({"type": 12})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace crewai::protocol
