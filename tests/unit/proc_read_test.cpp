// SPDX-License-Identifier: Apache-2.0
// Reading another process's /proc files while it is reaped elsewhere: the
// read fails with ESRCH between open and read, which a std::ifstream turns
// into an exception (it ended hydrad in a clean-clone run). process_argv()
// and process_alive() answer "nothing" instead.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <exception>
#include <thread>

#include "session/core/run_files.hpp"

using namespace hydra::session;

TEST(ProcRead, AProcessReapedMidReadIsAnswerNotAnException) {
  std::atomic<pid_t> current{0};
  std::atomic<bool> done{false};
  std::atomic<int> thrown{0}, reads{0};
  std::thread reader([&] {
    while (!done) {
      const pid_t pid = current;
      if (pid <= 0) continue;
      try {
        (void)process_argv(pid);
        (void)process_alive(pid);
        ++reads;
      } catch (const std::exception&) {
        ++thrown;
      }
    }
  });
  // Children that end at once, reaped on this thread while the reader reads
  // (a stream threw some 150 times in 500 of these).
  for (int i = 0; i < 500; ++i) {
    const pid_t pid = fork();
    if (pid == 0) _exit(0);
    current = pid;
    usleep(100);
    waitpid(pid, nullptr, 0);
  }
  done = true;
  reader.join();
  EXPECT_GT(reads, 0);
  EXPECT_EQ(thrown, 0);
}
