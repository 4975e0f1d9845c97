// SPDX-License-Identifier: Apache-2.0
// Golden data roots on loop-mounted btrfs, XFS and ext4: a golden made from a
// stopped session whose container wrote files (a hard link, a sparse file,
// a whiteout, xattrs) is bit-identical to that data root; a new session
// cloned from it lists the image, runs it and has the container; a warm
// restart keeps its own data; a crash mid-golden leaves no golden. Debian's
// real dockerd.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <sstream>

#include "../tree_manifest.hpp"
#include "loop_fs.hpp"

using namespace hydra::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string create_body(const std::string& id, const std::string& golden = "") {
  json b{{"scope_type", "session"}, {"scope_id", id}};
  if (!golden.empty()) b["golden"] = golden;
  return b.dump();
}

class GoldenE2E : public ::testing::TestWithParam<const char*> {};

}  // namespace

TEST_P(GoldenE2E, GoldenFromAStoppedSessionStartsAnotherWarmAndExact) {
  HYDRA_REQUIRE_DOCKERD();
  const std::string type = GetParam();
  if (!kernel_has_fs(type)) GTEST_SKIP() << "this kernel has no " << type << " (/proc/filesystems)";
  LoopFs lfs(700, type);
  ASSERT_TRUE(lfs.ok) << "could not make a loop-mounted " << type << " in " << lfs.dir;
  // A copier that waits for a go-ahead file when asked to: the crash below
  // happens while a golden is half-copied.
  const std::string gate = lfs.dir + "/gate";
  const std::string slow_cp = lfs.dir + "/slow-cp";
  std::ofstream(slow_cp) << "#!/bin/sh\n[ -e " << gate << ".hold ] && { touch " << gate
                         << ".held; while [ -e " << gate << ".hold ]; do sleep 0.05; done; }\nexec /bin/cp \"$@\"\n";
  chmod(slow_cp.c_str(), 0755);
  // No storage_driver: on btrfs hydra gives sessions overlay2 by itself
  // (dockerd's own choice there, its btrfs driver, keeps layers a golden
  // cannot carry); elsewhere dockerd picks overlay2.
  DockerWorld w(true, "cp = \"" + slow_cp + "\"\n[storage]\ncheck_interval = 1\n", true, lfs.mnt);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;

  auto [st1, b1] = w.api("POST", "/api/v1/docker-instances", create_body("s1"));
  ASSERT_EQ(st1, 201) << b1;
  const std::string sock1 = json::parse(b1)["docker_socket"];
  const std::string root1 = json::parse(b1)["data_root"];
  ASSERT_TRUE(w.import_busybox(sock1));
  ASSERT_EQ(w.docker_rc(sock1, "run --name writer busybox:hydra sh -c 'mkdir -p /data && echo hello > /data/a && "
                               "ln -f /data/a /data/b && dd if=/dev/urandom of=/data/big bs=1M count=4 2>/dev/null && "
                               "truncate -s 64M /data/sparse && rm -f /bin/wget'"),
            0);
  const std::string upper = w.docker(sock1, "inspect -f '{{.GraphDriver.Data.UpperDir}}' writer");
  ASSERT_EQ(upper.rfind(root1, 0), 0u) << upper;
  ASSERT_EQ(setxattr((upper + "/data/a").c_str(), "trusted.hydra-test", "t", 1, 0), 0);
  ASSERT_EQ(setxattr((upper + "/data/big").c_str(), "user.hydra-test", "u", 1, 0), 0);

  // A running session is not copied.
  auto [busy, busy_body] = w.api("POST", "/api/v1/goldens", R"({"name":"g1","from":"session/s1"})");
  EXPECT_EQ(busy, 409) << busy_body;
  EXPECT_NE(busy_body.find("stop it first"), std::string::npos) << busy_body;
  ASSERT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/s1").first, 200);

  auto [gst, gbody] = w.api("POST", "/api/v1/goldens", R"({"name":"g1","from":"session/s1"})");
  ASSERT_EQ(gst, 201) << gbody;
  const json g = json::parse(gbody);
  // btrfs: new data roots are subvolumes, so goldens and clones are snapshots.
  EXPECT_EQ(g["clone_method"], type == "ext4" ? "copy" : type == "xfs" ? "reflink" : "snapshot") << g;
  EXPECT_EQ(g["source"], "session/s1");
  EXPECT_GT(g["bytes"].get<uint64_t>(), 4u << 20);
  const std::string golden_root = lfs.mnt + "/.goldens/g1/root";
  EXPECT_EQ(first_difference(tree_manifest(root1), tree_manifest(golden_root)), "") << "golden vs the session's data root";
  const auto golden_files = tree_manifest(golden_root);
  const auto whiteout = golden_files.find(upper.substr(root1.size()) + "/bin/wget");
  ASSERT_NE(whiteout, golden_files.end());
  EXPECT_NE(whiteout->second.find("rdev 0"), std::string::npos) << "a whiteout: " << whiteout->second;

  // Bad requests change nothing.
  EXPECT_EQ(w.api("POST", "/api/v1/goldens", R"({"name":"g1","from":"session/s1"})").first, 409) << "taken";
  EXPECT_EQ(w.api("POST", "/api/v1/goldens", R"({"name":"../x","from":"session/s1"})").first, 400);
  EXPECT_EQ(w.api("POST", "/api/v1/goldens", R"({"name":"g2","from":"session/nope"})").first, 404);
  EXPECT_EQ(w.api("POST", "/api/v1/docker-instances", create_body("s9", "nope")).first, 404);
  EXPECT_EQ(w.api("GET", "/api/v1/docker-instances/session/s9").first, 404) << "a refused create changes nothing";

  // XFS: a clone of it is made ahead, at the lowest priority.
  if (type == "xfs") {
    EXPECT_TRUE(w.hydrad->wait_for([](const json& e) {
      return e["event"] == "golden_spare_ready" && e["golden"] == "g1";
    }, 60000)) << "no spare made of the golden";
  }
  // A new session from the golden: the image and the container are there.
  auto [st2, b2] = w.api("POST", "/api/v1/docker-instances", create_body("s2", "g1"));
  ASSERT_EQ(st2, 201) << b2;
  EXPECT_EQ(json::parse(b2)["golden"], "g1");
  const std::string sock2 = json::parse(b2)["docker_socket"];
  const std::string root2 = json::parse(b2)["data_root"];
  EXPECT_TRUE(w.hydrad->wait_for([&](const json& e) {
    return e["event"] == "session_cloned" && e["session"] == "session/s2" && e["method"] == g["clone_method"] &&
           e["spare"] == (type == "xfs");
  }, 1000)) << "on XFS the spare is taken; elsewhere there is none";
  // dockerd leaves a stopped container's files alone: they are the golden's.
  const std::string layer = upper.substr(root1.size());
  EXPECT_EQ(first_difference(tree_manifest(golden_root + layer), tree_manifest(root2 + layer)), "") << "clone vs golden";
  struct stat sparse {};
  ASSERT_EQ(stat((root2 + layer + "/data/sparse").c_str(), &sparse), 0);
  EXPECT_EQ(sparse.st_size, 64 << 20);
  EXPECT_LT(sparse.st_blocks * 512, 1 << 20) << "holes stay holes";
  EXPECT_NE(w.docker(sock2, "images --format '{{.Repository}}:{{.Tag}}'").find("busybox:hydra"), std::string::npos);
  EXPECT_EQ(w.docker(sock2, "run --rm busybox:hydra sh -c 'echo warm'"), "warm");
  EXPECT_EQ(w.docker_rc(sock2, "start -a writer"), 0) << "the copied container runs";

  // Listed with the session made from it; measured for /metrics. On XFS the
  // spare taken is made again once s2 runs.
  if (type == "xfs") {
    EXPECT_TRUE(wait_until([&] { return json::parse(w.api("GET", "/api/v1/goldens/g1").second)["spare"] == true; },
                           60000, 100)) << "the spare not made again";
  }
  auto list = json::parse(w.api("GET", "/api/v1/goldens").second);
  ASSERT_EQ(list["goldens"].size(), 1u) << list;
  EXPECT_EQ(list["goldens"][0]["sessions"], json::array({"session/s2"}));
  // hydractl's list says whether the spare is there (a reflink golden's only).
  const std::string shown = capture(std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + w.hydrad->socket() + " golden list");
  std::istringstream rows(shown);
  std::string row, last_cell;
  while (std::getline(rows, row))
    if (row.rfind("g1 ", 0) == 0) last_cell = row.substr(row.find_last_of(' ') + 1);
  EXPECT_EQ(last_cell, type == "xfs" ? "ready" : "-") << shown;
  EXPECT_TRUE(wait_until([&] { return w.api("GET", "/metrics").second.find("hydra_golden_bytes{golden=\"g1\"}") !=
                                      std::string::npos; },
                         10000, 100));

  // A warm restart keeps the session's own data root.
  ASSERT_EQ(w.docker_rc(sock2, "tag busybox:hydra s2-only:1"), 0);
  ASSERT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/s2").first, 200);
  auto [st3, b3] = w.api("POST", "/api/v1/docker-instances", create_body("s2", "g1"));
  ASSERT_EQ(st3, 201) << b3;
  EXPECT_EQ(json::parse(b3)["golden"], "g1");
  EXPECT_NE(w.docker(sock2, "images --format '{{.Repository}}'").find("s2-only"), std::string::npos);
  EXPECT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "golden_not_used"; }, 10000));

  if (type == "ext4") {
    // A clone that takes more than a second shows its progress: in GET of
    // the session being created, and as events.
    std::ofstream(gate + ".hold") << "";
    auto cloning = std::async(std::launch::async, [&] {
      return w.api("POST", "/api/v1/docker-instances", create_body("s3", "g1")).first;
    });
    ASSERT_TRUE(wait_until([&] { return access((gate + ".held").c_str(), F_OK) == 0; }, 20000, 20));
    auto being = json::parse(w.api("GET", "/api/v1/docker-instances").second);
    json s3;
    for (const auto& i : being["instances"])
      if (i["scope_id"] == "s3") s3 = i;
    EXPECT_EQ(s3["status"], "starting") << being;
    EXPECT_EQ(s3["clone"]["golden"], "g1") << being;
    EXPECT_EQ(s3["clone"]["method"], "copy") << being;
    EXPECT_GT(s3["clone"]["bytes_total"].get<uint64_t>(), 4u << 20) << being;
    auto [in_use, in_use_body] = w.api("DELETE", "/api/v1/goldens/g1");
    EXPECT_EQ(in_use, 409) << "a session is being created from it: " << in_use_body;
    EXPECT_TRUE(w.hydrad->wait_for([](const json& e) {
      return e["event"] == "golden_clone_progress" && e["session"] == "session/s3";
    }, 10000));
    unlink((gate + ".hold").c_str());
    unlink((gate + ".held").c_str());
    EXPECT_EQ(cloning.get(), 201);
    EXPECT_EQ(json::parse(w.api("GET", "/api/v1/docker-instances/session/s3").second)["golden"], "g1");

    // hydrad dies while a golden is half-copied: the next one removes the
    // half and lists no such golden.
    std::ofstream(gate + ".hold") << "";
    auto pending = std::async(std::launch::async, [&] {
      return w.api("POST", "/api/v1/goldens", R"({"name":"g2","from":"session/s1"})").first;
    });
    ASSERT_TRUE(wait_until([&] { return access((gate + ".held").c_str(), F_OK) == 0; }, 20000, 20));
    EXPECT_EQ(access((lfs.mnt + "/.goldens/.tmp-g2").c_str(), F_OK), 0) << "being built under a temporary name";
    w.hydrad->stop(SIGKILL);
    pending.wait();
    unlink((gate + ".hold").c_str());
    ASSERT_TRUE(w.hydrad->start());
    EXPECT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "golden_partial_removed"; }, 5000));
    EXPECT_NE(access((lfs.mnt + "/.goldens/.tmp-g2").c_str(), F_OK), 0);
    EXPECT_EQ(w.api("GET", "/api/v1/goldens/g2").first, 404);
    EXPECT_EQ(w.api("GET", "/api/v1/goldens/g1").first, 200);

    // [sessions] default_golden: a create that names none starts from it.
    w.hydrad->stop(SIGTERM);
    std::string toml = capture("cat " + w.dir + "/hydra.toml");
    toml.replace(toml.find("[sessions]\n"), 11, "[sessions]\ndefault_golden = \"g1\"\n");
    std::ofstream(w.dir + "/hydra.toml") << toml << "[gc]\ngolden_unused_days = 30\n";
    ASSERT_TRUE(w.hydrad->start());
    auto [st5, b5] = w.api("POST", "/api/v1/docker-instances", create_body("s5"));
    ASSERT_EQ(st5, 201) << b5;
    EXPECT_EQ(json::parse(b5)["golden"], "g1") << b5;
    EXPECT_NE(w.docker(json::parse(b5)["docker_socket"], "images -q busybox:hydra"), "");

    // Unused for longer than [gc] golden_unused_days: reconcile removes it
    // (dry run first); sessions made from it keep their data.
    auto info = json::parse(std::ifstream(lfs.mnt + "/.goldens/g1/golden.json"));
    info["created_unix"] = info["created_unix"].get<int64_t>() - 40 * 86400;
    info["last_used_unix"] = info["created_unix"];
    std::ofstream(lfs.mnt + "/.goldens/g1/golden.json") << info.dump();
    auto dry = json::parse(w.api("POST", "/api/v1/gc/reconcile", R"({"live":["session/s1","session/s2"],"dry_run":true})").second);
    ASSERT_EQ(dry["goldens_removed"].size(), 1u) << dry;
    EXPECT_EQ(w.api("GET", "/api/v1/goldens/g1").first, 200) << "a dry run removes nothing";
    auto real = json::parse(w.api("POST", "/api/v1/gc/reconcile", R"({"live":["session/s1","session/s2"]})").second);
    ASSERT_EQ(real["goldens_removed"].size(), 1u) << real;
    EXPECT_GT(real["bytes_freed"].get<uint64_t>(), 4u << 20);
    EXPECT_EQ(w.api("GET", "/api/v1/goldens/g1").first, 404);
    EXPECT_EQ(json::parse(w.api("GET", "/api/v1/docker-instances/session/s2").second)["status"], "running");
    // The default golden gone: a new session starts empty, and says so.
    auto [st6, b6] = w.api("POST", "/api/v1/docker-instances", create_body("s6"));
    ASSERT_EQ(st6, 201) << b6;
    EXPECT_FALSE(json::parse(b6).contains("golden")) << b6;
    EXPECT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "golden_missing"; }, 10000));
    EXPECT_EQ(w.hydrad->count("golden_missing"), 1u);
  } else {
    EXPECT_EQ(w.api("DELETE", "/api/v1/goldens/g1").first, 200);
    EXPECT_EQ(w.api("GET", "/api/v1/goldens/g1").first, 404);
    EXPECT_EQ(w.api("DELETE", "/api/v1/goldens/g1").first, 404);
    // A purged data root goes whole (on btrfs: its subvolume).
    auto purged = json::parse(w.api("DELETE", "/api/v1/docker-instances/session/s1/data").second);
    EXPECT_GT(purged["data_deleted_bytes"].get<uint64_t>(), 4u << 20) << purged;
    EXPECT_NE(access(root1.c_str(), F_OK), 0);
  }
}

