// `trustprop report RUN_DIR` through the real binary (host/cmd_report.cpp):
// on a small simulation the JSON report's numbers are metrics.jsonl's, the
// text table has the rows asked for (--every, the default ten), nothing in
// the run directory changes, a run directory cut back to a stop reads as
// stopped (and as incomplete without that checkpoint), and a `rank --run-dir`
// directory is reported from its checkpoints; bad input exits with DESIGN
// §5's codes naming the file (and line): a missing directory or metrics
// file 66, a malformed metrics line 65, a broken config.toml 78, while an
// unfinished last line is a warning.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli_runner.hpp"
#include "io/h5.hpp"

using namespace trustprop::testing::cli;

namespace {

constexpr int kEpochs = 12;

// One simulation for the whole suite (a 2,000-agent city, 12 epochs: about a second).
class Report : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    const fs::path config = dir_->path() / "city.toml";
    std::ofstream(config) << "[run]\nname = \"report\"\nepochs = " << kEpochs
                          << "\nseed = 3\n[graph]\nagents = 2000\nseed = 2\nmean_degree = 12.0\n"
                          << "[checkpoint]\nevery = 5\nkeep = 3\n";
    const auto r = run("--device cpu --threads 2 --log-level warn simulate " + shell_quoted(config.string()) +
                           " --run-dir " + shell_quoted(run_dir().string()),
                       dir_->path());
    ASSERT_EQ(r.rc, 0) << r.err;
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static fs::path run_dir() { return dir_->path() / "run"; }

  // A copy of the run directory to spoil.
  fs::path copy_of_run() {
    const fs::path copy = scratch.path() / "run";
    fs::copy(run_dir(), copy, fs::copy_options::recursive);
    return copy;
  }

  RunResult report(const fs::path& dir, const std::string& options = "") {
    return run("report " + shell_quoted(dir.string()) + " " + options, scratch.path());
  }

  TempDir scratch;
  static std::unique_ptr<TempDir> dir_;
};

std::unique_ptr<TempDir> Report::dir_;

std::vector<nlohmann::json> metrics_lines(const fs::path& run_dir) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(run_dir / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

void write_lines(const fs::path& file, const std::vector<std::string>& lines, bool final_newline = true) {
  std::ofstream out(file, std::ios::trunc);
  for (std::size_t k = 0; k < lines.size(); ++k) out << lines[k] << (k + 1 < lines.size() || final_newline ? "\n" : "");
}

std::vector<std::string> text_lines(const fs::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The table of the text report: its rows, each as the first cell (the epoch) and the whole line.
std::vector<std::pair<long, std::string>> table_rows(const std::string& text) {
  std::vector<std::pair<long, std::string>> rows;
  std::istringstream in(text);
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (!inside) {
      inside = line.find("epoch  cooperation") != std::string::npos;
    } else if (line.empty()) {
      break;
    } else {
      rows.emplace_back(std::stol(line), line);
    }
  }
  return rows;
}

// What the text table shows of a metrics.jsonl line: epoch, cooperation, interactions, defections, detected.
std::string row_prefix(const nlohmann::json& m) {
  char s[160];
  std::snprintf(s, sizeof s, "%lld  %.4f  %lld  %lld  %lld", m["epoch"].get<long long>(),
                m["cooperation_rate"].get<double>(), m["interactions"].get<long long>(),
                m["defections"].get<long long>(), m["defections_detected"].get<long long>());
  return s;
}

// The row's cells joined by two spaces, as row_prefix writes them.
std::string squeezed(const std::string& row) {
  std::istringstream in(row);
  std::string out, cell;
  while (in >> cell) out += (out.empty() ? "" : "  ") + cell;
  return out;
}

// Every entry under `dir` with its size and modification time.
std::map<std::string, std::pair<std::uintmax_t, fs::file_time_type>> listing(const fs::path& dir) {
  std::map<std::string, std::pair<std::uintmax_t, fs::file_time_type>> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    out[e.path().string()] = {e.is_regular_file() ? e.file_size() : 0, e.last_write_time()};
  return out;
}

}  // namespace

