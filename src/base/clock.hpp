// Monotonic microseconds, the unit every timing in hydra is reported in.
#pragma once

#include <cstdint>
#include <ctime>

namespace hydra {

inline int64_t monotonic_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace hydra
