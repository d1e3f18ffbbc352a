#include "io/h5.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/error.hpp"

namespace trustprop::io::h5 {

void Handle::reset() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_ATTR: H5Aclose(id_); break;
    case H5I_GENPROP_LST: H5Pclose(id_); break;
    default: break;
  }
  id_ = H5I_INVALID_HID;
}

template <> hid_t native_type<std::int64_t>() { return H5T_NATIVE_INT64; }
template <> hid_t native_type<std::int32_t>() { return H5T_NATIVE_INT32; }
template <> hid_t native_type<std::uint8_t>() { return H5T_NATIVE_UINT8; }
template <> hid_t native_type<float>() { return H5T_NATIVE_FLOAT; }
template <> hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }

void silence_hdf5_errors() {
  // HDF5 1.10's exit handler crashes (SIGSEGV) closing a file whose close
  // failed earlier (a write error: disk full). Every file is closed by its
  // Handle, so the handler has nothing to do; it is switched off before the
  // library initialises (later calls are no-ops).
  H5dont_atexit();
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

namespace {

// Why the last HDF5 call failed, as the system told its file driver
// ("errno = 28" in the driver's message on the error stack): ": <strerror>",
// or "" when no system call failed. Must be called before the next HDF5 call
// clears the stack.
std::string system_cause() {
  int code = 0;
  const auto find = [](unsigned, const H5E_error2_t* e, void* found) -> herr_t {
    if (const char* at = e->desc ? std::strstr(e->desc, "errno = ") : nullptr)
      *static_cast<int*>(found) = std::atoi(at + 8);
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, find, &code);
  return code > 0 ? std::string(": ") + std::strerror(code) : "";
}

// Why a dataset that opened does not read, when the reason is a filter it
// was stored with that this HDF5 library lacks (h5py's LZF, Blosc, ...):
// ": stored with HDF5 filter NAME (id N), which this HDF5 library lacks";
// else "".
std::string missing_filter(hid_t dataset) {
  Handle dcpl(H5Dget_create_plist(dataset));
  const int filters = dcpl.valid() ? H5Pget_nfilters(dcpl.get()) : 0;
  for (int k = 0; k < filters; ++k) {
    unsigned flags = 0, config = 0;
    std::size_t elements = 0;
    char name[64] = "";
    const H5Z_filter_t id = H5Pget_filter2(dcpl.get(), static_cast<unsigned>(k), &flags, &elements, nullptr,
                                           sizeof name, name, &config);
    if (id >= 0 && H5Zfilter_avail(id) <= 0)
      return ": stored with HDF5 filter " + std::string(name[0] ? name : "?") + " (id " + std::to_string(id) +
             "), which this HDF5 library lacks; rewrite the file without it (e.g. h5repack -f NONE)";
  }
  return "";
}

std::string type_name(hid_t t) {
  switch (H5Tget_class(t)) {
    case H5T_INTEGER:
      return std::string(H5Tget_sign(t) == H5T_SGN_NONE ? "uint" : "int") +
             std::to_string(8 * H5Tget_size(t));
    case H5T_FLOAT: return "float" + std::to_string(8 * H5Tget_size(t));
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    default: return "another type";
  }
}

}  // namespace

File File::open_read(const std::string& path) {
  silence_hdf5_errors();
  struct stat st {};
  if (stat(path.c_str(), &st) != 0)
    throw NoInputError(path + ": cannot open: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw NoInputError(path + ": is a directory, not an HDF5 file");
  if (st.st_size == 0) throw DataError(path + ": empty file, not an HDF5 file");
  const htri_t is = H5Fis_hdf5(path.c_str());
  if (is <= 0) throw DataError(path + ": not an HDF5 file (or its header is damaged)");
  File f;
  f.path_ = path;
  f.h_ = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!f.h_.valid()) throw DataError(path + ": cannot open as HDF5 (truncated or corrupted file)");
  return f;
}

File File::create(const std::string& path, const std::string& shown) {
  silence_hdf5_errors();
  File f;
  f.path_ = shown.empty() ? path : shown;
  f.h_ = Handle(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  if (!f.h_.valid()) {
    const int e = errno;
    throw IoError(f.path_ + ": cannot create file" + (e ? std::string(": ") + std::strerror(e) : ""));
  }
  return f;
}

void File::flush() {
  if (H5Fflush(h_.get(), H5F_SCOPE_GLOBAL) < 0) throw IoError(path_ + ": cannot flush to the disk" + system_cause());
}

void File::close() {
  if (!h_.valid()) return;
  const herr_t rc = H5Fclose(h_.release());
  if (rc < 0) throw IoError(path_ + ": cannot close" + system_cause());
}

bool File::exists(const std::string& object) const {
  if (object == "/") return true;
  // Check each path component so that a missing parent is not an error.
  std::string prefix;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    const std::size_t next = object.find('/', pos + 1);
    prefix = object.substr(0, next);
    if (!prefix.empty() && prefix != "/" && H5Lexists(h_.get(), prefix.c_str(), H5P_DEFAULT) <= 0)
      return false;
    pos = next;
  }
  return H5Oexists_by_name(h_.get(), object.c_str(), H5P_DEFAULT) > 0;
}

bool File::is_group(const std::string& object) const {
  Handle o(H5Oopen(h_.get(), object.c_str(), H5P_DEFAULT));
  return o.valid() && H5Iget_type(o.get()) == H5I_GROUP;
}

void File::create_group(const std::string& name) {
  // No modification times: the same contents give the same bytes.
  Handle gcpl(H5Pcreate(H5P_GROUP_CREATE));
  H5Pset_obj_track_times(gcpl.get(), false);
  Handle g(H5Gcreate2(h_.get(), name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT));
  if (!g.valid()) throw IoError(path_ + ": cannot create group " + name + system_cause());
}

namespace {

Handle open_object(hid_t file, const std::string& path, const std::string& object) {
  Handle o(H5Oopen(file, object.c_str(), H5P_DEFAULT));
  if (!o.valid()) throw DataError(path + ": missing object " + object);
  return o;
}

void write_attr_raw(const std::string& path, hid_t file, const std::string& object,
                    const std::string& name, hid_t type, hid_t space, const void* value) {
  Handle o = open_object(file, path, object);
  if (H5Aexists(o.get(), name.c_str()) > 0) H5Adelete(o.get(), name.c_str());
  Handle a(H5Acreate2(o.get(), name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT));
  if (!a.valid() || H5Awrite(a.get(), type, value) < 0)
    throw IoError(path + ": cannot write attribute " + object + "@" + name + system_cause());
}

}  // namespace

void File::write_attr(const std::string& object, const std::string& name, const std::string& value) {
  // Variable-length UTF-8 scalar, as h5py writes Python str attributes.
  Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR));
  const char* p = value.c_str();
  write_attr_raw(path_, h_.get(), object, name, type.get(), space.get(), &p);
}

