// SPDX-License-Identifier: Apache-2.0
// Issue 17: the hydrad image that make image builds (offline, buildah),
// loaded into a dockerd and run the way the DaemonSet runs it: privileged,
// the namespace's network and pids, state and socket on bind mounts. The
// containerised hydrad must guard that namespace's docker0, answer the
// DaemonSet's probes, and be reachable from the host through the socket.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "docker_world.hpp"

using namespace hydra::test;

namespace {

}  // namespace

TEST(ImageE2E, TheImageGuardsDocker0AsTheDaemonSetRunsIt) {
  HYDRA_REQUIRE_ROOT();
  for (const char* tool : {"/usr/sbin/dockerd", "/usr/bin/buildah"})
    if (access(tool, X_OK) != 0) {
      if (std::getenv("CI")) FAIL() << tool << " missing: make test installs it";
      GTEST_SKIP() << "needs " << tool << "; skipped on this machine";
    }
  const std::string build = std::string(HYDRA_BIN_DIR) + "/..";
  // Its own words when it fails (seen once in CI, beside the other tests).
  const std::string made = capture(std::string(HYDRA_SOURCE_DIR) + "/scripts/image " + build + " 2>&1; echo rc=$?");
  ASSERT_NE(made.find("rc=0"), std::string::npos) << "make image:\n" << made;
  DockerWorld w(true, "", /*start_hydrad=*/false);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  ASSERT_EQ(w.docker_rc(w.main_socket(), "load -i " + build + "/hydrad-image.tar"), 0);
  EXPECT_NE(w.docker(w.main_socket(), "image inspect -f '{{.Config.StopSignal}} {{json .Config.Entrypoint}}' "
                                      "hydra/hydrad:0.1.0").find("SIGTERM [\"/usr/bin/hydrad\"]"),
            std::string::npos);
  const std::string docker0 = w.docker0_ifindex();
  sh("mkdir -p " + w.dir + "/hostrun " + w.dir + "/hoststate");
  const auto t0 = std::chrono::steady_clock::now();
  const std::string run = "run -d --name hydrad " + privileged_flags("image") + " --network host --pid host -v " + w.dir +
                          "/hoststate:/var/lib/hydra -v " + w.dir + "/hostrun:/run/hydra -v " + w.main_socket() +
                          ":/var/run/docker.sock hydra/hydrad:0.1.0 --config /etc/hydra/hydra.toml "
                          "--metrics-address 127.0.0.1:9464";
  const std::string started = w.docker(w.main_socket(), run);
  ASSERT_EQ(w.docker_rc(w.main_socket(), "inspect hydrad >/dev/null"), 0) << started;
  // The DaemonSet's readiness probe, as it runs it: inside the container.
  ASSERT_TRUE(wait_until([&] { return w.docker_rc(w.main_socket(), "exec hydrad hydractl --socket /run/hydra/hydra.sock status") == 0; },
                         30000))
      << w.docker(w.main_socket(), "logs hydrad") << "\nstate: " << w.docker(w.main_socket(), "inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}' hydrad") << "\nprobe: " << w.docker(w.main_socket(), "exec hydrad hydractl --socket /run/hydra/hydra.sock status");
  const double ready_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("image: docker run → readiness probe passes: %.2f s\n", ready_s);
  // Its liveness probe: GET /metrics on port 9464 of the namespace.
  EXPECT_NE(capture(w.in_sbx("curl -s -m 5 http://127.0.0.1:9464/metrics")).find("hydra_"), std::string::npos);

  // docker0 deleted: the containerised hydrad puts it back, same ifindex.
  ASSERT_EQ(w.sbx.ip("link del docker0"), 0);
  EXPECT_TRUE(wait_until([&] { return w.docker0_ifindex() == docker0; }, 10000)) << "docker0 not restored";
  EXPECT_TRUE(wait_until([&] { return w.docker(w.main_socket(), "logs hydrad").find("bridge_restored") != std::string::npos; },
                         10000));
  // From the host, through the bind-mounted socket.
  std::string status = capture(std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + w.dir + "/hostrun/hydra.sock status");
  EXPECT_NE(status.find("docker0"), std::string::npos) << status;
  EXPECT_NE(status.find("guarded"), std::string::npos) << status;
  for (const char* c : {"buildkit", "desktop"})
    EXPECT_EQ(w.docker_rc(w.main_socket(), std::string("exec ") + c + " ping -c1 -W2 10.213.0.1"), 0) << c;
  // The helpers its default config runs are in it and run; dockerd is not,
  // and hydrad says so at start and in a create's answer (503, the key named).
  EXPECT_EQ(w.docker_rc(w.main_socket(), "exec hydrad /usr/sbin/dnsmasq --version"), 0);
  EXPECT_NE(w.docker(w.main_socket(), "exec hydrad /bin/cp --version").find("GNU coreutils"), std::string::npos);
  const std::string logs = w.docker(w.main_socket(), "logs hydrad");
  EXPECT_NE(logs.find("helper_missing"), std::string::npos) << logs;
  EXPECT_NE(logs.find("sessions.dockerd: /usr/sbin/dockerd is not an executable here"), std::string::npos) << logs;
  EXPECT_NE(logs.find("sessions.containerd_program: /usr/bin/containerd is not an executable here"), std::string::npos)
      << logs;
  EXPECT_EQ(logs.find("sessions.dnsmasq:"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("sessions.cp:"), std::string::npos) << logs;
  const std::string create = capture("curl -s -w ' HTTP %{http_code}' --unix-socket " + w.dir +
                                     "/hostrun/hydra.sock -X POST -d '{\"scope_type\":\"session\",\"scope_id\":\"s1\"}' "
                                     "http://localhost/api/v1/docker-instances");
  EXPECT_NE(create.find(" HTTP 503"), std::string::npos) << create;
  EXPECT_NE(create.find("sessions.dockerd"), std::string::npos) << create;
  // STOPSIGNAL: docker stop ends it cleanly.
  EXPECT_EQ(w.docker_rc(w.main_socket(), "stop -t 10 hydrad"), 0);
  EXPECT_EQ(w.docker(w.main_socket(), "inspect -f '{{.State.ExitCode}}' hydrad"), "0");
  EXPECT_NE(w.docker(w.main_socket(), "logs hydrad").find("stopped"), std::string::npos);
}
