// The simulation's TOML configuration (host/simulation_config.hpp): unknown
// sections and keys, wrong types and out-of-range values are ConfigErrors
// (exit 78) naming the key and file:line; defaults fill what is missing;
// the resolved configuration parses back to the same values; every shipped
// configuration under configs/ parses; the command line refuses a bad one
// with exit 78 and leaves no run behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.hpp"
#include "common/error.hpp"
#include "host/simulation_config.hpp"

using namespace trustprop;
namespace cli = trustprop::testing::cli;
namespace fs = std::filesystem;

namespace {

host::SimulationConfig parse(const std::string& text) { return host::parse_simulation_config(text, "test.toml"); }

// The ConfigError message for `text` (fails the test when it parses).
std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.code(), ExitCode::config);
    return e.what();
  }
  ADD_FAILURE() << "parsed without error:\n" << text;
  return "";
}

fs::path configs_dir() { return fs::path(cli::kData) / ".." / ".." / "configs"; }

}  // namespace

TEST(SimulationConfig, DefaultsFillWhatIsMissing) {
  const auto c = parse("[run]\nname = \"x\"\n");
  EXPECT_EQ(c.name, "x");
  EXPECT_EQ(c.epochs, 50);
  EXPECT_EQ(c.graph.generate, "city");
  EXPECT_EQ(c.graph.city.agents, 20000);
  const host::DynamicsParameters d;
  EXPECT_EQ(c.model.benefit, d.benefit);
  EXPECT_EQ(c.model.forgetting, d.forgetting);
  EXPECT_EQ(c.model.registration, host::Registration::graph);
  EXPECT_EQ(c.model.propagation.restart, 0.15);
  EXPECT_TRUE(c.model.propagation.float32_gather);
}

TEST(SimulationConfig, ValuesAreRead) {
  const auto c = parse(R"(
[run]
epochs = 7
seed = 42
[graph]
generate = "city"
agents = 1234
mean_degree = 20
[interaction]
benefit = 3          # an integer is a fine number
avoid_below = 0.25
[platform]
registration = "random"
registered_share = 0.3
pooled_feedback = true
[propagation]
max_iterations = 77
gather_precision = "float64"
[adaptation]
noise = 0.5
[output]
trust_every = 3
)");
  EXPECT_EQ(c.epochs, 7);
  EXPECT_EQ(c.seed, 42u);
  EXPECT_EQ(c.graph.city.agents, 1234);
  EXPECT_EQ(c.graph.city.mean_degree, 20.0);
  EXPECT_EQ(c.model.benefit, 3.0);
  EXPECT_EQ(c.model.avoid_below, 0.25);
  EXPECT_EQ(c.model.registration, host::Registration::random);
  EXPECT_EQ(c.model.registered_share, 0.3);
  EXPECT_TRUE(c.model.pooled_feedback);
  EXPECT_EQ(c.model.propagation.max_iterations, 77);
  EXPECT_FALSE(c.model.propagation.float32_gather);
  EXPECT_EQ(c.model.noise, 0.5);
  EXPECT_EQ(c.trust_every, 3);
}

TEST(SimulationConfig, UnknownKeyIsNamedWithItsLine) {
  const std::string m = error_of("[run]\nepochs = 3\n\n[interaction]\nbenefit = 2\nbenefits = 3\n");
  EXPECT_NE(m.find("test.toml:6"), std::string::npos) << m;
  EXPECT_NE(m.find("[interaction] benefits"), std::string::npos) << m;
  EXPECT_NE(m.find("benefit, cost"), std::string::npos) << m;  // the known keys are listed
}

TEST(SimulationConfig, UnknownSectionOrTopLevelKey) {
  std::string m = error_of("[run]\nepochs = 3\n[interactions]\nbenefit = 2\n");
  EXPECT_NE(m.find("test.toml:3"), std::string::npos) << m;
  EXPECT_NE(m.find("'interactions'"), std::string::npos) << m;
  m = error_of("epochs = 3\n");
  EXPECT_NE(m.find("'epochs'"), std::string::npos) << m;
  m = error_of("run = 3\n");
  EXPECT_NE(m.find("must be a section [run]"), std::string::npos) << m;
}

