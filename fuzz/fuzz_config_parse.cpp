// SPDX-License-Identifier: Apache-2.0
// Fuzz target: any text as hydrad's TOML config. An error or a config that
// validates; the config passed in is unchanged on error.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "daemon/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  hydra::daemon::DaemonConfig config;
  auto st = hydra::daemon::apply_config_text(text, "fuzz.toml", config);
  if (st && !hydra::daemon::validate_config(config)) std::abort();  // accepted means valid
  if (!st && config.guard_bridges != hydra::daemon::DaemonConfig().guard_bridges) std::abort();
  return 0;
}
