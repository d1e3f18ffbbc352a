#include "io/import_parse.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "common/error.hpp"

namespace trustprop::io::detail {

std::string describe_fields_error(const LineRules& r, int count) {
  const std::string found = "found " + std::to_string(count) + " field" + (count == 1 ? "" : "s");
  if (r.max_fields > 0 && count > r.max_fields)
    return "expected " + std::to_string(r.max_fields) + " fields (" + r.expected + "), " + found;
  return "expected at least " + std::to_string(r.min_fields) + " fields (" + r.expected + "), " + found;
}

std::string describe_id_error(const LineRules& r, int which, std::string_view field, ParseStatus st,
                              std::int64_t value) {
  const std::string name = which == 0 ? r.source_name : r.target_name;
  if (field.empty()) return name + " is empty";
  const std::string q = "'" + quote_field(field) + "'";
  if (st == ParseStatus::out_of_range) return name + " " + q + " does not fit a 64-bit integer";
  if (st != ParseStatus::ok) return name + " " + q + " is not an integer";
  return name + " " + std::to_string(value) + " is out of range " + std::to_string(r.id_min) + ".." +
         std::to_string(r.id_max);
}

std::string describe_weight_error(const LineRules& r, std::string_view field, ParseStatus st, float value) {
  const char* name = r.integer_weights ? "value" : "weight";
  if (field.empty()) return std::string(name) + " is empty";
  const std::string q = "'" + quote_field(field) + "'";
  if (r.integer_weights && st == ParseStatus::invalid)
    return std::string(name) + " " + q + " is not an integer (the header says integer)";
  if (st == ParseStatus::out_of_range)
    return std::string(name) + " " + q + " is beyond the range of float32 (largest magnitude about 3.4e38)";
  if (st != ParseStatus::ok) return std::string(name) + " " + q + " is not a number";
  if (!(value - value == 0.0f)) return std::string(name) + " " + q + " is not a finite number";
  return "negative " + std::string(name) + " " + q +
         " in an unsigned import; pass --signed to import signed (trust/distrust) weights";
}

namespace {

// Parses [b, e) line by line into `part`; stops at the first bad line.
void parse_part(const char* b, const char* e, const LineRules& r, ParseScratch::Part& part) {
  RawEdges& out = part.edges;
  const std::size_t guess = static_cast<std::size_t>(e - b) / 8 + 16;  // edge lines are rarely shorter
  out.src.reserve(guess);
  out.dst.reserve(guess);
  out.w.reserve(guess);
  std::int64_t s = 0, d = 0;
  float w = 0;
  // Lines are searched for a carriage return before their end only where
  // the part holds one ("\r\n" files, or old Mac line ends to refuse).
  const bool has_cr = std::memchr(b, '\r', static_cast<std::size_t>(e - b)) != nullptr;
  while (b < e) {
    const char* nl = static_cast<const char*>(std::memchr(b, '\n', static_cast<std::size_t>(e - b)));
    const char* le = nl ? nl : e;
    if (has_cr && le - b > 1 && std::memchr(b, '\r', static_cast<std::size_t>(le - b - 1))) {
      part.error = bare_carriage_return;
      part.error_line = part.lines;
      return;
    }
    const LineKind k = parse_line(std::string_view(b, static_cast<std::size_t>(le - b)), r, s, d, w, part.error);
    if (k == LineKind::edge) {
      out.src.push_back(s);
      out.dst.push_back(d);
      out.w.push_back(w);
    } else if (k == LineKind::error) {
      part.error_line = part.lines;
      return;
    }
    ++part.lines;
    b = nl ? nl + 1 : e;
  }
}

}  // namespace

std::int64_t parse_block(std::string_view block, std::int64_t first_line, const LineRules& r,
                         const std::string& path, RawEdges& out, ParseScratch& scratch) {
  const std::size_t min_part = 1u << 20;
  const int parts = static_cast<int>(
      std::max<std::size_t>(1, std::min<std::size_t>(omp_get_max_threads(), block.size() / min_part)));
  scratch.parts.resize(std::max<std::size_t>(scratch.parts.size(), static_cast<std::size_t>(parts)));
  // Part boundaries just after a newline.
  std::vector<const char*> bounds(static_cast<std::size_t>(parts) + 1);
  const char* b = block.data();
  const char* e = b + block.size();
  bounds[0] = b;
  for (int t = 1; t < parts; ++t) {
    const char* p = std::max(bounds[t - 1], b + block.size() * t / parts);
    const char* nl = p < e ? static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(e - p))) : nullptr;
    bounds[t] = nl ? nl + 1 : e;
  }
  bounds[parts] = e;
  for (int t = 0; t < parts; ++t) {
    auto& p = scratch.parts[t];
    p.edges.src.clear();
    p.edges.dst.clear();
    p.edges.w.clear();
    p.lines = 0;
    p.error_line = -1;
    p.error.clear();
  }
