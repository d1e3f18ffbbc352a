// `trustprop simulate CONFIG.toml [--run-dir D] [--epochs N] [--dry-run]
// [--resume never]`: the city dynamics (DESIGN §3, §5; docs/dynamics.md).
//
// Writes the run directory of DESIGN §2: config.toml (the resolved
// configuration), metrics.jsonl (one JSON object per epoch, flushed as it
// goes), log.txt (the run's log) and results.h5 (provenance, the metric
// series /metrics/<name>, trust snapshots /trust/epoch_<e>, the final
// strategies, payoffs and registration). --dry-run resolves the
// configuration, reads only the graph header and prints the plan as JSON.
// Checkpoints and --resume auto|PATH arrive with the checkpoint issue; until
// then only --resume never is accepted.
#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "host/command_line.hpp"
#include "host/commands.hpp"
#include "host/dynamics.hpp"
#include "host/simulation_config.hpp"
#include "io/atomic_output.hpp"
#include "io/generate_city.hpp"
#include "io/graph_file.hpp"
#include "io/results_file.hpp"

namespace trustprop::host {

namespace {

namespace fs = std::filesystem;

struct SimulateOptions {
  std::string config;
  std::string run_dir;   // default runs/<name>
  std::int64_t epochs = 0;  // 0: the configuration's
  bool dry_run = false;
  std::string resume = "never";
};

std::string city_description(const io::CityParams& p) {
  return fmt::format("generated city: agents={} seed={} mean_degree={} institution_share={} enterprise_share={}",
                     p.agents, p.seed, p.mean_degree, p.institution_share, p.enterprise_share);
}

// Adds log.txt to the default logger for the run: the file gets every
// message from info up, the terminal keeps --log-level. Restored on exit.
class RunLog {
 public:
  explicit RunLog(const std::string& path) : logger_(spdlog::default_logger()), level_(logger_->level()) {
    try {
      sink_ = std::make_shared<spdlog::sinks::basic_file_sink_st>(path, true);
    } catch (const spdlog::spdlog_ex& e) {
      throw IoError(path + ": cannot open the log: " + e.what());
    }
    sink_->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l: %v");
    sink_->set_level(std::min(level_, spdlog::level::info));
    for (auto& s : logger_->sinks()) s->set_level(level_);
    logger_->sinks().push_back(sink_);
    logger_->set_level(std::min(level_, spdlog::level::info));
  }
  ~RunLog() {
    sink_->flush();
    auto& sinks = logger_->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    logger_->set_level(level_);
  }
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;
  void flush() { sink_->flush(); }
  // Records the error a run ends with in the file (main() reports it on the terminal).
  void error(const std::string& message) {
    sink_->log(spdlog::details::log_msg(logger_->name(), spdlog::level::err, message));
    sink_->flush();
  }

 private:
  std::shared_ptr<spdlog::logger> logger_;
  spdlog::level::level_enum level_;
  std::shared_ptr<spdlog::sinks::basic_file_sink_st> sink_;
};

void write_text_atomically(const std::string& path, const std::string& text) {
  io::AtomicOutput out(path);
  {
    std::ofstream f(out.temp_path(), std::ios::binary | std::ios::trunc);
    f << text;
    f.flush();
    if (!f) throw IoError(path + ": cannot write");
  }
  out.commit();
}

// The metric series, one column per field of EpochMetrics.
class MetricSeries {
 public:
  void add(const EpochMetrics& m) {
    visit_metrics(m, [&](const char* name, auto value) {
      using T = decltype(value);
      if constexpr (std::is_same_v<T, std::int64_t>) {
        ints_[name].push_back(value);
      } else {
        doubles_[name].push_back(value);
      }
    });
  }
  void write(io::ResultsWriter& out) const {
    for (const auto& [name, v] : ints_) out.write("/metrics/" + name, v);
    for (const auto& [name, v] : doubles_) out.write("/metrics/" + name, v);
  }

 private:
  std::map<std::string, std::vector<std::int64_t>> ints_;
  std::map<std::string, std::vector<double>> doubles_;
};

nlohmann::json metrics_json(const EpochMetrics& m) {
  nlohmann::json j = nlohmann::json::object();
  visit_metrics(m, [&](const char* name, auto value) { j[name] = value; });  // NaN is written as null
  return j;
}

std::string run_dir_of(const SimulateOptions& o, const SimulationConfig& c) {
  return o.run_dir.empty() ? "runs/" + c.name : o.run_dir;
}

void print_plan(const SimulateOptions& o, const SimulationConfig& c, const GlobalOptions& global) {
  std::int64_t n = 0, nnz = 0;
  bool estimated = false;
  std::string graph;
  if (c.graph.path.empty()) {
    // A generated city's size is known before drawing a tie only approximately.
    n = c.graph.city.agents;
    nnz = static_cast<std::int64_t>(static_cast<double>(n) * c.graph.city.mean_degree);
    estimated = true;
    graph = city_description(c.graph.city);
  } else {
    const io::GraphHeader h = io::read_graph_header(c.graph.path);
    n = h.n;
    nnz = h.nnz;
    graph = c.graph.path;
  }
  const auto exec = global.executor();
  const std::size_t need = dynamics_device_bytes(n, nnz);
  const bool gpu = exec->kind() == kernels::BackendKind::cuda;
  const nlohmann::json plan{{"command", "simulate"},
                            {"config", c.source},
                            {"run_dir", run_dir_of(o, c)},
                            {"graph", graph},
                            {"agents", n},
                            {"edges", nnz},
                            {"edges_estimated", estimated},
                            {"epochs", c.epochs},
                            {"trust_every", c.trust_every},
                            {"backend", exec->name()},
                            {"device", exec->description()},
                            {"memory_bytes_estimate", need},
                            {"memory_bytes_available", exec->available_memory()},
                            {"fits", !gpu || need <= exec->available_memory()},
                            {"resume", o.resume},
                            {"resolved_config", resolved_toml(c)}};
  std::printf("%s\n", plan.dump(2).c_str());
}

io::Graph load_graph(const SimulationConfig& c) {
  if (!c.graph.path.empty()) return io::read_graph(c.graph.path);
  io::Graph g = io::generate_city_graph(c.graph.city);
  g.source = city_description(c.graph.city);
  return g;
}

std::vector<std::int64_t> widen(const std::vector<std::int32_t>& v) { return {v.begin(), v.end()}; }

// The run proper: graph, simulation, epochs, outputs.
void run_epochs(const SimulateOptions& o, const SimulationConfig& c, const std::string& dir,
                const std::string& config_text, RunLog& log, const GlobalOptions& global) {
  spdlog::info("simulate {}: run directory {}, {} epochs, seed {}", o.config, dir, c.epochs, c.seed);

  const auto t0 = std::chrono::steady_clock::now();
  const io::Graph g = load_graph(c);
  spdlog::info("graph: {}: {} agents, {} ties", g.source, g.n, g.nnz());
  const auto exec = global.executor();
  const std::string graph = c.graph.path.empty() ? g.source : c.graph.path;
  io::ResultsWriter out(dir + "/results.h5", {command_line(), config_text, graph, g.content_hash, c.seed, exec->name(),
                                              exec->device_name()});
  Simulation sim(exec, g, c.model, c.seed);
  spdlog::info("setup: {:.2f} s; {} providers registered with an institution",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), sim.registered_count());