// On btrfs with the defaults: a new session gets overlay2 (said in its event)
// and makes a golden; a data root made with dockerd's btrfs driver keeps it
// (never switched under its data), and a golden of it is refused, naming the
// setting; --check-config says what new sessions get.
TEST(GoldenBtrfsE2E, NewSessionsGetOverlay2AndOldDataRootsKeepTheirDriver) {
  HYDRA_REQUIRE_DOCKERD();
  if (!kernel_has_fs("btrfs")) GTEST_SKIP() << "this kernel has no btrfs (/proc/filesystems)";
  LoopFs lfs(400, "btrfs");
  ASSERT_TRUE(lfs.ok) << "could not make a loop-mounted btrfs in " << lfs.dir;
  // A data root an older hydrad started with dockerd's btrfs driver.
  ASSERT_EQ(mkdir((lfs.mnt + "/session-old").c_str(), 0710), 0);
  ASSERT_EQ(mkdir((lfs.mnt + "/session-old/btrfs").c_str(), 0700), 0);
  DockerWorld w(true, "", true, lfs.mnt);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  const std::string checked = capture(std::string(HYDRA_BIN_DIR) + "/hydrad --check-config " + w.dir + "/hydra.toml");
  EXPECT_NE(checked.find("storage_driver = \"\""), std::string::npos) << checked;
  EXPECT_NE(checked.find("# sessions.data_dir is on btrfs: new sessions get storage_driver \"overlay2\""),
            std::string::npos)
      << checked;

  auto driver_of = [&](const std::string& sock) { return w.docker(sock, "info --format '{{.Driver}}'"); };
  auto started = [&](const std::string& id) {
    json found;
    for (const auto& e : w.hydrad->events())
      if (e["event"] == "session_started" && e["session"] == "session/" + id) found = e;
    return found;
  };
  auto [st_new, b_new] = w.api("POST", "/api/v1/docker-instances", create_body("new"));
  ASSERT_EQ(st_new, 201) << b_new;
  EXPECT_EQ(driver_of(json::parse(b_new)["docker_socket"]), "overlay2");
  ASSERT_TRUE(w.hydrad->wait_for([&](const json&) { return !started("new").is_null(); }, 5000));
  EXPECT_EQ(started("new")["storage_driver"], "overlay2") << started("new");
  EXPECT_NE(started("new")["storage_driver_reason"].get<std::string>().find("btrfs"), std::string::npos);

  auto [st_old, b_old] = w.api("POST", "/api/v1/docker-instances", create_body("old"));
  ASSERT_EQ(st_old, 201) << b_old;
  EXPECT_EQ(driver_of(json::parse(b_old)["docker_socket"]), "btrfs") << "a data root keeps the driver it was made with";
  ASSERT_TRUE(w.hydrad->wait_for([&](const json&) { return !started("old").is_null(); }, 5000));
  EXPECT_EQ(started("old")["storage_driver"], "btrfs") << started("old");

  for (const char* id : {"new", "old"})
    ASSERT_EQ(w.api("DELETE", std::string("/api/v1/docker-instances/session/") + id).first, 200);
  auto [g_new, g_new_body] = w.api("POST", "/api/v1/goldens", R"({"name":"fresh","from":"session/new"})");
  EXPECT_EQ(g_new, 201) << g_new_body;
  auto [g_old, g_old_body] = w.api("POST", "/api/v1/goldens", R"({"name":"legacy","from":"session/old"})");
  EXPECT_EQ(g_old, 400) << g_old_body;
  EXPECT_NE(g_old_body.find("btrfs storage driver"), std::string::npos) << g_old_body;
  EXPECT_NE(g_old_body.find("storage driver overlay2"), std::string::npos) << g_old_body;
}

