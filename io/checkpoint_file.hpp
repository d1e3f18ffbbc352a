// Checkpoint files (DESIGN §2 "Run directory", docs/checkpoint.md): an HDF5
// file of 1-D datasets streamed block by block from their owner (a callback
// fills each block, so no second copy of the state is ever held), with
// provenance attributes on the root, an XXH3-64 checksum per dataset and one
// over the header and the dataset checksums, and a `complete` mark written
// last. The file is written under a temporary name, fsynced and renamed
// (io::AtomicOutput): a checkpoint at its final name is whole.
//
// Each dataset is stored contiguously (no chunks) and written with few large
// writes, straight from the caller's memory when it is host memory; the
// kernel is asked to start writing pages back to the disk after each of
// them (sync_file_range), so that the fsync at the end finds little left to
// do and the disk works while the next dataset is prepared.
//
// Layout:
//   /  attrs: trustprop.format="checkpoint", trustprop.format_version=1,
//             trustprop.checkpoint_kind ("simulate", "rank eigentrust",
//             "rank personalized"; absent
//             in the first simulate checkpoints, meaning "simulate"),
//             trustprop.version, trustprop.git_revision, created, epoch, seed,
//             config, config_hash, graph, graph_content_hash, backend, device,
//             datasets (the dataset paths, one a line, in checksum order),
//             checksum ("xxh3:<16 hex>"), complete=1 (last)
//   <every dataset>  attrs: checksum ("xxh3:<16 hex>" of its raw bytes)
// What the datasets are is the writer's business (host/simulation_checkpoint).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/h5.hpp"

namespace trustprop::io {

inline constexpr std::int64_t checkpoint_format_version = 1;

// Elements are read, and written when they are not in host memory, in
// blocks of this many bytes.
inline constexpr std::int64_t checkpoint_block_bytes = 4 << 20;

// The element types a checkpoint dataset may have.
enum class ElementType { uint8, int64, float32, float64 };
std::size_t element_size(ElementType t);
const char* element_name(ElementType t);

// The root attributes. version, git_revision and created are set by
// write_checkpoint and read back by CheckpointReader.
struct CheckpointHeader {
  std::int64_t format_version = checkpoint_format_version;
  std::string kind = "simulate";  // the kind of run (host/checkpointing.hpp CheckpointSeries)
  std::int64_t epoch = 0;       // steps completed: epochs (simulate) or iterations (rank)
  std::uint64_t seed = 0;
  std::string config_text;      // the resolved configuration (TOML)
  std::string config_hash;      // hash of what in it decides the dynamics (host/checkpointing)
  std::string graph;            // graph path or generator description
  std::string graph_hash;       // the graph's content hash
  std::string backend, device;  // where the state was computed
  std::string version, git_revision, created;
};

// A dataset to write: either host_data, its elements in host memory, which
// are written from there, or fill(offset, count, dst), which copies elements
// [offset, offset + count) into dst, block by block.
struct DatasetSource {
  std::string name;  // absolute HDF5 path, e.g. "/state/r"; parent groups are created
  ElementType type;
  std::int64_t size;
  std::function<void(std::int64_t offset, std::int64_t count, void* dst)> fill;
  const void* host_data = nullptr;
};

// Receives a dataset block by block: store(offset, count, src).
using DatasetSink = std::function<void(std::int64_t offset, std::int64_t count, const void* src)>;

// Writes a checkpoint atomically (temporary name, fsync, rename, fsync of
// the directory). Throws IoError (naming the file and dataset) when writing
// fails; the temporary file is then removed and `path` is untouched.
void write_checkpoint(const std::string& path, const CheckpointHeader& header,
                      const std::vector<DatasetSource>& datasets);

// Opens a checkpoint and checks its structure: an HDF5 file whose format is
// "checkpoint" of this format version, with the complete mark, every header
// attribute and every listed dataset present with a supported type. Throws
// DataError (or NoInputError when it cannot be read) naming the file, the
// attribute or dataset, and what is wrong.
class CheckpointReader {
 public:
  explicit CheckpointReader(const std::string& path);

  const std::string& path() const { return file_.path(); }
  const CheckpointHeader& header() const { return header_; }
  bool has(const std::string& dataset) const;
  std::int64_t size(const std::string& dataset) const;  // elements; the dataset must be listed
  // Dataset paths listed under `group` (e.g. "/record/trust"), in file order.
  std::vector<std::string> datasets_under(const std::string& group) const;

  // Recomputes every checksum from the contents; throws DataError naming
  // the first dataset (or the header) whose checksum does not match.
  void verify() const;

  // Streams a listed dataset to `store`, checking its type and size
  // (expected_size < 0: any) and its checksum. Throws DataError.
  void read(const std::string& dataset, ElementType type, std::int64_t expected_size,
            const DatasetSink& store) const;

 private:
  struct Entry {
    std::string name;
    ElementType type;
    std::int64_t size;
    std::string checksum;
  };
  const Entry& entry(const std::string& dataset) const;
  std::string stream(const Entry& e, const DatasetSink& store) const;  // returns the recomputed checksum

  h5::File file_;
  CheckpointHeader header_;
  std::vector<Entry> entries_;
  std::string checksum_;
};

}  // namespace trustprop::io
