// Crew scripts and fault configurations of the simulator: parsing, errors naming fields, templating.
#include <gtest/gtest.h>

#include <functional>

#include "crewai/sim/crew.hpp"
#include "crewai/sim/faults.hpp"
#include "support/sim_fixture.hpp"

namespace crewai::sim {
namespace {

using nlohmann::json;

json minimal() {
  return {{"name", "c"}, {"inputs", {"topic"}}, {"tasks", {{{"name", "t1"}, {"duration", 2}, {"output", "about {topic}"}}}}};
}

TEST(SimCrew, ParsesMinimalWithDefaults) {
  auto c = parse_crew(minimal());
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->name, "c");
  EXPECT_EQ(c->inputs, std::vector<std::string>{"topic"});
  ASSERT_EQ(c->tasks.size(), 1u);
  EXPECT_EQ(c->tasks[0].duration, 2.0);
  EXPECT_FALSE(c->tasks[0].human_input);
  EXPECT_EQ(c->result, "about {topic}");  // defaults to the last task's output
  EXPECT_FALSE(c->flow);
}

TEST(SimCrew, ErrorsNameTheField) {
  auto check = [](json j, const std::string& field) {
    auto c = parse_crew(j);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().rfind(field, 0), 0u) << c.error();
  };
  json j = minimal();
  j.erase("name");
  check(j, "name");
  j = minimal();
  j["tasks"][0]["duration"] = -1;
  check(j, "tasks[0].duration");
  j = minimal();
  j["tasks"] = json::array();
  check(j, "tasks");
  j = minimal();
  j["inputs"] = {"topic", 3};
  check(j, "inputs[1]");
  j = minimal();
  j["tasks"][0]["human_input"] = "yes";
  check(j, "tasks[0].human_input");
  j = minimal();
  j["failures"] = {{{"rate", 2}}};
  check(j, "failures[0].rate");
  j = minimal();
  j["failures"] = {{{"always", true}, {"task", "nope"}}};
  check(j, "failures[0].task");
  j = minimal();
  j["kind"] = "pipeline";
  check(j, "kind");
}

TEST(SimCrew, FlowStateModelIsParsedAndErrorsNameTheField) {
  json flow = minimal();
  flow.erase("inputs");
  flow["kind"] = "flow";
  flow["state"] = {{{"name", "topic"}, {"type", "string"}, {"default", "x"}},
                   {{"name", "count"}, {"type", "integer"}},
                   {{"name", "id"}}};
  auto c = parse_crew(flow);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->inputs, (std::vector<std::string>{"topic", "count", "id"}));
  ASSERT_EQ(c->state.size(), 3u);
  EXPECT_EQ(c->state[1].type, StateField::Type::integer);
  EXPECT_EQ(c->state[2].type, StateField::Type::any);
  EXPECT_EQ(c->state[0].default_value, "x");
  auto check = [&flow](const std::function<void(json&)>& change, const std::string& field) {
    json j = flow;
    change(j);
    auto bad = parse_crew(j);
    ASSERT_FALSE(bad) << field;
    EXPECT_EQ(bad.error().rfind(field, 0), 0u) << bad.error();
  };
  check([](json& j) { j["kind"] = "crew"; }, "state");
  check([](json& j) { j["inputs"] = {"topic"}; }, "inputs");
  check([](json& j) { j["state"] = "topic"; }, "state");
  check([](json& j) { j["state"][1]["type"] = "int"; }, "state[1].type");
  check([](json& j) { j["state"][1]["default"] = "2"; }, "state[1].default");
  check([](json& j) { j["state"][2]["name"] = "topic"; }, "state[2].name");
  check([](json& j) { j["state"][0].erase("name"); }, "state[0].name");
}

TEST(SimCrew, ShippedExamplesLoad) {
  for (const char* name : {"research", "flow", "approval", "flow_review", "flow_state"}) {
    auto c = load_crew(test::crew_path(name));
    ASSERT_TRUE(c) << name << ": " << c.error();
  }
  EXPECT_TRUE(load_crew(test::crew_path("flow"))->flow);
  EXPECT_TRUE(load_crew(test::crew_path("flow"))->result_is_json_string);
  EXPECT_TRUE(load_crew(test::crew_path("approval"))->tasks[0].human_input);
  EXPECT_TRUE(load_crew(test::crew_path("flow_review"))->flow);
  EXPECT_TRUE(load_crew(test::crew_path("flow_review"))->tasks[1].human_input);
  EXPECT_FALSE(load_crew("/no/such/crew.json"));
}

TEST(SimCrew, TemplatesSubstituteKnownNamesOnly) {
  json v = {{"topic", "AI"}, {"year", 2025}};
  EXPECT_EQ(render_template("{topic} in {year}", v), "AI in 2025");
  EXPECT_EQ(render_template("{unknown} {topic}", v), "{unknown} AI");
  EXPECT_EQ(render_template("{ {topic}", v), "{ AI");
  EXPECT_EQ(render_template("no braces", v), "no braces");
  EXPECT_EQ(render_template("{topic", v), "{topic");
  json t = {{"title", "{topic}"}, {"list", {"{year}", 1}}, {"{topic}", "k"}};
  json out = render_json(t, v);
  EXPECT_EQ(out["title"], "AI");
  EXPECT_EQ(out["list"], json({"2025", 1}));
  EXPECT_EQ(out["{topic}"], "k");
}

