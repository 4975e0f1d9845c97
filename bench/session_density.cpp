// SPDX-License-Identifier: Apache-2.0
// What each idle session costs, and whether creates stay flat as sessions
// pile up: N = 1, 8, 32, 64 live sessions, with the shared containerd, with a
// containerd per session, and shared with GOGC for the session daemons. At
// each N: the proportional set size of the session daemons (every dockerd,
// and the containerds — the shared one, or each session's), per session;
// hydrad's own RSS and what it grew per session; the create times.
//
//   session_density [--max 64] [--only shared|per-session|gogc]
#include <dirent.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench_world.hpp"
#include "docker/unix_http.hpp"
#include "stats.hpp"

using namespace hydra;
using namespace hydra::bench;

namespace {

long long status_kb(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::stoll(line.substr(key.size()));
  return 0;
}

long long pss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Pss:", 0) == 0) return std::stoll(line.substr(4));
  return 0;
}

std::string comm_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string s;
  std::getline(in, s);
  return s;
}

std::string cmdline_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  for (char& c : s)
    if (c == '\0') c = ' ';
  return s;
}

// The session daemons of this run: dockerds and containerds whose command
// line names the run dir.
struct Daemons {
  long long dockerd_pss_kb = 0, containerd_pss_kb = 0;
  int dockerds = 0, containerds = 0;
};

Daemons session_daemons(const std::string& run_dir) {
  Daemons d;
  if (DIR* proc = opendir("/proc")) {
    while (dirent* e = readdir(proc)) {
      const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
      if (pid <= 0) continue;
      const std::string comm = comm_of(pid);
      if (comm != "dockerd" && comm != "containerd") continue;
      if (cmdline_of(pid).find(run_dir + "/") == std::string::npos) continue;
      if (comm == "dockerd") {
        d.dockerd_pss_kb += pss_kb(pid);
        ++d.dockerds;
      } else {
        d.containerd_pss_kb += pss_kb(pid);
        ++d.containerds;
      }
    }
    closedir(proc);
  }
  return d;
}

struct Row {
  int n = 0;
  double per_session_mib = 0, dockerd_mib = 0, containerd_mib = 0;
  double hydrad_rss_mib = 0;
  double create_median_ms = 0, create_p99_ms = 0;
};

struct Run {
  std::string name;
  std::vector<Row> rows;
  double hydrad_idle_mib = 0;
};

