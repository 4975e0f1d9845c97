// SPDX-License-Identifier: Apache-2.0
// dockerd's network store inside a data root (network/files/local-kv.db:
// its networks, their ids, subnets and bridge names). A clone of a golden
// carries the source's; a session whose bridges live in the sandbox's own
// namespace (network = "shared") must not: a user network's bridge is named
// after its id, so the clone's dockerd would adopt the source's bridge and
// allocate from its subnet. Such a clone starts with no store: dockerd makes
// its default networks anew; the golden's user networks are not carried.
//
// THREADS: the caller's (a create or a pool fill, holding the data root).
#pragma once

#include <string>

#include "base/result.hpp"

namespace hydra::session {

// The store's path in a data root.
std::string network_store_path(const std::string& data_root);
// Removes the store (absent is fine); an error names the path.
Status drop_network_store(const std::string& data_root);
// What a clone's events say of its networks.
const char* clone_networks_note(bool shared);

}  // namespace hydra::session
