// The interaction pass of the city dynamics on the CPU (kernels::dyn_interact),
// in AVX-512 or scalar code. Both apply kernels/dynamics_rules.hpp's
// edge_step and give the same bits: the AVX-512 rows evaluate the same IEEE
// operations in the same order on 16 edges at a time (tests/test_dynamics_simd.cpp).
#pragma once

#include <cstdint>

#include "kernels/cpu/sell.hpp"
#include "kernels/dynamics.hpp"

namespace trustprop::kernels::cpu {

// Whether interact_rows runs `level` as SIMD code on this CPU (AVX-512 also
// needs the DQ and BW extensions); any other level runs the scalar rows.
bool interact_simd(Simd level);

// dyn_interact (kernels/dynamics.hpp) at SIMD level `level`, the rows
// shared among the OpenMP threads.
void interact_rows(Simd level, const DynamicsGraphView& g, const DynamicsRules& rules, std::uint32_t epoch,
                   const std::uint8_t* strategy, const double* pool_r, const double* pool_s, float* r, float* s,
                   EdgeRecord* record, double* inverse_row_sum, std::int32_t* tallies);

}  // namespace trustprop::kernels::cpu