TEST_F(Report, JsonEqualsTheMetricsFile) {
  const auto lines = metrics_lines(run_dir());
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kEpochs));
  const auto r = report(run_dir(), "--json --every 1");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["command"], "simulate");
  EXPECT_EQ(j["status"], "finished") << j["detail"];
  EXPECT_EQ(j["progress"]["done"], kEpochs);
  EXPECT_EQ(j["progress"]["asked"], kEpochs);
  EXPECT_EQ(j["config"]["epochs"], kEpochs);
  EXPECT_EQ(j["config"]["seed"], 3);
  EXPECT_EQ(j["config"]["graph"]["agents"], 2000);
  EXPECT_EQ(j["checkpoints"]["newest_step"], kEpochs);
  EXPECT_EQ(j["results"]["status"], "complete");
  EXPECT_EQ(j["results"]["epochs"], kEpochs);
  EXPECT_EQ(j["origin"]["file"], (run_dir() / "results.h5").string());
  EXPECT_EQ(j["origin"]["version"], trustprop::io::h5::File::open_read((run_dir() / "results.h5").string())
                                        .read_attr_string("/", "trustprop.version")
                                        .value());
  EXPECT_TRUE(j["warnings"].empty());

  ASSERT_EQ(j["rows"].size(), lines.size());
  double seconds = 0;
  for (std::size_t k = 0; k < lines.size(); ++k) {
    for (const auto& column : j["columns"]) {
      const std::string field = column.get<std::string>();
      EXPECT_EQ(j["rows"][k][field], lines[k][field]) << field;
    }
    seconds += lines[k]["seconds"].get<double>();
  }
  EXPECT_DOUBLE_EQ(j["progress"]["seconds"].get<double>(), seconds);
  EXPECT_EQ(j["final"], lines.back());
  for (const char* field : {"cooperation_rate", "trust_gini"}) {
    EXPECT_EQ(j["change"][field]["first"], lines.front()[field]) << field;
    EXPECT_EQ(j["change"][field]["last"], lines.back()[field]) << field;
    EXPECT_DOUBLE_EQ(j["change"][field]["change"].get<double>(),
                     lines.back()[field].get<double>() - lines.front()[field].get<double>());
  }
}

TEST_F(Report, TextTableHasTheRowsAskedFor) {
  const auto lines = metrics_lines(run_dir());
  auto r = report(run_dir(), "--every 1");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("status       finished"), std::string::npos) << r.out;
  auto rows = table_rows(r.out);
  ASSERT_EQ(rows.size(), lines.size()) << r.out;
  for (std::size_t k = 0; k < lines.size(); ++k) {
    EXPECT_EQ(rows[k].first, static_cast<long>(k + 1));
    EXPECT_EQ(squeezed(rows[k].second).rfind(row_prefix(lines[k]), 0), 0u)
        << "row: " << rows[k].second << "\nexpected to start with: " << row_prefix(lines[k]);
  }

  r = report(run_dir(), "--every 5");
  ASSERT_EQ(r.rc, 0) << r.err;
  rows = table_rows(r.out);
  std::vector<long> epochs;
  for (const auto& row : rows) epochs.push_back(row.first);
  EXPECT_EQ(epochs, (std::vector<long>{1, 5, 10, 12})) << r.out;

  r = report(run_dir());  // the default: ten rows, the first and the last among them
  ASSERT_EQ(r.rc, 0) << r.err;
  rows = table_rows(r.out);
  ASSERT_EQ(rows.size(), 10u) << r.out;
  EXPECT_EQ(rows.front().first, 1);
  EXPECT_EQ(rows.back().first, kEpochs);
  for (std::size_t k = 1; k < rows.size(); ++k) EXPECT_LT(rows[k - 1].first, rows[k].first);

  EXPECT_EQ(report(run_dir(), "--every 0").rc, 64);
}

TEST_F(Report, WritesNothing) {
  const auto before = listing(run_dir());
  for (const char* options : {"", "--json", "--every 1"}) EXPECT_EQ(report(run_dir(), options).rc, 0) << options;
  EXPECT_EQ(listing(run_dir()), before);
}

TEST_F(Report, CutBackToACheckpointReadsAsStopped) {
  const fs::path run = copy_of_run();
  auto lines = text_lines(run / "metrics.jsonl");
  lines.resize(10);
  write_lines(run / "metrics.jsonl", lines);
  fs::remove(run / "results.h5");
  fs::remove(run / "checkpoints" / ("ckpt-e" + std::to_string(kEpochs) + ".h5"));
  auto r = report(run, "--json");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "stopped") << j["detail"];
  EXPECT_EQ(j["progress"]["done"], 10);
  EXPECT_EQ(j["checkpoints"]["newest_step"], 10);
  EXPECT_EQ(j["results"]["status"], "missing");
  EXPECT_EQ(j["origin"]["file"], (run / "checkpoints" / "ckpt-e10.h5").string());

  fs::remove(run / "checkpoints" / "ckpt-e10.h5");  // killed after epoch 10, the newest checkpoint of epoch 5
  r = report(run, "--json");
  ASSERT_EQ(r.rc, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "incomplete");
  EXPECT_EQ(j["checkpoints"]["newest_step"], 5);
}

