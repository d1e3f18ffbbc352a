// Matrix Market coordinate files (docs/import.md): the banner, the size line
// "rows columns entries", then exactly that many "row column [value]" lines
// with 1-based indices. Square matrices only (agents x agents).
#include <spdlog/spdlog.h>

#include <cctype>
#include <limits>
#include <vector>

#include "common/error.hpp"
#include "common/size_text.hpp"
#include "io/import_csr.hpp"
#include "io/import_parse.hpp"

namespace trustprop::io::detail {

namespace {

std::vector<std::string> lower_tokens(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (is_space(c)) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

const char* const banner_form = "%%MatrixMarket matrix coordinate real|integer|pattern general|symmetric";

}  // namespace

Graph import_matrix_market(const std::string& path, const ImportOptions& o, ImportStats& st) {
  const std::int64_t t0 = now_ns();
  TextInput in(path);
  std::string_view line;
  if (!in.next_line(line)) throw DataError(path + ": empty input, expected a Matrix Market file");
  const std::string at1 = path + ":1: ";
  const auto tok = lower_tokens(line);
  if (tok.empty() || tok[0] != "%%matrixmarket")
    throw DataError(at1 + "not a Matrix Market file: the first line must be '" + banner_form + "'");
  if (tok.size() != 5)
    throw DataError(at1 + "Matrix Market header has " + std::to_string(tok.size()) + " words, expected '" +
                    banner_form + "'");
  if (tok[1] != "matrix") throw DataError(at1 + "Matrix Market object '" + tok[1] + "' is not supported, only 'matrix'");
  if (tok[2] == "array")
    throw DataError(at1 + "dense Matrix Market 'array' format is not supported, only sparse 'coordinate'");
  if (tok[2] != "coordinate") throw DataError(at1 + "unknown Matrix Market format '" + tok[2] + "'");
  const std::string& field = tok[3];
  if (field == "complex") throw DataError(at1 + "complex matrices are not supported (weights are real numbers)");
  if (field != "real" && field != "double" && field != "integer" && field != "pattern")
    throw DataError(at1 + "unknown Matrix Market field '" + field + "' (expected real, integer or pattern)");
  const std::string& sym = tok[4];
  if (sym == "skew-symmetric" || sym == "hermitian")
    throw DataError(at1 + "'" + sym + "' matrices are not supported (only general and symmetric)");
  if (sym != "general" && sym != "symmetric")
    throw DataError(at1 + "unknown Matrix Market symmetry '" + sym + "' (expected general or symmetric)");
  const bool pattern = field == "pattern", symmetric = sym == "symmetric";
  st.mtx_header = std::string(line);

  // The size line: the first line after the banner that is not a comment.
  std::int64_t rows = -1, cols = -1, nnz = -1, size_line = 0;
  while (in.next_line(line)) {
    const auto t = lower_tokens(line);
    if (t.empty() || t[0][0] == '%') continue;
    size_line = in.line_number();
    const std::string at = path + ":" + std::to_string(size_line) + ": ";
    if (t.size() != 3 || parse_int64(t[0], rows) != ParseStatus::ok || parse_int64(t[1], cols) != ParseStatus::ok ||
        parse_int64(t[2], nnz) != ParseStatus::ok || rows < 0 || cols < 0 || nnz < 0)
      throw DataError(at + "the size line must be 'rows columns entries' (three non-negative integers), found '" +
                      quote_field(line) + "'");
    if (rows != cols)
      throw DataError(at + "the matrix is " + std::to_string(rows) + " x " + std::to_string(cols) +
                      "; a trust graph needs a square matrix (rows = columns = agents)");
    if (rows > std::numeric_limits<std::int32_t>::max())
      throw DataError(at + std::to_string(rows) + " agents do not fit 32-bit agent indices (at most 2147483647)");
    // Every 1..rows is an agent, whatever the entries: refuse a size the
    // memory cannot hold before allocating for it (24 B per agent of row
    // offsets, ids and counts, 32 B per entry read and built).
    const double need = 24.0 * static_cast<double>(rows) + 32.0 * static_cast<double>(nnz);
    if (o.memory_available > 0 && rows <= std::numeric_limits<std::int32_t>::max() &&
        need > static_cast<double>(o.memory_available))
      throw InternalError(at + "a matrix of " + std::to_string(rows) + " agents and " + std::to_string(nnz) +
                          " entries needs about " + size_text(need) + " of memory, " +
                          size_text(static_cast<double>(o.memory_available)) + " available");
    break;
  }
  if (size_line == 0)
    throw DataError(path + ":" + std::to_string(in.line_number()) + ": the size line 'rows columns entries' is missing");

  LineRules r;
  r.separators = Separators::whitespace;
  r.hash_comments = false;
  r.min_fields = r.max_fields = pattern ? 2 : 3;
  r.weighted = !pattern;
  r.integer_weights = field == "integer";
  r.allow_negative = o.signed_weights;
  r.id_min = 1;
  r.id_max = rows;
  r.source_name = "row index";
  r.target_name = "column index";
  r.expected = pattern ? "row column" : "row column value";

  RawEdges edges;
  ParseScratch scratch;
  std::string_view block;
  std::int64_t block_line = 0;
  while (in.next_block(block, block_line)) {
    const std::int64_t before = static_cast<std::int64_t>(edges.size());
    parse_block(block, block_line, r, path, edges, scratch);
    if (static_cast<std::int64_t>(edges.size()) > nnz)
      throw DataError(path + ":" + std::to_string(line_of_entry(block, block_line, r, nnz - before)) +
                      ": more entries than the " + std::to_string(nnz) + " announced on line " +
                      std::to_string(size_line));
  }
  scratch = {};
  const std::int64_t m = static_cast<std::int64_t>(edges.size());
  if (m < nnz)
    throw DataError(path + ":" + std::to_string(in.line_number()) + ": only " + std::to_string(m) + " of the " +
                    std::to_string(nnz) + " entries announced on line " + std::to_string(size_line) +
                    " were found (truncated file?)");
  st.entries = m;
  if (symmetric) {
    // Each off-diagonal entry stands for both directions.
    std::int64_t off = 0;
    for (std::int64_t k = 0; k < m; ++k) off += edges.src[k] != edges.dst[k];
    edges.src.reserve(static_cast<std::size_t>(m + off));
    edges.dst.reserve(static_cast<std::size_t>(m + off));
    edges.w.reserve(static_cast<std::size_t>(m + off));
    for (std::int64_t k = 0; k < m; ++k) {
      if (edges.src[k] == edges.dst[k]) continue;
      edges.src.push_back(edges.dst[k]);
      edges.dst.push_back(edges.src[k]);
      edges.w.push_back(edges.w[k]);
    }
  }
  st.weighted = !pattern;
  note_parsed(st, in, edges, t0);

  const std::int64_t t1 = now_ns();
  CsrBuildOptions bo = csr_build_options(o);
  bo.fixed_n = rows;
  CsrBuildResult res = build_csr(std::move(edges), bo, path);
  if (res.duplicate_found) {
    const auto lines =
        find_edge_lines(path, r, size_line + 1, res.duplicate_source, res.duplicate_target, symmetric, 2);
    const std::string at = lines.size() == 2 ? std::to_string(lines[1]) : lines.empty() ? "?" : std::to_string(lines[0]);
    const std::string before = lines.size() == 2 ? " (first on line " + std::to_string(lines[0]) + ")" : "";
    throw DataError(path + ":" + at + ": duplicate entry " + std::to_string(res.duplicate_source) + " " +
                    std::to_string(res.duplicate_target) + before +
                    "; --duplicates error forbids repeats (last, first, sum, max or mean merge them)");
  }
  note_built(st, res, t1);
  return std::move(res.graph);
}

}  // namespace trustprop::io::detail
