// SPDX-License-Identifier: Apache-2.0
// `hydractl session ...`, `hydractl golden ...` and `hydractl bridge-desktop`.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

namespace hydra::cli {

struct SessionArgs {
  std::string socket;
  std::string scope_type;  // "" until --type or a TYPE/ID sets it (then session)
  std::string scope_id;
  std::string user_id;
  int max_containers = 0;
  bool use_host_docker = false;
  std::string desktop;  // desktop container id or name
  bool undo = false;    // bridge-desktop --delete
  std::string golden;   // session create --golden, golden create/delete NAME
  std::string from;     // golden create --from type/id
  std::string memory;   // session create --memory (as docker --memory takes it)
  double cpus = 0;      // session create --cpus
  int64_t pids = 0;     // session create --pids
  bool json = false;
};

int run_session_create(const SessionArgs& a, std::ostream& out, std::ostream& err);
int run_session_list(const SessionArgs& a, std::ostream& out, std::ostream& err);
int run_session_inspect(const SessionArgs& a, std::ostream& out, std::ostream& err);
int run_session_delete(const SessionArgs& a, std::ostream& out, std::ostream& err);
int run_session_purge(const SessionArgs& a, std::ostream& out, std::ostream& err);
int run_golden_create(const SessionArgs& a, std::ostream& out, std::ostream& err);
int run_golden_list(const SessionArgs& a, std::ostream& out, std::ostream& err);
int run_golden_delete(const SessionArgs& a, std::ostream& out, std::ostream& err);
int run_bridge_desktop(const SessionArgs& a, std::ostream& out, std::ostream& err);

}  // namespace hydra::cli
