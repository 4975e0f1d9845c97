// SPDX-License-Identifier: Apache-2.0
// Session create latency: hydrad's POST /api/v1/docker-instances against
// starting the same dockerd by hand (same arguments, same daemon.json) and
// waiting for its /_ping. Median of 10 each, in a throwaway namespace.
//
//   session_create [--reps 10]
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "bench_world.hpp"
#include "docker/child_process.hpp"
#include "docker/unix_http.hpp"
#include "session/core/session_spec.hpp"
#include "session/dockerd/dockerd_config.hpp"
#include "stats.hpp"

using namespace hydra;
using namespace hydra::bench;

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
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
  std::string dir = "/tmp/hydra-bench-s-" + std::to_string(getpid());
  sh("mkdir -p " + dir);
  std::ofstream(dir + "/hydra.toml") << "[sessions]\ndata_dir = \"" << dir << "/data\"\nrun_dir = \"" << dir
                                     << "/run\"\nlimits.cgroup = \"/hydra-bench/" << getpid() << "\"\n";
  std::vector<double> via_hydrad, by_hand;
  {
    Hydrad hydrad(sbx.path(), dir + "/state", {"--config", dir + "/hydra.toml"});
    if (!hydrad.wait_for("\"ready\"", 1, 10000)) return 1;
    std::string sock = dir + "/state/hydra.sock";
    for (int r = 0; r < reps; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      auto reply = docker::unix_http(sock, "POST", "/api/v1/docker-instances",
                                     R"({"scope_type":"session","scope_id":"bench"})", 120);
      via_hydrad.push_back(ms_since(t0));
      if (!reply || reply->status != 201) {
        std::fprintf(stderr, "create failed: %s\n", reply ? reply->body.c_str() : reply.error().text().c_str());
        return 1;
      }
      (void)docker::unix_http(sock, "DELETE", "/api/v1/docker-instances/session/bench", "", 120);
    }
  }
  {
    auto in = netlink::NetnsSwitch::enter(sbx.path());
    session::SessionSettings settings;
    settings.data_dir = dir + "/data";
    settings.run_dir = dir + "/run";
    auto net = session::session_net(1);
    auto paths = session::session_paths(settings, {"session", "bench"}, 1);
    for (int r = 0; r < reps; ++r) {
      // The bridge exists already, as hydrad would have made it.
      sh("ip -n " + sbx.name() + " link add hydra1 type bridge");
      sh("ip -n " + sbx.name() + " addr add 10.200.1.1/24 dev hydra1");
      sh("ip -n " + sbx.name() + " link set hydra1 up");
      sh("mkdir -p " + paths.dir + " " + paths.data_root);
      std::ofstream(paths.config_file) << session::daemon_json(net, settings, settings.storage_driver).dump();
      auto t0 = std::chrono::steady_clock::now();
      auto proc = docker::ChildProcess::spawn(session::dockerd_argv(net, paths, settings), paths.log);
      if (!proc) return 1;
      // Polling every 10 ms, as a person's script would.
      while (!docker::unix_http(paths.socket, "GET", "/_ping", "", 1) && ms_since(t0) < 60000)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      by_hand.push_back(ms_since(t0));
      proc->stop(30000);
      sh("ip -n " + sbx.name() + " link del hydra1");
    }
  }
  sh("for m in $(grep ' " + dir + "' /proc/mounts | cut -d' ' -f2 | sort -r); do umount -l $m; done; rm -rf " + dir +
     "; for h in /sys/fs/cgroup/*/hydra-bench/" + std::to_string(getpid()) + "; do rmdir $h; done");
  std::printf("| session create (ms) | median | p99 | min | max |\n|---|---:|---:|---:|---:|\n");
  std::printf("| hydrad POST /api/v1/docker-instances | %s |\n", stat_cells(via_hydrad, "%.0f").c_str());
  std::printf("| dockerd by hand, same arguments, until /_ping | %s |\n", stat_cells(by_hand, "%.0f").c_str());
  const double overhead = percentile(via_hydrad, 0.5) - percentile(by_hand, 0.5);
  std::printf("| hydrad's overhead (medians) | %.0f | | | |\n", overhead);
  std::printf("\nTarget, session create overhead ≤ 20 ms: %s.\n", overhead <= 20 ? "**met**" : "**missed**");
  return 0;
}
