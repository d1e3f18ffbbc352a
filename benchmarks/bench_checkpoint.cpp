// Cost of checkpoints (docs/checkpoint.md "Cost"): writes the checkpoint of
// a simulation of a generated city through the same path as `trustprop
// simulate` (blocks streamed from the state arrays, checksums, fsync,
// rename), then reads it back cold (the file dropped from the page cache)
// as a resume does: verify every checksum, then restore the state. The
// peer is the disk itself in the same run: after every write, dd writing
// 1 GiB with conv=fsync (bs=16M count=64: this disk's speed varies from
// minute to minute, so each write has its own peer); at the end dd writing
// as many bytes as the checkpoint with conv=fsync, and reading them with
// iflag=direct. Writes JSON with the machine, the date and the git revision.
//
//   bench_checkpoint [--agents 1000000] [--mean-degree 48] [--epochs 1] [--repeats 3]
//                    [--dir /tmp] [--threads 0] [-o FILE]
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <omp.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/version.hpp"
#include "host/simulation_checkpoint.hpp"
#include "io/generate_city.hpp"
#include "kernels/executor.hpp"

using nlohmann::json;
using namespace trustprop;
namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string run_command(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    std::size_t k;
    while ((k = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, k);
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

json machine_info() {
  utsname u{};
  uname(&u);
  return {{"hostname", u.nodename},
          {"cpu_model", run_command("LC_ALL=C lscpu 2>/dev/null | sed -n 's/^Model name: *//p'")},
          {"cores", omp_get_num_procs()},
          {"kernel", std::string(u.sysname) + " " + u.release},
          {"filesystem", run_command("df -T . 2>/dev/null | awk 'NR==2 {print $1\" \"$2}'")},
          {"compiler", fmt::format("GCC {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__)}};
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t k = v.size();
  return k == 0 ? 0.0 : k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

// Drops a file's pages from the page cache (it has been fsynced), so the next read comes from the disk.
void drop_from_cache(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

// Seconds dd reports for a transfer ("... copied, 1.234 s, ...").
double dd_seconds(const std::string& report) {
  std::smatch m;
  static const std::regex copied(R"(copied, ([0-9.]+) s)");
  return std::regex_search(report, m, copied) ? std::stod(m[1].str()) : std::nan("");
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t agents = 1000000;
  double mean_degree = 48.0;
  int epochs = 1, repeats = 3, threads = 0;
  std::string dir = fs::temp_directory_path().string(), output;
  CLI::App app{"trustprop: checkpoint write and read throughput"};
  app.add_option("--agents", agents, "Agents in the generated city")->capture_default_str();
  app.add_option("--mean-degree", mean_degree, "Mean out-degree of the city")->capture_default_str();
  app.add_option("--epochs", epochs, "Epochs simulated before checkpointing")->check(CLI::Range(0, 1000));
  app.add_option("--repeats", repeats, "Writes and reads to time (the median is reported)")->check(CLI::Range(1, 100));
  app.add_option("--dir", dir, "Directory to write in (its disk is measured)")->capture_default_str();
  app.add_option("--threads", threads, "CPU threads (0: all cores)");
  app.add_option("-o,--output", output, "JSON file to write (default: stdout only)");
  CLI11_PARSE(app, argc, argv);

  try {
    const auto exec = kernels::make_executor("cpu", threads);
    const fs::path work = fs::path(dir) / fmt::format("trustprop-ckptbench-{}", getpid());
    fs::create_directories(work);
    std::fprintf(stderr, "bench_checkpoint: generating a city of %lld agents\n", static_cast<long long>(agents));
    io::CityParams city;
    city.agents = agents;
    city.mean_degree = mean_degree;
    const io::Graph g = io::generate_city_graph(city);
    host::Simulation sim(exec, g, host::DynamicsParameters{}, 1);
    host::RunRecord record;
    for (int e = 0; e < epochs; ++e) record.metrics.push_back(sim.run_epoch());
    const std::int64_t n = g.n, nnz = g.nnz();
    const double state_bytes = 8.0 * static_cast<double>(nnz) + 33.0 * static_cast<double>(n);

    io::ResultsWriter results((work / "results.h5").string(), {"bench_checkpoint", "", "city", g.content_hash, 1,
                                                               exec->name(), exec->device_name()});
    io::CheckpointHeader header;
    header.seed = 1;
    header.graph = "city";
    header.graph_hash = g.content_hash;
    header.backend = exec->name();
    header.device = exec->device_name();
    const std::string path = (work / "ckpt-e1.h5").string();
    const std::string dd = (work / "dd.bin").string();
    const std::string dd_1g = fmt::format("dd if=/dev/zero of={} bs=16M count=64 conv=fsync 2>&1", dd);
    std::vector<double> write_s, verify_s, restore_s, dd_1g_s;
    double file_bytes = 0;
    for (int k = 0; k < repeats; ++k) {
      std::fprintf(stderr, "bench_checkpoint: write and read %d of %d\n", k + 1, repeats);
      auto t0 = std::chrono::steady_clock::now();
      host::save_simulation_checkpoint(path, header, sim, record, results);
      write_s.push_back(seconds_since(t0));
      file_bytes = static_cast<double>(fs::file_size(path));
      dd_1g_s.push_back(dd_seconds(run_command(dd_1g)));
      fs::remove(dd);
      drop_from_cache(path);
      t0 = std::chrono::steady_clock::now();
      io::CheckpointReader reader(path);
      reader.verify();
      verify_s.push_back(seconds_since(t0));
      drop_from_cache(path);
      t0 = std::chrono::steady_clock::now();
      host::restore_simulation_checkpoint(reader, sim, &results, [](std::int64_t) { return true; });
      restore_s.push_back(seconds_since(t0));
      fs::remove(path);
    }

    // The peer: the same number of bytes through dd, fsynced, and read back bypassing the cache.
    const long blocks = std::max(1L, std::lround(file_bytes / (4 << 20)));
    const std::string dd_write =
        run_command(fmt::format("dd if=/dev/zero of={} bs=4M count={} conv=fsync 2>&1", dd, blocks));
    const std::string dd_read = run_command(fmt::format("dd if={} of=/dev/null bs=4M iflag=direct 2>&1", dd));
    fs::remove_all(work);
    const double dd_bytes = 4.0 * (1 << 20) * static_cast<double>(blocks);

    const double gb = 1e9;
    const json out{
        {"benchmark", "checkpoint_cpu"},
        {"date_utc", utc_now()},
        {"git_revision", git_revision},
        {"trustprop_version", version_string},
        {"machine", machine_info()},
        {"directory", dir},
        {"agents", n},
        {"ties", nnz},
        {"epochs_before_checkpoint", epochs},
        {"state_bytes", state_bytes},
        {"file_bytes", file_bytes},
        {"block_bytes", io::checkpoint_block_bytes},
        {"repeats", repeats},
        {"write_seconds", write_s},
        {"write_gb_per_s", file_bytes / median(write_s) / gb},
        {"verify_cold_seconds", verify_s},
        {"verify_cold_gb_per_s", file_bytes / median(verify_s) / gb},
        {"restore_cold_seconds", restore_s},
        {"restore_cold_gb_per_s", file_bytes / median(restore_s) / gb},
        {"note", "write: contiguous datasets written from the state arrays in 64 MiB pieces + XXH3 checksums + "
                 "write-back started after each piece + fsync + rename (what simulate does); "
                 "verify: every checksum, file dropped from the page cache first; restore: read, check values and "
                 "checksums, copy into the state, again from a cold cache. A resume does verify then restore "
                 "(the second read is usually warm)."},
        {"peer_dd_write_1gib", {{"command", "dd if=/dev/zero of=FILE bs=16M count=64 conv=fsync"},
                                {"bytes", 1 << 30}, {"seconds", dd_1g_s},
                                {"gb_per_s", (1 << 30) / median(dd_1g_s) / gb},
                                {"note", "run right after each checkpoint write"}}},
        {"write_vs_dd_1gib", median(dd_1g_s) / (1 << 30) * file_bytes / median(write_s)},
        {"peer_dd_write", {{"command", "dd if=/dev/zero bs=4M conv=fsync"}, {"bytes", dd_bytes},
                           {"seconds", dd_seconds(dd_write)}, {"gb_per_s", dd_bytes / dd_seconds(dd_write) / gb},
                           {"report", dd_write}}},
        {"peer_dd_read", {{"command", "dd of=/dev/null bs=4M iflag=direct"}, {"bytes", dd_bytes},
                          {"seconds", dd_seconds(dd_read)}, {"gb_per_s", dd_bytes / dd_seconds(dd_read) / gb},
                          {"report", dd_read}}}};
    std::printf("%s\n", out.dump(2).c_str());
    if (!output.empty()) std::ofstream(output) << out.dump(2) << "\n";
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_checkpoint: %s\n", e.what());
    return static_cast<int>(e.code());
  }
  return 0;
}
