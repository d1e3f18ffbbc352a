// Internal to the importers: the line grammar shared by edge lists and
// Matrix Market bodies, and the parallel parsing of blocks of lines. A line
// is "source target [weight] [ignored...]"; what separates fields, how many
// there must be, and which ids are in range are set by LineRules.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "io/graph.hpp"
#include "io/import_edges.hpp"
#include "io/text_input.hpp"

namespace trustprop::io::detail {

// Edges in input order, ids as written.
struct RawEdges {
  std::vector<std::int64_t> src, dst;
  std::vector<float> w;
  std::size_t size() const { return src.size(); }
};

enum class Separators {
  whitespace,           // Matrix Market
  whitespace_or_comma,  // SNAP: runs of spaces, tabs and commas
  comma,                // CSV: commas; spaces around a field are trimmed
};

struct LineRules {
  Separators separators = Separators::whitespace_or_comma;
  bool hash_comments = true;      // '#' starts a comment line ('%' always does)
  int min_fields = 2;             // fewer is an error
  int max_fields = 0;             // more is an error; 0: extra fields are ignored
  bool weighted = false;          // field 3 is the weight (else weight 1)
  bool integer_weights = false;   // Matrix Market "integer"
  bool allow_negative = false;    // --signed
  std::int64_t id_min = std::numeric_limits<std::int64_t>::min();
  std::int64_t id_max = std::numeric_limits<std::int64_t>::max();
  const char* source_name = "source id";
  const char* target_name = "target id";
  const char* expected = "source target [weight]";  // for "expected ..." messages
};

enum class LineKind { edge, skip, error };

// Splits `line` into its first three fields; `count` is the number of all
// its fields. Returns false for a blank or comment line.
inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

inline bool split_fields(std::string_view line, const LineRules& r, std::string_view (&f)[3], int& count) {
  const char* p = line.data();
  const char* e = p + line.size();
  while (p != e && is_space(*p)) ++p;
  if (p == e || *p == '%' || (*p == '#' && r.hash_comments)) return false;
  count = 0;
  if (r.separators == Separators::comma) {
    for (;;) {
      const char* q = p;
      while (q != e && *q != ',') ++q;
      const char* fe = q;
      while (fe != p && is_space(fe[-1])) --fe;
      const char* fb = p;
      while (fb != fe && is_space(*fb)) ++fb;
      if (count < 3) f[count] = std::string_view(fb, static_cast<std::size_t>(fe - fb));
      ++count;
      if (q == e) break;
      p = q + 1;
    }
    return true;
  }
  // Separator classes by byte: bit 0 whitespace, bit 1 comma.
  static constexpr struct Table {
    unsigned char c[256]{};
    constexpr Table() {
      for (char ch : {' ', '\t', '\r', '\v', '\f'}) c[static_cast<unsigned char>(ch)] = 1;
      c[static_cast<unsigned char>(',')] = 2;
    }
  } table;
  const unsigned char mask = r.separators == Separators::whitespace_or_comma ? 3 : 1;
  const auto sep = [&](char ch) { return (table.c[static_cast<unsigned char>(ch)] & mask) != 0; };
  for (;;) {
    const char* q = p;
    while (q != e && !sep(*q)) ++q;
    if (count < 3) f[count] = std::string_view(p, static_cast<std::size_t>(q - p));
    ++count;
    while (q != e && sep(*q)) ++q;
    if (q == e) break;
    p = q;
  }
  return true;
}

// Describes why a line is bad (the slow path, only on error).
std::string describe_fields_error(const LineRules& r, int count);
std::string describe_id_error(const LineRules& r, int which, std::string_view field, ParseStatus st,
                              std::int64_t value);
std::string describe_weight_error(const LineRules& r, std::string_view field, ParseStatus st, float value);

// Parses one line (without its newline). On error, `error` says what is wrong.
inline LineKind parse_line(std::string_view line, const LineRules& r, std::int64_t& s, std::int64_t& d, float& w,
                           std::string& error) {
  std::string_view f[3];
  int count = 0;
  if (!split_fields(line, r, f, count)) return LineKind::skip;
  if (count < r.min_fields || (r.max_fields > 0 && count > r.max_fields)) {
    error = describe_fields_error(r, count);
    return LineKind::error;
  }
  ParseStatus st = parse_int64(f[0], s);
  if (st != ParseStatus::ok || s < r.id_min || s > r.id_max) {
    error = describe_id_error(r, 0, f[0], st, s);
    return LineKind::error;
  }
  st = parse_int64(f[1], d);
  if (st != ParseStatus::ok || d < r.id_min || d > r.id_max) {
    error = describe_id_error(r, 1, f[1], st, d);
    return LineKind::error;
  }
  if (!r.weighted) {
    w = 1.0f;
    return LineKind::edge;
  }
  if (r.integer_weights) {
    std::int64_t iv = 0;
    st = parse_int64(f[2], iv);
    w = static_cast<float>(iv);
  } else {
    st = parse_float(f[2], w);
  }
  // w - w is 0 for finite w and NaN for NaN and infinities.
  if (st != ParseStatus::ok || !(w - w == 0.0f) || (w < 0.0f && !r.allow_negative)) {
    error = describe_weight_error(r, f[2], st, w);
    return LineKind::error;
  }
  return LineKind::edge;
}

// Per-thread buffers reused across blocks.
struct ParseScratch {
  struct Part {
    RawEdges edges;
    std::int64_t lines = 0, entries = 0;
    std::int64_t error_line = -1;  // 0-based within the part
    std::string error;
  };
  std::vector<Part> parts;
};

// Parses every line of `block`, whose first line is `first_line`, appending
// the edges to `out` in input order (in parallel for large blocks). Throws
// DataError "path:line: what" for the first bad line. Returns the number of
// edge lines.
std::int64_t parse_block(std::string_view block, std::int64_t first_line, const LineRules& r,
                         const std::string& path, RawEdges& out, ParseScratch& scratch);

// Line numbers (at most `max_hits`) of the edge lines from `first_data_line`
// on that read source -> target, or target -> source when `mirrored` as well.
// For messages about duplicates; rereads the file (none from a pipe, which cannot be reread).
std::vector<std::int64_t> find_edge_lines(const std::string& path, const LineRules& r, std::int64_t first_data_line,
                                          std::int64_t source, std::int64_t target, bool mirrored,
                                          std::size_t max_hits);

// The line number of the `index`-th (0-based) edge line of `block`.
std::int64_t line_of_entry(std::string_view block, std::int64_t first_line, const LineRules& r,
                           std::int64_t index);

// The two readers behind import_graph (import_edges.cpp, import_mtx.cpp).
Graph import_edge_list(const std::string& path, ImportFormat format, const ImportOptions& o, ImportStats& st);
Graph import_matrix_market(const std::string& path, const ImportOptions& o, ImportStats& st);

// Seconds since `start` on the steady clock.
double seconds_since(std::int64_t start_ns);
std::int64_t now_ns();

}  // namespace trustprop::io::detail
