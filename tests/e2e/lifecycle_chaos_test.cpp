// SPDX-License-Identifier: Apache-2.0
// A seeded walk through session lifecycles with real dockerds: creates,
// deletes, purges, desktop bridges, goldens, containers (some --network
// host), files in data roots, dockerds killed or stopped and continued,
// hydrad killed and restarted with requests sent at once, two requests for
// one key at once. After every step, once nothing is starting, stopping or
// recovering, the invariants hold; at the end nothing of any session is left
// but data roots. HYDRA_LIFECYCLE_SEED and HYDRA_LIFECYCLE_STEPS choose the walk
// (scripts/chaos-sessions runs long ones); every step is printed, so a
// failure names the seed and the step that broke it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "docker_world.hpp"

using namespace hydra::test;
using nlohmann::json;

namespace {

unsigned env_number(const char* name, unsigned fallback) {
  const char* v = std::getenv(name);
  return v && *v ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : fallback;
}

class ChaosWalk {
 public:
  ChaosWalk(DockerWorld& w, const std::string& mode, unsigned seed) : w_(w), mode_(mode), rng_(seed) {
    docker0_ = w_.docker0_ifindex();
  }

  void step(int n) {
    const std::string k = keys_[pick(keys_.size())];
    // Creates most often, so that most steps find sessions to act on.
    std::discrete_distribution<int> weights({30, 10, 8, 12, 6, 6, 8, 8, 6, 4, 2});
    const int action = weights(rng_);
    std::string what;
    switch (action) {
      case 0: what = create(k); break;
      case 1: what = "delete " + k + " → " + std::to_string(del(k)); break;
      case 2: what = purge(k); break;
      case 3: what = container(k, n); break;
      case 4: what = signal_dockerd(k, SIGKILL); break;
      case 5: what = stop_and_continue(k); break;
      case 6: what = restart_hydrad(); break;
      case 7: what = twice_at_once(k); break;
      case 8: what = bridge(k); break;
      case 9: what = golden(k, n); break;
      default: what = "GET " + k + " → " + std::to_string(w_.api("GET", path(k)).first); break;
    }
    std::printf("chaos %s step %d: %s\n", mode_.c_str(), n, what.c_str());
    std::fflush(stdout);
    check(n, what);
  }

  // Everything deleted and purged: nothing of a session may remain.
  void finish() {
    for (const auto& k : keys_) {
      EXPECT_EQ(del(k), 200) << k;
      const int p = w_.api("DELETE", path(k) + "/data").first;
      EXPECT_TRUE(p == 200 || p == 404) << k << " purge " << p;
    }
    const std::string run = w_.dir + "/run";
    EXPECT_EQ(capture("ls " + run + "/netns 2>/dev/null"), "") << "namespace pins left";
    EXPECT_EQ(capture("grep -F ' " + run + "/' /proc/self/mountinfo"), "") << "mounts left";
    EXPECT_EQ(capture("grep -F ' " + w_.dir + "/sessions/' /proc/self/mountinfo"), "") << "mounts left in data roots";
    EXPECT_EQ(capture("ip -n " + w_.sbx.name() + " -o link show | grep -E 'hup-|vethb-h' || true"), "") << "veths left";
    EXPECT_EQ(capture("pgrep -f 'docker[d].*" + w_.dir + "/sessions' || true"), "") << "session dockerds left";
    if (mode_ == "isolated") {
      EXPECT_EQ(capture(w_.in_sbx("nft list set inet hydra uplink_gateways") + " | grep -c hup- || true"), "0\n");
    }
    EXPECT_EQ(w_.docker0_ifindex(), docker0_);
  }

 private:
  DockerWorld& w_;
  const std::string mode_;
  std::mt19937 rng_;
  std::string docker0_;
  const std::vector<std::string> keys_{"k0", "k1", "k2"};
  std::set<std::string> markers_;  // keys whose data root holds a file the walk wrote

  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  static std::string path(const std::string& k) { return "/api/v1/docker-instances/session/" + k; }
  std::string root(const std::string& k) const { return w_.dir + "/sessions/session-" + k; }
  std::string marker(const std::string& k) const { return root(k) + "/chaos-marker"; }

  json get(const std::string& k) const { return json::parse(w_.api("GET", path(k)).second, nullptr, false); }

  std::string create(const std::string& k) {
    auto [status, body] = w_.api("POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":")" + k + "\"}");
    EXPECT_TRUE(status == 200 || status == 201 || status == 503) << "create " << k << ": " << status << " " << body;
    if ((status == 200 || status == 201) && access(root(k).c_str(), F_OK) == 0) {
      std::ofstream(marker(k)) << "written by the chaos walk\n";
      markers_.insert(k);
    }
    return "create " + k + " → " + std::to_string(status);
  }

