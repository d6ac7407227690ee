// The one JSON serialiser (protocol::JsonAppender, dump_json, dump_json_checked): byte for byte what
// nlohmann's serializer writes, whichever of its paths a value takes. Part of protocol_test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "protocol/json_util.hpp"

namespace crewai::protocol {
namespace {

using ::testing::HasSubstr;

// JsonAppender writes printable ASCII itself and hands the rest to nlohmann's serializer: the
// text must be the serializer's, byte for byte, on both sides of that line and across it.
TEST(JsonAppender, StringsAreWrittenAsTheSerializerWritesThem) {
  const std::string cases[] = {
      "",
      "plain ascii: ids, states, 3b65e0cc-0f74-4686-a4cf-d4c3d050798c ~!@#$%^&*()_+{}|:<>?/",
      "a \"quote\"",
      "a \\ backslash",
      "tab\tnewline\ncarriage\rnul" + std::string(1, '\0') + "bell\x07",
      "DEL \x7f",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",  // UTF-8: written as it stands
      "bad \xff\xfe utf-8 \xc3",                    // replaced with U+FFFD, never thrown
      "# topic 79 in 2026\n\nAdoption, consolidation and cost.",
  };
  for (const auto& s : cases) {
    std::string appended = "[";
    {
      JsonAppender<Json> json(appended);
      json.string(s);
      appended += ',';
      json.value(Json(42));
      appended += ',';
      json.string(s);
    }
    appended += ']';
    const std::string one = Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
    EXPECT_EQ(appended, "[" + one + ",42," + one + "]")
        << "string: " << Json(s).dump(-1, ' ', true, Json::error_handler_t::replace);
  }
}

// Compact values are written by JsonAppender's own walk of the DOM (its strings, keys included,
// through string()): every value, nested or not, must read as the serializer writes it; so must
// dump_json_checked, which refuses what the serializer refuses.
TEST(JsonAppender, ValuesAreWrittenAsTheSerializerWritesThem) {
  const std::string bad = "bad \xff\xfe utf-8 \xc3";
  const Json values[] = {
      nullptr,
      true,
      false,
      0,
      -7,
      42u,
      std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::uint64_t>::max(),
      0.1,
      -0.0,
      1e300,
      2.5,
      3.0,
      std::numeric_limits<double>::quiet_NaN(),
      std::numeric_limits<double>::infinity(),
      "",
      "plain",
      "a \"q\" \\ \n\t\x01 \x7f caf\xc3\xa9 \xf0\x9f\x98\x80",
      Json::object(),
      Json::array(),
      Json::parse(
          R"({"inputs":{"current_year":"2026","topic":"topic 79"},"meta":{"requestId":"r-79"}})"),
      Json::parse(R"({"b":[1,[2,[3,{}]],{"c":null,"d":[]}],"a":{"z":-1.25,"y":"\u00e9\n"},"":""})"),
      Json::parse(R"([[],[[]],{"k":[true,false,null,0,-0,1.5e-7,12345678901234567890]}])"),
      Json{{"key \"quoted\"\n", "v"}, {"caf\xc3\xa9", {1, "two", 3.5}}},
  };
  for (const Json& j : values) {
    const std::string want = j.dump(-1, ' ', false, Json::error_handler_t::replace);
    EXPECT_EQ(dump_json(j), want);
    EXPECT_EQ(dump_json(j, 2), j.dump(2, ' ', false, Json::error_handler_t::replace));
    auto checked = dump_json_checked(j);
    ASSERT_TRUE(checked) << want;
    EXPECT_EQ(*checked, j.dump()) << want;
  }
  // Not UTF-8, in a value or in a key, nested or not: replaced by dump_json, refused when checked.
  for (const Json& j :
       {Json(bad), Json{{"k", {1, bad}}}, Json{{bad, 1}}, Json{{"a", {{bad, "v"}}}}}) {
    EXPECT_EQ(dump_json(j), j.dump(-1, ' ', false, Json::error_handler_t::replace));
    auto checked = dump_json_checked(j);
    ASSERT_FALSE(checked) << dump_json(j);
    EXPECT_THAT(checked.error(), HasSubstr("UTF-8")) << dump_json(j);
  }
}

}  // namespace
}  // namespace crewai::protocol
