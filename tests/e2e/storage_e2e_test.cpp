// SPDX-License-Identifier: Apache-2.0
// The disk under the sessions: a nearly full filesystem refuses creates
// (507), a critically full one gets the running sessions' containers stopped
// (never removed), and garbage collection purges only stopped sessions the
// caller no longer wants. The data roots live on a small ext4 filesystem the
// test loop-mounts; Debian's real dockerd.
#include <gtest/gtest.h>

#include <future>

#include "loop_fs.hpp"

using namespace hydra::test;
using nlohmann::json;

namespace {

const char* create_body(const char* id) {
  static std::string body;
  body = std::string(R"({"scope_type":"session","scope_id":")") + id + "\"}";
  return body.c_str();
}

}  // namespace

TEST(StorageE2E, DiskPressureBrakesAndGarbageCollection) {
  HYDRA_REQUIRE_DOCKERD();
  LoopFs fs(400);
  ASSERT_TRUE(fs.ok) << "could not make a loop-mounted ext4 in " << fs.dir;
  DockerWorld w(true, "[storage]\nmin_free = \"64MiB\"\ncritical_free = \"32MiB\"\ncheck_interval = 1\n", true, fs.mnt);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;

  auto [st1, b1] = w.api("POST", "/api/v1/docker-instances", create_body("s1"));
  ASSERT_EQ(st1, 201) << b1;
  const std::string sock1 = json::parse(b1)["docker_socket"];
  ASSERT_TRUE(w.import_busybox(sock1));
  ASSERT_EQ(w.docker_rc(sock1, "run -d --init --name c1 busybox:hydra sleep 100000"), 0);
  ASSERT_EQ(w.api("POST", "/api/v1/docker-instances", create_body("s2")).first, 201);
  ASSERT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/s2").first, 200);  // stopped, data kept

  // Below min_free: creates are refused with 507, naming the space and the threshold.
  ASSERT_TRUE(fs.fill_to(48u << 20));
  auto [full, why] = w.api("POST", "/api/v1/docker-instances", create_body("s3"));
  EXPECT_EQ(full, 507) << why;
  EXPECT_NE(why.find("free space on " + fs.mnt + " is "), std::string::npos) << why;
  EXPECT_NE(why.find("below [storage] min_free 64.0 MiB"), std::string::npos) << why;
  EXPECT_EQ(w.api("GET", "/api/v1/docker-instances/session/s3").first, 404) << "a refused create changes nothing";
  auto [golden, golden_why] = w.api("POST", "/api/v1/goldens", R"({"name":"g","from":"session/s2"})");
  EXPECT_EQ(golden, 507) << golden_why;
  EXPECT_NE(golden_why.find("below [storage] min_free"), std::string::npos) << golden_why;
  EXPECT_EQ(w.api("GET", "/api/v1/goldens/g").first, 404);
  EXPECT_EQ(w.hydrad->count("disk_critical"), 0u) << "above critical_free: nothing stopped";
  EXPECT_EQ(w.docker(sock1, "ps -q --filter name=c1").empty(), false);
  auto metrics = w.api("GET", "/metrics").second;
  EXPECT_NE(metrics.find("hydra_filesystem_free_bytes{path=\"" + fs.mnt + "\"}"), std::string::npos) << metrics;

  // Below critical_free: the running session's containers are stopped, not removed.
  ASSERT_TRUE(fs.fill_to(16u << 20));
  ASSERT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "disk_brake" && e["session"] == "session/s1"; },
                                 20000));
  EXPECT_GE(w.hydrad->count("disk_critical"), 1u);
  EXPECT_TRUE(wait_until([&] { return w.docker(sock1, "ps -q --filter name=c1").empty(); }, 20000, 50)) << "c1 stopped";
  EXPECT_NE(w.docker(sock1, "ps -aq --filter name=c1"), "") << "c1 still there, stopped";
  EXPECT_EQ(json::parse(w.api("GET", "/api/v1/docker-instances/session/s1").second)["status"], "running");

  // Space again: creates go through.
  fs.unfill();
  ASSERT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "disk_critical_cleared"; }, 20000));
  ASSERT_EQ(w.api("POST", "/api/v1/docker-instances", create_body("s3")).first, 201);

  // Garbage collection: s2 (stopped, not live) goes; s1 (live), s3 (running)
  // and s4 (being created while the collection runs) stay, whatever the grace.
  auto dry = json::parse(w.api("POST", "/api/v1/gc/reconcile",
                               R"({"live":["session/s1"],"grace_period_seconds":0,"dry_run":true})").second);
  ASSERT_EQ(dry["removed"].size(), 1u) << dry;
  EXPECT_EQ(dry["removed"][0]["session"], "session/s2");
  EXPECT_GT(dry["removed"][0]["bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(w.api("GET", "/api/v1/docker-instances/session/s2").first, 200) << "a dry run removes nothing";
  auto creating = std::async(std::launch::async, [&] { return w.api("POST", "/api/v1/docker-instances", create_body("s4")); });
  auto real = json::parse(w.api("POST", "/api/v1/gc/reconcile", R"({"live":[],"grace_period_seconds":0})").second);
  EXPECT_EQ(creating.get().first, 201);
  ASSERT_EQ(real["removed"].size(), 1u) << real;
  EXPECT_EQ(real["removed"][0]["session"], "session/s2");
  EXPECT_GT(real["bytes_freed"].get<uint64_t>(), 0u);
  EXPECT_EQ(w.api("GET", "/api/v1/docker-instances/session/s2").first, 404) << "purged";
  for (const char* kept : {"s1", "s3", "s4"})
    EXPECT_EQ(json::parse(w.api("GET", std::string("/api/v1/docker-instances/session/") + kept).second)["status"],
              "running")
        << kept;
  // A grace period longer than the stop: nothing.
  ASSERT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/s4").first, 200);
  auto graced = json::parse(w.api("POST", "/api/v1/gc/reconcile", R"({"live":[],"grace_period_seconds":3600})").second);
  EXPECT_TRUE(graced["removed"].empty()) << graced;
  // Bad requests change nothing.
  EXPECT_EQ(w.api("POST", "/api/v1/gc/reconcile", R"({"grace_period_seconds":0})").first, 400) << "live is required";
  EXPECT_EQ(w.api("POST", "/api/v1/gc/reconcile", R"({"live":["s1"]})").first, 400) << "type/id";
  EXPECT_EQ(w.api("POST", "/api/v1/gc/reconcile", R"({"live":[],"grace_period_seconds":-1})").first, 400);
  EXPECT_EQ(w.api("GET", "/api/v1/docker-instances/session/s4").first, 200);
}