  int del(const std::string& k) const { return w_.api("DELETE", path(k)).first; }

  std::string purge(const std::string& k) {
    auto [status, body] = w_.api("DELETE", path(k) + "/data");
    EXPECT_TRUE(status == 200 || status == 404 || status == 409 || status == 503) << status << " " << body;
    if (status == 200) markers_.erase(k);
    return "purge " + k + " → " + std::to_string(status) + (status == 200 ? "" : " " + body);
  }

  std::string container(const std::string& k, int n) {
    auto s = get(k);
    if (!s.is_object() || s.value("state", "") != "running") return "container " + k + ": not running";
    const std::string sock = s.value("docker_socket", "");
    if (sh("DOCKER_HOST=unix://" + sock + " docker image inspect busybox:hydra") != 0) w_.import_busybox(sock);
    const bool host = pick(2) == 0;
    const int rc = w_.docker_rc(sock, std::string("run -d --name c") + std::to_string(n) + (host ? " --network host" : "") +
                                          " busybox:hydra sleep 100000");
    return "container in " + k + (host ? " (--network host)" : "") + " → " + std::to_string(rc);
  }

  std::string signal_dockerd(const std::string& k, int sig) {
    auto s = get(k);
    const int pid = s.is_object() && s["pid"].is_number() ? s["pid"].get<int>() : 0;
    if (pid <= 0) return "signal " + k + ": no dockerd";
    kill(pid, sig);
    return std::string("dockerd of ") + k + " (" + std::to_string(pid) + ") " + (sig == SIGKILL ? "killed" : "signalled");
  }

  std::string stop_and_continue(const std::string& k) {
    auto s = get(k);
    const int pid = s.is_object() && s["pid"].is_number() ? s["pid"].get<int>() : 0;
    if (pid <= 0) return "stop " + k + ": no dockerd";
    kill(pid, SIGSTOP);
    const int status = w_.api("GET", path(k)).first;  // waits api_timeout, sees it hung
    const std::string state = get(k).value("state", "");
    kill(pid, SIGCONT);
    return "dockerd of " + k + " stopped: GET → " + std::to_string(status) + " " + state + ", continued";
  }

  std::string restart_hydrad() {
    w_.hydrad->stop(SIGKILL);
    const size_t before = w_.hydrad->event_count();
    if (!w_.hydrad->launch()) return "restart: launch failed";
    // Requests at once: they must wait for their session or get 503.
    wait_until([&] { return w_.api("GET", "/health").first == 200; }, 10000);
    std::vector<std::thread> at_once;
    std::vector<std::string> said(3);
    for (size_t i = 0; i < 3; ++i) {
      const std::string k = keys_[pick(keys_.size())];
      const int a = static_cast<int>(pick(3));
      at_once.emplace_back([this, k, a, &said, i] {
        if (a == 0) said[i] = "create " + k + " " + std::to_string(w_.api("POST", "/api/v1/docker-instances",
                                                         R"({"scope_type":"session","scope_id":")" + k + "\"}").first);
        else if (a == 1) said[i] = "GET " + k + " " + std::to_string(w_.api("GET", path(k)).first);
        else said[i] = "purge " + k + " " + std::to_string(w_.api("DELETE", path(k) + "/data").first);
      });
    }
    for (auto& t : at_once) t.join();
    for (const auto& s : said)
      if (s.rfind("purge ", 0) == 0 && s.substr(s.size() - 3) == "200") markers_.erase(s.substr(6, 2));
    const bool ready = w_.hydrad->wait_for([](const json& e) { return e["event"] == "ready"; }, 60000, before);
    EXPECT_TRUE(ready) << "hydrad ready after its restart";
    return "hydrad killed and restarted; at once: " + said[0] + ", " + said[1] + ", " + said[2];
  }

  std::string twice_at_once(const std::string& k) {
    static const char* kPairs[][2] = {{"create", "create"}, {"create", "delete"}, {"delete", "purge"}, {"create", "purge"}};
    const auto& pair = kPairs[pick(4)];
    int status[2] = {0, 0};
    std::vector<std::thread> both;
    for (int i = 0; i < 2; ++i)
      both.emplace_back([&, i] {
        const std::string op = pair[i];
        if (op == "create")
          status[i] = w_.api("POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":")" + k + "\"}").first;
        else if (op == "delete") status[i] = del(k);
        else status[i] = w_.api("DELETE", path(k) + "/data").first;
      });
    for (auto& t : both) t.join();
    for (int i = 0; i < 2; ++i)
      if (std::string(pair[i]) == "purge" && status[i] == 200) markers_.erase(k);
    return std::string(pair[0]) + " and " + pair[1] + " of " + k + " at once → " + std::to_string(status[0]) + ", " +
           std::to_string(status[1]);
  }

