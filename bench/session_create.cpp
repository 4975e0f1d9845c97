// SPDX-License-Identifier: Apache-2.0
// Session create latency, cold (no pool), and where it goes: hydrad's POST
// /api/v1/docker-instances (with hydrad's own steps, from the
// session_started event's phases_us), and the same dockerd started by hand
// with --debug until its /_ping (its steps from its log's timestamps), each
// with the shared containerd and with a containerd per session; and hydrad's
// POST with [sessions] nat = "nftables" (the dockerd runs no iptables).
// Medians of --reps each, in a throwaway namespace.
//
//   session_create [--reps 10]
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "bench_world.hpp"
#include "docker/child_process.hpp"
#include "docker/unix_http.hpp"
#include "session/core/session_spec.hpp"
#include "session/dockerd/dockerd_config.hpp"
#include "session/dockerd/shared_containerd.hpp"
#include "stats.hpp"
#include "telemetry/event_log.hpp"

using namespace hydra;
using namespace hydra::bench;

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double wall_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// time="2026-12-06T09:38:04.038109123Z" → wall-clock ms (0 when absent).
double log_time_ms(const std::string& line) {
  const auto at = line.find("time=\"");
  if (at == std::string::npos) return 0;
  tm t{};
  const char* rest = strptime(line.c_str() + at + 6, "%Y-%m-%dT%H:%M:%S", &t);
  if (rest == nullptr) return 0;
  double frac = 0;
  if (*rest == '.') frac = std::strtod(rest, nullptr);
  return static_cast<double>(timegm(&t)) * 1e3 + frac * 1e3;
}

// A dockerd --debug log's steps, in ms, from the spawn at `spawned_ms`.
struct DockerdSteps {
  std::map<std::string, double> ms;
  int iptables_calls = 0;
};

const std::vector<std::pair<std::string, std::string>> kDockerdMarks = {
    {"exec and Go start", "msg=\"Starting up\""},
    {"containerd ready", "[graphdriver] priority list"},
    {"storage, volumes, plugins", "msg=\"Loading containers: start.\""},
    {"network controller and iptables", "msg=\"Loading containers: done.\""},
    {"daemon initialised", "msg=\"Daemon has completed initialization\""},
};

DockerdSteps read_dockerd_steps(const std::string& log, double spawned_ms, double answered_ms) {
  DockerdSteps out;
  std::ifstream in(log);
  std::string line;
  double last = spawned_ms;
  size_t next = 0;
  while (std::getline(in, line)) {
    if (line.find("/usr/sbin/iptables, [") != std::string::npos || line.find("iptables, [--wait") != std::string::npos)
      ++out.iptables_calls;
    if (next < kDockerdMarks.size() && line.find(kDockerdMarks[next].second) != std::string::npos) {
      const double t = log_time_ms(line);
      out.ms[kDockerdMarks[next].first] = t - last;
      last = t;
      ++next;
    }
  }
  out.ms["API serving, first /_ping"] = answered_ms - last;
  return out;
}

struct ModeFigures {
  std::vector<double> create_ms;                      // POST → 201
  std::map<std::string, std::vector<double>> phases;  // hydrad's, from session_started
  std::vector<double> by_hand_ms;                     // spawn → /_ping
  std::map<std::string, std::vector<double>> steps;   // dockerd's, from its log
  int iptables_calls = 0;
};