void File::write_attr(const std::string& object, const std::string& name, std::int64_t value) {
  Handle space(H5Screate(H5S_SCALAR));
  write_attr_raw(path_, h_.get(), object, name, H5T_NATIVE_INT64, space.get(), &value);
}

void File::write_attr(const std::string& object, const std::string& name, double value) {
  Handle space(H5Screate(H5S_SCALAR));
  write_attr_raw(path_, h_.get(), object, name, H5T_NATIVE_DOUBLE, space.get(), &value);
}

void File::write_attr(const std::string& object, const std::string& name,
                      const std::vector<std::int64_t>& value) {
  const hsize_t dims[1] = {value.size()};
  Handle space(H5Screate_simple(1, dims, nullptr));
  write_attr_raw(path_, h_.get(), object, name, H5T_NATIVE_INT64, space.get(), value.data());
}

std::optional<std::string> File::read_attr_string(const std::string& object,
                                                  const std::string& name) const {
  if (!exists(object)) return std::nullopt;
  Handle o = open_object(h_.get(), path_, object);
  if (H5Aexists(o.get(), name.c_str()) <= 0) return std::nullopt;
  Handle a(H5Aopen(o.get(), name.c_str(), H5P_DEFAULT));
  Handle ftype(H5Aget_type(a.get()));
  const std::string where = path_ + ": attribute " + object + "@" + name;
  if (H5Tget_class(ftype.get()) != H5T_STRING) throw DataError(where + " is not a string");
  Handle space(H5Aget_space(a.get()));
  if (H5Sget_simple_extent_npoints(space.get()) != 1) throw DataError(where + " is not a scalar");
  if (H5Tis_variable_str(ftype.get()) > 0) {
    Handle mtype(H5Tcopy(H5T_C_S1));
    H5Tset_size(mtype.get(), H5T_VARIABLE);
    H5Tset_cset(mtype.get(), H5Tget_cset(ftype.get()));
    char* p = nullptr;
    if (H5Aread(a.get(), mtype.get(), &p) < 0) throw DataError(where + ": read failed");
    std::string s = p ? p : "";
    H5free_memory(p);
    return s;
  }
  const std::size_t size = H5Tget_size(ftype.get());
  std::string s(size, '\0');
  Handle mtype(H5Tcopy(H5T_C_S1));
  H5Tset_size(mtype.get(), size);
  if (H5Aread(a.get(), mtype.get(), s.data()) < 0) throw DataError(where + ": read failed");
  s.resize(std::strlen(s.c_str()));
  return s;
}

