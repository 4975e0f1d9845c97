// SPDX-License-Identifier: Apache-2.0
// Order statistics for the benchmark tables.
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace hydra::bench {

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// "median | p99 | min | max" as markdown cells.
inline std::string stat_cells(const std::vector<double>& v, const char* fmt = "%.0f") {
  if (v.empty()) return "- | - | - | -";
  std::string f = std::string(fmt) + " | " + fmt + " | " + fmt + " | " + fmt;
  char b[200];
  std::snprintf(b, sizeof b, f.c_str(), percentile(v, 0.5), percentile(v, 0.99),
                *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()));
  return b;
}

}  // namespace hydra::bench
