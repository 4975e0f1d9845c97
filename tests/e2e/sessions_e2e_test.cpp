// SPDX-License-Identifier: Apache-2.0
// Sessions end to end with Debian's real dockerd, inside namespaces.
#include <gtest/gtest.h>

#include <future>

#include "docker_world.hpp"

using namespace hydra::test;
using nlohmann::json;

namespace {

// These tests look at session bridges in the sandbox's own namespace (and the
// guard repairing what a shared session did): the shared mode.
const char* kShared = "network = \"shared\"\n";

const char* kCreate = R"({"scope_type":"session","scope_id":"s1","user_id":"u1"})";

std::string session_socket(const json& s) { return s["docker_socket"].get<std::string>(); }

// Restarts s1 (DELETE, then POST) and returns the new instance.
json restart(DockerWorld& w) {
  EXPECT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/s1").first, 200);
  auto [status, body] = w.api("POST", "/api/v1/docker-instances", kCreate);
  EXPECT_EQ(status, 201) << body;
  return json::parse(body, nullptr, false);
}

::testing::AssertionResult reaches(DockerWorld& w, const std::string& container, const std::string& url) {
  if (w.docker_rc(w.main_socket(), "exec " + container + " timeout 5 wget -q -O /dev/null " + url) == 0)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << container << " cannot fetch " << url << ": "
                                       << w.docker(w.main_socket(), "exec " + container + " timeout 5 wget -O /dev/null " + url)
                                       << "\nroutes: " << w.docker(w.main_socket(), "exec " + container + " ip route");
}

}  // namespace

