// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <fstream>

#include "guard/snapshot_store.hpp"
#include "world_builder.hpp"

using namespace hydra;
using namespace hydra::net;

TEST(Snapshot, JsonRoundTripIsExact) {
  hydra::test::SandboxWorld w;
  w.snap.addresses[0].broadcast = netlink::IpAddr::parse("10.213.0.255");
  w.snap.ports[0].peer_netnsid.reset();
  auto back = snapshot_from_json(snapshot_to_json(w.snap));
  ASSERT_TRUE(back) << back.error().text();
  EXPECT_EQ(*back, w.snap);
}

TEST(Snapshot, StrictAboutBadFields) {
  hydra::test::SandboxWorld w;
  auto j = snapshot_to_json(w.snap);
  auto broken = j;
  broken["mac"] = "not-a-mac";
  EXPECT_FALSE(snapshot_from_json(broken));
  broken = j;
  broken.erase("ports");
  EXPECT_FALSE(snapshot_from_json(broken));
  broken = j;
  broken["options"]["warp_drive"] = 1;
  auto r = snapshot_from_json(broken);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("warp_drive"), std::string::npos);
  broken = j;
  broken["name"] = "bad/name";
  EXPECT_FALSE(snapshot_from_json(broken));
}

TEST(SnapshotStore, SavesAtomicallyAndLoads) {
  char tmpl[] = "/tmp/hydra-store-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = std::string(tmpl) + "/nested/state";
  guard::SnapshotStore store(dir);
  ASSERT_TRUE(store.prepare());
  auto none = store.load("docker0");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  hydra::test::SandboxWorld w;
  ASSERT_TRUE(store.save(w.snap));
  EXPECT_NE(access((store.path_of("docker0") + ".tmp").c_str(), F_OK), 0) << "no temporary left behind";
  auto loaded = store.load("docker0");
  ASSERT_TRUE(loaded);
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, w.snap);
  std::ofstream(store.path_of("docker0")) << "{ truncated";
  auto bad = store.load("docker0");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find(store.path_of("docker0")), std::string::npos);
  std::system(("rm -rf " + std::string(tmpl)).c_str());
}

