// SPDX-License-Identifier: Apache-2.0
// Issue 28's warm pool with Debian's real dockerd: a create takes a dockerd
// that already answers and binds it to the session — its limits written, its
// desktop bridged, its data root the session's — and from then on it is a
// session like any cold one: in the list and the counts, across a crash of
// hydrad, through delete and purge. Parallel creates drain the pool, which
// refills; a member that dies is replaced; members are never sessions.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include <fstream>
#include <future>
#include <set>
#include <sstream>

#include "docker_world.hpp"
#include "loop_fs.hpp"

using namespace hydra::test;
using nlohmann::json;

namespace {

json create_session(DockerWorld& w, const std::string& id, const std::string& extra = "", int want = 201) {
  auto [status, body] =
      w.api("POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":")" + id + "\"" + extra + "}");
  EXPECT_EQ(status, want) << body;
  return json::parse(body, nullptr, false);
}

json pool_of(const DockerWorld& w) {
  const json h = w.hydrad->health();
  return h.is_object() && h.contains("warm_pool") ? h["warm_pool"] : json();
}

bool pool_ready(const DockerWorld& w, int n) {
  return wait_until([&] {
    const json p = pool_of(w);
    return p.is_object() && p.value("ready", -1) == n;
  }, 60000);
}

// Where the session_started event of the dockerd a create answered with
// says it came from. The event is written by hydrad's log thread, maybe just
// after the answer: waited for (by the session and its pid), never assumed.
std::string source_of(DockerWorld& w, const json& created) {
  if (!created.is_object() || !created.contains("pid")) return "no session in " + created.dump();
  const std::string session = created.value("scope_type", "") + "/" + created.value("scope_id", "");
  const int pid = created["pid"].get<int>();
  const json e = w.hydrad->wait_event(
      [&](const json& ev) {
        return ev["event"] == "session_started" && ev["session"] == session && ev.value("pid", 0) == pid;
      },
      10000);
  return e.is_null() ? "no session_started for " + session + " pid " + std::to_string(pid) : e.value("source", "");
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return trim(ss.str());
}

}  // namespace

