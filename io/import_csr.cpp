#include "io/import_csr.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <parallel/algorithm>
#include <utility>

#include "common/error.hpp"

namespace trustprop::io::detail {

namespace {

constexpr std::int64_t max_agents = std::numeric_limits<std::int32_t>::max();

// Small loops run serially: a thread team costs more than it saves there.
bool parallel_worth(std::int64_t items) { return items >= (1 << 16); }

template <class T>
void release(std::vector<T>& v) {
  std::vector<T>().swap(v);
}

// Maps the ids of `e` to agents 0..n-1 in ascending order of id; returns
// the ids (Graph::id) and fills rows/cols.
std::vector<std::int64_t> map_ids(RawEdges& e, std::vector<std::int32_t>& rows, std::vector<std::int32_t>& cols,
                                  const std::string& where) {
  const std::int64_t m = static_cast<std::int64_t>(e.size());
  const std::int64_t* src = e.src.data();
  const std::int64_t* dst = e.dst.data();
  std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = std::numeric_limits<std::int64_t>::min();
#pragma omp parallel for schedule(static) reduction(min : lo) reduction(max : hi) if (parallel_worth(m))
  for (std::int64_t k = 0; k < m; ++k) {
    lo = std::min({lo, src[k], dst[k]});
    hi = std::max({hi, src[k], dst[k]});
  }
  std::vector<std::int64_t> ids;
  // hi - lo in unsigned arithmetic cannot overflow (the full int64 range is 2^64 - 1).
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  if (span < 2 * static_cast<std::uint64_t>(m) + (1u << 20)) {
    const std::uint64_t range = span + 1;
    // Dense ids (the usual case): mark, number in ascending order, look up.
    std::vector<std::int32_t> slot(range, 0);
#pragma omp parallel for schedule(static) if (parallel_worth(m))
    for (std::int64_t k = 0; k < m; ++k) {
#pragma omp atomic write
      slot[static_cast<std::uint64_t>(src[k] - lo)] = 1;
#pragma omp atomic write
      slot[static_cast<std::uint64_t>(dst[k] - lo)] = 1;
    }
    std::int64_t n = 0;
    for (std::uint64_t i = 0; i < range; ++i) n += slot[i];
    if (n > max_agents)
      throw DataError(where + ": " + std::to_string(n) + " distinct ids do not fit 32-bit agent indices");
    ids.resize(static_cast<std::size_t>(n));
    std::int32_t next = 0;
    for (std::uint64_t i = 0; i < range; ++i) {
      if (slot[i]) {
        ids[static_cast<std::size_t>(next)] = lo + static_cast<std::int64_t>(i);
        slot[i] = next++;
      }
    }
#pragma omp parallel for schedule(static) if (parallel_worth(m))
    for (std::int64_t k = 0; k < m; ++k) {
      rows[k] = slot[static_cast<std::uint64_t>(src[k] - lo)];
      cols[k] = slot[static_cast<std::uint64_t>(dst[k] - lo)];
    }
    return ids;
  }
  // Sparse ids: sort the distinct ids, binary-search each.
  ids.resize(2 * static_cast<std::size_t>(m));
  std::copy(e.src.begin(), e.src.end(), ids.begin());
  std::copy(e.dst.begin(), e.dst.end(), ids.begin() + m);
  __gnu_parallel::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  ids.shrink_to_fit();
  if (static_cast<std::int64_t>(ids.size()) > max_agents)
    throw DataError(where + ": " + std::to_string(ids.size()) + " distinct ids do not fit 32-bit agent indices");
  const auto index = [&ids](std::int64_t id) {
    return static_cast<std::int32_t>(std::lower_bound(ids.begin(), ids.end(), id) - ids.begin());
  };
#pragma omp parallel for schedule(static) if (parallel_worth(m))
  for (std::int64_t k = 0; k < m; ++k) {
    rows[k] = index(src[k]);
    cols[k] = index(dst[k]);
  }
  return ids;
}

// Stable counting sort of the kept edges by row into indptr/indices/data.
void fill_rows(const std::vector<std::int32_t>& rows, const std::vector<std::int32_t>& cols,
               const std::vector<float>& w, std::int64_t n, bool keep_loops, Graph& g, std::int64_t& loops) {
  const std::int64_t m = static_cast<std::int64_t>(rows.size());
  const int threads = omp_get_max_threads();
  // Per-thread row counts keep the scatter stable in parallel; use them
  // when they cost no more memory than the edges themselves.
  const bool parallel = threads > 1 && m >= (1 << 20) &&
                        static_cast<double>(threads) * static_cast<double>(n) <= static_cast<double>(m) + (8 << 20);
  g.indptr.assign(static_cast<std::size_t>(n) + 1, 0);
  const auto kept = [&](std::int64_t k) { return keep_loops || rows[k] != cols[k]; };
  if (!parallel) {
    loops = 0;
    for (std::int64_t k = 0; k < m; ++k) {
      if (kept(k)) ++g.indptr[rows[k] + 1];
      else ++loops;
    }
    for (std::int64_t i = 0; i < n; ++i) g.indptr[i + 1] += g.indptr[i];
    g.indices.resize(static_cast<std::size_t>(g.indptr[n]));
    g.data.resize(static_cast<std::size_t>(g.indptr[n]));
    std::vector<std::int64_t> pos(g.indptr.begin(), g.indptr.end() - 1);
    for (std::int64_t k = 0; k < m; ++k) {
      if (!kept(k)) continue;
      const std::int64_t p = pos[rows[k]]++;
      g.indices[p] = cols[k];
      g.data[p] = w[k];
    }
    return;
  }
  std::vector<std::vector<std::int64_t>> local(static_cast<std::size_t>(threads));
  std::int64_t dropped = 0;
  // One contiguous range of edges per t, so the offsets below keep input order.
#pragma omp parallel for num_threads(threads) schedule(static, 1) reduction(+ : dropped)
  for (int t = 0; t < threads; ++t) {
    auto& c = local[t];
    c.assign(static_cast<std::size_t>(n), 0);
    const std::int64_t k0 = m * t / threads, k1 = m * (t + 1) / threads;
    for (std::int64_t k = k0; k < k1; ++k) {
      if (kept(k)) ++c[rows[k]];
      else ++dropped;
    }
  }
  loops = dropped;
  // local[t][i] becomes the offset of thread t's first entry within row i.
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t run = 0;
    for (int t = 0; t < threads; ++t) {
      const std::int64_t c = local[t][i];
      local[t][i] = run;
      run += c;
    }
    g.indptr[i + 1] = run;
  }
  for (std::int64_t i = 0; i < n; ++i) g.indptr[i + 1] += g.indptr[i];
  g.indices.resize(static_cast<std::size_t>(g.indptr[n]));
  g.data.resize(static_cast<std::size_t>(g.indptr[n]));
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int t = 0; t < threads; ++t) {
    auto& c = local[t];
    const std::int64_t k0 = m * t / threads, k1 = m * (t + 1) / threads;
    for (std::int64_t k = k0; k < k1; ++k) {
      if (!kept(k)) continue;
      const std::int64_t p = g.indptr[rows[k]] + c[rows[k]]++;
      g.indices[p] = cols[k];
      g.data[p] = w[k];
    }
  }
}

