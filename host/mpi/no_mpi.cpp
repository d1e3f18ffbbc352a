// A build without MPI (CMake found none): one process is the whole run. An
// MPI launcher that started several copies would have each run the whole
// job and write the same files, so that is refused.
#include "common/error.hpp"
#include "host/world.hpp"

namespace trustprop::host {

std::unique_ptr<Communicator> start_mpi(int&, char**&, const LaunchedAs& launch) {
  if (launch.size > 1)
    throw UsageError("this trustprop was built without MPI, but an MPI launcher started it as process " +
                     std::to_string(launch.rank) + " of " + std::to_string(launch.size) +
                     ": each process would run the whole job. Rebuild with MPI (scripts/install-deps.sh installs "
                     "libopenmpi-dev) or run one process");
  return nullptr;
}

void finish_mpi() {}

}  // namespace trustprop::host