std::optional<std::vector<std::int64_t>> File::read_attr_ints(const std::string& object,
                                                              const std::string& name) const {
  if (!exists(object)) return std::nullopt;
  Handle o = open_object(h_.get(), path_, object);
  if (H5Aexists(o.get(), name.c_str()) <= 0) return std::nullopt;
  Handle a(H5Aopen(o.get(), name.c_str(), H5P_DEFAULT));
  Handle ftype(H5Aget_type(a.get()));
  const std::string where = path_ + ": attribute " + object + "@" + name;
  if (H5Tget_class(ftype.get()) != H5T_INTEGER)
    throw DataError(where + " must be an integer, found " + type_name(ftype.get()));
  Handle space(H5Aget_space(a.get()));
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  if (H5Aread(a.get(), H5T_NATIVE_INT64, v.data()) < 0) throw DataError(where + ": read failed");
  return v;
}

std::optional<std::int64_t> File::read_attr_int(const std::string& object, const std::string& name) const {
  auto v = read_attr_ints(object, name);
  if (!v) return std::nullopt;
  if (v->size() != 1) throw DataError(path_ + ": attribute " + object + "@" + name + " is not a scalar");
  return (*v)[0];
}

Handle File::open_dataset(const std::string& name) const {
  if (!exists(name)) throw DataError(path_ + ": missing dataset " + name);
  Handle ds(H5Dopen2(h_.get(), name.c_str(), H5P_DEFAULT));
  if (!ds.valid()) throw DataError(path_ + ": " + name + " is not a dataset");
  return ds;
}

void File::check_type(const Handle& ds, hid_t want, const std::string& name) const {
  Handle t(H5Dget_type(ds.get()));
  const bool same_class = H5Tget_class(t.get()) == H5Tget_class(want);
  const bool same_size = H5Tget_size(t.get()) == H5Tget_size(want);
  const bool same_sign = H5Tget_class(want) != H5T_INTEGER || H5Tget_sign(t.get()) == H5Tget_sign(want);
  if (!(same_class && same_size && same_sign))
    throw DataError(path_ + ": dataset " + name + " has dtype " + type_name(t.get()) + ", expected " +
                    type_name(want));
}