TEST(SessionsE2E, SessionDesktopAndPreventedDeletion) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(/*live_restore=*/true, kShared);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  const std::string docker0 = w.docker0_ifindex();

  auto [status, body] = w.api("POST", "/api/v1/docker-instances", kCreate);
  ASSERT_EQ(status, 201) << body;
  json s1 = json::parse(body);
  EXPECT_EQ(s1["bridge_name"], "hydra1");
  EXPECT_EQ(s1["subnet"], "10.200.1.0/24");
  EXPECT_EQ(s1["gateway"], "10.200.1.1");
  EXPECT_EQ(s1["address_pool"], "10.112.0.0/20");
  EXPECT_EQ(s1["status"], "running");
  EXPECT_EQ(s1["docker_host"], "unix://" + session_socket(s1));
  EXPECT_EQ(w.api("POST", "/api/v1/docker-instances", kCreate).first, 200) << "asking again returns it";

  // A user's container on a network from the session's pool.
  ASSERT_TRUE(w.import_busybox(session_socket(s1)));
  ASSERT_EQ(w.docker_rc(session_socket(s1), "network create usernet"), 0);
  ASSERT_EQ(w.docker_rc(session_socket(s1), "run -d --name api --network usernet busybox:hydra httpd -f -p 8080 -h /bin"), 0);
  std::string api_ip = w.docker(session_socket(s1), "inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' api");
  ASSERT_EQ(api_ip.rfind("10.112.", 0), 0u) << api_ip;

  auto [bstatus, bbody] = w.api("POST", "/api/v1/bridge-desktop",
                                R"({"session_id":"session/s1","desktop_container_id":"desktop"})");
  ASSERT_EQ(bstatus, 200) << bbody;
  EXPECT_EQ(json::parse(bbody)["desktop_ip"], "10.200.1.254");
  EXPECT_EQ(w.api("POST", "/api/v1/bridge-desktop", R"({"session_id":"session/s1","desktop_container_id":"desktop"})").first, 200)
      << "idempotent";
  EXPECT_TRUE(reaches(w, "desktop", "http://" + api_ip + ":8080/busybox")) << "desktop → user container by IP";
  EXPECT_TRUE(reaches(w, "desktop", "http://192.0.2.1:8080/hello")) << "desktop → upstream through eth0";
  auto metrics = w.api("GET", "/metrics").second;
  EXPECT_NE(metrics.find("hydra_sessions{state=\"running\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("hydra_session_start_duration_seconds_count 1"), std::string::npos) << metrics;
  // hydractl's views of the same.
  std::string ctl = std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + w.hydrad->socket();
  auto table = capture(ctl + " session list");
  EXPECT_NE(table.find("session/s1"), std::string::npos) << table;
  EXPECT_NE(table.find("hydra1"), std::string::npos) << table;
  auto listed = json::parse(capture(ctl + " session list --json"), nullptr, false);
  ASSERT_TRUE(listed.is_object() && listed["instances"].is_array()) << listed;
  EXPECT_EQ(listed["instances"][0]["scope_id"], "s1");
  auto shown = json::parse(capture(ctl + " session inspect s1 --json"), nullptr, false);
  EXPECT_EQ(shown["desktop"]["ip"], "10.200.1.254");
  EXPECT_NE(capture(ctl + " session inspect s1").find("10.112.0.0/20"), std::string::npos);
  EXPECT_NE(sh(ctl + " session inspect nope"), 0) << "unknown session: non-zero exit";
  // The list's count is the last one taken (inspect took one now): it says how old.
  const std::string relisted = capture(ctl + " session list");
  EXPECT_NE(relisted.find("s ago)"), std::string::npos) << relisted;
  // The list's own form is accepted; a malformed id is refused by hydractl (2).
  auto by_ref = json::parse(capture(ctl + " session inspect session/s1 --json"), nullptr, false);
  EXPECT_EQ(by_ref.is_object() ? by_ref.value("scope_id", "") : "", "s1") << by_ref;
  EXPECT_EQ(sh(ctl + " session inspect session/session/s1"), 2);
  // The topology, drawn from inside the sandbox.
  std::string topo = capture(w.in_sbx(ctl + " topology --docker-socket " + w.main_socket()));
  for (const char* want : {"docker0  bridge  10.213.0.1/24", "guarded by hydrad: guarded", "→ container buildkit (eth0)",
                           "→ container desktop (eth0)", "hydra1  bridge  10.200.1.1/24", "session session/s1",
                           "vethb-h1 → container desktop (eth1)", "[desktop link]", "→ container api (eth0, session/s1)",
                           "network of session session/s1", "eth0  veth  192.0.2.2/24"})
    EXPECT_NE(topo.find(want), std::string::npos) << "missing \"" << want << "\" in:\n" << topo;
  EXPECT_NE(topo.find("hydrad's network namespace (net:["), std::string::npos) << topo;
  // From this machine's own namespace it draws hydrad's all the same, and says so.
  std::string outside = capture(ctl + " topology --docker-socket " + w.main_socket());
  for (const char* want : {"hydrad's network namespace (net:[", "not this shell's", "docker0  bridge  10.213.0.1/24",
                           "guarded by hydrad: guarded", "→ container buildkit (eth0)"})
    EXPECT_NE(outside.find(want), std::string::npos) << "missing \"" << want << "\" in:\n" << outside;
  std::string dot = capture(w.in_sbx(ctl + " topology --dot --docker-socket " + w.main_socket()));
  EXPECT_EQ(dot.rfind("digraph sandbox {", 0), 0u) << dot;
  EXPECT_NE(dot.find("\"docker0\" -> \"container buildkit\""), std::string::npos) << dot;
  auto inspect = json::parse(w.api("GET", "/api/v1/docker-instances/session/s1").second);
  EXPECT_EQ(inspect["container_count"], 1);
  EXPECT_GT(inspect["pid"].get<int>(), 0);
  EXPECT_GE(inspect["uptime_seconds"].get<int>(), 0);

  // Two restarts: live-restore keeps the session dockerd off docker0.
  for (int i = 0; i < 2; ++i) {
    json again = restart(w);
    EXPECT_EQ(again["bridge_name"], "hydra1");
  }
  EXPECT_EQ(w.docker0_ifindex(), docker0) << "docker0 never deleted";
  EXPECT_EQ(w.hydrad->count("bridge_restored"), 0u);
  for (const auto& e : w.hydrad->events()) {
    if (e["event"] == "session_started") {
      EXPECT_EQ(e["protected_bridges_touched"], false);
    }
  }
  EXPECT_TRUE(reaches(w, "buildkit", "http://192.0.2.1:8080/hello"));

  // Delete: bridge and veth gone, data kept; purge: data gone.
  std::string data_root = s1["data_root"];
  ASSERT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/s1").first, 200);
  EXPECT_EQ(w.sbx.ip("link show hydra1"), 1);
  EXPECT_EQ(w.sbx.ip("link show vethb-h1"), 1);
  struct stat st {};
  EXPECT_EQ(stat(data_root.c_str(), &st), 0) << "data kept";
  EXPECT_EQ(json::parse(w.api("GET", "/api/v1/docker-instances/session/s1").second)["status"], "stopped");
  ASSERT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/s1/data").first, 200);
  EXPECT_NE(stat(data_root.c_str(), &st), 0) << "data purged";
  EXPECT_EQ(w.api("GET", "/api/v1/docker-instances/session/s1").first, 404) << "purged: forgotten";
}

TEST(SessionsE2E, WithoutPreventionTheGuardRestoresDocker0) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(/*live_restore=*/false, kShared);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  ASSERT_EQ(w.api("POST", "/api/v1/docker-instances", kCreate).first, 201);
  const size_t before = w.hydrad->event_count();
  const json second = restart(w);  // the second start of a dockerd with a kept data root deletes docker0
  ASSERT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "bridge_restored"; }, 10000, before))
      << "dockerd without live-restore deletes docker0; the guard puts it back";
  const json started = w.hydrad->wait_event(
      [&](const json& e) { return e["event"] == "session_started" && e.value("pid", 0) == second.value("pid", -1); },
      10000, before);
  ASSERT_FALSE(started.is_null()) << "no session_started for " << second;
  EXPECT_EQ(started["protected_bridges_touched"], true) << "the second start's event says docker0 was touched: "
                                                        << started;
  for (const char* c : {"buildkit", "desktop"}) {
    EXPECT_EQ(w.docker_rc(w.main_socket(), std::string("exec ") + c + " ping -c1 -W2 10.213.0.1"), 0) << c;
    EXPECT_TRUE(reaches(w, c, "http://192.0.2.1:8080/hello")) << c << " → upstream";
  }
}

