// transport/url.cpp: URLs as libcurl reads them (the flow-callback origin check relies on it) and
// path-segment escaping of kickoff ids.
#include "transport/url.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <string>

namespace crewai::transport {
namespace {

TEST(ParseUrl, PartsWithDefaultsAndLowerCase) {
  auto p = parse_url("HTTPS://Example.COM/flows/x/feedback?a=1");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->scheme, "https");
  EXPECT_EQ(p->host, "example.com");
  EXPECT_EQ(p->port, "443");
  EXPECT_EQ(p->path, "/flows/x/feedback");
  EXPECT_EQ(p->query, "a=1");

  auto plain = parse_url("http://127.0.0.1:8080");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, "8080");
  EXPECT_EQ(plain->path, "/");
  EXPECT_EQ(plain->query, "");

  auto v6 = parse_url("http://[::1]:9/x");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "[::1]");
}

TEST(ParseUrl, UserInfoIsNotTheHost) {
  auto p = parse_url("http://127.0.0.1:80@evil.example:81/x");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->host, "evil.example");
  EXPECT_EQ(p->port, "81");
}

TEST(ParseUrl, RefusesWhatIsNotAnAbsoluteHttpUrl) {
  for (const char* bad : {"", "/relative/path", "ftp://host/x", "file:///etc/passwd",
                          "http://host/a b", "http://host/\x01", "http://host/x\n", "not a url"}) {
    EXPECT_FALSE(parse_url(bad)) << bad;
  }
}

TEST(SameOrigin, SchemeHostAndPort) {
  auto a = *parse_url("http://h:80/a");
  EXPECT_TRUE(same_origin(a, *parse_url("http://H/b?c")));  // default port, case
  EXPECT_FALSE(same_origin(a, *parse_url("https://h:80/a")));
  EXPECT_FALSE(same_origin(a, *parse_url("http://h:81/a")));
  EXPECT_FALSE(same_origin(a, *parse_url("http://g:80/a")));
}

TEST(ReplacePath, KeepsTheOriginDropsTheFragment) {
  EXPECT_EQ(replace_path("http://h:8/base?old=1#frag", "/flows/1/feedback", "k=2"),
            "http://h:8/flows/1/feedback?k=2");
  EXPECT_EQ(replace_path("https://u@h/base", "/x", ""), "https://u@h/x");
  EXPECT_FALSE(replace_path("not a url", "/x", ""));
}

TEST(EscapeSegment, OnlyUnreservedCharactersStay) {
  EXPECT_EQ(escape_segment("3f1c2a-9b_x.y~z"), "3f1c2a-9b_x.y~z");
  EXPECT_EQ(escape_segment("a/b?c#d e"), "a%2Fb%3Fc%23d%20e");
  EXPECT_EQ(escape_segment("../status"), "..%2Fstatus");
  EXPECT_EQ(escape_segment("caf\xc3\xa9"), "caf%C3%A9");
  EXPECT_EQ(escape_segment(""), "");
  // Every byte: the unreserved ones as they are, the rest as curl escapes them (%XX, upper case).
  for (int c = 0; c < 256; ++c) {
    const std::string one(1, static_cast<char>(c));
    const bool unreserved = std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
    char hex[4];
    std::snprintf(hex, sizeof hex, "%%%02X", c);
    EXPECT_EQ(escape_segment("id" + one), "id" + (unreserved ? one : std::string(hex))) << c;
  }
}

}  // namespace
}  // namespace crewai::transport
