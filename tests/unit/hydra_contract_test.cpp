// SPDX-License-Identifier: Apache-2.0
// Every body hydrad sends on the docker-instances API decodes into the Hydra
// client's own types (mirrored strictly in contract/hydra_client_types.hpp),
// in every state a session can be in. The end-to-end test does the same
// against a real hydrad and dockerd.
#include <gtest/gtest.h>

#include "../contract/hydra_client_types.hpp"
#include "api/schema.hpp"
#include "api/session_routes.hpp"

using namespace hydra;
using session::SessionState;

namespace {

session::SessionView view(SessionState state, bool failed = false, bool host = false) {
  session::SessionSettings settings;
  session::SessionView v;
  v.key = {"spectask", "task-1"};
  v.user_id = "u1";
  v.state = state;
  v.failed = failed;
  v.reason = failed || state == SessionState::kUnresponsive ? "something went wrong" : "";
  v.host_docker = host;
  v.created_unix = 1764400000;
  if (host) {
    v.paths.socket = "/var/run/docker.sock";
  } else {
    v.index = 3;
    v.net = session::session_net(3);
    v.paths = session::session_paths(settings, v.key, 3);
  }
  if (session::session_alive(state)) {
    v.pid = 4242;
    v.uptime_seconds = 17;
    v.container_count = 2;
  }
  return v;
}

}  // namespace

TEST(HydraContract, InstancesDecodeInEveryState) {
  struct Case {
    SessionState state;
    bool failed, host;
    const char* status;
  };
  for (const auto& c : std::vector<Case>{{SessionState::kStarting, false, false, "starting"},
                                         {SessionState::kRunning, false, false, "running"},
                                         {SessionState::kUnresponsive, false, false, "error"},
                                         {SessionState::kStopping, false, false, "stopped"},
                                         {SessionState::kExited, false, false, "stopped"},
                                         {SessionState::kExited, true, false, "error"},
                                         {SessionState::kRunning, false, true, "running"}}) {
    auto v = view(c.state, c.failed, c.host);
    auto j = api::to_json(api::instance_of(v, session::DataUsage::Figure{123456, 1764400100}));
    SCOPED_TRACE(j.dump());
    contract::Problems p;
    auto created = contract::DockerInstanceResponse::decode(j, p);
    auto status = contract::DockerInstanceStatusResponse::decode(j, p);
    ASSERT_TRUE(p.ok()) << p.text();
    EXPECT_EQ(created.status, c.status);
    EXPECT_TRUE(contract::known_status(status.status));
    EXPECT_EQ(created.docker_host, "unix://" + created.docker_socket);
    EXPECT_EQ(status.created_at, "2025-11-29T07:06:40Z");
    EXPECT_EQ(status.data_size_bytes, 123456);
    EXPECT_EQ(created.error.empty(), created.status != "error") << "error is omitted exactly when empty";
    if (c.host) {
      EXPECT_EQ(created.docker_socket, "/var/run/docker.sock");
      for (const char* k : {"bridge_name", "subnet", "gateway"}) EXPECT_FALSE(j.contains(k)) << k << " omitted when empty";
    } else {
      EXPECT_EQ(created.bridge_name, "hydra3");
      EXPECT_EQ(created.subnet, "10.200.3.0/24");
      EXPECT_EQ(created.gateway, "10.200.3.1");
    }
    if (session::session_alive(c.state)) {
      EXPECT_EQ(status.container_count, 2);
      EXPECT_EQ(status.uptime_seconds, 17);
    }
  }
}

TEST(HydraContract, ListStopPurgeHealthPrivilegedBridge) {
  contract::Problems p;
  auto list = contract::ListDockerInstancesResponse::decode(
      api::to_json(std::vector<api::DockerInstance>{api::instance_of(view(SessionState::kRunning), std::nullopt),
                                                    api::instance_of(view(SessionState::kExited), std::nullopt)}),
      p);
  EXPECT_EQ(list.instances.size(), 2u);
  auto empty = contract::ListDockerInstancesResponse::decode(api::to_json(std::vector<api::DockerInstance>{}), p);
  EXPECT_TRUE(empty.instances.empty());

  api::StopResponse stop;
  stop.scope_type = "session";
  stop.scope_id = "s1";
  stop.containers_stopped = 4;
  auto deleted = contract::DeleteDockerInstanceResponse::decode(api::to_json(stop), p);
  EXPECT_EQ(deleted.status, "stopped");
  EXPECT_EQ(deleted.containers_stopped, 4);
  EXPECT_TRUE(deleted.data_preserved);

  api::PurgeResponse purge;
  purge.scope_type = "session";
  purge.scope_id = "s1";
  purge.data_deleted_bytes = int64_t{5} << 32;
  auto purged = contract::PurgeDockerInstanceResponse::decode(api::to_json(purge), p);
  EXPECT_EQ(purged.status, "purged");
  EXPECT_EQ(purged.data_deleted_bytes, int64_t{5} << 32);

  api::Health h;
  h.status = "ok";
  h.version = "1.2.3";
  h.active_instances = 2;
  auto health = contract::HealthResponse::decode(api::to_json(h), p);
  EXPECT_EQ(health.active_instances, 2);

  api::PrivilegedModeStatus off;
  off.description = "off";
  auto j_off = api::to_json(off);
  EXPECT_FALSE(j_off.contains("host_docker_socket")) << "omitted when empty";
  EXPECT_FALSE(contract::PrivilegedModeStatusResponse::decode(j_off, p).enabled);
  api::PrivilegedModeStatus on{true, "/var/run/docker.sock", "on"};
  EXPECT_EQ(contract::PrivilegedModeStatusResponse::decode(api::to_json(on), p).host_docker_socket,
            "/var/run/docker.sock");

  api::BridgeDesktopResponse b;
  b.desktop_ip = "10.200.3.254";
  b.gateway = "10.200.3.1";
  b.subnet = "10.200.3.0/24";
  b.interface = "eth1";
  auto bridged = contract::BridgeDesktopResponse::decode(api::to_json(b), p);
  EXPECT_EQ(bridged.interface, "eth1");
  EXPECT_TRUE(p.ok()) << p.text();
}

// The mirror is strict: it would catch a field hydrad left out or typed wrong.
TEST(HydraContract, TheMirrorCatchesAMissingOrMistypedField) {
  auto j = api::to_json(api::instance_of(view(SessionState::kRunning), std::nullopt));
  for (const char* k : {"status", "docker_host", "created_at", "container_count"}) {
    auto broken = j;
    broken.erase(k);
    contract::Problems p;
    (void)contract::DockerInstanceResponse::decode(broken, p);
    (void)contract::DockerInstanceStatusResponse::decode(broken, p);
    EXPECT_FALSE(p.ok()) << k;
  }
  auto mistyped = j;
  mistyped["uptime_seconds"] = "17";
  contract::Problems p;
  (void)contract::DockerInstanceStatusResponse::decode(mistyped, p);
  EXPECT_FALSE(p.ok());
  mistyped = j;
  mistyped["created_at"] = "yesterday";
  contract::Problems q;
  (void)contract::DockerInstanceStatusResponse::decode(mistyped, q);
  EXPECT_FALSE(q.ok());
}
