// Checkpoint files (io/checkpoint_file.hpp): contiguous HDF5 datasets
// written in large pieces with XXH3-64 checksums and early write-back, and
// reads that check structure and checksums.
#include "io/checkpoint_file.hpp"

#include <fcntl.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>

#include "common/error.hpp"
#include "common/utc_time.hpp"
#include "common/version.hpp"
#include "io/atomic_output.hpp"

namespace trustprop::io {

namespace {

using h5::Handle;

hid_t native(ElementType t) {
  switch (t) {
    case ElementType::uint8: return H5T_NATIVE_UINT8;
    case ElementType::int64: return H5T_NATIVE_INT64;
    case ElementType::float32: return H5T_NATIVE_FLOAT;
    case ElementType::float64: return H5T_NATIVE_DOUBLE;
  }
  return H5T_NATIVE_UINT8;
}

// The element type of a dataset in the file, if it is one of ours.
bool element_type_of(hid_t file_type, ElementType& out) {
  const H5T_class_t cls = H5Tget_class(file_type);
  const std::size_t size = H5Tget_size(file_type);
  if (cls == H5T_INTEGER && size == 1 && H5Tget_sign(file_type) == H5T_SGN_NONE) out = ElementType::uint8;
  else if (cls == H5T_INTEGER && size == 8 && H5Tget_sign(file_type) == H5T_SGN_2) out = ElementType::int64;
  else if (cls == H5T_FLOAT && size == 4) out = ElementType::float32;
  else if (cls == H5T_FLOAT && size == 8) out = ElementType::float64;
  else return false;
  return true;
}

std::string hex(XXH64_hash_t h) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "xxh3:%016llx", static_cast<unsigned long long>(h));
  return buf;
}

struct XxhState {
  XxhState() : s(XXH3_createState()) { XXH3_64bits_reset(s); }
  ~XxhState() { XXH3_freeState(s); }
  XxhState(const XxhState&) = delete;
  XxhState& operator=(const XxhState&) = delete;
  void add(const void* p, std::size_t n) { XXH3_64bits_update(s, p, n); }
  void add(std::int64_t v) { add(&v, sizeof v); }
  void add(const std::string& v) {  // length-prefixed, so that field boundaries count
    add(static_cast<std::int64_t>(v.size()));
    add(v.data(), v.size());
  }
  std::string digest() const { return hex(XXH3_64bits_digest(s)); }
  XXH3_state_t* s;
};

struct ListedDataset {
  std::string name;
  ElementType type;
  std::int64_t size;
  std::string checksum;
};

// The checksum over the header and the datasets' checksums.
std::string header_checksum(const CheckpointHeader& h, const std::vector<ListedDataset>& datasets) {
  XxhState x;
  x.add(h.format_version);
  if (h.kind != "simulate") x.add(h.kind);  // the first checkpoints (all of simulate) had no kind
  x.add(h.epoch);
  x.add(static_cast<std::int64_t>(h.seed));
  for (const std::string* s : {&h.config_text, &h.config_hash, &h.graph, &h.graph_hash, &h.backend, &h.device,
                               &h.version, &h.git_revision, &h.created})
    x.add(*s);
  for (const ListedDataset& d : datasets) {
    x.add(d.name);
    x.add(static_cast<std::int64_t>(d.type));
    x.add(d.size);
    x.add(d.checksum);
  }
  return x.digest();
}

void ensure_parents(h5::File& f, const std::string& dataset) {
  std::size_t pos = 0;
  while ((pos = dataset.find('/', pos + 1)) != std::string::npos) {
    const std::string group = dataset.substr(0, pos);
    if (!f.exists(group)) f.create_group(group);
  }
}

std::int64_t block_elements(ElementType t) {
  return checkpoint_block_bytes / static_cast<std::int64_t>(element_size(t));
}

// Host data are written in pieces of this many bytes: few HDF5 calls, and
// write-back of one piece starts while the next is hashed and written.
constexpr std::int64_t piece_bytes = 64 << 20;

