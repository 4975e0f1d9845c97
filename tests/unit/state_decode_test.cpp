// SPDX-License-Identifier: Apache-2.0
// Decoders of what hydrad reads — sessions.json, API bodies and replies —
// never throw: bad input is an error naming the field, or a skipped entry.
#include <gtest/gtest.h>

#include "api/schema.hpp"
#include "base/json_fields.hpp"
#include "session/manager/session_store.hpp"

using namespace hydra;

TEST(SessionRecords, RoundTrip) {
  std::vector<session::SessionRecord> records = {
      {{"session", "s1"}, "u1", 1, true, 1764400000, 1764300000, 2, false, "desk", 4242},
      {{"spectask", "t-9"}, "", 2, false, 0, 0, 0, false, "", 0},
      {{"exploratory", "h"}, "u2", 0, false, 1764400001, 1764400001, 0, true, "", 0},
  };
  auto back = session::decode_session_records(session::encode_session_records(records));
  ASSERT_TRUE(back) << back.error().text();
  EXPECT_EQ(back->records, records);
  EXPECT_TRUE(back->skipped.empty());
}

// Issue 12, fault 2: a number where a string belongs made hydrad exit at
// start (an exception from json::value). Now the entry is skipped, named.
TEST(SessionRecords, WrongTypesSkipTheEntryAndSayWhy) {
  auto d = session::decode_session_records(R"([
    {"scope_type": "session", "scope_id": 7, "index": 1, "index_held": true},
    {"scope_type": "session", "scope_id": "ok", "index": "2"},
    {"scope_type": "session", "scope_id": "big", "index": 4294967297, "index_held": true},
    {"scope_type": "session", "scope_id": "far", "index": 5000, "index_held": true},
    {"scope_type": "bogus", "scope_id": "x"},
    "not an object",
    {"scope_type": "session", "scope_id": "good", "index": 3, "index_held": true},
    {"scope_type": "session", "scope_id": "good", "index": 4, "index_held": true},
    {"scope_type": "session", "scope_id": "twin", "index": 3, "index_held": true}
  ])");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->records.size(), 1u);
  EXPECT_EQ(d->records[0].key.scope_id, "good");
  ASSERT_EQ(d->skipped.size(), 8u);
  EXPECT_NE(d->skipped[0].find("\"scope_id\" must be a string"), std::string::npos) << d->skipped[0];
  EXPECT_NE(d->skipped[1].find("\"index\" must be an integer"), std::string::npos) << d->skipped[1];
  EXPECT_NE(d->skipped[2].find("\"index\""), std::string::npos) << d->skipped[2];
  EXPECT_NE(d->skipped[3].find("out of range"), std::string::npos) << d->skipped[3];
  EXPECT_NE(d->skipped[6].find("a second entry"), std::string::npos) << d->skipped[6];
  EXPECT_NE(d->skipped[7].find("held twice"), std::string::npos) << d->skipped[7];
}

TEST(SessionRecords, NotAnArrayIsAnErrorToMoveTheFileAside) {
  for (const char* text : {"", "{", "{}", "42", "\"x\"", "null"}) {
    auto d = session::decode_session_records(text);
    ASSERT_FALSE(d) << text;
    EXPECT_EQ(d.error().code, EBADMSG);
  }
}

TEST(SessionRecords, LowestFreeIndex) {
  EXPECT_EQ(session::lowest_free_index({}), 1);
  EXPECT_EQ(session::lowest_free_index({1, 2, 4}), 3);
  std::set<int> all;
  for (int i = 1; i <= 254; ++i) all.insert(i);
  EXPECT_FALSE(session::lowest_free_index(all, 254));
  EXPECT_EQ(session::lowest_free_index(all, 255), 255) << "the plan's limit, not a constant";
}

TEST(SessionRecords, NetworkModeIsKeptAndOldFilesReadAsShared) {
  session::SessionRecord r;
  r.key = {"session", "iso"};
  r.index = 4;
  r.index_held = true;
  r.network = session::NetworkMode::kIsolated;
  r.desktop_resolv = "nameserver 10.0.0.2\n";
  auto back = session::decode_session_records(session::encode_session_records({r}));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->records.size(), 1u);
  EXPECT_EQ(back->records[0], r);
  auto old = session::decode_session_records(R"([{"scope_type":"session","scope_id":"o","index":1,"index_held":true}])");
  ASSERT_TRUE(old);
  ASSERT_EQ(old->records.size(), 1u);
  EXPECT_EQ(old->records[0].network, session::NetworkMode::kShared) << "written before network modes existed";
  auto bad = session::decode_session_records(R"([{"scope_type":"session","scope_id":"b","network":"bridged"}])");
  ASSERT_TRUE(bad);
  EXPECT_TRUE(bad->records.empty());
  ASSERT_EQ(bad->skipped.size(), 1u);
  EXPECT_NE(bad->skipped[0].find("bridged"), std::string::npos) << bad->skipped[0];
}

TEST(JsonFields, IntegersInRangeOnly) {
  auto j = nlohmann::json::parse(R"({"a": -1, "b": 70000, "c": 18446744073709551615, "d": 1.5, "e": "1"})");
  uint16_t u16 = 0;
  EXPECT_FALSE(json_fields::read(j, "a", u16));
  EXPECT_FALSE(json_fields::read(j, "b", u16));
  int64_t i64 = 0;
  EXPECT_FALSE(json_fields::read(j, "c", i64));
  uint64_t u64 = 0;
  EXPECT_TRUE(json_fields::read(j, "c", u64));
  EXPECT_EQ(u64, 18446744073709551615ull);
  EXPECT_FALSE(json_fields::read(j, "d", i64));
  EXPECT_FALSE(json_fields::read(j, "e", i64));
  int32_t i32 = 5;
  EXPECT_TRUE(json_fields::read(j, "missing", i32));
  EXPECT_EQ(i32, 5);
  EXPECT_FALSE(json_fields::read(j, "missing", i32, true));
}

