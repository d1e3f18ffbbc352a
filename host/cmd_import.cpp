// `trustprop import FILE [--format auto|snap|csv|mtx] [--signed] [--scale-weights]
//  [--keep-self-loops] [--duplicates RULE] [--compress N] -o OUT.h5`: reads an
// edge list, CSV or Matrix Market file (plain or .gz) into a graph file, with
// the importer's options recorded in the root attribute "importer"
// (docs/import.md). Prints what it read and how fast.
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
#include "io/import_edges.hpp"
#include "io/reorder.hpp"
#include "io/text_input.hpp"
#include "kernels/cpu/host_memory.hpp"

namespace trustprop::host {

namespace {

struct ImportCli {
  std::string input, output, format = "auto", duplicates = "last", reorder;
  bool signed_weights = false, scale_weights = false, keep_self_loops = false, json = false;
  int compress = 0;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// With --reorder, the agents are renumbered on the way out (docs/reorder.md).
void write_imported(const std::string& path, const io::Graph& g, const std::string& importer, int deflate,
                    const std::string& reorder) {
  io::GraphWriteOptions wo;
  wo.deflate = deflate;
  wo.attributes["importer"] = importer;
  if (reorder.empty()) return io::write_graph(path, g, wo);
  const io::ReorderMethod method = *io::parse_reorder_method(reorder);
  wo.attributes["reorder"] =
      nlohmann::json{{"method", io::to_string(method)}, {"previous_index", "/agents/previous_index"}}.dump();
  io::write_reordered_graph(path, g, io::order_agents(g, method), wo);
}

void run_import(const ImportCli& c, const GlobalOptions& global) {
  const auto start = std::chrono::steady_clock::now();
  if (global.threads > 0) omp_set_num_threads(global.threads);
  io::ImportOptions o;
  o.format = *io::parse_import_format(c.format);
  o.duplicates = *io::parse_duplicate_rule(c.duplicates);
  o.signed_weights = c.signed_weights;
  o.scale_weights = c.scale_weights;
  o.keep_self_loops = c.keep_self_loops;
  o.memory_available = kernels::cpu::host_memory_available();
  // Fail on a missing input or an unusable output path before any work.
  io::TextInput::require_readable(c.input);
  { io::AtomicOutput probe(c.output); }
  io::require_output_is_not_input(c.output, c.input);

  spdlog::info("importing {} as {}", c.input,
               io::to_string(o.format == io::ImportFormat::auto_detect ? io::detect_format(c.input) : o.format));
  io::ImportStats st;
  const io::Graph g = io::import_graph(c.input, o, &st);
  if (!st.header.empty()) spdlog::info("skipped the header line: {}", io::quote_field(st.header, 120));
  if (st.self_loops_dropped > 0)
    spdlog::info("dropped {} self-loops (--keep-self-loops keeps them)", st.self_loops_dropped);
  if (st.duplicates_merged > 0)
    spdlog::info("merged {} duplicate edges by rule '{}'", st.duplicates_merged, io::to_string(o.duplicates));
  if (st.scaled_to_zero > 0)
    spdlog::warn("{}: {} nonzero weights became 0 when divided by the largest |weight| {:g} (below float32's "
                 "smallest); they are stored as ties of weight 0",
                 c.input, st.scaled_to_zero, st.weight_scale);

  nlohmann::json imp{{"command", command_line()},
                     {"input", c.input},
                     {"format", io::to_string(st.format)},
                     {"compressed", st.compressed},
                     {"signed", o.signed_weights},
                     {"scale_weights", o.scale_weights},
                     {"weight_scale", st.weight_scale},
                     {"weights_scaled_to_zero", st.scaled_to_zero},
                     {"keep_self_loops", o.keep_self_loops},
                     {"duplicates", io::to_string(o.duplicates)},
                     {"weighted", st.weighted},
                     {"lines", st.lines},
                     {"entries", st.entries},
                     {"edges_read", st.edges_read},
                     {"self_loops_dropped", st.self_loops_dropped},
                     {"duplicates_merged", st.duplicates_merged},
                     {"agents", g.n},
                     {"edges", g.nnz()}};
  if (!st.header.empty()) imp["header"] = st.header;
  if (!st.mtx_header.empty()) imp["mtx_header"] = st.mtx_header;
  const auto write_start = std::chrono::steady_clock::now();
  write_imported(c.output, g, imp.dump(), c.compress, c.reorder);
  const double write_seconds = seconds_since(write_start);
  const double seconds = seconds_since(start);
  const double rate = seconds > 0 ? static_cast<double>(st.edges_read) / seconds : 0.0;

  if (c.json) {
    nlohmann::json j = imp;
    j.erase("command");
    j["output"] = c.output;
    j["bytes"] = st.bytes;
    j["weight_min"] = st.weight_min;
    j["weight_max"] = st.weight_max;
    j["seconds"] = seconds;
    j["parse_seconds"] = st.parse_seconds;
    j["build_seconds"] = st.build_seconds;
    j["write_seconds"] = write_seconds;
    j["edges_per_second"] = rate;
    j["threads"] = omp_get_max_threads();
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("input        %s (%s%s, %.1f MB of text)\n", c.input.c_str(), std::string(io::to_string(st.format)).c_str(),
              st.compressed ? ", gzip" : "", static_cast<double>(st.bytes) / 1e6);
  if (!st.header.empty()) std::printf("header       %s (skipped)\n", io::quote_field(st.header, 80).c_str());
  std::printf("lines read   %lld\n", static_cast<long long>(st.lines));
  std::printf("edges read   %lld%s\n", static_cast<long long>(st.edges_read),
              st.format == io::ImportFormat::mtx && st.edges_read != st.entries
                  ? (" (" + std::to_string(st.entries) + " entries, symmetric)").c_str()
                  : "");
  std::printf("self-loops   %lld dropped%s\n", static_cast<long long>(st.self_loops_dropped),
              o.keep_self_loops ? " (kept: --keep-self-loops)" : "");
  std::printf("duplicates   %lld merged (rule: %s)\n", static_cast<long long>(st.duplicates_merged),
              std::string(io::to_string(o.duplicates)).c_str());
  std::printf("agents       %lld\n", static_cast<long long>(g.n));
  std::printf("edges        %lld\n", static_cast<long long>(g.nnz()));
  if (o.scale_weights)
    std::printf("weights      %g .. %g (divided by %g)\n", st.weight_min, st.weight_max, st.weight_scale);
  else
    std::printf("weights      %g .. %g%s\n", st.weight_min, st.weight_max, st.weighted ? "" : " (no weight column)");
  std::printf("seconds      %.3f (parse %.3f, build %.3f, write %.3f)\n", seconds, st.parse_seconds,
              st.build_seconds, write_seconds);
  std::printf("edges/s      %.0f\n", rate);
  std::printf("output       %s\n", c.output.c_str());
}

}  // namespace

void add_import(CLI::App& app, GlobalOptions& global) {
  auto c = std::make_shared<ImportCli>();
  auto* cmd = app.add_subcommand(
      "import",
      "Import an edge list (SNAP, CSV) or Matrix Market file, plain or .gz, into a graph file. Ids become agents "
      "0..n-1 in ascending order (originals in /agents/id); self-loops are dropped unless --keep-self-loops; "
      "repeated edges merge by --duplicates (default last: the latest line wins). See docs/import.md.");
  cmd->add_option("file", c->input, "Input file (.gz read transparently)")->required();
  cmd->add_option("-o,--output", c->output, "Graph file to write (HDF5)")->required();
  cmd->add_option("--format", c->format, "auto (.mtx: mtx, .csv: csv, else snap), snap, csv or mtx")
      ->check(CLI::IsMember({"auto", "snap", "csv", "mtx"}))
      ->capture_default_str();
  cmd->add_flag("--signed", c->signed_weights, "Accept negative weights (distrust); without it they are an error");
  cmd->add_flag("--scale-weights", c->scale_weights,
                "Divide every weight by the largest |weight| so weights lie in [-1, 1]");
  cmd->add_flag("--keep-self-loops", c->keep_self_loops, "Keep i -> i edges (dropped by default)");
  cmd->add_option("--duplicates", c->duplicates,
                  "How repeated source-target pairs merge: last (default: the latest line wins, as in time-ordered "
                  "rating logs), first, sum, max, mean, or error")
      ->check(CLI::IsMember({"last", "first", "sum", "max", "mean", "error"}))
      ->capture_default_str();
  cmd->add_option("--compress", c->compress, "gzip level 1-9 for the graph datasets (0: uncompressed)")
      ->check(CLI::Range(0, 9))
      ->capture_default_str();
  cmd->add_option("--reorder", c->reorder,
                  "Renumber the agents for a more local gather: degree or rcm (as `trustprop reorder`)")
      ->check(CLI::IsMember({"degree", "rcm"}));
  cmd->add_flag("--json", c->json, "Print the summary as JSON");
  cmd->callback([c, &global] { run_import(*c, global); });
}

}  // namespace trustprop::host