// Asks the kernel to start writing the file's dirty pages to the disk
// without waiting (sync_file_range), so that writing overlaps the disk.
class WriteBehind {
 public:
  explicit WriteBehind(const h5::File& f) {
    Handle fapl(H5Fget_access_plist(f.id()));
    void* handle = nullptr;
    // Only the default (sec2) driver's handle is a file descriptor.
    if (H5Pget_driver(fapl.get()) == H5FD_SEC2 && H5Fget_vfd_handle(f.id(), fapl.get(), &handle) >= 0 && handle)
      fd_ = *static_cast<int*>(handle);
  }
  void start() const {
    if (fd_ >= 0) ::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
  }

 private:
  int fd_ = -1;
};

// Writes elements [offset, offset + count) of a dataset from `src`.
void write_elements(hid_t ds, ElementType type, std::int64_t offset, std::int64_t count, const void* src,
                    const std::string& where) {
  Handle fspace(H5Dget_space(ds));
  const hsize_t start[1] = {static_cast<hsize_t>(offset)}, cnt[1] = {static_cast<hsize_t>(count)};
  H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, cnt, nullptr);
  Handle mspace(H5Screate_simple(1, cnt, nullptr));
  errno = 0;
  if (H5Dwrite(ds, native(type), mspace.get(), fspace.get(), H5P_DEFAULT, src) < 0)
    throw IoError(where + ": write failed" + (errno ? std::string(": ") + std::strerror(errno) : std::string()) +
                  (errno == ENOSPC || errno == EFBIG || errno == 0 ? " (disk full?)" : ""));
}

// Creates a contiguous 1-D dataset of `d.size` elements and writes it, from
// d.host_data in pieces or from d.fill block by block through `buffer`;
// returns its checksum.
std::string write_dataset(h5::File& f, const DatasetSource& d, std::vector<unsigned char>& buffer,
                          const WriteBehind& write_behind) {
  const std::string where = f.path() + ": dataset " + d.name;
  ensure_parents(f, d.name);
  const hsize_t dims[1] = {static_cast<hsize_t>(d.size)};
  Handle space(H5Screate_simple(1, dims, nullptr));
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_obj_track_times(dcpl.get(), false);
  H5Pset_layout(dcpl.get(), H5D_CONTIGUOUS);
  H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER);  // every element is written
  Handle ds(H5Dcreate2(f.id(), d.name.c_str(), native(d.type), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT));
  if (!ds.valid()) throw IoError(where + ": cannot create");
  XxhState x;
  const std::size_t esize = element_size(d.type);
  const auto* host = static_cast<const unsigned char*>(d.host_data);
  const std::int64_t step = host ? piece_bytes / static_cast<std::int64_t>(esize) : block_elements(d.type);
  for (std::int64_t off = 0; off < d.size; off += step) {
    const std::int64_t count = std::min(step, d.size - off);
    const unsigned char* src = host ? host + static_cast<std::size_t>(off) * esize : buffer.data();
    if (!host) d.fill(off, count, buffer.data());
    x.add(src, static_cast<std::size_t>(count) * esize);
    write_elements(ds.get(), d.type, off, count, src, where);
    write_behind.start();
  }
  return x.digest();
}

std::string required_string(const h5::File& f, const std::string& name) {
  auto v = f.read_attr_string("/", name);
  if (!v) throw DataError(f.path() + ": root attribute " + name + " is missing (not a complete trustprop checkpoint)");
  return *v;
}

std::int64_t required_int(const h5::File& f, const std::string& name) {
  auto v = f.read_attr_int("/", name);
  if (!v) throw DataError(f.path() + ": root attribute " + name + " is missing (not a complete trustprop checkpoint)");
  return *v;
}

}  // namespace

std::size_t element_size(ElementType t) {
  switch (t) {
    case ElementType::uint8: return 1;
    case ElementType::int64: return 8;
    case ElementType::float32: return 4;
    case ElementType::float64: return 8;
  }
  return 1;
}

const char* element_name(ElementType t) {
  switch (t) {
    case ElementType::uint8: return "uint8";
    case ElementType::int64: return "int64";
    case ElementType::float32: return "float32";
    case ElementType::float64: return "float64";
  }
  return "?";
}

