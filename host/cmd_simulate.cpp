// `trustprop simulate CONFIG.toml [--run-dir D] [--epochs N] [--dry-run]
// [--resume auto|never|PATH] [--checkpoint-every N] [--keep-checkpoints K]
// [--max-walltime T] [--allow-config-change]`: the city dynamics (DESIGN §3,
// §5; docs/dynamics.md, docs/checkpoint.md).
//
// Writes the run directory of DESIGN §2: config.toml (the resolved
// configuration), metrics.jsonl (one JSON object per epoch, flushed as it
// goes), log.txt (the run's log), checkpoints/ckpt-e<epoch>.h5 and
// results.h5 (provenance, the metric series /metrics/<name>, trust
// snapshots /trust/epoch_<e>, the final strategies, payoffs and
// registration). A resumed run rewrites metrics.jsonl from the checkpoint's
// record, so the file never holds an epoch twice. SIGTERM, SIGINT and
// SIGUSR1, and --max-walltime, end a run after the current epoch with a
// checkpoint and exit 75. --dry-run resolves the configuration, reads only
// the graph header and prints the plan as JSON.
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
#include <optional>

#include "common/error.hpp"
#include "host/checkpointing.hpp"
#include "host/cli_checks.hpp"
#include "host/command_line.hpp"
#include "host/commands.hpp"
#include "host/dynamics.hpp"
#include "host/graph_share.hpp"
#include "host/metrics_log.hpp"
#include "host/signals.hpp"
#include "host/simulation_checkpoint.hpp"
#include "host/simulation_config.hpp"
#include "host/world.hpp"
#include "io/atomic_output.hpp"
#include "io/generate_city.hpp"
#include "io/graph_file.hpp"
#include "io/results_file.hpp"
#include "kernels/memory_estimate.hpp"

