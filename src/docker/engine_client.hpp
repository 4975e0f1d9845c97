// SPDX-License-Identifier: Apache-2.0
// The few Docker Engine API calls hydra needs, on one daemon's socket.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.hpp"
#include "docker/container_networking.hpp"

namespace hydra::docker {

class EngineClient {
 public:
  // Every call but stop_container gives up after `timeout_s` seconds: a
  // dockerd that is stopped or hung must not hold its caller for long.
  explicit EngineClient(std::string socket, long timeout_s = 60) : socket_(std::move(socket)), timeout_s_(timeout_s) {}

  Status ping(long timeout_s = 2) const;
  struct Container {
    std::string id;
    std::string name;  // without the leading '/'
  };
  // The running containers, with their names.
  Result<std::vector<Container>> containers() const;
  // How many containers it has, in every state.
  Result<size_t> container_count() const;
  // Ids of the running containers.
  Result<std::vector<std::string>> running_containers() const;
  // Stops one container, giving it `grace_s` seconds before Docker kills it.
  Status stop_container(const std::string& id, int grace_s) const;
  // The pid of a running container's init process; an error when the
  // container is unknown (404) or not running.
  Result<pid_t> container_pid(const std::string& id) const;

  // A container's names, addresses and published ports (inspect).
  Result<ContainerNetworking> networking(const std::string& id) const;

  [[nodiscard]] const std::string& socket() const { return socket_; }

 private:
  std::string socket_;
  long timeout_s_;
};

}  // namespace hydra::docker