bool run_hydrad(const Netns& sbx, const std::string& dir, const char* mode, int reps, ModeFigures& f,
                const std::string& extra_toml = "") {
  std::ofstream(dir + "/hydra.toml") << "[sessions]\ndata_dir = \"" << dir << "/data\"\nrun_dir = \"" << dir
                                     << "/run\"\ncontainerd = \"" << mode << "\"\nlimits.cgroup = \"/hydra-bench/"
                                     << getpid() << "\"\n"
                                     << extra_toml;
  Hydrad hydrad(sbx.path(), dir + "/state", {"--config", dir + "/hydra.toml"});
  if (!hydrad.wait_for("\"ready\"", 1, 10000)) return false;
  const std::string sock = dir + "/state/hydra.sock";
  for (int r = -1; r < reps; ++r) {  // r = -1: a first create, which starts the shared containerd
    auto t0 = std::chrono::steady_clock::now();
    auto reply = docker::unix_http(sock, "POST", "/api/v1/docker-instances",
                                   R"({"scope_type":"session","scope_id":"bench"})", 120);
    const double took = ms_since(t0);
    if (!reply || reply->status != 201) {
      std::fprintf(stderr, "create failed: %s\n", reply ? reply->body.c_str() : reply.error().text().c_str());
      return false;
    }
    if (!hydrad.wait_for("\"session_started\"", static_cast<size_t>(r + 2), 10000)) return false;
    if (r >= 0) {
      f.create_ms.push_back(took);
      const auto event = nlohmann::json::parse(hydrad.lines_with("\"session_started\"").back(), nullptr, false);
      if (event.is_object() && event.contains("phases_us"))
        for (const auto& [phase, us] : event["phases_us"].items())
          f.phases[phase].push_back(us.get<double>() / 1000);
    }
    (void)docker::unix_http(sock, "DELETE", "/api/v1/docker-instances/session/bench", "", 120);
    (void)docker::unix_http(sock, "DELETE", "/api/v1/docker-instances/session/bench/data", "", 120);
  }
  return true;
}

int pool_ready_count(const std::string& sock) {
  auto reply = docker::unix_http(sock, "GET", "/health", "", 5);
  if (!reply) return -1;
  const auto h = nlohmann::json::parse(reply->body, nullptr, false);
  if (!h.is_object() || !h.contains("warm_pool")) return -1;
  return h["warm_pool"].value("ready", -1);
}

// From the warm pool: POST → 201 → the session's own dockerd answers
// /_ping. Between creates the pool is let refill (not timed). With
// `golden`: a golden made first from a session, then the pool of clones.
bool run_pool(const Netns& sbx, const std::string& dir, bool golden, int reps, std::vector<double>& out) {
  sh("rm -rf " + dir + "/data " + dir + "/run " + dir + "/state");
  auto toml = [&](const std::string& extra) {
    std::ofstream(dir + "/hydra.toml") << "[sessions]\ndata_dir = \"" << dir << "/data\"\nrun_dir = \"" << dir
                                       << "/run\"\nlimits.cgroup = \"/hydra-bench/" << getpid() << "\"\n" << extra;
  };
  const std::string sock = dir + "/state/hydra.sock";
  if (golden) {
    toml("");
    Hydrad seed(sbx.path(), dir + "/state", {"--config", dir + "/hydra.toml"});
    if (!seed.wait_for("\"ready\"", 1, 10000)) return false;
    auto made = docker::unix_http(sock, "POST", "/api/v1/docker-instances",
                                  R"({"scope_type":"session","scope_id":"seed"})", 120);
    (void)docker::unix_http(sock, "DELETE", "/api/v1/docker-instances/session/seed", "", 120);
    auto g = docker::unix_http(sock, "POST", "/api/v1/goldens", R"({"name":"base","from":"session/seed"})", 120);
    if (!made || made->status != 201 || !g || g->status != 201) {
      std::fprintf(stderr, "golden: %s\n", g ? g->body.c_str() : "no answer");
      return false;
    }
  }
  toml(std::string("warm_pool = 2\n") + (golden ? "default_golden = \"base\"\n" : ""));
  Hydrad hydrad(sbx.path(), dir + "/state", {"--config", dir + "/hydra.toml"});
  if (!hydrad.wait_for("\"ready\"", 1, 10000)) return false;
  for (int r = 0; r < reps; ++r) {
    for (int i = 0; i < 60000 && pool_ready_count(sock) < 2; i += 10)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const std::string id = "p" + std::to_string(r);
    const auto t0 = std::chrono::steady_clock::now();
    auto reply = docker::unix_http(sock, "POST", "/api/v1/docker-instances",
                                   R"({"scope_type":"session","scope_id":")" + id + "\"}", 120);
    if (!reply || reply->status != 201) return false;
    const auto s = nlohmann::json::parse(reply->body, nullptr, false);
    const std::string docker_socket = s.is_object() ? s.value("docker_socket", "") : "";
    if (!docker::unix_http(docker_socket, "GET", "/_ping", "", 5)) return false;
    out.push_back(ms_since(t0));
  }
  if (hydrad.lines_with("\"source\":\"cold\"").size() > 0) std::fprintf(stderr, "pool: a create started cold\n");
  for (int r = 0; r < reps; ++r)
    (void)docker::unix_http(sock, "DELETE", "/api/v1/docker-instances/session/p" + std::to_string(r), "", 120);
  return true;
}