TEST(SimulationConfig, WrongTypeIsNamed) {
  std::string m = error_of("[run]\nepochs = \"ten\"\n");
  EXPECT_NE(m.find("test.toml:2"), std::string::npos) << m;
  EXPECT_NE(m.find("[run] epochs must be an integer, not a string"), std::string::npos) << m;
  m = error_of("[run]\nepochs = 2.5\n");
  EXPECT_NE(m.find("[run] epochs must be an integer, not a floating-point number"), std::string::npos) << m;
  m = error_of("[platform]\npooled_feedback = 1\n");
  EXPECT_NE(m.find("[platform] pooled_feedback must be a boolean"), std::string::npos) << m;
  m = error_of("[interaction]\ncost = [1, 2]\n");
  EXPECT_NE(m.find("[interaction] cost must be a number, not an array"), std::string::npos) << m;
}

TEST(SimulationConfig, OutOfRangeIsNamed) {
  std::string m = error_of("[evidence]\nforgetting = 1.5\n");
  EXPECT_NE(m.find("test.toml:2: [evidence] forgetting = 1.5: must be in [0, 1]"), std::string::npos) << m;
  m = error_of("[adaptation]\nnoise = 0\n");
  EXPECT_NE(m.find("[adaptation] noise = 0: must be in (0, inf)"), std::string::npos) << m;
  m = error_of("[run]\nepochs = 0\n");
  EXPECT_NE(m.find("[run] epochs = 0"), std::string::npos) << m;
  m = error_of("[platform]\nregistration = \"sometimes\"\n");
  EXPECT_NE(m.find("[platform] registration: must be one of \"graph\", \"random\", \"none\""), std::string::npos) << m;
  m = error_of("[propagation]\ngather_precision = \"float16\"\n");
  EXPECT_NE(m.find("test.toml:2: [propagation] gather_precision: must be one of \"float32\", \"float64\""),
            std::string::npos)
      << m;
  m = error_of("[interaction]\nrate = nan\n");
  EXPECT_NE(m.find("[interaction] rate"), std::string::npos) << m;
  m = error_of("[run]\nname = \"a/b\"\n");
  EXPECT_NE(m.find("[run] name"), std::string::npos) << m;
  m = error_of("[graph]\nagents = 5\n");
  EXPECT_NE(m.find("[graph] agents = 5"), std::string::npos) << m;
  // Values that do not fit together: named by their keys, at the line of
  // the first the message names (before, by the generator's --options).
  m = error_of("[graph]\nagents = 200\ninstitution_share = 0.5\nenterprise_share = 0.5\n");
  EXPECT_NE(m.find("test.toml:3: [graph] institution_share 0.5 and enterprise_share 0.5 leave 0 of 200"),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find("--"), std::string::npos) << m;
  m = error_of("[graph]\nmean_degree = 2000\nagents = 2147483647\n");
  EXPECT_NE(m.find("test.toml:3: [graph] agents 2147483647 with mean_degree 2000 asks for more than 4e12 edges"),
            std::string::npos)
      << m;
}

TEST(SimulationConfig, GraphIsAFileOrACity) {
  std::string m = error_of("[graph]\npath = \"g.h5\"\ngenerate = \"city\"\n");
  EXPECT_NE(m.find("both path and generate"), std::string::npos) << m;
  m = error_of("[graph]\npath = \"g.h5\"\nagents = 100\n");
  EXPECT_NE(m.find("test.toml:3: [graph] agents applies only to a generated city"), std::string::npos) << m;
  const auto c = host::parse_simulation_config("[graph]\npath = \"../data/g.h5\"\n", "/some/where/configs/x.toml");
  EXPECT_EQ(c.graph.path, "/some/where/data/g.h5");  // relative to the configuration file
  EXPECT_TRUE(c.graph.generate.empty());
}

