// `trustprop rank --model signed`: signed trust and distrust propagation of
// Guha, Kumar, Raghavan, Tomkins (WWW 2004) for a list of source agents
// (DESIGN §3, docs/signed.md). Output: /trust/signed float64[k, n], the
// belief row of each source (with --top-per-source, only with --full), the
// K most trusted and most distrusted agents of each source with
// --top-per-source K, and /trust/signed_sources int64[k], the sources' ids
// in row order. Rows go to the file batch by batch as they are computed.
#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <optional>
#include <sstream>

#include "common/error.hpp"
#include "host/cli_checks.hpp"
#include "host/partition.hpp"
#include "host/rank_model.hpp"
#include "host/rank_options.hpp"
#include "host/signed_trust.hpp"
#include "host/top_agents.hpp"
#include "host/world.hpp"

namespace trustprop::host {

namespace {

// Without --sources or --sources-file every agent is a source, up to this
// many agents (a [4096, 4096] float64 block is 128 MiB).
constexpr std::int64_t all_sources_limit = 4096;
// How the belief rows are kept finite (docs/signed.md), for provenance.
constexpr const char* normalisation = "row L1 after every step";

class SignedModel final : public RankModel {
 public:
  std::string name() const override { return "signed"; }

  void add_options(CLI::App& rank) override {
    rank.add_option("--mode", mode_,
                    "signed: trust-only (B = T), one-step (B = T, then one step of T - D) or propagated (B = T - D)")
        ->check(CLI::IsMember({"trust-only", "one-step", "propagated"}))
        ->capture_default_str();
    rank.add_option("--iteration", iteration_, "signed: eventual (F = P^K) or weighted (F = sum of gamma^j P^j)")
        ->check(CLI::IsMember({"eventual", "weighted"}))
        ->capture_default_str();
    rank.add_option("--alpha", alpha_,
                    "signed: weights of the direct, co-citation, transpose and coupling propagations, as a1,a2,a3,a4")
        ->delimiter(',')
        ->expected(4)
        ->check(finite_number_in(0.0, false, HUGE_VAL))
        ->default_str("0.4,0.4,0.1,0.1");
    rank.add_option("--gamma", options_.gamma, "signed: weighted iteration: step j counts gamma^j")
        ->check(finite_number_in(0.0, true, HUGE_VAL))
        ->capture_default_str();
    steps_ = shared_rank_option(rank, "--steps", "INT", "signed: propagation steps K (default 20)")
                 ->check(CLI::Range(0, std::numeric_limits<int>::max()));
    rank.add_option("--sources", sources_,
                    "signed: source agents (original ids, comma-separated); default: all agents if at most 4096")
        ->delimiter(',');
    rank.add_option("--sources-file", sources_file_, "signed: file of source agent ids, one per line");
    rank.add_option("--source-batch", options_.batch, "signed: sources propagated together (memory: 4 x n x batch doubles)")
        ->check(CLI::Range(1, 65535 * 32))
        ->capture_default_str();
    rank.add_option("--top-per-source", top_per_source_,
                    "signed: store the K most trusted and the K most distrusted agents of every source (then the "
                    "whole [k, n] block only with --full)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    full_ = shared_rank_flag(rank, "--full", "signed: with --top-per-source, store the whole [k, n] block as well");
  }

  toml::table config(const RankSettings&) const override {
    const SignedTrustOptions o = resolved();
    toml::array alpha;
    for (double a : o.alpha) alpha.push_back(a);
    toml::array ids;
    for (auto id : sources_) ids.push_back(id);
    return toml::table{{"mode", to_string(o.mode)},        {"iteration", to_string(o.iteration)},
                       {"alpha", alpha},                    {"gamma", o.gamma},
                       {"steps", o.steps},                  {"sources", ids},
                       {"sources_file", sources_file_},     {"source_batch", o.batch},
                       {"top_per_source", top_per_source_}, {"full", block()},
                       {"normalisation", normalisation}};
  }

  std::size_t memory_bytes(std::int64_t n, std::int64_t nnz, kernels::BackendKind kind, int) const override {
    return signed_trust_bytes(kind, n, nnz, source_count(n), resolved());
  }

  Distribution distribution() const override { return Distribution::batch; }

  nlohmann::json batch_plan(std::int64_t n, std::int64_t nnz, kernels::BackendKind kind, int processes) const override {
    const std::vector<std::int64_t> b = even_bounds(source_count(n), processes);
    nlohmann::json plan = nlohmann::json::array();
    for (std::size_t r = 0; r + 1 < b.size(); ++r)
      plan.push_back({{"process", r},
                      {"sources", {b[r], b[r + 1]}},
                      {"memory_bytes_estimate",
                       b[r + 1] > b[r] ? signed_trust_bytes(kind, n, nnz, b[r + 1] - b[r], resolved()) : 0}});
    return plan;
  }

  void run(const RankRun& run) override {
    const io::Graph& g = run.graph;
    const SignedTrustOptions o = resolved();
    if (run.comm) return run_distributed(run, o);
    validate(o);
    const std::vector<std::int64_t> sources = resolve_sources(g, run.settings.graph);
    auto out = open_results(run);
    Rows rows(out, static_cast<std::int64_t>(sources.size()), g.n, top_per_source_, block());
    const SignedTrustResult r = run_signed_trust(run.exec, g, sources, o, run.settings.graph, rows.sink());
    write_and_report(run, o, sources, r, rows, out);
  }

 private:
  // What the results file keeps of the belief rows, written or ranked batch
  // by batch as the rows come: the block, each source's most trusted and
  // most distrusted agents, and the first source's row for the summary.
  struct Rows {
    std::int64_t n = 0, top = 0;
    std::optional<io::h5::RowBlock> block;
    std::vector<std::int64_t> trusted_agent, distrusted_agent;  // [k, top]
    std::vector<double> trusted_belief, distrusted_belief;
    std::vector<double> first;

    Rows(io::ResultsWriter& out, std::int64_t sources, std::int64_t agents, std::int64_t top_per_source, bool full)
        : n(agents), top(std::min(top_per_source, agents)) {
      out.ensure_group("/trust");
      if (full) {
        out.require_room(8.0 * static_cast<double>(sources) * static_cast<double>(n),
                         "the [" + std::to_string(sources) + ", " + std::to_string(n) +
                             "] belief block of signed trust (8 B per agent per source)");
        block.emplace(out.file(), "/trust/signed", io::h5::native_type<double>(), sources, n);
      }
      const auto cells = static_cast<std::size_t>(sources * top);
      trusted_agent.resize(cells);
      distrusted_agent.resize(cells);
      trusted_belief.resize(cells);
      distrusted_belief.resize(cells);
    }
    SignedRowSink sink() {
      return [this](std::int64_t at, std::int64_t count, const double* rows) { keep(at, count, rows); };
    }
    void keep(std::int64_t at, std::int64_t count, const double* rows) {
      if (block) block->write_rows(at, count, rows);
      if (at == 0 && count > 0) first.assign(rows, rows + n);
      std::vector<double> row(static_cast<std::size_t>(top > 0 ? n : 0));
      for (std::int64_t s = 0; s < count && top > 0; ++s) {
        const auto cell = static_cast<std::size_t>((at + s) * top);
        row.assign(rows + s * n, rows + (s + 1) * n);
        const auto most = top_agents(row, static_cast<int>(top));
        for (auto& v : row) v = -v;  // the most distrusted: the lowest belief first
        const auto least = top_agents(row, static_cast<int>(top));
        for (std::size_t i = 0; i < static_cast<std::size_t>(top); ++i) {
          trusted_agent[cell + i] = most[i].agent;
          trusted_belief[cell + i] = most[i].value;
          distrusted_agent[cell + i] = least[i].agent;
          distrusted_belief[cell + i] = -least[i].value;
        }
      }
    }
  };

  // A distributed run (DESIGN §7): every process reads the sources and
  // computes its share of their rows; process 0 writes them as they come,
  // and prints.
  void run_distributed(const RankRun& run, const SignedTrustOptions& o) const {
    const Communicator& comm = *run.comm;
    std::vector<std::int64_t> sources;
    std::optional<io::ResultsWriter> out;
    std::optional<Rows> rows;
    collectively(comm, [&] {
      validate(o);
      sources = resolve_sources(run.graph, run.settings.graph);
      if (!run.writes_output()) return;
      out.emplace(run.settings.output, results_provenance(run));
      rows.emplace(*out, static_cast<std::int64_t>(sources.size()), run.graph.n, top_per_source_, block());
    });
    const SignedTrustResult r =
        run_signed_trust(run.exec, comm, run.graph, sources, o, run.settings.graph, rows ? rows->sink() : SignedRowSink());
    collectively(comm, [&] {
      if (out) write_and_report(run, o, sources, r, *rows, *out);
    });
  }

  void write_and_report(const RankRun& run, const SignedTrustOptions& o, const std::vector<std::int64_t>& sources,
                        const SignedTrustResult& r, const Rows& rows, io::ResultsWriter& out) const {
    const io::Graph& g = run.graph;
    const auto k = static_cast<std::int64_t>(sources.size());
    std::vector<std::int64_t> source_ids(sources.size());
    for (std::size_t s = 0; s < sources.size(); ++s) source_ids[s] = g.id.empty() ? sources[s] : g.id[sources[s]];
    auto& f = out.file();
    std::vector<std::string> described;  // what the model's parameters are written on
    if (rows.block) described.push_back("/trust/signed");
    if (rows.top > 0) {
      const std::string group = "/trust/signed_top";
      out.ensure_group(group);
      f.write_2d(group + "/trusted_agent", rows.trusted_agent.data(), k, rows.top);
      f.write_2d(group + "/trusted_belief", rows.trusted_belief.data(), k, rows.top);
      f.write_2d(group + "/distrusted_agent", rows.distrusted_agent.data(), k, rows.top);
      f.write_2d(group + "/distrusted_belief", rows.distrusted_belief.data(), k, rows.top);
      described.push_back(group);
    }
    for (const auto& object : described) {
      f.write_attr(object, "mode", to_string(o.mode));
      f.write_attr(object, "iteration", to_string(o.iteration));
      f.write_attr(object, "steps", static_cast<std::int64_t>(o.steps));
      f.write_attr(object, "gamma", o.gamma);
      f.write_attr(object, "alpha", alpha_text(o));
      f.write_attr(object, "normalisation", std::string(normalisation));
    }
    out.write("/trust/signed_sources", source_ids);
    if (!g.id.empty()) out.write("/agents/id", g.id);
    out.commit();

    if (run.settings.json) {
      nlohmann::json j{{"model", run.settings.model},
                       {"graph", run.settings.graph},
                       {"agents", g.n},
                       {"edges", run.edges},
                       {"device", run.exec->description()},
                       {"processes", run.comm ? run.comm->size() : 1},
                       {"mode", to_string(o.mode)},
                       {"iteration", to_string(o.iteration)},
                       {"alpha", o.alpha},
                       {"gamma", o.gamma},
                       {"steps", o.steps},
                       {"sources", k},
                       {"top_per_source", rows.top},
                       {"block", rows.block.has_value()},
                       {"seconds", r.seconds},
                       {"output", run.settings.output}};
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      print_run_header(run);
      std::printf("mode        %s, %s iteration, K = %d", to_string(o.mode).c_str(), to_string(o.iteration).c_str(),
                  o.steps);
      if (o.iteration == SignedIteration::weighted) std::printf(", gamma = %g", o.gamma);
      std::printf("\n");
      std::printf("alpha       %s (direct, co-citation, transpose, coupling)\n", alpha_text(o).c_str());
      std::printf("sources     %lld, belief rows [%lld, %lld] in %.3f s\n", static_cast<long long>(k),
                  static_cast<long long>(k), static_cast<long long>(g.n), r.seconds);
      if (rows.top > 0)
        std::printf("stored      the %lld most trusted and most distrusted agents of each source%s\n",
                    static_cast<long long>(rows.top), rows.block ? ", and the whole block" : "");
      if (k > 0) {
        std::printf("most trusted by the first source (id %lld):\n", static_cast<long long>(source_ids[0]));
        print_top_agents(g, top_agents(rows.first, run.settings.top), "belief");
      }
      std::printf("results     %s\n", run.settings.output.c_str());
    }
  }

  // The sources a run will have: those named, or every agent.
  std::int64_t source_count(std::int64_t n) const {
    if (!sources_.empty()) return static_cast<std::int64_t>(sources_.size());
    if (!sources_file_.empty()) return static_cast<std::int64_t>(ids_from_file(sources_file_, "--sources-file").ids.size());
    return n;
  }

  SignedTrustOptions resolved() const {
    SignedTrustOptions o = options_;
    o.mode = parse_signed_mode(mode_);
    o.iteration = parse_signed_iteration(iteration_);
    TRUSTPROP_ASSERT(alpha_.size() == 4, "--alpha holds " + std::to_string(alpha_.size()) + " values");  // CLI11: expected(4)
    std::copy(alpha_.begin(), alpha_.end(), o.alpha.begin());
    if (steps_->count() > 0) o.steps = steps_->as<int>();
    if (o.steps < 1) throw UsageError("--steps 0: signed trust needs at least one propagation step");
    return o;
  }

  static std::string alpha_text(const SignedTrustOptions& o) {
    std::ostringstream s;
    s << o.alpha[0] << ',' << o.alpha[1] << ',' << o.alpha[2] << ',' << o.alpha[3];
    return s.str();
  }

  std::vector<std::int64_t> resolve_sources(const io::Graph& g, const std::string& graph_name) const {
    if (!sources_.empty() && !sources_file_.empty())
      throw UsageError("signed: give --sources or --sources-file, not both");
    if (!sources_.empty()) return agents_from_ids(g, sources_, "--sources");
    if (!sources_file_.empty()) return agents_from_file(g, sources_file_, "--sources-file");
    if (g.n > all_sources_limit)
      throw UsageError("signed: " + graph_name + " has " + std::to_string(g.n) + " agents, more than " +
                       std::to_string(all_sources_limit) +
                       " for an all-sources [n, n] block; choose sources with --sources or --sources-file");
    std::vector<std::int64_t> all(static_cast<std::size_t>(g.n));
    for (std::int64_t a = 0; a < g.n; ++a) all[static_cast<std::size_t>(a)] = a;
    return all;
  }

  SignedTrustOptions options_;
  std::string mode_ = "one-step", iteration_ = "eventual", sources_file_;
  std::vector<double> alpha_ = {0.4, 0.4, 0.1, 0.1};
  std::vector<std::int64_t> sources_;
  std::int64_t top_per_source_ = 0;  // 0: no top tables, the whole block
  CLI::Option* steps_ = nullptr;
  CLI::Option* full_ = nullptr;

  // Whether the whole [k, n] block is stored: always, unless top tables
  // are asked for without --full.
  bool block() const { return top_per_source_ == 0 || full_->count() > 0; }
};

}  // namespace

std::unique_ptr<RankModel> make_signed_model() { return std::make_unique<SignedModel>(); }

}  // namespace trustprop::host