TEST(SessionsE2E, BadRequestsGetTheirStatus) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(true);
  ASSERT_TRUE(w.ok);
  struct Case {
    const char* method;
    std::string path;
    std::string body;
    int status;
  };
  std::string big(70 * 1024, 'x');
  for (const auto& c : std::vector<Case>{
           {"POST", "/api/v1/docker-instances", R"({"scope_type":"pod","scope_id":"s1"})", 400},
           {"POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"a/b"})", 400},
           {"POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":")" + std::string(65, 'a') + "\"}", 400},
           {"POST", "/api/v1/docker-instances", R"({"scope_type":"session"})", 400},
           {"POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"s1","max_containers":"2"})", 400},
           {"POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"s1","max_containers":-1})", 400},
           {"POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"s1","use_host_docker":true})", 403},
           {"POST", "/api/v1/docker-instances", "not json", 400},
           {"POST", "/api/v1/docker-instances", "{\"scope_id\":\"" + big + "\"}", 413},
           {"GET", "/api/v1/docker-instances/session/nope", "", 404},
           {"GET", "/api/v1/docker-instances/bogus/s1", "", 400},
           {"DELETE", "/api/v1/docker-instances/session/nope", "", 200},
           {"DELETE", "/api/v1/docker-instances/session/nope/data", "", 200},
           {"POST", "/api/v1/bridge-desktop", R"({"session_id":"session/nope","desktop_container_id":"desktop"})", 404},
           {"POST", "/api/v1/bridge-desktop", R"({"session_id":"nope","desktop_container_id":"desktop"})", 404},
           {"POST", "/api/v1/bridge-desktop", R"({"session_id":"a b","desktop_container_id":"desktop"})", 400},
           {"POST", "/api/v1/privileged-mode/status", "", 405},
           {"PUT", "/api/v1/docker-instances", "", 405},
       }) {
    auto [status, body] = w.api(c.method, c.path, c.body);
    EXPECT_EQ(status, c.status) << c.method << " " << c.path << " " << c.body.substr(0, 80) << " → " << body;
    if (status >= 400) {
      EXPECT_NE(body.find("\"error\""), std::string::npos) << body;
    }
  }
  // A desktop that does not exist, on a running session: 404 from the main dockerd.
  ASSERT_EQ(w.api("POST", "/api/v1/docker-instances", kCreate).first, 201);
  EXPECT_EQ(w.api("POST", "/api/v1/bridge-desktop", R"({"session_id":"session/s1","desktop_container_id":"ghost"})").first, 404);
  // Purging a running session is refused.
  EXPECT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/s1/data").first, 409);
}

