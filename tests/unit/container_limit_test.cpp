// SPDX-License-Identifier: Apache-2.0
// max_containers: which requests are creates, the verdict, and the gate that
// decides one create of a session at a time (with a fake container count).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "session/limits/container_limiter.hpp"

using namespace hydra;
using session::ContainerLimiter;

TEST(ContainerLimit, CreatesAreRecognisedWithAndWithoutVersion) {
  EXPECT_TRUE(session::creates_container("POST", "/containers/create"));
  EXPECT_TRUE(session::creates_container("POST", "/v1.41/containers/create?name=web"));
  EXPECT_TRUE(session::creates_container("POST", "/v1.24/containers/create/"));
  EXPECT_FALSE(session::creates_container("GET", "/v1.41/containers/create"));
  EXPECT_FALSE(session::creates_container("POST", "/v1.41/containers/abc/start"));
  EXPECT_FALSE(session::creates_container("POST", "/v1.41/containers/create-x"));
  EXPECT_FALSE(session::creates_container("POST", "/vx/containers/create"));
  EXPECT_FALSE(session::creates_container("POST", "/_ping"));
}

TEST(ContainerLimit, VerdictNamesTheLimit) {
  EXPECT_TRUE(session::limit_verdict("session/s1", 5, 0).allow) << "0 is no limit";
  EXPECT_TRUE(session::limit_verdict("session/s1", 1, 2).allow);
  auto v = session::limit_verdict("session/s1", 2, 2);
  EXPECT_FALSE(v.allow);
  EXPECT_NE(v.message.find("max_containers = 2"), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("session/s1"), std::string::npos) << v.message;
}

namespace {

const char* kCreate = "/v1.41/containers/create";

}  // namespace

TEST(ContainerLimiter, CountsOnlyTrackedDockerdsAndFreesSlots) {
  std::atomic<size_t> existing{0};
  ContainerLimiter l([&](const std::string&) -> Result<size_t> { return existing.load(); });
  l.track(100, "session/s1", "/run/s1.sock", 2);
  l.set_ready();
  EXPECT_TRUE(l.on_request(100, "GET", "/v1.41/containers/json").allow) << "only creates are counted";
  EXPECT_TRUE(l.on_request(100, "POST", kCreate).allow);
  existing = 1;
  l.on_response(100, "POST", kCreate);
  EXPECT_TRUE(l.on_request(100, "POST", kCreate).allow);
  existing = 2;
  l.on_response(100, "POST", kCreate);
  auto third = l.on_request(100, "POST", kCreate);
  EXPECT_FALSE(third.allow);
  EXPECT_NE(third.message.find("max_containers = 2"), std::string::npos);
  existing = 1;  // docker rm
  EXPECT_TRUE(l.on_request(100, "POST", kCreate).allow) << "a removed container frees its slot";
  l.on_response(100, "POST", kCreate);
  EXPECT_TRUE(l.on_request(200, "POST", kCreate).allow) << "an untracked dockerd has no limit";
  l.untrack(100);
  existing = 50;
  EXPECT_TRUE(l.on_request(100, "POST", kCreate).allow);
}

TEST(ContainerLimiter, ACountThatFailsRefuses) {
  ContainerLimiter l([](const std::string&) -> Result<size_t> { return make_error("timed out", ETIMEDOUT); });
  l.track(100, "session/s1", "/run/s1.sock", 2);
  l.set_ready();
  auto v = l.on_request(100, "POST", kCreate);
  EXPECT_FALSE(v.allow);
  EXPECT_NE(v.message.find("timed out"), std::string::npos) << v.message;
}

