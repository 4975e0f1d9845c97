// SPDX-License-Identifier: Apache-2.0
// Issue 13: hydrad as a drop-in for Hydra's own Go client. Every request is
// what that client sends (every field, zero values included) and every
// answer is decoded into mirrors of its types, strictly: a missing or
// mistyped field fails. Real dockerds; max_containers enforced by hydrad's
// authorization plugin.
#include <gtest/gtest.h>

#include "../contract/hydra_client_types.hpp"
#include "docker_world.hpp"

using namespace hydra::test;
using namespace hydra::contract;
using nlohmann::json;

namespace {

// The answer decoded as the client would, or a failure naming what is off.
template <class T>
::testing::AssertionResult decodes(int status, const std::string& body, int want_status, T& out) {
  if (status != want_status)
    return ::testing::AssertionFailure() << "status " << status << " (want " << want_status << "): " << body;
  auto j = json::parse(body, nullptr, false);
  Problems p;
  out = T::decode(j, p);
  if (!p.ok()) return ::testing::AssertionFailure() << p.text() << " in " << body;
  return ::testing::AssertionSuccess();
}

// A docker run in the session; its output (the error, when refused).
std::pair<int, std::string> run_container(DockerWorld& w, const std::string& socket, const std::string& name) {
  int rc = w.docker_rc(socket, "run -d --name " + name + " busybox:hydra sleep 100000");
  return {rc, rc == 0 ? "" : w.docker(socket, "run -d --name " + name + "-again busybox:hydra sleep 100000")};
}

// The background sizing gives the session's data root a size (within 30 s).
bool gets_sized(DockerWorld& w, const std::string& ref) {
  return wait_until(
      [&] {
        auto j = json::parse(w.api("GET", "/api/v1/docker-instances/" + ref).second, nullptr, false);
        return j.is_object() && j.value("data_size_bytes", int64_t{0}) > 0;
      },
      30000);
}

}  // namespace