std::int64_t File::size_1d(const std::string& name) const {
  Handle ds = open_dataset(name);
  Handle space(H5Dget_space(ds.get()));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank != 1)
    throw DataError(path_ + ": dataset " + name + " has " + std::to_string(rank) +
                    " dimensions, expected 1");
  hsize_t dim = 0;
  H5Sget_simple_extent_dims(space.get(), &dim, nullptr);
  return static_cast<std::int64_t>(dim);
}

template <class T>
std::vector<T> File::read_1d(const std::string& name, std::int64_t expected_size) const {
  const std::int64_t size = size_1d(name);
  if (expected_size >= 0 && size != expected_size)
    throw DataError(path_ + ": dataset " + name + " has " + std::to_string(size) + " elements, expected " +
                    std::to_string(expected_size));
  return read_1d_range<T>(name, 0, size);
}

template <class T>
std::vector<T> File::read_1d_range(const std::string& name, std::int64_t offset, std::int64_t count) const {
  Handle ds = open_dataset(name);
  check_type(ds, native_type<T>(), name);
  Handle fspace(H5Dget_space(ds.get()));
  hsize_t dim = 0;
  if (H5Sget_simple_extent_ndims(fspace.get()) != 1)
    throw DataError(path_ + ": dataset " + name + " is not one-dimensional");
  H5Sget_simple_extent_dims(fspace.get(), &dim, nullptr);
  if (offset < 0 || count < 0 || static_cast<hsize_t>(offset + count) > dim)
    throw DataError(path_ + ": dataset " + name + " has " + std::to_string(dim) +
                    " elements, cannot read [" + std::to_string(offset) + ", " +
                    std::to_string(offset + count) + ")");
  std::vector<T> out(static_cast<std::size_t>(count));
  if (count == 0) return out;
  const hsize_t start[1] = {static_cast<hsize_t>(offset)}, cnt[1] = {static_cast<hsize_t>(count)};
  H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, cnt, nullptr);
  Handle mspace(H5Screate_simple(1, cnt, nullptr));
  if (H5Dread(ds.get(), native_type<T>(), mspace.get(), fspace.get(), H5P_DEFAULT, out.data()) < 0) {
    const std::string filter = missing_filter(ds.get());
    throw DataError(path_ + ": dataset " + name +
                    (filter.empty() ? ": read failed (file truncated or corrupted)" : filter));
  }
  return out;
}

template <class T>
void File::write_1d(const std::string& name, const T* values, std::int64_t count, std::int64_t chunk_elems,
                    int deflate) {
  if (chunk_elems <= 0) chunk_elems = 1 << 18;
  AppendableDataset ds(*this, name, native_type<T>(), sizeof(T), std::min<std::int64_t>(chunk_elems, std::max<std::int64_t>(count, 1)),
                       deflate);
  ds.append(values, count);
}