// Two creates at once with one slot left: the second is decided after the
// first's response, and counts its container.
TEST(ContainerLimiter, ConcurrentCreatesNeverShareTheLastSlot) {
  std::atomic<size_t> existing{1};
  ContainerLimiter l([&](const std::string&) -> Result<size_t> { return existing.load(); });
  l.track(100, "session/s1", "/run/s1.sock", 2);
  l.set_ready();
  ASSERT_TRUE(l.on_request(100, "POST", kCreate).allow);
  std::atomic<int> second{-1};
  std::thread t([&] { second = l.on_request(100, "POST", kCreate).allow ? 1 : 0; });
  // The second waits for the first's response (or the hold time, 30 s).
  std::this_thread::yield();
  existing = 2;  // the first create made its container
  l.on_response(100, "POST", kCreate);
  t.join();
  EXPECT_EQ(second.load(), 0) << "the last slot was taken by the first create";
}

TEST(ContainerLimiter, ARequestBeforeRecoveryWaitsForIt) {
  std::atomic<size_t> existing{2};
  ContainerLimiter l([&](const std::string&) -> Result<size_t> { return existing.load(); });
  std::atomic<int> verdict{-1};
  std::thread t([&] { verdict = l.on_request(100, "POST", kCreate).allow ? 1 : 0; });
  // hydrad restarting: the session is tracked again by recover().
  l.track(100, "session/s1", "/run/s1.sock", 2);
  l.set_ready();
  t.join();
  EXPECT_EQ(verdict.load(), 0) << "the limit of a recovered session holds";
}

#include <nlohmann/json.hpp>

#include "api/authz_plugin.hpp"

// The plugin's wire: Docker's field names (RequestUri, Allow, Msg).
TEST(AuthzPlugin, AnswersDockersCallsByPeerPid) {
  std::atomic<size_t> existing{2};
  ContainerLimiter l([&](const std::string&) -> Result<size_t> { return existing.load(); });
  l.track(100, "session/s1", "/run/s1.sock", 2);
  l.set_ready();
  auto call = [&](const std::string& path, const std::string& body, long pid = 100) {
    api::HttpRequest req{"POST", path, body};
    req.peer_pid = pid;
    auto r = api::authz_plugin_route(l, req);
    return std::make_pair(r.status, nlohmann::json::parse(r.body, nullptr, false));
  };
  auto [ast, activate] = call("/Plugin.Activate", "");
  EXPECT_EQ(ast, 200);
  EXPECT_EQ(activate["Implements"], nlohmann::json::array({"authz"}));
  const std::string create =
      R"({"User":"","RequestMethod":"POST","RequestUri":"/v1.41/containers/create?name=x","RequestBody":"e30=",
          "RequestHeaders":{"Content-Type":"application/json"}})";
  auto [st, denied] = call("/AuthZPlugin.AuthZReq", create);
  EXPECT_EQ(st, 200);
  EXPECT_EQ(denied["Allow"], false);
  EXPECT_NE(denied["Msg"].get<std::string>().find("max_containers = 2"), std::string::npos) << denied;
  EXPECT_EQ(call("/AuthZPlugin.AuthZReq", create, 555).second["Allow"], true) << "another dockerd: no limit";
  EXPECT_EQ(call("/AuthZPlugin.AuthZReq", R"({"RequestMethod":"GET","RequestUri":"/_ping"})").second["Allow"], true);
  EXPECT_EQ(call("/AuthZPlugin.AuthZRes", R"({"RequestMethod":"GET","RequestUri":"/_ping","ResponseStatusCode":200})")
                .second["Allow"],
            true);
  EXPECT_EQ(call("/AuthZPlugin.AuthZReq", "not json").second["Allow"], false) << "an undecodable request is refused";
  api::HttpRequest truncated{"POST", "/AuthZPlugin.AuthZRes", "{\"RequestMethod\":\"GET\",\"Resp"};
  truncated.body_truncated = true;
  EXPECT_EQ(nlohmann::json::parse(api::authz_plugin_route(l, truncated).body)["Allow"], true)
      << "a response too large to keep is never a create's";
  EXPECT_EQ(call("/Nope", "").first, 404);
}