INSTANTIATE_TEST_SUITE_P(Filesystems, GoldenE2E, ::testing::Values("btrfs", "xfs", "ext4"),
                         [](const auto& info) { return std::string(info.param); });

// With network = "shared" every session's bridges are in the sandbox's
// namespace, named after the network's id ("br-" and 12 characters). A
// golden's user networks carry the source's ids: a clone running beside its
// source would take over the source's bridge (dockerd adopts a bridge of
// that name) and allocate from the same subnet. So a shared session made
// from a golden starts with a network store of its own.
namespace {

// A stopped session `src` with a user network `app` (its id returned, ""
// on failure), a container on it and one on the default bridge; golden `g`
// made of it.
std::string golden_with_a_user_network(DockerWorld& w) {
  auto [st1, b1] = w.api("POST", "/api/v1/docker-instances", create_body("src"));
  EXPECT_EQ(st1, 201) << b1;
  if (st1 != 201) return "";
  const std::string sock = json::parse(b1)["docker_socket"];
  const std::string net_id = w.docker(sock, "network create app");
  // Containers that stop at once when asked (a shell as PID 1 ignores TERM).
  const char* run = " busybox:hydra sh -c 'trap exit TERM; sleep 600 & wait'";
  if (!w.import_busybox(sock) || net_id.size() != 64 ||
      w.docker_rc(sock, std::string("create --name onapp --network app") + run) != 0 ||
      w.docker_rc(sock, std::string("create --name ondefault") + run) != 0 ||
      w.api("DELETE", "/api/v1/docker-instances/session/src").first != 200)
    return "";
  auto [gst, gbody] = w.api("POST", "/api/v1/goldens", R"({"name":"g","from":"session/src"})");
  EXPECT_EQ(gst, 201) << gbody;
  return gst == 201 ? net_id : "";
}

}  // namespace

