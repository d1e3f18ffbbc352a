// The MPI world (host/world.hpp): MPI_COMM_WORLD behind the Communicator
// collectives. Elements travel as a contiguous datatype of `unit` bytes, so
// counts are elements, not bytes.
// MPI's C API only: Open MPI and MPICH would otherwise pull in their
// deprecated C++ bindings, which need a library trustprop does not link.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "host/world.hpp"

namespace trustprop::host {

namespace {

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw InternalError(std::string(call) + " failed: " + std::string(text, static_cast<std::size_t>(length)));
}

int as_count(std::int64_t count, const char* call) {
  if (count < 0 || count > std::numeric_limits<int>::max())
    throw InternalError(std::string(call) + ": " + std::to_string(count) +
                        " elements to or from one process exceed MPI's 2^31 - 1; run with more processes");
  return static_cast<int>(count);
}

// An MPI datatype of `unit` contiguous bytes, freed with the object. A unit
// of 2^31 bytes or more (a whole trust vector of a large graph) is made of
// 8-byte words.
class Unit {
 public:
  explicit Unit(std::size_t bytes) {
    const auto most = static_cast<std::size_t>(std::numeric_limits<int>::max());
    if (bytes <= most) {
      check(MPI_Type_contiguous(static_cast<int>(bytes), MPI_BYTE, &type_), "MPI_Type_contiguous");
    } else {
      TRUSTPROP_ASSERT(bytes % 8 == 0 && bytes / 8 <= most, "an MPI element of " + std::to_string(bytes) + " bytes");
      check(MPI_Type_contiguous(static_cast<int>(bytes / 8), MPI_UINT64_T, &type_), "MPI_Type_contiguous");
    }
    check(MPI_Type_commit(&type_), "MPI_Type_commit");
  }
  ~Unit() { MPI_Type_free(&type_); }
  Unit(const Unit&) = delete;
  Unit& operator=(const Unit&) = delete;
  MPI_Datatype get() const { return type_; }

 private:
  MPI_Datatype type_ = MPI_DATATYPE_NULL;
};

// Counts and displacements in MPI's int, from int64 counts.
struct Layout {
  std::vector<int> counts, displs;
  Layout(const std::vector<std::int64_t>& c, const char* call) {
    std::int64_t at = 0;
    for (const std::int64_t x : c) {
      counts.push_back(as_count(x, call));
      displs.push_back(as_count(at, call));
      at += x;
    }
  }
};

class MpiWorld final : public Communicator {
 public:
  MpiWorld() {
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    MPI_Comm node;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
          "MPI_Comm_split_type");
    check(MPI_Comm_rank(node, &local_rank_), "MPI_Comm_rank");
    MPI_Comm_free(&node);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }

  void allgatherv(void* data, const std::vector<std::int64_t>& bounds, std::size_t unit) const override {
    TRUSTPROP_ASSERT(static_cast<int>(bounds.size()) == size_ + 1, "allgatherv: one range per process");
    std::vector<std::int64_t> counts;
    for (int r = 0; r < size_; ++r) counts.push_back(bounds[r + 1] - bounds[r]);
    const Layout l(counts, "MPI_Allgatherv");
    const Unit type(unit);
    check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data,
                         l.counts.data(), l.displs.data(), type.get(), MPI_COMM_WORLD),
          "MPI_Allgatherv");
  }

  void gatherv(const void* send, void* recv, const std::vector<std::int64_t>& bounds,
               std::size_t unit) const override {
    TRUSTPROP_ASSERT(static_cast<int>(bounds.size()) == size_ + 1, "gatherv: one range per process");
    std::vector<std::int64_t> counts;
    for (int r = 0; r < size_; ++r) counts.push_back(bounds[r + 1] - bounds[r]);
    const Layout l(counts, "MPI_Gatherv");
    const Unit type(unit);
    check(MPI_Gatherv(send, l.counts[static_cast<std::size_t>(rank_)], type.get(), recv, l.counts.data(),
                      l.displs.data(), type.get(), 0, MPI_COMM_WORLD),
          "MPI_Gatherv");
  }

  std::vector<std::int64_t> alltoall_counts(const std::vector<std::int64_t>& send_counts) const override {
    TRUSTPROP_ASSERT(static_cast<int>(send_counts.size()) == size_, "alltoall_counts: one count per process");
    std::vector<std::int64_t> recv(static_cast<std::size_t>(size_));
    check(MPI_Alltoall(send_counts.data(), 1, MPI_INT64_T, recv.data(), 1, MPI_INT64_T, MPI_COMM_WORLD),
          "MPI_Alltoall");
    return recv;
  }

  void alltoallv(const void* send, const std::vector<std::int64_t>& send_counts, void* recv,
                 const std::vector<std::int64_t>& recv_counts, std::size_t unit) const override {
    const Layout s(send_counts, "MPI_Alltoallv"), r(recv_counts, "MPI_Alltoallv");
    const Unit type(unit);
    check(MPI_Alltoallv(send, s.counts.data(), s.displs.data(), type.get(), recv, r.counts.data(), r.displs.data(),
                        type.get(), MPI_COMM_WORLD),
          "MPI_Alltoallv");
  }

  void broadcast(void* data, std::int64_t bytes) const override {
    // In pieces of at most 2^30 bytes (MPI's int counts).
    for (std::int64_t at = 0; at < bytes; at += std::int64_t{1} << 30) {
      const std::int64_t piece = std::min(bytes - at, std::int64_t{1} << 30);
      check(MPI_Bcast(static_cast<char*>(data) + at, static_cast<int>(piece), MPI_BYTE, 0, MPI_COMM_WORLD),
            "MPI_Bcast");
    }
  }

  void sum(std::int64_t* values, std::int64_t count) const override {
    // In pieces of at most 2^30 elements (MPI's int counts).
    for (std::int64_t at = 0; at < count; at += std::int64_t{1} << 30) {
      const std::int64_t piece = std::min(count - at, std::int64_t{1} << 30);
      check(MPI_Allreduce(MPI_IN_PLACE, values + at, static_cast<int>(piece), MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD),
            "MPI_Allreduce");
    }
  }

  int max(int value) const override {
    int out = 0;
    check(MPI_Allreduce(&value, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
    return out;
  }

  std::vector<double> allgather(double value) const override {
    std::vector<double> out(static_cast<std::size_t>(size_));
    check(MPI_Allgather(&value, 1, MPI_DOUBLE, out.data(), 1, MPI_DOUBLE, MPI_COMM_WORLD), "MPI_Allgather");
    return out;
  }

  [[noreturn]] void abort(int code) const override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::abort();  // MPI_Abort does not return; this tells the compiler so
  }

 private:
  int rank_ = 0, size_ = 1, local_rank_ = 0;
};

}  // namespace

std::unique_ptr<Communicator> start_mpi(int& argc, char**& argv, const LaunchedAs&) {
  int provided = 0;
  check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  // Errors come back as codes (check() turns them into exceptions) instead
  // of ending the process inside MPI.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  return std::make_unique<MpiWorld>();
}

void finish_mpi() { MPI_Finalize(); }

}  // namespace trustprop::host