TEST(PoolE2E, APooledSessionIsARealSession) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(/*live_restore=*/true, "warm_pool = 2\n");
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  ASSERT_TRUE(pool_ready(w, 2)) << pool_of(w);
  // Members are not sessions.
  EXPECT_EQ(json::parse(w.api("GET", "/api/v1/docker-instances").second)["instances"].size(), 0u);
  EXPECT_EQ(w.hydrad->health()["active_instances"], 0);

  json a = create_session(w, "a", R"(,"memory_limit":"256MiB","pids_limit":1024)");
  ASSERT_TRUE(a.is_object());
  EXPECT_EQ(source_of(w, a), "pool");
  EXPECT_EQ(a["status"], "running");
  EXPECT_EQ(a["limits"]["memory"], 256u << 20);
  const int index = a["index"];
  const std::string sock = a.value("docker_socket", "");
  // Its limits are the kernel's, in the member's cgroup, which is the session's.
  const std::string cg = std::string("/sys/fs/cgroup/memory") + test_cgroup_parent(w.dir) + "/h" + std::to_string(index);
  EXPECT_EQ(read_text(cg + "/memory.limit_in_bytes"), std::to_string(256u << 20));
  EXPECT_EQ(read_text(std::string("/sys/fs/cgroup/pids") + test_cgroup_parent(w.dir) + "/h" + std::to_string(index) +
                      "/pids.max"),
            "1024");
  // Made at the lowest priority, it runs at the ordinary one now.
  EXPECT_EQ(getpriority(PRIO_PROCESS, a["pid"].get<int>()), 0);
  // Its data root is the session's (a link to the member's).
  const std::string root = a.value("data_root", "");
  struct stat st {};
  ASSERT_EQ(lstat(root.c_str(), &st), 0) << root;
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(w.docker(sock, "info -f '{{.DockerRootDir}}'").rfind(w.dir + "/sessions/warm-", 0), 0u)
      << w.docker(sock, "info -f '{{.DockerRootDir}}'");
  // A session: listed, counted, running containers, its desktop bridged.
  EXPECT_EQ(json::parse(w.api("GET", "/api/v1/docker-instances").second)["instances"].size(), 1u);
  EXPECT_EQ(w.hydrad->health()["active_instances"], 1);
  ASSERT_TRUE(w.import_busybox(sock));
  EXPECT_EQ(w.docker(sock, "run --rm busybox:hydra sh -c 'echo fine'"), "fine");
  ASSERT_EQ(w.docker_rc(sock, "run -d --name web busybox:hydra httpd -f -p 8080 -h /bin"), 0);
  const std::string ip = w.docker(sock, "inspect -f '{{.NetworkSettings.IPAddress}}' web");
  auto [bstatus, bbody] =
      w.api("POST", "/api/v1/bridge-desktop", R"({"session_id":"session/a","desktop_container_id":"desktop"})");
  ASSERT_EQ(bstatus, 200) << bbody;
  EXPECT_EQ(w.docker_rc(w.main_socket(), "exec desktop timeout 5 wget -q -O /dev/null http://" + ip + ":8080/busybox"),
            0)
      << "the desktop reaches the pooled session's container";
  // The pool refills behind it, on other indexes.
  ASSERT_TRUE(pool_ready(w, 2)) << pool_of(w);
  const std::string metrics = w.api("GET", "/metrics").second;
  EXPECT_NE(metrics.find("hydra_session_create_seconds_count{source=\"pool\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("hydra_warm_pool_ready 2"), std::string::npos) << metrics;
  const std::string status = capture(std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + w.hydrad->socket() + " status");
  EXPECT_NE(status.find("warm pool: 2 ready of 2"), std::string::npos) << status;
  EXPECT_NE(status.find("sessions: 1 running"), std::string::npos) << status;

  // hydrad crashes: the session is adopted as any other; the members it left
  // are discarded, and the pool made again.
  w.hydrad->stop(SIGKILL);
  const size_t before = w.hydrad->event_count();
  ASSERT_TRUE(w.hydrad->start());
  EXPECT_TRUE(w.hydrad->wait_for(
      [](const json& e) { return e["event"] == "session_adopted" && e["session"] == "session/a"; }, 20000, before));
  EXPECT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "warm_pool_member_discarded"; }, 20000,
                                 before));
  ASSERT_TRUE(pool_ready(w, 2)) << pool_of(w);
  const json again = json::parse(w.api("GET", "/api/v1/docker-instances/session/a").second, nullptr, false);
  EXPECT_EQ(again.value("status", ""), "running") << again;
  EXPECT_EQ(again["limits"]["memory"], 256u << 20);
  EXPECT_EQ(w.docker(sock, "ps -q --filter name=web").empty(), false);
  EXPECT_EQ(json::parse(w.api("GET", "/api/v1/docker-instances").second)["instances"].size(), 1u);

  // Delete, then a cold start on its own data root keeps its containers.
  ASSERT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/a").first, 200);
  json cold = create_session(w, "a");
  EXPECT_EQ(source_of(w, cold), "cold") << "a session with a data root starts on it";
  EXPECT_NE(w.docker(cold.value("docker_socket", ""), "ps -a --format '{{.Names}}'").find("web"), std::string::npos);
  // Purge: the link and the member's data root both go.
  ASSERT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/a").first, 200);
  auto [pstatus, pbody] = w.api("DELETE", "/api/v1/docker-instances/session/a/data");
  EXPECT_EQ(pstatus, 200) << pbody;
  EXPECT_NE(lstat(root.c_str(), &st), 0) << "the link is gone";
  std::string left = capture("ls " + w.dir + "/sessions");
  EXPECT_EQ(left.find("warm-" + std::to_string(index) + "-"), std::string::npos) << left;
}

