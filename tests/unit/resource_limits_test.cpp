// SPDX-License-Identifier: Apache-2.0
// A session's limits as requests and hydra.toml give them: sizes read the
// way docker --memory reads them, bounds against the machine, the share its
// daemons keep, and the form sessions.json and the API hold them in.
#include "session/core/resource_limits.hpp"

#include <gtest/gtest.h>

namespace hydra::session {
namespace {

TEST(ResourceLimits, SizesReadAsDockerMemoryReadsThem) {
  const std::pair<const char*, uint64_t> good[] = {
      {"1048576", 1048576},   {"64m", 64ULL << 20},    {"64M", 64ULL << 20}, {"64MiB", 64ULL << 20},
      {"64MB", 64ULL << 20},  {"64 MiB", 64ULL << 20}, {"1.5g", 3ULL << 29}, {"2GiB", 2ULL << 30},
      {"512k", 512ULL << 10}, {"1t", 1ULL << 40},      {"100b", 100},        {"0", 0}};
  for (const auto& [text, bytes] : good) {
    auto v = parse_memory_size(text);
    ASSERT_TRUE(v) << text << ": " << v.error().text();
    EXPECT_EQ(*v, bytes) << text;
  }
  for (const char* bad :
       {"", "m", "-1", "64x", "64mm", "1.2.3", ".5g", "5.g", "  64", "1e9", "99999999999999999999t", "64iB", "0x10"})
    EXPECT_FALSE(parse_memory_size(bad)) << "\"" << bad << "\"";
}

TEST(ResourceLimits, SizesPrintShortAndReadBack) {
  for (uint64_t b : {uint64_t{0}, uint64_t{1000000}, uint64_t{64} << 20, uint64_t{1536} << 20, uint64_t{3} << 30}) {
    auto back = parse_memory_size(memory_size_text(b));
    ASSERT_TRUE(back) << memory_size_text(b);
    EXPECT_EQ(*back, b);
  }
  EXPECT_EQ(memory_size_text(64ULL << 20), "64MiB");
  EXPECT_EQ(memory_size_text(1536ULL << 20), "1536MiB");
}

TEST(ResourceLimits, BoundsNameTheFieldAndTheMachine) {
  const MachineSize m{8ULL << 30, 2, 32768};
  auto check = [&](ResourceLimits l) { return check_limits(l, m, kRequestLimitNames); };
  ResourceLimits ok;
  ok.memory = 512ULL << 20;
  ok.memory_high = 256ULL << 20;
  ok.cpus = 1.5;
  ok.cpu_weight = 200;
  ok.pids = 1024;
  EXPECT_TRUE(check(ok));
  struct Case {
    ResourceLimits l;
    const char* field;
    const char* says;
  };
  std::vector<Case> cases;
  cases.push_back({ResourceLimits{.memory = 9ULL << 30}, "memory_limit", "more than this machine's 8GiB"});
  cases.push_back({ResourceLimits{.memory = 1ULL << 20}, "memory_limit", "at least 64MiB"});
  cases.push_back({ResourceLimits{.memory = 256ULL << 20, .memory_high = 512ULL << 20}, "memory_high", "above"});
  cases.push_back({ResourceLimits{.cpus = 3}, "cpu_limit", "more than this machine's 2 CPUs"});
  cases.push_back({ResourceLimits{.cpus = 0.001}, "cpu_limit", "at least 0.01"});
  cases.push_back({ResourceLimits{.cpu_weight = 20000}, "cpu_weight", "1 to 10000"});
  cases.push_back({ResourceLimits{.pids = 100}, "pids_limit", "at least 256"});
  cases.push_back({ResourceLimits{.pids = 40000}, "pids_limit", "pid_max 32768"});
  for (const auto& c : cases) {
    auto st = check(c.l);
    ASSERT_FALSE(st) << c.field;
    EXPECT_EQ(st.error().code, EINVAL);
    EXPECT_NE(st.error().message.find(std::string("\"") + c.field + "\""), std::string::npos) << st.error().message;
    EXPECT_NE(st.error().message.find(c.says), std::string::npos) << st.error().message;
  }
  auto st = check_limits(ResourceLimits{.pids = 100}, m, kConfigLimitNames);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("sessions.limits.pids"), std::string::npos) << st.error().message;
}

TEST(ResourceLimits, TheDaemonsKeepTheirShare) {
  EXPECT_EQ(containers_memory(1ULL << 30), (1ULL << 30) - (128ULL << 20));     // an eighth
  EXPECT_EQ(containers_memory(256ULL << 20), (256ULL << 20) - (48ULL << 20));  // at least 48 MiB
  EXPECT_EQ(containers_pids(256), 128u);
  EXPECT_EQ(containers_pids(4096), 3072u);  // a quarter
  for (uint64_t m = kMinSessionMemory; m < (64ULL << 30); m = m * 3 / 2) EXPECT_LT(containers_memory(m), m);
  for (uint64_t p = kMinSessionPids; p < 4000000; p = p * 3 / 2) EXPECT_LT(containers_pids(p), p);
}

TEST(ResourceLimits, TheCreatesOverTheDefaultsFieldByField) {
  ResourceLimits defaults{.memory = 1ULL << 30, .cpus = 1, .pids = 512};
  ResourceLimits asked{.memory = 256ULL << 20, .cpu_weight = 50};
  const ResourceLimits got = asked.over(defaults);
  EXPECT_EQ(got.memory, 256ULL << 20);
  EXPECT_EQ(got.cpus, 1.0);
  EXPECT_EQ(got.cpu_weight, 50u);
  EXPECT_EQ(got.pids, 512u);
  EXPECT_FALSE(got.memory_high);
  EXPECT_FALSE(ResourceLimits{}.any());
}

TEST(ResourceLimits, JsonKeepsOnlyWhatIsSetAndReadsItBack) {
  ResourceLimits l{.memory = 64ULL << 20, .cpus = 0.5, .pids = 300};
  const auto j = limits_json(l);
  EXPECT_EQ(j.size(), 3u);
  auto back = limits_from_json(j);
  ASSERT_TRUE(back) << back.error().text();
  EXPECT_EQ(*back, l);
  EXPECT_TRUE(limits_from_json(nlohmann::json::object()));
  EXPECT_FALSE(limits_from_json(nlohmann::json::parse(R"({"memory": "lots"})")));
  EXPECT_FALSE(limits_from_json(nlohmann::json::parse(R"({"cpus": "1"})")));
  EXPECT_FALSE(limits_from_json(nlohmann::json::parse(R"([1])")));
}

}  // namespace
}  // namespace hydra::session
