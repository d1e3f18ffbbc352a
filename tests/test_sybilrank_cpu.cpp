// SybilRank (Cao et al., NSDI 2012) on the CPU: hand values on five agents
// (the undirected pattern of the positive ties, self-loops for isolated
// agents, ⌈log₂ n⌉ steps), and an injected Sybil region — a generated city
// plus a dense Sybil cluster joined to it by a handful of attack edges —
// where the Sybils rank at the bottom; and the model through the binary.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <random>
#include <tuple>

#include "cli_runner.hpp"
#include "common/error.hpp"
#include "host/sybilrank.hpp"
#include "io/generate_city.hpp"
#include "io/h5.hpp"
#include "kernels/cpu/executor.hpp"
#include "test_helpers.hpp"

using namespace trustprop;
using trustprop::testing::graph_from_edges;

namespace {

std::shared_ptr<const kernels::Executor> cpu() { return std::make_shared<kernels::cpu::CpuExecutor>(); }

// Undirected neighbours: 0–1 (both directions given), 1–2, 0–2, 2–3.
// Dropped: 3 ⊣ 0 (distrust), 4 ⊣ 3 (distrust), 1 → 1 (self-loop), so
// agent 4 is isolated and gets a self-loop. deg = 2, 2, 3, 1, 1; T_G = 9.
io::Graph five_agents() {
  return graph_from_edges(5, {{0, 1, 1.f}, {1, 0, 0.5f}, {2, 1, 1.f}, {0, 2, 2.f}, {3, 2, 1.f},
                              {3, 0, -1.f}, {4, 3, -1.f}, {1, 1, 1.f}});
}

// Area under the ROC curve: the probability that a random honest agent
// scores above a random Sybil (ties count one half).
double auc(const std::vector<double>& score, std::int64_t honest) {
  std::vector<std::pair<double, bool>> s;  // (score, is Sybil)
  for (std::size_t v = 0; v < score.size(); ++v) s.emplace_back(score[v], static_cast<std::int64_t>(v) >= honest);
  std::sort(s.begin(), s.end());
  double above = 0.0, sybils_below = 0.0;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t j = i;
    double tie_sybils = 0.0, tie_honest = 0.0;
    for (; j < s.size() && s[j].first == s[i].first; ++j) (s[j].second ? tie_sybils : tie_honest) += 1.0;
    above += tie_honest * (sybils_below + 0.5 * tie_sybils);
    sybils_below += tie_sybils;
    i = j;
  }
  const double sybils = static_cast<double>(score.size()) - static_cast<double>(honest);
  return above / (static_cast<double>(honest) * sybils);
}

}  // namespace

TEST(SybilRankCpu, HandValuesOnFiveAgents) {
  // Seed 0: t0 = [9,0,0,0,0].
  // Step 1: q = t/deg = [4.5,0,0,0,0]; t1 = [0, 4.5, 4.5, 0, 0].
  // Step 2: q = [0, 2.25, 1.5, 0, 0];  t2 = [3.75, 1.5, 2.25, 1.5, 0].
  // Step 3: q = [1.875, 0.75, 0.75, 1.5, 0]; t3 = [1.5, 2.625, 4.125, 0.75, 0].
  // Degree-normalised: [0.75, 1.3125, 1.375, 0.75, 0].
  const auto r = host::run_sybilrank(cpu(), five_agents(), {0}, {});
  EXPECT_EQ(r.steps, 3);  // ⌈log₂ 5⌉
  EXPECT_EQ(r.total_trust, 9.0);
  const std::vector<double> raw{1.5, 2.625, 4.125, 0.75, 0.0}, score{0.75, 1.3125, 1.375, 0.75, 0.0};
  for (std::size_t v = 0; v < 5; ++v) {
    EXPECT_DOUBLE_EQ(r.raw[v], raw[v]) << "agent " << v;
    EXPECT_DOUBLE_EQ(r.trust[v], score[v]) << "agent " << v;
  }
  ASSERT_EQ(r.convergence.residuals.size(), 3u);
  EXPECT_DOUBLE_EQ(r.convergence.residuals[0], 18.0);
  EXPECT_DOUBLE_EQ(r.convergence.residuals[1], 10.5);
  EXPECT_DOUBLE_EQ(r.convergence.residuals[2], 6.0);

  host::SybilRankOptions two;
  two.steps = 2;
  const auto r2 = host::run_sybilrank(cpu(), five_agents(), {0, 0}, two);  // a repeated seed counts once
  EXPECT_EQ(r2.seeds, 1);
  EXPECT_DOUBLE_EQ(r2.raw[0], 3.75);
  EXPECT_DOUBLE_EQ(r2.trust[2], 0.75);

  // An isolated seed keeps all its trust (its self-loop); nobody else gets any.
  const auto alone = host::run_sybilrank(cpu(), five_agents(), {4}, {});
  EXPECT_EQ(alone.raw, (std::vector<double>{0, 0, 0, 0, 9}));
}