  std::string bridge(const std::string& k) {
    if (pick(2) == 0) {
      auto [status, body] = w_.api("DELETE", "/api/v1/bridge-desktop/session/" + k);
      return "unbridge " + k + " → " + std::to_string(status);
    }
    auto [status, body] = w_.api("POST", "/api/v1/bridge-desktop",
                                 R"({"session_id":"session/)" + k + R"(","desktop_container_id":"desktop"})");
    EXPECT_TRUE(status == 200 || status == 404 || status == 409 || status == 503) << status << " " << body;
    return "bridge desktop to " + k + " → " + std::to_string(status);
  }

  std::string golden(const std::string& k, int n) {
    const std::string name = "g" + std::to_string(n);
    auto [status, body] = w_.api("POST", "/api/v1/goldens", R"({"name":")" + name + R"(","from":"session/)" + k + "\"}");
    EXPECT_TRUE(status == 201 || status == 404 || status == 409 || status == 503) << status << " " << body;
    if (status == 201) (void)w_.api("DELETE", "/api/v1/goldens/" + name);
    return "golden from " + k + " → " + std::to_string(status);
  }

  // Settled: nothing starting, stopping or recovering, and every session
  // listed running answers its socket.
  bool settled(std::string& why) const {
    auto list = json::parse(w_.api("GET", "/api/v1/docker-instances").second, nullptr, false);
    if (!list.is_object() || !list["instances"].is_array()) {
      why = "no list";
      return false;
    }
    for (const auto& s : list["instances"]) {
      const std::string state = s.value("state", "");
      if (state == "starting" || state == "stopping" || state == "recovering") {
        why = s.value("scope_id", "") + " is " + state;
        return false;
      }
      if (state == "running" &&
          trim(capture("curl -s -m 2 --unix-socket " + s.value("docker_socket", "") + " http://localhost/_ping")) != "OK") {
        why = s.value("scope_id", "") + " is listed running and does not answer";
        return false;
      }
    }
    return true;
  }

  void check(int n, const std::string& what) {
    std::string why;
    ASSERT_TRUE(wait_until([&] { return settled(why); }, 60000, 50)) << "step " << n << " (" << what << "): " << why;
    auto list = json::parse(w_.api("GET", "/api/v1/docker-instances").second, nullptr, false);
    std::map<int, std::string> indexes;
    for (const auto& s : list["instances"]) {
      const std::string state = s.value("state", "");
      if (state != "running" && state != "unresponsive") continue;
      const int index = s.value("index", 0);
      EXPECT_TRUE(indexes.emplace(index, s.value("scope_id", "")).second)
          << "step " << n << " (" << what << "): index " << index << " held twice";
    }
    for (const auto& k : keys_) {
      const int daemons = std::atoi(capture("pgrep -c -f -- '--data-roo[t]=" + root(k) + "( |$)' || true").c_str());
      EXPECT_LE(daemons, 1) << "step " << n << " (" << what << "): dockerds on " << k << "'s data root";
    }
    for (const auto& k : markers_)
      EXPECT_EQ(access(marker(k).c_str(), F_OK), 0)
          << "step " << n << " (" << what << "): " << k << "'s data root lost a file without a purge that answered 200";
    EXPECT_EQ(w_.docker0_ifindex(), docker0_) << "step " << n << " (" << what << ")";
  }
};

void walk(const std::string& mode, unsigned seed, int steps) {
  DockerWorld w(true, "network = \"" + mode + "\"\napi_timeout = 2\nstop_timeout = 5\nrecovery_wait = 5\n");
  ASSERT_TRUE(w.ok);
  std::printf("chaos %s: seed %u, %d steps\n", mode.c_str(), seed, steps);
  ChaosWalk chaos(w, mode, seed);
  for (int n = 0; n < steps && !testing::Test::HasFailure(); ++n) chaos.step(n);  // the first broken step ends the walk
  chaos.finish();
}

}  // namespace

TEST(LifecycleChaos, IsolatedSessions) {
  HYDRA_REQUIRE_DOCKERD();
  walk("isolated", env_number("HYDRA_LIFECYCLE_SEED", 20261203), static_cast<int>(env_number("HYDRA_LIFECYCLE_STEPS", 30)));
}

TEST(LifecycleChaos, SharedSessions) {
  HYDRA_REQUIRE_DOCKERD();
  walk("shared", env_number("HYDRA_LIFECYCLE_SEED", 20261203) + 1, static_cast<int>(env_number("HYDRA_LIFECYCLE_STEPS", 30)));
}
