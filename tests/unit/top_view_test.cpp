// SPDX-License-Identifier: Apache-2.0
// hydractl top's figures from two samples of the session list.
#include "cli/top_view.hpp"

#include <gtest/gtest.h>

namespace hydra::cli {
namespace {

api::DockerInstance instance(const std::string& id, double cpu, int64_t memory) {
  api::DockerInstance d;
  d.scope_type = "session";
  d.scope_id = id;
  d.state = "running";
  d.usage = api::SessionUsage{cpu, memory, memory * 2, 20, 0};
  return d;
}

TEST(TopView, CpuBetweenSamplesSortedLargestFirst) {
  std::vector<api::DockerInstance> before{instance("a", 10, 100), instance("b", 5, 900), instance("c", 50, 1)};
  std::vector<api::DockerInstance> now{instance("a", 11, 100), instance("b", 8, 900), instance("c", 1, 1),
                                       instance("d", 3, 5)};
  now[1].limits.memory = 1ULL << 30;
  now[1].limits.pids = 512;
  api::DockerInstance stopped;
  stopped.scope_type = "session";
  stopped.scope_id = "e";
  now.push_back(stopped);  // no usage: not a row
  const auto rows = top_rows(before, now, 2.0, TopSort::kCpu);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].session, "session/b");
  EXPECT_DOUBLE_EQ(rows[0].cpu_percent, 150.0);
  EXPECT_EQ(rows[1].session, "session/a");
  EXPECT_DOUBLE_EQ(rows[1].cpu_percent, 50.0);
  EXPECT_LT(rows[2].cpu_percent, 0) << "c restarted (its CPU time went down): no rate";
  EXPECT_LT(rows[3].cpu_percent, 0) << "d is new: no rate yet";
  const auto by_memory = top_rows(before, now, 2.0, TopSort::kMemory);
  EXPECT_EQ(by_memory[0].session, "session/b");
  EXPECT_EQ(by_memory[0].memory_limit, 1ULL << 30);
  const std::string table = top_table(rows);
  EXPECT_NE(table.find("150.0"), std::string::npos) << table;
  EXPECT_NE(table.find("1.0GiB"), std::string::npos) << table;
  EXPECT_NE(table.find("20/512"), std::string::npos) << table;
}

TEST(TopView, BytesAreShort) {
  EXPECT_EQ(short_bytes(800), "800B");
  EXPECT_EQ(short_bytes(512LL << 20), "512.0MiB");
  EXPECT_EQ(short_bytes(3LL << 29), "1.5GiB");
  EXPECT_EQ(short_bytes(-1), "0B");
}

}  // namespace
}  // namespace hydra::cli