void write_checkpoint(const std::string& path, const CheckpointHeader& header,
                      const std::vector<DatasetSource>& datasets) {
  AtomicOutput out(path);
  CheckpointHeader h = header;
  h.format_version = checkpoint_format_version;
  h.version = version_string;
  h.git_revision = git_revision;
  h.created = utc_iso8601();
  {
    h5::File f = h5::File::create(out.temp_path(), out.target());
    const WriteBehind write_behind(f);
    const bool any_fill = std::any_of(datasets.begin(), datasets.end(), [](const auto& d) { return !d.host_data; });
    std::vector<unsigned char> buffer(any_fill ? static_cast<std::size_t>(checkpoint_block_bytes) : 0);
    std::vector<ListedDataset> listed;
    std::string names;
    for (const DatasetSource& d : datasets) {
      const std::string sum = write_dataset(f, d, buffer, write_behind);
      f.write_attr(d.name, "checksum", sum);
      listed.push_back({d.name, d.type, d.size, sum});
      names += d.name + "\n";
    }
    f.write_attr("/", "trustprop.format", std::string("checkpoint"));
    f.write_attr("/", "trustprop.format_version", h.format_version);
    f.write_attr("/", "trustprop.checkpoint_kind", h.kind);
    f.write_attr("/", "trustprop.version", h.version);
    f.write_attr("/", "trustprop.git_revision", h.git_revision);
    f.write_attr("/", "created", h.created);
    f.write_attr("/", "epoch", h.epoch);
    f.write_attr("/", "seed", static_cast<std::int64_t>(h.seed));
    f.write_attr("/", "config", h.config_text);
    f.write_attr("/", "config_hash", h.config_hash);
    f.write_attr("/", "graph", h.graph);
    f.write_attr("/", "graph_content_hash", h.graph_hash);
    f.write_attr("/", "backend", h.backend);
    f.write_attr("/", "device", h.device);
    f.write_attr("/", "datasets", names);
    f.write_attr("/", "checksum", header_checksum(h, listed));
    f.write_attr("/", "complete", std::int64_t{1});  // last: a file without it was cut short
    f.flush();
    f.close();
  }
  out.commit();
}

CheckpointReader::CheckpointReader(const std::string& path) : file_(h5::File::open_read(path)) {
  const h5::File& f = file_;
  const std::string format = f.read_attr_string("/", "trustprop.format").value_or("");
  if (format != "checkpoint")
    throw DataError(path + ": not a trustprop checkpoint (root attribute trustprop.format is " +
                    (format.empty() ? std::string("missing") : "\"" + format + "\"") + ")");
  header_.format_version = required_int(f, "trustprop.format_version");
  if (header_.format_version != checkpoint_format_version)
    throw DataError(path + ": checkpoint format version " + std::to_string(header_.format_version) +
                    " (root attribute trustprop.format_version); this trustprop reads version " +
                    std::to_string(checkpoint_format_version));
  if (f.read_attr_int("/", "complete").value_or(0) != 1)
    throw DataError(path + ": incomplete checkpoint: root attribute complete is missing (its write was cut short)");
  header_.kind = f.read_attr_string("/", "trustprop.checkpoint_kind").value_or("simulate");
  header_.version = required_string(f, "trustprop.version");
  header_.git_revision = required_string(f, "trustprop.git_revision");
  header_.created = required_string(f, "created");
  header_.epoch = required_int(f, "epoch");
  header_.seed = static_cast<std::uint64_t>(required_int(f, "seed"));
  header_.config_text = required_string(f, "config");
  header_.config_hash = required_string(f, "config_hash");
  header_.graph = required_string(f, "graph");
  header_.graph_hash = required_string(f, "graph_content_hash");
  header_.backend = required_string(f, "backend");
  header_.device = required_string(f, "device");
  checksum_ = required_string(f, "checksum");
  if (header_.epoch < 0) throw DataError(path + ": root attribute epoch is negative");

  std::istringstream names(required_string(f, "datasets"));
  for (std::string name; std::getline(names, name);) {
    if (name.empty()) continue;
    const std::string where = path + ": dataset " + name;
    if (!f.exists(name)) throw DataError(where + " is listed in the root attribute datasets but missing");
    Handle ds(H5Dopen2(f.id(), name.c_str(), H5P_DEFAULT));
    if (!ds.valid()) throw DataError(where + " is not a dataset");
    Handle type(H5Dget_type(ds.get()));
    Entry e{name, ElementType::uint8, f.size_1d(name), ""};
    if (!element_type_of(type.get(), e.type))
      throw DataError(where + " has an unsupported element type (expected uint8, int64, float32 or float64)");
    auto sum = f.read_attr_string(name, "checksum");
    if (!sum) throw DataError(where + ": attribute checksum is missing");
    e.checksum = *sum;
    entries_.push_back(std::move(e));
  }
}

