// `trustprop rank --model personalized`: batched personalized trust
// (DESIGN §3, docs/personalized.md). Seed sets from --seeds or --seeds-file;
// writes the top agents of every seed set (default 100) or, with --full, the
// whole [k, n] block, plus the seed sets and per-column convergence. Seed
// sets past what memory holds run in rounds (--seed-batch, or as many as
// fit), each round's columns ranked and written as it ends. With --run-dir
// it checkpoints, in one round (host/rank_checkpointing.hpp,
// host/rank_personalized_checkpoint.hpp).
//
// Options shared with other models (host/rank_options.hpp): --seeds and
// --seeds-file (SybilRank reads them too, as one seed set), and EigenTrust's
// --restart-probability are registered by whichever model comes first and
// read here through the registered option (CLI11 rejects a second
// registration); --full likewise, for any model that writes a whole block.
// Without --seeds or --seeds-file there is one seed set per institution.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <optional>

#include "common/error.hpp"
#include "host/cli_checks.hpp"
#include "host/partition.hpp"
#include "host/personalized.hpp"
#include "host/rank_model.hpp"
#include "host/rank_personalized_checkpoint.hpp"
#include "host/rank_options.hpp"
#include "host/top_agents.hpp"
#include "host/world.hpp"
#include "io/h5.hpp"

namespace trustprop::host {

namespace {

constexpr int default_top_per_seed = 100;
constexpr std::int64_t printed_sets = 8;  // seed sets whose top agents are printed
const std::string group = "/trust/personalized";

class PersonalizedModel final : public RankModel {
 public:
  std::string name() const override { return "personalized"; }

  void add_options(CLI::App& rank) override {
    seeds_ = shared_rank_option(rank, "--seeds", "LIST",
                                "personalized: one seed set per original agent id (ids separated by commas), or "
                                "institutions: one set per institution (the default)");
    seeds_file_ = shared_rank_option(rank, "--seeds-file", "FILE",
                                     "personalized: one seed set per line (ids separated by spaces or commas, "
                                     "'#' comments)");
    rank.add_option("--top-per-seed", top_per_seed_,
                    "personalized: store the K most trusted agents of each seed set (default 100 unless --full)")
        ->check(CLI::PositiveNumber);
    full_ = shared_rank_flag(rank, "--full", "personalized: store the whole [k, n] block of trust (8 B per agent per seed set)");
    rank.add_option("--seed-batch", seed_batch_,
                    "personalized: seed sets propagated together (default: as many as memory holds, the rest in "
                    "further rounds)")
        ->check(CLI::PositiveNumber);
    restart_ = shared_rank_option(rank, "--restart-probability", "FLOAT",
                                  "personalized: the same restart probability a for every seed set (default 0.15)")
                   ->check(finite_number_in(0.0, true, 1.0));
    graph_ = rank.get_option("graph");
  }

  toml::table config(const RankSettings& s) const override {
    return toml::table{{"restart_probability", restart()},
                       {"tolerance", s.tolerance},
                       {"max_iterations", s.max_iterations >= 0 ? s.max_iterations : options_.max_iterations},
                       {"seeds", seed_file().empty() ? seed_list() : std::string()},
                       {"seeds_file", seed_file()},
                       {"top_per_seed", top_per_seed()},
                       {"full", full()},
                       {"seed_batch", seed_batch_}};
  }

  bool checkpoints() const override { return true; }
  Distribution distribution() const override { return Distribution::batch; }

  nlohmann::json batch_plan(std::int64_t n, std::int64_t nnz, kernels::BackendKind kind, int processes) const override {
    const std::vector<std::int64_t> sizes = seed_set_sizes(n);
    const std::vector<std::int64_t> b = even_bounds(static_cast<std::int64_t>(sizes.size()), processes);
    nlohmann::json plan = nlohmann::json::array();
    for (std::size_t r = 0; r + 1 < b.size(); ++r) {
      const std::int64_t seeds = std::accumulate(sizes.begin() + b[r], sizes.begin() + b[r + 1], std::int64_t{0});
      plan.push_back({{"process", r},
                      {"seed_sets", {b[r], b[r + 1]}},
                      {"seeds", seeds},
                      {"memory_bytes_estimate", b[r + 1] > b[r] ? personalized_bytes(kind, n, nnz, b[r + 1] - b[r], seeds) : 0}});
    }
    return plan;
  }

