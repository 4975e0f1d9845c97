// SPDX-License-Identifier: Apache-2.0
// hydra.toml(5): the manual page of the config file, in man(7) roff,
// generated from config_keys() (hydrad --config-manual; the build installs it).
//
// THREADS: the main thread. LOCKS: none.
#pragma once

#include <string>
#include <string_view>

namespace hydra::daemon {

std::string config_manual(std::string_view version);

}  // namespace hydra::daemon