bool run_by_hand(const Netns& sbx, const std::string& dir, bool shared, int reps, ModeFigures& f) {
  auto in = netlink::NetnsSwitch::enter(sbx.path());
  session::SessionSettings settings;
  settings.data_dir = dir + "/hand-data";
  settings.run_dir = dir + "/hand-run";
  sh("mkdir -p " + settings.run_dir);
  telemetry::EventLog quiet(telemetry::LogFormat::kJson, open("/dev/null", O_WRONLY | O_CLOEXEC));
  std::optional<session::SharedContainerd> containerd;
  std::string containerd_socket;
  if (shared) {
    containerd.emplace(settings, quiet);
    auto socket = containerd->ensure();
    if (!socket) return false;
    containerd_socket = *socket;
  }
  auto net = session::session_net(1);
  auto paths = session::session_paths(settings, {"session", "bench"}, 1);
  for (int r = 0; r < reps; ++r) {
    // The bridge exists already, as hydrad would have made it.
    sh("ip -n " + sbx.name() + " link add hydra1 type bridge");
    sh("ip -n " + sbx.name() + " addr add 10.200.1.1/24 dev hydra1");
    sh("ip -n " + sbx.name() + " link set hydra1 up");
    sh("rm -rf " + paths.dir + " " + paths.data_root + "; mkdir -p " + paths.dir + " " + paths.data_root);
    auto config = session::daemon_json(net, settings, settings.storage_driver);
    config["debug"] = true;
    std::ofstream(paths.config_file) << config.dump();
    const double spawned = wall_ms();
    auto t0 = std::chrono::steady_clock::now();
    auto proc = docker::ChildProcess::spawn(session::dockerd_argv(net, paths, settings, false, containerd_socket),
                                            paths.log);
    if (!proc) return false;
    if (!proc->wait_ready(paths.socket, 60000)) return false;
    const double answered = wall_ms();
    f.by_hand_ms.push_back(ms_since(t0));
    const auto steps = read_dockerd_steps(paths.log, spawned, answered);
    for (const auto& [step, ms] : steps.ms) f.steps[step].push_back(ms);
    f.iptables_calls = steps.iptables_calls;
    proc->stop(30000);
    sh("ip -n " + sbx.name() + " link del hydra1");
  }
  if (containerd) containerd->stop();
  return true;
}

