# Shared helpers for the bats suite: starting and stopping servers on
# ephemeral ports, bounded polling, and reading /proc (all in lib/core.bash),
# with bats-support and bats-assert for the assertions.
#
# STEPS_ROOT (default: the repository's steps/) says where the binaries are,
# so make check can run the same tests against sanitizer builds.

bats_load_library bats-support
bats_load_library bats-assert

# shellcheck source=tests/lib/core.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib/core.bash"
