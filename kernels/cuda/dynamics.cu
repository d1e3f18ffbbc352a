// CUDA city dynamics kernels (kernels/dynamics.hpp; the CPU twin and
// reference is kernels/cpu/dynamics.cpp; the per-edge and per-agent rules,
// kernels/dynamics_rules.hpp, are the same code on both).
//
// Rows of W (dyn_interact) and of Wᵀ (dyn_tally) are processed one warp per
// row, lanes striding over the row; rows longer than dyn_long_row (a hub
// resident, a popular enterprise) are left to a second kernel that gives
// each of them a whole block (the lists come with the graph). Row results
// are integers (counters, 32-bit fixed-point local trust) summed by warp or
// block reductions, so they are exact in any order: the CPU and the GPU
// write the same outcomes, evidence, Cᵀ values, counters and pools. Each
// lane computes the Philox block of its own edge (four consecutive edges
// share one block): cheaper on a GPU than handing blocks between lanes.
// Agent steps are one thread per agent. Class sums for the metrics are
// per-block partials (fixed trees) added on the host in block order; the
// Gini coefficient sorts t with CUB's radix sort and sums with
// deterministic_sum. No floating-point atomics; reruns are bitwise identical.
#include "kernels/dynamics.hpp"

#include <cub/block/block_reduce.cuh>
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>
#include <cub/device/device_segmented_sort.cuh>
#include <cub/device/device_select.cuh>
#include <thrust/iterator/counting_iterator.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/error.hpp"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/executor.hpp"
#include "kernels/cuda/sum.cuh"
#include "kernels/dynamics_rules.hpp"

