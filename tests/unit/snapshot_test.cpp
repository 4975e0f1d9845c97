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

#include "guard/event_log.hpp"

TEST(EventLog, JournalFields) {
  nlohmann::json e{{"ts", "2026-11-28T00:00:00Z"}, {"event", "bridge_restored"}, {"bridge", "docker0"},
                   {"restore_us", 612}, {"ports", 3}};
  auto f = guard::journal_fields(e);
  auto has = [&](const std::string& s) { return std::find(f.begin(), f.end(), s) != f.end(); };
  EXPECT_TRUE(has("EVENT=bridge_restored"));
  EXPECT_TRUE(has("BRIDGE=docker0"));
  EXPECT_TRUE(has("RESTORE_USEC=612"));
  EXPECT_TRUE(has("PORTS=3"));
  EXPECT_TRUE(has("PRIORITY=6"));
  EXPECT_EQ(f[0].rfind("MESSAGE=bridge_restored ", 0), 0u);
  auto s = guard::journal_fields({{"event", "session_started"}, {"session", "session/s1"}});
  EXPECT_NE(std::find(s.begin(), s.end(), "SESSION=session/s1"), s.end());
  auto failed = guard::journal_fields({{"event", "restore_failed"}});
  EXPECT_NE(std::find(failed.begin(), failed.end(), "PRIORITY=3"), failed.end());
}

TEST(EventLog, JournalOnlyWhenStderrIsTheJournal) {
  setenv("JOURNAL_STREAM", "1:1", 1);  // some other file
  EXPECT_FALSE(guard::stderr_is_journal());
  struct stat st {};
  ASSERT_EQ(fstat(2, &st), 0);
  setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)).c_str(), 1);
  EXPECT_TRUE(guard::stderr_is_journal());
  unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(guard::stderr_is_journal());
}
