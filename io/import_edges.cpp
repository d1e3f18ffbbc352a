// SNAP edge lists and CSV (docs/import.md), and the importer's entry point.
#include "io/import_edges.hpp"

#include <spdlog/spdlog.h>

#include "common/error.hpp"
#include "io/graph_file.hpp"
#include "io/import_csr.hpp"
#include "io/import_parse.hpp"

namespace trustprop::io {

std::string_view to_string(ImportFormat f) {
  switch (f) {
    case ImportFormat::auto_detect: return "auto";
    case ImportFormat::snap: return "snap";
    case ImportFormat::csv: return "csv";
    case ImportFormat::mtx: return "mtx";
  }
  return "?";
}

std::string_view to_string(DuplicateRule r) {
  switch (r) {
    case DuplicateRule::last: return "last";
    case DuplicateRule::first: return "first";
    case DuplicateRule::sum: return "sum";
    case DuplicateRule::max: return "max";
    case DuplicateRule::mean: return "mean";
    case DuplicateRule::error: return "error";
  }
  return "?";
}

std::optional<ImportFormat> parse_import_format(std::string_view s) {
  for (auto f : {ImportFormat::auto_detect, ImportFormat::snap, ImportFormat::csv, ImportFormat::mtx})
    if (s == to_string(f)) return f;
  return std::nullopt;
}

std::optional<DuplicateRule> parse_duplicate_rule(std::string_view s) {
  for (auto r : {DuplicateRule::last, DuplicateRule::first, DuplicateRule::sum, DuplicateRule::max,
                 DuplicateRule::mean, DuplicateRule::error})
    if (s == to_string(r)) return r;
  return std::nullopt;
}

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    char c = s[s.size() - suffix.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

std::string basename_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A CSV header: its first two fields are not numbers at all.
bool is_header(const std::string_view (&f)[3], int count) {
  float v = 0;
  for (int i = 0; i < std::min(count, 2); ++i)
    if (parse_float(f[i], v) != ParseStatus::invalid) return false;
  return true;
}

}  // namespace

ImportFormat detect_format(const std::string& path) {
  std::string_view s = path;
  if (ends_with(s, ".gz")) s.remove_suffix(3);
  if (ends_with(s, ".mtx")) return ImportFormat::mtx;
  if (ends_with(s, ".csv")) return ImportFormat::csv;
  return ImportFormat::snap;
}

namespace detail {

Graph import_edge_list(const std::string& path, ImportFormat format, const ImportOptions& o, ImportStats& st) {
  const std::int64_t t0 = now_ns();
  TextInput in(path);
  LineRules r;
  r.separators = format == ImportFormat::csv ? Separators::comma : Separators::whitespace_or_comma;
  r.allow_negative = o.signed_weights;
  RawEdges edges;

  // The first line that is not blank or a comment: a CSV header, or the
  // first edge, whose number of fields says whether there is a weight column.
  std::string_view line;
  std::int64_t first_data_line = 0;
  bool first = true;
  while (in.next_line(line)) {
    std::string_view f[3];
    int count = 0;
    if (!split_fields(line, r, f, count)) continue;
    if (first && format == ImportFormat::csv && is_header(f, count)) {
      st.header = std::string(line);
      spdlog::info("{}:{}: header line skipped: {}", path, in.line_number(), quote_field(line, 120));
      first = false;
      continue;
    }
    first = false;
    st.weighted = count >= 3;
    r.weighted = st.weighted;
    r.min_fields = st.weighted ? 3 : 2;
    r.expected = st.weighted ? "source target weight, as on the first edge line" : "source target [weight]";
    first_data_line = in.line_number();
    std::int64_t s = 0, d = 0;
    float w = 0;
    std::string error;
    if (parse_line(line, r, s, d, w, error) != LineKind::edge)
      throw DataError(path + ":" + std::to_string(first_data_line) + ": " + error);
    edges.src.push_back(s);
    edges.dst.push_back(d);
    edges.w.push_back(w);
    break;
  }
  if (first_data_line == 0) {
    const std::int64_t lines = in.line_number();
    throw DataError(path + (lines == 0 ? ": no edges: the input is empty"
                                       : ":" + std::to_string(lines) + ": no edges: all " + std::to_string(lines) +
                                             " lines are blank, comments or a header"));
  }
  st.entries = 1;
  ParseScratch scratch;
  std::string_view block;
  std::int64_t block_line = 0;
  while (in.next_block(block, block_line)) st.entries += parse_block(block, block_line, r, path, edges, scratch);
  scratch = {};
  note_parsed(st, in, edges, t0);

  const std::int64_t t1 = now_ns();
  CsrBuildResult res = build_csr(std::move(edges), csr_build_options(o), path);
  if (res.duplicate_found) {
    const auto lines = find_edge_lines(path, r, first_data_line, res.duplicate_source, res.duplicate_target, false, 2);
    const std::string at = lines.size() == 2 ? std::to_string(lines[1]) : "?";
    const std::string before = lines.empty() ? "" : " (first on line " + std::to_string(lines[0]) + ")";
    throw DataError(path + ":" + at + ": duplicate edge " + std::to_string(res.duplicate_source) + " -> " +
                    std::to_string(res.duplicate_target) + before +
                    "; --duplicates error forbids repeats (last, first, sum, max or mean merge them)");
  }
  note_built(st, res, t1);
  return std::move(res.graph);
}

}  // namespace detail

Graph import_graph(const std::string& path, const ImportOptions& o, ImportStats* stats) {
  ImportStats local;
  ImportStats& st = stats ? *stats : local;
  st = ImportStats{};
  st.format = o.format == ImportFormat::auto_detect ? detect_format(path) : o.format;
  Graph g = st.format == ImportFormat::mtx ? detail::import_matrix_market(path, o, st)
                                           : detail::import_edge_list(path, st.format, o, st);
  g.source = "import:" + basename_of(path);
  validate_graph(g, path);
  return g;
}

}  // namespace trustprop::io