#pragma omp parallel for num_threads(parts) schedule(static, 1)
  for (int t = 0; t < parts; ++t) parse_part(bounds[t], bounds[t + 1], r, scratch.parts[t]);

  std::int64_t line = first_line;
  std::vector<std::size_t> offset(static_cast<std::size_t>(parts) + 1, out.size());
  for (int t = 0; t < parts; ++t) {
    const auto& p = scratch.parts[t];
    if (p.error_line >= 0) throw DataError(path + ":" + std::to_string(line + p.error_line) + ": " + p.error);
    line += p.lines;
    offset[t + 1] = offset[t] + p.edges.size();
  }
  const std::size_t total = offset[parts];
  out.src.resize(total);
  out.dst.resize(total);
  out.w.resize(total);
#pragma omp parallel for num_threads(parts) schedule(static, 1)
  for (int t = 0; t < parts; ++t) {
    const auto& p = scratch.parts[t].edges;
    std::copy(p.src.begin(), p.src.end(), out.src.begin() + offset[t]);
    std::copy(p.dst.begin(), p.dst.end(), out.dst.begin() + offset[t]);
    std::copy(p.w.begin(), p.w.end(), out.w.begin() + offset[t]);
  }
  return static_cast<std::int64_t>(total - offset[0]);
}

std::vector<std::int64_t> find_edge_lines(const std::string& path, const LineRules& r, std::int64_t first_data_line,
                                          std::int64_t source, std::int64_t target, bool mirrored,
                                          std::size_t max_hits) {
  std::vector<std::int64_t> hits;
  if (!TextInput::rereadable(path)) return hits;  // a pipe's lines are gone
  TextInput in(path, 1u << 20);
  std::string_view line;
  std::string error;
  std::int64_t s = 0, d = 0;
  float w = 0;
  while (hits.size() < max_hits && in.next_line(line)) {
    if (in.line_number() < first_data_line) continue;
    if (parse_line(line, r, s, d, w, error) != LineKind::edge) continue;
    if ((s == source && d == target) || (mirrored && s == target && d == source)) hits.push_back(in.line_number());
  }
  return hits;
}

std::int64_t line_of_entry(std::string_view block, std::int64_t first_line, const LineRules& r,
                           std::int64_t index) {
  const char* b = block.data();
  const char* e = b + block.size();
  std::int64_t line = first_line, seen = 0, s = 0, d = 0;
  float w = 0;
  std::string error;
  while (b < e) {
    const char* nl = static_cast<const char*>(std::memchr(b, '\n', static_cast<std::size_t>(e - b)));
    const char* le = nl ? nl : e;
    if (parse_line(std::string_view(b, static_cast<std::size_t>(le - b)), r, s, d, w, error) == LineKind::edge &&
        seen++ == index)
      return line;
    ++line;
    b = nl ? nl + 1 : e;
  }
  return line;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double seconds_since(std::int64_t start_ns) { return static_cast<double>(now_ns() - start_ns) * 1e-9; }

}  // namespace trustprop::io::detail