TEST(SessionsE2E, AdoptionRebridgeAndCrash) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(true, kShared);
  ASSERT_TRUE(w.ok);
  auto [status, body] = w.api("POST", "/api/v1/docker-instances", kCreate);
  ASSERT_EQ(status, 201) << body;
  const char* bridge = R"({"session_id":"session/s1","desktop_container_id":"desktop"})";
  ASSERT_EQ(w.api("POST", "/api/v1/bridge-desktop", bridge).first, 200);
  int pid = json::parse(w.api("GET", "/api/v1/docker-instances/session/s1").second)["pid"];

  // hydrad dies and comes back: the running session dockerd is adopted, not orphaned.
  w.hydrad->stop(SIGKILL);
  ASSERT_TRUE(w.hydrad->start());
  EXPECT_EQ(w.hydrad->count("session_adopted"), 1u);
  auto s = json::parse(w.api("GET", "/api/v1/docker-instances/session/s1").second);
  EXPECT_EQ(s["status"], "running");
  EXPECT_EQ(s["pid"], pid);

  // The desktop restarts (new pid, new namespace): bridging again re-creates its leg.
  ASSERT_EQ(w.docker_rc(w.main_socket(), "restart -t 1 desktop"), 0);
  EXPECT_NE(w.docker_rc(w.main_socket(), "exec desktop ip link show eth1"), 0) << "the old leg went with its namespace";
  ASSERT_EQ(w.api("POST", "/api/v1/bridge-desktop", bridge).first, 200);
  EXPECT_NE(w.docker(w.main_socket(), "exec desktop ip -4 addr show eth1").find("10.200.1.254/24"), std::string::npos);
  EXPECT_TRUE(w.hydrad->wait_for(
      [](const json& e) { return e["event"] == "desktop_bridged" && e.value("rebridged", false); }, 10000));
  EXPECT_NE(trim(capture("nsenter --net=" + w.sbx.path() + " iptables -S DOCKER-USER")).find("hydra desktop hydra1"),
            std::string::npos);

  // Undo the bridge: leg and rules gone.
  ASSERT_EQ(w.api("DELETE", "/api/v1/bridge-desktop/session/s1").first, 200);
  EXPECT_NE(w.sbx.ip("link show vethb-h1"), 0);
  EXPECT_EQ(trim(capture("nsenter --net=" + w.sbx.path() + " iptables -S DOCKER-USER")).find("hydra desktop"),
            std::string::npos);
  EXPECT_EQ(w.api("DELETE", "/api/v1/bridge-desktop/session/s1").first, 404);

  // The session dockerd crashes: marked exited with its code, its bridge removed.
  kill(pid, SIGKILL);
  ASSERT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "session_exited"; }, 10000));
  s = json::parse(w.api("GET", "/api/v1/docker-instances/session/s1").second);
  EXPECT_EQ(s["status"], "error") << "Hydra's word for a dockerd that died on its own";
  EXPECT_EQ(s["state"], "exited");
  EXPECT_NE(s.value("error", "").find("exited with code"), std::string::npos) << s;
  EXPECT_TRUE(s.contains("exit_code"));
  EXPECT_NE(w.sbx.ip("link show hydra1"), 0);
  // Asking again starts it anew.
  auto again = w.api("POST", "/api/v1/docker-instances", kCreate);
  EXPECT_EQ(again.first, 201) << again.second;
}

TEST(SessionsE2E, StopOnExitStopsSessionsWithHydrad) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(true, kShared);
  ASSERT_TRUE(w.ok);
  // Same world, hydrad restarted with stop_on_exit.
  w.hydrad->stop(SIGTERM);
  std::ofstream(w.dir + "/hydra.toml", std::ios::app) << "stop_on_exit = true\n";
  ASSERT_TRUE(w.hydrad->start());
  ASSERT_EQ(w.api("POST", "/api/v1/docker-instances", kCreate).first, 201);
  int pid = json::parse(w.api("GET", "/api/v1/docker-instances/session/s1").second)["pid"];
  ASSERT_GT(pid, 0);
  w.hydrad->stop(SIGTERM);
  EXPECT_TRUE(w.hydrad->count("session_stopped") >= 1u) << "stopped on the way out";
  std::string state = trim(capture("cat /proc/" + std::to_string(pid) + "/stat 2>/dev/null | cut -d' ' -f3"));
  EXPECT_TRUE(state.empty() || state == "Z") << "dockerd " << pid << " still runs (" << state << ")";
  EXPECT_NE(w.sbx.ip("link show hydra1"), 0);
  ASSERT_TRUE(w.hydrad->start());  // for the world's own teardown
}

