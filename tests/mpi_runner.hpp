// Running trustprop under mpiexec in the tests (DESIGN §7): the launch
// line, the results files read dataset by dataset, and a fixture that skips
// where the build has no MPI or no mpiexec was found and checks that a
// failure ends every process with one message and no output.
#pragma once

#include <gtest/gtest.h>
#include <hdf5.h>

#include <map>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "io/h5.hpp"
#include "test_helpers.hpp"

namespace trustprop::testing::cli {

inline const std::string kMpiexec = TRUSTPROP_MPIEXEC;

// mpiexec, for Open MPI as root, more processes than cores, and yielding
// while waiting (a loaded CI machine); the variables mean nothing to other
// MPIs. Applications follow ("-n 2 trustprop ... : -n 1 ...").
inline std::string mpiexec_launch() {
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 "
         "OMPI_MCA_mpi_yield_when_idle=1 " +
         kMpiexec + " ";
}

// `processes` processes of trustprop, one thread each.
inline std::string mpiexec(int processes) {
  return mpiexec_launch() + "-n " + std::to_string(processes) + " " + kBinary + " --threads 1 ";
}

inline std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Every dataset of a results file, as the bytes stored, by path ("trust/signed").
inline std::map<std::string, std::vector<char>> datasets(const std::string& path) {
  std::map<std::string, std::vector<char>> out;
  const auto f = io::h5::File::open_read(path);
  const auto visit = [](hid_t file, const char* name, const H5O_info_t* info, void* data) -> herr_t {
    if (info->type != H5O_TYPE_DATASET) return 0;
    const hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    const hid_t type = H5Dget_type(ds), space = H5Dget_space(ds);
    std::vector<char> bytes(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)) * H5Tget_size(type));
    const herr_t rc = bytes.empty() ? 0 : H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data());
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(ds);
    (*static_cast<std::map<std::string, std::vector<char>>*>(data))[name] = std::move(bytes);
    return rc;
  };
  EXPECT_GE(H5Ovisit(f.id(), H5_INDEX_NAME, H5_ITER_INC, visit, &out), 0) << path;
  return out;
}

// Deletes a graph file's stored content hash (a file written before trustprop kept one).
inline void remove_content_hash(const std::string& graph) {
  const hid_t file = H5Fopen(graph.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0) << graph;
  EXPECT_GE(H5Adelete(file, "trustprop.content_hash"), 0) << graph;
  H5Fclose(file);
}

class MpiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TRUSTPROP_HAVE_MPI) GTEST_SKIP() << "this build has no MPI (CMake found none: libopenmpi-dev)";
    if (kMpiexec.empty() || !fs::exists(kMpiexec)) GTEST_SKIP() << "no mpiexec found at configure time";
  }
  TempDir dir;

  std::string path(const std::string& name) const { return (dir.path() / name).string(); }

  // Runs `args` under mpiexec -n `processes`: every process ends with exit
  // `code`, `what` is said once (by one process), and `output` is not left
  // behind, whole or partial.
  void expect_fails_once(int processes, const std::string& args, int code, const std::string& what,
                         const std::string& output) {
    const RunResult r = run(mpiexec(processes) + args, dir.path(), false);
    EXPECT_EQ(r.rc, code) << r.err;
    EXPECT_EQ(count(r.err, what), 1u) << r.err;
    EXPECT_FALSE(fs::exists(path(output)));
  }
};

}  // namespace trustprop::testing::cli
