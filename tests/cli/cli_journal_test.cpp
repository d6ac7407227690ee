// `crewctl journal status|export|stop` on a SQLite journal (the PostgreSQL side: tests/pg).
#include "cli/cli_fixture.hpp"

namespace crewai::test {
namespace {

class CliJournalTest : public CliTest {};

std::string topics(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += R"({"id": "t)" + std::to_string(i) + R"(", "inputs": {"topic": "t)" + std::to_string(i) +
            R"(", "current_year": "2026"}})" + "\n";
  }
  return text;
}

TEST_F(CliJournalTest, StatusAndExportReadASqliteJournal) {
  SimFixture sim("research");
  auto in = write("in.jsonl", topics(12));
  auto run = crewctl(conn(sim, {"batch", in, "-o", path("out.jsonl"), "--ordered", "-q"}));
  ASSERT_EQ(run.exit_code, 0) << run.err;

  auto status = crewctl({"journal", "status", "--journal", path("out.jsonl.journal"), "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto s = last_json_line(status.out);
  EXPECT_EQ(s.value("items", 0), 12);
  EXPECT_EQ(s.value("finished", 0), 12);
  EXPECT_EQ(s["outcomes"].value("succeeded", 0), 12) << s.dump();
  auto text = crewctl({"journal", "status", "--journal", path("out.jsonl.journal")});
  EXPECT_NE(text.out.find("12 / 12 finished"), std::string::npos) << text.out;

  auto exported = crewctl({"journal", "export", "--journal", path("out.jsonl.journal"), "-o", path("again.jsonl")});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  auto a = json_lines(read_file(path("out.jsonl")));
  auto b = json_lines(read_file(path("again.jsonl")));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(b[i]["index"], static_cast<int>(i));  // input order
    for (const char* key : {"index", "id", "state", "kickoff_id", "request_id", "result"}) {
      EXPECT_EQ(a[i][key], b[i][key]) << key << " of line " << i;
    }
  }
}

TEST_F(CliJournalTest, ClearErrorsForWhatCannotWork) {
  auto missing = crewctl({"journal", "status", "--journal", path("none.journal")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("none.journal"), std::string::npos) << missing.err;
  auto stop = crewctl({"journal", "stop", "--journal", path("none.journal")});
  EXPECT_EQ(stop.exit_code, 2);
  EXPECT_NE(stop.err.find("shared journal"), std::string::npos) << stop.err;
  auto join = crewctl({"batch", "--join", "--batch", "abc", "--journal", path("x.journal"), "--url", "http://127.0.0.1:9", "--token", "t"});
  EXPECT_EQ(join.exit_code, 2);
  EXPECT_NE(join.err.find("--join needs a shared journal"), std::string::npos) << join.err;
  auto no_file = crewctl({"batch", "--url", "http://127.0.0.1:9", "--token", "t"});
  EXPECT_EQ(no_file.exit_code, 2);
  EXPECT_NE(no_file.err.find("FILE is required"), std::string::npos) << no_file.err;
}

}  // namespace
}  // namespace crewai::test