TEST(SybilRankCpu, PatternWithMoreSelfLoopsThanRepeats) {
  // The pattern is made in place over both directions of every link: here
  // 97 isolated agents (self-loops) outnumber the 2 repeats it drops, so
  // it grows past the links it started from, and rows keep their places.
  // Links: 97–98 (both directions given), 98–99, 0–99 (row 0 is not
  // isolated); deg = 1 (0), 1 each (1..96), 1 (97), 2 (98), 2 (99):
  // T_G = 96 + 1 + 1 + 2 + 2 = 102. Seed 98, 2 steps:
  // t1: 97 and 99 get 51 each; t2: 98 gets 51 + 25.5, 0 gets 25.5.
  const io::Graph g = graph_from_edges(100, {{97, 98, 1.f}, {98, 97, 1.f}, {98, 99, 1.f}, {99, 0, 1.f}});
  host::SybilRankOptions two;
  two.steps = 2;
  const auto r = host::run_sybilrank(cpu(), g, {98}, two);
  EXPECT_EQ(r.total_trust, 102.0);
  std::vector<double> raw(100, 0.0);
  raw[98] = 76.5;
  raw[0] = 25.5;
  EXPECT_EQ(r.raw, raw);
  // An isolated seed keeps its trust through its self-loop.
  const auto alone = host::run_sybilrank(cpu(), g, {50}, two);
  EXPECT_EQ(alone.raw[50], 102.0);
}

TEST(SybilRankCpu, DefaultStepsAndErrors) {
  EXPECT_EQ(host::sybilrank_default_steps(0), 0);
  EXPECT_EQ(host::sybilrank_default_steps(1), 0);
  EXPECT_EQ(host::sybilrank_default_steps(2), 1);
  EXPECT_EQ(host::sybilrank_default_steps(1024), 10);
  EXPECT_EQ(host::sybilrank_default_steps(1025), 11);
  EXPECT_THROW(host::run_sybilrank(cpu(), five_agents(), {}, {}), UsageError);
  host::SybilRankOptions o;
  o.steps = -2;
  EXPECT_THROW(host::run_sybilrank(cpu(), five_agents(), {0}, o), ConfigError);
}