TEST(GoldenSharedE2E, ASharedCloneNeverTakesItsSourcesUserNetworkBridge) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(true, "network = \"shared\"\n");
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  const std::string net_id = golden_with_a_user_network(w);
  ASSERT_FALSE(net_id.empty());

  // The source runs again, its container on its network's bridge.
  auto [st2, b2] = w.api("POST", "/api/v1/docker-instances", create_body("src"));
  ASSERT_EQ(st2, 201) << b2;
  const std::string src_sock = json::parse(b2)["docker_socket"];
  ASSERT_EQ(w.docker_rc(src_sock, "start onapp"), 0);
  const std::string bridge = "br-" + net_id.substr(0, 12);
  ASSERT_EQ(w.sbx.ip("link show " + bridge), 0) << "the source's network bridge";
  const std::string src_port = capture("ip -n " + w.sbx.name() + " -o link show master " + bridge);

  // A clone beside it: the golden's images and containers, but not its networks.
  const size_t before = w.hydrad->event_count();
  auto [st3, b3] = w.api("POST", "/api/v1/docker-instances", create_body("c", "g"));
  ASSERT_EQ(st3, 201) << b3;
  const std::string c_sock = json::parse(b3)["docker_socket"];
  const json cloned = w.hydrad->wait_event([](const json& e) { return e["event"] == "session_cloned"; }, 10000, before);
  EXPECT_EQ(cloned.value("networks", ""), "dropped: network = \"shared\"") << cloned;
  EXPECT_EQ(w.docker(c_sock, "network ls --filter name=app -q"), "") << "the source's network is not the clone's";
  EXPECT_EQ(w.docker(c_sock, "ps -a --format '{{.Names}}' --filter name=ondefault"), "ondefault");
  EXPECT_EQ(w.docker_rc(c_sock, "start ondefault"), 0) << "a container on the default bridge runs";
  EXPECT_NE(w.docker_rc(c_sock, "start onapp"), 0) << "one on the dropped network cannot";
  EXPECT_EQ(capture("ip -n " + w.sbx.name() + " -o link show master " + bridge), src_port)
      << "nothing of the clone's on the source's bridge";
  EXPECT_EQ(w.docker_rc(src_sock, "exec onapp sh -c :"), 0) << "the source's container still runs";
}