  std::ofstream metrics(dir + "/metrics.jsonl", std::ios::trunc);
  if (!metrics) throw IoError(dir + "/metrics.jsonl: cannot open for writing");
  MetricSeries series;
  std::vector<std::int64_t> snapshots;
  auto snapshot = [&](std::int64_t epoch) {
    out.write("/trust/epoch_" + std::to_string(epoch), sim.state().trust.to_host());
    snapshots.push_back(epoch);
  };
  EpochMetrics m;
  for (std::int64_t e = 1; e <= c.epochs; ++e) {
    m = sim.run_epoch();
    metrics << metrics_json(m).dump() << '\n';
    metrics.flush();
    if (!metrics) throw IoError(dir + "/metrics.jsonl: write failed");
    series.add(m);
    if ((c.trust_every > 0 && e % c.trust_every == 0) || e == c.epochs) snapshot(e);
    spdlog::info("epoch {}/{}: cooperation {:.4f}, interactions {}, defections {} ({} detected), trust gini {:.4f}, "
                 "{} propagation iterations, {:.3f} s",
                 e, c.epochs, m.cooperation_rate, m.interactions, m.defections, m.defections_detected, m.trust_gini,
                 m.propagation_iterations, m.seconds);
    log.flush();
  }
  series.write(out);
  out.file().write_attr("/trust", "snapshot_epochs", snapshots);
  const HostDynamicsState final_state = download(sim.state());
  out.write("/agents/strategy", std::vector<std::int64_t>(final_state.strategy.begin(), final_state.strategy.end()));
  out.write("/agents/payoff", final_state.payoff);
  out.write("/agents/registrar", widen(sim.registrar()));
  if (!g.id.empty()) out.write("/agents/id", g.id);
  out.commit();

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("done: {} epochs in {:.2f} s", c.epochs, seconds);
  std::printf("simulate: run_dir=%s epochs=%lld agents=%lld ties=%lld cooperation_rate=%.4f trust_gini=%.4f "
              "seconds=%.2f device=%s\n",
              dir.c_str(), static_cast<long long>(c.epochs), static_cast<long long>(g.n),
              static_cast<long long>(g.nnz()), m.cooperation_rate, m.trust_gini, seconds, exec->name().c_str());
}

void run_simulate(const SimulateOptions& o, const GlobalOptions& global) {
  if (o.resume != "never")
    throw UsageError("--resume " + o.resume +
                     ": checkpoints are not written yet (they arrive with the checkpoint issue); only --resume "
                     "never is accepted");
  SimulationConfig c = load_simulation_config(o.config);
  if (o.epochs > 0) c.epochs = o.epochs;
  if (o.dry_run) return print_plan(o, c, global);

  const std::string dir = run_dir_of(o, c);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(dir + ": cannot create the run directory: " + ec.message());
  const std::string config_text = resolved_toml(c);
  write_text_atomically(dir + "/config.toml", config_text);
  RunLog log(dir + "/log.txt");
  try {
    run_epochs(o, c, dir, config_text, log, global);
  } catch (const std::exception& e) {
    log.error(e.what());
    throw;
  }
}

}  // namespace

void add_simulate(CLI::App& app, GlobalOptions& global) {
  auto o = std::make_shared<SimulateOptions>();
  auto* cmd = app.add_subcommand("simulate", "Run the city dynamics of a TOML configuration (docs/dynamics.md)");
  cmd->add_option("config", o->config, "Configuration file (TOML, e.g. configs/city.toml)")->required();
  cmd->add_option("--run-dir", o->run_dir, "Run directory (default: runs/<[run] name>)");
  cmd->add_option("--epochs", o->epochs, "Number of epochs (default: [run] epochs)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{4294967295}));
  cmd->add_flag("--dry-run", o->dry_run,
                "Resolve the configuration, read only the graph header and print the plan (backend, memory) as JSON");
  cmd->add_option("--resume", o->resume,
                  "never (start afresh); auto and PATH arrive with checkpoints")
      ->capture_default_str();
  cmd->callback([o, &global] { run_simulate(*o, global); });
}

}  // namespace trustprop::host
