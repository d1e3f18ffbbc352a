// A thin RAII layer over the HDF5 C API: owning handles, typed reads with
// dtype and shape checks, extendible chunked datasets for streaming writes,
// and string / int64 attributes. Every failure throws a trustprop error that
// names the file and the dataset or attribute.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trustprop::io::h5 {

// Owns one hid_t and closes it with the matching H5*close.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      o.id_ = H5I_INVALID_HID;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();
  // Gives up ownership: the caller closes the id.
  hid_t release() {
    const hid_t id = id_;
    id_ = H5I_INVALID_HID;
    return id;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

// HDF5 type of a C++ element type.
template <class T> hid_t native_type();

// An open HDF5 file, for reading or writing; `path` is used in messages.
// A write that fails says why when the system does (HDF5's file driver
// reports the errno: "No space left on device").
class File {
 public:
  static File open_read(const std::string& path);
  // Creates (truncates) `path`; messages name `shown` where given: the
  // output a temporary file becomes (io/atomic_output.hpp).
  static File create(const std::string& path, const std::string& shown = "");
  const std::string& path() const { return path_; }
  hid_t id() const { return h_.get(); }
  void flush();
  // Closes the file; a close that fails (the last metadata did not reach
  // the disk) is an IoError.
  void close();

  bool exists(const std::string& object) const;
  bool is_group(const std::string& object) const;  // an existing object that is a group
  void create_group(const std::string& name);

  // Attributes on any object (a group or dataset path; "/" for the root).
  void write_attr(const std::string& object, const std::string& name, const std::string& value);
  void write_attr(const std::string& object, const std::string& name, std::int64_t value);
  void write_attr(const std::string& object, const std::string& name, double value);
  void write_attr(const std::string& object, const std::string& name,
                  const std::vector<std::int64_t>& value);
  std::optional<std::string> read_attr_string(const std::string& object, const std::string& name) const;
  std::optional<std::int64_t> read_attr_int(const std::string& object, const std::string& name) const;
  std::optional<std::vector<std::int64_t>> read_attr_ints(const std::string& object,
                                                          const std::string& name) const;

  // Datasets. Reads check that `name` exists, is one-dimensional and of the
  // exact element type T; `expected_size` (when >= 0) is checked as well.
  template <class T>
  std::vector<T> read_1d(const std::string& name, std::int64_t expected_size = -1) const;
  // Reads elements [offset, offset + count) of a 1-D dataset (hyperslab).
  template <class T>
  std::vector<T> read_1d_range(const std::string& name, std::int64_t offset, std::int64_t count) const;
  std::int64_t size_1d(const std::string& name) const;  // checks it is 1-D
  template <class T>
  void write_1d(const std::string& name, const T* values, std::int64_t count,
                std::int64_t chunk_elems = 0, int deflate = 0);
  template <class T>
  void write_2d(const std::string& name, const T* values, std::int64_t rows, std::int64_t cols);

 private:
  std::string path_;
  Handle h_;
  Handle open_dataset(const std::string& name) const;
  void check_type(const Handle& ds, hid_t want, const std::string& name) const;
};

// A 1-D dataset that grows by appends (unlimited max size, chunked), for
// writing arrays larger than memory in blocks.
class AppendableDataset {
 public:
  AppendableDataset() = default;
  AppendableDataset(File& file, const std::string& name, hid_t type, std::size_t elem_size,
                    std::int64_t chunk_elems, int deflate);
  void append(const void* values, std::int64_t count);
  std::int64_t size() const { return size_; }

 private:
  std::string file_path_, name_;
  Handle ds_;
  hid_t type_ = H5I_INVALID_HID;
  std::int64_t size_ = 0;
};

// A fixed [rows, cols] dataset written a band of whole rows at a time, for a
// result block larger than the memory of one batch (personalized trust's
// rounds of seed sets, signed trust's batches of sources): the same
// contiguous layout as File::write_2d, so readers see no difference.
class RowBlock {
 public:
  RowBlock() = default;
  RowBlock(File& file, const std::string& name, hid_t type, std::int64_t rows, std::int64_t cols);
  // Rows [first, first + count), row-major, `count · cols` values of the
  // dataset's type.
  void write_rows(std::int64_t first, std::int64_t count, const void* values);
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }

 private:
  std::string file_path_, name_;
  Handle ds_;
  hid_t type_ = H5I_INVALID_HID;
  std::int64_t rows_ = 0, cols_ = 0;
};

// Silences HDF5's own error printing (trustprop reports errors itself) and
// switches off its exit handler (h5.cpp says why). Called by every entry
// point that opens files. Debian's HDF5 is thread-safe and keeps the
// printing setting per thread: files are written from the thread that
// opened them (io/generate_city.cpp hands its rows out on the master thread).
void silence_hdf5_errors();

}  // namespace trustprop::io::h5
