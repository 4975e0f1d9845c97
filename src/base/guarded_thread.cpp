// SPDX-License-Identifier: Apache-2.0
#include "base/guarded_thread.hpp"

#include <atomic>
#include <cstdio>

namespace hydra {

namespace {

std::atomic<ThreadEscapeReporter> g_reporter{nullptr};

}  // namespace

void set_thread_escape_reporter(ThreadEscapeReporter reporter) { g_reporter.store(reporter); }

void report_thread_escape(const std::string& thread, const std::string& what, const std::string& action) {
  if (auto* r = g_reporter.load()) {
    try {
      r(thread, what, action);
      return;
    } catch (...) {  // NOLINT(bugprone-empty-catch): the reporter itself failed; say it below
    }
  }
  (void)std::fprintf(stderr, "hydra: thread %s: unexpected error: %s (%s)\n", thread.c_str(), what.c_str(),
                     action.c_str());
}

}  // namespace hydra
