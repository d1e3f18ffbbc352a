#include "io/results_file.hpp"

#include "common/utc_time.hpp"
#include "common/version.hpp"

namespace trustprop::io {

ResultsWriter::ResultsWriter(const std::string& path, const Provenance& p)
    : out_(path), file_(h5::File::create(out_.temp_path(), out_.target())) {
  file_.write_attr("/", "trustprop.format", std::string("results"));
  file_.write_attr("/", "trustprop.format_version", static_cast<std::int64_t>(results_format_version));
  file_.write_attr("/", "trustprop.version", std::string(version_string));
  file_.write_attr("/", "trustprop.git_revision", std::string(git_revision));
  file_.write_attr("/", "created", utc_iso8601());
  file_.write_attr("/", "command", p.command);
  file_.write_attr("/", "config", p.config_text);
  file_.write_attr("/", "graph", p.graph_path);
  file_.write_attr("/", "graph_content_hash", p.graph_hash);
  file_.write_attr("/", "seed", static_cast<std::int64_t>(p.seed));
  file_.write_attr("/", "backend", p.backend);
  file_.write_attr("/", "device", p.device);
}

void ResultsWriter::ensure_group(const std::string& group) {
  if (group.empty() || group == "/") return;
  std::size_t pos = 0;
  while ((pos = group.find('/', pos + 1)) != std::string::npos) {
    const std::string prefix = group.substr(0, pos);
    if (!file_.exists(prefix)) file_.create_group(prefix);
  }
  if (!file_.exists(group)) file_.create_group(group);
}

void ResultsWriter::write(const std::string& dataset, const std::vector<double>& values) {
  ensure_group(dataset.substr(0, dataset.find_last_of('/')));
  file_.write_1d(dataset, values.data(), static_cast<std::int64_t>(values.size()));
}

void ResultsWriter::write(const std::string& dataset, const std::vector<std::int64_t>& values) {
  ensure_group(dataset.substr(0, dataset.find_last_of('/')));
  file_.write_1d(dataset, values.data(), static_cast<std::int64_t>(values.size()));
}

void ResultsWriter::commit() {
  file_.flush();
  file_.close();
  out_.commit();
}

}  // namespace trustprop::io