// The warm pool's clones of default_golden, likewise.
TEST(GoldenSharedE2E, ASharedPoolMembersCloneHasNoneOfItsGoldensNetworks) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(true, "network = \"shared\"\nwarm_pool = 1\ndefault_golden = \"g\"\n");
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  const size_t before = w.hydrad->event_count();
  ASSERT_FALSE(golden_with_a_user_network(w).empty());
  const json member = w.hydrad->wait_event(
      [](const json& e) { return e["event"] == "warm_pool_member_ready" && e.value("golden", "") == "g"; }, 60000,
      before);
  ASSERT_FALSE(member.is_null()) << "no member cloned from g";
  EXPECT_EQ(member.value("networks", ""), "dropped: network = \"shared\"") << member;
  ASSERT_TRUE(wait_until([&] { return w.hydrad->health()["warm_pool"].value("ready", -1) == 1; }, 60000, 100));
  auto [st, body] = w.api("POST", "/api/v1/docker-instances", create_body("c"));
  ASSERT_EQ(st, 201) << body;
  const json c = json::parse(body);
  EXPECT_EQ(c.value("golden", ""), "g") << c;
  const std::string sock = c["docker_socket"];
  EXPECT_EQ(w.docker(sock, "network ls --filter name=app -q"), "") << "none of the golden's user networks";
  EXPECT_EQ(w.docker_rc(sock, "start ondefault"), 0);
}