TEST(SybilRankCpu, InjectedSybilRegionRanksAtTheBottom) {
  // Honest region: a generated city of 3,000 agents, seeded at its institutions.
  io::CityParams params;
  params.agents = 3000;
  params.mean_degree = 16;
  params.seed = 7;
  const io::Graph city = io::generate_city_graph(params);
  const std::int64_t honest = city.n, sybils = 300;
  std::vector<std::tuple<int, int, float>> edges;
  for (std::int64_t i = 0; i < city.n; ++i)
    for (auto e = city.indptr[i]; e < city.indptr[i + 1]; ++e)
      edges.emplace_back(static_cast<int>(i), city.indices[e], city.data[e]);
  // Sybil region: each Sybil trusts 10 others at random (a dense cluster)...
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<std::int64_t> sybil(honest, honest + sybils - 1), person(0, honest - 1);
  for (std::int64_t s = honest; s < honest + sybils; ++s)
    for (int d = 0; d < 10; ++d) {
      const auto t = sybil(rng);
      if (t != s) edges.emplace_back(static_cast<int>(s), static_cast<int>(t), 1.f);
    }
  // ...and 5 attack edges: honest agents fooled into trusting a Sybil.
  for (int a = 0; a < 5; ++a) edges.emplace_back(static_cast<int>(person(rng)), static_cast<int>(sybil(rng)), 1.f);
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end(),
                          [](const auto& x, const auto& y) {
                            return std::get<0>(x) == std::get<0>(y) && std::get<1>(x) == std::get<1>(y);
                          }),
              edges.end());
  const io::Graph g = graph_from_edges(honest + sybils, edges);

  std::vector<std::int64_t> seeds;
  for (std::int64_t i = 0; i < honest; ++i)
    if (city.kind[static_cast<std::size_t>(i)] == static_cast<std::uint8_t>(io::AgentKind::institution)) seeds.push_back(i);
  ASSERT_FALSE(seeds.empty());
  const auto r = host::run_sybilrank(cpu(), g, seeds, {});
  EXPECT_EQ(r.steps, 12);  // ⌈log₂ 3300⌉

  const double area = auc(r.trust, honest);
  EXPECT_GT(area, 0.99) << "AUC " << area;
  // The best-ranked Sybil is still below nearly every honest agent.
  const double best_sybil = *std::max_element(r.trust.begin() + honest, r.trust.end());
  const auto honest_below =
      std::count_if(r.trust.begin(), r.trust.begin() + honest, [&](double s) { return s <= best_sybil; });
  EXPECT_LT(static_cast<double>(honest_below) / static_cast<double>(honest), 0.01)
      << honest_below << " honest agents at or below the best Sybil";
  // Trust is conserved: T_G = Σ deg.
  double total = 0.0;
  for (double t : r.raw) total += t;
  EXPECT_NEAR(total, r.total_trust, 1e-9 * r.total_trust);
}

TEST(SybilRankCli, RanksACityFromItsInstitutionsAndReportsBadSeeds) {
  using namespace trustprop::testing::cli;
  TempDir dir;
  const std::string city = shell_quoted((dir.path() / "city.h5").string());
  const std::string out = shell_quoted((dir.path() / "sybil.h5").string());
  ASSERT_EQ(run("generate city --agents 2000 --seed 3 -o " + city, dir.path()).rc, 0);
  const auto r = run("--device cpu rank " + city + " --model sybilrank --json -o " + out, dir.path());
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["steps"], 11);  // ⌈log₂ 2000⌉
  EXPECT_EQ(j["iterations"], 11);
  const auto f = io::h5::File::open_read((dir.path() / "sybil.h5").string());
  const auto raw = f.read_1d<double>("/trust/sybilrank_raw", 2000);
  EXPECT_EQ(f.read_1d<double>("/trust/sybilrank", 2000).size(), 2000u);
  double total = 0.0;
  for (double t : raw) total += t;
  EXPECT_NEAR(total, j["total_trust"].get<double>(), 1e-9 * total);

  EXPECT_EQ(run("--device cpu rank " + city + " --model sybilrank --seeds 3,17 --steps 4 -o " + out, dir.path()).rc, 0);
  const auto unknown = run("--device cpu rank " + city + " --model sybilrank --seeds 3,99999 -o " + out, dir.path());
  EXPECT_EQ(unknown.rc, 64);
  EXPECT_NE(unknown.err.find("--seeds"), std::string::npos) << unknown.err;
  EXPECT_EQ(run("--device cpu rank " + city + " --model sybilrank --seeds-file nowhere.txt -o " + out, dir.path()).rc, 66);
  EXPECT_EQ(run("--device cpu rank " + city + " --model sybilrank --steps -1 -o " + out, dir.path()).rc, 64);

  const std::string plain = shell_quoted((dir.path() / "plain.h5").string());
  ASSERT_EQ(run("generate city --agents 2000 --institution-share 0 -o " + plain, dir.path()).rc, 0);
  const auto none = run("--device cpu rank " + plain + " --model sybilrank -o " + out, dir.path());
  EXPECT_EQ(none.rc, 64);
  EXPECT_NE(none.err.find("no institutions"), std::string::npos) << none.err;
}
