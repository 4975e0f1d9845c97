// SPDX-License-Identifier: Apache-2.0
// The shared containerd's pure parts: its paths and config, how a pidfile's
// process is recognised, and which processes a session leaves behind.
#include <gtest/gtest.h>

#include "session/dockerd/dockerd_config.hpp"
#include "session/dockerd/leftovers.hpp"
#include "session/dockerd/shared_containerd.hpp"

using namespace hydra::session;

namespace {

SessionSettings settings_at(const std::string& run_dir) {
  SessionSettings s;
  s.run_dir = run_dir;
  return s;
}

std::string nul_joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += a + '\0';
  return out;
}

}  // namespace

TEST(SharedContainerd, LivesUnderTheRunDirAndSaysSoInItsConfig) {
  const auto p = containerd_paths(settings_at("/run/hydra/sessions"));
  EXPECT_EQ(p.socket, "/run/hydra/sessions/containerd/containerd.sock");
  EXPECT_EQ(p.pidfile, "/run/hydra/sessions/containerd/containerd.pid");
  const std::string toml = containerd_config_toml(p);
  EXPECT_NE(toml.find("version = 2\n"), std::string::npos);
  EXPECT_NE(toml.find("root = \"/run/hydra/sessions/containerd/root\"\n"), std::string::npos);
  EXPECT_NE(toml.find("state = \"/run/hydra/sessions/containerd/state\"\n"), std::string::npos);
  EXPECT_NE(toml.find("[grpc]\n  address = \"/run/hydra/sessions/containerd/containerd.sock\"\n"), std::string::npos);
  EXPECT_NE(toml.find("disabled_plugins = [\"io.containerd.grpc.v1.cri\"]"), std::string::npos);
}

TEST(SharedContainerd, APidfileIsBelievedOnlyForItsOwnCommandLine) {
  const auto p = containerd_paths(settings_at("/run/h"));
  EXPECT_TRUE(is_shared_containerd(nul_joined({"/usr/bin/containerd", "--config", p.config}), p));
  // Another containerd, a recycled pid, a config named elsewhere on the line.
  EXPECT_FALSE(is_shared_containerd(nul_joined({"containerd", "--config", "/run/other/containerd.toml"}), p));
  EXPECT_FALSE(is_shared_containerd(nul_joined({"sleep", "100"}), p));
  EXPECT_FALSE(is_shared_containerd(nul_joined({"cat", p.config}), p));
  EXPECT_FALSE(is_shared_containerd("", p));
}

TEST(SharedContainerd, DockerdIsPointedAtItOnlyWhenShared) {
  SessionSettings s;
  const auto net = session_net(3);
  const auto paths = session_paths(s, {"session", "x"}, 3);
  const auto own = dockerd_argv(net, paths, s);
  for (const auto& a : own) EXPECT_EQ(a.rfind("--containerd=", 0), std::string::npos) << a;
  const auto shared = dockerd_argv(net, paths, s, false, "/run/hydra/sessions/containerd/containerd.sock");
  EXPECT_EQ(shared.back(), "--containerd=/run/hydra/sessions/containerd/containerd.sock");
  EXPECT_NE(std::find(shared.begin(), shared.end(), "--containerd-namespace=hydra3"), shared.end());
}

TEST(SharedContainerd, ModesReadAndShow) {
  EXPECT_EQ(containerd_mode_from("shared"), ContainerdMode::kShared);
  EXPECT_EQ(containerd_mode_from("per-session"), ContainerdMode::kPerSession);
  EXPECT_FALSE(containerd_mode_from("Shared"));
  EXPECT_FALSE(containerd_mode_from(""));
  EXPECT_STREQ(containerd_mode_name(ContainerdMode::kPerSession), "per-session");
}

TEST(Leftovers, ASessionsProcessesAreFoundByExecRootOrByItsNamespaceInTheSharedContainerd) {
  const LeftoverOwner h1{"/run/s/h1/exec", "hydra1", "/run/s/containerd/containerd.sock"};
  // Its own containerd and that containerd's shims name its exec root.
  EXPECT_TRUE(left_by_session({"containerd", "--config", "/run/s/h1/exec/containerd/containerd.toml"}, h1));
  EXPECT_TRUE(left_by_session({"/usr/bin/containerd-shim-runc-v2", "-namespace", "hydra1", "-id", "abc", "-address",
                               "/run/s/h1/exec/containerd/containerd.sock"},
                              h1));
  EXPECT_TRUE(left_by_session({"dockerd", "--exec-root=/run/s/h1/exec"}, h1));
  // A shim of the shared containerd in its namespace.
  EXPECT_TRUE(left_by_session({"/usr/bin/containerd-shim-runc-v2", "-namespace", "hydra1", "-id", "abc", "-address",
                               "/run/s/containerd/containerd.sock"},
                              h1));
  // Not its own: the shared containerd itself, another session's shim or
  // exec root (h11, h1x), a shim of another containerd in a namespace of the same name.
  EXPECT_FALSE(left_by_session({"/usr/bin/containerd", "--config", "/run/s/containerd/containerd.toml"}, h1));
  EXPECT_FALSE(left_by_session({"/usr/bin/containerd-shim-runc-v2", "-namespace", "hydra11", "-id", "abc", "-address",
                                "/run/s/containerd/containerd.sock"},
                               h1));
  EXPECT_FALSE(left_by_session({"containerd", "--config", "/run/s/h11/exec/containerd/containerd.toml"}, h1));
  EXPECT_FALSE(left_by_session({"dockerd", "--exec-root=/run/s/h1/exec2"}, h1));
  EXPECT_FALSE(left_by_session({"/usr/bin/containerd-shim-runc-v2", "-namespace", "hydra1", "-id", "abc", "-address",
                                "/run/containerd/containerd.sock"},
                               h1));
  EXPECT_FALSE(left_by_session({"/usr/bin/containerd-shim-runc-v2", "-namespace", "hydra1", "-id", "abc"}, h1));
  // Without a shared containerd only the exec root counts.
  const LeftoverOwner alone{"/run/s/h1/exec", "hydra1", ""};
  EXPECT_FALSE(left_by_session({"/usr/bin/containerd-shim-runc-v2", "-namespace", "hydra1", "-address", ""}, alone));
}
