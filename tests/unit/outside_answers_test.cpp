// SPDX-License-Identifier: Apache-2.0
// Decoders of what comes from outside hydrad never throw: every shape the
// fuzzers found (and their like) gives a value or an error. And a thread
// whose body throws anyway is reported and restarted, never std::terminate.
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/guarded_thread.hpp"
#include "docker/container_networking.hpp"
#include "docker/engine_decode.hpp"
#include "session/network/nft_runner.hpp"
#include "session/storage/golden_store.hpp"

namespace hydra {
namespace {

using nlohmann::json;

// The input issue 26 named: State.Running present with another type.
TEST(OutsideAnswers, ContainerInspectWithRunningOfAnotherTypeDecodes) {
  const std::string body = R"({"Id":"x","Name":"/web","State":{"Running":{}}})";
  auto c = docker::decode_container_networking(json::parse(body));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "web");
  EXPECT_FALSE(c->running);
  auto pid = docker::decode_container_pid(body);
  EXPECT_FALSE(pid);
  auto odd = docker::decode_container_networking(
      json::parse(R"({"Id":7,"Name":[],"State":[],"Config":{"Labels":[]},"NetworkSettings":{"Networks":{},"Ports":{"80/tcp":[1,{"HostPort":5}]}}})"));
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->ports.empty());
}

TEST(OutsideAnswers, ContainerListsOfEveryShape) {
  for (const char* body : {"", "{}", "[1,2]", R"([{"Id":5}])", R"([{"Id":"a","Names":"web"}])",
                           R"([{"Id":"a","Names":[7]}])", R"([{"Names":["/x"]}])", "[null]", R"({"Id":"a"})"}) {
    EXPECT_NO_THROW((void)docker::decode_container_list(body)) << body;
    EXPECT_NO_THROW((void)docker::decode_container_count(body)) << body;
  }
  auto list = docker::decode_container_list(R"([{"Id":"0123456789abcdef","Names":[7]},{"Id":"b","Names":["/web"]},{"Id":3}])");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u) << "an entry without a string Id is left out";
  EXPECT_EQ((*list)[0].name, "0123456789ab") << "no usable name: the short id";
  EXPECT_EQ((*list)[1].name, "web");
  EXPECT_FALSE(docker::decode_container_list("{}"));
  EXPECT_EQ(*docker::decode_container_count(R"([1,"x",{}])"), 3u);
}

TEST(OutsideAnswers, InspectPidsErrorsAndEvents) {
  EXPECT_EQ(*docker::decode_container_pid(R"({"State":{"Running":true,"Pid":42}})"), 42);
  for (const char* body : {R"({"State":{"Running":true,"Pid":"42"}})", R"({"State":{"Running":true,"Pid":-1}})",
                           R"({"State":{"Running":true,"Pid":1e300}})", R"({"State":"running"})", "[]", "x",
                           R"({"State":{"Running":true,"Pid":99999999999999}})"})
    EXPECT_FALSE(docker::decode_container_pid(body)) << body;
  EXPECT_EQ(docker::decode_error_message(R"({"message":"No such container"})"), "No such container");
  EXPECT_EQ(docker::decode_error_message(R"({"message":{"nested":1}})"), R"({"message":{"nested":1}})");
  EXPECT_EQ(docker::decode_error_message("plain"), "plain");
  EXPECT_EQ(docker::decode_event_time(R"({"timeNano":17})"), std::optional<int64_t>(17));
  EXPECT_EQ(docker::decode_event_time(R"({"timeNano":"17"})"), std::optional<int64_t>(0));
  EXPECT_EQ(docker::decode_event_time(R"([1])"), std::nullopt);
  EXPECT_EQ(docker::decode_event_time(""), std::nullopt);
}

TEST(OutsideAnswers, NftablesListingsOfEveryShape) {
  const std::string good =
      R"({"nftables":[{"rule":{"handle":12,"comment":"tag"}},{"rule":{"handle":13}},{"rule":{"handle":"14","comment":"tag"}}]})";
  auto handles = session::decode_tagged_rules(good, "tag");
  ASSERT_TRUE(handles);
  EXPECT_EQ(*handles, std::vector<int64_t>{12});
  for (const char* listing : {"", "{}", R"({"nftables":{}})", R"({"nftables":[1,"x",null]})",
                              R"({"nftables":[{"rule":"x"}]})", R"({"nftables":[{"rule":{"comment":5,"handle":1}}]})"})
    EXPECT_NO_THROW((void)session::decode_tagged_rules(listing, "tag")) << listing;
  EXPECT_FALSE(session::decode_tagged_rules("{}", "tag"));
}

TEST(OutsideAnswers, GoldenMetadataOfAnotherTypeIsAnError) {
  EXPECT_TRUE(session::parse_golden_json(R"({"name":"g1","created_unix":5})"));
  for (const char* text : {R"({"name":5,"created_unix":5})", R"({"name":"g1"})", R"({"name":"g1","created_unix":"5"})",
                           R"({"name":"g1","created_unix":5,"bytes":-1})", R"({"name":"g1","created_unix":5,"method":[]})"}) {
    auto g = session::parse_golden_json(text);
    EXPECT_FALSE(g) << text;
  }
}

struct EscapeLog {
  std::mutex mu;
  std::vector<std::string> lines;
};
EscapeLog& escape_log() {
  static EscapeLog log;
  return log;
}
void record_escape(const std::string& thread, const std::string& what, const std::string& action) {
  std::lock_guard lock(escape_log().mu);
  escape_log().lines.push_back(thread + ": " + what + " (" + action + ")");
}

TEST(GuardedThread, AnEscapeIsReportedAndThePartRestartedThenLeftFailed) {
  set_thread_escape_reporter(&record_escape);
  std::atomic<int> runs{0};
  // Throws twice, then returns: restarted, and done.
  guarded_thread("flaky", [&] {
    if (++runs <= 2) throw std::runtime_error("bad answer");
  }).join();
  EXPECT_EQ(runs, 3);
  // Always throws: restarted kThreadRestarts times, then left failed.
  std::atomic<int> failed{0}, always{0};
  guarded_thread(
      "broken", [&] {
        ++always;
        throw std::logic_error("decoder bug");
      },
      [&] { ++failed; })
      .join();
  set_thread_escape_reporter(nullptr);
  EXPECT_EQ(always, kThreadRestarts + 1);
  EXPECT_EQ(failed, 1);
  std::lock_guard lock(escape_log().mu);
  ASSERT_EQ(escape_log().lines.size(), static_cast<size_t>(2 + kThreadRestarts + 1));
  EXPECT_EQ(escape_log().lines[0], "flaky: bad answer (restarted)");
  EXPECT_EQ(escape_log().lines.back(), "broken: decoder bug (left failed)");
}

}  // namespace
}  // namespace hydra