// Issue 12, fault 3: one session dockerd stopped (SIGSTOP). Before, a GET of
// that session blocked in the Engine API while holding the manager's lock,
// and /health, the list and every other session's create and delete hung
// behind it. Now only that session's own requests wait (api_timeout at
// most), and it is reported unresponsive.
TEST(SessionsE2E, AHungDockerdFreezesNothingElse) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(true, "api_timeout = 1\nprobe_interval = 1\nstop_timeout = 5\n");
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  auto [status, body] = w.api("POST", "/api/v1/docker-instances", kCreate);
  ASSERT_EQ(status, 201) << body;
  auto inspect = [&](const std::string& id) {
    auto [st, b] = w.api("GET", "/api/v1/docker-instances/session/" + id);
    return st == 200 ? json::parse(b, nullptr, false) : json();
  };
  json s1 = inspect("s1");
  ASSERT_TRUE(s1.is_object() && s1["pid"].is_number()) << s1;
  const pid_t pid = s1["pid"].get<pid_t>();
  ASSERT_EQ(kill(pid, SIGSTOP), 0);
  // A GET of the hung session answers, and says so.
  json hung = inspect("s1");
  ASSERT_TRUE(hung.is_object());
  EXPECT_EQ(hung["status"], "error") << hung;
  EXPECT_EQ(hung["state"], "unresponsive") << hung;
  EXPECT_TRUE(hung.contains("error")) << hung;
  // Meanwhile a slow GET of it is in flight, and everything else answers.
  auto slow = std::thread([&] { (void)inspect("s1"); });
  auto health = json::parse(capture("curl -s -m 2 --unix-socket " + w.hydrad->socket() + " http://localhost/health"),
                            nullptr, false);
  EXPECT_TRUE(health.is_object() && health["status"] == "ok") << "/health did not answer within 2 s: " << health;
  if (health.is_object()) {
    EXPECT_EQ(health["sessions_unresponsive"], 1);
  }
  auto [lst, list] = w.api("GET", "/api/v1/docker-instances");
  EXPECT_EQ(lst, 200);
  EXPECT_NE(list.find("\"unresponsive\""), std::string::npos) << list;
  auto [cst, created] = w.api("POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"s2"})");
  EXPECT_EQ(cst, 201) << "another session's create waited for the hung dockerd: " << created;
  EXPECT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/s2").first, 200);
  slow.join();
  // It answers again: the probe brings it back without anyone asking.
  ASSERT_EQ(kill(pid, SIGCONT), 0);
  EXPECT_TRUE(wait_until(
      [&] {
        auto [st, b] = w.api("GET", "/api/v1/docker-instances");
        return st == 200 && b.find("\"unresponsive\"") == std::string::npos && b.find("\"running\"") != std::string::npos;
      },
      20000))
      << "the session did not come back to running";
  EXPECT_EQ(inspect("s1")["status"], "running");
  EXPECT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "session_unresponsive"; }, 1000));
}

// Shared sessions' dockerds write iptables in one namespace; started at once
// they would fail each other (a chain flushed under another's rule). hydrad
// starts them one at a time: every create succeeds.
TEST(SessionsE2E, SharedSessionsCreatedAtOnceAllStart) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(/*live_restore=*/true, kShared);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  std::vector<std::future<std::pair<int, std::string>>> creates;
  for (const char* id : {"p1", "p2", "p3", "p4"})
    creates.push_back(std::async(std::launch::async, [&w, id] {
      return w.api("POST", "/api/v1/docker-instances", std::string(R"({"scope_type":"session","scope_id":")") + id + "\"}");
    }));
  for (auto& c : creates) {
    auto [status, body] = c.get();
    EXPECT_EQ(status, 201) << body;
  }
  EXPECT_EQ(json::parse(w.api("GET", "/api/v1/docker-instances").second)["instances"].size(), 4u);
}