namespace trustprop::kernels::cuda {

namespace {

namespace dyn = dynamics_rules;

constexpr int warp_size = 32;
constexpr int row_threads = 256;  // warp-per-row kernels: 8 rows per block
constexpr int rows_per_block = row_threads / warp_size;
constexpr int long_threads = 512;  // block-per-row kernels
constexpr int agent_threads = 256;
constexpr int summary_threads = 256;

cudaStream_t stream_of(const CudaExecutor& exec) { return static_cast<cudaStream_t>(exec.stream()); }

unsigned int blocks_for(std::int64_t items, std::int64_t per_block) {
  return static_cast<unsigned int>((items + per_block - 1) / per_block);
}

// Asks a CUB device algorithm for its temporary storage, allocates it on the
// executor (stream-ordered), runs the algorithm, and releases it.
template <class Algorithm>
void run_cub(const CudaExecutor& exec, const char* name, Algorithm&& algorithm) {
  std::size_t bytes = 0;
  cudaError_t status = algorithm(nullptr, bytes);
  if (status != cudaSuccess) detail::throw_cuda_error(status, name, __FILE__, __LINE__);
  Array<std::uint8_t> temp(exec.shared_from_this(), std::max<std::size_t>(bytes, 1));
  status = algorithm(temp.data(), bytes);
  if (status != cudaSuccess) detail::throw_cuda_error(status, name, __FILE__, __LINE__);
}

__device__ int warp_sum_int(int v) {
  return static_cast<int>(__reduce_add_sync(0xffffffffu, static_cast<unsigned>(v)));
}

__device__ unsigned long long warp_sum_u64(unsigned long long v) {
#pragma unroll
  for (int offset = warp_size / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// ------------------------------------------------------------------ Wᵀ pattern

__global__ void count_columns(const std::int32_t* indices, std::int64_t nnz, unsigned long long* count) {
  for (std::int64_t k = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < nnz;
       k += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    atomicAdd(count + indices[k] + 1, 1ull);
}

__global__ void __launch_bounds__(row_threads)
    scatter_in_edges(CsrView w, unsigned long long* cursor, std::int32_t* source, RecordSlot* edge) {
  const std::int64_t row = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / warp_size;
  const int lane = static_cast<int>(threadIdx.x % warp_size);
  if (row >= w.rows) return;
  for (std::int64_t k = w.indptr[row] + lane; k < w.indptr[row + 1]; k += warp_size) {
    const auto pos = static_cast<std::int64_t>(atomicAdd(cursor + w.indices[k], 1ull));
    source[pos] = static_cast<std::int32_t>(row);
    edge[pos] = static_cast<RecordSlot>(k);
  }
}

// ------------------------------------------------------------------ interact

struct InteractArgs {
  DynamicsGraphView g;
  DynamicsRules rules;
  std::uint32_t epoch;
  const std::uint8_t* strategy;
  const double* pool_r;
  const double* pool_s;
  float* r;
  float* s;
  EdgeRecord* record;
  double* inverse_row_sum;
  std::int32_t* tallies;
};

struct RowCounts {
  int interactions = 0, received = 0, avoided = 0, avoided_defectors = 0;
  unsigned long long sum = 0;  // Σ local_trust: exact
};

// Entry k of row i: the edge step, its counters, and its record, parked
// until the row's sum is known (dynamics_rules::park_local; the same
// thread normalises it).
__device__ void interact_entry(const InteractArgs& a, std::int64_t k, RowCounts& rc) {
  const std::uint32_t draw = dyn::word_of(dyn::interaction_block(a.rules.seed, k, a.epoch), k);
  std::uint32_t local = 0;
  const std::uint8_t o =
      dyn::edge_step(a.g, a.rules, a.epoch, k, draw, a.strategy, a.pool_r, a.pool_s, a.r, a.s, local);
  dyn::park_local(a.record[dyn::record_slot(a.g, k)], local, o);
  rc.sum += local;
  rc.interactions += o >= outcome_cooperated;
  rc.received += o == outcome_cooperated;
  if (o == outcome_avoided) {
    ++rc.avoided;
    rc.avoided_defectors += a.strategy[a.g.indices[k]] == 0;
  }
}

__device__ void normalise_entry(const InteractArgs& a, std::int64_t k, double inverse) {
  dyn::normalise_parked(a.record[dyn::record_slot(a.g, k)], inverse);
}

__device__ void finish_row(const InteractArgs& a, std::int64_t i, const RowCounts& rc) {
  const std::int64_t n = a.g.n;
  a.inverse_row_sum[i] = dyn::inverse_of_sum(rc.sum);
  a.tallies[tally_interactions * n + i] = rc.interactions;
  a.tallies[tally_received * n + i] = rc.received;
  a.tallies[tally_avoided * n + i] = rc.avoided;
  a.tallies[tally_avoided_defectors * n + i] = rc.avoided_defectors;
}

__global__ void __launch_bounds__(row_threads) interact_rows(InteractArgs a) {
  const std::int64_t i = a.g.row_begin + (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / warp_size;
  const int lane = static_cast<int>(threadIdx.x % warp_size);
  if (i >= a.g.row_end) return;  // whole warps leave together
  const std::int64_t b = a.g.indptr[i], e = a.g.indptr[i + 1];
  if (e - b > dyn_long_row) return;  // interact_long_rows
  RowCounts rc;
  for (std::int64_t k = b + lane; k < e; k += warp_size) interact_entry(a, k, rc);
  rc.sum = warp_sum_u64(rc.sum);  // in every lane
  for (std::int64_t k = b + lane; k < e; k += warp_size) normalise_entry(a, k, dyn::inverse_of_sum(rc.sum));
  rc.interactions = warp_sum_int(rc.interactions);
  rc.received = warp_sum_int(rc.received);
  rc.avoided = warp_sum_int(rc.avoided);
  rc.avoided_defectors = warp_sum_int(rc.avoided_defectors);
  if (lane == 0) finish_row(a, i, rc);
}

template <class T>
__device__ T block_total(T v) {
  using Reduce = cub::BlockReduce<T, long_threads>;
  __shared__ typename Reduce::TempStorage temp;
  __shared__ T total;
  v = Reduce(temp).Sum(v);
  if (threadIdx.x == 0) total = v;
  __syncthreads();
  const T out = total;
  __syncthreads();  // temp and total are reused by the next call
  return out;
}

__global__ void __launch_bounds__(long_threads) interact_long_rows(InteractArgs a) {
  const std::int64_t i = a.g.long_rows[blockIdx.x];
  RowCounts rc;
  for (std::int64_t k = a.g.indptr[i] + threadIdx.x; k < a.g.indptr[i + 1]; k += long_threads)
    interact_entry(a, k, rc);
  rc.sum = block_total<unsigned long long>(rc.sum);  // in every thread
  for (std::int64_t k = a.g.indptr[i] + threadIdx.x; k < a.g.indptr[i + 1]; k += long_threads)
    normalise_entry(a, k, dyn::inverse_of_sum(rc.sum));
  rc.interactions = block_total<int>(rc.interactions);
  rc.received = block_total<int>(rc.received);
  rc.avoided = block_total<int>(rc.avoided);
  rc.avoided_defectors = block_total<int>(rc.avoided_defectors);
  if (threadIdx.x == 0) finish_row(a, i, rc);
}

// ------------------------------------------------------------------ tally

struct TallyArgs {
  DynamicsGraphView g;
  float forgetting;
  const EdgeRecord* record;
  float* ct_values;
  std::int32_t* tallies;
  double* pool_r;
  double* pool_s;
};

struct ProviderCounts {
  int given = 0, defections = 0, fines = 0, refused = 0;
};

__device__ void tally_entry(const TallyArgs& a, std::int64_t q, ProviderCounts& pc) {
  const EdgeRecord rec = a.record[a.g.in_slot[q]];
  a.ct_values[q] = rec.trust;
  pc.given += rec.outcome == outcome_cooperated;
  pc.defections += rec.outcome >= outcome_defected;
  pc.fines += rec.outcome == outcome_defected_detected;
  pc.refused += rec.outcome == outcome_avoided;
}

__device__ void finish_provider(const TallyArgs& a, std::int64_t j, const ProviderCounts& pc) {
  const std::int64_t n = a.g.n;
  a.tallies[tally_given * n + j] = pc.given;
  a.tallies[tally_defections * n + j] = pc.defections;
  a.tallies[tally_fines * n + j] = pc.fines;
  a.tallies[tally_refused * n + j] = pc.refused;
  if (a.g.registered[j]) {
    a.pool_r[j] = dyn::pool_update(a.forgetting, a.pool_r[j], pc.given);
    a.pool_s[j] = dyn::pool_update(a.forgetting, a.pool_s[j], pc.defections);
  }
}

__global__ void __launch_bounds__(row_threads) tally_rows(TallyArgs a) {
  const std::int64_t j = a.g.in_row_begin + (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / warp_size;
  const int lane = static_cast<int>(threadIdx.x % warp_size);
  if (j >= a.g.in_row_end) return;
  const std::int64_t b = a.g.in_indptr[j], e = a.g.in_indptr[j + 1];
  if (e - b > dyn_long_row) return;  // tally_long_rows
  ProviderCounts pc;
  for (std::int64_t q = b + lane; q < e; q += warp_size) tally_entry(a, q, pc);
  pc.given = warp_sum_int(pc.given);
  pc.defections = warp_sum_int(pc.defections);
  pc.fines = warp_sum_int(pc.fines);
  pc.refused = warp_sum_int(pc.refused);
  if (lane == 0) finish_provider(a, j, pc);
}

__global__ void __launch_bounds__(long_threads) tally_long_rows(TallyArgs a) {
  const std::int64_t j = a.g.long_in_rows[blockIdx.x];
  ProviderCounts pc;
  for (std::int64_t q = a.g.in_indptr[j] + threadIdx.x; q < a.g.in_indptr[j + 1]; q += long_threads)
    tally_entry(a, q, pc);
  pc.given = block_total<int>(pc.given);
  pc.defections = block_total<int>(pc.defections);
  pc.fines = block_total<int>(pc.fines);
  pc.refused = block_total<int>(pc.refused);
  if (threadIdx.x == 0) finish_provider(a, j, pc);
}

// ------------------------------------------------------------------ agents

__global__ void payoffs(std::int64_t n, DynamicsRules rules, const std::int32_t* tallies, const double* t,
                        double* payoff) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  payoff[i] = dyn::payoff_of(rules, tallies[tally_received * n + i], tallies[tally_given * n + i],
                             tallies[tally_fines * n + i], t[i]);
}

__global__ void imitations(DynamicsGraphView g, DynamicsRules rules, std::uint32_t epoch,
                           const std::uint8_t* strategy, const double* payoff, std::uint8_t* next,
                           std::int32_t* model) {
  const std::int64_t i = g.row_begin + static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= g.row_end) return;
  const dyn::Imitation m = dyn::imitation_step(g, rules, epoch, i, strategy, payoff);
  next[i] = m.next;
  model[i] = m.model;
}

// Per-block partials of the summary: doubles (trust and payoff per group)
// and integers (counts and tallies per group, imitations, switches).
constexpr int summary_doubles = 2 * DynamicsSummary::groups;
constexpr int summary_ints = DynamicsSummary::groups * (1 + tally_count) + 2;

__global__ void __launch_bounds__(summary_threads)
    summary_blocks(DynamicsGraphView g, const std::uint8_t* played, const std::uint8_t* next,
                   const std::int32_t* model, const double* payoff, const double* t, const std::int32_t* tallies,
                   double* partial_doubles, long long* partial_ints) {
  using ReduceD = cub::BlockReduce<double, summary_threads>;
  using ReduceI = cub::BlockReduce<long long, summary_threads>;
  __shared__ union {
    typename ReduceD::TempStorage d;
    typename ReduceI::TempStorage i;
  } temp;
  const std::int64_t n = g.n;
  const std::int64_t begin = static_cast<std::int64_t>(blockIdx.x) * reduction_block;
  const std::int64_t end = begin + reduction_block < n ? begin + reduction_block : n;
  double d[summary_doubles] = {};
  long long v[summary_ints] = {};
  for (std::int64_t i = begin + threadIdx.x; i < end; i += summary_threads) {
    const int grp = dyn::summary_group(g.kind[i], g.registered[i], played[i]);
    d[grp] += t[i];
    d[DynamicsSummary::groups + grp] += payoff[i];
    ++v[grp];
    for (int k = 0; k < tally_count; ++k) v[DynamicsSummary::groups + grp * tally_count + k] += tallies[k * n + i];
    if (model[i] >= 0) {
      ++v[summary_ints - 2];
      v[summary_ints - 1] += next[i] != played[i];
    }
  }
#pragma unroll
  for (int k = 0; k < summary_doubles; ++k) {
    const double total = ReduceD(temp.d).Sum(d[k]);
    if (threadIdx.x == 0) partial_doubles[static_cast<std::int64_t>(blockIdx.x) * summary_doubles + k] = total;
    __syncthreads();
  }
#pragma unroll
  for (int k = 0; k < summary_ints; ++k) {
    const long long total = ReduceI(temp.i).Sum(v[k]);
    if (threadIdx.x == 0) partial_ints[static_cast<std::int64_t>(blockIdx.x) * summary_ints + k] = total;
    __syncthreads();
  }
}

__global__ void ranked_values(const double* sorted, std::int64_t n, double* out) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = static_cast<double>(i + 1) * sorted[i];
}

struct IsDangling {
  const double* inverse_row_sum;
  __device__ bool operator()(std::int32_t i) const { return inverse_row_sum[i] == 0.0; }
};

__global__ void random_words(std::uint64_t seed, std::uint32_t purpose, std::uint32_t epoch, std::int64_t count,
                             std::uint32_t* words) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const rng::Words4 w = rng::draw4(seed, purpose, static_cast<std::uint64_t>(i), epoch);
  for (int k = 0; k < 4; ++k) words[4 * i + k] = w.w[k];
}

}  // namespace

InPattern dyn_in_pattern(const CudaExecutor& exec, const CsrView& w) {
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  const cudaStream_t stream = stream_of(exec);
  const auto ex = exec.shared_from_this();
  const std::int64_t n = w.rows, nnz = w.nnz;
  TRUSTPROP_ASSERT(nnz < dyn_max_ties, "dyn_in_pattern: 32-bit record slots hold fewer than 2^32 ties");
  InPattern p;
  p.indptr = Array<std::int64_t>(ex, static_cast<std::size_t>(n) + 1);
  p.source = Array<std::int32_t>(ex, static_cast<std::size_t>(nnz));
  p.in_slot = Array<RecordSlot>(ex, static_cast<std::size_t>(nnz));  // records in W order: slot = edge
  std::int64_t* indptr = p.indptr.data();
  auto* counts = reinterpret_cast<unsigned long long*>(indptr);
  static_assert(sizeof(unsigned long long) == sizeof(std::int64_t));
  TRUSTPROP_CUDA_CHECK(cudaMemsetAsync(indptr, 0, (static_cast<std::size_t>(n) + 1) * sizeof(std::int64_t), stream));
  if (nnz == 0 || n == 0) return p;

  count_columns<<<blocks_for(std::min<std::int64_t>(nnz, std::int64_t{1} << 24), 256), 256, 0, stream>>>(
      w.indices, nnz, counts);
  TRUSTPROP_CUDA_CHECK_LAUNCH();
  run_cub(exec, "cub::DeviceScan::InclusiveSum", [&](void* temp, std::size_t& bytes) {
    return cub::DeviceScan::InclusiveSum(temp, bytes, indptr, n + 1, stream);
  });
  {
    Array<std::int64_t> cursor(ex, static_cast<std::size_t>(n));
    exec.copy(cursor.data(), indptr, static_cast<std::size_t>(n) * sizeof(std::int64_t));
    scatter_in_edges<<<blocks_for(n, rows_per_block), row_threads, 0, stream>>>(
        w, reinterpret_cast<unsigned long long*>(cursor.data()), p.source.data(), p.in_slot.data());
    TRUSTPROP_CUDA_CHECK_LAUNCH();
  }
  // Order every row of Wᵀ by customer (sources are unique within a row).
  Array<std::int32_t> source_alt(ex, static_cast<std::size_t>(nnz));
  Array<RecordSlot> edge_alt(ex, static_cast<std::size_t>(nnz));
  cub::DoubleBuffer<std::int32_t> keys(p.source.data(), source_alt.data());
  cub::DoubleBuffer<RecordSlot> values(p.in_slot.data(), edge_alt.data());
  run_cub(exec, "cub::DeviceSegmentedSort::SortPairs", [&](void* temp, std::size_t& bytes) {
    return cub::DeviceSegmentedSort::SortPairs(temp, bytes, keys, values, nnz, n, indptr, indptr + 1, stream);
  });
  if (keys.Current() != p.source.data()) std::swap(p.source, source_alt);
  if (values.Current() != p.in_slot.data()) std::swap(p.in_slot, edge_alt);
  exec.synchronize();
  return p;
}

void dyn_sell_lanes(const CudaExecutor&, InPattern&) {}  // the GPU's Cᵀ stays CSR

void dyn_interact(const CudaExecutor& exec, const DynamicsGraphView& g, const DynamicsRules& rules,
                  std::uint32_t epoch, const std::uint8_t* strategy, const double* pool_r, const double* pool_s,
                  float* r, float* s, EdgeRecord* record, double* inverse_row_sum, std::int32_t* tallies) {
  if (g.row_end == g.row_begin) return;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  const cudaStream_t stream = stream_of(exec);
  const InteractArgs a{g, rules, epoch, strategy, pool_r, pool_s, r, s, record, inverse_row_sum, tallies};
  interact_rows<<<blocks_for(g.row_end - g.row_begin, rows_per_block), row_threads, 0, stream>>>(a);
  TRUSTPROP_CUDA_CHECK_LAUNCH();
  if (g.n_long_rows > 0) {
    interact_long_rows<<<static_cast<unsigned int>(g.n_long_rows), long_threads, 0, stream>>>(a);
    TRUSTPROP_CUDA_CHECK_LAUNCH();
  }
}

void dyn_tally(const CudaExecutor& exec, const DynamicsGraphView& g, const DynamicsRules& rules,
               const EdgeRecord* record, float* ct_values, std::int32_t* tallies, double* pool_r, double* pool_s) {
  if (g.in_row_end == g.in_row_begin) return;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  const cudaStream_t stream = stream_of(exec);
  const TallyArgs a{g, rules.forgetting, record, ct_values, tallies, pool_r, pool_s};
  tally_rows<<<blocks_for(g.in_row_end - g.in_row_begin, rows_per_block), row_threads, 0, stream>>>(a);
  TRUSTPROP_CUDA_CHECK_LAUNCH();
  if (g.n_long_in_rows > 0) {
    tally_long_rows<<<static_cast<unsigned int>(g.n_long_in_rows), long_threads, 0, stream>>>(a);
    TRUSTPROP_CUDA_CHECK_LAUNCH();
  }
}

std::int64_t dyn_dangling(const CudaExecutor& exec, std::int64_t n, const double* inverse_row_sum,
                          std::int32_t* list) {
  if (n == 0) return 0;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  const cudaStream_t stream = stream_of(exec);
  Array<std::int64_t> count(exec.shared_from_this(), 1);
  run_cub(exec, "cub::DeviceSelect::If", [&](void* temp, std::size_t& bytes) {
    return cub::DeviceSelect::If(temp, bytes, thrust::counting_iterator<std::int32_t>(0), list, count.data(), n,
                                 IsDangling{inverse_row_sum}, stream);
  });
  std::int64_t selected = 0;
  exec.copy_to_host(&selected, count.data(), sizeof selected);
  return selected;
}

void dyn_payoff(const CudaExecutor& exec, std::int64_t n, const DynamicsRules& rules, const std::int32_t* tallies,
                const double* t, double* payoff) {
  if (n == 0) return;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  payoffs<<<blocks_for(n, agent_threads), agent_threads, 0, stream_of(exec)>>>(n, rules, tallies, t, payoff);
  TRUSTPROP_CUDA_CHECK_LAUNCH();
}

void dyn_imitate(const CudaExecutor& exec, const DynamicsGraphView& g, const DynamicsRules& rules,
                 std::uint32_t epoch, const std::uint8_t* strategy, const double* payoff, std::uint8_t* next,
                 std::int32_t* model) {
  if (g.row_end == g.row_begin) return;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  imitations<<<blocks_for(g.row_end - g.row_begin, agent_threads), agent_threads, 0, stream_of(exec)>>>(g, rules, epoch, strategy,
                                                                                     payoff, next, model);
  TRUSTPROP_CUDA_CHECK_LAUNCH();
}

DynamicsSummary dyn_summary(const CudaExecutor& exec, const DynamicsGraphView& g, const std::uint8_t* played,
                            const std::uint8_t* next, const std::int32_t* model, const double* payoff,
                            const double* t, const std::int32_t* tallies) {
  DynamicsSummary total;
  if (g.n == 0) return total;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  const auto ex = exec.shared_from_this();
  const std::int64_t blocks = (g.n + reduction_block - 1) / reduction_block;
  Array<double> doubles(ex, static_cast<std::size_t>(blocks * summary_doubles));
  Array<long long> ints(ex, static_cast<std::size_t>(blocks * summary_ints));
  summary_blocks<<<static_cast<unsigned int>(blocks), summary_threads, 0, stream_of(exec)>>>(
      g, played, next, model, payoff, t, tallies, doubles.data(), ints.data());
  TRUSTPROP_CUDA_CHECK_LAUNCH();
  const std::vector<double> d = doubles.to_host();
  const std::vector<long long> v = ints.to_host();
  // Block partials added in block order.
  for (std::int64_t b = 0; b < blocks; ++b) {
    const double* pd = d.data() + b * summary_doubles;
    const long long* pv = v.data() + b * summary_ints;
    for (int k = 0; k < DynamicsSummary::groups; ++k) {
      total.trust[k] += pd[k];
      total.payoff[k] += pd[DynamicsSummary::groups + k];
      total.count[k] += pv[k];
      for (int t = 0; t < tally_count; ++t) total.tally[k][t] += pv[DynamicsSummary::groups + k * tally_count + t];
    }
    total.imitations += pv[summary_ints - 2];
    total.switches += pv[summary_ints - 1];
  }
  return total;
}

TrustInequality dyn_trust_inequality(const CudaExecutor& exec, std::int64_t n, const double* t) {
  TrustInequality out;
  if (n == 0) return out;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  const cudaStream_t stream = stream_of(exec);
  const auto ex = exec.shared_from_this();
  Array<double> sorted(ex, static_cast<std::size_t>(n)), ranked(ex, static_cast<std::size_t>(n));
  run_cub(exec, "cub::DeviceRadixSort::SortKeys", [&](void* temp, std::size_t& bytes) {
    return cub::DeviceRadixSort::SortKeys(temp, bytes, t, sorted.data(), n, 0, 64, stream);
  });
  const double total = deterministic_sum(exec, sorted.data(), n);
  if (!(total > 0.0)) return out;
  ranked_values<<<blocks_for(n, agent_threads), agent_threads, 0, stream>>>(sorted.data(), n, ranked.data());
  TRUSTPROP_CUDA_CHECK_LAUNCH();
  const double weighted = deterministic_sum(exec, ranked.data(), n);
  const auto nd = static_cast<double>(n);
  out.gini = 2.0 * weighted / (nd * total) - (nd + 1.0) / nd;
  const std::int64_t top = (n + 99) / 100;
  out.top1_share = deterministic_sum(exec, sorted.data() + (n - top), top) / total;
  return out;
}

void dyn_random_words(const CudaExecutor& exec, std::uint64_t seed, std::uint32_t purpose, std::uint32_t epoch,
                      std::int64_t count, std::uint32_t* words) {
  if (count == 0) return;
  TRUSTPROP_CUDA_CHECK(cudaSetDevice(exec.device()));
  random_words<<<blocks_for(count, agent_threads), agent_threads, 0, stream_of(exec)>>>(seed, purpose, epoch, count,
                                                                                        words);
  TRUSTPROP_CUDA_CHECK_LAUNCH();
}

}  // namespace trustprop::kernels::cuda