bool CheckpointReader::has(const std::string& dataset) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.name == dataset; });
}

const CheckpointReader::Entry& CheckpointReader::entry(const std::string& dataset) const {
  for (const Entry& e : entries_)
    if (e.name == dataset) return e;
  throw DataError(path() + ": dataset " + dataset + " is missing");
}

std::int64_t CheckpointReader::size(const std::string& dataset) const { return entry(dataset).size; }

std::vector<std::string> CheckpointReader::datasets_under(const std::string& group) const {
  std::vector<std::string> out;
  const std::string prefix = group + "/";
  for (const Entry& e : entries_)
    if (e.name.compare(0, prefix.size(), prefix) == 0) out.push_back(e.name);
  return out;
}

std::string CheckpointReader::stream(const Entry& e, const DatasetSink& store) const {
  const std::string where = path() + ": dataset " + e.name;
  Handle ds(H5Dopen2(file_.id(), e.name.c_str(), H5P_DEFAULT));
  if (!ds.valid()) throw DataError(where + " cannot be opened");
  const std::int64_t block = block_elements(e.type);
  const std::size_t esize = element_size(e.type);
  std::vector<unsigned char> buffer(static_cast<std::size_t>(std::min(block, std::max<std::int64_t>(e.size, 1))) *
                                    esize);
  XxhState x;
  for (std::int64_t off = 0; off < e.size; off += block) {
    const std::int64_t count = std::min(block, e.size - off);
    Handle fspace(H5Dget_space(ds.get()));
    const hsize_t start[1] = {static_cast<hsize_t>(off)}, cnt[1] = {static_cast<hsize_t>(count)};
    H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, cnt, nullptr);
    Handle mspace(H5Screate_simple(1, cnt, nullptr));
    if (H5Dread(ds.get(), native(e.type), mspace.get(), fspace.get(), H5P_DEFAULT, buffer.data()) < 0)
      throw DataError(where + ": read failed at element " + std::to_string(off) + " (file truncated or corrupted)");
    x.add(buffer.data(), static_cast<std::size_t>(count) * esize);
    if (store) store(off, count, buffer.data());
  }
  return x.digest();
}

void CheckpointReader::verify() const {
  std::vector<ListedDataset> listed;
  for (const Entry& e : entries_) {
    const std::string sum = stream(e, nullptr);
    if (sum != e.checksum)
      throw DataError(path() + ": dataset " + e.name + ": checksum mismatch (stored " + e.checksum + ", contents " +
                      sum + "): the data are corrupted");
    listed.push_back({e.name, e.type, e.size, e.checksum});
  }
  const std::string sum = header_checksum(header_, listed);
  if (sum != checksum_)
    throw DataError(path() + ": root attribute checksum does not match the header and dataset checksums (stored " +
                    checksum_ + ", computed " + sum + "): the attributes are corrupted");
}

void CheckpointReader::read(const std::string& dataset, ElementType type, std::int64_t expected_size,
                            const DatasetSink& store) const {
  const Entry& e = entry(dataset);
  const std::string where = path() + ": dataset " + dataset;
  if (e.type != type)
    throw DataError(where + " has element type " + element_name(e.type) + ", expected " + element_name(type));
  if (expected_size >= 0 && e.size != expected_size)
    throw DataError(where + " has " + std::to_string(e.size) + " elements, expected " +
                    std::to_string(expected_size));
  const std::string sum = stream(e, store);
  if (sum != e.checksum)
    throw DataError(where + ": checksum mismatch (stored " + e.checksum + ", contents " + sum +
                    "): the data are corrupted");
}

}  // namespace trustprop::io