TEST(PoolE2E, ParallelCreatesDrainThePoolWhichRefillsAndReplacesADeadMember) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(/*live_restore=*/true, "warm_pool = 2\n");
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  ASSERT_TRUE(pool_ready(w, 2)) << pool_of(w);
  std::vector<std::future<json>> creates;
  for (const char* id : {"p1", "p2", "p3", "p4"})
    creates.push_back(std::async(std::launch::async, [&w, id] { return create_session(w, id); }));
  std::vector<int> indexes;
  std::vector<json> made;
  for (auto& c : creates) {
    const json s = c.get();
    ASSERT_TRUE(s.is_object() && s.value("status", "") == "running") << s;
    indexes.push_back(s["index"]);
    made.push_back(s);
  }
  std::sort(indexes.begin(), indexes.end());
  EXPECT_EQ(std::unique(indexes.begin(), indexes.end()), indexes.end()) << "no index given twice";
  int pooled = 0, cold = 0;
  for (const json& s : made) {
    pooled += source_of(w, s) == "pool";
    cold += source_of(w, s) == "cold";
  }
  EXPECT_EQ(pooled + cold, 4);
  EXPECT_GE(pooled, 2) << "both members were taken";
  ASSERT_TRUE(pool_ready(w, 2)) << "refilled: " << pool_of(w);
  // max_containers needs dockerd's authorization plugin from its start: cold.
  json limited = create_session(w, "lim", R"(,"max_containers":1)");
  EXPECT_EQ(source_of(w, limited), "cold");
  EXPECT_EQ(pool_of(w)["ready"], 2);

  // A member that dies is discarded and replaced.
  int member_pid = 0;
  for (const auto& e : w.hydrad->events())
    if (e["event"] == "warm_pool_member_ready") member_pid = e["pid"];
  ASSERT_GT(member_pid, 0);
  const size_t before = w.hydrad->event_count();
  ASSERT_EQ(kill(member_pid, SIGKILL), 0);
  EXPECT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "warm_pool_member_discarded"; }, 20000,
                                 before));
  EXPECT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "warm_pool_member_ready"; }, 60000, before));
  EXPECT_TRUE(pool_ready(w, 2)) << pool_of(w);
  EXPECT_EQ(json::parse(w.api("GET", "/api/v1/docker-instances").second)["instances"].size(), 5u)
      << "members are never listed";

  // hydrad leaves: its members go with it, the sessions stay.
  std::set<int> session_pids;
  const json list = json::parse(w.api("GET", "/api/v1/docker-instances").second);
  for (const auto& s : list["instances"]) session_pids.insert(s["pid"].get<int>());
  std::vector<int> member_pids;
  for (const auto& e : w.hydrad->events())
    if (e["event"] == "warm_pool_member_ready" && !session_pids.count(e["pid"].get<int>()))
      member_pids.push_back(e["pid"]);
  w.hydrad->stop(SIGTERM);
  for (int pid : member_pids)
    EXPECT_NE(kill(pid, 0), 0) << "member " << pid << " still runs";
  for (int pid : session_pids) EXPECT_EQ(kill(pid, 0), 0) << "session dockerd " << pid << " runs on";
  EXPECT_EQ(read_text(w.dir + "/state/pool.json").find("\"index\""), std::string::npos)
      << read_text(w.dir + "/state/pool.json");
}

TEST(PoolE2E, BelowMinFreeThePoolGivesWayFirstAndComesBackAfter) {
  HYDRA_REQUIRE_DOCKERD();
  LoopFs fs(400);
  ASSERT_TRUE(fs.ok) << "could not make a loop-mounted ext4 in " << fs.dir;
  DockerWorld w(true, "warm_pool = 1\n[storage]\nmin_free = \"64MiB\"\ncheck_interval = 1\n", true, fs.mnt);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  ASSERT_TRUE(pool_ready(w, 1)) << pool_of(w);
  const size_t before = w.hydrad->event_count();
  ASSERT_TRUE(fs.fill_to(48u << 20));
  EXPECT_TRUE(w.hydrad->wait_for(
      [](const json& e) {
        return e["event"] == "warm_pool_member_discarded" &&
               e.value("reason", "").find("min_free") != std::string::npos;
      },
      20000, before))
      << "the member went when the disk ran short";
  EXPECT_TRUE(wait_until([&] { return pool_of(w).value("ready", -1) == 0; }, 10000)) << pool_of(w);
  std::string left = capture("ls " + fs.mnt);
  EXPECT_EQ(left.find("warm-"), std::string::npos) << "its data root went too: " << left;
  // Space again: the pool is made again.
  fs.unfill();
  EXPECT_TRUE(pool_ready(w, 1)) << pool_of(w);
}

