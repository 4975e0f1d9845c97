// SPDX-License-Identifier: Apache-2.0
// Issue 28's shared containerd with Debian's real dockerd and containerd:
// one containerd serves every session dockerd (a containerd namespace
// each); killed under running containers it stops none of them, hydrad
// starts it again and every dockerd works on with it; a host-network
// container still sees its own session's network; the next hydrad adopts
// it, and a hydrad leaving no session behind ends it.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "docker_world.hpp"

using namespace hydra::test;
using nlohmann::json;

namespace {

json create_session(DockerWorld& w, const std::string& id) {
  auto [status, body] =
      w.api("POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":")" + id + "\"}");
  EXPECT_EQ(status, 201) << body;
  return json::parse(body, nullptr, false);
}

std::string cmdline_of(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  for (char& c : s)
    if (c == '\0') c = ' ';
  return s;
}

// The containerds of the sessions under `dir` (not the main dockerd's).
std::vector<int> containerds_under(const std::string& dir) {
  std::vector<int> out;
  std::stringstream ps(capture("pgrep -f '" + dir + "/run/'"));
  int pid = 0;
  while (ps >> pid) {
    const std::string cmd = cmdline_of(pid);
    if (cmd.rfind("/usr/bin/containerd --config", 0) == 0 || cmd.rfind("containerd --config", 0) == 0)
      out.push_back(pid);
  }
  return out;
}

// An HTTP GET from inside a session's namespace (not through its dockerd).
bool serves(const std::string& netns, const std::string& ip) {
  return system(("nsenter --net=" + netns + " curl -s -m 3 -o /dev/null http://" + ip + ":8080/busybox").c_str()) ==
         0;
}

int shared_containerd_pid(const DockerWorld& w) {
  const json h = w.hydrad->health();
  return h.is_object() && h.contains("containerd") ? h["containerd"].value("pid", 0) : 0;
}

}  // namespace

TEST(ContainerdE2E, OneContainerdServesEverySessionAndItsCrashStopsNoContainer) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(/*live_restore=*/false);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  json a = create_session(w, "a");
  json b = create_session(w, "b");
  ASSERT_TRUE(a.is_object() && b.is_object());
  const std::string sa = a.value("docker_socket", ""), sb = b.value("docker_socket", "");

  // One containerd, hydrad's, for both; each dockerd points at it.
  const json health = w.hydrad->health();
  ASSERT_TRUE(health.contains("containerd")) << health;
  EXPECT_EQ(health["containerd"]["mode"], "shared");
  EXPECT_EQ(health["containerd"]["running"], true);
  const int first = shared_containerd_pid(w);
  ASSERT_GT(first, 0) << health;
  EXPECT_EQ(containerds_under(w.dir), std::vector<int>{first}) << "no containerd per session";
  for (const json& s : {a, b})
    EXPECT_NE(cmdline_of(s["pid"].get<int>()).find("--containerd=" + w.dir + "/run/containerd/containerd.sock"),
              std::string::npos)
        << cmdline_of(s["pid"].get<int>());
  EXPECT_EQ(w.hydrad->count("containerd_started"), 1u);
  const std::string status = capture(std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + w.hydrad->socket() + " status");
  EXPECT_NE(status.find("containerd: shared, pid " + std::to_string(first)), std::string::npos) << status;

  ASSERT_TRUE(w.import_busybox(sa));
  ASSERT_TRUE(w.import_busybox(sb));
  ASSERT_EQ(w.docker_rc(sa, "run -d --name web busybox:hydra httpd -f -p 8080 -h /bin"), 0);
  ASSERT_EQ(w.docker_rc(sb, "run -d --name web busybox:hydra httpd -f -p 8080 -h /bin"), 0);
  const std::string ip_a = w.docker(sa, "inspect -f '{{.NetworkSettings.IPAddress}}' web");
  const std::string ip_b = w.docker(sb, "inspect -f '{{.NetworkSettings.IPAddress}}' web");
  const std::string ns_a = a.value("netns", ""), ns_b = b.value("netns", "");
  ASSERT_TRUE(serves(ns_a, ip_a) && serves(ns_b, ip_b)) << ip_a << " " << ip_b;
  // A host-network container is in its session's namespace (the uplink is
  // there), not in the shared containerd's.
  const std::string host_links = w.docker(sa, "run --rm --network host busybox:hydra ip -o link");
  EXPECT_NE(host_links.find(" uplink@"), std::string::npos) << host_links;
  EXPECT_EQ(host_links.find("docker0"), std::string::npos) << host_links;

  // containerd dies: the containers serve on; hydrad starts it again.
  const size_t before = w.hydrad->event_count();
  ASSERT_EQ(kill(first, SIGKILL), 0);
  EXPECT_TRUE(serves(ns_a, ip_a) && serves(ns_b, ip_b)) << "served while containerd was down";
  EXPECT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "containerd_exited"; }, 10000, before));
  EXPECT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "containerd_started"; }, 20000, before));
  const int second = shared_containerd_pid(w);
  EXPECT_GT(second, 0);
  EXPECT_NE(second, first);
  EXPECT_EQ(w.hydrad->health()["containerd"]["restarts"], 1);
  EXPECT_TRUE(serves(ns_a, ip_a) && serves(ns_b, ip_b)) << "serve after containerd came back";
  // Both dockerds work with the new containerd: the old container is theirs
  // still (exec, stop), and new ones run.
  EXPECT_TRUE(wait_until([&] { return w.docker_rc(sa, "exec web sh -c :") == 0; }, 30000)) << w.docker(sa, "exec web sh -c :");
  EXPECT_TRUE(wait_until([&] { return w.docker_rc(sb, "exec web sh -c :") == 0; }, 30000)) << w.docker(sb, "exec web sh -c :");
  EXPECT_EQ(w.docker(sb, "run --rm busybox:hydra sh -c 'echo fine'"), "fine");
  EXPECT_EQ(w.docker_rc(sa, "stop -t 1 web"), 0);
  EXPECT_EQ(w.docker(sa, "ps -q"), "");
  EXPECT_TRUE(serves(ns_b, ip_b)) << "b's web is not a's";
}

