// SPDX-License-Identifier: Apache-2.0
// Column-aligned text tables for the CLI, like `docker ps`.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

namespace hydra::cli {

// A cell: "-" for a value that is absent (or an empty string).
inline std::string cell(const std::string& s) { return s.empty() ? "-" : s; }
template <class T>
std::string cell(const std::optional<T>& v) {
  if (!v) return "-";
  if constexpr (std::is_same_v<T, std::string>) return cell(*v);
  else return std::to_string(*v);
}

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : rows_{std::move(headers)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const {
    std::vector<size_t> width;
    for (const auto& r : rows_)
      for (size_t i = 0; i < r.size(); ++i) {
        if (width.size() <= i) width.push_back(0);
        width[i] = std::max(width[i], r[i].size());
      }
    for (const auto& r : rows_) {
      std::string line;
      for (size_t i = 0; i < r.size(); ++i) {
        line += r[i];
        if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
      }
      out << line << "\n";
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace hydra::cli