// A pool for default_golden: while the golden is absent its members are empty
// (a cold start would begin empty too); once made, they are replaced by
// clones of it and a create gets one — its containers and images there, a
// `docker run` of the golden's image at once. Made again under the same name,
// the golden is another golden (its id): the members cloned from the first
// are replaced, and a create never gets the old one's data.
TEST(PoolE2E, ADefaultGoldenPoolServesClonesAndFollowsTheGoldenWhenMadeAgain) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(/*live_restore=*/true, "warm_pool = 1\ndefault_golden = \"base\"\n");
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  ASSERT_TRUE(pool_ready(w, 1)) << pool_of(w);

  // The golden's source, from the pool's empty member (base is absent).
  json src = create_session(w, "src");
  ASSERT_TRUE(src.is_object());
  EXPECT_EQ(source_of(w, src), "pool");
  const std::string src_sock = src.value("docker_socket", "");
  ASSERT_TRUE(w.import_busybox(src_sock));
  ASSERT_EQ(w.docker_rc(src_sock, "create --name marker1 busybox:hydra sh -c :"), 0);
  ASSERT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/src").first, 200);
  ASSERT_TRUE(pool_ready(w, 1)) << "refilled (empty: base is still absent) " << pool_of(w);
  size_t before = w.hydrad->event_count();
  auto [g1st, g1body] = w.api("POST", "/api/v1/goldens", R"({"name":"base","from":"session/src"})");
  ASSERT_EQ(g1st, 201) << g1body;
  const std::string id1 = json::parse(g1body).value("id", "");
  EXPECT_EQ(id1.size(), 16u) << g1body;
  auto member_of = [&](const std::string& id) {
    return [id](const json& e) {
      return e["event"] == "warm_pool_member_ready" && e.value("golden", "") == "base" && e.value("golden_id", "") == id;
    };
  };
  ASSERT_TRUE(w.hydrad->wait_for(member_of(id1), 60000, before)) << "a member cloned from base";
  EXPECT_TRUE(w.hydrad->wait_for(
      [](const json& e) {
        return e["event"] == "warm_pool_member_discarded" &&
               e.value("reason", "").find("default_golden base was made") != std::string::npos;
      },
      1, before))
      << "the empty member was replaced";
  ASSERT_TRUE(pool_ready(w, 1)) << pool_of(w);

  json a = create_session(w, "a");
  ASSERT_TRUE(a.is_object());
  EXPECT_EQ(source_of(w, a), "pool");
  EXPECT_EQ(a.value("golden", ""), "base") << a;
  const std::string a_sock = a.value("docker_socket", "");
  EXPECT_EQ(w.docker(a_sock, "ps -a --format '{{.Names}}'"), "marker1");
  EXPECT_EQ(w.docker(a_sock, "run --rm busybox:hydra sh -c 'echo fine'"), "fine") << "the golden's image, at once";

  // base made again from a changed source: another golden.
  json src2 = create_session(w, "src");  // its own data root: cold
  ASSERT_TRUE(src2.is_object());
  EXPECT_EQ(source_of(w, src2), "cold");
  const std::string src2_sock = src2.value("docker_socket", "");  // its index may be another now
  ASSERT_EQ(w.docker_rc(src2_sock, "rm marker1"), 0);
  ASSERT_EQ(w.docker_rc(src2_sock, "create --name marker2 busybox:hydra sh -c :"), 0);
  ASSERT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/src").first, 200);
  ASSERT_TRUE(pool_ready(w, 1)) << pool_of(w);
  before = w.hydrad->event_count();
  ASSERT_EQ(w.api("DELETE", "/api/v1/goldens/base").first, 200);
  auto [g2st, g2body] = w.api("POST", "/api/v1/goldens", R"({"name":"base","from":"session/src"})");
  ASSERT_EQ(g2st, 201) << g2body;
  const std::string id2 = json::parse(g2body).value("id", "");
  EXPECT_NE(id2, id1);
  ASSERT_TRUE(w.hydrad->wait_for(member_of(id2), 60000, before)) << "a member cloned from the new base";
  ASSERT_TRUE(pool_ready(w, 1)) << pool_of(w);
  json b = create_session(w, "b");
  ASSERT_TRUE(b.is_object());
  EXPECT_EQ(source_of(w, b), "pool");
  EXPECT_EQ(w.docker(b.value("docker_socket", ""), "ps -a --format '{{.Names}}'"), "marker2")
      << "a clone of base as it is now, never as it was";
}
