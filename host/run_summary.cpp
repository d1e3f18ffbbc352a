// Reading a run directory for `trustprop report` (host/run_summary.hpp).
#include "host/run_summary.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <toml++/toml.h>

#include "common/error.hpp"
#include "host/checkpointing.hpp"
#include "host/metrics_log.hpp"
#include "host/rank_checkpoint.hpp"
#include "host/simulation_config.hpp"
#include "io/h5.hpp"

namespace trustprop::host {

namespace {

namespace fs = std::filesystem;

// The newest of `entries` (newest first) that opens as a checkpoint and
// passes `check`; the newer ones that do not go to found.problems.
std::optional<io::CheckpointReader> open_newest(const std::vector<CheckpointEntry>& entries, RunCheckpoints& found,
                                                const std::function<void(const io::CheckpointReader&)>& check) {
  found.count = static_cast<std::int64_t>(entries.size());
  for (const CheckpointEntry& e : entries) {
    try {
      io::CheckpointReader r(e.path);
      check(r);
      found.newest = e.path;
      found.newest_step = r.header().epoch;
      return std::optional<io::CheckpointReader>(std::move(r));
    } catch (const Error& err) {
      if (err.code() != ExitCode::data && err.code() != ExitCode::no_input) throw;
      found.problems.push_back(err.what());
    }
  }
  return std::nullopt;
}

RunOrigin origin_of(const io::CheckpointReader& r) {
  const io::CheckpointHeader& h = r.header();
  return {r.path(), h.version, h.git_revision, h.backend, h.device, h.created, ""};
}

// results.h5: whether it is there and reads, how many epochs its series
// holds, and (set in `origin`) the provenance it records.
RunResults inspect_results(const std::string& path, std::optional<RunOrigin>& origin) {
  RunResults results{path, "missing", 0};
  std::error_code ec;
  if (!fs::exists(path, ec)) return results;
  try {
    const auto f = io::h5::File::open_read(path);
    if (f.read_attr_string("/", "trustprop.format").value_or("") != "results")
      throw DataError(path + ": root attribute trustprop.format is not \"results\"");
    results.steps = f.exists("/metrics/epoch") ? f.size_1d("/metrics/epoch") : 0;
    const auto attr = [&f](const char* name) { return f.read_attr_string("/", name).value_or(""); };
    origin = RunOrigin{path,           attr("trustprop.version"), attr("trustprop.git_revision"), attr("backend"),
                       attr("device"), attr("created"),           attr("command")};
    results.status = "complete";
  } catch (const Error& e) {
    results.status = std::string("unreadable: ") + e.what();
  }
  return results;
}

// The last line of log.txt that is not empty ("" without a log).
std::string last_log_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

nlohmann::ordered_json simulation_facts(const SimulationConfig& c) {
  using Json = nlohmann::ordered_json;
  const io::CityParams& city = c.graph.city;
  const Json graph = c.graph.path.empty() ? Json{{"generate", "city"},
                                                 {"agents", city.agents},
                                                 {"seed", city.seed},
                                                 {"mean_degree", city.mean_degree},
                                                 {"institution_share", city.institution_share},
                                                 {"enterprise_share", city.enterprise_share}}
                                          : Json{{"path", c.graph.path}};
  const DynamicsParameters& m = c.model;
  return {{"file", c.source},
          {"name", c.name},
          {"graph", graph},
          {"seed", c.seed},
          {"epochs", c.epochs},
          {"parameters",
           {{"benefit", m.benefit},
            {"cost", m.cost},
            {"reward", m.reward},
            {"sharing", m.sharing},
            {"registration", registration_name(m.registration)},
            {"supervision", m.supervision},
            {"fine", m.fine},
            {"pooled_feedback", m.pooled_feedback}}}};
}

// finished, stopped or incomplete, from the epochs recorded, the newest checkpoint and results.h5.
void judge_simulation(RunSummary& s) {
  const auto done = static_cast<std::int64_t>(s.records.size());
  const RunCheckpoints& c = s.checkpoints;
  const std::string resume =
      c.newest.empty() ? "there is no checkpoint to resume from"
                       : fmt::format("a resume (--resume auto) goes on after the checkpoint of epoch {}",
                                     c.newest_step);
  if (done >= s.asked && s.results->status == "complete" && s.results->steps == done) {
    s.status = "finished";
    s.detail = fmt::format("all {} epochs done, results.h5 written", s.asked);
  } else if (done >= s.asked) {
    s.status = "incomplete";
    s.detail = fmt::format("all {} epochs recorded, but results.h5 is {}: the run failed or was killed while "
                           "writing its outputs, or is writing them (log.txt); {}",
                           s.asked,
                           s.results->status == "complete" ? fmt::format("of {} epochs", s.results->steps)
                                                           : s.results->status,
                           resume);
  } else if (!c.newest.empty() && c.newest_step == done) {
    s.status = "stopped";
    s.detail = fmt::format("stopped after epoch {} of {} with a checkpoint of it (a signal or --max-walltime: exit "
                           "75), unless it is still running; resume with --resume auto",
                           done, s.asked);
  } else {
    s.status = "incomplete";
    s.detail = fmt::format("{} of {} epochs recorded and no checkpoint of the last: still running, killed or failed "
                           "(log.txt); {}",
                           done, s.asked, resume);
  }
}

void summarise_simulation(RunSummary& s, const std::string& metrics_path) {
  s.command = "simulate";
  s.step = simulate_checkpoints.step;
  const SimulationConfig c = load_simulation_config(s.dir + "/config.toml");
  s.config = simulation_facts(c);
  s.asked = c.epochs;
  const MetricsLog log = read_metrics_log(metrics_path);
  if (!log.warning.empty()) s.warnings.push_back(log.warning);
  if (static_cast<std::int64_t>(log.epochs.size()) > c.epochs)
    throw DataError(fmt::format("{}:{}: epoch {} is beyond the run's {} epochs ({}/config.toml)", metrics_path,
                                c.epochs + 1, c.epochs + 1, c.epochs, s.dir));
  double seconds = 0;
  for (const EpochMetrics& m : log.epochs) {
    s.records.push_back(metrics_json(m));
    seconds += m.seconds;
  }
  s.seconds = seconds;
  s.timed = static_cast<std::int64_t>(s.records.size());
  const auto checkpoint =
      open_newest(list_checkpoints(s.dir, &simulate_checkpoints), s.checkpoints, [](const io::CheckpointReader&) {});
  s.results = inspect_results(s.dir + "/results.h5", s.origin);
  if (!s.origin && checkpoint) s.origin = origin_of(*checkpoint);
  s.last_log_line = last_log_line(s.dir + "/log.txt");
  judge_simulation(s);
}

// The resolved options a rank checkpoint carries (TOML: model, graph, [<model>]), as JSON.
nlohmann::ordered_json rank_facts(const io::CheckpointReader& r) {
  const std::string where = r.path() + ": root attribute config";
  toml::table t;
  try {
    t = toml::parse(r.header().config_text, where);
  } catch (const toml::parse_error& e) {
    throw ConfigError(where + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  std::ostringstream text;
  text << toml::json_formatter{t};
  nlohmann::ordered_json facts{{"file", where}};
  facts.update(nlohmann::ordered_json::parse(text.str()));
  // Every value the report reads, of the type it reads it as.
  if (!facts.contains("model") || !facts["model"].is_string()) throw ConfigError(where + ": model is not a string");
  const std::string model = facts["model"].get<std::string>();
  if (!facts.contains(model) || !facts[model].is_object()) throw ConfigError(where + ": no [" + model + "] table");
  const nlohmann::ordered_json& options = facts[model];
  if (!options.contains("max_iterations")) throw ConfigError(where + ": no [" + model + "] max_iterations");
  if (!options["max_iterations"].is_number_integer())
    throw ConfigError(where + ": [" + model + "] max_iterations is not an integer");
  if (options.contains("tolerance") && !options["tolerance"].is_number())
    throw ConfigError(where + ": [" + model + "] tolerance is not a finite number");
  return facts;
}

void judge_rank(RunSummary& s, double tolerance) {
  const auto done = static_cast<std::int64_t>(s.records.size());
  const double residual = done ? s.records.back()["residual"].get<double>() : 0.0;
  if (done && residual < tolerance) {
    s.status = "finished";
    s.detail = fmt::format("converged after {} iterations (residual {:.3e} < tolerance {:g})", done, residual,
                           tolerance);
  } else if (done >= s.asked) {
    s.status = "finished";
    s.detail = fmt::format("NOT CONVERGED: {} iterations, the most allowed (residual {:.3e}, tolerance {:g}); "
                           "raise --max-iterations to go on",
                           done, residual, tolerance);
  } else {
    s.status = "stopped";
    s.detail = fmt::format("the newest checkpoint is after iteration {} of at most {}: stopped or killed, unless "
                           "it is still running; the same rank command goes on from it (--resume auto)",
                           done, s.asked);
  }
}

// The wall times rank's metrics.jsonl gives the checkpoint's iterations:
// a line's `seconds` where its `iteration` is one of the checkpoint's, with
// the checkpoint's residual (bitwise); the first such line of each
// iteration. The log is secondary to the checkpoint: a line that does not
// parse, or belongs to no iteration of it, gives no time.
void add_rank_times(RunSummary& s, const std::string& metrics_path) {
  std::ifstream in(metrics_path);
  double total = 0;
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("iteration") || !j["iteration"].is_number_integer()) continue;
    const auto k = j["iteration"].get<std::int64_t>();
    if (k < 1 || k > static_cast<std::int64_t>(s.records.size())) continue;
    nlohmann::json& record = s.records[static_cast<std::size_t>(k - 1)];
    if (record.contains("seconds") || !j.contains("residual") || !j["residual"].is_number() ||
        j["residual"].get<double>() != record["residual"].get<double>() || !j.contains("seconds") ||
        !j["seconds"].is_number() || !(j["seconds"].get<double>() >= 0.0))
      continue;
    record["seconds"] = j["seconds"];
    total += j["seconds"].get<double>();
    ++s.timed;
  }
  if (s.timed > 0) s.seconds = total;
  if (s.timed < static_cast<std::int64_t>(s.records.size()))
    s.warnings.push_back(fmt::format("{}: {} of the checkpoint's {} iterations have no time (lines rebuilt from a "
                                     "checkpoint, or none written); the time counts the other {}",
                                     metrics_path, static_cast<std::int64_t>(s.records.size()) - s.timed,
                                     s.records.size(), s.timed));
}

void summarise_rank(RunSummary& s, const std::vector<CheckpointEntry>& entries) {
  Convergence record;
  const auto checkpoint = open_newest(entries, s.checkpoints, [&record](const io::CheckpointReader& r) {
    if (r.header().kind.rfind("rank ", 0) != 0)
      throw DataError(r.path() + ": a checkpoint of " + r.header().kind + ", not of rank");
    record = restore_rank_record(r, r.header().kind);
  });
  if (!checkpoint) {
    std::string problems;
    for (const std::string& p : s.checkpoints.problems) problems += "\n  " + p;
    throw DataError(fmt::format("{}: none of the {} rank checkpoints reads:{}", checkpoint_dir(s.dir),
                                s.checkpoints.count, problems));
  }
  s.command = checkpoint->header().kind;
  s.step = eigentrust_checkpoints.step;
  s.config = rank_facts(*checkpoint);
  const nlohmann::ordered_json& options = s.config[s.config["model"].get<std::string>()];
  s.asked = options["max_iterations"].get<std::int64_t>();
  for (std::size_t k = 0; k < record.residuals.size(); ++k)
    s.records.push_back({{"iteration", k + 1}, {"residual", record.residuals[k]}});
  s.origin = origin_of(*checkpoint);
  add_rank_times(s, s.dir + "/metrics.jsonl");
  judge_rank(s, options.value("tolerance", 0.0));
}

}  // namespace

RunSummary summarise_run(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw NoInputError(dir + (fs::exists(dir, ec) ? ": not a directory; give the run directory (--run-dir) of a "
                                                    "simulate or rank run"
                                                  : ": no such run directory"));
  RunSummary s;
  s.dir = dir;
  const std::string metrics = dir + "/metrics.jsonl";
  // A rank run directory has a metrics log too, but its checkpoints tell it apart.
  if (const auto rank = list_checkpoints(dir, &eigentrust_checkpoints); !rank.empty()) {
    summarise_rank(s, rank);  // ckpt-i<iteration>.h5: every rank model's
  } else if (fs::exists(metrics, ec) && !fs::exists(dir + "/config.toml", ec)) {
    throw NoInputError(dir + ": a metrics log but no config.toml and no rank checkpoint in " + checkpoint_dir(dir) +
                       ": a rank run stopped before its first checkpoint has nothing to report yet");
  } else if (fs::exists(metrics, ec)) {
    summarise_simulation(s, metrics);
  } else {
    throw NoInputError(metrics + ": no such file, and no rank checkpoints in " + checkpoint_dir(dir) +
                       ": not a run directory of trustprop simulate or rank --run-dir");
  }
  for (const std::string& p : s.checkpoints.problems) s.warnings.push_back("checkpoint skipped: " + p);
  return s;
}

}  // namespace trustprop::host