TEST(HydraClientE2E, TheGoClientsCallsFieldForField) {
  HYDRA_REQUIRE_ROOT();
  if (access("/usr/sbin/dockerd", X_OK) != 0) {
    if (std::getenv("CI")) FAIL() << "dockerd missing: make test installs docker.io";
    GTEST_SKIP() << "needs Debian's docker.io (dockerd); skipped on this machine";
  }
  // A plugin name of this test's own: the ASan/TSan suites never run e2e,
  // but a developer's hydrad may serve the default one.
  const std::string plugin = "hydra-e2e-" + std::to_string(getpid());
  DockerWorld w(true, "privileged_mode = true\nauthz_plugin = \"" + plugin + "\"\nsize_interval = 1\nstop_timeout = 2\n");
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;

  HealthResponse health;
  ASSERT_TRUE(decodes(w.api("GET", "/health").first, w.api("GET", "/health").second, 200, health));
  EXPECT_EQ(health.status, "ok");
  EXPECT_EQ(health.active_instances, 0);
  EXPECT_FALSE(health.version.empty());
  PrivilegedModeStatusResponse priv;
  auto [pst, pbody] = w.api("GET", "/api/v1/privileged-mode/status");
  ASSERT_TRUE(decodes(pst, pbody, 200, priv));
  EXPECT_TRUE(priv.enabled);
  EXPECT_EQ(priv.host_docker_socket, w.main_socket());

  // Create, then create again: 201, then 200 with the same instance.
  CreateDockerInstanceRequest req{"spectask", "task-01h", "user-7", 2, false};
  DockerInstanceResponse created, again;
  auto [cst, cbody] = w.api("POST", "/api/v1/docker-instances", req.encode().dump());
  ASSERT_TRUE(decodes(cst, cbody, 201, created));
  EXPECT_EQ(created.status, "running");
  EXPECT_EQ(created.docker_host, "unix://" + created.docker_socket);
  EXPECT_EQ(created.bridge_name, "hydra1");
  EXPECT_EQ(created.subnet, "10.200.1.0/24");
  EXPECT_EQ(created.gateway, "10.200.1.1");
  EXPECT_TRUE(created.error.empty());
  auto [ast, abody] = w.api("POST", "/api/v1/docker-instances", req.encode().dump());
  ASSERT_TRUE(decodes(ast, abody, 200, again));
  EXPECT_EQ(again.docker_socket, created.docker_socket);

  // max_containers = 2, enforced by the session dockerd asking hydrad.
  const std::string sock = created.docker_socket;
  ASSERT_TRUE(w.import_busybox(sock));
  EXPECT_EQ(run_container(w, sock, "one").first, 0);
  EXPECT_EQ(run_container(w, sock, "two").first, 0);
  auto [rc3, err3] = run_container(w, sock, "three");
  EXPECT_NE(rc3, 0) << "a third container within max_containers = 2";
  EXPECT_NE(err3.find("max_containers = 2"), std::string::npos) << err3;
  ASSERT_EQ(w.docker_rc(sock, "rm -f two"), 0);
  EXPECT_EQ(run_container(w, sock, "three").first, 0) << "docker rm frees a slot";
  EXPECT_NE(run_container(w, sock, "four").first, 0);

  // Get and list, as DockerInstanceStatusResponse.
  DockerInstanceStatusResponse got;
  auto [gst, gbody] = w.api("GET", "/api/v1/docker-instances/spectask/task-01h");
  ASSERT_TRUE(decodes(gst, gbody, 200, got));
  EXPECT_EQ(got.status, "running");
  EXPECT_EQ(got.container_count, 2);
  EXPECT_EQ(got.user_id, "user-7");
  EXPECT_EQ(got.docker_socket, sock);
  EXPECT_FALSE(got.data_root.empty());
  const std::string created_at = got.created_at;
  // The data root is sized in the background (size_interval = 1).
  EXPECT_TRUE(gets_sized(w, "spectask/task-01h")) << "data_size_bytes stayed 0";
  ListDockerInstancesResponse list;
  auto [lst, lbody] = w.api("GET", "/api/v1/docker-instances");
  ASSERT_TRUE(decodes(lst, lbody, 200, list));
  ASSERT_EQ(list.instances.size(), 1u);
  EXPECT_EQ(list.instances[0].scope_id, "task-01h");
  EXPECT_EQ(list.instances[0].created_at, created_at);

  // hydrad restarts: the session is adopted with its limit and creation time.
  w.hydrad->stop(SIGKILL);
  ASSERT_TRUE(w.hydrad->start());
  EXPECT_NE(run_container(w, sock, "five").first, 0) << "the limit holds after adoption";
  ASSERT_TRUE(decodes(w.api("GET", "/api/v1/docker-instances/spectask/task-01h").first,
                      w.api("GET", "/api/v1/docker-instances/spectask/task-01h").second, 200, got));
  EXPECT_EQ(got.created_at, created_at);

  // bridge-desktop with the bare id, as the client sends it; type/id too.
  BridgeDesktopResponse bridged;
  auto [bst, bbody] = w.api("POST", "/api/v1/bridge-desktop", BridgeDesktopRequest{"task-01h", "desktop"}.encode().dump());
  ASSERT_TRUE(decodes(bst, bbody, 200, bridged));
  EXPECT_EQ(bridged.desktop_ip, "10.200.1.254");
  EXPECT_EQ(bridged.gateway, "10.200.1.1");
  EXPECT_EQ(bridged.subnet, "10.200.1.0/24");
  EXPECT_EQ(bridged.interface, "eth1");
  EXPECT_NE(w.docker(w.main_socket(), "exec desktop ip -4 addr show eth1").find("10.200.1.254/24"), std::string::npos);
  EXPECT_EQ(w.api("POST", "/api/v1/bridge-desktop", BridgeDesktopRequest{"spectask/task-01h", "desktop"}.encode().dump()).first,
            200);

  // A host-docker instance (privileged mode): the main dockerd, nothing started.
  CreateDockerInstanceRequest host{"session", "task-01h", "user-7", 0, true};
  DockerInstanceResponse hosted;
  auto [hst, hbody] = w.api("POST", "/api/v1/docker-instances", host.encode().dump());
  ASSERT_TRUE(decodes(hst, hbody, 201, hosted));
  EXPECT_EQ(hosted.docker_socket, w.main_socket());
  EXPECT_TRUE(hosted.bridge_name.empty());
  // Now two types share the id, both running: a bare id is ambiguous.
  auto [amb, ambody] = w.api("POST", "/api/v1/bridge-desktop", BridgeDesktopRequest{"task-01h", "desktop"}.encode().dump());
  EXPECT_EQ(amb, 409) << ambody;
  EXPECT_NE(ambody.find("spectask/task-01h"), std::string::npos) << ambody;
  EXPECT_NE(ambody.find("session/task-01h"), std::string::npos) << ambody;
  ASSERT_TRUE(decodes(w.api("GET", "/health").first, w.api("GET", "/health").second, 200, health));
  EXPECT_EQ(health.active_instances, 2);

  // Delete: unknown is a success; a running one reports its stopped containers.
  DeleteDockerInstanceResponse deleted;
  auto [ust, ubody] = w.api("DELETE", "/api/v1/docker-instances/session/never-was");
  ASSERT_TRUE(decodes(ust, ubody, 200, deleted));
  EXPECT_EQ(deleted.status, "stopped");
  EXPECT_EQ(deleted.containers_stopped, 0);
  auto [dst, dbody] = w.api("DELETE", "/api/v1/docker-instances/spectask/task-01h");
  ASSERT_TRUE(decodes(dst, dbody, 200, deleted));
  EXPECT_EQ(deleted.containers_stopped, 2);
  EXPECT_TRUE(deleted.data_preserved);
  EXPECT_NE(w.sbx.ip("link show hydra1"), 0) << "its bridge is gone";
  ASSERT_TRUE(decodes(w.api("GET", "/api/v1/docker-instances/spectask/task-01h").first,
                      w.api("GET", "/api/v1/docker-instances/spectask/task-01h").second, 200, got));
  EXPECT_EQ(got.status, "stopped");
  EXPECT_EQ(got.created_at, created_at);
  ASSERT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/task-01h").first, 200);
  EXPECT_EQ(w.docker_rc(w.main_socket(), "inspect desktop"), 0) << "stopping a host-docker instance stops nothing";

  // Purge: the data root and the bytes it held.
  PurgeDockerInstanceResponse purged;
  auto [ust2, pbody2] = w.api("DELETE", "/api/v1/docker-instances/spectask/task-01h/data");
  ASSERT_TRUE(decodes(ust2, pbody2, 200, purged));
  EXPECT_EQ(purged.status, "purged");
  EXPECT_GT(purged.data_deleted_bytes, 1 << 20) << "the busybox image and containers were in it";
  EXPECT_NE(access(got.data_root.c_str(), F_OK), 0);
  EXPECT_EQ(w.api("GET", "/api/v1/docker-instances/spectask/task-01h").first, 404);
  w.hydrad->stop(SIGTERM);
  EXPECT_NE(access(("/run/docker/plugins/" + plugin).c_str(), F_OK), 0) << "the plugin socket's folder is removed";
  ASSERT_TRUE(w.hydrad->start());  // for the world's own teardown
}

