#include "io/graph_file.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/error.hpp"
#include "common/version.hpp"

namespace trustprop::io {

namespace {

std::int64_t chunk_elems(std::int64_t chunk_bytes, std::size_t elem, std::int64_t expected) {
  const std::int64_t by_bytes = std::max<std::int64_t>(chunk_bytes / static_cast<std::int64_t>(elem), 1);
  return expected > 0 ? std::min(by_bytes, expected) : std::min<std::int64_t>(by_bytes, 1 << 16);
}

}  // namespace

GraphWriter::GraphWriter(const std::string& path, std::int64_t n, const std::string& source,
                         const GraphWriteOptions& options)
    : out_(path), file_(h5::File::create(out_.temp_path(), out_.target())), n_(n), source_(source) {
  if (n < 0 || n > std::numeric_limits<std::int32_t>::max())
    throw DataError(path + ": " + std::to_string(n) + " agents do not fit 32-bit column indices");
  file_.create_group("/graph");
  indptr_ = h5::AppendableDataset(file_, "/graph/indptr", H5T_NATIVE_INT64, 8,
                                  chunk_elems(options.chunk_bytes, 8, n + 1), options.deflate);
  indices_ = h5::AppendableDataset(file_, "/graph/indices", H5T_NATIVE_INT32, 4,
                                   chunk_elems(options.chunk_bytes, 4, options.expected_nnz), options.deflate);
  data_ = h5::AppendableDataset(file_, "/graph/data", H5T_NATIVE_FLOAT, 4,
                                chunk_elems(options.chunk_bytes, 4, options.expected_nnz), options.deflate);
  attributes_ = options.attributes;
  const std::int64_t zero = 0;
  indptr_.append(&zero, 1);
  hasher_.indptr(&zero, sizeof zero);
}

GraphWriter::~GraphWriter() = default;

void GraphWriter::append_rows(const std::int64_t* row_lengths, std::int64_t rows, const std::int32_t* columns,
                              const float* weights) {
  if (rows_written_ + rows > n_)
    throw InternalError(out_.target() + ": more rows written than the " + std::to_string(n_) + " agents");
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(rows));
  std::int64_t k = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t len = row_lengths[r];
    for (std::int64_t e = k; e < k + len; ++e) {
      if (columns[e] < 0 || columns[e] >= n_ || (e > k && columns[e] <= columns[e - 1]))
        throw InternalError(out_.target() + ": row " + std::to_string(rows_written_ + r) +
                            " is not sorted, unique and in range");
    }
    k += len;
    offsets[static_cast<std::size_t>(r)] = nnz_written_ + k;
  }
  indptr_.append(offsets.data(), rows);
  indices_.append(columns, k);
  data_.append(weights, k);
  hasher_.indptr(offsets.data(), offsets.size() * sizeof(std::int64_t));
  hasher_.indices(columns, static_cast<std::size_t>(k) * sizeof(std::int32_t));
  hasher_.data(weights, static_cast<std::size_t>(k) * sizeof(float));
  rows_written_ += rows;
  nnz_written_ += k;
}

void GraphWriter::set_kinds(const std::vector<std::uint8_t>& kinds) {
  TRUSTPROP_ASSERT(static_cast<std::int64_t>(kinds.size()) == n_, "kinds must have one entry per agent");
  if (!file_.exists("/agents")) file_.create_group("/agents");
  file_.write_1d("/agents/kind", kinds.data(), n_, 1 << 20);
}

void GraphWriter::set_ids(const std::vector<std::int64_t>& ids) {
  TRUSTPROP_ASSERT(static_cast<std::int64_t>(ids.size()) == n_, "ids must have one entry per agent");
  if (!file_.exists("/agents")) file_.create_group("/agents");
  file_.write_1d("/agents/id", ids.data(), n_, 1 << 18);
}

void GraphWriter::set_previous_index(const std::vector<std::int32_t>& previous) {
  TRUSTPROP_ASSERT(static_cast<std::int64_t>(previous.size()) == n_, "previous indices must have one entry per agent");
  if (!file_.exists("/agents")) file_.create_group("/agents");
  file_.write_1d("/agents/previous_index", previous.data(), n_, 1 << 19);
}

void GraphWriter::set_attribute(const std::string& name, const std::string& value) { attributes_[name] = value; }

