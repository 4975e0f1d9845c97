// SPDX-License-Identifier: Apache-2.0
// Loads a hex fixture from tests/fixtures into bytes.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace hydra::test {

inline std::vector<uint8_t> load_hex(const std::string& name) {
  std::ifstream in(std::string(HYDRA_FIXTURE_DIR) + "/" + name);
  std::vector<uint8_t> out;
  std::string tok;
  while (in >> tok) out.push_back(static_cast<uint8_t>(std::stoul(tok, nullptr, 16)));
  return out;
}

inline std::string to_hex(const uint8_t* p, size_t n) {
  std::ostringstream s;
  static const char* digits = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    s << digits[p[i] >> 4] << digits[p[i] & 15] << ((i % 16 == 15) ? "\n" : " ");
  }
  return s.str();
}

// Message bytes kept aligned for casting to nlmsghdr.
struct MessageBuffer {
  explicit MessageBuffer(std::vector<uint8_t> b) : words((b.size() + 3) / 4 + 1, 0) {
    std::memcpy(words.data(), b.data(), b.size());
    size = b.size();
  }
  nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(words.data()); }
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(words.data()); }
  std::vector<uint32_t> words;
  size_t size;
};

}  // namespace hydra::test
