// SPDX-License-Identifier: Apache-2.0
#include "session/core/helper_programs.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace hydra::session {

HelperProgram copier_program(const std::string& cp) {
  return {"sessions.cp", cp, "making a golden or a session from one", "coreutils"};
}

std::vector<HelperProgram> helper_programs(const SessionSettings& s) {
  std::vector<HelperProgram> out{{"sessions.dockerd", s.dockerd, "every session", "docker.io"},
                                 {"sessions.dnsmasq", s.dnsmasq, "a bridged desktop's resolver", "dnsmasq-base"},
                                 copier_program(s.cp)};
  if (s.containerd_mode == ContainerdMode::kShared)
    out.push_back({"sessions.containerd_program", s.containerd, "every session with [sessions] containerd = \"shared\"",
                   "containerd"});
  return out;
}

Status require_helper(const HelperProgram& h) {
  struct stat st {};
  if (stat(h.path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(h.path.c_str(), X_OK) == 0) return {};
  return make_error(std::string(h.key) + ": " + h.path + " is not an executable here (Debian's " +
                        std::string(h.package) + " has it); " + std::string(h.needed_for) + " needs it",
                    ENOTSUP);
}

Status require_helper(const SessionSettings& s, std::string_view key) {
  for (const auto& h : helper_programs(s))
    if (h.key == key) return require_helper(h);
  return make_error("no helper program " + std::string(key), EINVAL);
}

}  // namespace hydra::session