TEST_F(Report, MissingDirectoryOrMetricsExit66) {
  const fs::path missing = scratch.path() / "no-such-run";
  auto r = report(missing);
  EXPECT_EQ(r.rc, 66);
  EXPECT_NE(r.err.find(missing.string()), std::string::npos) << r.err;

  const fs::path run = copy_of_run();
  fs::remove(run / "metrics.jsonl");
  r = report(run);
  EXPECT_EQ(r.rc, 66);
  EXPECT_NE(r.err.find((run / "metrics.jsonl").string()), std::string::npos) << r.err;
}

TEST_F(Report, MalformedMetricsLineExit65NamingFileAndLine) {
  const fs::path run = copy_of_run();
  const fs::path metrics = run / "metrics.jsonl";
  const auto original = text_lines(metrics);
  const auto spoil = [&](std::size_t line, const std::string& text) {
    auto lines = original;
    lines[line - 1] = text;
    write_lines(metrics, lines);
    return report(run);
  };
  auto r = spoil(3, "{\"epoch\": 3, \"cooperation_rate\": 0.5");
  EXPECT_EQ(r.rc, 65);
  EXPECT_NE(r.err.find(metrics.string() + ":3: not JSON at column"), std::string::npos) << r.err;

  auto j = nlohmann::json::parse(original[1]);
  j.erase("trust_gini");
  r = spoil(2, j.dump());
  EXPECT_EQ(r.rc, 65);
  EXPECT_NE(r.err.find(metrics.string() + ":2: field 'trust_gini' is missing"), std::string::npos) << r.err;

  j = nlohmann::json::parse(original[6]);
  j["interactions"] = "many";
  r = spoil(7, j.dump());
  EXPECT_EQ(r.rc, 65);
  EXPECT_NE(r.err.find(metrics.string() + ":7: field 'interactions' must be an integer"), std::string::npos)
      << r.err;

  r = spoil(4, original[4]);  // epoch 5 where 4 was due
  EXPECT_EQ(r.rc, 65);
  EXPECT_NE(r.err.find(metrics.string() + ":4: epoch 5 where epoch 4 was due"), std::string::npos) << r.err;

  r = spoil(2, R"({"epoch": 18446744073709551615})");  // not read as epoch -1
  EXPECT_EQ(r.rc, 65);
  EXPECT_NE(r.err.find(metrics.string() + ":2: field 'epoch' is 18446744073709551615, beyond a 64-bit integer"),
            std::string::npos) << r.err;

  // An epoch beyond the run's: the file is of another run, or edited.
  auto extra = original;
  j = nlohmann::json::parse(original.back());
  const std::int64_t epochs = j["epoch"].get<std::int64_t>();
  j["epoch"] = epochs + 1;
  extra.push_back(j.dump());
  write_lines(metrics, extra);
  r = report(run);
  EXPECT_EQ(r.rc, 65) << r.out;
  EXPECT_NE(r.err.find(metrics.string() + ":" + std::to_string(epochs + 1) + ": epoch " + std::to_string(epochs + 1) +
                       " is beyond the run's " + std::to_string(epochs) + " epochs"),
            std::string::npos) << r.err;

  // A spoilt last line that ends with its newline is an error too: only an unfinished one is forgiven.
  r = spoil(original.size(), original.back().substr(0, original.back().size() / 2));
  EXPECT_EQ(r.rc, 65) << r.err;
}

TEST_F(Report, UnfinishedLastLineIsSkippedWithAWarning) {
  const fs::path run = copy_of_run();
  const fs::path metrics = run / "metrics.jsonl";
  auto lines = text_lines(metrics);
  lines.back().resize(lines.back().size() / 2);
  write_lines(metrics, lines, false);
  const auto r = report(run, "--json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("warning"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(metrics.string() + ":" + std::to_string(kEpochs) + ": the last line is unfinished"),
            std::string::npos)
      << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["progress"]["done"], kEpochs - 1);
  EXPECT_EQ(j["warnings"].size(), 1u);
  EXPECT_EQ(j["final"]["epoch"], kEpochs - 1);
}

