// Webhook payloads: crew HITL payloads, flow feedback requests (parse_flow_request and the public
// read_flow_request with its signature check), the kickoff ids a body names, flow signatures.
// Compiled into protocol_test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "crewai/webhooks.hpp"
#include "protocol/hitl.hpp"

namespace crewai::protocol {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(Hitl, TolerantPayloadKeys) {
  auto p =
      parse_hitl_payload(R"({"kickoff_id":"k","task_id":"t","task_output":"o","meta":{"r":1}})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->execution_id, "k");
  EXPECT_EQ(p->task_id, "t");
  EXPECT_EQ(p->task_output, "o");
  EXPECT_EQ(p->meta["r"], 1);
  auto nested = parse_hitl_payload(R"({"execution_id":"e","task":{"id":"t2","output":"o2"}})");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->execution_id, "e");
  EXPECT_EQ(nested->task_id, "t2");
  EXPECT_EQ(nested->task_output, "o2");
  EXPECT_FALSE(parse_hitl_payload(R"({"task_id":"t"})"));
  EXPECT_FALSE(parse_hitl_payload("nope"));
}

TEST(Webhook, KickoffIdsFromEveryPayloadKind) {
  EXPECT_THAT(webhook_kickoff_ids(R"({"kickoff_id": "k1", "result": "done", "meta": {}})"),
              ElementsAre("k1"));  // crew
  EXPECT_THAT(webhook_kickoff_ids(R"({"name": "t", "output": "o", "kickoff_id": "k2"})"),
              ElementsAre("k2"));  // task / step
  EXPECT_THAT(webhook_kickoff_ids(R"({"execution_id": "k3", "task_id": "draft"})"),
              ElementsAre("k3"));  // human input
  EXPECT_THAT(webhook_kickoff_ids(R"({"executionId": "k4"})"), ElementsAre("k4"));
  EXPECT_THAT(webhook_kickoff_ids(R"({"events": [
      {"id": "e1", "execution_id": "k5", "type": "task_started"},
      {"id": "e2", "execution_id": "k5", "type": "task_completed"},
      {"id": "e3", "type": "llm_call_started", "data": {"kickoff_id": "k6"}},
      7, {"id": "e4"}]})"),
              ElementsAre("k5", "k6"));  // streaming: each id once
  EXPECT_THAT(webhook_kickoff_ids(R"({"event": "new_request", "request": {"execution_id": "f1"}})"),
              ElementsAre("f1"));  // flow
  EXPECT_TRUE(webhook_kickoff_ids("<html>").empty());
  EXPECT_TRUE(webhook_kickoff_ids(R"(["k1"])").empty());
  EXPECT_TRUE(webhook_kickoff_ids(R"({"kickoff_id": 12, "events": {"x": 1}})").empty());
}

TEST(Hitl, FlowSignature) {
  // echo -n '1700000000.{"event":"new_request"}' | openssl dgst -sha256 -hmac secret
  const std::string body = R"({"event":"new_request"})";
  const std::string sig = "sha256=7c8f7d9871902d41015fced6813f9a56f29b05060bcbe1332c3c7340287280ab";
  EXPECT_TRUE(verify_flow_signature("secret", "1700000000", body, sig));
  EXPECT_TRUE(verify_flow_signature("secret", "1700000000", body, sig.substr(7)));
  EXPECT_FALSE(verify_flow_signature("secret", "1700000001", body, sig));
  EXPECT_FALSE(verify_flow_signature("other", "1700000000", body, sig));
  EXPECT_FALSE(verify_flow_signature("secret", "1700000000", body + " ", sig));
  EXPECT_FALSE(verify_flow_signature("", "1700000000", body, sig));
  EXPECT_FALSE(verify_flow_signature("secret", "1700000000", body, "sha256=zz"));
  EXPECT_FALSE(verify_flow_signature("secret", "1700000000", body, ""));
}

TEST(FlowRequest, ReadsTheNestedRequest) {
  auto f = parse_flow_request(R"({"event": "new_request", "callback_url": "https://d/flows/k/cb",
      "request": {"execution_id": "k", "method": "review", "output": "draft v1",
                  "message": "Approve?", "meta": {"r": 1}}})");
  ASSERT_TRUE(f) << f.error().to_string();
  EXPECT_EQ(f->execution_id, "k");
  EXPECT_EQ(f->callback_url, "https://d/flows/k/cb");
  EXPECT_EQ(f->method, "review");
  EXPECT_EQ(f->output, "draft v1");
  EXPECT_EQ(f->message, "Approve?");
  EXPECT_EQ(f->request["meta"]["r"], 1);
}

