// `trustprop checkpoint ls|verify RUN_DIR [--json]` (docs/checkpoint.md):
// the checkpoints of a run directory (simulate's and rank's) with their step
// (epoch or iteration), kind, size, time and status. ls
// checks each file's structure (format, version, complete mark, header,
// datasets); verify also recomputes every checksum and exits 65 when any
// checkpoint is bad. Either accepts a checkpoint file instead of a run
// directory.
#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/utc_time.hpp"
#include "host/checkpointing.hpp"
#include "host/commands.hpp"
#include "io/checkpoint_file.hpp"

namespace trustprop::host {

namespace {

namespace fs = std::filesystem;

struct CheckpointOptions {
  std::string target;  // a run directory or a checkpoint file
  bool json = false;
};

struct Row {
  std::string path;
  std::int64_t epoch = 0;  // the step: epochs (simulate) or iterations (rank)
  std::string kind;        // header.kind: simulate, rank eigentrust
  std::int64_t bytes = 0;
  std::string modified;  // UTC
  std::string problem;   // empty: valid
};

std::vector<CheckpointEntry> targets(const std::string& target) {
  std::error_code ec;
  if (fs::is_regular_file(target, ec)) return {{target, -1}};
  if (!fs::is_directory(target, ec)) throw NoInputError(target + ": no such run directory or checkpoint file");
  auto all = list_checkpoints(target);
  std::reverse(all.begin(), all.end());  // oldest first, as a listing reads
  return all;
}

Row examine(const CheckpointEntry& c, bool checksums) {
  Row row{c.path, c.epoch, "", 0, "", ""};
  struct stat st {};
  if (stat(c.path.c_str(), &st) == 0) {
    row.bytes = static_cast<std::int64_t>(st.st_size);
    row.modified = utc_iso8601(st.st_mtime);
  }
  try {
    io::CheckpointReader r(c.path);
    if (row.epoch >= 0 && r.header().epoch != row.epoch)
      throw DataError(c.path + ": root attribute epoch is " + std::to_string(r.header().epoch) +
                      ", but the file is named for step " + std::to_string(row.epoch));
    row.epoch = r.header().epoch;
    row.kind = r.header().kind;
    if (checksums) r.verify();
  } catch (const Error& e) {
    row.problem = e.what();
  }
  return row;
}

int run_checkpoint(const CheckpointOptions& o, bool checksums) {
  std::vector<Row> rows;
  for (const auto& c : targets(o.target)) rows.push_back(examine(c, checksums));
  const char* ok = checksums ? "valid" : "complete";
  std::size_t bad = 0;
  for (const Row& r : rows) bad += !r.problem.empty();
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const Row& r : rows)
      list.push_back({{"path", r.path},
                      {"epoch", r.epoch},
                      {"kind", r.kind},
                      {"bytes", r.bytes},
                      {"modified", r.modified},
                      {"status", r.problem.empty() ? ok : "invalid"},
                      {"problem", r.problem}});
    std::printf("%s\n", nlohmann::json{{"checkpoints", list}, {"checksums_verified", checksums}}.dump(2).c_str());
  } else if (rows.empty()) {
    std::printf("no checkpoints in %s\n", checkpoint_dir(o.target).c_str());
  } else {
    std::printf("%10s %14s  %-20s  %-15s  %s\n", "step", "bytes", "modified (UTC)", "kind", "path  status");
    for (const Row& r : rows)
      std::printf("%10lld %14lld  %-20s  %-15s  %s  %s\n", static_cast<long long>(r.epoch),
                  static_cast<long long>(r.bytes), r.modified.c_str(), r.kind.c_str(), r.path.c_str(),
                  r.problem.empty() ? ok : ("INVALID: " + r.problem).c_str());
  }
  if (checksums && bad > 0)
    throw DataError(fmt::format("{} of {} checkpoints failed verification", bad, rows.size()));
  return 0;
}

}  // namespace

void add_checkpoint(CLI::App& app, GlobalOptions&) {
  auto* cmd = app.add_subcommand("checkpoint", "List or verify the checkpoints of a run directory "
                                               "(docs/checkpoint.md)");
  cmd->require_subcommand(1);
  for (const bool verify : {false, true}) {
    auto o = std::make_shared<CheckpointOptions>();
    auto* sub = cmd->add_subcommand(
        verify ? "verify" : "ls",
        verify ? "Check every checkpoint's structure and checksums; exit 65 if any is bad"
               : "List checkpoints with step, kind, size, time and whether they are complete (structure only)");
    sub->add_option("run_dir", o->target, "Run directory (or one checkpoint file)")->required();
    sub->add_flag("--json", o->json, "Print JSON");
    sub->callback([o, verify] { run_checkpoint(*o, verify); });
  }
}

}  // namespace trustprop::host