TEST_F(Report, BrokenConfigExit78NamingTheFile) {
  const fs::path run = copy_of_run();
  std::ofstream(run / "config.toml", std::ios::app) << "\n[run\nepochs = 3\n";
  auto r = report(run);
  EXPECT_EQ(r.rc, 78);
  EXPECT_NE(r.err.find((run / "config.toml").string() + ":"), std::string::npos) << r.err;

  std::ofstream(run / "config.toml", std::ios::trunc) << "[run]\nepochs = \"many\"\n";
  r = report(run);
  EXPECT_EQ(r.rc, 78);
  EXPECT_NE(r.err.find((run / "config.toml").string() + ":2"), std::string::npos) << r.err;
}

TEST_F(Report, RankRunDirectoryFromItsCheckpoints) {
  const fs::path graph = scratch.path() / "city.h5", rank_dir = scratch.path() / "rank-run",
                 results = scratch.path() / "trust.h5";
  auto r = run("generate city --agents 2000 --seed 4 -o " + shell_quoted(graph.string()), scratch.path());
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run("--device cpu rank " + shell_quoted(graph.string()) + " --model eigentrust --tolerance 1e-10 --run-dir " +
              shell_quoted(rank_dir.string()) + " --checkpoint-every 5 -o " + shell_quoted(results.string()),
          scratch.path());
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto f = trustprop::io::h5::File::open_read(results.string());
  const auto residuals = f.read_1d<double>("/convergence/eigentrust/residuals");
  r = report(rank_dir, "--json --every 1");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["command"], "rank eigentrust");
  EXPECT_EQ(j["step"], "iteration");
  EXPECT_EQ(j["status"], "finished") << j["detail"];
  EXPECT_EQ(j["config"]["model"], "eigentrust");
  EXPECT_EQ(j["config"]["eigentrust"]["tolerance"], 1e-10);
  EXPECT_EQ(j["progress"]["done"], residuals.size());
  ASSERT_EQ(j["rows"].size(), residuals.size());
  for (std::size_t k = 0; k < residuals.size(); ++k) EXPECT_EQ(j["rows"][k]["residual"], residuals[k]);
  EXPECT_EQ(j["checkpoints"]["newest_step"], residuals.size());
  EXPECT_TRUE(j["results"].is_null());
  // The time of each iteration from metrics.jsonl, summed.
  std::vector<nlohmann::json> lines;
  {
    std::ifstream in(rank_dir / "metrics.jsonl");
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  }
  ASSERT_EQ(lines.size(), residuals.size());
  double seconds = 0;
  for (std::size_t k = 0; k < lines.size(); ++k) {
    EXPECT_EQ(j["rows"][k]["seconds"], lines[k]["seconds"]);
    seconds += lines[k]["seconds"].get<double>();
  }
  EXPECT_DOUBLE_EQ(j["progress"]["seconds"].get<double>(), seconds);
  EXPECT_TRUE(j["warnings"].empty()) << j["warnings"];
  // A line without a time (as a resume rebuilds them), and a blank line
  // after it: the others are counted (by their iteration, not their
  // position), a warning says so, and --json shows the missing time as null.
  lines[1].erase("seconds");
  {
    std::ofstream out(rank_dir / "metrics.jsonl");
    for (std::size_t k = 0; k < lines.size(); ++k) out << lines[k].dump() << (k == 2 ? "\n\n" : "\n");
  }
  r = report(rank_dir, "--json --every 1");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto partial = nlohmann::json::parse(r.out);
  EXPECT_TRUE(partial["rows"][1]["seconds"].is_null()) << partial["rows"][1];
  EXPECT_EQ(partial["rows"][4]["seconds"], lines[4]["seconds"]);
  r = report(rank_dir, "");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(" s in " + std::to_string(lines.size() - 1) + " of the " + std::to_string(lines.size()) +
                       " iterations"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("1 of the checkpoint's " + std::to_string(lines.size()) + " iterations have no time"),
            std::string::npos)
      << r.out;
  // Its metrics log, without checkpoints (a run stopped before its first): nothing to report yet, exit 66.
  fs::remove_all(rank_dir / "checkpoints");
  r = report(rank_dir, "");
  EXPECT_EQ(r.rc, 66);
  EXPECT_NE(r.err.find("a rank run stopped before its first checkpoint"), std::string::npos) << r.err;
}
