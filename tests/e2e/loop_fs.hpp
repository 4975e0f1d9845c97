// SPDX-License-Identifier: Apache-2.0
// The end-to-end tests' worlds with a loop-mounted filesystem for data roots.
#pragma once

#include "../loop_fs.hpp"
#include "docker_world.hpp"
