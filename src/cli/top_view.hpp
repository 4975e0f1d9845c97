// SPDX-License-Identifier: Apache-2.0
// `hydractl top`'s figures from two samples of the session list: CPU use
// between them, memory and tasks against each session's limits, sorted.
// Pure, so unit-tested; top_command.cpp samples and draws.
#pragma once

#include <string>
#include <vector>

#include "api/schema.hpp"

namespace hydra::cli {

enum class TopSort { kCpu, kMemory };

struct TopRow {
  std::string session;  // TYPE/ID
  std::string state;
  double cpu_percent = -1;  // of one CPU, between the samples (-1: not measured twice)
  double cpu_seconds = 0;
  int64_t memory_bytes = 0;
  int64_t memory_peak_bytes = 0;
  uint64_t memory_limit = 0;  // 0: none
  double cpu_limit = 0;       // 0: none
  int64_t pids = 0;
  uint64_t pids_limit = 0;
  int64_t oom_kills = 0;
};

// Rows of the sessions in `now` that report usage, CPU from their figure in
// `before` over `seconds` of wall clock; sorted by `sort`, largest first.
std::vector<TopRow> top_rows(const std::vector<api::DockerInstance>& before, const std::vector<api::DockerInstance>& now,
                             double seconds, TopSort sort);
// "512.0MiB", "1.5GiB", "800B"
std::string short_bytes(int64_t bytes);
// The table `hydractl top` prints.
std::string top_table(const std::vector<TopRow>& rows);

}  // namespace hydra::cli