  // One process: the rounds the seed sets take on `exec` and one round's estimate.
  nlohmann::json plan_details(const RankSettings& settings, std::int64_t n, std::int64_t nnz, kernels::BackendKind kind,
                              std::size_t available) const override {
    const std::vector<std::int64_t> sizes = seed_set_sizes(n);
    const auto k = static_cast<std::int64_t>(sizes.size());
    if (k == 0) return nlohmann::json::object();
    const std::int64_t seeds = std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0});
    const std::int64_t round = settings.checkpoint.run_dir.empty() ? round_size(kind, available, n, nnz, k, seeds) : k;
    return {{"seed_sets", k},
            {"seed_sets_per_round", round},
            {"rounds", (k + round - 1) / round},
            {"memory_bytes_estimate", personalized_bytes(kind, n, nnz, round, seeds)}};
  }

  std::size_t memory_bytes(std::int64_t n, std::int64_t nnz, kernels::BackendKind kind, int) const override {
    const std::vector<std::int64_t> sizes = seed_set_sizes(n);
    return personalized_bytes(kind, n, nnz, static_cast<std::int64_t>(sizes.size()),
                              std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0}));
  }

  void run(const RankRun& run) override {
    const io::Graph& g = run.graph;
    const std::string& graph_name = run.settings.graph;
    EigenTrustOptions o = options_;
    o.restart = restart();
    o.tolerance = run.settings.tolerance;
    if (run.settings.max_iterations >= 0) o.max_iterations = run.settings.max_iterations;
    if (run.comm) {
      collectively(*run.comm, [&] {
        if (seed_batch_ > 0)
          throw UsageError("rank --model personalized --seed-batch: under MPI each process runs its share of the seed "
                           "sets in one batch; give more processes, or run --seed-batch on one process");
      });
      return run_distributed(run, o);
    }
    const SeedSets seeds = parse_seeds(run);
    const bool checkpointed = !run.settings.checkpoint.run_dir.empty();
    if (checkpointed && seed_batch_ > 0 && seed_batch_ < seeds.count())
      throw UsageError("rank --model personalized: --seed-batch " + std::to_string(seed_batch_) + " with --run-dir: " +
                       "checkpoints hold one batch of all " + std::to_string(seeds.count()) +
                       " seed sets; run without --run-dir, or give fewer seed sets per job");
    auto out = open_results(run);
    Columns kept;
    keep_columns(kept, run, seeds.count(), out);
    // Checkpoints hold one batch of every seed set: with --run-dir, one
    // round. Else the rounds are sized now, with the results file and the
    // kept columns allocated, by the room every round's check then finds.
    const std::int64_t round =
        checkpointed ? seeds.count()
                     : round_size(run.exec->kind(), run.exec->available_memory(), g.n, g.nnz(), seeds.count(),
                                  seeds.entries());
    if (round < seeds.count()) {
      spdlog::info("personalized trust: {} seed sets in {} rounds of {}", seeds.count(),
                   (seeds.count() + round - 1) / round, round);
      const PersonalizedResult r = run_personalized_rounds(
          run.exec, g, seeds, o, round, graph_name,
          [&kept](std::int64_t first, const PersonalizedResult& part) { kept.keep(first, part); });
      write_and_report(run, o, seeds, r, kept.tops, round, out);
      return check_convergence(run, r.convergence, o.tolerance);
    }
    std::optional<PersonalizedResume> resume;
    std::optional<RankCheckpoints> checkpoints;
    open_checkpoints(run, seeds, o, checkpoints, resume);

    const auto observe = [&](const PersonalizedState& s) {
      if (!checkpoints) return;
      const bool last = std::find(s.active.begin(), s.active.end(), std::uint8_t{1}) == s.active.end() ||
                        s.convergence.iterations >= o.max_iterations;
      checkpoints->after_iteration(s.convergence.iterations, s.convergence.residuals.back(), last, [&](const std::string& path,
                                                                       const io::CheckpointHeader& h) {
        save_personalized_checkpoint(path, h, s);
      });
    };
    const PersonalizedResult r =
        run_personalized(run.exec, g, seeds, o, graph_name, observe, resume ? &*resume : nullptr);
    kept.keep(0, r);
    write_and_report(run, o, seeds, r, kept.tops, seeds.count(), out);
    check_convergence(run, r.convergence, o.tolerance);
  }

 private:
  // What the results keep of each seed set once its batch is done: its most
  // trusted agents, and with --full its trust in every agent, written to the
  // file at once (so that rounds hold one batch's block at a time).
  struct Columns {
    std::int64_t n = 0, ranked = 0;
    std::vector<std::vector<RankedAgent>> tops;
    std::optional<io::h5::RowBlock> block;

    void keep(std::int64_t first, const PersonalizedResult& r) {
      std::vector<double> column(static_cast<std::size_t>(n));
      for (std::int64_t col = 0; col < r.k; ++col) {
        const auto* values = r.trust.data() + col * n;
        column.assign(values, values + n);
        tops[static_cast<std::size_t>(first + col)] = top_agents(column, static_cast<int>(ranked));
      }
      if (block) block->write_rows(first, r.k, r.trust.data());
    }
  };

  // For k seed sets: the most trusted agents the file and the summary need,
  // and with --full the [k, n] dataset.
  void keep_columns(Columns& kept, const RankRun& run, std::int64_t k, io::ResultsWriter& out) const {
    kept.n = run.graph.n;
    kept.ranked = std::max(std::min<std::int64_t>(top_per_seed(), kept.n),
                           std::min<std::int64_t>(std::max(run.settings.top, 0), kept.n));
    kept.tops.resize(static_cast<std::size_t>(k));
    out.ensure_group(group);
    if (!full()) return;
    out.require_room(8.0 * static_cast<double>(k) * static_cast<double>(kept.n),
                     "the [" + std::to_string(k) + ", " + std::to_string(kept.n) +
                         "] block of personalized trust (--full, 8 B per agent per seed set)");
    kept.block.emplace(out.file(), group + "/trust", io::h5::native_type<double>(), k, kept.n);
  }

  // Seed sets per batch: --seed-batch, else as many as a backend of `kind`
  // with `available` bytes holds (all of them when they fit; when not even
  // one does, all, for the run's refusal).
  std::int64_t round_size(kernels::BackendKind kind, std::size_t available, std::int64_t n, std::int64_t nnz,
                          std::int64_t k, std::int64_t seeds) const {
    if (seed_batch_ > 0) return std::min(seed_batch_, k);
    const std::int64_t fit = personalized_round_size(kind, available, n, nnz, k, seeds);
    return fit > 0 ? fit : k;
  }

  // With --run-dir: the checkpoints of a run on these seed sets, the same
  // for one process and several (so that a run resumes on any number of
  // processes), and in `resume` the state restored (process 0's under MPI).
  static void open_checkpoints(const RankRun& run, const SeedSets& seeds, const EigenTrustOptions& o,
                               std::optional<RankCheckpoints>& checkpoints, std::optional<PersonalizedResume>& resume) {
    if (run.settings.checkpoint.run_dir.empty()) return;
    RankCheckpointModel m;
    m.series = &personalized_checkpoints;
    m.data_hash = hash_bytes(seeds.offsets.data(), seeds.offsets.size() * sizeof(std::int64_t)) + "+" +
                  hash_bytes(seeds.agents.data(), seeds.agents.size() * sizeof(std::int64_t));
    m.data_changed = "the seed sets differ: the --seeds-file, or the graph's institutions, have changed";
    m.output_keys = {"top_per_seed", "full", "seed_batch"};  // they do not decide the iterates
    m.max_iterations = o.max_iterations;
    checkpoints.emplace(run, m, [&](const io::CheckpointReader& c) {
      resume = restore_personalized_checkpoint(c, run.graph.n, seeds.count(), o.tolerance);
      return resume->convergence;
    });
  }

  // A distributed run (DESIGN §7): every process reads the seed sets and
  // iterates its share of them; process 0 receives the columns one
  // process's share at a time, writes and prints. Each step that may fail
  // is collective. With --run-dir, process 0 restores
  // and writes the checkpoints, gathering the state from every process for
  // each one (host/personalized.hpp).
  void run_distributed(const RankRun& run, const EigenTrustOptions& o) const {
    const Communicator& comm = *run.comm;
    SeedSets seeds;
    collectively(comm, [&] {
      seeds = parse_seeds(run);
      if (seeds.count() < comm.size() && comm.rank() == 0)
        spdlog::warn("{} seed sets for {} processes: {} processes have none to iterate", seeds.count(), comm.size(),
                     comm.size() - seeds.count());
    });
    std::optional<PersonalizedResume> resume;  // process 0's
    std::optional<RankCheckpoints> checkpoints;
    open_checkpoints(run, seeds, o, checkpoints, resume);
    std::optional<io::ResultsWriter> out;
    Columns kept;  // process 0's
    collectively(comm, [&] {
      if (!run.writes_output()) return;
      out.emplace(run.settings.output, results_provenance(run));
      keep_columns(kept, run, seeds.count(), *out);
    });
    PersonalizedResume whole;  // process 0: the state gathered for a checkpoint
    SplitObserver observe;
    if (checkpoints)
      observe = [&](std::int64_t iterations, double residual, bool last, const PersonalizedGather& gather) {
        checkpoints->after_iteration(
            iterations, residual, last,
            [&](const std::string& path, const io::CheckpointHeader& h) { save_personalized_checkpoint(path, h, whole); },
            [&] { whole = gather(); });
        whole = PersonalizedResume();
      };
    const PersonalizedResult r =
        run_personalized(run.exec, comm, run.graph, seeds, o, run.settings.graph, observe, resume ? &*resume : nullptr,
                         [&kept](std::int64_t first, const PersonalizedResult& part) { kept.keep(first, part); });
    collectively(comm, [&] {
      if (!out) return;
      write_and_report(run, o, seeds, r, kept.tops, seeds.count(), *out);
      check_convergence(run, r.convergence, o.tolerance);
    });
  }

  SeedSets parse_seeds(const RankRun& run) const {
    if (seeds_->count() > 0 && seeds_file_->count() > 0)
      throw UsageError("rank --model personalized: give the seed sets with --seeds or with --seeds-file, not both");
    return seed_file().empty() ? seeds_from_list(run.graph, seed_list(), run.settings.graph)
                               : seeds_from_file(run.graph, seed_file());
  }

  // The results file (but the --full block, written as the batches end) and
  // the summary, from the record `r` and the most trusted agents of every
  // seed set; `round`: seed sets per batch.
  void write_and_report(const RankRun& run, const EigenTrustOptions& o, const SeedSets& seeds,
                        const PersonalizedResult& r, const std::vector<std::vector<RankedAgent>>& tops,
                        std::int64_t round, io::ResultsWriter& out) const {
    const io::Graph& g = run.graph;
    const Convergence& c = r.convergence;
    const std::int64_t k = r.k, top_k = std::min<std::int64_t>(top_per_seed(), g.n);
    const int shown = std::max(run.settings.top, 0);
    std::vector<std::int64_t> seed_ids(seeds.agents);
    if (!g.id.empty())
      for (auto& a : seed_ids) a = g.id[static_cast<std::size_t>(a)];

    out.write(group + "/seed_indptr", seeds.offsets);
    out.write(group + "/seed_agent", seeds.agents);
    out.write(group + "/seed_id", seed_ids);
    if (top_k > 0) {
      std::vector<std::int64_t> top_agent(static_cast<std::size_t>(k * top_k));
      std::vector<double> top_trust(top_agent.size());
      for (std::int64_t col = 0; col < k; ++col)
        for (std::int64_t i = 0; i < top_k; ++i) {
          const RankedAgent& a = tops[static_cast<std::size_t>(col)][static_cast<std::size_t>(i)];
          top_agent[static_cast<std::size_t>(col * top_k + i)] = a.agent;
          top_trust[static_cast<std::size_t>(col * top_k + i)] = a.value;
        }
      out.file().write_2d(group + "/top_agent", top_agent.data(), k, top_k);
      out.file().write_2d(group + "/top_trust", top_trust.data(), k, top_k);
    }
    if (!g.id.empty()) out.write("/agents/id", g.id);
    write_convergence(out, "personalized", c, o.tolerance, r.iterate_seconds);
    out.write("/convergence/personalized/column_iterations", r.column_iterations);
    out.write("/convergence/personalized/column_residuals", r.column_residuals);
    out.file().write_attr("/convergence/personalized", "seed_sets", k);
    out.file().write_attr("/convergence/personalized", "seed_sets_per_round", round);
    out.commit();

    auto ids_of = [&](std::int64_t col) {
      return std::vector<std::int64_t>(seed_ids.begin() + seeds.offsets[static_cast<std::size_t>(col)],
                                       seed_ids.begin() + seeds.offsets[static_cast<std::size_t>(col) + 1]);
    };
    if (run.settings.json) {
      nlohmann::json j = summary_json(run, c, r.iterate_seconds);
      j["restart_probability"] = o.restart;
      j["seed_sets"] = k;
      j["seed_sets_per_round"] = round;
      j["rounds"] = (k + round - 1) / round;
      j["seeds"] = seeds.description;
      j["setup_seconds"] = r.setup_seconds;
      for (std::int64_t col = 0; col < k; ++col) {
        nlohmann::json set{{"seed_ids", ids_of(col)},
                           {"iterations", r.column_iterations[static_cast<std::size_t>(col)]},
                           {"residual", r.column_residuals[static_cast<std::size_t>(col)]},
                           {"top", nlohmann::json::array()}};
        const auto& top = tops[static_cast<std::size_t>(col)];
        for (std::size_t i = 0; i < std::min<std::size_t>(top.size(), static_cast<std::size_t>(shown)); ++i)
          set["top"].push_back(
              {{"agent", top[i].agent}, {"id", g.id.empty() ? top[i].agent : g.id[top[i].agent]}, {"trust", top[i].value}});
        j["columns"].push_back(set);
      }
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      print_run_header(run);
      std::printf("restart     %g\n", o.restart);
      std::printf("seed sets   %lld (%s), %lld seeds", static_cast<long long>(k), seeds.description.c_str(),
                  static_cast<long long>(seeds.entries()));
      if (round < k)
        std::printf(", in %lld rounds of %lld", static_cast<long long>((k + round - 1) / round),
                    static_cast<long long>(round));
      std::printf("\n");
      print_convergence(c, o.tolerance, r.iterate_seconds);
      for (std::int64_t col = 0; col < std::min(k, printed_sets); ++col) {
        const auto ids = ids_of(col);
        std::string list;
        for (std::size_t i = 0; i < std::min<std::size_t>(ids.size(), 5); ++i)
          list += (i ? "," : "") + std::to_string(ids[i]);
        if (ids.size() > 5) list += ",... (" + std::to_string(ids.size()) + " agents)";
        std::printf("seed set %lld: ids %s, %lld iterations, residual %.3e\n", static_cast<long long>(col),
                    list.c_str(), static_cast<long long>(r.column_iterations[static_cast<std::size_t>(col)]),
                    r.column_residuals[static_cast<std::size_t>(col)]);
        const auto& top = tops[static_cast<std::size_t>(col)];
        print_top_agents(g, {top.begin(), top.begin() + std::min<std::ptrdiff_t>(top.size(), shown)}, "trust");
      }
      if (k > printed_sets)
        std::printf("... %lld more seed sets: their top agents are in %s/top_agent\n",
                    static_cast<long long>(k - printed_sets), group.c_str());
      std::printf("results     %s\n", run.settings.output.c_str());
    }
  }

  // The seeds of each set, for the memory estimates of --dry-run (without
  // reading the graph's edges: "institutions" reads the kinds).
  std::vector<std::int64_t> seed_set_sizes(std::int64_t n) const {
    if (!seed_file().empty()) return seed_set_sizes_of_file(seed_file());
    if (seed_list() != "institutions") return seed_set_sizes_of_list(seed_list());
    std::int64_t institutions = 0;
    const auto file = io::h5::File::open_read(graph_->as<std::string>());
    if (file.exists("/agents/kind"))
      for (const auto kind : file.read_1d<std::uint8_t>("/agents/kind", n))
        institutions += kind == static_cast<std::uint8_t>(io::AgentKind::institution);
    return std::vector<std::int64_t>(static_cast<std::size_t>(institutions), 1);
  }

  double restart() const { return restart_->count() > 0 ? restart_->as<double>() : options_.restart; }
  // --seeds as given (the values joined by commas), or "institutions" when absent.
  std::string seed_list() const {
    std::string list;
    for (const auto& value : seeds_->results()) list += (list.empty() ? "" : ",") + value;
    return list.empty() ? "institutions" : list;
  }
  std::string seed_file() const { return seeds_file_->count() > 0 ? seeds_file_->as<std::string>() : std::string(); }
  bool full() const { return full_->count() > 0; }
  std::int64_t top_per_seed() const { return top_per_seed_ > 0 ? top_per_seed_ : full() ? 0 : default_top_per_seed; }

  EigenTrustOptions options_;
  std::int64_t top_per_seed_ = 0;  // 0: the default
  std::int64_t seed_batch_ = 0;    // 0: as many seed sets as memory holds
  CLI::Option* seeds_ = nullptr;
  CLI::Option* seeds_file_ = nullptr;
  CLI::Option* full_ = nullptr;
  CLI::Option* restart_ = nullptr;
  CLI::Option* graph_ = nullptr;
};

}  // namespace

std::unique_ptr<RankModel> make_personalized_model() { return std::make_unique<PersonalizedModel>(); }

}  // namespace trustprop::host
