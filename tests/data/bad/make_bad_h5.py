#!/usr/bin/python3
"""Writes the malformed HDF5 graph files of the bad-input corpus (DESIGN §9).

Each file is the small valid graph of control_valid.h5 with one thing broken.
Run with Debian's python3 (h5py): /usr/bin/python3 make_bad_h5.py
The outputs are committed; rerun only to change the corpus.
"""
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# A valid 3-agent graph: 0 -> 1, 0 -> 2, 1 -> 0, 2 -> 1.
BASE = dict(
    indptr=np.array([0, 2, 3, 4], dtype=np.int64),
    indices=np.array([1, 2, 0, 1], dtype=np.int32),
    data=np.array([1.0, 0.5, 1.0, 0.25], dtype=np.float32),
    kind=np.array([0, 1, 2], dtype=np.uint8),
    id=np.array([10, 20, 30], dtype=np.int64),
)


def write(name, n=3, drop=(), attrs=None, graph_attrs=None, agents_dataset=False, compression=None, **override):
    arrays = dict(BASE)
    arrays.update(override)
    path = os.path.join(HERE, name)
    with h5py.File(path, "w", libver="earliest") as f:
        f.attrs["trustprop.format"] = "graph"
        f.attrs["trustprop.format_version"] = np.int64(1)
        f.attrs["source"] = "bad-input corpus: " + name
        for k, v in (attrs or {}).items():
            f.attrs[k] = v
        if "graph" not in drop:
            g = f.create_group("graph")
            g.attrs["encoding-type"] = "csr_matrix"
            g.attrs["encoding-version"] = "0.1.0"
            g.attrs["shape"] = np.array([n, n], dtype=np.int64)
            for k, v in (graph_attrs or {}).items():
                g.attrs[k] = v
            for k in ("indptr", "indices", "data"):
                if k not in drop:
                    g.create_dataset(k, data=arrays[k], track_times=False,
                                     compression=compression if k == "data" else None)
        if agents_dataset:
            f.create_dataset("agents", data=arrays["kind"], track_times=False)
            return path
        a = f.create_group("agents")
        for k in ("kind", "id"):
            if k not in drop:
                a.create_dataset(k, data=arrays[k], track_times=False)
    return path


def main():
    valid = write("control_valid.h5")
    write("h5_missing_graph.h5", drop=("graph",))
    write("h5_missing_indices.h5", drop=("indices",))
    write("h5_wrong_format_attr.h5", attrs={"trustprop.format": "results"})
    write("h5_indptr_not_monotonic.h5", indptr=np.array([0, 2, 1, 4], dtype=np.int64))
    write("h5_indptr_first_nonzero.h5", indptr=np.array([1, 2, 3, 4], dtype=np.int64))
    write("h5_indptr_wrong_length.h5", indptr=np.array([0, 2, 3, 4, 4], dtype=np.int64))
    write("h5_indptr_int32.h5", indptr=np.array([0, 2, 3, 4], dtype=np.int32))
    write("h5_unsorted_columns.h5", indices=np.array([2, 1, 0, 1], dtype=np.int32))
    write("h5_duplicate_columns.h5", indices=np.array([1, 1, 0, 1], dtype=np.int32))
    write("h5_column_out_of_range.h5", indices=np.array([1, 3, 0, 1], dtype=np.int32))
    write("h5_negative_column.h5", indices=np.array([-1, 2, 0, 1], dtype=np.int32))
    write("h5_nan_data.h5", data=np.array([1.0, np.nan, 1.0, 0.25], dtype=np.float32))
    write("h5_inf_data.h5", data=np.array([1.0, 0.5, np.inf, 0.25], dtype=np.float32))
    write("h5_indices_int64.h5", indices=np.array([1, 2, 0, 1], dtype=np.int64))
    write("h5_data_float64.h5", data=np.array([1.0, 0.5, 1.0, 0.25], dtype=np.float64))
    write("h5_data_2d.h5", data=np.array([[1.0, 0.5], [1.0, 0.25]], dtype=np.float32))
    write("h5_data_length_mismatch.h5", data=np.array([1.0, 0.5, 1.0], dtype=np.float32))
    write("h5_shape_not_square.h5", graph_attrs={"shape": np.array([3, 4], dtype=np.int64)})
    write("h5_hash_mismatch.h5", attrs={"trustprop.content_hash": "xxh3:0000000000000000"})
    write("h5_kind_out_of_range.h5", kind=np.array([0, 7, 2], dtype=np.uint8))
    write("h5_ids_wrong_length.h5", id=np.array([10, 20], dtype=np.int64))
    write("h5_agents_dataset.h5", agents_dataset=True)
    write("h5_lzf_filter.h5", compression="lzf")  # h5py's own filter, absent from libhdf5

    with open(valid, "rb") as f:
        whole = f.read()
    with open(os.path.join(HERE, "h5_truncated.h5"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    open(os.path.join(HERE, "h5_empty.h5"), "wb").close()
    with open(os.path.join(HERE, "h5_not_hdf5.h5"), "w") as f:
        f.write("1 2\n2 3\n")


if __name__ == "__main__":
    main()
