// Reporting shared by the rank models (host/rank_model.hpp).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "host/rank_model.hpp"

namespace trustprop::host {

io::Provenance results_provenance(const RankRun& run) {
  std::string device = run.exec->device_name();
  if (run.comm) device += " (each of " + std::to_string(run.comm->size()) + " MPI processes)";
  return {run.command, run.config, run.settings.graph, run.graph.content_hash, 0, run.exec->name(), device};
}

io::ResultsWriter open_results(const RankRun& run) { return io::ResultsWriter(run.settings.output, results_provenance(run)); }

void write_convergence(io::ResultsWriter& out, const std::string& model, const Convergence& c, double tolerance,
                       double seconds) {
  const std::string group = "/convergence/" + model;
  out.write(group + "/residuals", c.residuals);
  auto& f = out.file();
  f.write_attr(group, "iterations", static_cast<std::int64_t>(c.iterations));
  f.write_attr(group, "residual", c.residual);
  f.write_attr(group, "converged", static_cast<std::int64_t>(c.converged));
  f.write_attr(group, "tolerance", tolerance);
  f.write_attr(group, "seconds_per_iteration", c.iterations ? seconds / c.iterations : 0.0);
}

void print_run_header(const RankRun& run) {
  std::printf("model       %s\n", run.settings.model.c_str());
  std::printf("graph       %s: %lld agents, %lld edges\n", run.settings.graph.c_str(),
              static_cast<long long>(run.graph.n), static_cast<long long>(run.edges));
  std::printf("device      %s\n", run.exec->description().c_str());
}

void print_convergence(const Convergence& c, double tolerance, double seconds) {
  std::printf("iterations  %d, residual %.3e, %s (tolerance %g)\n", c.iterations, c.residual,
              c.converged ? "converged" : "NOT CONVERGED", tolerance);
  std::printf("time        %.6f s per iteration\n", c.iterations ? seconds / c.iterations : 0.0);
}

void check_convergence(const RankRun& run, const Convergence& c, double tolerance) {
  if (c.converged) return;
  spdlog::warn("{} did not converge: residual {:.3e} after {} iterations (tolerance {:g})", run.settings.model,
               c.residual, c.iterations, tolerance);
  if (run.settings.require_convergence)
    throw DataError("--require-convergence: " + run.settings.model + " did not converge on " + run.settings.graph);
}

nlohmann::json summary_json(const RankRun& run, const Convergence& c, double seconds) {
  return {{"model", run.settings.model},
          {"graph", run.settings.graph},
          {"agents", run.graph.n},
          {"edges", run.edges},
          {"device", run.exec->description()},
          {"processes", run.comm ? run.comm->size() : 1},
          {"iterations", c.iterations},
          {"residual", c.residual},
          {"converged", c.converged},
          {"seconds_per_iteration", c.iterations ? seconds / c.iterations : 0.0},
          {"output", run.settings.output}};
}

}  // namespace trustprop::host