TEST(SimulationConfig, SyntaxErrorNamesLineAndColumn) {
  const std::string m = error_of("[run]\nepochs = \n");
  EXPECT_NE(m.find("test.toml:2:"), std::string::npos) << m;
}

TEST(SimulationConfig, ResolvedConfigurationParsesBackToTheSameValues) {
  const auto c = parse("[run]\nepochs = 9\n[interaction]\ncost = 0.75\n[platform]\nregistration = \"none\"\n"
                       "[propagation]\ngather_precision = \"float64\"\n");
  const std::string text = host::resolved_toml(c);
  EXPECT_NE(text.find("gather_precision = 'float64'"), std::string::npos) << text;
  EXPECT_NE(text.find("[recognition]"), std::string::npos) << text;
  EXPECT_NE(text.find("sharing = "), std::string::npos) << text;
  const auto back = parse(text);
  EXPECT_EQ(host::resolved_toml(back), text);
  EXPECT_EQ(back.epochs, 9);
  EXPECT_EQ(back.model.cost, 0.75);
  EXPECT_EQ(back.model.registration, host::Registration::none);
  EXPECT_FALSE(back.model.propagation.float32_gather);
}

TEST(SimulationConfig, ShippedConfigurationsParse) {
  int count = 0;
  for (const fs::path dir : {configs_dir(), configs_dir() / "experiments"}) {
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() != ".toml") continue;
      SCOPED_TRACE(e.path().string());
      EXPECT_NO_THROW(host::load_simulation_config(e.path().string()));
      ++count;
    }
  }
  EXPECT_GT(count, 1);
}

TEST(SimulationConfig, MissingFileIsNoInput) {
  EXPECT_THROW(host::load_simulation_config("/nonexistent/x.toml"), NoInputError);
}

TEST(SimulateCli, BadConfigurationExits78AndWritesNothing) {
  cli::TempDir dir;
  const fs::path config = dir.path() / "bad.toml";
  std::ofstream(config) << "[run]\nepochs = 2\n[interaction]\nbenefitt = 3\n";
  const fs::path run = dir.path() / "run";
  const auto r = cli::run("simulate " + cli::shell_quoted(config.string()) + " --run-dir " +
                              cli::shell_quoted(run.string()),
                          dir.path());
  EXPECT_EQ(r.rc, 78) << r.err;
  EXPECT_NE(r.err.find("bad.toml:4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("benefitt"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(run));
}

TEST(SimulateCli, ResumeFromAMissingCheckpointIsNoInput) {
  cli::TempDir dir;
  const fs::path config = dir.path() / "c.toml";
  std::ofstream(config) << "[run]\nepochs = 1\n";
  const auto r = cli::run("simulate " + cli::shell_quoted(config.string()) + " --run-dir " +
                              cli::shell_quoted((dir.path() / "run").string()) + " --resume " +
                              cli::shell_quoted((dir.path() / "missing.h5").string()),
                          dir.path());
  EXPECT_EQ(r.rc, 66) << r.err;
  EXPECT_NE(r.err.find("missing.h5"), std::string::npos) << r.err;
}

TEST(SimulateCli, DryRunPrintsThePlanAndWritesNothing) {
  cli::TempDir dir;
  const fs::path config = dir.path() / "c.toml";
  std::ofstream(config) << "[run]\nname = \"dry\"\nepochs = 3\n[graph]\nagents = 5000\n";
  const fs::path run = dir.path() / "run";
  const auto r = cli::run("--device cpu simulate " + cli::shell_quoted(config.string()) + " --dry-run --run-dir " +
                              cli::shell_quoted(run.string()),
                          dir.path());
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\"memory_bytes_estimate\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"backend\": \"cpu\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"epochs\": 3"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(run));
}
