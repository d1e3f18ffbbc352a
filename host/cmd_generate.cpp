// `trustprop generate city|rmat`: synthetic graphs (docs/generators.md).
// Prints one summary line to stdout; details go to the log (stderr).
#include <fmt/format.h>
#include <omp.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "host/commands.hpp"
#include "io/generate_city.hpp"
#include "io/generate_rmat.hpp"

namespace trustprop::host {

namespace {

struct CityOptions {
  io::CityParams params;
  int compress = 0;
  std::string output;
};

struct RmatOptions {
  io::RmatParams params;
  std::string weights = "one";
  bool no_scramble = false;
  int compress = 0;
  std::string output;
};

void check_compress(int level) {
  if (level < 0 || level > 9)
    throw UsageError("--compress: gzip level must be between 0 (none) and 9 (got " + std::to_string(level) + ")");
}

void apply_threads(const GlobalOptions& global) {
  if (global.threads > 0) omp_set_num_threads(global.threads);
}

void print_summary(const char* model, const io::GenerateStats& s, const std::string& output) {
  const double rate = s.seconds > 0 ? static_cast<double>(s.edges) / s.seconds : 0.0;
  spdlog::info("{}: {:.3f} s generating and writing, {:.3f} s committing (flush to disk, rename)", model,
               s.seconds - s.seconds_commit, s.seconds_commit);
  std::fputs(fmt::format("generate {}: agents={} edges={} seconds={:.3f} edges_per_second={:.4g} output={}\n", model,
                         s.agents, s.edges, s.seconds, rate, output)
                 .c_str(),
             stdout);
  std::fflush(stdout);
}

}  // namespace

void add_generate(CLI::App& app, GlobalOptions& global) {
  CLI::App* gen = app.add_subcommand("generate", "Generate a synthetic graph: a city, or R-MAT (Graph500)");
  gen->require_subcommand(1);

  // ---- city ---------------------------------------------------------------
  auto city = std::make_shared<CityOptions>();
  CLI::App* c = gen->add_subcommand(
      "city", "A synthetic city: households, neighbourhoods, workplaces, enterprises with customers, institutions");
  c->add_option("--agents", city->params.agents, "Number of agents (residents, enterprises, institutions)")
      ->required();
  c->add_option("--seed", city->params.seed, "Random seed (the same seed gives the same file)")->capture_default_str();
  c->add_option("--mean-degree", city->params.mean_degree, "Target mean out-degree over all agents")
      ->capture_default_str();
  c->add_option("--institution-share", city->params.institution_share,
                "Share of agents that are institutions (at least one unless 0)")
      ->capture_default_str();
  c->add_option("--enterprise-share", city->params.enterprise_share,
                "Share of agents that are enterprises (at least one unless 0)")
      ->capture_default_str();
  c->add_option("--signed-share", city->params.signed_share, "Share of ties made negative (distrust)")
      ->capture_default_str();
  c->add_option("--compress", city->compress, "gzip level for the edge datasets (0: uncompressed)")
      ->capture_default_str();
  c->add_option("-o,--output", city->output, "Output graph file (HDF5)")->required();
  c->callback([city, &global] {
    check_compress(city->compress);
    io::validate_city_params(city->params);
    apply_threads(global);
    io::GraphWriteOptions options;
    options.deflate = city->compress;
    const io::GenerateStats s = io::generate_city(city->output, city->params, options);
    spdlog::info("city: {} residents in {} households, {} enterprises, {} institutions, {} neighbourhoods",
                 s.layout.residents, s.layout.households, s.layout.enterprises, s.layout.institutions,
                 s.layout.neighbourhoods);
    print_summary("city", s, city->output);
  });

  // ---- rmat ---------------------------------------------------------------
  auto rmat = std::make_shared<RmatOptions>();
  CLI::App* r = gen->add_subcommand("rmat", "R-MAT / Graph500 Kronecker graph with 2^scale vertices");
  r->add_option("--scale", rmat->params.scale, "log2 of the number of vertices")->required();
  r->add_option("--edge-factor", rmat->params.edge_factor, "Edge draws per vertex")->required();
  r->add_option("--seed", rmat->params.seed, "Random seed")->capture_default_str();
  r->add_option("--a", rmat->params.a, "Initiator probability of the top-left quadrant")->capture_default_str();
  r->add_option("--b", rmat->params.b, "Initiator probability of the top-right quadrant")->capture_default_str();
  r->add_option("--c", rmat->params.c, "Initiator probability of the bottom-left quadrant (d = 1 - a - b - c)")
      ->capture_default_str();
  r->add_option("--weights", rmat->weights, "Edge weights: one, or uniform in (0, 1]")->capture_default_str();
  r->add_flag("--no-scramble", rmat->no_scramble, "Keep the raw R-MAT vertex ids (no Graph500 permutation)");
  r->add_option("--compress", rmat->compress, "gzip level for the edge datasets (0: uncompressed)")
      ->capture_default_str();
  r->add_option("-o,--output", rmat->output, "Output graph file (HDF5)")->required();
  r->callback([rmat, &global] {
    check_compress(rmat->compress);
    if (rmat->weights == "one")
      rmat->params.uniform_weights = false;
    else if (rmat->weights == "uniform")
      rmat->params.uniform_weights = true;
    else
      throw UsageError("--weights: must be 'one' or 'uniform' (got '" + rmat->weights + "')");
    rmat->params.scramble = !rmat->no_scramble;
    io::validate_rmat_params(rmat->params);
    apply_threads(global);
    io::GraphWriteOptions options;
    options.deflate = rmat->compress;
    const io::GenerateStats s = io::generate_rmat(rmat->output, rmat->params, options);
    print_summary("rmat", s, rmat->output);
  });
}

}  // namespace trustprop::host
