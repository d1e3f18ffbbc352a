// The single-process world, the launcher's environment, and the session
// that starts MPI only under a launcher (host/world.hpp).
#include "host/world.hpp"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "common/error.hpp"

namespace trustprop::host {

namespace {

// This process alone: every collective is the identity.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  void allgatherv(void*, const std::vector<std::int64_t>&, std::size_t) const override {}
  void gatherv(const void* send, void* recv, const std::vector<std::int64_t>& bounds,
               std::size_t unit) const override {
    const auto bytes = static_cast<std::size_t>(bounds.at(1) - bounds.at(0)) * unit;
    if (bytes > 0 && send != recv) std::memcpy(recv, send, bytes);
  }
  void broadcast(void*, std::int64_t) const override {}
  std::vector<std::int64_t> alltoall_counts(const std::vector<std::int64_t>& send_counts) const override {
    return send_counts;
  }
  void alltoallv(const void* send, const std::vector<std::int64_t>& send_counts, void* recv,
                 const std::vector<std::int64_t>&, std::size_t unit) const override {
    const auto bytes = static_cast<std::size_t>(send_counts.at(0)) * unit;
    if (bytes > 0) std::memcpy(recv, send, bytes);
  }
  void sum(std::int64_t*, std::int64_t) const override {}
  int max(int value) const override { return value; }
  std::vector<double> allgather(double value) const override { return {value}; }
  [[noreturn]] void abort(int code) const override { std::exit(code); }
};

const SingleProcess single_process;
std::unique_ptr<Communicator> mpi_world;  // set while a WorldSession has MPI running

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  return *end == '\0' && x >= 0 && x < (1L << 30) ? static_cast<int>(x) : fallback;
}

}  // namespace

const Communicator& world() {
  if (mpi_world) return *mpi_world;
  return single_process;
}

const Communicator& this_process() { return single_process; }

LaunchedAs launched_as() {
  LaunchedAs l;
  // Open MPI's mpirun; MPICH's and Intel MPI's Hydra (PMI); Slurm's srun
  // with PMIx or PMI2; MVAPICH.
  for (const auto& [rank, size] : {std::pair{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                                   std::pair{"PMI_RANK", "PMI_SIZE"}, std::pair{"PMIX_RANK", ""},
                                   std::pair{"MV2_COMM_WORLD_RANK", "MV2_COMM_WORLD_SIZE"}}) {
    if (std::getenv(rank) == nullptr) continue;
    l.by_launcher = true;
    l.rank = env_int(rank, 0);
    l.size = *size ? env_int(size, 1) : 1;
    if (l.size > 1) break;
  }
  return l;
}

void collectively(const Communicator& comm, const std::function<void()>& step) {
  std::exception_ptr failure;
  int code = 0;
  std::string message;
  try {
    step();
  } catch (const CollectiveError&) {
    throw;  // every process is throwing it already
  } catch (const Error& e) {
    failure = std::current_exception();
    code = static_cast<int>(e.code());
    message = e.what();
  }
  if (comm.size() == 1) {
    if (failure) std::rethrow_exception(failure);
    return;
  }
  if (comm.max(code) == 0) return;
  const int first = -comm.max(code != 0 ? -comm.rank() : -comm.size());
  const int first_code = comm.max(comm.rank() == first ? code : 0);
  throw CollectiveError(static_cast<ExitCode>(first_code),
                        comm.rank() == first ? message : "process " + std::to_string(first) + " failed",
                        comm.rank() == first);
}

WorldSession::WorldSession(int& argc, char**& argv) {
  const LaunchedAs launch = launched_as();
  if (launch.by_launcher) mpi_world = start_mpi(argc, argv, launch);
}

WorldSession::~WorldSession() {
  if (mpi_world) {
    mpi_world.reset();
    finish_mpi();
  }
}

}  // namespace trustprop::host