void GraphWriter::commit() {
  if (rows_written_ != n_)
    throw InternalError(out_.target() + ": only " + std::to_string(rows_written_) + " of " +
                        std::to_string(n_) + " rows were written");
  file_.write_attr("/graph", "encoding-type", std::string("csr_matrix"));
  file_.write_attr("/graph", "encoding-version", std::string("0.1.0"));
  file_.write_attr("/graph", "shape", std::vector<std::int64_t>{n_, n_});
  file_.write_attr("/", "trustprop.format", std::string("graph"));
  file_.write_attr("/", "trustprop.format_version", static_cast<std::int64_t>(graph_format_version));
  file_.write_attr("/", "trustprop.version", std::string(version_string));
  file_.write_attr("/", "trustprop.content_hash", hasher_.hex());
  file_.write_attr("/", "source", source_);
  for (const auto& [name, value] : attributes_) file_.write_attr("/", name, value);
  file_.flush();
  file_.close();
  out_.commit();
}

void write_graph(const std::string& path, const Graph& g, const GraphWriteOptions& options) {
  GraphWriteOptions o = options;
  if (o.expected_nnz == 0) o.expected_nnz = std::max<std::int64_t>(g.nnz(), 1);
  GraphWriter w(path, g.n, g.source, o);
  // Stream in row blocks of about 4M entries to bound the temporary offsets.
  std::vector<std::int64_t> lengths;
  std::int64_t r0 = 0;
  while (r0 < g.n) {
    std::int64_t r1 = r0;
    while (r1 < g.n && (r1 == r0 || g.indptr[r1] - g.indptr[r0] < (4 << 20))) ++r1;
    lengths.resize(static_cast<std::size_t>(r1 - r0));
    for (std::int64_t r = r0; r < r1; ++r) lengths[r - r0] = g.indptr[r + 1] - g.indptr[r];
    w.append_rows(lengths.data(), r1 - r0, g.indices.data() + g.indptr[r0], g.data.data() + g.indptr[r0]);
    r0 = r1;
  }
  if (!g.kind.empty()) w.set_kinds(g.kind);
  if (!g.id.empty()) w.set_ids(g.id);
  w.commit();
}

GraphHeader read_graph_header(const std::string& path) {
  const h5::File f = h5::File::open_read(path);
  GraphHeader h;
  const auto format = f.read_attr_string("/", "trustprop.format");
  if (!format || *format != "graph")
    throw DataError(path + ": not a trustprop graph file (root attribute trustprop.format is " +
                    (format ? "'" + *format + "'" : std::string("missing")) + ", expected 'graph')");
  const auto version = f.read_attr_int("/", "trustprop.format_version");
  if (!version) throw DataError(path + ": root attribute trustprop.format_version is missing");
  if (*version != graph_format_version)
    throw DataError(path + ": graph format version " + std::to_string(*version) +
                    " is not supported (this trustprop reads version " + std::to_string(graph_format_version) + ")");
  h.format_version = *version;
  if (!f.exists("/graph")) throw DataError(path + ": missing group /graph");
  const auto enc = f.read_attr_string("/graph", "encoding-type");
  if (!enc || *enc != "csr_matrix")
    throw DataError(path + ": /graph@encoding-type is " + (enc ? "'" + *enc + "'" : std::string("missing")) +
                    ", expected 'csr_matrix'");
  const auto shape = f.read_attr_ints("/graph", "shape");
  if (!shape || shape->size() != 2 || (*shape)[0] != (*shape)[1] || (*shape)[0] < 0)
    throw DataError(path + ": /graph@shape must be two equal non-negative integers (n, n)");
  h.n = (*shape)[0];
  if (h.n > std::numeric_limits<std::int32_t>::max())
    throw DataError(path + ": /graph@shape: " + std::to_string(h.n) + " agents do not fit int32 indices");
  const std::int64_t np1 = f.size_1d("/graph/indptr");
  if (np1 != h.n + 1)
    throw DataError(path + ": dataset /graph/indptr has " + std::to_string(np1) + " elements, expected n + 1 = " +
                    std::to_string(h.n + 1) + " for /graph@shape");
  h.nnz = f.size_1d("/graph/indices");
  const std::int64_t nd = f.size_1d("/graph/data");
  if (nd != h.nnz)
    throw DataError(path + ": dataset /graph/data has " + std::to_string(nd) + " elements but /graph/indices has " +
                    std::to_string(h.nnz));
  if (f.exists("/agents") && !f.is_group("/agents"))
    throw DataError(path + ": /agents is not a group (expected the group of /agents/kind and /agents/id)");
  h.has_kinds = f.exists("/agents/kind");
  h.has_ids = f.exists("/agents/id");
  h.source = f.read_attr_string("/", "source").value_or("");
  h.content_hash = f.read_attr_string("/", "trustprop.content_hash").value_or("");
  for (const char* name : {"trustprop.version", "source", "trustprop.content_hash", "generator", "importer", "reorder"}) {
    if (auto v = f.read_attr_string("/", name)) h.attributes[name] = *v;
  }
  return h;
}

