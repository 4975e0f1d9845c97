// SPDX-License-Identifier: Apache-2.0
// Not a parser: the fuzz runner's own check. This target crashes on one known
// input, which its seed corpus holds, so `scripts/fuzz run canary` must fail;
// the test fuzz.a_crash_fails_the_run proves that scripts/fuzz's verdict can
// fail (it once could not). Never in `scripts/fuzz all`.
#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char kCrashOn[] = "hydra-fuzz-canary";
  if (size >= sizeof kCrashOn - 1 && std::memcmp(data, kCrashOn, sizeof kCrashOn - 1) == 0) std::abort();
  return 0;
}