TEST(SimCrew, MissingInputsInCrewOrder) {
  Crew c = *parse_crew(minimal());
  c.inputs = {"a", "b", "c"};
  EXPECT_EQ(missing_inputs(c, {{"b", 1}}), (std::vector<std::string>{"a", "c"}));
  EXPECT_TRUE(missing_inputs(c, {{"a", 1}, {"b", 1}, {"c", 1}}).empty());
}

TEST(SimCrew, FailureRules) {
  json j = minimal();
  j["failures"] = {{{"when", {{"input", "topic"}, {"matches", "^bad"}}}, {"message", "m1"}},
                   {{"when", {{"input", "topic"}, {"matches", "(unclosed"}}}, {"message", "m2"}},
                   {{"rate", 0.5}, {"message", "m3"}}};
  Crew c = *parse_crew(j);
  EXPECT_EQ(select_failure(c, {{"topic", "bad day"}}, {0.9, 0.9, 0.9})->message, "m1");
  EXPECT_EQ(select_failure(c, {{"topic", "a (unclosed b"}}, {0.9, 0.9, 0.9})->message, "m2");
  EXPECT_EQ(select_failure(c, {{"topic", "fine"}}, {0.9, 0.9, 0.1})->message, "m3");
  EXPECT_EQ(select_failure(c, {{"topic", "fine"}}, {0.9, 0.9, 0.9}), nullptr);
  j["failures"] = {{{"always", true}}};
  EXPECT_NE(select_failure(*parse_crew(j), json::object(), {0.9}), nullptr);
}

TEST(SimFaultConfig, ParsesJsonAndNamesBadFields) {
  auto f = parse_faults({{"status", {{"latency_ms", {5, 50}}, {"errors", {{"503", 0.1}}}, {"retry_after", 1},
                                     {"garbage", {{"non_json", 0.01}, {"oversized_mb", 2}}}}},
                         {"kickoff", {{"drop_response", 0.2}}},
                         {"stuck", 0.05},
                         {"cold_start", {{"requests", 3}, {"status", 503}}}});
  ASSERT_TRUE(f) << f.error();
  const auto* s = f->for_endpoint("status");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->latency_min_ms, 5);
  EXPECT_EQ(s->latency_max_ms, 50);
  EXPECT_EQ(s->error_rates.at(503), 0.1);
  EXPECT_EQ(s->retry_after, 1);
  EXPECT_EQ(s->oversized_bytes, 2u << 20);
  EXPECT_EQ(f->for_endpoint("inputs"), nullptr);
  EXPECT_EQ(f->stuck, 0.05);
  EXPECT_EQ(f->cold_start.requests, 3);
  auto bad = parse_faults({{"status", {{"errors", {{"503", 1.5}}}}}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().rfind("status.errors.503", 0), 0u) << bad.error();
  EXPECT_FALSE(parse_faults({{"nowhere", json::object()}}));
  EXPECT_FALSE(parse_faults({{"status", {{"garbage", {{"weird", 0.1}}}}}}));
}

TEST(SimFaultConfig, AllAppliesWhereNoEndpointEntry) {
  auto f = parse_faults({{"all", {{"reset", 0.5}}}, {"kickoff", {{"reset", 0.1}}}});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->for_endpoint("status")->reset, 0.5);
  EXPECT_EQ(f->for_endpoint("kickoff")->reset, 0.1);
}

TEST(SimFaultConfig, InlineFlags) {
  json doc;
  ASSERT_TRUE(merge_fault_flag("status:503=0.1,retry-after=2,latency=5-50,non-json=0.01", doc));
  ASSERT_TRUE(merge_fault_flag("kickoff:drop=0.2", doc));
  ASSERT_TRUE(merge_fault_flag("run:stuck=0.3", doc));
  ASSERT_TRUE(merge_fault_flag("cold-start:requests=2,status=503", doc));
  auto f = parse_faults(doc);
  ASSERT_TRUE(f) << f.error();
  EXPECT_EQ(f->for_endpoint("status")->error_rates.at(503), 0.1);
  EXPECT_EQ(f->for_endpoint("status")->retry_after, 2);
  EXPECT_EQ(f->for_endpoint("status")->latency_max_ms, 50);
  EXPECT_EQ(f->for_endpoint("status")->non_json, 0.01);
  EXPECT_EQ(f->for_endpoint("kickoff")->drop_response, 0.2);
  EXPECT_EQ(f->stuck, 0.3);
  EXPECT_EQ(f->cold_start.requests, 2);
  EXPECT_FALSE(merge_fault_flag("status", doc));
  EXPECT_FALSE(merge_fault_flag("status:bogus=1", doc));
  EXPECT_FALSE(merge_fault_flag("moon:503=1", doc));
}

}  // namespace
}  // namespace crewai::sim