TEST(Schema, BridgeRoundTripAndTypedErrors) {
  telemetry::BridgeStatus b;
  b.name = "docker0";
  b.state = "degraded";
  b.up = true;
  b.ifindex = 5;
  b.mac = "02:42:0a:d5:00:01";
  b.mtu = 1400;
  b.addresses = {"10.213.0.1/24"};
  b.ports = {{"veth0", 9}};
  b.restores = 3;
  b.last_restore = telemetry::BridgeStatus::LastRestore{612, 1, "2026-11-29T00:00:00Z"};
  b.restore_attempts = 7;
  b.degraded = {"sysctl ipv6.forwarding: Permission denied"};
  auto back = api::decode_bridge(api::to_json(b));
  ASSERT_TRUE(back) << back.error().text();
  EXPECT_EQ(back->name, b.name);
  EXPECT_EQ(back->ports, b.ports);
  EXPECT_EQ(back->last_restore, b.last_restore);
  EXPECT_EQ(back->restore_attempts, 7);
  EXPECT_EQ(back->degraded, b.degraded);
  auto j = api::to_json(b);
  j["mtu"] = "big";
  auto bad = api::decode_bridge(j);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("\"mtu\""), std::string::npos) << bad.error().message;
  EXPECT_FALSE(api::decode_bridges(nlohmann::json::object()));
}

TEST(Schema, InstanceRoundTripAndOmittedFields) {
  api::DockerInstance d;
  d.scope_type = "session";
  d.scope_id = "s1";
  d.status = "error";
  d.state = "unresponsive";
  d.error = "GET /_ping: Timeout was reached";
  d.bridge_name = "hydra1";
  d.pid = 42;
  d.container_count = 3;
  d.created_at = "2026-11-29T10:00:00Z";
  d.desktop = api::DesktopLink{"desk", 7, "10.200.1.254", "vethb-h1", "eth1"};
  auto j = api::to_json(d);
  EXPECT_EQ(j["container_count"], 3);
  EXPECT_TRUE(j["data_size_at"].is_null());
  auto back = api::decode_instance(j);
  ASSERT_TRUE(back) << back.error().text();
  EXPECT_EQ(back->status, "error");
  EXPECT_EQ(back->state, "unresponsive");
  EXPECT_EQ(back->error, d.error);
  EXPECT_EQ(back->pid, 42);
  EXPECT_EQ(back->created_at, d.created_at);
  ASSERT_TRUE(back->desktop);
  EXPECT_EQ(back->desktop->interface, "eth1");
  // Hydra's omitempty fields: absent when empty.
  d.error.clear();
  d.bridge_name.clear();
  auto brief = api::to_json(d);
  for (const char* k : {"error", "bridge_name", "subnet", "gateway"}) EXPECT_FALSE(brief.contains(k)) << k;
  auto list = api::to_json(std::vector<api::DockerInstance>{d, d});
  ASSERT_TRUE(list["instances"].is_array());
  EXPECT_EQ(list["instances"].size(), 2u);
  auto decoded = api::decode_instances(list);
  ASSERT_TRUE(decoded) << decoded.error().text();
  EXPECT_EQ(decoded->size(), 2u);
  EXPECT_FALSE(api::decode_instances(nlohmann::json::array())) << "the bare array of before is not the list";
}

#include "net/bridge_snapshot.hpp"
#include "world_builder.hpp"

// Every field of a snapshot given the wrong type is an error naming it,
// never an exception (hydrad moves such a file aside and starts).
TEST(SnapshotDecode, WrongTypesAreErrorsNotExceptions) {
  hydra::test::SandboxWorld w;
  const auto good = net::snapshot_to_json(w.snap);
  ASSERT_TRUE(net::snapshot_from_json(good));
  auto broken = [&](const std::function<void(nlohmann::json&)>& edit) {
    auto j = good;
    edit(j);
    return net::snapshot_from_json(j);
  };
  EXPECT_FALSE(broken([](auto& j) { j["name"] = 5; }));
  EXPECT_FALSE(broken([](auto& j) { j["ifindex"] = "x"; }));
  EXPECT_FALSE(broken([](auto& j) { j["mtu"] = -1; }));
  EXPECT_FALSE(broken([](auto& j) { j["ports"] = "none"; }));
  EXPECT_FALSE(broken([](auto& j) { j["ports"][0]["peer_netnsid"] = "y"; }));
  EXPECT_FALSE(broken([](auto& j) { j["addresses"][0]["prefixlen"] = 300; }));
  EXPECT_FALSE(broken([](auto& j) { j["addresses"][0]["prefixlen"] = 40; }));  // IPv4
  EXPECT_FALSE(broken([](auto& j) { j["extras"]["routes"] = nlohmann::json::array({1}); }));
  EXPECT_FALSE(broken([](auto& j) { j["extras"]["sysctls"] = {{"ipv4.forwarding", 1}}; }));
  EXPECT_FALSE(broken([](auto& j) { j = nlohmann::json::array(); }));
  auto named = broken([](auto& j) { j["mtu"] = "big"; });
  ASSERT_FALSE(named);
  EXPECT_NE(named.error().message.find("\"mtu\""), std::string::npos) << named.error().message;
  // Older snapshots, without a group or extras, still load.
  auto old = broken([](auto& j) {
    j.erase("group");
    j.erase("extras");
  });
  EXPECT_TRUE(old) << old.error().text();
}