namespace trustprop::host {

namespace {

namespace fs = std::filesystem;

struct SimulateOptions {
  std::string config;
  std::string run_dir;   // default runs/<name>
  std::int64_t epochs = 0;  // 0: the configuration's
  bool dry_run = false;
  std::string resume = "auto";        // auto | never | PATH of a checkpoint
  std::int64_t checkpoint_every = -1;  // -1: the configuration's
  std::int64_t keep_checkpoints = 0;   // 0: the configuration's
  std::string max_walltime;           // empty: no limit
  bool allow_config_change = false;
};

std::string city_description(const io::CityParams& p) {
  return fmt::format("generated city: agents={} seed={} mean_degree={} institution_share={} enterprise_share={}",
                     p.agents, p.seed, p.mean_degree, p.institution_share, p.enterprise_share);
}

// Adds log.txt to the default logger for the run: the file gets every
// message from info up, the terminal keeps --log-level. Restored on exit.
class RunLog {
 public:
  // `append`: a resumed run continues the log of the runs before it.
  RunLog(const std::string& path, bool append) : logger_(spdlog::default_logger()), level_(logger_->level()) {
    try {
      sink_ = std::make_shared<spdlog::sinks::basic_file_sink_st>(path, !append);
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
    try {
      sink_->flush();
    } catch (const spdlog::spdlog_ex&) {  // a full disk: the run reports its own error
    }
    auto& sinks = logger_->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    logger_->set_level(level_);
  }
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;
  // Throws IoError (exit 74) when the file cannot take the log (a full disk).
  void flush() {
    try {
      sink_->flush();
    } catch (const spdlog::spdlog_ex& e) {
      throw IoError(e.what());  // "Failed flush to file D/log.txt: No space left on device"
    }
  }
  // Records the error a run ends with in the file (main() reports it on the
  // terminal, so a file that cannot take it is let be).
  void error(const std::string& message) {
    try {
      sink_->log(spdlog::details::log_msg(logger_->name(), spdlog::level::err, message));
      sink_->flush();
    } catch (const spdlog::spdlog_ex&) {
    }
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

std::string run_dir_of(const SimulateOptions& o, const SimulationConfig& c) {
  return o.run_dir.empty() ? "runs/" + c.name : o.run_dir;
}

// The size of the run's graph before it is read or generated: a file's
// header, or a generated city's agents times its mean degree (the ties it
// draws come within a few per cent of that).
struct PlannedGraph {
  std::int64_t n = 0, nnz = 0;
  bool estimated = false;  // a generated city's nnz
  std::string description;
};

PlannedGraph planned_graph(const SimulationConfig& c) {
  if (!c.graph.path.empty()) {
    const io::GraphHeader h = io::read_graph_header(c.graph.path);
    return {h.n, h.nnz, false, c.graph.path};
  }
  const std::int64_t n = c.graph.city.agents;
  return {n, static_cast<std::int64_t>(static_cast<double>(n) * c.graph.city.mean_degree), true,
          city_description(c.graph.city)};
}

// The bytes a process of `processes` needs for its share of the ties: the
// simulation's state, and on the CPU the graph itself beside it.
std::size_t bytes_with_graph(const PlannedGraph& g, kernels::BackendKind kind, int processes) {
  const std::int64_t ties = (g.nnz + processes - 1) / processes;
  return dynamics_device_bytes(g.n, ties, kind) +
         (kind == kernels::BackendKind::cuda ? 0 : io::graph_bytes(g.n, ties));
}

// Refuses a run whose graph and state cannot fit, before the graph is read
// or generated (which alone may take most of the memory and minutes):
// InternalError (exit 70) with the bytes needed and available. Each
// process checks its share of the ties. The exact check of the state
// (host::Simulation) follows once the graph is in memory.
void require_room_for_graph(const SimulationConfig& c, const kernels::Executor& exec, int processes) {
  const PlannedGraph g = planned_graph(c);
  const std::int64_t ties = (g.nnz + processes - 1) / processes;
  const bool gpu = exec.kind() == kernels::BackendKind::cuda;
  kernels::require_memory(exec, bytes_with_graph(g, exec.kind(), processes),
                          fmt::format("simulating {} ({} agents, {}{} ties{})", g.description, g.n,
                                      g.estimated ? "about " : "", g.nnz,
                                      processes > 1 ? fmt::format(", about {} per process", ties) : ""),
                          !gpu);
}

void print_plan(const SimulateOptions& o, const SimulationConfig& c, const GlobalOptions& global, int processes) {
  const PlannedGraph g = planned_graph(c);
  const std::int64_t n = g.n, nnz = g.nnz;
  const auto exec = global.executor();
  const std::size_t need = dynamics_device_bytes(n, nnz, exec->kind());
  nlohmann::json plan{{"command", "simulate"},
                            {"config", c.source},
                            {"run_dir", run_dir_of(o, c)},
                            {"graph", g.description},
                            {"agents", n},
                            {"edges", nnz},
                            {"edges_estimated", g.estimated},
                            {"epochs", c.epochs},
                            {"trust_every", c.trust_every},
                            {"backend", exec->name()},
                            {"device", exec->description()},
                            {"memory_bytes_estimate", need},
                            {"memory_bytes_available", exec->available_memory()},
                            {"fits", bytes_with_graph(g, exec->kind(), 1) <= exec->available_memory()},
                            {"resume", o.resume},
                            {"resolved_config", resolved_toml(c)}};
  if (processes > 1) {
    // Each process holds about its share of the ties (W's rows and Wᵀ's) and every per-agent array.
    plan["processes"] = processes;
    plan["distributed"] = "rows";
    plan["memory_bytes_estimate_per_process"] = dynamics_device_bytes(n, (nnz + processes - 1) / processes, exec->kind());
  }
  std::printf("%s\n", plan.dump(2).c_str());
}

io::Graph load_graph(const SimulationConfig& c) {
  if (!c.graph.path.empty()) return io::read_graph(c.graph.path);
  io::Graph g = io::generate_city_graph(c.graph.city);
  g.source = city_description(c.graph.city);
  return g;
}

std::vector<std::int64_t> widen(const std::vector<std::int32_t>& v) { return {v.begin(), v.end()}; }

// What the run was started with, beside its options and configuration.
struct RunContext {
  std::string dir;
  std::chrono::steady_clock::time_point started;  // --max-walltime counts from here
  double walltime = 0;                            // seconds; 0: no limit
  const StopSignals* signals = nullptr;
  std::optional<io::CheckpointReader> checkpoint;  // the one to resume from
  RunDirectory* directory = nullptr;                // process 0's
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The graph of a run: whole for one process; under MPI (DESIGN §7) each
// process's share of W's rows, read from the file or generated (its rows
// only). Collective.
struct RunGraph {
  io::Graph whole;   // one process (its edges released once the simulation holds them)
  GraphShare share;  // several
  std::int64_t nnz = 0;
  const io::Graph& agents() const { return share.comm ? share.agents : whole; }
};

RunGraph load_run_graph(const SimulationConfig& c, const Communicator& comm) {
  RunGraph g;
  const auto require_agents = [&c](std::int64_t n) {  // a 0 x 0 Matrix Market file imports as such a graph
    if (n == 0) throw DataError(c.graph.path + ": the graph has no agents: nothing to simulate");
  };
  if (comm.size() == 1) {
    g.whole = load_graph(c);
    require_agents(g.whole.n);
    if (g.whole.content_hash.empty()) g.whole.content_hash = io::compute_content_hash(g.whole);
    g.nnz = g.whole.nnz();
    return g;
  }
  if (c.graph.path.empty()) {
    g.share = generate_city_share(comm, c.graph.city);
    g.share.agents.source = city_description(c.graph.city);
  } else {
    g.share = read_graph_share(comm, c.graph.path);
    require_agents(g.share.agents.n);
    if (g.share.agents.content_hash.empty())  // no process holds the whole graph to hash
      throw DataError(c.graph.path + ": the file has no trustprop.content_hash attribute, which a distributed "
                      "simulation's checkpoints need; rewrite it with trustprop import or generate, or run one process");
  }
  g.nnz = g.share.nnz;
  return g;
}

// The run proper: graph, simulation (resumed from a checkpoint), epochs,
// checkpoints, outputs. Under MPI every process runs the epochs together
// and process 0 alone writes the run directory (`log` is null elsewhere).
void run_epochs(const SimulateOptions& o, const SimulationConfig& c, RunContext& run, RunLog* log,
                const GlobalOptions& global, const Communicator& comm) {
  const std::string& dir = run.dir;
  const bool writer = comm.rank() == 0;
  spdlog::info("simulate {}: run directory {}, {} epochs, seed {}", o.config, dir, c.epochs, c.seed);

  const auto t0 = std::chrono::steady_clock::now();
  RunGraph rg;
  std::shared_ptr<const kernels::Executor> exec;
  collectively(comm, [&] {
    exec = global.executor();
    require_room_for_graph(c, *exec, comm.size());
    rg = load_run_graph(c, comm);
  });
  const io::Graph& g = rg.agents();
  spdlog::info("graph: {}: {} agents, {} ties", g.source, g.n, rg.nnz);
  if (rg.share.comm)
    spdlog::info("process {} of {}: rows {}..{} of W ({} ties)", comm.rank(), comm.size(), rg.share.rows.first,
                 rg.share.rows.last, rg.share.rows.nnz());
  const std::string graph = c.graph.path.empty() ? g.source : c.graph.path;
  const RunIdentity identity = simulation_identity(c, g.content_hash, exec->name());
  collectively(comm, [&] {
    if (run.checkpoint)
      check_compatible(run.checkpoint->header(), run.checkpoint->path(), identity, o.allow_config_change);
  });
  const std::string config_text = resolved_toml(c);
  const std::string device =
      exec->device_name() + (comm.size() > 1 ? " (each of " + std::to_string(comm.size()) + " MPI processes)" : "");
  std::optional<io::ResultsWriter> out;
  std::unique_ptr<Simulation> sim;
  collectively(comm, [&] {
    if (writer)
      out.emplace(dir + "/results.h5", io::Provenance{command_line(), config_text, graph, g.content_hash, c.seed,
                                                      exec->name(), device});
    sim = rg.share.comm ? std::make_unique<Simulation>(exec, rg.share, c.model, c.seed)
                        : std::make_unique<Simulation>(exec, rg.whole, c.model, c.seed);
  });
  // The simulation holds the ties now.
  rg.share.rows = io::GraphRows{};
  rg.whole.indptr = {};
  rg.whole.indices = {};
  rg.whole.data = {};
  // Epochs whose trust vector goes to results.h5 (for a resumed run, the ones it keeps).
  const auto snapshot_due = [&c](std::int64_t e) {
    return (c.trust_every > 0 && e % c.trust_every == 0) || e == c.epochs;
  };
  RunRecord record;
  if (run.checkpoint) {
    collectively(comm, [&] {
      record = restore_simulation_checkpoint(*run.checkpoint, *sim, out ? &*out : nullptr, snapshot_due);
    });
    spdlog::info("resumed from {} after epoch {}", run.checkpoint->path(), record.metrics.size());
    run.checkpoint.reset();
  }
  // Only now, with the checkpoint accepted and restored, does anything in the
  // run directory change (results.h5 is still a temporary file until the end).
  if (writer) {
    run.directory->started();
    write_text_atomically(dir + "/config.toml", config_text);
  }
  spdlog::info("setup: {:.2f} s; {} providers registered with an institution", seconds_since(t0),
               sim->registered_count());

  // metrics.jsonl holds exactly the epochs of the record: a resumed run drops what came after its checkpoint.
  std::ofstream metrics;
  if (writer) {
    std::string lines;
    for (const EpochMetrics& m : record.metrics) lines += metrics_json(m).dump() + '\n';
    write_text_atomically(dir + "/metrics.jsonl", lines);
    metrics.open(dir + "/metrics.jsonl", std::ios::app);
    if (!metrics) throw IoError(dir + "/metrics.jsonl: cannot open for writing");
  }

  io::CheckpointHeader header;
  header.seed = c.seed;
  header.config_text = config_text;
  header.config_hash = identity.config_hash;
  header.graph = graph;
  header.graph_hash = g.content_hash;
  header.backend = exec->name();
  header.device = device;
  double longest_epoch = 0, checkpoint_seconds = 0;
  auto checkpoint = [&] {
    const auto t = std::chrono::steady_clock::now();
    const std::string path = checkpoint_path(dir, simulate_checkpoints, sim->state().epoch);
    const std::optional<EdgeEvidence> evidence =
        comm.size() > 1 ? std::optional<EdgeEvidence>(sim->gather_evidence()) : std::nullopt;
    if (writer) {
      save_simulation_checkpoint(path, header, *sim, record, *out, evidence ? &*evidence : nullptr);
      prune_checkpoints(dir, simulate_checkpoints, c.checkpoint_keep);
    }
    checkpoint_seconds = seconds_since(t);
    spdlog::info("checkpoint {} ({:.2f} s)", path, checkpoint_seconds);
    return path;
  };
  EpochMetrics m = record.metrics.empty() ? EpochMetrics{} : record.metrics.back();
  for (std::int64_t e = static_cast<std::int64_t>(sim->state().epoch) + 1; e <= c.epochs; ++e) {
    m = sim->run_epoch();
    if (writer) {
      metrics << metrics_json(m).dump() << '\n';
      metrics.flush();
      if (!metrics) throw IoError(dir + "/metrics.jsonl: write failed");
    }
    record.metrics.push_back(m);
    if (snapshot_due(e)) {
      if (writer) out->write("/trust/epoch_" + std::to_string(e), sim->state().trust.to_host());
      record.snapshot_epochs.push_back(e);
    }
    spdlog::info("epoch {}/{}: cooperation {:.4f}, interactions {}, defections {} ({} detected), trust gini {:.4f}, "
                 "{} propagation iterations, {:.3f} s",
                 e, c.epochs, m.cooperation_rate, m.interactions, m.defections, m.defections_detected, m.trust_gini,
                 m.propagation_iterations, m.seconds);
    longest_epoch = std::max(longest_epoch, m.seconds);

    // Stop after this epoch? A finished run has nothing to resume, so the
    // last epoch always completes. The processes agree: any one's signal
    // or clock stops them all after the same epoch.
    const bool last = e == c.epochs;
    const int signal = last ? 0 : comm.max(run.signals->requested());
    const bool out_of_time =
        !last && comm.max(run.walltime > 0 && !walltime_allows_another_step(run.walltime, seconds_since(run.started),
                                                                             longest_epoch, checkpoint_seconds)
                              ? 1
                              : 0) > 0;
    std::string path;
    if (last || signal || out_of_time || (c.checkpoint_every > 0 && e % c.checkpoint_every == 0)) path = checkpoint();
    if (log) log->flush();
    if (signal || out_of_time) {
      const std::string message = fmt::format(
          "stopped after epoch {} of {} ({}); checkpoint {}; resume with --resume auto", e, c.epochs,
          signal ? std::string("received ") + StopSignals::name(signal)
                 : fmt::format("--max-walltime {} would be exceeded by another epoch", o.max_walltime),
          path);
      if (comm.size() > 1) throw CollectiveError(ExitCode::temp_fail, message, writer);
      throw StoppedError(message);
    }
  }
  if (!writer) return;
  metrics.close();
  MetricSeries series;
  for (const EpochMetrics& r : record.metrics) series.add(r);
  series.write(*out);
  out->file().write_attr("/trust", "snapshot_epochs", record.snapshot_epochs);
  const std::vector<std::uint8_t> strategy = sim->state().strategy.to_host();
  out->write("/agents/strategy", std::vector<std::int64_t>(strategy.begin(), strategy.end()));
  out->write("/agents/payoff", sim->state().payoff.to_host());
  out->write("/agents/registrar", widen(sim->registrar()));
  if (!g.id.empty()) out->write("/agents/id", g.id);
  out->commit();

  const double seconds = seconds_since(t0);
  spdlog::info("done: {} epochs in {:.2f} s", c.epochs, seconds);
  std::printf("simulate: run_dir=%s epochs=%lld agents=%lld ties=%lld cooperation_rate=%.4f trust_gini=%.4f "
              "seconds=%.2f device=%s%s\n",
              dir.c_str(), static_cast<long long>(c.epochs), static_cast<long long>(g.n),
              static_cast<long long>(rg.nnz), m.cooperation_rate, m.trust_gini, seconds, exec->name().c_str(),
              comm.size() > 1 ? fmt::format(" processes={}", comm.size()).c_str() : "");
}

void run_simulate(const SimulateOptions& o, const GlobalOptions& global) {
  const Communicator& comm = world();
  const bool writer = comm.rank() == 0;
  RunContext run;
  run.started = std::chrono::steady_clock::now();
  const StopSignals signals;  // from the start: a signal during setup stops the run after its first epoch
  run.signals = &signals;
  SimulationConfig c;
  collectively(comm, [&] {
    c = load_simulation_config(o.config);
    if (o.epochs > 0) c.epochs = o.epochs;
    if (o.checkpoint_every >= 0) c.checkpoint_every = o.checkpoint_every;
    if (o.keep_checkpoints > 0) c.checkpoint_keep = o.keep_checkpoints;
    if (!o.max_walltime.empty()) run.walltime = parse_duration(o.max_walltime, "--max-walltime");
  });
  if (o.dry_run) {
    if (writer) print_plan(o, c, global, comm.size());
    return;
  }

  // Process 0 keeps the run directory and picks the checkpoint; the others
  // open the one it picked.
  run.dir = run_dir_of(o, c);
  std::optional<RunDirectory> directory;
  std::optional<RunLog> log;
  collectively(comm, [&] {
    if (!writer) return;
    run.directory = &directory.emplace(run.dir, simulate_checkpoints);
    log.emplace(run.dir + "/log.txt", o.resume != "never");
    try {
      remove_stale_temporaries(run.dir);
      if (o.resume == "never") {
        if (const std::size_t removed = remove_checkpoints(run.dir, simulate_checkpoints))
          spdlog::warn("--resume never: deleted the {} checkpoints of an earlier run in {}", removed,
                       checkpoint_dir(run.dir));
      } else {
        run.checkpoint = select_checkpoint(o.resume, run.dir, simulate_checkpoints);
      }
    } catch (const std::exception& e) {
      log->error(e.what());
      throw;
    }
  });
  if (comm.size() > 1) {
    std::vector<char> chosen;
    if (run.checkpoint) chosen.assign(run.checkpoint->path().begin(), run.checkpoint->path().end());
    comm.broadcast(chosen);
    collectively(comm, [&] {
      if (!writer && !chosen.empty()) run.checkpoint.emplace(std::string(chosen.begin(), chosen.end()));
    });
  }
  try {
    run_epochs(o, c, run, log ? &*log : nullptr, global, comm);
  } catch (const std::exception& e) {
    if (log) log->error(e.what());
    throw;
  }
}

}  // namespace

void add_simulate(CLI::App& app, GlobalOptions& global) {
  auto o = std::make_shared<SimulateOptions>();
  auto* cmd = app.add_subcommand("simulate", "Run the city dynamics of a TOML configuration (docs/dynamics.md)");
  cmd->add_option("config", o->config, "Configuration file (TOML, e.g. configs/city.toml)")->required();
  cmd->add_option("--run-dir", o->run_dir, "Run directory (default: runs/<[run] name>)")->check(directory_check());
  cmd->add_option("--epochs", o->epochs, "Number of epochs (default: [run] epochs)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{4294967295}));
  cmd->add_flag("--dry-run", o->dry_run,
                "Resolve the configuration, read only the graph header and print the plan (backend, memory) as JSON");
  cmd->add_option("--resume", o->resume,
                  "auto: from the newest valid checkpoint of the run directory, if any (a requeued job goes on); "
                  "never: start afresh (deletes the run directory's checkpoints); or the PATH of a checkpoint "
                  "(docs/checkpoint.md)")
      ->capture_default_str();
  cmd->add_option("--checkpoint-every", o->checkpoint_every,
                  "A checkpoint every N epochs, and after the last (default: [checkpoint] every; 0: only on stops)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{4294967295}));
  cmd->add_option("--keep-checkpoints", o->keep_checkpoints,
                  "Keep the newest K checkpoints (default: [checkpoint] keep)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}));
  cmd->add_option("--max-walltime", o->max_walltime,
                  "Stop with a checkpoint and exit 75 before another epoch would pass this time since the start "
                  "(seconds, or e.g. 90m, 1.5h)")
      ->check(duration_check());
  cmd->add_flag("--allow-config-change", o->allow_config_change,
                "Resume from a checkpoint of another configuration or graph (same agents and ties) instead of "
                "refusing");
  cmd->callback([o, &global] { run_simulate(*o, global); });
}

}  // namespace trustprop::host
