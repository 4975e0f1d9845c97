// SPDX-License-Identifier: Apache-2.0
// The outermost frame of hydrad and hydractl. Errors are values throughout;
// an exception reaching here is a bug (or out of memory) and ends the program
// with its message and EX_SOFTWARE rather than a bare abort.
#pragma once

#include <cstdio>
#include <exception>

namespace hydra {

inline int guarded_main(const char* program, int (*run)(int, char**), int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "%s: unexpected error: %s\n", program, e.what());
  } catch (...) {
    (void)std::fprintf(stderr, "%s: unexpected error\n", program);
  }
  return 70;  // EX_SOFTWARE
}

}  // namespace hydra