// Issue 28: a session from the warm pool, through the Go client's calls.
TEST(HydraClientE2E, APooledSessionAnswersTheGoClientAsAColdOne) {
  HYDRA_REQUIRE_ROOT();
  if (access("/usr/sbin/dockerd", X_OK) != 0) {
    if (std::getenv("CI")) FAIL() << "dockerd missing: make test installs docker.io";
    GTEST_SKIP() << "needs Debian's docker.io (dockerd); skipped on this machine";
  }
  DockerWorld w(true, "warm_pool = 1\nsize_interval = 1\nstop_timeout = 2\n");
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  ASSERT_TRUE(wait_until([&] { return w.hydrad->health()["warm_pool"].value("ready", 0) == 1; }, 60000));
  HealthResponse health;
  ASSERT_TRUE(decodes(w.api("GET", "/health").first, w.api("GET", "/health").second, 200, health));
  EXPECT_EQ(health.active_instances, 0) << "a member is no instance";
  ListDockerInstancesResponse list;
  ASSERT_TRUE(decodes(w.api("GET", "/api/v1/docker-instances").first, w.api("GET", "/api/v1/docker-instances").second,
                      200, list));
  EXPECT_TRUE(list.instances.empty());

  CreateDockerInstanceRequest req{"spectask", "task-02p", "user-8", 0, false};
  DockerInstanceResponse created;
  auto [cst, cbody] = w.api("POST", "/api/v1/docker-instances", req.encode().dump());
  ASSERT_TRUE(decodes(cst, cbody, 201, created));
  EXPECT_EQ(created.status, "running");
  EXPECT_EQ(created.bridge_name, "hydra1") << "the member's";
  EXPECT_EQ(created.docker_host, "unix://" + created.docker_socket);
  EXPECT_TRUE(w.hydrad->wait_for(
      [](const json& e) { return e["event"] == "session_started" && e.value("source", "") == "pool"; }, 1000));
  ASSERT_TRUE(w.import_busybox(created.docker_socket));
  EXPECT_EQ(run_container(w, created.docker_socket, "one").first, 0);
  DockerInstanceStatusResponse got;
  auto [gst, gbody] = w.api("GET", "/api/v1/docker-instances/spectask/task-02p");
  ASSERT_TRUE(decodes(gst, gbody, 200, got));
  EXPECT_EQ(got.status, "running");
  EXPECT_EQ(got.container_count, 1);
  EXPECT_EQ(got.user_id, "user-8");
  EXPECT_TRUE(gets_sized(w, "spectask/task-02p")) << "its data root is sized through the link";
  ASSERT_TRUE(decodes(w.api("GET", "/api/v1/docker-instances").first, w.api("GET", "/api/v1/docker-instances").second,
                      200, list));
  ASSERT_EQ(list.instances.size(), 1u) << "the refilled member is not listed";
  ASSERT_TRUE(decodes(w.api("GET", "/health").first, w.api("GET", "/health").second, 200, health));
  EXPECT_EQ(health.active_instances, 1);
  BridgeDesktopResponse bridged;
  auto [bst, bbody] = w.api("POST", "/api/v1/bridge-desktop", BridgeDesktopRequest{"task-02p", "desktop"}.encode().dump());
  ASSERT_TRUE(decodes(bst, bbody, 200, bridged));
  EXPECT_EQ(bridged.desktop_ip, "10.200.1.254");
  DeleteDockerInstanceResponse deleted;
  auto [dst, dbody] = w.api("DELETE", "/api/v1/docker-instances/spectask/task-02p");
  ASSERT_TRUE(decodes(dst, dbody, 200, deleted));
  EXPECT_EQ(deleted.containers_stopped, 1);
  EXPECT_TRUE(deleted.data_preserved);
  PurgeDockerInstanceResponse purged;
  auto [pst, pbody] = w.api("DELETE", "/api/v1/docker-instances/spectask/task-02p/data");
  ASSERT_TRUE(decodes(pst, pbody, 200, purged));
  EXPECT_GT(purged.data_deleted_bytes, 1 << 20) << "the busybox image was in the member's data root";
  EXPECT_NE(access(got.data_root.c_str(), F_OK), 0);
}
