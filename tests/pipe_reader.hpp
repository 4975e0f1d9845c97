// SPDX-License-Identifier: Apache-2.0
// Reads what a pipe holds now, without blocking (the fd must be O_NONBLOCK):
// for tests that play a log reader that stops, then comes back.
#pragma once

#include <unistd.h>

#include <string>

namespace hydra::test {

inline std::string drain_pipe(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace hydra::test
