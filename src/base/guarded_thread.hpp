// SPDX-License-Identifier: Apache-2.0
// The entry of every thread hydrad starts. Errors are values throughout; an
// exception that escapes a thread's body anyway (a bug, a decoder's error, out
// of memory) would end the whole process through std::terminate — the guard
// and the API with it. Here it is caught, reported with the thread's name
// through the reporter hydrad sets at start (the `thread_failed` event), and
// the body is run again (its part restarted), at most kRestarts times in a
// row before the part is left failed and `on_failed` runs.
//
// THREADS: any. LOCKS: the reporter is set once, before the first thread.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <utility>

namespace hydra {

// thread: the name given below; what: the exception's text; action: what
// happened next ("restarted" or "left failed").
using ThreadEscapeReporter = void (*)(const std::string& thread, const std::string& what, const std::string& action);
void set_thread_escape_reporter(ThreadEscapeReporter reporter);
void report_thread_escape(const std::string& thread, const std::string& what, const std::string& action);

inline constexpr int kThreadRestarts = 3;

// Runs `body` until it returns; an escape is reported and `body` runs again
// (`body` starts by looking at its part's stop flag, so a restart of a part
// being stopped ends at once). After kThreadRestarts escapes in a row,
// `on_failed` runs and this returns. Never throws.
template <class Body>
void run_guarded(const std::string& thread, Body&& body, const std::function<void()>& on_failed = {}) noexcept {
  for (int escapes = 0;;) {
    std::string what;
    try {
      body();
      return;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "an exception that is not a std::exception";
    }
    const bool give_up = ++escapes > kThreadRestarts;
    report_thread_escape(thread, what, give_up ? "left failed" : "restarted");
    if (give_up) {
      try {
        if (on_failed) on_failed();
      } catch (...) {  // NOLINT(bugprone-empty-catch): already reported; nothing more to do
      }
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10 * escapes));  // not a hot loop
  }
}

// A std::thread whose entry is run_guarded().
template <class Body>
std::thread guarded_thread(std::string name, Body body, std::function<void()> on_failed = {}) {
  return std::thread([name = std::move(name), body = std::move(body), on_failed = std::move(on_failed)]() mutable {
    run_guarded(name, body, on_failed);
  });
}

}  // namespace hydra