TEST(ContainerdE2E, TheNextHydradAdoptsItAndOneLeavingNoSessionEndsIt) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(/*live_restore=*/true);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  json a = create_session(w, "a");
  ASSERT_TRUE(a.is_object());
  const std::string sa = a.value("docker_socket", "");
  ASSERT_TRUE(w.import_busybox(sa));
  ASSERT_EQ(w.docker_rc(sa, "run -d --name web busybox:hydra httpd -f -p 8080 -h /bin"), 0);
  const std::string ip = w.docker(sa, "inspect -f '{{.NetworkSettings.IPAddress}}' web");
  const int pid = shared_containerd_pid(w);
  ASSERT_GT(pid, 0);

  // hydrad crashes and comes back: the same containerd, adopted.
  w.hydrad->stop(SIGKILL);
  EXPECT_TRUE(serves(a.value("netns", ""), ip));
  const size_t before = w.hydrad->event_count();
  ASSERT_TRUE(w.hydrad->start());
  EXPECT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "containerd_adopted"; }, 20000, before));
  EXPECT_EQ(shared_containerd_pid(w), pid);
  EXPECT_EQ(containerds_under(w.dir), std::vector<int>{pid});
  EXPECT_TRUE(wait_until([&] { return w.docker_rc(sa, "exec web sh -c :") == 0; }, 30000));

  // A session dockerd killed with live-restore leaves its container under
  // the shared containerd: the delete ends its shim and container.
  const std::string shim_cmd = "pgrep -f '[c]ontainerd-shim-runc-v2 -namespace hydra1 '";
  EXPECT_FALSE(trim(capture(shim_cmd)).empty()) << "a's shim runs";
  ASSERT_EQ(kill(a["pid"].get<int>(), SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] { return json::parse(w.hydrad->get("/api/v1/docker-instances/session/a"),
                                                  nullptr, false).value("status", "") != "running"; },
                         20000));
  EXPECT_TRUE(wait_until([&] { return trim(capture(shim_cmd)).empty(); }, 20000))
      << "the shim of a's container ended: " << capture(shim_cmd);
  EXPECT_FALSE(serves(a.value("netns", ""), ip));
  EXPECT_EQ(shared_containerd_pid(w), pid) << "the shared containerd itself is nobody's leftover";
  EXPECT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "session_leftovers_ended"; }, 10000,
                                 before));

  // hydrad leaves with no session running: containerd goes with it.
  (void)w.api("DELETE", "/api/v1/docker-instances/session/a");
  const size_t before_stop = w.hydrad->event_count();
  w.hydrad->stop(SIGTERM);
  bool stopped = false;
  for (size_t i = before_stop; i < w.hydrad->events().size(); ++i)
    stopped |= w.hydrad->events()[i]["event"] == "containerd_stopped";
  EXPECT_TRUE(stopped);
  EXPECT_TRUE(containerds_under(w.dir).empty());
}

TEST(ContainerdE2E, PerSessionModeGivesEachDockerdItsOwn) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(/*live_restore=*/false, "containerd = \"per-session\"\n");
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  json a = create_session(w, "a");
  json b = create_session(w, "b");
  ASSERT_TRUE(a.is_object() && b.is_object());
  EXPECT_EQ(w.hydrad->health()["containerd"]["mode"], "per-session");
  EXPECT_EQ(w.hydrad->count("containerd_started"), 0u);
  EXPECT_EQ(cmdline_of(a["pid"].get<int>()).find("--containerd="), std::string::npos);
  EXPECT_TRUE(wait_until([&] { return containerds_under(w.dir).size() == 2; }, 10000))
      << containerds_under(w.dir).size();
  ASSERT_TRUE(w.import_busybox(a.value("docker_socket", "")));
  EXPECT_EQ(w.docker(a.value("docker_socket", ""), "run --rm busybox:hydra sh -c 'echo fine'"), "fine");
}