namespace {

void check_indptr(const std::vector<std::int64_t>& indptr, std::int64_t n, std::int64_t nnz, const std::string& where) {
  if (static_cast<std::int64_t>(indptr.size()) != n + 1)
    throw DataError(where + ": dataset /graph/indptr has " + std::to_string(indptr.size()) +
                    " elements, expected " + std::to_string(n + 1));
  if (indptr[0] != 0)
    throw DataError(where + ": dataset /graph/indptr: indptr[0] is " + std::to_string(indptr[0]) + ", must be 0");
  if (indptr[n] != nnz)
    throw DataError(where + ": dataset /graph/indptr: last entry is " + std::to_string(indptr[n]) +
                    " but /graph/indices has " + std::to_string(nnz) + " elements");
  for (std::int64_t i = 0; i < n; ++i)
    if (indptr[i + 1] < indptr[i])
      throw DataError(where + ": dataset /graph/indptr is not non-decreasing: indptr[" + std::to_string(i) +
                      "] = " + std::to_string(indptr[i]) + " > indptr[" + std::to_string(i + 1) +
                      "] = " + std::to_string(indptr[i + 1]));
}

// Rows [first, last) of an n-agent matrix: indptr holds their last - first
// + 1 offsets (checked non-decreasing) into indices and data, which start at
// entry `base` of the file's datasets (for messages).
void check_rows(std::int64_t n, std::int64_t first, std::int64_t last, const std::int64_t* indptr,
                const std::vector<std::int32_t>& indices, const std::vector<float>& data, std::int64_t base,
                const std::string& where) {
  const auto nnz = static_cast<std::int64_t>(indices.size());
  // Find the first bad row in parallel, then describe it serially.
  std::int64_t bad = last;
#pragma omp parallel for schedule(static) reduction(min : bad)
  for (std::int64_t i = first; i < last; ++i) {
    const std::int64_t b = indptr[i - first], e = indptr[i - first + 1];
    if (b < 0 || e > nnz) {
      bad = std::min(bad, i);
      continue;
    }
    for (std::int64_t k = b; k < e; ++k) {
      const std::int32_t c = indices[k];
      if (c < 0 || c >= n || (k > b && c <= indices[k - 1]) || !std::isfinite(data[k])) {
        bad = std::min(bad, i);
        break;
      }
    }
  }
  if (bad == last) return;
  const std::int64_t i = bad, b = indptr[i - first], e = indptr[i - first + 1];
  const std::string row = "row " + std::to_string(i);
  if (b < 0 || e > nnz) throw DataError(where + ": dataset /graph/indptr: " + row + " points outside /graph/indices");
  for (std::int64_t k = b; k < e; ++k) {
    const std::int32_t c = indices[k];
    if (c < 0 || c >= n)
      throw DataError(where + ": dataset /graph/indices: " + row + " has column " + std::to_string(c) +
                      " outside 0.." + std::to_string(n - 1));
    if (k > b && c == indices[k - 1])
      throw DataError(where + ": dataset /graph/indices: " + row + " has duplicate column " + std::to_string(c));
    if (k > b && c < indices[k - 1])
      throw DataError(where + ": dataset /graph/indices: " + row + " is not sorted (column " + std::to_string(c) +
                      " after " + std::to_string(indices[k - 1]) + ")");
    if (!std::isfinite(data[k]))
      throw DataError(where + ": dataset /graph/data: entry " + std::to_string(base + k) + " (" + row +
                      ", column " + std::to_string(c) + ") is " + (std::isnan(data[k]) ? "NaN" : "infinite"));
  }
}

void check_agents(const Graph& g, const std::string& where) {
  const std::int64_t n = g.n;
  if (!g.kind.empty()) {
    if (static_cast<std::int64_t>(g.kind.size()) != n)
      throw DataError(where + ": dataset /agents/kind has " + std::to_string(g.kind.size()) + " elements, expected " +
                      std::to_string(n));
    for (std::int64_t i = 0; i < n; ++i)
      if (g.kind[i] > 2)
        throw DataError(where + ": dataset /agents/kind: agent " + std::to_string(i) + " has kind " +
                        std::to_string(g.kind[i]) + " (0 resident, 1 enterprise, 2 institution)");
  }
  if (!g.id.empty() && static_cast<std::int64_t>(g.id.size()) != n)
    throw DataError(where + ": dataset /agents/id has " + std::to_string(g.id.size()) + " elements, expected " +
                    std::to_string(n));
  // Original ids name agents: each once. Imported graphs hold them in
  // ascending order (one pass); a reordered graph's are sorted first.
  if (!std::is_sorted(g.id.begin(), g.id.end()) || std::adjacent_find(g.id.begin(), g.id.end()) != g.id.end()) {
    std::vector<std::int64_t> order(g.id.size());
    std::iota(order.begin(), order.end(), std::int64_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return g.id[a] < g.id[b]; });
    for (std::size_t k = 1; k < order.size(); ++k)
      if (g.id[order[k]] == g.id[order[k - 1]])
        throw DataError(where + ": dataset /agents/id: id " + std::to_string(g.id[order[k]]) + " appears at agents " +
                        std::to_string(order[k - 1]) + " and " + std::to_string(order[k]) +
                        "; original ids must be unique");
  }
}

}  // namespace