template <class T>
void File::write_2d(const std::string& name, const T* values, std::int64_t rows, std::int64_t cols) {
  const hsize_t dims[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(cols)};
  Handle space(H5Screate_simple(2, dims, nullptr));
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_obj_track_times(dcpl.get(), false);
  Handle ds(H5Dcreate2(h_.get(), name.c_str(), native_type<T>(), space.get(), H5P_DEFAULT, dcpl.get(),
                       H5P_DEFAULT));
  if (!ds.valid() || H5Dwrite(ds.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0)
    throw IoError(path_ + ": cannot write dataset " + name + system_cause());
}

AppendableDataset::AppendableDataset(File& file, const std::string& name, hid_t type, std::size_t,
                                     std::int64_t chunk_elems, int deflate)
    : file_path_(file.path()), name_(name), type_(type) {
  const hsize_t dims[1] = {0}, maxdims[1] = {H5S_UNLIMITED};
  const hsize_t chunk[1] = {static_cast<hsize_t>(std::max<std::int64_t>(chunk_elems, 1))};
  Handle space(H5Screate_simple(1, dims, maxdims));
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_obj_track_times(dcpl.get(), false);
  H5Pset_chunk(dcpl.get(), 1, chunk);
  if (deflate > 0) {
    H5Pset_shuffle(dcpl.get());
    H5Pset_deflate(dcpl.get(), static_cast<unsigned>(deflate));
  }
  ds_ = Handle(H5Dcreate2(file.id(), name.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT));
  if (!ds_.valid()) throw IoError(file_path_ + ": cannot create dataset " + name + system_cause());
}

void AppendableDataset::append(const void* values, std::int64_t count) {
  if (count <= 0) return;
  const hsize_t new_size[1] = {static_cast<hsize_t>(size_ + count)};
  if (H5Dset_extent(ds_.get(), new_size) < 0) throw IoError(file_path_ + ": cannot extend dataset " + name_ + system_cause());
  Handle fspace(H5Dget_space(ds_.get()));
  const hsize_t start[1] = {static_cast<hsize_t>(size_)}, cnt[1] = {static_cast<hsize_t>(count)};
  H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, cnt, nullptr);
  Handle mspace(H5Screate_simple(1, cnt, nullptr));
  if (H5Dwrite(ds_.get(), type_, mspace.get(), fspace.get(), H5P_DEFAULT, values) < 0)
    throw IoError(file_path_ + ": cannot write dataset " + name_ + system_cause());
  size_ += count;
}

RowBlock::RowBlock(File& file, const std::string& name, hid_t type, std::int64_t rows, std::int64_t cols)
    : file_path_(file.path()), name_(name), type_(type), rows_(rows), cols_(cols) {
  const hsize_t dims[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(cols)};
  Handle space(H5Screate_simple(2, dims, nullptr));
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_obj_track_times(dcpl.get(), false);
  ds_ = Handle(H5Dcreate2(file.id(), name.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT));
  if (!ds_.valid()) throw IoError(file_path_ + ": cannot create dataset " + name + system_cause());
}

void RowBlock::write_rows(std::int64_t first, std::int64_t count, const void* values) {
  if (first < 0 || count < 0 || first + count > rows_)
    throw InternalError(file_path_ + ": rows [" + std::to_string(first) + ", " + std::to_string(first + count) +
                        ") are outside dataset " + name_ + " of " + std::to_string(rows_) + " rows");
  if (count == 0 || cols_ == 0) return;
  Handle fspace(H5Dget_space(ds_.get()));
  const hsize_t start[2] = {static_cast<hsize_t>(first), 0};
  const hsize_t cnt[2] = {static_cast<hsize_t>(count), static_cast<hsize_t>(cols_)};
  H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, cnt, nullptr);
  Handle mspace(H5Screate_simple(2, cnt, nullptr));
  if (H5Dwrite(ds_.get(), type_, mspace.get(), fspace.get(), H5P_DEFAULT, values) < 0)
    throw IoError(file_path_ + ": cannot write dataset " + name_ + system_cause());
}

#define TRUSTPROP_H5_INSTANTIATE(T)                                                                      \
  template std::vector<T> File::read_1d<T>(const std::string&, std::int64_t) const;                     \
  template std::vector<T> File::read_1d_range<T>(const std::string&, std::int64_t, std::int64_t) const; \
  template void File::write_1d<T>(const std::string&, const T*, std::int64_t, std::int64_t, int);       \
  template void File::write_2d<T>(const std::string&, const T*, std::int64_t, std::int64_t);
TRUSTPROP_H5_INSTANTIATE(std::int64_t)
TRUSTPROP_H5_INSTANTIATE(std::int32_t)
TRUSTPROP_H5_INSTANTIATE(std::uint8_t)
TRUSTPROP_H5_INSTANTIATE(float)
TRUSTPROP_H5_INSTANTIATE(double)
#undef TRUSTPROP_H5_INSTANTIATE

}  // namespace trustprop::io::h5