// Sorts one row by column (stably) and merges repeated columns in place;
// returns the new length.
std::int64_t merge_row(std::int32_t* col, float* w, std::int64_t len, DuplicateRule rule,
                       std::vector<std::pair<std::int32_t, float>>& tmp, bool& found_duplicate) {
  bool sorted = true;
  for (std::int64_t k = 1; k < len && sorted; ++k) sorted = col[k] > col[k - 1];
  if (sorted) return len;
  tmp.resize(static_cast<std::size_t>(len));
  for (std::int64_t k = 0; k < len; ++k) tmp[k] = {col[k], w[k]};
  if (len <= 32) {  // insertion sort: stable, and no allocation for the many short rows
    for (std::int64_t k = 1; k < len; ++k) {
      const auto x = tmp[k];
      std::int64_t j = k;
      for (; j > 0 && tmp[j - 1].first > x.first; --j) tmp[j] = tmp[j - 1];
      tmp[j] = x;
    }
  } else {
    std::stable_sort(tmp.begin(), tmp.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  std::int64_t out = 0;
  for (std::int64_t i = 0; i < len;) {
    std::int64_t j = i + 1;
    while (j < len && tmp[j].first == tmp[i].first) ++j;
    float v = tmp[i].second;
    if (j - i > 1) {
      found_duplicate = true;
      switch (rule) {
        case DuplicateRule::first:
        case DuplicateRule::error: break;
        case DuplicateRule::last: v = tmp[j - 1].second; break;
        case DuplicateRule::max:
          for (std::int64_t k = i + 1; k < j; ++k) v = std::max(v, tmp[k].second);
          break;
        case DuplicateRule::sum:
        case DuplicateRule::mean: {
          double sum = 0;
          for (std::int64_t k = i; k < j; ++k) sum += tmp[k].second;
          v = static_cast<float>(rule == DuplicateRule::sum ? sum : sum / static_cast<double>(j - i));
          break;
        }
      }
    }
    col[out] = tmp[i].first;
    w[out] = v;
    ++out;
    i = j;
  }
  return out;
}

}  // namespace

CsrBuildResult build_csr(RawEdges&& e, const CsrBuildOptions& o, const std::string& where) {
  CsrBuildResult res;
  Graph& g = res.graph;
  const std::int64_t m = static_cast<std::int64_t>(e.size());
  std::vector<std::int32_t> rows(static_cast<std::size_t>(m)), cols(static_cast<std::size_t>(m));
  if (o.fixed_n >= 0) {
    if (o.fixed_n > max_agents)
      throw DataError(where + ": " + std::to_string(o.fixed_n) + " agents do not fit 32-bit agent indices");
    g.n = o.fixed_n;
    g.id.resize(static_cast<std::size_t>(g.n));
    for (std::int64_t i = 0; i < g.n; ++i) g.id[i] = i + 1;
#pragma omp parallel for schedule(static) if (parallel_worth(m))
    for (std::int64_t k = 0; k < m; ++k) {
      rows[k] = static_cast<std::int32_t>(e.src[k] - 1);
      cols[k] = static_cast<std::int32_t>(e.dst[k] - 1);
    }
  } else {
    g.id = map_ids(e, rows, cols, where);
    g.n = static_cast<std::int64_t>(g.id.size());
  }
  release(e.src);
  release(e.dst);

  fill_rows(rows, cols, e.w, g.n, o.keep_self_loops, g, res.self_loops_dropped);
  release(rows);
  release(cols);
  release(e.w);

  // Sort and merge each row.
  const std::int64_t n = g.n;
  std::vector<std::int64_t> len(static_cast<std::size_t>(n) + 1, 0);
  std::int64_t first_dup_row = n;
#pragma omp parallel reduction(min : first_dup_row) if (parallel_worth(n))
  {
    std::vector<std::pair<std::int32_t, float>> tmp;
#pragma omp for schedule(dynamic, 1024)
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t b = g.indptr[i];
      bool dup = false;
      len[i + 1] = merge_row(g.indices.data() + b, g.data.data() + b, g.indptr[i + 1] - b, o.duplicates, tmp, dup);
      if (dup) first_dup_row = std::min(first_dup_row, i);
    }
  }
  if (first_dup_row < n && o.duplicates == DuplicateRule::error) {
    // The row is sorted now; its first repeated column is the pair to report.
    const std::int64_t b = g.indptr[first_dup_row], e_ = g.indptr[first_dup_row + 1];
    std::int32_t c = g.indices[b];
    for (std::int64_t k = b + 1; k < e_; ++k) {
      if (g.indices[k] == g.indices[k - 1]) {
        c = g.indices[k];
        break;
      }
    }
    res.duplicate_found = true;
    res.duplicate_source = g.id[first_dup_row];
    res.duplicate_target = g.id[c];
    return res;
  }
  if (first_dup_row < n) {
    for (std::int64_t i = 0; i < n; ++i) len[i + 1] += len[i];
    res.duplicates_merged = g.indptr[n] - len[n];
    std::vector<std::int32_t> indices(static_cast<std::size_t>(len[n]));
    std::vector<float> data(static_cast<std::size_t>(len[n]));
#pragma omp parallel for schedule(dynamic, 4096) if (parallel_worth(n))
    for (std::int64_t i = 0; i < n; ++i) {
      std::copy_n(g.indices.begin() + g.indptr[i], len[i + 1] - len[i], indices.begin() + len[i]);
      std::copy_n(g.data.begin() + g.indptr[i], len[i + 1] - len[i], data.begin() + len[i]);
    }
    g.indices = std::move(indices);
    g.data = std::move(data);
    g.indptr = std::move(len);
  }

  const std::int64_t nnz = g.nnz();
  float* w = g.data.data();
  float lo = std::numeric_limits<float>::infinity(), hi = -lo, big = 0;
#pragma omp parallel for schedule(static) reduction(min : lo) reduction(max : hi, big) if (parallel_worth(nnz))
  for (std::int64_t k = 0; k < nnz; ++k) {
    lo = std::min(lo, w[k]);
    hi = std::max(hi, w[k]);
    big = std::max(big, std::fabs(w[k]));
  }
  if (nnz > 0 && !(std::isfinite(lo) && std::isfinite(hi))) {
    // Name the first such pair by its original ids (every line was finite).
    const auto k = std::find_if(w, w + nnz, [](float v) { return !std::isfinite(v); }) - w;
    const auto row = std::upper_bound(g.indptr.begin(), g.indptr.end(), k) - g.indptr.begin() - 1;
    const auto id = [&g](std::int64_t agent) { return g.id.empty() ? agent : g.id[static_cast<std::size_t>(agent)]; };
    throw DataError(where + ": merging the duplicate edges " + std::to_string(id(row)) + " -> " +
                    std::to_string(id(g.indices[static_cast<std::size_t>(k)])) + " (--duplicates " +
                    std::string(to_string(o.duplicates)) + ") made a weight overflow float32");
  }
  if (o.scale_weights && big > 0) {
    res.weight_scale = big;
    const double s = big;
    std::int64_t vanished = 0;
#pragma omp parallel for schedule(static) reduction(+ : vanished) if (parallel_worth(nnz))
    for (std::int64_t k = 0; k < nnz; ++k) {
      const float scaled = static_cast<float>(w[k] / s) + 0.0f;  // + 0: a vanished negative weight is +0, not −0
      vanished += w[k] != 0.0f && scaled == 0.0f;
      w[k] = scaled;
    }
    res.scaled_to_zero = vanished;
    lo = static_cast<float>(lo / s);
    hi = static_cast<float>(hi / s);
  }
  res.weight_min = nnz ? lo : 0.0f;
  res.weight_max = nnz ? hi : 0.0f;
  return res;
}

CsrBuildOptions csr_build_options(const ImportOptions& o) {
  CsrBuildOptions bo;
  bo.keep_self_loops = o.keep_self_loops;
  bo.duplicates = o.duplicates;
  bo.scale_weights = o.scale_weights;
  return bo;
}

void note_parsed(ImportStats& st, const TextInput& in, const RawEdges& edges, std::int64_t parse_start_ns) {
  st.lines = in.line_number();
  st.bytes = in.bytes_read();
  st.compressed = in.compressed();
  st.edges_read = static_cast<std::int64_t>(edges.size());
  st.parse_seconds = seconds_since(parse_start_ns);
}

void note_built(ImportStats& st, const CsrBuildResult& res, std::int64_t build_start_ns) {
  st.self_loops_dropped = res.self_loops_dropped;
  st.duplicates_merged = res.duplicates_merged;
  st.weight_scale = res.weight_scale;
  st.scaled_to_zero = res.scaled_to_zero;
  st.weight_min = res.weight_min;
  st.weight_max = res.weight_max;
  st.build_seconds = seconds_since(build_start_ns);
}

}  // namespace trustprop::io::detail