void validate_graph(const Graph& g, const std::string& where) {
  check_indptr(g.indptr, g.n, static_cast<std::int64_t>(g.indices.size()), where);
  if (g.data.size() != g.indices.size())
    throw DataError(where + ": dataset /graph/data has " + std::to_string(g.data.size()) +
                    " elements, /graph/indices " + std::to_string(g.indices.size()));
  check_rows(g.n, 0, g.n, g.indptr.data(), g.indices, g.data, 0, where);
  check_agents(g, where);
}

std::string compute_content_hash(const Graph& g) {
  ContentHasher h;
  h.indptr(g.indptr.data(), g.indptr.size() * sizeof(std::int64_t));
  h.indices(g.indices.data(), g.indices.size() * sizeof(std::int32_t));
  h.data(g.data.data(), g.data.size() * sizeof(float));
  return h.hex();
}

Graph read_graph(const std::string& path) {
  const GraphHeader h = read_graph_header(path);
  const h5::File f = h5::File::open_read(path);
  Graph g;
  g.n = h.n;
  g.source = h.source;
  g.content_hash = h.content_hash;
  g.indptr = f.read_1d<std::int64_t>("/graph/indptr", h.n + 1);
  g.indices = f.read_1d<std::int32_t>("/graph/indices", h.nnz);
  g.data = f.read_1d<float>("/graph/data", h.nnz);
  if (h.has_kinds) g.kind = f.read_1d<std::uint8_t>("/agents/kind", h.n);
  if (h.has_ids) g.id = f.read_1d<std::int64_t>("/agents/id", h.n);
  validate_graph(g, path);
  return g;
}

Graph read_graph_agents(const std::string& path, const GraphHeader& h) {
  const h5::File f = h5::File::open_read(path);
  Graph g;
  g.n = h.n;
  g.source = h.source;
  g.content_hash = h.content_hash;
  if (h.has_kinds) g.kind = f.read_1d<std::uint8_t>("/agents/kind", h.n);
  if (h.has_ids) g.id = f.read_1d<std::int64_t>("/agents/id", h.n);
  check_agents(g, path);
  return g;
}

std::vector<std::int64_t> read_graph_indptr(const std::string& path, const GraphHeader& h) {
  std::vector<std::int64_t> indptr = h5::File::open_read(path).read_1d<std::int64_t>("/graph/indptr", h.n + 1);
  check_indptr(indptr, h.n, h.nnz, path);
  return indptr;
}

GraphRows read_graph_rows(const std::string& path, std::int64_t n, const std::vector<std::int64_t>& indptr,
                          std::int64_t first, std::int64_t last) {
  TRUSTPROP_ASSERT(0 <= first && first <= last && last <= n && static_cast<std::int64_t>(indptr.size()) == n + 1,
                   "read_graph_rows: rows outside the graph");
  const h5::File f = h5::File::open_read(path);
  GraphRows r;
  r.n = n;
  r.first = first;
  r.last = last;
  const std::int64_t base = indptr[first], count = indptr[last] - base;
  r.indptr.resize(static_cast<std::size_t>(last - first + 1));
  for (std::int64_t i = first; i <= last; ++i) r.indptr[i - first] = indptr[i] - base;
  r.indices = f.read_1d_range<std::int32_t>("/graph/indices", base, count);
  r.data = f.read_1d_range<float>("/graph/data", base, count);
  check_rows(n, first, last, r.indptr.data(), r.indices, r.data, base, path);
  return r;
}

}  // namespace trustprop::io
