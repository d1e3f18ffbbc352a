// `trustprop reorder GRAPH -o OUT.h5 --method degree|rcm`: renumbers the
// agents of a graph file so that the EigenTrust gather is more local
// (DESIGN §8, docs/reorder.md). The output keeps each agent's original id in
// /agents/id (results on it name the same agents) and the permutation in
// /agents/previous_index; the root attribute "reorder" records the method
// and the source file's content hash.
#include <omp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "host/command_line.hpp"
#include "host/commands.hpp"
#include "io/atomic_output.hpp"
#include "io/graph_file.hpp"
#include "io/reorder.hpp"

namespace trustprop::host {

namespace {

struct ReorderCli {
  std::string input, output, method;
  int compress = 0;
  bool json = false;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void run_reorder(const ReorderCli& c, const GlobalOptions& global) {
  const auto start = std::chrono::steady_clock::now();
  if (global.threads > 0) omp_set_num_threads(global.threads);
  const io::ReorderMethod method = *io::parse_reorder_method(c.method);
  const io::GraphHeader header = io::read_graph_header(c.input);
  // Fail on an unusable output path before reading the edges.
  { io::AtomicOutput probe(c.output); }
  io::require_output_is_not_input(c.output, c.input);

  const io::Graph g = io::read_graph(c.input);
  const double read_seconds = seconds_since(start);
  const auto order_start = std::chrono::steady_clock::now();
  const std::vector<std::int32_t> new_to_old = io::order_agents(g, method);
  const double order_seconds = seconds_since(order_start);
  const std::int64_t bandwidth_before = io::bandwidth(g);

  nlohmann::json prov{{"method", io::to_string(method)},
                      {"command", command_line()},
                      {"source_file", c.input},
                      {"source_content_hash", g.content_hash.empty() ? io::compute_content_hash(g) : g.content_hash},
                      {"previous_index", "/agents/previous_index"}};
  io::GraphWriteOptions wo;
  wo.deflate = c.compress;
  // Keep the source's own provenance (generator or importer parameters).
  for (const char* name : {"generator", "importer"})
    if (auto it = header.attributes.find(name); it != header.attributes.end()) wo.attributes[name] = it->second;
  wo.attributes["reorder"] = prov.dump();
  const auto write_start = std::chrono::steady_clock::now();
  io::write_reordered_graph(c.output, g, new_to_old, wo);
  const double write_seconds = seconds_since(write_start);
  const double seconds = seconds_since(start);

  const std::int64_t bandwidth_after = io::bandwidth(g, io::inverse_permutation(new_to_old));

  spdlog::info("reorder {}: read {:.3f} s, order {:.3f} s, write {:.3f} s", io::to_string(method), read_seconds,
               order_seconds, write_seconds);
  if (c.json) {
    nlohmann::json j{{"input", c.input},         {"output", c.output},
                     {"method", io::to_string(method)},
                     {"agents", g.n},            {"edges", g.nnz()},
                     {"bandwidth_before", bandwidth_before},
                     {"bandwidth_after", bandwidth_after},
                     {"seconds", seconds},       {"read_seconds", read_seconds},
                     {"order_seconds", order_seconds},
                     {"write_seconds", write_seconds},
                     {"threads", omp_get_max_threads()}};
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("input        %s (%lld agents, %lld edges)\n", c.input.c_str(), static_cast<long long>(g.n),
              static_cast<long long>(g.nnz()));
  std::printf("method       %s\n", std::string(io::to_string(method)).c_str());
  std::printf("bandwidth    %lld -> %lld\n", static_cast<long long>(bandwidth_before),
              static_cast<long long>(bandwidth_after));
  std::printf("seconds      %.3f (read %.3f, order %.3f, write %.3f)\n", seconds, read_seconds, order_seconds,
              write_seconds);
  std::printf("output       %s\n", c.output.c_str());
}

}  // namespace

void add_reorder(CLI::App& app, GlobalOptions& global) {
  auto c = std::make_shared<ReorderCli>();
  auto* cmd = app.add_subcommand(
      "reorder",
      "Renumber the agents of a graph file for a more local EigenTrust gather: degree (hubs first) or rcm (reverse "
      "Cuthill-McKee). Original ids stay in /agents/id, so results name the same agents. See docs/reorder.md.");
  cmd->add_option("graph", c->input, "Graph file to reorder (HDF5)")->required();
  cmd->add_option("-o,--output", c->output, "Reordered graph file to write (HDF5)")->required();
  cmd->add_option("--method", c->method, "degree: by descending in+out degree; rcm: reverse Cuthill-McKee")
      ->required()
      ->check(CLI::IsMember({"degree", "rcm"}));
  cmd->add_option("--compress", c->compress, "gzip level 1-9 for the graph datasets (0: uncompressed)")
      ->check(CLI::Range(0, 9))
      ->capture_default_str();
  cmd->add_flag("--json", c->json, "Print the summary as JSON");
  cmd->callback([c, &global] { run_reorder(*c, global); });
}

}  // namespace trustprop::host
