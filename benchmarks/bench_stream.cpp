// The STREAM triad probe alone (benchmarks/bench_stream.hpp), for scripts
// that compare trustprop with itself (benchmarks/run_distributed_bench.sh)
// and still record the machine's bandwidth in the same run.
//
//   bench_stream [--threads N] [--mib 128] [--trials 20] -o OUT.json
#include <omp.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "benchmarks/bench_machine.hpp"
#include "benchmarks/bench_main.hpp"
#include "benchmarks/bench_stream.hpp"

namespace {

int run(int argc, char** argv) {
  CLI::App app{"STREAM triad bandwidth of this machine"};
  int threads = omp_get_max_threads(), trials = 20;
  std::size_t mib = 128;
  std::string out_path;
  app.add_option("--threads", threads, "OpenMP threads")->check(CLI::Range(1, 4096));
  app.add_option("--mib", mib, "size of each of the three arrays in MiB")->check(CLI::Range(1, 1 << 16));
  app.add_option("--trials", trials, "triad trials (the best is reported)")->check(CLI::Range(1, 1000));
  app.add_option("-o,--out", out_path, "write the JSON result here")->required();
  CLI11_PARSE(app, argc, argv);
  omp_set_num_threads(threads);
  trustprop::bench::Stream stream(mib);
  const double gbps = stream.triad_gbps(trials);
  trustprop::bench::write_json(out_path, nlohmann::ordered_json{{"stream_triad_GBps", gbps},
                                          {"threads", threads},
                                          {"array_mib", mib},
                                          {"trials", trials},
                                          {"machine", trustprop::bench::machine_info()}});
  std::printf("STREAM triad %.2f GB/s (%d threads)\n", gbps, threads);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return trustprop::bench::bench_main("bench_stream", run, argc, argv); }
