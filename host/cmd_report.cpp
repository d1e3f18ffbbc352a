// `trustprop report RUN_DIR [--json] [--every N]` (DESIGN §6,
// docs/dynamics.md "Reporting on a run"): a summary of a run directory
// written by `trustprop simulate` or `trustprop rank --run-dir`, for whoever
// launched the job — what ran (command, configuration, trustprop), how far it
// got and whether it finished, the time series as a table of about ten rows
// (or every N-th step), the final state and the change of the headline
// quantities from the first step to the last. --json prints the same as one
// JSON document. It only reads (host/run_summary.hpp).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "host/commands.hpp"
#include "host/run_summary.hpp"

namespace trustprop::host {

namespace {

struct ReportOptions {
  std::string run_dir;
  bool json = false;
  std::int64_t every = 0;  // 0: about default_rows rows
};

constexpr std::size_t default_rows = 10;

enum class Format { integer, fixed3, fixed4, scientific };

// A field of the records (metrics.jsonl's names), how it is printed, and
// its column's header in the table (the field's name when none is given).
struct Column {
  const char* field;
  Format format;
  const char* header = nullptr;
};

const std::vector<Column> simulate_columns{{"epoch", Format::integer},
                                           {"cooperation_rate", Format::fixed4, "cooperation"},
                                           {"interactions", Format::integer},
                                           {"defections", Format::integer},
                                           {"defections_detected", Format::integer, "detected"},
                                           {"trust_gini", Format::fixed4, "gini"},
                                           {"trust_top1_share", Format::fixed4, "top1_share"},
                                           {"trust_cooperators", Format::fixed3, "trust_coop"},
                                           {"trust_defectors", Format::fixed3, "trust_defect"},
                                           {"propagation_iterations", Format::integer, "iterations"},
                                           {"propagation_residual", Format::scientific, "residual"},
                                           {"seconds", Format::fixed3}};
const std::vector<Column> rank_columns{
    {"iteration", Format::integer}, {"residual", Format::scientific}, {"seconds", Format::fixed3}};

// What the report shows of each kind of run besides the table.
struct Layout {
  const std::vector<Column>& columns;
  std::vector<Column> final_fields;  // the last step's state
  std::vector<Column> headline;      // their change from the first step to the last
};

Layout layout_of(const RunSummary& s) {
  if (s.step != "epoch") return {rank_columns, {rank_columns[1]}, {rank_columns[1]}};
  return {simulate_columns,
          {{"cooperation_rate", Format::fixed4},
           {"cooperation_rate_residents", Format::fixed4},
           {"cooperation_rate_enterprises", Format::fixed4},
           {"cooperation_rate_registered", Format::fixed4},
           {"cooperation_rate_unregistered", Format::fixed4},
           {"trust_gini", Format::fixed4},
           {"trust_top1_share", Format::fixed4},
           {"trust_cooperators", Format::fixed3},
           {"trust_defectors", Format::fixed3},
           {"trust_institutions", Format::fixed3},
           {"payoff_cooperators", Format::fixed3},
           {"payoff_defectors", Format::fixed3}},
          {simulate_columns[1], simulate_columns[5]}};
}

// The records to show: default_rows of them evenly spaced, or with --every N
// the first, every N-th step and the last (N = 1: all); every record when
// there are no more than default_rows.
std::vector<std::size_t> select_rows(std::size_t count, std::int64_t every) {
  std::vector<std::size_t> rows;
  if (every == 0 && count > default_rows) {
    // k·(count − 1)/(default_rows − 1) rounded, k = 0 … default_rows − 1: distinct, first and last included
    for (std::size_t k = 0; k < default_rows; ++k)
      rows.push_back((2 * k * (count - 1) + default_rows - 1) / (2 * (default_rows - 1)));
    return rows;
  }
  const auto n = static_cast<std::size_t>(std::max<std::int64_t>(every, 1));
  for (std::size_t i = 0; i < count; ++i)
    if (i == 0 || (i + 1) % n == 0 || i + 1 == count) rows.push_back(i);
  return rows;
}

// The value of a field, or nullopt when it is null (NaN in metrics.jsonl).
std::optional<double> number(const nlohmann::json& record, const char* field) {
  if (!record.contains(field)) return std::nullopt;  // a rank iteration without a time
  const nlohmann::json& v = record.at(field);
  if (v.is_null() || std::isnan(v.get<double>())) return std::nullopt;
  return v.get<double>();
}

std::string formatted(double v, Format f) {
  switch (f) {
    case Format::integer: return fmt::format("{:.0f}", v);
    case Format::fixed3: return fmt::format("{:.3f}", v);
    case Format::fixed4: return fmt::format("{:.4f}", v);
    case Format::scientific: return fmt::format("{:.2e}", v);
  }
  return "";
}

std::string cell(const nlohmann::json& record, const Column& c) {
  const auto v = number(record, c.field);
  return v ? formatted(*v, c.format) : "-";
}

const char* header_of(const Column& c) { return c.header ? c.header : c.field; }

void print_table(const RunSummary& s, const Layout& layout, const std::vector<std::size_t>& rows) {
  std::vector<std::size_t> width;
  for (const Column& c : layout.columns) {
    std::size_t w = std::string(header_of(c)).size();
    for (const std::size_t r : rows) w = std::max(w, cell(s.records[r], c).size());
    width.push_back(w);
  }
  std::string line;
  for (std::size_t k = 0; k < width.size(); ++k)
    line += fmt::format("{:>{}}  ", header_of(layout.columns[k]), width[k]);
  std::printf("%s\n", line.substr(0, line.size() - 2).c_str());
  for (const std::size_t r : rows) {
    line.clear();
    for (std::size_t k = 0; k < width.size(); ++k)
      line += fmt::format("{:>{}}  ", cell(s.records[r], layout.columns[k]), width[k]);
    std::printf("%s\n", line.substr(0, line.size() - 2).c_str());
  }
}

// `key=value key=value` of an object; the value itself otherwise.
std::string flat(const nlohmann::ordered_json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_object()) return v.dump();
  std::string out;
  for (const auto& [key, value] : v.items()) out += (out.empty() ? "" : " ") + key + "=" + flat(value);
  return out;
}

std::string origin_line(const RunOrigin& o) {
  return fmt::format("{} (git {}), backend {} ({}), created {} [{}]", o.version, o.git_revision, o.backend, o.device,
                     o.created, o.file);
}

std::string checkpoints_line(const RunSummary& s) {
  const RunCheckpoints& c = s.checkpoints;
  if (c.newest.empty()) return fmt::format("{}, none readable", c.count);
  return fmt::format("{}, the newest of {} {} ({})", c.count, s.step, c.newest_step, c.newest);
}

std::string results_line(const RunSummary& s) {
  if (!s.results) return "not in the run directory (rank writes them to its -o file)";
  const RunResults& r = *s.results;
  return r.path + ": " + r.status + (r.status == "complete" ? fmt::format(" ({} epochs)", r.steps) : "");
}

std::string time_line(const RunSummary& s) {
  if (!s.seconds) return "not recorded";
  const std::int64_t n = s.timed;
  const double each = n ? *s.seconds / static_cast<double>(n) : 0.0;
  if (s.step == "epoch")
    return fmt::format("{:.2f} s in {} epochs ({:.3f} s per epoch; setup and checkpoints not included)", *s.seconds, n,
                       each);
  // rank's metrics.jsonl times each iteration from the line before: a
  // run's first includes its setup, and each one the checkpoint before it.
  const auto all = static_cast<std::int64_t>(s.records.size());
  return fmt::format("{:.2f} s in {}{} iterations ({:.3f} s per iteration; setup and checkpoints included)",
                     *s.seconds, n, n < all ? fmt::format(" of the {}", all) : "", each);
}

std::string change_text(const nlohmann::json& first, const nlohmann::json& last, const Column& c) {
  const auto a = number(first, c.field), b = number(last, c.field);
  const std::string text = cell(first, c) + " -> " + cell(last, c);
  if (!a || !b) return text;
  return text + " (" + (*b >= *a ? "+" : "") + formatted(*b - *a, c.format) + ")";
}

// `key  value` lines, the key padded to `width` (a longer key is followed by one space).
void print_line(const std::string& key, const std::string& value, std::size_t width = 13) {
  const std::string padded = key.size() < width ? key : key + " ";
  std::printf("%-*s%s\n", static_cast<int>(width), padded.c_str(), value.c_str());
}

// The final state and the change of the headline quantities, one field a line.
void print_final(const RunSummary& s, const Layout& layout) {
  std::size_t width = 0;
  for (const Column& c : layout.final_fields) width = std::max(width, std::string(c.field).size() + 4);
  const nlohmann::json &first = s.records.front(), &last = s.records.back();
  print_line("final", fmt::format("{} {}", s.step, s.records.size()));
  for (const Column& c : layout.final_fields) print_line("  " + std::string(c.field), cell(last, c), width);
  print_line("change", fmt::format("{} 1 to {} {}", s.step, s.step, s.records.size()));
  for (const Column& c : layout.headline) print_line("  " + std::string(c.field), change_text(first, last, c), width);
}

void print_text(const RunSummary& s, const std::vector<std::size_t>& rows) {
  print_line("run", s.dir + " (trustprop " + s.command + ")");
  print_line("trustprop", s.origin ? origin_line(*s.origin) : "not recorded (no results.h5 or checkpoint)");
  if (s.origin && !s.origin->command.empty()) print_line("command", s.origin->command);
  print_line("config", s.config.at("file").get<std::string>());
  for (const auto& [key, value] : s.config.items())
    if (key != "file") print_line("  " + key, flat(value));
  print_line("status", s.status + ": " + s.detail);
  print_line("progress", fmt::format("{} of {} {}s", s.records.size(), s.asked, s.step));
  print_line("checkpoints", checkpoints_line(s));
  print_line("results", results_line(s));
  print_line("time", time_line(s));
  if (s.status != "finished" && !s.last_log_line.empty()) print_line("log", s.last_log_line);
  for (const std::string& w : s.warnings) print_line("warning", w);
  if (s.records.empty()) return print_line("series", "no " + s.step + " recorded yet");

  const Layout layout = layout_of(s);
  std::printf("\n");
  print_table(s, layout, rows);
  std::printf("\n");
  print_final(s, layout);
}

using Json = nlohmann::ordered_json;

Json origin_json(const std::optional<RunOrigin>& o) {
  if (!o) return nullptr;
  return {{"file", o->file},       {"version", o->version}, {"git_revision", o->git_revision},
          {"backend", o->backend}, {"device", o->device},   {"created", o->created},
          {"command", o->command}};
}

Json checkpoints_json(const RunCheckpoints& c) {
  return {{"count", c.count},
          {"newest", c.newest.empty() ? Json(nullptr) : Json(c.newest)},
          {"newest_step", c.newest.empty() ? Json(nullptr) : Json(c.newest_step)},
          {"problems", c.problems}};
}

Json results_json(const std::optional<RunResults>& r) {
  if (!r) return nullptr;
  return {{"path", r->path}, {"status", r->status}, {"epochs", r->steps}};
}

// The table's columns and rows, the final record and the change of the headline quantities.
void add_series(Json& j, const RunSummary& s, const Layout& layout, const std::vector<std::size_t>& rows) {
  Json columns = Json::array(), table = Json::array(), change = Json::object();
  for (const Column& c : layout.columns) columns.push_back(c.field);
  for (const std::size_t r : rows) {
    Json row = Json::object();
    for (const Column& c : layout.columns)  // null where a rank iteration has no time
      row[c.field] = s.records[r].contains(c.field) ? Json(s.records[r].at(c.field)) : Json(nullptr);
    table.push_back(row);
  }
  if (!s.records.empty()) {
    const nlohmann::json &first = s.records.front(), &last = s.records.back();
    for (const Column& c : layout.headline) {
      const auto a = number(first, c.field), b = number(last, c.field);
      change[c.field] = {
          {"first", first.at(c.field)}, {"last", last.at(c.field)}, {"change", a && b ? Json(*b - *a) : Json(nullptr)}};
    }
  }
  j["columns"] = columns;
  j["rows"] = table;
  j["final"] = s.records.empty() ? Json(nullptr) : Json(s.records.back());
  j["change"] = change;
}

void print_json(const RunSummary& s, const std::vector<std::size_t>& rows) {
  Json j{{"run_dir", s.dir},
         {"command", s.command},
         {"step", s.step},
         {"status", s.status},
         {"detail", s.detail},
         {"origin", origin_json(s.origin)},
         {"config", s.config},
         {"progress",
          {{"done", s.records.size()}, {"asked", s.asked}, {"seconds", s.seconds ? Json(*s.seconds) : Json(nullptr)}}},
         {"checkpoints", checkpoints_json(s.checkpoints)},
         {"results", results_json(s.results)},
         {"last_log_line", s.last_log_line},
         {"warnings", s.warnings}};
  add_series(j, s, layout_of(s), rows);
  std::printf("%s\n", j.dump(2).c_str());
}

void run_report(const ReportOptions& o) {
  const RunSummary s = summarise_run(o.run_dir);
  for (const std::string& w : s.warnings) spdlog::warn("{}", w);
  const std::vector<std::size_t> rows = select_rows(s.records.size(), o.every);
  if (o.json) return print_json(s, rows);
  print_text(s, rows);
}

}  // namespace

void add_report(CLI::App& app, GlobalOptions&) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand("report", "Summarise a run directory of simulate or rank --run-dir: what ran, how "
                                           "far it got, its time series (docs/dynamics.md)");
  cmd->add_option("run_dir", o->run_dir, "Run directory")->required();
  cmd->add_flag("--json", o->json, "Print one JSON document");
  cmd->add_option("--every", o->every,
                  "Show the first, every N-th and the last epoch (iteration) of the series; --every 1: all "
                  "(default: about 10 rows, evenly spaced)")
      ->check(CLI::Range(std::int64_t{1}, std::numeric_limits<std::int64_t>::max()));
  cmd->callback([o] { run_report(*o); });
}

}  // namespace trustprop::host
