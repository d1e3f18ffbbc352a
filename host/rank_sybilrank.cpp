// `trustprop rank --model sybilrank`: SybilRank of Cao, Sirivianos, Yang,
// Pregueiro (NSDI 2012) — trust seeded at verified agents, spread for a
// fixed number of steps over the undirected graph, agents ranked by
// degree-normalised trust (docs/sybilrank.md). Outputs /trust/sybilrank
// (t/deg, the ranking score) and /trust/sybilrank_raw (t).
#include <cstdio>
#include <limits>
#include <optional>

#include "common/error.hpp"
#include "host/cli_checks.hpp"
#include "host/rank_model.hpp"
#include "host/rank_options.hpp"
#include "host/sybilrank.hpp"
#include "host/top_agents.hpp"
#include "host/world.hpp"

namespace trustprop::host {

namespace {

class SybilRankModel final : public RankModel {
 public:
  std::string name() const override { return "sybilrank"; }

  void add_options(CLI::App& rank) override {
    seeds_ = shared_rank_option(rank, "--seeds", "LIST",
                                "sybilrank: the verified seeds, original ids separated by commas, or institutions "
                                "(the default)");
    seeds_file_ = shared_rank_option(rank, "--seeds-file", "FILE",
                                     "sybilrank: a file of verified seed ids (separated by spaces, commas or lines)");
    steps_ = shared_rank_option(rank, "--steps", "INT", "sybilrank: propagation steps (default ceil(log2 n))")
                 ->check(CLI::Range(0, std::numeric_limits<int>::max()));
  }

  toml::table config(const RankSettings&) const override {
    toml::table t{{"seeds", seed_list()}, {"seeds_file", seed_file()}};
    if (steps_->count() > 0)
      t.insert("steps", steps_->as<int>());
    else
      t.insert("steps", "ceil(log2 n)");
    return t;
  }

  std::size_t memory_bytes(std::int64_t n, std::int64_t nnz, kernels::BackendKind kind, int processes) const override {
    return sybilrank_bytes(kind, n, nnz, processes > 1);
  }

  Distribution distribution() const override { return Distribution::rows; }

  // One process, or every process of a distributed run (DESIGN §7): each
  // reads the seeds and steps its rows; process 0 alone writes and prints.
  // Each step that may fail is collective (one process: the error as it is).
  void run(const RankRun& run) override {
    const io::Graph& g = run.graph;
    const Communicator& comm = run.processes();
    SybilRankOptions o;
    std::vector<std::int64_t> seeds;
    std::optional<io::ResultsWriter> out;
    collectively(comm, [&] {
      if (steps_->count() > 0) {
        o.steps = steps_->as<int>();
        if (o.steps < 0) throw ConfigError("--steps = " + std::to_string(o.steps) + ": must be >= 0");
      }
      seeds = resolve_seeds(g, run.settings.graph);
      if (run.writes_output()) out.emplace(run.settings.output, results_provenance(run));
    });
    SybilRankResult r = run.share ? run_sybilrank(run.exec, *run.share, seeds, o) : run_sybilrank(run.exec, g, seeds, o, run.settings.graph);
    collectively(comm, [&] {
      if (out) write_and_report(run, r, *out);
    });
  }

 private:
  void write_and_report(const RankRun& run, SybilRankResult& r, io::ResultsWriter& out) const {
    const io::Graph& g = run.graph;
    Convergence& c = r.convergence;
    c.converged = c.residual < run.settings.tolerance;
    out.write("/trust/sybilrank", r.trust);
    out.write("/trust/sybilrank_raw", r.raw);
    out.file().write_attr("/trust/sybilrank", "steps", static_cast<std::int64_t>(r.steps));
    out.file().write_attr("/trust/sybilrank", "seeds", r.seeds);
    out.file().write_attr("/trust/sybilrank", "total_trust", r.total_trust);
    if (!g.id.empty()) out.write("/agents/id", g.id);
    write_convergence(out, "sybilrank", c, run.settings.tolerance, r.iterate_seconds);
    out.commit();

    if (run.settings.json) {
      nlohmann::json j = summary_json(run, c, r.iterate_seconds);
      j["steps"] = r.steps;
      j["seeds"] = r.seeds;
      j["total_trust"] = r.total_trust;
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      print_run_header(run);
      std::printf("seeds       %lld (%s), total trust %g\n", static_cast<long long>(r.seeds), seeds_description().c_str(),
                  r.total_trust);
      std::printf("steps       %d (fixed: SybilRank stops early on purpose), last L1 change %.3e\n", r.steps,
                  c.residual);
      std::printf("highest degree-normalised trust:\n");
      print_top_agents(g, top_agents(r.trust, run.settings.top), "trust/deg");
      std::vector<double> negated(r.trust.size());
      for (std::size_t v = 0; v < negated.size(); ++v) negated[v] = -r.trust[v];
      std::vector<RankedAgent> bottom = top_agents(negated, run.settings.top);
      for (auto& a : bottom) a.value = -a.value;
      std::printf("lowest (Sybil suspects first):\n");
      print_top_agents(g, bottom, "trust/deg");
      std::printf("results     %s\n", run.settings.output.c_str());
    }
  }

  std::string seed_list() const { return seeds_->count() > 0 ? seeds_->as<std::string>() : "institutions"; }
  std::string seed_file() const { return seeds_file_->count() > 0 ? seeds_file_->as<std::string>() : ""; }

  std::string seeds_description() const {
    if (!seed_file().empty()) return seed_file();
    return seed_list() == "institutions" ? "institutions" : "--seeds";
  }

  std::vector<std::int64_t> resolve_seeds(const io::Graph& g, const std::string& graph_name) const {
    if (seeds_->count() > 0 && seeds_file_->count() > 0)
      throw UsageError("sybilrank: give --seeds or --seeds-file, not both");
    if (!seed_file().empty()) return agents_from_file(g, seed_file(), "--seeds-file");
    if (seed_list() != "institutions") return agents_from_ids(g, parse_id_list(seed_list(), "--seeds"), "--seeds");
    std::vector<std::int64_t> institutions;
    for (std::size_t i = 0; i < g.kind.size(); ++i)
      if (g.kind[i] == static_cast<std::uint8_t>(io::AgentKind::institution))
        institutions.push_back(static_cast<std::int64_t>(i));
    if (institutions.empty())
      throw UsageError("sybilrank: " + graph_name +
                       " has no institutions to seed trust at; name verified agents with --seeds or --seeds-file");
    return institutions;
  }

  CLI::Option *seeds_ = nullptr, *seeds_file_ = nullptr, *steps_ = nullptr;
};

}  // namespace

std::unique_ptr<RankModel> make_sybilrank_model() { return std::make_unique<SybilRankModel>(); }

}  // namespace trustprop::host