std::string cell(const std::map<std::string, std::vector<double>>& m, const std::string& key) {
  auto it = m.find(key);
  if (it == m.end()) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.0f", percentile(it->second, 0.5));
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 10;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--reps") reps = std::stoi(argv[i + 1]);
  if (geteuid() != 0 || access("/usr/sbin/dockerd", X_OK) != 0) {
    std::fprintf(stderr, "session_create: needs root and dockerd\n");
    return 1;
  }
  Netns sbx("ssbx");
  const std::string dir = "/tmp/hydra-bench-s-" + std::to_string(getpid());
  sh("mkdir -p " + dir);
  ModeFigures shared, own, hydra_nat;
  std::vector<double> pooled, pooled_golden;
  bool ok = run_pool(sbx, dir, false, reps, pooled) && run_pool(sbx, dir, true, reps, pooled_golden) &&
            run_hydrad(sbx, dir, "shared", reps, shared) && run_hydrad(sbx, dir, "per-session", reps, own) &&
            run_hydrad(sbx, dir, "shared", reps, hydra_nat, "nat = \"nftables\"\n") &&
            run_by_hand(sbx, dir, true, reps, shared) && run_by_hand(sbx, dir, false, reps, own);
  sh("for m in $(grep ' " + dir + "' /proc/mounts | cut -d' ' -f2 | sort -r); do umount -l $m; done; rm -rf " + dir +
     "; for h in /sys/fs/cgroup/*/hydra-bench/" + std::to_string(getpid()) + "; do rmdir $h; done");
  if (!ok) {
    std::fprintf(stderr, "session_create: a run failed\n");
    return 1;
  }
  std::printf("| session create (ms), %d each | median | p99 | min | max |\n|---|---:|---:|---:|---:|\n", reps);
  std::printf("| from the warm pool: POST → its dockerd answers /_ping | %s |\n", stat_cells(pooled).c_str());
  std::printf("| from the warm pool of default_golden clones, the same | %s |\n", stat_cells(pooled_golden).c_str());
  std::printf("| hydrad POST, shared containerd | %s |\n", stat_cells(shared.create_ms).c_str());
  std::printf("| hydrad POST, containerd per session | %s |\n", stat_cells(own.create_ms).c_str());
  std::printf("| hydrad POST, shared containerd, nat = \"nftables\" (no iptables) | %s |\n",
              stat_cells(hydra_nat.create_ms).c_str());
  std::printf("| dockerd by hand until /_ping, shared containerd | %s |\n", stat_cells(shared.by_hand_ms).c_str());
  std::printf("| dockerd by hand until /_ping, its own containerd | %s |\n", stat_cells(own.by_hand_ms).c_str());
  std::printf("\n| hydrad's steps (median ms) | shared | per session | shared, nat = nftables |\n|---|---:|---:|---:|\n");
  for (const char* phase : {"network", "data_root", "cgroups", "spawn", "dockerd_ready"})
    std::printf("| %s | %s | %s | %s |\n", phase, cell(shared.phases, phase).c_str(), cell(own.phases, phase).c_str(),
                cell(hydra_nat.phases, phase).c_str());
  std::printf("\n| dockerd's own start (median ms, --debug log) | shared | per session |\n|---|---:|---:|\n");
  for (const auto& [step, _] : kDockerdMarks)
    std::printf("| %s | %s | %s |\n", step.c_str(), cell(shared.steps, step).c_str(), cell(own.steps, step).c_str());
  std::printf("| API serving, first /_ping | %s | %s |\n", cell(shared.steps, "API serving, first /_ping").c_str(),
              cell(own.steps, "API serving, first /_ping").c_str());
  std::printf("| iptables runs | %d | %d |\n", shared.iptables_calls, own.iptables_calls);
  const double overhead = percentile(shared.create_ms, 0.5) - percentile(shared.by_hand_ms, 0.5);
  std::printf("\nhydrad's overhead over dockerd by hand (shared, medians): %.0f ms. Target ≤ 20 ms: %s.\n", overhead,
              overhead <= 20 ? "**met**" : "**missed**");
  const double cold = percentile(hydra_nat.create_ms, 0.5);
  std::printf("Cold target, median ≤ 200 ms: %s with nat = \"nftables\" (%.0f ms), %s with dockerd's iptables (%.0f ms).\n",
              cold <= 200 ? "**met**" : "**missed**", cold,
              percentile(shared.create_ms, 0.5) <= 200 ? "**met**" : "**missed**", percentile(shared.create_ms, 0.5));
  std::printf("Pool target, median ≤ 30 ms and p99 ≤ 100 ms: %s (%.1f / %.1f ms; golden %.1f / %.1f ms).\n",
              percentile(pooled, 0.5) <= 30 && percentile(pooled, 0.99) <= 100 &&
                      percentile(pooled_golden, 0.5) <= 30 && percentile(pooled_golden, 0.99) <= 100
                  ? "**met**"
                  : "**missed**",
              percentile(pooled, 0.5), percentile(pooled, 0.99), percentile(pooled_golden, 0.5),
              percentile(pooled_golden, 0.99));
  return 0;
}