TEST(FlowRequest, TolerantKeys) {
  // flow_id, method_name, a JSON output, prompt, camelCase callback inside the request.
  auto f = parse_flow_request(R"({"request": {"flow_id": "f1", "method_name": "score",
      "output": {"score": 3}, "prompt": "ok?", "callbackUrl": "http://h/cb"}})");
  ASSERT_TRUE(f) << f.error().to_string();
  EXPECT_EQ(f->execution_id, "f1");
  EXPECT_EQ(f->method, "score");
  EXPECT_EQ(f->output, R"({"score":3})");
  EXPECT_EQ(f->message, "ok?");
  EXPECT_EQ(f->callback_url, "http://h/cb");
  // Everything at the top level, no `request` object; output under method_output.
  auto flat = parse_flow_request(R"({"event": "new_request", "kickoffId": "k2", "step": "s",
      "method_output": "o", "question": "q", "callback_url": "http://h/cb2"})");
  ASSERT_TRUE(flat) << flat.error().to_string();
  EXPECT_EQ(flat->execution_id, "k2");
  EXPECT_EQ(flat->method, "s");
  EXPECT_EQ(flat->output, "o");
  EXPECT_EQ(flat->message, "q");
  EXPECT_EQ(flat->callback_url, "http://h/cb2");
  EXPECT_EQ(flat->request["step"], "s");
  // The id may sit at the top level beside a request that lacks it; mistyped fields are skipped.
  auto mixed = parse_flow_request(
      R"({"execution_id": "k3", "request": {"method": 7, "task_id": "t"}, "callback_url": "http://h"})");
  ASSERT_TRUE(mixed) << mixed.error().to_string();
  EXPECT_EQ(mixed->execution_id, "k3");
  EXPECT_EQ(mixed->method, "t");
  EXPECT_EQ(mixed->output, "");
}

TEST(FlowRequest, GarbageOtherEventsAndNoCallbackAreProtocolErrors) {
  for (const char* body : {"", "nope", "[1, 2]", "\"new_request\"", R"({"event": "new_request")",
                           R"({"event": "new_request", "request": {"execution_id": "k"}})",
                           R"({"event": "new_request", "callback_url": ""})",
                           R"({"event": "new_request", "callback_url": 5})",
                           R"({"event": "request_cancelled", "callback_url": "http://h"})"}) {
    auto f = parse_flow_request(body);
    ASSERT_FALSE(f) << body;
    EXPECT_EQ(f.error().code, ErrorCode::protocol) << body;
  }
  EXPECT_THAT(parse_flow_request(R"({"request": {}})").error().message,
              HasSubstr("no callback_url"));
}

const std::string kSecret = "flow-hmac-k3y";
const std::string kSignedBody =
    R"({"event":"new_request","request":{"execution_id":"k1","method":"review","output":"draft"},)"
    R"("callback_url":"https://crew.example/flows/k1/feedback"})";
// echo -n "1700000000.$kSignedBody" | openssl dgst -sha256 -hmac flow-hmac-k3y
const std::string kSignature =
    "sha256=69d0b3e958b4f27700f8f7ed2060c36a0013d89cb7ce81cbf279d6faedb38b85";

TEST(ReadFlowRequest, VerifiesTheSignatureThenReads) {
  auto f = read_flow_request(kSignedBody, "1700000000", kSignature, kSecret);
  ASSERT_TRUE(f) << f.error().to_string();
  EXPECT_EQ(f->execution_id, "k1");
  EXPECT_EQ(f->method, "review");
  EXPECT_EQ(f->callback_url, "https://crew.example/flows/k1/feedback");
  std::vector<std::pair<std::string, std::string>> headers = {{"content-type", "application/json"},
                                                              {"x-timestamp", "1700000000"},
                                                              {"X-SIGNATURE", kSignature}};
  EXPECT_TRUE(read_flow_request(kSignedBody, headers, kSecret));
}

TEST(ReadFlowRequest, RefusesBadOrMissingSignaturesWhenASecretIsGiven) {
  struct Case {
    std::string body, timestamp, signature, secret;
  };
  const Case refused[] = {{kSignedBody, "1700000000", kSignature, "wrong-k3y"},
                          {kSignedBody, "1700000001", kSignature, kSecret},
                          {kSignedBody + " ", "1700000000", kSignature, kSecret},
                          {kSignedBody, "1700000000", "", kSecret},
                          {kSignedBody, "", kSignature, kSecret},
                          {kSignedBody, "1700000000", "sha256=00", kSecret}};
  for (const auto& c : refused) {
    auto f = read_flow_request(c.body, c.timestamp, c.signature, c.secret);
    ASSERT_FALSE(f) << c.timestamp << " " << c.signature;
    EXPECT_EQ(f.error().code, ErrorCode::unauthenticated);
    EXPECT_THAT(f.error().to_string(), Not(HasSubstr(c.secret)));
  }
  auto no_headers = read_flow_request(kSignedBody, {}, kSecret);
  ASSERT_FALSE(no_headers);
  EXPECT_EQ(no_headers.error().code, ErrorCode::unauthenticated);
  // No secret: nothing is checked, the body is only read.
  EXPECT_TRUE(read_flow_request(kSignedBody, "", "", ""));
  // Without a secret, a body that is not a flow request is a protocol error.
  auto unsigned_garbage = read_flow_request("nope", "", "", "");
  ASSERT_FALSE(unsigned_garbage);
  EXPECT_EQ(unsigned_garbage.error().code, ErrorCode::protocol);
}

}  // namespace
}  // namespace crewai::protocol
