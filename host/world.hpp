// The processes of one run (DESIGN §7). Under an MPI launcher (`mpirun -np
// R trustprop ...`, `srun --mpi=pmix ...`) trustprop starts MPI and the R
// processes share the work; started any other way it is one process and
// never touches MPI ("a single process needs no MPI at all"). Drivers hold a
// `const Communicator&` and call the same collectives either way: for one
// process they copy nothing and return at once.
//
// Every collective must be called by every process of the run, in the same
// order. MPI is called from the main thread only (MPI_THREAD_FUNNELED);
// OpenMP threads never call it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace trustprop::host {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // This process's index among the run's processes on the same node (for
  // picking one GPU per process).
  virtual int local_rank() const = 0;

  // The collectives, on elements of `unit` bytes. One call moves fewer than
  // 2^31 elements to or from each process; more throws InternalError.
  //
  // allgatherv: `data` holds bounds.back() elements; process r fills
  // [bounds[r], bounds[r + 1]) and afterwards every process has them all.
  virtual void allgatherv(void* data, const std::vector<std::int64_t>& bounds, std::size_t unit) const = 0;
  // gatherv: process r sends its bounds[r + 1] − bounds[r] elements from
  // `send`; process 0 receives everyone's into `recv` (bounds.back()
  // elements, in rank order). `recv` is not touched on the others.
  virtual void gatherv(const void* send, void* recv, const std::vector<std::int64_t>& bounds,
                       std::size_t unit) const = 0;
  // broadcast: process 0's `bytes` bytes at `data` to every process's `data`.
  virtual void broadcast(void* data, std::int64_t bytes) const = 0;
  // alltoall_counts: process r learns how many elements each process will
  // send it (send_counts[r] of every process), in rank order.
  virtual std::vector<std::int64_t> alltoall_counts(const std::vector<std::int64_t>& send_counts) const = 0;
  // alltoallv: send_counts[r] elements go to process r, taken in order from
  // `send`; what arrives is written to `recv` ordered by sender,
  // recv_counts[r] elements from process r (alltoall_counts).
  virtual void alltoallv(const void* send, const std::vector<std::int64_t>& send_counts, void* recv,
                         const std::vector<std::int64_t>& recv_counts, std::size_t unit) const = 0;
  // Element-wise sum of `count` int64 over the processes, in place.
  virtual void sum(std::int64_t* values, std::int64_t count) const = 0;
  // The largest `value` any process passed.
  virtual int max(int value) const = 0;
  // Every process's `value`, in rank order.
  virtual std::vector<double> allgather(double value) const = 0;
  // Ends every process of the run at once with exit status `code` (after an
  // error one process cannot share with the others).
  [[noreturn]] virtual void abort(int code) const = 0;

  // Typed forms.
  template <class T>
  void allgatherv(std::vector<T>& data, const std::vector<std::int64_t>& bounds) const {
    allgatherv(data.data(), bounds, sizeof(T));
  }
  // Process 0: every process's `own` elements, in rank order; the others: empty.
  template <class T>
  std::vector<T> gatherv(const std::vector<T>& own, const std::vector<std::int64_t>& bounds) const {
    std::vector<T> all(rank() == 0 ? static_cast<std::size_t>(bounds.back()) : 0);
    gatherv(own.data(), all.data(), bounds, sizeof(T));
    return all;
  }
  template <class T>
  std::vector<T> alltoallv(const std::vector<T>& send, const std::vector<std::int64_t>& send_counts) const {
    const std::vector<std::int64_t> recv_counts = alltoall_counts(send_counts);
    std::int64_t total = 0;
    for (const std::int64_t c : recv_counts) total += c;
    std::vector<T> recv(static_cast<std::size_t>(total));
    alltoallv(send.data(), send_counts, recv.data(), recv_counts, sizeof(T));
    return recv;
  }
  // Process 0's vector (its size and elements) on every process.
  template <class T>
  void broadcast(std::vector<T>& data) const {
    std::int64_t size = static_cast<std::int64_t>(data.size());
    broadcast(&size, sizeof size);
    data.resize(static_cast<std::size_t>(size));
    broadcast(data.data(), size * static_cast<std::int64_t>(sizeof(T)));
  }
  // Whether `ok` holds on every process.
  bool all(bool ok) const { return max(ok ? 0 : 1) == 0; }
};

// An error every process of the run learnt of at once (collectively): the
// process where it happened first reports it (report_here), the others end
// quietly with the same exit code, and none is left waiting in a
// collective.
class CollectiveError : public Error {
 public:
  CollectiveError(ExitCode code, const std::string& what, bool report_here)
      : Error(code, what), report_here_(report_here) {}
  bool report_here() const { return report_here_; }

 private:
  bool report_here_;
};

// Runs `step` on every process of `comm` (a collective): when it throws an
// Error on any of them, every process throws a CollectiveError with the
// exit code and message of the lowest-ranked process that failed. One
// process: the step's own error, unchanged.
void collectively(const Communicator& comm, const std::function<void()>& step);

// The run's processes: MPI's world once a WorldSession has started it under
// a launcher, else this process alone.
const Communicator& world();
// This process alone, whatever launched it: every collective is the
// identity (for a driver that runs one process and distributed runs alike).
const Communicator& this_process();

// Lives for main()'s duration: starts MPI when a launcher started this
// process (it sets OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK or
// MV2_COMM_WORLD_SIZE), finalises it at the end. A build without MPI that
// an MPI launcher started as one of several processes throws UsageError:
// each process would run the whole job and write the same files.
class WorldSession {
 public:
  WorldSession(int& argc, char**& argv);
  ~WorldSession();
  WorldSession(const WorldSession&) = delete;
  WorldSession& operator=(const WorldSession&) = delete;
};

// Which process, of how many, a launcher says this one is (from its
// environment variables); {0, 1} when none did.
struct LaunchedAs {
  int rank = 0, size = 1;
  bool by_launcher = false;
};
LaunchedAs launched_as();

// The MPI side of WorldSession (host/mpi/): starts MPI and returns its
// world, or, in a build without MPI, throws UsageError when `launch` has
// more than one process and returns null otherwise.
std::unique_ptr<Communicator> start_mpi(int& argc, char**& argv, const LaunchedAs& launch);
void finish_mpi();

}  // namespace trustprop::host