bool run_mode(const Netns& sbx, const std::string& dir, const std::string& name, const std::string& toml_extra,
              const std::string& gogc, const std::vector<int>& steps, Run& run) {
  run.name = name;
  sh("rm -rf " + dir + "/data " + dir + "/run " + dir + "/state");
  std::ofstream(dir + "/hydra.toml") << "[sessions]\ndata_dir = \"" << dir << "/data\"\nrun_dir = \"" << dir
                                     << "/run\"\nlimits.cgroup = \"/hydra-bench/" << getpid() << "\"\n"
                                     << toml_extra;
  if (!gogc.empty()) setenv("GOGC", gogc.c_str(), 1);
  Hydrad hydrad(sbx.path(), dir + "/state", {"--config", dir + "/hydra.toml"});
  unsetenv("GOGC");
  if (!hydrad.wait_for("\"ready\"", 1, 10000)) return false;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  run.hydrad_idle_mib = static_cast<double>(status_kb(hydrad.pid(), "VmRSS:")) / 1024;
  const std::string sock = dir + "/state/hydra.sock";
  int live = 0;
  std::vector<double> creates;
  for (int target : steps) {
    creates.clear();
    while (live < target) {
      const std::string body = R"({"scope_type":"session","scope_id":"d)" + std::to_string(live) + "\"}";
      const auto t0 = std::chrono::steady_clock::now();
      auto reply = docker::unix_http(sock, "POST", "/api/v1/docker-instances", body, 120);
      creates.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      if (!reply || reply->status != 201) {
        std::fprintf(stderr, "create %d failed: %s\n", live, reply ? reply->body.c_str() : reply.error().text().c_str());
        return false;
      }
      ++live;
    }
    // Idle: what the daemons hold after their start settles (a benchmark's
    // pause, not a test's wait).
    std::this_thread::sleep_for(std::chrono::seconds(5));
    const Daemons d = session_daemons(dir + "/run");
    Row r;
    r.n = live;
    r.dockerd_mib = static_cast<double>(d.dockerd_pss_kb) / 1024 / live;
    r.containerd_mib = static_cast<double>(d.containerd_pss_kb) / 1024 / live;
    r.per_session_mib = r.dockerd_mib + r.containerd_mib;
    r.hydrad_rss_mib = static_cast<double>(status_kb(hydrad.pid(), "VmRSS:")) / 1024;
    r.create_median_ms = percentile(creates, 0.5);
    r.create_p99_ms = percentile(creates, 0.99);
    if (d.dockerds != live) std::fprintf(stderr, "%s: %d dockerds for %d sessions\n", name.c_str(), d.dockerds, live);
    run.rows.push_back(r);
    std::fprintf(stderr, "%s N=%d: %.1f MiB/session, hydrad %.1f MiB\n", name.c_str(), live, r.per_session_mib,
                 r.hydrad_rss_mib);
  }
  for (int i = 0; i < live; ++i)
    (void)docker::unix_http(sock, "DELETE", "/api/v1/docker-instances/session/d" + std::to_string(i), "", 120);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int max = 64;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--max") max = std::stoi(argv[i + 1]);
    if (std::string(argv[i]) == "--only") only = argv[i + 1];
  }
  if (geteuid() != 0 || access("/usr/sbin/dockerd", X_OK) != 0) {
    std::fprintf(stderr, "session_density: needs root and dockerd\n");
    return 1;
  }
  std::vector<int> steps;
  for (int n : {1, 8, 32, 64})
    if (n <= max) steps.push_back(n);
  Netns sbx("dsbx");
  const std::string dir = "/tmp/hydra-bench-d-" + std::to_string(getpid());
  sh("mkdir -p " + dir);
  std::vector<Run> runs;
  auto mode = [&](const char* key, const std::string& name, const std::string& toml, const std::string& gogc) {
    if (!only.empty() && only != key) return true;
    runs.emplace_back();
    return run_mode(sbx, dir, name, toml, gogc, steps, runs.back());
  };
  const bool ok = mode("shared", "shared containerd", "", "") &&
                  mode("per-session", "containerd per session", "containerd = \"per-session\"\n", "") &&
                  mode("gogc", "shared, GOGC=50", "", "50");
  sh("for m in $(grep ' " + dir + "' /proc/mounts | cut -d' ' -f2 | sort -r); do umount -l $m; done; rm -rf " + dir +
     "; for h in /sys/fs/cgroup/*/hydra-bench/" + std::to_string(getpid()) + "; do find $h -depth -type d -exec rmdir "
     "{} \\; ; done");
  if (!ok) {
    std::fprintf(stderr, "session_density: a run failed\n");
    return 1;
  }
  // hydrad's growth per session: over its idle RSS (the first session
  // brings one-off costs: the containerd's watcher, the first arenas), and
  // from the row before (what each further session adds).
  std::printf("| idle sessions | N | PSS per session (MiB) | of it dockerd | of it containerd | hydrad RSS (MiB) | "
              "hydrad per session (KiB) | hydrad per further session (KiB) | create median (ms) | create p99 (ms) |\n"
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& run : runs)
    for (size_t i = 0; i < run.rows.size(); ++i) {
      const Row& r = run.rows[i];
      const std::string further =
          i == 0 ? "–"
                 : std::to_string(static_cast<long>((r.hydrad_rss_mib - run.rows[i - 1].hydrad_rss_mib) * 1024 /
                                                    (r.n - run.rows[i - 1].n)));
      std::printf("| %s | %d | %.1f | %.1f | %.1f | %.1f | %.0f | %s | %.0f | %.0f |\n", run.name.c_str(), r.n,
                  r.per_session_mib, r.dockerd_mib, r.containerd_mib, r.hydrad_rss_mib,
                  (r.hydrad_rss_mib - run.hydrad_idle_mib) * 1024 / r.n, further.c_str(), r.create_median_ms,
                  r.create_p99_ms);
    }
  std::printf("\nhydrad idle, no session: %.1f MiB RSS.\n", runs[0].hydrad_idle_mib);
  const Row& top = runs[0].rows.back();
  const Row& first = runs[0].rows.front();
  const double further_kib =
      top.n > first.n ? (top.hydrad_rss_mib - first.hydrad_rss_mib) * 1024 / (top.n - first.n) : 0;
  std::printf("Target ≤ 25 MiB PSS per idle session (%s, N=%d): %s (%.1f). Target hydrad ≤ 200 KiB per session "
              "(from N=%d to %d): %s (%.0f).\n",
              runs[0].name.c_str(), top.n, top.per_session_mib <= 25 ? "**met**" : "**missed**", top.per_session_mib,
              first.n, top.n, further_kib <= 200 ? "**met**" : "**missed**", further_kib);
  return 0;
}
