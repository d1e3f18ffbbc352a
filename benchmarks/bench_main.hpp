// The main() of a benchmark program: runs it, and turns an exception into
// "NAME: message" on stderr and the sysexits code of its kind (common/error.hpp;
// 70 for any other exception).
#pragma once

#include <cstdio>
#include <exception>

#include "common/error.hpp"

namespace trustprop::bench {

template <class Run>
int bench_main(const char* name, Run&& run, int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const trustprop::Error& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 70;
  }
}

}  // namespace trustprop::bench
